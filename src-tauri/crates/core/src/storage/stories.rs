//! The story bank's tables: stories, their principles, questions and takes, and drafts.

use rusqlite::{params, OptionalExtension, Transaction};

use super::takes::{take_columns_of, take_from_row};
use super::Storage;
use crate::error::{CoreError, Result};
use crate::model::stories::{Story, StoryDraft, StoryFields, StoryId};
use crate::model::{QuestionId, Take, TakeId};
use crate::time_fmt::now_rfc3339;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// A JSON list column; a value that cannot be read (a hand-edited database) reads as empty.
fn list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

const STORY_COLUMNS: &str = "s.id, s.uid, s.revision, s.created_at, s.updated_at, s.title, s.situation, s.task, s.action, \
     s.result, s.numbers_json, s.role, s.team, s.year, s.tags_json, s.cue_card_json, s.notes, \
     (SELECT count(*) FROM story_takes l WHERE l.story_id = s.id), \
     (SELECT count(*) FROM story_takes l JOIN takes t ON t.id = l.take_id WHERE l.story_id = s.id AND t.rating >= 3)";

/// One story's principles (in their order) and primary, and its questions.
type Links = (Vec<String>, String, Vec<QuestionId>);

fn write_links(tx: &Transaction<'_>, id: StoryId, f: &StoryFields) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM story_principles WHERE story_id = ?1", [id.0])?;
    tx.execute("DELETE FROM story_questions WHERE story_id = ?1", [id.0])?;
    let mut p = tx.prepare_cached("INSERT INTO story_principles (story_id, principle, position, is_primary) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, tag) in f.principles.iter().enumerate() {
        p.execute(params![id.0, tag, i as i64, *tag == f.primary])?;
    }
    let mut q = tx.prepare_cached("INSERT INTO story_questions (story_id, question_id, position) VALUES (?1, ?2, ?3)")?;
    for (i, question) in f.questions.iter().enumerate() {
        q.execute(params![id.0, question.as_str(), i as i64])?;
    }
    Ok(())
}

impl Storage {
    /// Inserts a story (validated by the caller) with revision 1; returns its id.
    pub(crate) fn insert_story(&mut self, uid: &str, f: &StoryFields) -> Result<StoryId> {
        self.transact(|tx| {
            let now = now_rfc3339();
            tx.execute(
                "INSERT INTO stories (uid, title, situation, task, action, result, numbers_json, role, team, year,
                                      tags_json, cue_card_json, notes, revision, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?14)",
                params![
                    uid,
                    f.title,
                    f.situation,
                    f.task,
                    f.action,
                    f.result,
                    json(&f.numbers),
                    f.role,
                    f.team,
                    f.year,
                    json(&f.tags),
                    json(&f.cue_card),
                    f.notes,
                    now
                ],
            )?;
            let id = StoryId(tx.last_insert_rowid());
            write_links(tx, id, f)?;
            Ok(id)
        })
    }

    /// Replaces a story's fields and raises its revision, in one transaction that first
    /// checks the revision the change is based on (`opened`; None: any).
    pub(crate) fn update_story(&mut self, id: StoryId, opened: Option<i64>, f: &StoryFields) -> Result<i64> {
        self.transact(|tx| update_story_in(tx, id, opened, f))
    }

    pub(crate) fn delete_story(&mut self, id: StoryId) -> Result<()> {
        self.transact(|tx| {
            tx.execute("DELETE FROM story_drafts WHERE draft_key = ?1", [draft_key(Some(id))])?;
            // Links first: a connection without foreign keys leaves none behind either.
            for table in ["story_principles", "story_questions", "story_takes"] {
                tx.execute(&format!("DELETE FROM {table} WHERE story_id = ?1"), [id.0])?;
            }
            match tx.execute("DELETE FROM stories WHERE id = ?1", [id.0])? {
                0 => Err(CoreError::UnknownStory(id.0)),
                _ => Ok(()),
            }
        })
    }

    pub(crate) fn stories(&self) -> Result<Vec<Story>> {
        self.stories_where("?1 IS NULL", rusqlite::types::Null)
    }

    pub(crate) fn story(&self, id: StoryId) -> Result<Option<Story>> {
        Ok(self.stories_where("s.id = ?1", id.0)?.into_iter().next())
    }

    fn stories_where(&self, cond: &str, arg: impl rusqlite::ToSql) -> Result<Vec<Story>> {
        let sql = format!("SELECT {STORY_COLUMNS} FROM stories s WHERE {cond} ORDER BY s.id");
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map([arg], |r| {
            Ok(Story {
                id: StoryId(r.get(0)?),
                uid: r.get(1)?,
                revision: r.get(2)?,
                created_at: r.get(3)?,
                updated_at: r.get(4)?,
                fields: StoryFields {
                    title: r.get(5)?,
                    situation: r.get(6)?,
                    task: r.get(7)?,
                    action: r.get(8)?,
                    result: r.get(9)?,
                    numbers: list(&r.get::<_, String>(10)?),
                    role: r.get(11)?,
                    team: r.get(12)?,
                    year: r.get(13)?,
                    principles: vec![],
                    primary: String::new(),
                    tags: list(&r.get::<_, String>(14)?),
                    cue_card: list(&r.get::<_, String>(15)?),
                    questions: vec![],
                    notes: r.get(16)?,
                },
                takes: r.get(17)?,
                good_takes: r.get(18)?,
            })
        })?;
        let mut stories: Vec<Story> = rows.collect::<rusqlite::Result<_>>()?;
        for s in &mut stories {
            let (principles, primary, questions) = self.story_links(s.id)?;
            s.fields.principles = principles;
            s.fields.primary = primary;
            s.fields.questions = questions;
        }
        Ok(stories)
    }

    fn story_links(&self, id: StoryId) -> Result<Links> {
        let c = self.conn_ref();
        let mut st = c.prepare_cached("SELECT principle, is_primary FROM story_principles WHERE story_id = ?1 ORDER BY position")?;
        let rows: Vec<(String, bool)> = st.query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let primary = rows.iter().find(|(_, p)| *p).map(|(t, _)| t.clone()).unwrap_or_default();
        let mut st = c.prepare_cached("SELECT question_id FROM story_questions WHERE story_id = ?1 ORDER BY position")?;
        let questions = st.query_map([id.0], |r| Ok(QuestionId(r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok((rows.into_iter().map(|(t, _)| t).collect(), primary, questions))
    }

    /// The takes linked to a story, newest first.
    pub(crate) fn story_takes(&self, id: StoryId) -> Result<Vec<Take>> {
        let sql = format!(
            "SELECT {} FROM story_takes l JOIN takes t ON t.id = l.take_id WHERE l.story_id = ?1 ORDER BY t.started_at DESC, t.id DESC",
            take_columns_of("t")
        );
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map([id.0], take_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The (rating, rated at) of a story's rated takes, oldest rating first: its reviews.
    pub(crate) fn story_reviews(&self, id: StoryId) -> Result<Vec<(u8, String)>> {
        let mut st = self.conn_ref().prepare_cached(
            "SELECT t.rating, t.rated_at FROM story_takes l JOIN takes t ON t.id = l.take_id
             WHERE l.story_id = ?1 AND t.rating IS NOT NULL AND t.rated_at IS NOT NULL ORDER BY t.rated_at, t.id",
        )?;
        let rows = st.query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// For every linked take: (story, question, rating). What the grid counts.
    pub(crate) fn story_take_facts(&self) -> Result<Vec<(StoryId, QuestionId, Option<u8>)>> {
        let mut st = self.conn_ref().prepare_cached(
            "SELECT l.story_id, t.question_id, t.rating FROM story_takes l JOIN takes t ON t.id = l.take_id ORDER BY l.story_id, t.id",
        )?;
        let rows = st.query_map([], |r| Ok((StoryId(r.get(0)?), QuestionId(r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every linked take's (story, question), oldest take first: when each story was told to
    /// each question (the story drill turns a story to the question it met longest ago).
    pub(crate) fn story_take_facts_by_time(&self) -> Result<Vec<(StoryId, QuestionId)>> {
        let mut st = self.conn_ref().prepare_cached(
            "SELECT l.story_id, t.question_id FROM story_takes l JOIN takes t ON t.id = l.take_id ORDER BY t.started_at, t.id",
        )?;
        let rows = st.query_map([], |r| Ok((StoryId(r.get(0)?), QuestionId(r.get(1)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn link_take(&mut self, take: TakeId, story: Option<StoryId>) -> Result<()> {
        // Boundaries set for the parts of another story (or of none) do not carry over.
        if self.story_of_take(take)? != story {
            self.conn_mut().execute("DELETE FROM story_take_parts WHERE take_id = ?1", [take.0])?;
        }
        match story {
            Some(s) => self.conn_mut().execute(
                "INSERT INTO story_takes (take_id, story_id, linked_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(take_id) DO UPDATE SET story_id = excluded.story_id, linked_at = excluded.linked_at",
                params![take.0, s.0, now_rfc3339()],
            )?,
            None => self.conn_mut().execute("DELETE FROM story_takes WHERE take_id = ?1", [take.0])?,
        };
        Ok(())
    }

    /// The part boundaries the user set on a take: (part, ms from its start).
    pub(crate) fn take_part_boundaries(&self, take: TakeId) -> Result<Vec<(String, u64)>> {
        let mut st = self.conn_ref().prepare_cached("SELECT part, at_ms FROM story_take_parts WHERE take_id = ?1 ORDER BY at_ms")?;
        let rows = st.query_map([take.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets (Some) or clears (None) where a part of a take began, as the user moved it.
    pub(crate) fn set_take_part_boundary(&mut self, take: TakeId, part: &str, at_ms: Option<u64>) -> Result<()> {
        match at_ms {
            Some(at) => self.conn_mut().execute(
                "INSERT INTO story_take_parts (take_id, part, at_ms, set_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(take_id, part) DO UPDATE SET at_ms = excluded.at_ms, set_at = excluded.set_at",
                params![take.0, part, at as i64, now_rfc3339()],
            )?,
            None => self.conn_mut().execute("DELETE FROM story_take_parts WHERE take_id = ?1 AND part = ?2", params![take.0, part])?,
        };
        Ok(())
    }

    pub(crate) fn story_of_take(&self, take: TakeId) -> Result<Option<StoryId>> {
        let mut st = self.conn_ref().prepare_cached("SELECT story_id FROM story_takes WHERE take_id = ?1")?;
        Ok(st.query_row([take.0], |r| Ok(StoryId(r.get(0)?))).optional()?)
    }

    /// Imports stories in one transaction: each (uid, fields) updates the story with that
    /// uid (raising its revision) or adds one. Returns (added, updated).
    pub(crate) fn import_stories(&mut self, stories: &[(String, StoryFields)]) -> Result<(usize, usize)> {
        self.transact(|tx| {
            let (mut added, mut updated) = (0, 0);
            for (uid, f) in stories {
                let existing: Option<i64> = tx.query_row("SELECT id FROM stories WHERE uid = ?1", [uid], |r| r.get(0)).optional()?;
                match existing {
                    Some(id) => {
                        update_story_in(tx, StoryId(id), None, f)?;
                        updated += 1;
                    }
                    None => {
                        let now = now_rfc3339();
                        tx.execute(
                            "INSERT INTO stories (uid, title, revision, created_at, updated_at) VALUES (?1, ?2, 1, ?3, ?3)",
                            params![uid, f.title, now],
                        )?;
                        let id = StoryId(tx.last_insert_rowid());
                        // The fields are written as by an edit; the new story stays at revision 1.
                        update_story_in(tx, id, None, f)?;
                        tx.execute("UPDATE stories SET revision = 1 WHERE id = ?1", [id.0])?;
                        added += 1;
                    }
                }
            }
            Ok((added, updated))
        })
    }

    pub(crate) fn save_story_draft(&mut self, story: Option<StoryId>, base_revision: Option<i64>, body: &str) -> Result<()> {
        self.conn_mut().execute(
            "INSERT INTO story_drafts (draft_key, base_revision, body_json, saved_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(draft_key) DO UPDATE SET base_revision = excluded.base_revision, body_json = excluded.body_json,
               saved_at = excluded.saved_at",
            params![draft_key(story), base_revision, body, now_rfc3339()],
        )?;
        Ok(())
    }

    pub(crate) fn story_draft(&self, story: Option<StoryId>) -> Result<Option<StoryDraft>> {
        Ok(self.drafts_where("draft_key = ?1", draft_key(story))?.into_iter().next())
    }

    pub(crate) fn story_drafts(&self) -> Result<Vec<StoryDraft>> {
        self.drafts_where("?1 = ?1", String::new())
    }

    fn drafts_where(&self, cond: &str, arg: String) -> Result<Vec<StoryDraft>> {
        let sql = format!(
            "SELECT draft_key, base_revision, body_json, saved_at FROM story_drafts WHERE {cond} ORDER BY saved_at DESC, draft_key"
        );
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map([arg], |r| {
            let key: String = r.get(0)?;
            Ok(StoryDraft {
                story_id: key.parse::<i64>().ok().map(StoryId),
                base_revision: r.get(1)?,
                body: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or(serde_json::Value::Null),
                saved_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn discard_story_draft(&mut self, story: Option<StoryId>) -> Result<()> {
        self.conn_mut().execute("DELETE FROM story_drafts WHERE draft_key = ?1", [draft_key(story)])?;
        Ok(())
    }
}

/// A draft's key: the story's id, or "new".
fn draft_key(story: Option<StoryId>) -> String {
    story.map_or_else(|| "new".to_string(), |s| s.0.to_string())
}

fn update_story_in(tx: &Transaction<'_>, id: StoryId, opened: Option<i64>, f: &StoryFields) -> Result<i64> {
    let found: i64 = tx
        .query_row("SELECT revision FROM stories WHERE id = ?1", [id.0], |r| r.get(0))
        .optional()?
        .ok_or(CoreError::UnknownStory(id.0))?;
    if let Some(opened) = opened.filter(|o| *o != found) {
        return Err(CoreError::StoryEditConflict { id: id.0, found, opened });
    }
    tx.execute(
        "UPDATE stories SET title = ?2, situation = ?3, task = ?4, action = ?5, result = ?6, numbers_json = ?7, role = ?8,
           team = ?9, year = ?10, tags_json = ?11, cue_card_json = ?12, notes = ?13, revision = revision + 1, updated_at = ?14
         WHERE id = ?1",
        params![
            id.0,
            f.title,
            f.situation,
            f.task,
            f.action,
            f.result,
            json(&f.numbers),
            f.role,
            f.team,
            f.year,
            json(&f.tags),
            json(&f.cue_card),
            f.notes,
            now_rfc3339()
        ],
    )?;
    write_links(tx, id, f)?;
    Ok(found + 1)
}
