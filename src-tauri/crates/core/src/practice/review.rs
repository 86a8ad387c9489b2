//! Review and self-scoring of takes: the rubric (key points covered, STAR, "I not we", a
//! number, the principle shown), bookmarks at moments of a take, and blind re-rates that
//! train calibration without touching the take's rating or the schedule.

use crate::error::{CoreError, Result};
use crate::library::Library;
pub use crate::model::rubric::{Bookmark, Calibration, PrincipleLevel, Rerate, RerateCandidate, Rubric};
use crate::model::{Take, TakeId};
use crate::time_fmt::{format_utc, now_rfc3339};

/// Longest note kept on a bookmark (the one limit of every stored text).
pub const MAX_NOTE_CHARS: usize = crate::text_limit::MAX_TEXT_CHARS;

fn check_note(note: &str) -> Result<()> {
    crate::text_limit::check("the note", &note)
}

impl Library {
    /// Stores a take's rubric. Key point indices are checked against its question; they
    /// are kept sorted and without duplicates.
    pub fn set_rubric(&mut self, id: TakeId, rubric: &Rubric) -> Result<Take> {
        let take = self.take(id)?;
        let question = self.question(&take.question_id)?;
        let count = question.key_points.values().map(Vec::len).max().unwrap_or(0);
        if let Some(&index) = rubric.key_points.iter().find(|&&i| i as usize >= count) {
            return Err(CoreError::KeyPointOutOfRange { question: question.id.0, index, count });
        }
        let mut clean = rubric.clone();
        clean.key_points.sort_unstable();
        clean.key_points.dedup();
        self.storage().set_rubric(id, &clean)?;
        self.take(id)
    }

    /// Bookmarks a moment of a take (0 ≤ at_ms ≤ its duration).
    pub fn add_bookmark(&mut self, take: TakeId, at_ms: u64, note: &str) -> Result<Bookmark> {
        let t = self.take(take)?;
        if at_ms > t.duration_ms {
            return Err(CoreError::BookmarkBeyondEnd { take: take.0, at_ms, duration_ms: t.duration_ms });
        }
        check_note(note)?;
        self.storage().insert_bookmark(take, at_ms, note, &now_rfc3339())
    }

    /// Bookmarks of a take, in time order.
    pub fn bookmarks(&self, take: TakeId) -> Result<Vec<Bookmark>> {
        self.take(take)?;
        self.storage_ref().bookmarks(take)
    }

    pub fn delete_bookmark(&mut self, id: i64) -> Result<()> {
        self.storage().delete_bookmark(id)
    }

    pub fn set_bookmark_note(&mut self, id: i64, note: &str) -> Result<Bookmark> {
        check_note(note)?;
        self.storage().set_bookmark_note(id, note)?;
        self.storage_ref().bookmark(id)
    }

    /// Re-rates a take blind (1 Again … 4 Easy). Kept in the re-rate history only: the
    /// take's own rating and its question's schedule do not change.
    pub fn blind_rerate(&mut self, take: TakeId, rating: u8) -> Result<Rerate> {
        if !(1..=4).contains(&rating) {
            return Err(CoreError::InvalidRating(rating));
        }
        let t = self.take(take)?;
        self.storage().insert_rerate(take, rating, t.rating, &now_rfc3339())
    }

    /// Rated takes rated more than a day ago, least recently re-rated first (never
    /// re-rated ones first).
    pub fn rerate_candidates(&self, limit: usize) -> Result<Vec<RerateCandidate>> {
        let day_ago = format_utc(time::OffsetDateTime::now_utc() - time::Duration::days(1));
        Ok(self
            .storage_ref()
            .rerate_candidates(&day_ago, limit)?
            .into_iter()
            .map(|(take, last_rerated_at)| RerateCandidate { take, last_rerated_at })
            .collect())
    }

    /// A take's re-rates, oldest first.
    pub fn rerates(&self, take: TakeId) -> Result<Vec<Rerate>> {
        self.take(take)?;
        self.storage_ref().rerates(take)
    }

    pub fn calibration(&self) -> Result<Calibration> {
        self.storage_ref().calibration()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_rated_at(lib: &mut Library, id: TakeId, at: &str) {
        lib.storage().conn_mut().execute("UPDATE takes SET rated_at = ?2 WHERE id = ?1", rusqlite::params![id.0, at]).expect("age");
    }

    #[test]
    fn a_rubric_is_stored_with_the_take_sorted_and_deduplicated() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
        assert_eq!(lib.take(id).expect("take").rubric, Rubric::default());
        let r = Rubric {
            key_points: vec![5, 0, 2, 0],
            situation: true,
            result: true,
            i_not_we: true,
            principle: Some(PrincipleLevel::Strong),
            ..Rubric::default()
        };
        let take = lib.set_rubric(id, &r).expect("set");
        assert_eq!(take.rubric.key_points, vec![0, 2, 5]);
        assert_eq!(lib.take(id).expect("take").rubric, Rubric { key_points: vec![0, 2, 5], ..r });
        let json = serde_json::to_value(&take).expect("json");
        assert_eq!(json["rubric"]["principle"], "strong");
    }

    #[test]
    fn a_key_point_index_beyond_the_questions_list_is_refused_naming_index_and_count() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
        let before = lib.set_rubric(id, &Rubric { key_points: vec![1], ..Rubric::default() }).expect("set");
        let err = lib.set_rubric(id, &Rubric { key_points: vec![0, 6], ..Rubric::default() }).expect_err("refused");
        assert_eq!(err.kind(), "invalid_rubric");
        let msg = err.to_string();
        assert!(msg.contains("key point 6") && msg.contains("6 key points") && msg.contains("lp.unhappy-customer"), "{msg}");
        assert_eq!(lib.take(id).expect("take").rubric, before.rubric, "nothing changed");
    }

    #[test]
    fn a_rubric_for_an_unknown_take_is_a_not_found_error() {
        let (_d, mut lib) = Library::open_temp();
        let err = lib.set_rubric(TakeId(404), &Rubric::default()).expect_err("unknown");
        assert_eq!((err.kind(), err.to_string()), ("unknown_take", "no take with id 404".to_string()));
    }

    #[test]
    fn bookmarks_are_kept_in_time_order_edited_and_deleted() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.deadlock", None, 48_000 * 3);
        let late = lib.add_bookmark(id, 3000, "the end").expect("at the end");
        let early = lib.add_bookmark(id, 250, "hesitation").expect("early");
        assert_eq!(lib.bookmarks(id).expect("list").iter().map(|b| b.at_ms).collect::<Vec<_>>(), vec![250, 3000]);
        let edited = lib.set_bookmark_note(early.id, "said \"we\" 우리").expect("edit");
        assert_eq!(edited.note, "said \"we\" 우리");
        lib.delete_bookmark(late.id).expect("delete");
        assert_eq!(lib.bookmarks(id).expect("list"), vec![edited]);
        assert_eq!(lib.delete_bookmark(late.id).expect_err("gone").kind(), "unknown_bookmark");
        assert_eq!(lib.set_bookmark_note(999, "x").expect_err("unknown").to_string(), "no bookmark with id 999");
    }

    #[test]
    fn a_bookmark_beyond_the_end_of_the_take_is_refused_and_nothing_is_added() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.deadlock", None, 48_000 * 2);
        let err = lib.add_bookmark(id, 2001, "").expect_err("beyond");
        assert_eq!(err.kind(), "invalid_bookmark");
        assert!(err.to_string().contains("2001 ms") && err.to_string().contains("2000 ms long"), "{err}");
        assert!(lib.bookmarks(id).expect("list").is_empty());
        assert_eq!(lib.add_bookmark(TakeId(77), 0, "").expect_err("unknown").kind(), "unknown_take");
        assert_eq!(lib.bookmarks(TakeId(77)).expect_err("unknown").kind(), "unknown_take");
    }

    #[test]
    fn deleting_a_take_deletes_its_bookmarks_and_rerates() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.deadlock", None, 48_000);
        lib.add_bookmark(id, 10, "").expect("bookmark");
        lib.blind_rerate(id, 2).expect("rerate");
        lib.delete_take(id).expect("delete");
        let n: i64 = lib
            .storage_ref()
            .conn_ref()
            .query_row("SELECT (SELECT count(*) FROM bookmarks) + (SELECT count(*) FROM rerates)", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0);
    }

    #[test]
    fn a_blind_rerate_is_history_only_the_rating_and_schedule_stay() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.deadlock", None, 48_000);
        lib.rate_take(id, Some(3)).expect("rate");
        let schedule = lib.schedule_of(&"db.deadlock".into()).expect("s");
        let r = lib.blind_rerate(id, 1).expect("rerate");
        assert_eq!((r.take_id, r.rating, r.previous_rating), (id, 1, Some(3)));
        assert_eq!(lib.take(id).expect("take").rating, Some(3));
        assert_eq!(lib.schedule_of(&"db.deadlock".into()).expect("s"), schedule);
        lib.blind_rerate(id, 3).expect("again");
        assert_eq!(lib.rerates(id).expect("history").iter().map(|r| r.rating).collect::<Vec<_>>(), vec![1, 3]);
        let c = lib.calibration().expect("calibration");
        assert_eq!((c.count, c.mean_abs_difference, c.identical_share), (2, Some(1.0), Some(0.5)));
        assert_eq!(lib.blind_rerate(id, 5).expect_err("bad").kind(), "invalid_rating");
        assert_eq!(lib.blind_rerate(TakeId(999), 2).expect_err("unknown").kind(), "unknown_take");
        assert_eq!(lib.rerates(id).expect("history").len(), 2, "bad input added nothing");
    }

    #[test]
    fn rerate_candidates_are_takes_rated_over_a_day_ago_least_recently_rerated_first() {
        let (_d, mut lib) = Library::open_temp();
        let ids: Vec<TakeId> = (0..4).map(|_| lib.commit_test_take("db.deadlock", None, 48_000)).collect();
        for &id in &ids[..3] {
            lib.rate_take(id, Some(2)).expect("rate");
            set_rated_at(&mut lib, id, "2020-01-01T00:00:00.000Z");
        }
        // ids[3] is unrated; a fresh rating is not a candidate either.
        let fresh = lib.commit_test_take("db.deadlock", None, 48_000);
        lib.rate_take(fresh, Some(4)).expect("rate");
        let order = |lib: &Library| lib.rerate_candidates(10).expect("candidates").iter().map(|c| c.take.id).collect::<Vec<_>>();
        assert_eq!(order(&lib), vec![ids[0], ids[1], ids[2]]);
        lib.blind_rerate(ids[0], 2).expect("rerate");
        lib.blind_rerate(ids[1], 2).expect("rerate");
        assert_eq!(order(&lib), vec![ids[2], ids[0], ids[1]], "never re-rated first, then least recently re-rated");
        assert_eq!(lib.rerate_candidates(2).expect("limited").len(), 2);
        let c = &lib.rerate_candidates(3).expect("c")[1];
        assert!(c.last_rerated_at.is_some());
    }
}
