//! Spaced repetition over spoken answers. Every rated take is a review of its question;
//! the question's memory state is the FSRS crate's, replayed from those reviews in order
//! (so changing a rating later simply gives the schedule it would have had).
//! Again brings a question back at once (the same session asks it again); three Agains
//! mark it as a leech: "rework this answer".

use rusqlite::params;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::QuestionId;
use crate::storage::Storage;

/// Probability of recall the schedule aims for (Anki's default).
pub const DESIRED_RETENTION: f32 = 0.9;
/// Agains after which a question is a leech.
pub const LEECH_AGAINS: i64 = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleRow {
    pub question_id: QuestionId,
    pub stability: f32,
    pub difficulty: f32,
    pub due_at: String,
    pub last_review: String,
    pub reviews: i64,
    pub agains: i64,
    pub leech: bool,
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn fmt_time(t: OffsetDateTime) -> String {
    crate::time_fmt::format_utc(t)
}

/// The schedule that a sequence of (rating, time) reviews gives, through FSRS.
pub fn replay(reviews: &[(u8, OffsetDateTime)]) -> Result<Option<(fsrs::MemoryState, OffsetDateTime)>> {
    let model = fsrs::FSRS::new(&[]).map_err(|e| CoreError::Schedule(e.to_string()))?;
    let mut memory: Option<fsrs::MemoryState> = None;
    let mut last: Option<OffsetDateTime> = None;
    let mut due = None;
    for &(rating, at) in reviews {
        let days = last.map(|l| ((at - l).whole_days()).max(0) as u32).unwrap_or(0);
        let next = model.next_states(memory, DESIRED_RETENTION, days).map_err(|e| CoreError::Schedule(e.to_string()))?;
        let state = match rating {
            1 => next.again,
            2 => next.hard,
            3 => next.good,
            _ => next.easy,
        };
        memory = Some(state.memory);
        last = Some(at);
        // Again: back now (asked again in the same session). Otherwise whole days.
        due = Some(if rating == 1 { at } else { at + time::Duration::days(state.interval.round().max(1.0) as i64) });
    }
    Ok(memory.zip(due))
}

impl Storage {
    /// Recomputes the schedule of one question from its rated takes.
    pub fn reschedule(&mut self, question: &QuestionId) -> Result<Option<ScheduleRow>> {
        let reviews: Vec<(u8, String)> = {
            let mut st = self.conn_ref().prepare_cached(
                "SELECT rating, rated_at FROM takes WHERE question_id = ?1 AND rating IS NOT NULL AND rated_at IS NOT NULL
                 ORDER BY rated_at, id",
            )?;
            let rows = st.query_map([question.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let parsed: Vec<(u8, OffsetDateTime)> = reviews.iter().filter_map(|(r, at)| parse_time(at).map(|t| (*r, t))).collect();
        let agains = parsed.iter().filter(|(r, _)| *r == 1).count() as i64;
        let Some((memory, due)) = replay(&parsed)? else {
            self.conn_mut().execute("DELETE FROM schedule WHERE question_id = ?1", [question.as_str()])?;
            return Ok(None);
        };
        let last = parsed.last().map(|(_, t)| fmt_time(*t)).unwrap_or_default();
        self.conn_mut().execute(
            "INSERT INTO schedule (question_id, stability, difficulty, due_at, last_review, reviews, agains)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(question_id) DO UPDATE SET stability = excluded.stability, difficulty = excluded.difficulty,
               due_at = excluded.due_at, last_review = excluded.last_review, reviews = excluded.reviews, agains = excluded.agains",
            params![question.as_str(), memory.stability as f64, memory.difficulty as f64, fmt_time(due), last, parsed.len() as i64, agains],
        )?;
        self.schedule_of(question)
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
        let mut st = self.conn_ref().prepare_cached(&sql)?;
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

impl Library {
    /// Questions due now, earliest first.
    pub fn due(&self) -> Result<Vec<ScheduleRow>> {
        self.storage_ref().due(&crate::time_fmt::now_rfc3339())
    }

    pub fn schedule_of(&self, question: &QuestionId) -> Result<Option<ScheduleRow>> {
        self.storage_ref().schedule_of(question)
    }

    pub fn schedules(&self) -> Result<Vec<ScheduleRow>> {
        self.storage_ref().schedules()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: i64) -> OffsetDateTime {
        time::macros::datetime!(2026-11-01 09:00 UTC) + time::Duration::days(day)
    }

    #[test]
    fn replayed_intervals_are_the_crates_own() {
        let model = fsrs::FSRS::new(&[]).expect("model");
        let first = model.next_states(None, DESIRED_RETENTION, 0).expect("states");
        let (mem, due) = replay(&[(3, t(0))]).expect("replay").expect("state");
        assert_eq!(mem, first.good.memory);
        assert_eq!(due, t(0) + time::Duration::days(first.good.interval.round().max(1.0) as i64));
        // A second Good after the interval: the crate's next state from the first.
        let days = (due - t(0)).whole_days() as u32;
        let second = model.next_states(Some(first.good.memory), DESIRED_RETENTION, days).expect("states");
        let (mem2, due2) = replay(&[(3, t(0)), (3, due)]).expect("replay").expect("state");
        assert_eq!(mem2, second.good.memory);
        assert!(due2 - due >= time::Duration::days(second.good.interval.round() as i64 - 1));
        assert!(second.good.interval > first.good.interval, "intervals grow after success");
        // Easy schedules later than Hard.
        let (_, hard) = replay(&[(2, t(0))]).expect("replay").expect("state");
        let (_, easy) = replay(&[(4, t(0))]).expect("replay").expect("state");
        assert!(easy > hard);
        // Again is due at once.
        let (_, again) = replay(&[(1, t(0))]).expect("replay").expect("state");
        assert_eq!(again, t(0));
    }

    #[test]
    fn rating_schedules_the_question_again_is_due_now_and_three_agains_make_a_leech() {
        let (_dir, mut lib) = Library::open_temp();
        let q = QuestionId::from("db.deadlock");
        let a = lib.commit_test_take("db.deadlock", None, 48_000);
        lib.rate_take(a, Some(3)).expect("rate");
        let s = lib.schedule_of(&q).expect("schedule").expect("scheduled");
        assert!(s.due_at > crate::time_fmt::now_rfc3339(), "Good is due later: {}", s.due_at);
        assert!(lib.due().expect("due").is_empty());
        for _ in 0..3 {
            let id = lib.commit_test_take("db.deadlock", None, 48_000);
            lib.rate_take(id, Some(1)).expect("rate");
            assert!(lib.due().expect("due").iter().any(|d| d.question_id == q), "Again is due now");
        }
        let s = lib.schedule_of(&q).expect("schedule").expect("scheduled");
        assert_eq!((s.reviews, s.agains, s.leech), (4, 3, true));
        // Clearing a rating removes its review from the schedule.
        lib.rate_take(a, None).expect("clear");
        assert_eq!(lib.schedule_of(&q).expect("s").expect("s").reviews, 3);
    }
}
