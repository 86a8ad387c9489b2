//! The templates and markers tables, and the rehearsal columns of sessions (schema v6).

use rusqlite::{params, OptionalExtension, Row};

use super::takes::{take_from_row, NewTake, TAKE_COLUMNS};
use super::Storage;
use crate::error::{CoreError, Result};
use crate::model::markers::{Marker, MarkerKind, RehearsalSession, TemplateSummary};
use crate::model::stories::StoryId;
use crate::model::Take;
use crate::template::{parse_template, template_to_toml, TemplateFile};
use crate::time_fmt::now_rfc3339;

const SESSION_COLUMNS: &str = "id, template_id, language, options_json, started_at, ended_at, wav_path, sample_rate, frames, status";

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<RehearsalSession> {
    Ok(RehearsalSession {
        id: r.get(0)?,
        template_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        language: r.get(2)?,
        options_json: r.get(3)?,
        started_at: r.get(4)?,
        ended_at: r.get(5)?,
        wav_path: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        sample_rate: r.get::<_, Option<u32>>(7)?.unwrap_or(0),
        frames: r.get::<_, Option<i64>>(8)?.map(|f| f.max(0) as u64),
        status: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
    })
}

const MARKER_COLUMNS: &str = "id, session_id, kind, label, question_id, take_id, sample_offset, created_at";

fn marker_from_row(r: &Row<'_>) -> rusqlite::Result<Marker> {
    let kind: String = r.get(2)?;
    Ok(Marker {
        id: r.get(0)?,
        session_id: r.get(1)?,
        kind: MarkerKind::parse(&kind).unwrap_or(MarkerKind::SessionEnd),
        label: r.get(3)?,
        question_id: r.get(4)?,
        take_id: r.get(5)?,
        sample_offset: r.get::<_, i64>(6)?.max(0) as u64,
        created_at: r.get(7)?,
    })
}

impl Storage {
    /// Inserts or replaces a template in one statement (the import is atomic).
    pub fn upsert_template(&mut self, t: &TemplateFile, builtin: bool) -> Result<()> {
        crate::text_limit::check(&format!("template {}", crate::error::echo(&t.template.id)), t)?;
        let name = serde_json::to_string(&t.template.name).unwrap_or_else(|_| "{}".into());
        self.conn_mut().execute(
            "INSERT INTO templates (id, name_json, body_toml, builtin, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET name_json = excluded.name_json, body_toml = excluded.body_toml,
               builtin = excluded.builtin, updated_at = excluded.updated_at",
            params![t.template.id, name, template_to_toml(t), builtin, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Is exactly this template stored (same name, body and built-in flag)? Then upserting
    /// it again would change nothing but its time.
    pub fn template_is_stored(&self, t: &TemplateFile, builtin: bool) -> Result<bool> {
        let name = serde_json::to_string(&t.template.name).unwrap_or_else(|_| "{}".into());
        let n: i64 = self.conn_ref().query_row(
            "SELECT count(*) FROM templates WHERE id = ?1 AND name_json = ?2 AND body_toml = ?3 AND builtin = ?4",
            params![t.template.id, name, template_to_toml(t), builtin],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    pub fn template(&self, id: &str) -> Result<Option<TemplateFile>> {
        let body: Option<String> =
            self.conn_ref().query_row("SELECT body_toml FROM templates WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        body.map(|b| parse_template(&format!("stored template {id}"), &b)).transpose()
    }

    /// Templates, built-in first, then by id.
    pub fn templates(&self) -> Result<Vec<TemplateSummary>> {
        let mut st = self.conn_ref().prepare_cached("SELECT id, body_toml, builtin FROM templates ORDER BY builtin DESC, id")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        let mut out = vec![];
        for row in rows {
            let (id, body, builtin) = row?;
            let t = parse_template(&format!("stored template {id}"), &body)?;
            out.push(TemplateSummary {
                id,
                name: t.template.name.clone(),
                description: t.template.description.clone(),
                builtin,
                segments: t.segments.len(),
                length_secs: t.length_secs(),
            });
        }
        Ok(out)
    }

    /// A new rehearsal session, status "running"; `wav_path` is relative to the data folder.
    pub fn insert_rehearsal(&mut self, template_id: &str, language: &str, options_json: &str, wav_path: &str) -> Result<i64> {
        self.conn_mut().execute(
            "INSERT INTO sessions (kind, language, options_json, started_at, template_id, wav_path, status)
             VALUES ('rehearsal', ?1, ?2, ?3, ?4, ?5, 'running')",
            params![language, options_json, now_rfc3339(), template_id, wav_path],
        )?;
        Ok(self.conn_ref().last_insert_rowid())
    }

    /// The microphone delivered its first samples: the session's clock starts now.
    pub fn set_rehearsal_capture(&mut self, id: i64, sample_rate: u32) -> Result<()> {
        self.conn_mut()
            .execute("UPDATE sessions SET sample_rate = ?2, started_at = ?3 WHERE id = ?1", params![id, sample_rate, now_rfc3339()])?;
        Ok(())
    }

    pub fn finish_rehearsal(&mut self, id: i64, frames: u64, sample_rate: u32, status: &str) -> Result<()> {
        self.conn_mut().execute(
            "UPDATE sessions SET frames = ?2, sample_rate = ?3, status = ?4, ended_at = coalesce(ended_at, ?5) WHERE id = ?1",
            params![id, frames as i64, sample_rate, status, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Removes a session that recorded nothing, with its markers.
    pub fn delete_rehearsal(&mut self, id: i64) -> Result<()> {
        self.transact(|tx| {
            tx.execute("DELETE FROM markers WHERE session_id = ?1", [id])?;
            tx.execute("DELETE FROM sessions WHERE id = ?1 AND kind = 'rehearsal'", [id])?;
            Ok(())
        })
    }

    pub fn rehearsal(&self, id: i64) -> Result<RehearsalSession> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1 AND kind = 'rehearsal'");
        self.conn_ref().query_row(&sql, [id], session_from_row).optional()?.ok_or(CoreError::UnknownRehearsal(id))
    }

    /// Rehearsal sessions, newest first.
    pub fn rehearsals(&self) -> Result<Vec<RehearsalSession>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE kind = 'rehearsal' ORDER BY id DESC");
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map([], session_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn insert_marker(&mut self, session: i64, kind: MarkerKind, label: &str, question_id: Option<&str>, offset: u64) -> Result<Marker> {
        let sql = format!(
            "INSERT INTO markers (session_id, kind, label, question_id, sample_offset, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING {MARKER_COLUMNS}"
        );
        Ok(self.conn_ref().query_row(
            &sql,
            params![session, kind.as_str(), label, question_id, offset as i64, now_rfc3339()],
            marker_from_row,
        )?)
    }

    /// A session's markers in the order they were set.
    pub fn markers(&self, session: i64) -> Result<Vec<Marker>> {
        let sql = format!("SELECT {MARKER_COLUMNS} FROM markers WHERE session_id = ?1 ORDER BY id");
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map([session], marker_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last question marker (not a probe) of `question` in session `session`, and the
    /// take cut for it so far.
    pub fn question_marker(&self, session: i64, question: &str) -> Result<Option<(i64, Option<i64>)>> {
        Ok(self
            .conn_ref()
            .query_row(
                "SELECT id, take_id FROM markers WHERE session_id = ?1 AND question_id = ?2 AND kind = 'question_start'
                 ORDER BY id DESC LIMIT 1",
                params![session, question],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Stores (Some) or clears (None) the story picked on a question marker.
    pub fn set_marker_story(&mut self, marker: i64, story: Option<StoryId>) -> Result<()> {
        match story {
            Some(s) => self.conn_mut().execute(
                "INSERT INTO marker_stories (marker_id, story_id, picked_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(marker_id) DO UPDATE SET story_id = excluded.story_id, picked_at = excluded.picked_at",
                params![marker, s.0, now_rfc3339()],
            )?,
            None => self.conn_mut().execute("DELETE FROM marker_stories WHERE marker_id = ?1", [marker])?,
        };
        Ok(())
    }

    pub fn marker_take(&self, marker: i64) -> Result<Option<i64>> {
        Ok(self.conn_ref().query_row("SELECT take_id FROM markers WHERE id = ?1", [marker], |r| r.get(0)).optional()?.flatten())
    }

    /// Inserts a take cut from a session WAV, its probe link, points its start and end
    /// markers at it, and links it to the story picked on its start marker, in one transaction.
    pub fn insert_linked_take(
        &mut self,
        t: &NewTake<'_>,
        parent_take_id: Option<i64>,
        probe: Option<&str>,
        markers: &[i64],
    ) -> Result<Take> {
        self.transact(|tx| {
            let id = super::takes::insert_take_row(tx, t, parent_take_id, probe)?;
            for m in markers {
                tx.execute("UPDATE markers SET take_id = ?2 WHERE id = ?1", params![m, id])?;
            }
            if let Some(start) = markers.first() {
                tx.execute(
                    "INSERT INTO story_takes (take_id, story_id, linked_at)
                     SELECT ?2, story_id, ?3 FROM marker_stories WHERE marker_id = ?1
                     ON CONFLICT(take_id) DO UPDATE SET story_id = excluded.story_id, linked_at = excluded.linked_at",
                    params![start, id, now_rfc3339()],
                )?;
            }
            let sql = format!("SELECT {TAKE_COLUMNS} FROM takes WHERE id = ?1");
            Ok(tx.query_row(&sql, [id], take_from_row)?)
        })
    }
}
