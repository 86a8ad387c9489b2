//! Spaced repetition over spoken answers. Every rated take is a review of its question;
//! the question's memory state is the FSRS crate's, replayed from those reviews in order
//! (so changing a rating later simply gives the schedule it would have had).
//! Again brings a question back at once (the same session asks it again); three Agains
//! mark it as a leech: "rework this answer".

use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::{QuestionId, Take, TakeId};
use crate::storage::Storage;

/// Probability of recall the schedule aims for (Anki's default).
pub const DESIRED_RETENTION: f32 = 0.9;
pub use crate::model::schedule::{ScheduleRow, LEECH_AGAINS};

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

/// Recomputes the schedule of one question from its rated takes (every rating change
/// comes through here, so the schedule is always the replay of the ratings).
pub(crate) fn reschedule(db: &mut Storage, question: &QuestionId) -> Result<Option<ScheduleRow>> {
    let reviews = db.rated_reviews(question)?;
    let parsed: Vec<(u8, OffsetDateTime)> = reviews.iter().filter_map(|(r, at)| parse_time(at).map(|t| (*r, t))).collect();
    let agains = parsed.iter().filter(|(r, _)| *r == 1).count() as i64;
    let Some((memory, due)) = replay(&parsed)? else {
        db.delete_schedule(question)?;
        return Ok(None);
    };
    let last = parsed.last().map(|(_, t)| fmt_time(*t)).unwrap_or_default();
    db.upsert_schedule(&ScheduleRow {
        question_id: question.clone(),
        stability: memory.stability,
        difficulty: memory.difficulty,
        due_at: fmt_time(due),
        last_review: last,
        reviews: parsed.len() as i64,
        agains,
        leech: agains >= LEECH_AGAINS,
    })?;
    db.schedule_of(question)
}

impl Library {
    /// Sets (or clears) a take's self-rating: 1 Again, 2 Hard, 3 Good, 4 Easy.
    pub fn rate_take(&mut self, id: TakeId, rating: Option<u8>) -> Result<Take> {
        if let Some(r) = rating {
            if !(1..=4).contains(&r) {
                return Err(CoreError::InvalidRating(r));
            }
        }
        self.storage().set_rating(id, rating)?;
        let take = self.take(id)?;
        reschedule(self.storage(), &take.question_id)?;
        Ok(take)
    }

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
