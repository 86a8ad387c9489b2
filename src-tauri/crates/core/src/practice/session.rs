//! Practice sessions: which questions, in which order, and what was recorded. The timing
//! (think, answer, deadlines) is driven by the front end's session driver; this module
//! owns the selection and the bookkeeping, so it is tested without audio or a window.

use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::library::Library;
pub use crate::model::sessions::PracticeOptions;
pub use crate::model::Order;
use crate::model::{Question, QuestionId, Take, TakeId};
use crate::stories::StoryId;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: i64,
    pub options: PracticeOptions,
    pub questions: Vec<Question>,
    /// A story drill's story for each question (empty for a practice session): the
    /// driver links each take of `questions[i]` to `stories[i]` as it is saved.
    pub stories: Vec<StoryId>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    pub question_id: QuestionId,
    pub text: String,
    pub takes: Vec<Take>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    pub id: i64,
    pub questions: usize,
    pub takes: usize,
    pub total_ms: u64,
    pub rows: Vec<SummaryRow>,
}

impl Library {
    /// The questions a session with these options would ask, in order.
    pub fn select_questions(&self, o: &PracticeOptions) -> Result<Vec<Question>> {
        let mut qs: Vec<Question> = self
            .storage_ref()
            .questions(Some(&o.deck_id))?
            .into_iter()
            .filter(|q| o.category.as_ref().is_none_or(|c| &q.category == c))
            .filter(|q| o.tag.as_ref().is_none_or(|t| q.tags.contains(t)))
            .collect();
        match o.order {
            Order::InOrder => {}
            Order::Shuffled => {
                let seed = o.seed.unwrap_or_else(|| uuid::Uuid::now_v7().as_u64_pair().1);
                crate::rng::SplitMix64(seed).shuffle(&mut qs);
            }
            Order::DueFirst => {
                let now = crate::time_fmt::now_rfc3339();
                let mut keyed: Vec<((u8, String), Question)> = qs
                    .into_iter()
                    .map(|q| {
                        let key = match self.schedule_of(&q.id).ok().flatten() {
                            Some(s) if s.due_at <= now => (0, s.due_at),
                            None => (1, String::new()),
                            Some(s) => (2, s.due_at),
                        };
                        (key, q)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.cmp(&b.0)); // stable: deck order within a group
                qs = keyed.into_iter().map(|(_, q)| q).collect();
            }
        }
        if o.count > 0 {
            qs.truncate(o.count);
        }
        Ok(qs)
    }

    /// Starts a session: records its options (and the question count asked for, which the
    /// next setup starts from) and returns its questions.
    pub fn start_session(&mut self, options: PracticeOptions) -> Result<Session> {
        if !self.decks()?.iter().any(|d| d.id == options.deck_id) {
            return Err(CoreError::InvalidDeck { file: options.deck_id.to_string(), message: "no deck with this id".into() });
        }
        let questions = self.select_questions(&options)?;
        if questions.is_empty() {
            return Err(CoreError::EmptySession);
        }
        let id = self.storage().insert_session(&options)?;
        if options.count > 0 {
            let count = options.count.min(1000).to_string();
            self.set_setting(crate::settings::Setting::PracticeCount.key(), Some(&count))?;
        }
        Ok(Session { id, options, questions, stories: vec![] })
    }

    pub fn end_session(&mut self, id: i64) -> Result<SessionSummary> {
        self.storage().end_session(id)?;
        self.session_summary(id)
    }

    /// Questions asked (those with takes, in order), takes, durations and ratings.
    pub fn session_summary(&self, id: i64) -> Result<SessionSummary> {
        let (options, _) = self.storage_ref().session(id)?.ok_or(CoreError::UnknownSession(id))?;
        let takes = self.storage_ref().session_takes(id)?;
        let mut rows: Vec<SummaryRow> = vec![];
        for t in takes {
            match rows.iter_mut().find(|r| r.question_id == t.question_id) {
                Some(r) => r.takes.push(t),
                None => {
                    let text = self.question(&t.question_id).map(|q| q.text_in(&options.language).to_string()).unwrap_or_default();
                    rows.push(SummaryRow { question_id: t.question_id.clone(), text, takes: vec![t] });
                }
            }
        }
        Ok(SessionSummary {
            id,
            questions: rows.len(),
            takes: rows.iter().map(|r| r.takes.len()).sum(),
            total_ms: rows.iter().flat_map(|r| &r.takes).map(|t| t.duration_ms).sum(),
            rows,
        })
    }

    /// Marks a take as the best of its question.
    pub fn mark_best(&mut self, id: TakeId) -> Result<Take> {
        self.storage().set_best(id)?;
        self.take(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib() -> (tempfile::TempDir, Library) {
        Library::open_temp()
    }

    fn opts(deck: &str) -> PracticeOptions {
        PracticeOptions {
            deck_id: deck.into(),
            category: None,
            tag: None,
            count: 0,
            order: Order::InOrder,
            language: "ko".into(),
            overtime: false,
            seed: None,
        }
    }

    #[test]
    fn filters_count_and_order_select_the_questions() {
        let (_d, lib) = lib();
        let seed_only = PracticeOptions { tag: Some("seed".into()), ..opts("databases") };
        let ids: Vec<String> = lib.select_questions(&seed_only).expect("select").into_iter().map(|q| q.id.0).collect();
        assert_eq!(ids.len(), 7);
        assert_eq!(ids[0], "db.isolation-levels");
        let two = PracticeOptions { count: 2, ..seed_only.clone() };
        assert_eq!(lib.select_questions(&two).expect("select").len(), 2);
        let principle = PracticeOptions { tag: Some("ownership".into()), ..opts("leadership") };
        assert!(lib.select_questions(&principle).expect("select").iter().all(|q| q.tags.contains(&"ownership".to_string())));
        let a = PracticeOptions { order: Order::Shuffled, seed: Some(7), ..opts("databases") };
        let b = PracticeOptions { seed: Some(8), ..a.clone() };
        let ids = |o: &PracticeOptions| lib.select_questions(o).expect("select").into_iter().map(|q| q.id.0).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&a), "a seed gives the same order");
        assert_ne!(ids(&a), ids(&b), "another seed another order");
        let mut sorted = ids(&a);
        sorted.sort();
        let mut all = ids(&opts("databases"));
        all.sort();
        assert_eq!(sorted, all, "shuffling keeps every question once");
    }

    #[test]
    fn a_session_summary_lists_takes_with_durations_ratings_and_best() {
        let (_d, mut lib) = lib();
        assert_eq!(lib.setting("practice_count").expect("read"), None);
        let s = lib.start_session(PracticeOptions { count: 2, ..opts("databases") }).expect("start");
        assert_eq!(lib.setting("practice_count").expect("read").as_deref(), Some("2"), "the count asked for is remembered");
        let mut ids = vec![];
        for (q, ms) in [(&s.questions[0], 3000u64), (&s.questions[0], 2000), (&s.questions[1], 1000)] {
            ids.push(lib.commit_test_take(q.id.as_str(), Some(s.id), ms * 48));
        }
        lib.rate_take(ids[1], Some(3)).expect("rate");
        lib.mark_best(ids[0]).expect("best");
        lib.mark_best(ids[1]).expect("best moves");
        let sum = lib.end_session(s.id).expect("end");
        assert_eq!((sum.questions, sum.takes, sum.total_ms), (2, 3, 6000));
        assert_eq!(sum.rows[0].takes.iter().map(|t| (t.best, t.rating)).collect::<Vec<_>>(), [(false, None), (true, Some(3))]);
        assert!(sum.rows[0].text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "text in the session language");
        assert_eq!(sum.rows[1].takes[0].start_delay_ms, Some(12));
    }

    #[test]
    fn due_first_puts_questions_due_now_before_new_and_later_ones() {
        let (_d, mut lib) = lib();
        let rate = |lib: &mut Library, q: &str, r: u8| {
            let id = lib.commit_test_take(q, None, 1);
            lib.rate_take(id, Some(r)).expect("rate");
        };
        rate(&mut lib, "db.isolation-levels", 4); // due in days
        rate(&mut lib, "db.mvcc-mechanisms", 1); // due now
        let o = PracticeOptions { order: Order::DueFirst, tag: Some("seed".into()), ..opts("databases") };
        let ids: Vec<String> = lib.select_questions(&o).expect("select").into_iter().map(|q| q.id.0).collect();
        assert_eq!(ids.first().map(String::as_str), Some("db.mvcc-mechanisms"));
        assert_eq!(ids.last().map(String::as_str), Some("db.isolation-levels"));
        assert_eq!(ids[1], "db.ora-01555", "new questions keep deck order");
    }

    #[test]
    fn an_empty_selection_or_unknown_deck_is_refused() {
        let (_d, mut lib) = lib();
        let none = PracticeOptions { tag: Some("no-such-tag".into()), ..opts("databases") };
        assert_eq!(lib.start_session(none).err().map(|e| e.kind()), Some("empty_session"));
        assert_eq!(lib.start_session(opts("nope")).err().map(|e| e.kind()), Some("invalid_deck"));
    }
}
