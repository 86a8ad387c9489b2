//! The schedule table: one row per question with its FSRS memory state and when it is
//! due, and the rated takes it is replayed from (`practice::schedule` does the replay).

use rusqlite::params;

use super::Storage;
use crate::error::Result;
use crate::model::schedule::{ScheduleRow, LEECH_AGAINS};
use crate::model::QuestionId;

impl Storage {
    /// A question's reviews: (rating, rated_at) of its rated takes, in rating order.
    pub(crate) fn rated_reviews(&self, question: &QuestionId) -> Result<Vec<(u8, String)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT rating, rated_at FROM takes WHERE question_id = ?1 AND rating IS NOT NULL AND rated_at IS NOT NULL
             ORDER BY rated_at, id",
        )?;
        let rows = st.query_map([question.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn delete_schedule(&mut self, question: &QuestionId) -> Result<()> {
        self.conn.execute("DELETE FROM schedule WHERE question_id = ?1", [question.as_str()])?;
        Ok(())
    }

    /// Writes a question's schedule (its `leech` is derived from `agains` when read).
    pub(crate) fn upsert_schedule(&mut self, row: &ScheduleRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO schedule (question_id, stability, difficulty, due_at, last_review, reviews, agains)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(question_id) DO UPDATE SET stability = excluded.stability, difficulty = excluded.difficulty,
               due_at = excluded.due_at, last_review = excluded.last_review, reviews = excluded.reviews, agains = excluded.agains",
            params![
                row.question_id.as_str(),
                row.stability as f64,
                row.difficulty as f64,
                row.due_at,
                row.last_review,
                row.reviews,
                row.agains
            ],
        )?;
        Ok(())
    }

    pub fn schedule_of(&self, question: &QuestionId) -> Result<Option<ScheduleRow>> {
        Ok(self.schedule_where("s.question_id = ?1", question.as_str())?.into_iter().next())
    }

    /// Every scheduled question, earliest due first.
    pub fn schedules(&self) -> Result<Vec<ScheduleRow>> {
        self.schedule_where("?1 = ?1", "")
    }

    /// Questions due at `now` (due_at ≤ now), earliest first.
    pub fn due(&self, now: &str) -> Result<Vec<ScheduleRow>> {
        self.schedule_where("s.due_at <= ?1 AND q.retired = 0", now)
    }

    fn schedule_where(&self, cond: &str, arg: &str) -> Result<Vec<ScheduleRow>> {
        let sql = format!(
            "SELECT s.question_id, s.stability, s.difficulty, s.due_at, s.last_review, s.reviews, s.agains
             FROM schedule s JOIN questions q ON q.id = s.question_id WHERE {cond} ORDER BY s.due_at, s.question_id"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([arg], |r| {
            let agains: i64 = r.get(6)?;
            Ok(ScheduleRow {
                question_id: QuestionId(r.get(0)?),
                stability: r.get::<_, f64>(1)? as f32,
                difficulty: r.get::<_, f64>(2)? as f32,
                due_at: r.get(3)?,
                last_review: r.get(4)?,
                reviews: r.get(5)?,
                agains,
                leech: agains >= LEECH_AGAINS,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
