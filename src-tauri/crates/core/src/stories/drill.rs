//! A story drill: the user's stories one after another, due ones first (as `story due`
//! orders them), each to be told in a set time to a question chosen among those the story
//! maps to, so the same story meets different principles over the drills.
//!
//! A story's questions: those it is meant for, then the behavioural questions of its
//! principles taken in turn (primary first: its first question, the next principle's first,
//! …, then every principle's second …). The one chosen is the first of them the story has
//! never been told to, else the one it was told to longest ago. A story with no question
//! (a principle no deck asks about) is left out.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::OffsetDateTime;

use super::StoryId;
use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::QuestionId;
use crate::practice::session::Session;
use crate::progress::BEHAVIOURAL;
use crate::session::{Order, PracticeOptions};

/// The default time to tell a story in a drill.
pub const DRILL_SECONDS: u32 = 120;
/// The shortest and longest answer time a drill accepts.
pub const MIN_DRILL_SECONDS: u32 = 10;
pub const MAX_DRILL_SECONDS: u32 = 1800;

/// One story of a drill and the question it is told to.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillItem {
    pub story_id: StoryId,
    pub title: String,
    /// Due now (or never told).
    pub due: bool,
    pub question_id: QuestionId,
    /// "en" and "ko".
    pub question_text: BTreeMap<String, String>,
    /// The principle the question asks about that the story is mapped to (empty when the
    /// story is meant for the question without sharing a principle with it).
    pub principle: String,
}

impl Library {
    /// Starts a story drill as a practice session in `language`: the drill at `now` (at most
    /// `limit` stories), each question given `answer_secs` to answer (its think time kept),
    /// in the drill's order, with the story each is told with. The session is recorded
    /// like any other (in the deck of its first question, behavioural questions).
    pub fn start_story_drill(&mut self, now: OffsetDateTime, language: &str, answer_secs: u32, limit: Option<usize>) -> Result<Session> {
        if !(MIN_DRILL_SECONDS..=MAX_DRILL_SECONDS).contains(&answer_secs) {
            return Err(CoreError::InvalidDrillTime { secs: answer_secs, min: MIN_DRILL_SECONDS, max: MAX_DRILL_SECONDS });
        }
        let items = self.story_drill(now, limit)?;
        let mut questions = vec![];
        for item in &items {
            let mut q = self.question(&item.question_id)?;
            q.answer_secs = answer_secs;
            questions.push(q);
        }
        let Some(first) = questions.first() else { return Err(CoreError::NoStoryToDrill) };
        let options = PracticeOptions {
            deck_id: first.deck_id.clone(),
            category: Some(BEHAVIOURAL.to_string()),
            tag: None,
            count: questions.len(),
            order: Order::InOrder,
            language: language.to_string(),
            overtime: false,
            seed: None,
        };
        let id = self.storage().insert_session(&options)?;
        Ok(Session { id, options, questions, stories: items.iter().map(|i| i.story_id).collect() })
    }

    /// The drill at `now`: every story with a question, due ones first; at most `limit`.
    pub fn story_drill(&self, now: OffsetDateTime, limit: Option<usize>) -> Result<Vec<DrillItem>> {
        let stories: HashMap<StoryId, super::Story> = self.stories()?.into_iter().map(|s| (s.id, s)).collect();
        let questions = self.storage_ref().questions(None)?;
        // When each story was last told to each question: the index of its latest take.
        let mut told: HashMap<(StoryId, QuestionId), usize> = HashMap::new();
        for (i, (story, question)) in self.storage_ref().story_take_facts_by_time()?.into_iter().enumerate() {
            told.insert((story, question), i);
        }
        let mut out = vec![];
        for due in self.story_schedules(now)? {
            let Some(s) = stories.get(&due.story_id) else { continue };
            let mut candidates: Vec<&crate::model::Question> =
                s.fields.questions.iter().filter_map(|id| questions.iter().find(|q| &q.id == id)).collect();
            let mut principles: Vec<&String> = vec![&s.fields.primary];
            principles.extend(s.fields.principles.iter().filter(|p| **p != s.fields.primary));
            let per: Vec<Vec<&crate::model::Question>> = principles
                .iter()
                .map(|p| questions.iter().filter(|q| q.category == BEHAVIOURAL && q.tags.iter().any(|t| t == *p)).collect())
                .collect();
            for round in 0..per.iter().map(Vec::len).max().unwrap_or(0) {
                for list in &per {
                    if let Some(&q) = list.get(round) {
                        if !candidates.iter().any(|c| c.id == q.id) {
                            candidates.push(q);
                        }
                    }
                }
            }
            let chosen = candidates
                .iter()
                .enumerate()
                .min_by_key(|(i, q)| (told.get(&(s.id, q.id.clone())).map_or(-1, |t| *t as i64), *i))
                .map(|(_, q)| *q);
            let Some(q) = chosen else { continue };
            out.push(DrillItem {
                story_id: s.id,
                title: s.fields.title.clone(),
                due: due.is_due(now),
                question_id: q.id.clone(),
                question_text: q.text.clone(),
                principle: principles.iter().find(|p| q.tags.iter().any(|t| t == **p)).map(|p| p.to_string()).unwrap_or_default(),
            });
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::tests::story;

    #[test]
    fn a_drill_puts_due_stories_first_and_turns_each_story_to_a_question_it_was_not_told_to() {
        let (_d, mut lib) = Library::open_temp();
        let now = OffsetDateTime::now_utc();
        let a = lib.add_story(story("A", &["customer-obsession", "ownership"])).expect("a");
        let b = lib.add_story(story("B", &["dive-deep"])).expect("b");
        let plan = lib.story_drill(now, None).expect("drill");
        assert_eq!(plan.iter().map(|d| (d.story_id, d.due)).collect::<Vec<_>>(), [(a.id, true), (b.id, true)]);
        let first = plan[0].clone();
        assert_eq!(first.principle, "customer-obsession", "the primary principle's first question");
        let q = lib.question(&first.question_id).expect("q");
        assert!(q.category == BEHAVIOURAL && q.tags.contains(&"customer-obsession".to_string()));

        // A told (rated Good: due later) to that question: the next drill has B first, and A
        // turned to its other principle's first question.
        let t = lib.commit_test_take(first.question_id.as_str(), None, 48_000);
        lib.link_take(t, Some(a.id)).expect("link");
        lib.rate_take(t, Some(3)).expect("good");
        let plan = lib.story_drill(now, None).expect("drill");
        assert_eq!(plan.iter().map(|d| (d.story_id, d.due)).collect::<Vec<_>>(), [(b.id, true), (a.id, false)]);
        assert_eq!(plan[1].principle, "ownership");
        assert_ne!(plan[1].question_id, first.question_id);
        assert_eq!(lib.story_drill(now, Some(1)).expect("limit").len(), 1);

        // A story meant for a question is turned to it first.
        let mut f = story("C", &["frugality"]);
        f.questions = vec!["lp.unhappy-customer".into()];
        let c = lib.add_story(f).expect("c");
        let item = lib.story_drill(now, None).expect("drill").into_iter().find(|d| d.story_id == c.id).expect("c");
        assert_eq!((item.question_id.as_str(), item.principle.as_str()), ("lp.unhappy-customer", ""));
    }

    #[test]
    fn a_story_drill_session_asks_each_storys_question_in_the_set_time_with_its_story() {
        let (_d, mut lib) = Library::open_temp();
        let now = OffsetDateTime::now_utc();
        assert_eq!(lib.start_story_drill(now, "en", DRILL_SECONDS, None).expect_err("no story").kind(), "no_story_to_drill");
        let a = lib.add_story(story("A", &["customer-obsession"])).expect("a");
        let b = lib.add_story(story("B", &["dive-deep"])).expect("b");
        for bad in [0, MIN_DRILL_SECONDS - 1, MAX_DRILL_SECONDS + 1] {
            assert_eq!(lib.start_story_drill(now, "en", bad, None).expect_err("time").kind(), "invalid_drill_time");
        }
        let plan = lib.story_drill(now, None).expect("plan");
        let s = lib.start_story_drill(now, "ko", 90, None).expect("drill");
        assert_eq!(s.stories, [a.id, b.id]);
        assert_eq!(
            s.questions.iter().map(|q| q.id.clone()).collect::<Vec<_>>(),
            plan.iter().map(|d| d.question_id.clone()).collect::<Vec<_>>()
        );
        assert!(s.questions.iter().all(|q| q.answer_secs == 90 && q.category == BEHAVIOURAL));
        let thought = lib.question(&plan[0].question_id).expect("q").think_secs;
        assert_eq!(s.questions[0].think_secs, thought, "the question's think time is kept");
        assert_eq!(lib.session_summary(s.id).expect("recorded").takes, 0);
        assert_eq!(s.options.language, "ko");
    }
}
