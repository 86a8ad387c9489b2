//! The takes table.

use rusqlite::{params, OptionalExtension, Row};

use super::Storage;
use crate::error::{CoreError, Result};
use crate::model::metrics::{PointMetrics, ProgressPoint};
use crate::model::{QuestionId, Take, TakeId};

pub(crate) const TAKE_COLUMNS: &str = "id, question_id, started_at, duration_ms, sample_rate, channels, file_path, rating, notes, \
     dropped_frames, device, status, stop_reason, session_id, best, start_delay_ms, rubric_json, parent_take_id, probe, language";

/// The take columns qualified by a table alias (`t.id, t.question_id, ...`).
pub(crate) fn take_columns_of(alias: &str) -> String {
    TAKE_COLUMNS.split(", ").map(|c| format!("{alias}.{}", c.trim())).collect::<Vec<_>>().join(", ")
}

/// How many columns `take_from_row` reads: extra columns of a query start at this index.
pub(crate) fn take_column_count() -> usize {
    TAKE_COLUMNS.split(", ").count()
}

pub(crate) fn take_from_row(r: &Row<'_>) -> rusqlite::Result<Take> {
    Ok(Take {
        id: TakeId(r.get(0)?),
        question_id: QuestionId(r.get(1)?),
        started_at: r.get(2)?,
        duration_ms: r.get::<_, i64>(3)?.max(0) as u64,
        sample_rate: r.get(4)?,
        channels: r.get(5)?,
        file_path: r.get(6)?,
        rating: r.get(7)?,
        notes: r.get(8)?,
        dropped_frames: r.get::<_, i64>(9)?.max(0) as u64,
        device: r.get(10)?,
        status: r.get(11)?,
        stop_reason: r.get(12)?,
        session_id: r.get(13)?,
        best: r.get(14)?,
        start_delay_ms: r.get(15)?,
        // A rubric that cannot be read (hand-edited database) shows as not yet scored.
        rubric: serde_json::from_str(&r.get::<_, String>(16)?).unwrap_or_default(),
        parent_take_id: r.get(17)?,
        probe: r.get(18)?,
        language: r.get(19)?,
    })
}

/// A take to insert (the id is assigned by the database).
pub struct NewTake<'a> {
    pub question_id: &'a QuestionId,
    pub started_at: &'a str,
    pub duration_ms: u64,
    pub sample_rate: u32,
    pub channels: u16,
    pub file_path: &'a str,
    pub dropped_frames: u64,
    pub device: &'a str,
    /// "ok", "recovered" or "damaged".
    pub status: &'a str,
    pub stop_reason: Option<&'a str>,
    pub session_id: Option<i64>,
    pub start_delay_ms: Option<i64>,
}

/// Inserts a take row (a probe take also carries its parent take and the probe asked);
/// returns its id. The one INSERT of the takes table. The take's language is the one its
/// question was practised in: its session's, else the interface's question language.
pub(crate) fn insert_take_row(
    tx: &rusqlite::Transaction<'_>,
    t: &NewTake<'_>,
    parent_take_id: Option<i64>,
    probe: Option<&str>,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO takes (question_id, started_at, duration_ms, sample_rate, channels, file_path, dropped_frames,
                            device, status, stop_reason, session_id, start_delay_ms, parent_take_id, probe, language)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, coalesce(
             (SELECT s.language FROM sessions s WHERE s.id = ?11 AND s.language IN ('en', 'ko')),
             (SELECT value FROM settings WHERE key = 'ui_language' AND value IN ('en', 'ko')),
             'en'))",
        params![
            t.question_id.as_str(),
            t.started_at,
            t.duration_ms as i64,
            t.sample_rate,
            t.channels,
            t.file_path,
            t.dropped_frames as i64,
            t.device,
            t.status,
            t.stop_reason,
            t.session_id,
            t.start_delay_ms,
            parent_take_id,
            probe
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Storage {
    pub fn insert_take(&mut self, t: &NewTake<'_>) -> Result<Take> {
        self.transact(|tx| {
            let id = insert_take_row(tx, t, None, None)?;
            let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE id = ?1");
            Ok(tx.query_row(&sql, [id], take_from_row)?)
        })
    }

    /// Takes, newest first; only those of `question` when given.
    pub fn takes(&self, question: Option<&QuestionId>) -> Result<Vec<Take>> {
        let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE (?1 IS NULL OR question_id = ?1) ORDER BY started_at DESC, id DESC");
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([question.map(|q| q.as_str())], take_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn take(&self, id: TakeId) -> Result<Take> {
        let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE id = ?1");
        self.conn.prepare_cached(&sql)?.query_row([id.0], take_from_row).optional()?.ok_or(CoreError::UnknownTake(id.0))
    }

    /// The take stored at `file_path` (relative to the data folder), if any.
    pub fn take_by_file(&self, file_path: &str) -> Result<Option<Take>> {
        let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE file_path = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([file_path], take_from_row).optional()?)
    }

    /// Updates the bookkeeping of a take whose file was repaired or found damaged.
    pub fn set_take_status(&mut self, id: TakeId, status: &str, duration_ms: u64) -> Result<()> {
        self.conn.execute("UPDATE takes SET status = ?2, duration_ms = ?3 WHERE id = ?1", params![id.0, status, duration_ms as i64])?;
        Ok(())
    }

    pub fn set_rating(&mut self, id: TakeId, rating: Option<u8>) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE takes SET rating = ?2, rated_at = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END WHERE id = ?1",
            params![id.0, rating, crate::time_fmt::now_rfc3339()],
        )?;
        if n == 0 {
            return Err(CoreError::UnknownTake(id.0));
        }
        Ok(())
    }

    pub fn set_note(&mut self, id: TakeId, notes: &str) -> Result<()> {
        crate::text_limit::check("the note", &notes)?;
        let n = self.conn.execute("UPDATE takes SET notes = ?2 WHERE id = ?1", params![id.0, notes])?;
        if n == 0 {
            return Err(CoreError::UnknownTake(id.0));
        }
        Ok(())
    }

    /// A take's rubric as stored (JSON text).
    pub(crate) fn rubric_json(&self, take: i64) -> Result<String> {
        Ok(self.conn.query_row("SELECT rubric_json FROM takes WHERE id = ?1", [take], |r| r.get(0))?)
    }

    pub fn set_rubric(&mut self, id: TakeId, rubric: &crate::model::rubric::Rubric) -> Result<()> {
        crate::text_limit::check("the rubric", rubric)?;
        let json = serde_json::to_string(rubric).unwrap_or_else(|_| "{}".into());
        let n = self.conn.execute("UPDATE takes SET rubric_json = ?2 WHERE id = ?1", params![id.0, json])?;
        if n == 0 {
            return Err(CoreError::UnknownTake(id.0));
        }
        Ok(())
    }

    /// Marks one take as the best of its question (and no other).
    pub fn set_best(&mut self, id: TakeId) -> Result<()> {
        self.transact(|tx| {
            let q: String = tx
                .query_row("SELECT question_id FROM takes WHERE id = ?1", [id.0], |r| r.get(0))
                .optional()?
                .ok_or(CoreError::UnknownTake(id.0))?;
            tx.execute("UPDATE takes SET best = (id = ?1) WHERE question_id = ?2", params![id.0, q])?;
            Ok(())
        })
    }

    /// Takes of a session, in recording order.
    pub fn session_takes(&self, session: i64) -> Result<Vec<Take>> {
        let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE session_id = ?1 ORDER BY id");
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([session], take_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes the row; the caller removes the file afterwards.
    pub fn delete_take(&mut self, id: TakeId) -> Result<Take> {
        self.transact(|tx| {
            let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE id = ?1");
            let take = tx.query_row(&sql, [id.0], take_from_row).optional()?.ok_or(CoreError::UnknownTake(id.0))?;
            tx.execute("DELETE FROM takes WHERE id = ?1", [id.0])?;
            Ok(take)
        })
    }

    /// Questions with a take recorded since `since` (stored time text) rated Good or Easy.
    pub(crate) fn questions_rated_good_since(&self, since: &str) -> Result<std::collections::HashSet<String>> {
        // Only the range of the start index (left to itself, SQLite walks the question
        // index for DISTINCT or the long range of Good and Easy ratings).
        let mut st =
            self.conn.prepare_cached("SELECT question_id FROM takes INDEXED BY takes_by_start WHERE started_at >= ?1 AND rating >= 3")?;
        let rows = st.query_map([since], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every take of the questions `ids`, oldest first, with its metrics once measured.
    pub(crate) fn progress_points(&self, ids: &[String]) -> Result<Vec<ProgressPoint>> {
        let conn = &self.conn;
        // Every match is returned: read them through the question index and sort them (the
        // unary + keeps SQLite from walking all takes in time order instead).
        let mut st = conn.prepare_cached(
            "SELECT t.started_at, t.id, t.question_id, t.rating, t.duration_ms,
                m.take_id, m.first_word_ms, m.speaking_ms, m.silence_ms, m.long_pauses_json
         FROM takes t LEFT JOIN take_metrics m ON m.take_id = t.id
         WHERE t.question_id IN (SELECT value FROM json_each(?1)) ORDER BY +t.started_at, t.id",
        )?;
        let rows = st.query_map([serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())], |r| {
            Ok(ProgressPoint {
                at: r.get(0)?,
                take_id: TakeId(r.get(1)?),
                question_id: QuestionId(r.get(2)?),
                rating: r.get(3)?,
                duration_ms: r.get::<_, i64>(4)?.max(0) as u64,
                metrics: match r.get::<_, Option<i64>>(5)? {
                    Some(_) => Some(PointMetrics::from_columns(r.get(6)?, r.get(7)?, r.get(8)?, &r.get::<_, String>(9)?)),
                    None => None,
                },
                speech: None,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A question's take count, latest start and latest rating (of its latest rated take).
    pub(crate) fn question_take_stats(&self, id: &QuestionId) -> Result<(u64, Option<String>, Option<u8>)> {
        let conn = &self.conn;
        // Both read only the (question, start) index; apart, the max is one seek to the end of
        // the question's range instead of a read of every entry.
        let takes: i64 =
            conn.prepare_cached("SELECT count(*) FROM takes WHERE question_id = ?1")?.query_row([id.as_str()], |r| r.get(0))?;
        let last_started: Option<String> =
            conn.prepare_cached("SELECT max(started_at) FROM takes WHERE question_id = ?1")?.query_row([id.as_str()], |r| r.get(0))?;
        // The latest recorded take that has a rating: what the answer is worth now.
        let latest_rating: Option<u8> = conn
            .prepare_cached(
                "SELECT rating FROM takes WHERE question_id = ?1 AND rating IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1",
            )?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        Ok((takes.max(0) as u64, last_started, latest_rating))
    }
}
