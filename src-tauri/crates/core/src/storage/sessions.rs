//! The sessions table: a practice session's options, start and end, and sessions as
//! listed with how many questions and takes each has.

use rusqlite::{params, OptionalExtension};

use super::Storage;
use crate::error::Result;
use crate::model::sessions::{PracticeOptions, SessionInfo};
use crate::time_fmt::now_rfc3339;

impl Storage {
    pub fn insert_session(&mut self, o: &PracticeOptions) -> Result<i64> {
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO sessions (kind, deck_id, language, options_json, started_at) VALUES ('practice', ?1, ?2, ?3, ?4)",
                params![o.deck_id.as_str(), o.language, serde_json::to_string(o).unwrap_or_default(), now_rfc3339()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    pub fn end_session(&mut self, id: i64) -> Result<()> {
        self.conn.execute("UPDATE sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL", params![id, now_rfc3339()])?;
        Ok(())
    }

    /// A session's options and start time.
    pub fn session(&self, id: i64) -> Result<Option<(PracticeOptions, String)>> {
        let row: Option<(String, String)> = self
            .conn_ref()
            .query_row("SELECT options_json, started_at FROM sessions WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(json, at)| serde_json::from_str(&json).ok().map(|o| (o, at))))
    }

    pub(crate) fn session_info(&self, id: i64) -> Result<Option<SessionInfo>> {
        Ok(self.conn.query_row(&format!("{SESSION_SELECT} WHERE s.id = ?1"), [id], session_from_row).optional()?)
    }

    pub(crate) fn session_infos(&self) -> Result<Vec<SessionInfo>> {
        let mut st = self.conn.prepare_cached(&format!("{SESSION_SELECT} ORDER BY s.started_at DESC, s.id DESC"))?;
        let rows = st.query_map([], session_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

const SESSION_SELECT: &str = "SELECT s.id, s.kind, s.deck_id, s.language, s.started_at, s.ended_at, \
     (SELECT COUNT(DISTINCT question_id) FROM takes t WHERE t.session_id = s.id), \
     (SELECT COUNT(*) FROM takes t WHERE t.session_id = s.id) FROM sessions s";

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionInfo> {
    Ok(SessionInfo {
        id: r.get(0)?,
        kind: r.get(1)?,
        deck_id: r.get(2)?,
        language: r.get(3)?,
        started_at: r.get(4)?,
        ended_at: r.get(5)?,
        questions: r.get::<_, i64>(6)?.max(0) as usize,
        takes: r.get::<_, i64>(7)?.max(0) as usize,
    })
}
