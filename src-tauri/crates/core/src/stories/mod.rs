//! The story bank: the user's own STAR stories, written once, mapped to leadership
//! principles (one primary), rehearsed until they come out right. A take tells at most one
//! story; a story's rated takes are its reviews (FSRS, see `due`). All SQL is in
//! `storage/stories.rs`; this module validates and puts the pieces together.
//!
//! - [`StoryFields`]: what the user writes (the editor, the CLI's options and the story file
//!   all produce one), checked by [`StoryFields::validate`] naming the field that is wrong.
//! - `file`: the story file format (TOML) for `story export` / `story import`.
//! - `grid`: the 16 principles × the stories, counts, gaps and warnings.
//! - `due`: when each story is due again.
//! - `drill`: the story drill (due stories first, each turned to a question of its principles).
//! - `facts`: facts (numbers) that changed between a story's tellings.
//! - `parts`: time in each part (situation, task, action, result) of a take of a story.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

mod drill;
mod due;
mod facts;
mod file;
mod grid;
mod parts;

use std::collections::HashSet;

use serde::Serialize;

use crate::error::{echo, CoreError, Result};
use crate::library::Library;
use crate::model::principles::PRINCIPLES;
use crate::model::{QuestionId, Take, TakeId};

pub use drill::{DrillItem, DRILL_SECONDS};
pub use due::StoryDue;
pub use facts::{changed_facts, Fact, FactChange};
pub use file::{StoryFile, StoryImportReport, STORY_FILE_FORMAT};
pub(crate) use grid::good_stories_per_principle;
pub use grid::{GridCell, GridPrinciple, GridQuestion, GridStory, GridWarning, StoryGrid, MAX_PRINCIPLES_ALONE};
pub use parts::{found_boundaries, time_in_parts, PartBoundary, PartTime, TimeInParts, BOUNDARY_PARTS};
// The stored shapes live in the model (storage reads and writes them).
pub use crate::model::stories::{Story, StoryDraft, StoryFields, StoryId};

/// Longest title, role or team (one line each), in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Longest situation, task, action, result or notes: the limit of every stored text.
pub use crate::text_limit::MAX_TEXT_CHARS;
/// Most numbers, tags or linked questions.
pub const MAX_NUMBERS: usize = 10;
pub const MAX_TAGS: usize = 20;
pub const MAX_QUESTIONS: usize = 50;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// A cue card has no bullets, or 3 to 5.
pub const CUE_CARD_BULLETS: std::ops::RangeInclusive<usize> = 3..=5;
/// The years a story can be from.
pub const YEARS: std::ops::RangeInclusive<u16> = 1950..=2100;

/// A story with the takes that told it, newest first.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryDetail {
    #[serde(flatten)]
    pub story: Story,
    pub linked_takes: Vec<Take>,
    pub due: StoryDue,
    /// Facts that changed between its transcribed tellings and its written result (each
    /// with the take and time it was said).
    pub fact_changes: Vec<FactChange>,
}

/// The takes a take can be compared with in review (see [`Library::comparable_takes`]).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparableTakes {
    /// The story the take told: its other tellings are the ones offered.
    pub story: Option<StoryId>,
    /// Some of them answered another question than the take (a story told to several).
    pub across_questions: bool,
    /// Starred first, then newest.
    pub takes: Vec<Take>,
}

/// Largest draft body kept, in bytes (every field at its limit fits).
pub const MAX_DRAFT_BYTES: usize = 256 << 10;

fn one_line(text: &str) -> bool {
    !text.contains(['\n', '\r'])
}

impl StoryFields {
    /// Every rule of a story, naming the field that breaks one (`numbers[2]`, `principles`).
    /// Question ids are checked against the library by [`Library::check_story`].
    pub fn validate(&self) -> std::result::Result<(), String> {
        short("title", &self.title, true)?;
        for (field, text) in [
            ("situation", &self.situation),
            ("task", &self.task),
            ("action", &self.action),
            ("result", &self.result),
            ("notes", &self.notes),
        ] {
            let n = text.chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(format!("{field} is {n} characters long (at most {MAX_TEXT_CHARS})"));
            }
        }
        short("role", &self.role, false)?;
        short("team", &self.team, false)?;
        if let Some(y) = self.year {
            if !YEARS.contains(&y) {
                return Err(format!("year {y} is not between {} and {}", YEARS.start(), YEARS.end()));
            }
        }
        list("numbers", &self.numbers, MAX_NUMBERS, MAX_SHORT_CHARS)?;
        for (i, n) in self.numbers.iter().enumerate() {
            if !n.chars().any(|c| c.is_numeric()) {
                return Err(format!("numbers[{}] \"{}\" has no digit (write the figure, e.g. \"3 customers retained\")", i + 1, echo(n)));
            }
        }
        if self.principles.is_empty() {
            return Err("principles is empty: give at least one of the 16 leadership principles".into());
        }
        let mut seen = HashSet::new();
        for (i, p) in self.principles.iter().enumerate() {
            if !PRINCIPLES.iter().any(|k| k.tag == p) {
                return Err(format!("principles[{}]: {}", i + 1, CoreError::UnknownPrinciple(p.clone())));
            }
            if !seen.insert(p.as_str()) {
                return Err(format!("principles[{}] \"{p}\" is given twice", i + 1));
            }
        }
        if !self.principles.contains(&self.primary) {
            return Err(format!(
                "primary \"{}\" is not one of the story's principles ({})",
                echo(&self.primary),
                self.principles.join(", ")
            ));
        }
        list("tags", &self.tags, MAX_TAGS, MAX_TAG_CHARS)?;
        distinct("tags", &self.tags)?;
        if !self.cue_card.is_empty() && !CUE_CARD_BULLETS.contains(&self.cue_card.len()) {
            return Err(format!(
                "cue_card has {} bullet(s): a cue card has {} to {} (or none)",
                self.cue_card.len(),
                CUE_CARD_BULLETS.start(),
                CUE_CARD_BULLETS.end()
            ));
        }
        list("cue_card", &self.cue_card, *CUE_CARD_BULLETS.end(), MAX_SHORT_CHARS)?;
        if self.questions.len() > MAX_QUESTIONS {
            return Err(format!("questions has {} ids (at most {MAX_QUESTIONS})", self.questions.len()));
        }
        distinct("questions", &self.questions.iter().map(|q| q.0.clone()).collect::<Vec<_>>())?;
        Ok(())
    }

    /// The same story with every text trimmed of surrounding blanks (what is stored).
    pub fn normalized(mut self) -> Self {
        let trim = |s: &mut String| *s = s.trim().to_string();
        for s in [&mut self.title, &mut self.situation, &mut self.task, &mut self.action, &mut self.result] {
            trim(s);
        }
        for s in [&mut self.role, &mut self.team, &mut self.notes, &mut self.primary] {
            trim(s);
        }
        for v in [&mut self.numbers, &mut self.principles, &mut self.tags, &mut self.cue_card] {
            v.iter_mut().for_each(trim);
        }
        self.questions.iter_mut().for_each(|q| trim(&mut q.0));
        self
    }
}

/// A one-line text of at most MAX_SHORT_CHARS; `required` ones may not be blank.
fn short(field: &str, text: &str, required: bool) -> std::result::Result<(), String> {
    let n = text.chars().count();
    if n > MAX_SHORT_CHARS {
        return Err(format!("{field} is {n} characters long (at most {MAX_SHORT_CHARS})"));
    }
    if !one_line(text) {
        return Err(format!("{field} is more than one line"));
    }
    if required && text.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    Ok(())
}

fn list(field: &str, items: &[String], max_items: usize, max_chars: usize) -> std::result::Result<(), String> {
    if items.len() > max_items {
        return Err(format!("{field} has {} items (at most {max_items})", items.len()));
    }
    for (i, item) in items.iter().enumerate() {
        let n = item.chars().count();
        if n > max_chars {
            return Err(format!("{field}[{}] is {n} characters long (at most {max_chars})", i + 1));
        }
        if !one_line(item) {
            return Err(format!("{field}[{}] is more than one line", i + 1));
        }
        if item.trim().is_empty() {
            return Err(format!("{field}[{}] is empty", i + 1));
        }
    }
    Ok(())
}

fn distinct(field: &str, items: &[String]) -> std::result::Result<(), String> {
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(item.as_str()) {
            return Err(format!("{field}[{}] \"{}\" is given twice", i + 1, echo(item)));
        }
    }
    Ok(())
}

/// The error of a story the user wrote (`what`: "story 3", "the new story").
fn invalid(what: impl Into<String>, message: String) -> CoreError {
    CoreError::InvalidStory { what: what.into(), message }
}

impl Library {
    /// Validates a story against every rule, the library's questions included.
    pub fn check_story(&self, what: &str, fields: &StoryFields) -> Result<()> {
        fields.validate().map_err(|m| invalid(what, m))?;
        for (i, q) in fields.questions.iter().enumerate() {
            if self.storage_ref().question(q)?.is_none() {
                return Err(invalid(what, format!("questions[{}]: {}", i + 1, CoreError::UnknownQuestion(q.0.clone()))));
            }
        }
        crate::text_limit::check(what, fields)
    }

    /// Adds a story; returns it with its id and revision 1.
    pub fn add_story(&mut self, fields: StoryFields) -> Result<Story> {
        let fields = fields.normalized();
        self.check_story("the new story", &fields)?;
        let id = self.storage().insert_story(&new_uid(), &fields)?;
        self.story_summary(id)
    }

    /// Replaces a story's fields. `opened` is the revision the change is based on: when the
    /// story has changed since (another window, the CLI), nothing is written and the error
    /// says so. None applies the change to whatever is stored (one read-and-write step).
    pub fn edit_story(&mut self, id: StoryId, opened: Option<i64>, fields: StoryFields) -> Result<Story> {
        let fields = fields.normalized();
        self.check_story(&format!("story {id}"), &fields)?;
        self.storage().update_story(id, opened, &fields)?;
        self.story_summary(id)
    }

    /// Deletes a story; the takes that told it stay (only their link goes), as does its draft.
    pub fn delete_story(&mut self, id: StoryId) -> Result<()> {
        self.storage().delete_story(id)
    }

    /// Every story, in the order they were written.
    pub fn stories(&self) -> Result<Vec<Story>> {
        self.storage_ref().stories()
    }

    /// A story as listed (without its takes and analyses).
    pub fn story_summary(&self, id: StoryId) -> Result<Story> {
        self.storage_ref().story(id)?.ok_or(CoreError::UnknownStory(id.0))
    }

    /// A story with the takes that told it and when it is due.
    pub fn story(&self, id: StoryId) -> Result<StoryDetail> {
        let story = self.story_summary(id)?;
        let linked_takes = self.storage_ref().story_takes(id)?;
        let due = self.story_due(&story)?;
        let fact_changes = self.fact_changes_of(&story, &linked_takes)?;
        Ok(StoryDetail { story, linked_takes, due, fact_changes })
    }

    /// Links a take to the story it told (replacing another link), or unlinks it (None).
    pub fn link_take(&mut self, take: TakeId, story: Option<StoryId>) -> Result<()> {
        self.take(take)?;
        if let Some(s) = story {
            self.story_summary(s)?;
        }
        self.storage().link_take(take, story)
    }

    /// In mock call `session`, the user picked `story` (None: no story) for the question
    /// `question` being asked. Stored on the question's marker at once, so the take cut for
    /// it later (when its answer ends, or by the recovery after a crash) is linked to the
    /// story; a take already cut for it is linked now.
    pub fn pick_call_story(&mut self, session: i64, question: &QuestionId, story: Option<StoryId>) -> Result<()> {
        self.rehearsal(session)?;
        if let Some(s) = story {
            self.story_summary(s)?;
        }
        let Some((marker, take)) = self.storage_ref().question_marker(session, &question.0)? else {
            return Err(CoreError::UnknownQuestion(question.0.clone()));
        };
        self.storage().set_marker_story(marker, story)?;
        if let Some(t) = take {
            self.storage().link_take(TakeId(t), story)?;
        }
        Ok(())
    }

    /// The story a take told, if it is linked to one.
    pub fn story_of_take(&self, take: TakeId) -> Result<Option<StoryId>> {
        self.storage_ref().story_of_take(take)
    }

    /// The takes to compare a take with, and whether they span questions: the other takes
    /// that told the same story (whatever question they answered) when the take is linked
    /// to one, else the other takes of its question. Starred first, then newest.
    pub fn comparable_takes(&self, take: TakeId) -> Result<ComparableTakes> {
        let this = self.take(take)?;
        let (mut takes, story) = match self.story_of_take(take)? {
            Some(s) => (self.storage_ref().story_takes(s)?, Some(s)),
            None => (self.storage_ref().takes(Some(&this.question_id))?, None),
        };
        takes.retain(|t| t.id != this.id);
        takes.sort_by(|a, b| b.best.cmp(&a.best).then_with(|| b.started_at.cmp(&a.started_at)).then_with(|| b.id.0.cmp(&a.id.0)));
        let across_questions = takes.iter().any(|t| t.question_id != this.question_id);
        Ok(ComparableTakes { story, across_questions, takes })
    }

    /// The stories to offer for a question, best fit first: those meant for the question,
    /// then those whose primary principle is one of the question's principles, then those
    /// with any of its principles, then the rest (each group in the order written).
    pub fn stories_for_question(&self, question: &QuestionId) -> Result<Vec<Story>> {
        let q = self.question(question)?;
        let mut stories = self.stories()?;
        let fit = |s: &Story| {
            if s.fields.questions.contains(question) {
                0
            } else if q.tags.contains(&s.fields.primary) {
                1
            } else if s.fields.principles.iter().any(|p| q.tags.contains(p)) {
                2
            } else {
                3
            }
        };
        stories.sort_by_key(|s| (fit(s), s.id));
        Ok(stories)
    }

    /// Keeps what the editor has typed (valid or not) under the story it edits (None: a new
    /// story), replacing the previous draft of it.
    pub fn save_story_draft(&mut self, story: Option<StoryId>, base_revision: Option<i64>, body: &serde_json::Value) -> Result<StoryDraft> {
        let text = body.to_string();
        if text.len() > MAX_DRAFT_BYTES {
            return Err(invalid("the draft", format!("is {} bytes (at most {MAX_DRAFT_BYTES})", text.len())));
        }
        crate::text_limit::check("the draft", body)?;
        if let Some(s) = story {
            self.story_summary(s)?;
        }
        self.storage().save_story_draft(story, base_revision, &text)?;
        self.storage_ref().story_draft(story)?.ok_or(CoreError::UnknownStory(story.map_or(0, |s| s.0)))
    }

    /// Every kept draft, newest first.
    pub fn story_drafts(&self) -> Result<Vec<StoryDraft>> {
        self.storage_ref().story_drafts()
    }

    pub fn discard_story_draft(&mut self, story: Option<StoryId>) -> Result<()> {
        self.storage().discard_story_draft(story)
    }
}

/// A fresh story uid (time-ordered, as take file names are).
pub(crate) fn new_uid() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// Is `uid` one a story file may carry (a UUID, as written by `new_uid`)?
pub(crate) fn is_valid_uid(uid: &str) -> bool {
    uuid::Uuid::parse_str(uid).is_ok_and(|u| u.hyphenated().to_string() == uid)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn story(title: &str, principles: &[&str]) -> StoryFields {
        StoryFields {
            title: title.into(),
            situation: "고객사 배치가 매일 밤 ORA-01555로 실패했다 (the nightly batch failed).".into(),
            task: "I owned the fix.".into(),
            action: "I split the query and raised UNDO_RETENTION.".into(),
            result: "No failure in 90 days.".into(),
            numbers: vec!["0 failures in 90 days".into()],
            role: "DBA".into(),
            team: "Support".into(),
            year: Some(2021),
            principles: principles.iter().map(|p| p.to_string()).collect(),
            primary: principles[0].into(),
            tags: vec!["oracle".into()],
            cue_card: vec!["ORA-01555".into(), "undo retention".into(), "90 days".into()],
            questions: vec![],
            notes: String::new(),
        }
    }

    #[test]
    fn a_story_take_compares_with_the_storys_takes_across_questions_and_an_unlinked_take_with_its_question() {
        let (_d, mut lib) = Library::open_temp();
        let s = lib.add_story(story("Batch", &["ownership"])).expect("add");
        let first = lib.commit_test_take("lp.drove-success", None, 48_000);
        let other_q = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
        let same_q_unlinked = lib.commit_test_take("lp.drove-success", None, 48_000);
        let starred = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
        for t in [first, other_q, starred] {
            lib.link_take(t, Some(s.id)).expect("link");
        }
        lib.mark_best(starred).expect("star");

        let c = lib.comparable_takes(first).expect("comparable");
        assert_eq!(c.story, Some(s.id));
        assert!(c.across_questions, "the story was told to two questions");
        assert_eq!(c.takes.iter().map(|t| t.id).collect::<Vec<_>>(), [starred, other_q], "starred first; the unlinked take is not offered");

        let c = lib.comparable_takes(same_q_unlinked).expect("comparable");
        assert_eq!(c.story, None);
        assert!(!c.across_questions);
        assert_eq!(c.takes.iter().map(|t| t.id).collect::<Vec<_>>(), [first], "the other take of its question");

        assert!(lib.comparable_takes(TakeId(999)).is_err(), "an unknown take is an error");
    }

    #[test]
    fn every_field_is_validated_and_the_error_names_it() {
        let ok = story("Batch", &["ownership", "dive-deep"]);
        ok.validate().expect("valid");
        type Edit = Box<dyn Fn(&mut StoryFields)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|s| s.title = "  ".into()), "title is empty"),
            (Box::new(|s| s.title = "a\nb".into()), "title is more than one line"),
            (Box::new(|s| s.title = "t".repeat(201)), "title is 201 characters long (at most 200)"),
            (Box::new(|s| s.situation = "가".repeat(4001)), "situation is 4001 characters long (at most 4000)"),
            (Box::new(|s| s.task = "x".repeat(4001)), "task is 4001"),
            (Box::new(|s| s.action = "x".repeat(4001)), "action is 4001"),
            (Box::new(|s| s.result = "x".repeat(4001)), "result is 4001"),
            (Box::new(|s| s.notes = "x".repeat(4001)), "notes is 4001"),
            (Box::new(|s| s.role = "r\nr".into()), "role is more than one line"),
            (Box::new(|s| s.team = "t".repeat(201)), "team is 201"),
            (Box::new(|s| s.year = Some(1900)), "year 1900 is not between 1950 and 2100"),
            (Box::new(|s| s.numbers = vec!["three customers".into()]), "numbers[1] \"three customers\" has no digit"),
            (Box::new(|s| s.numbers = vec!["1".into(); 11]), "numbers has 11 items (at most 10)"),
            (Box::new(|s| s.numbers = vec!["1".into(), " ".into()]), "numbers[2] is empty"),
            (Box::new(|s| s.principles.clear()), "principles is empty"),
            (Box::new(|s| s.principles.push("seed".into())), "principles[3]: \"seed\" is not one of the 16 leadership principles"),
            (Box::new(|s| s.principles.push("ownership".into())), "principles[3] \"ownership\" is given twice"),
            (Box::new(|s| s.primary = "frugality".into()), "primary \"frugality\" is not one of the story's principles"),
            (Box::new(|s| s.tags = vec!["a".into(), "a".into()]), "tags[2] \"a\" is given twice"),
            (Box::new(|s| s.tags = vec!["t".repeat(51)]), "tags[1] is 51 characters long (at most 50)"),
            (Box::new(|s| s.cue_card = vec!["a".into(), "b".into()]), "cue_card has 2 bullet(s): a cue card has 3 to 5 (or none)"),
            (Box::new(|s| s.cue_card = vec!["a".into(); 6]), "cue_card has 6 bullet(s)"),
            (Box::new(|s| s.cue_card = vec!["a".into(), "".into(), "c".into()]), "cue_card[2] is empty"),
            (Box::new(|s| s.questions = vec!["q".into(), "q".into()]), "questions[2] \"q\" is given twice"),
        ];
        for (edit, expect) in cases {
            let mut s = ok.clone();
            edit(&mut s);
            let e = s.validate().expect_err(expect);
            assert!(e.contains(expect), "{expect}: {e}");
            assert!(!e.contains('\n') && e.len() < 600, "{e}");
        }
        let mut none = ok.clone();
        none.cue_card.clear();
        none.numbers.clear();
        none.year = None;
        none.validate().expect("a cue card, numbers and year are optional");
    }

    #[test]
    fn stories_are_added_edited_listed_and_deleted_keeping_their_takes() {
        let (_d, mut lib) = Library::open_temp();
        let mut fields = story("  Batch  ", &["ownership", "dive-deep"]);
        fields.questions = vec!["lp.root-cause-beyond-ticket".into()];
        let s = lib.add_story(fields.clone()).expect("add");
        assert_eq!((s.revision, s.fields.title.as_str()), (1, "Batch"), "stored trimmed");
        assert_eq!(s.fields.principles, ["ownership", "dive-deep"]);
        fields.title = "Nightly batch".into();
        fields.primary = "dive-deep".into();
        let e = lib.edit_story(s.id, Some(1), fields.clone()).expect("edit");
        assert_eq!((e.revision, e.fields.primary.as_str(), e.fields.title.as_str()), (2, "dive-deep", "Nightly batch"));
        assert_eq!(lib.stories().expect("list").len(), 1);

        let take = lib.commit_test_take("lp.root-cause-beyond-ticket", None, 48_000);
        lib.link_take(take, Some(s.id)).expect("link");
        assert_eq!(lib.story_of_take(take).expect("of"), Some(s.id));
        let d = lib.story(s.id).expect("show");
        assert_eq!(d.linked_takes.iter().map(|t| t.id).collect::<Vec<_>>(), [take]);
        lib.delete_story(s.id).expect("delete");
        assert_eq!(lib.story(s.id).expect_err("gone").kind(), "unknown_story");
        assert!(lib.take(take).is_ok(), "the take stays");
        assert_eq!(lib.story_of_take(take).expect("of"), None);
        assert_eq!(lib.delete_story(s.id).expect_err("again").kind(), "unknown_story");
    }

    #[test]
    fn an_edit_based_on_an_older_revision_is_refused_and_changes_nothing() {
        let (_d, mut lib) = Library::open_temp();
        let s = lib.add_story(story("Batch", &["ownership"])).expect("add");
        let mut cli = s.fields.clone();
        cli.result = "From the CLI".into();
        lib.edit_story(s.id, Some(1), cli).expect("first edit");
        let mut window = s.fields.clone();
        window.result = "From a window opened at revision 1".into();
        let e = lib.edit_story(s.id, Some(1), window.clone()).expect_err("conflict");
        assert_eq!(e.kind(), "edit_conflict");
        assert!(e.to_string().contains("edited elsewhere since you opened it"), "{e}");
        let now = lib.story(s.id).expect("show").story;
        assert_eq!((now.revision, now.fields.result.as_str()), (2, "From the CLI"));
        // Based on the revision it now has, it goes through.
        assert_eq!(lib.edit_story(s.id, Some(2), window).expect("edit").revision, 3);
    }

    #[test]
    fn a_story_naming_an_unknown_question_or_too_long_a_text_is_refused_and_nothing_is_written() {
        let (_d, mut lib) = Library::open_temp();
        let mut f = story("Batch", &["ownership"]);
        f.questions = vec!["lp.nope".into()];
        let e = lib.add_story(f).expect_err("unknown question");
        assert_eq!(e.kind(), "invalid_story");
        assert!(e.to_string().contains("questions[1]: no question with id \"lp.nope\""), "{e}");
        let mut f = story("Batch", &["ownership"]);
        f.action = "x".repeat(10 << 20);
        let e = lib.add_story(f).expect_err("too long");
        assert!(e.to_string().len() < 300, "{e}");
        assert!(lib.stories().expect("list").is_empty());
    }

    #[test]
    fn stories_for_a_question_list_the_ones_meant_for_it_then_its_principles_first() {
        let (_d, mut lib) = Library::open_temp();
        let other = lib.add_story(story("Frugal", &["frugality"])).expect("a");
        let secondary = lib.add_story(story("Secondary", &["ownership", "customer-obsession"])).expect("b");
        let primary = lib.add_story(story("Primary", &["customer-obsession"])).expect("c");
        let mut meant = story("Meant", &["frugality"]);
        meant.questions = vec!["lp.unhappy-customer".into()];
        let meant = lib.add_story(meant).expect("d");
        let order: Vec<StoryId> = lib.stories_for_question(&"lp.unhappy-customer".into()).expect("for").iter().map(|s| s.id).collect();
        assert_eq!(order, [meant.id, primary.id, secondary.id, other.id]);
    }

    #[test]
    fn a_draft_is_kept_as_typed_replaced_and_discarded() {
        let (_d, mut lib) = Library::open_temp();
        let body = serde_json::json!({ "title": "", "situation": "half a sente" });
        lib.save_story_draft(None, None, &body).expect("draft of a new story, invalid as a story");
        let body2 = serde_json::json!({ "title": "", "situation": "half a sentence" });
        let d = lib.save_story_draft(None, None, &body2).expect("replaced");
        assert_eq!(lib.story_drafts().expect("drafts"), std::slice::from_ref(&d));
        assert_eq!(d.body, body2);
        let s = lib.add_story(story("Batch", &["ownership"])).expect("add");
        lib.save_story_draft(Some(s.id), Some(1), &body).expect("draft of a story");
        assert_eq!(lib.story_drafts().expect("drafts").len(), 2);
        lib.discard_story_draft(None).expect("discard");
        assert_eq!(lib.story_drafts().expect("drafts")[0].story_id, Some(s.id));
        let huge = serde_json::json!({ "action": "x".repeat(5000) });
        assert_eq!(lib.save_story_draft(None, None, &huge).expect_err("too long").kind(), "text_too_long");
        lib.delete_story(s.id).expect("delete");
        assert!(lib.story_drafts().expect("drafts").is_empty(), "a deleted story's draft goes with it");
    }

    #[test]
    fn stories_travel_in_the_everything_archive_exactly_and_a_library_with_stories_refuses_an_import() {
        let (dir, mut lib) = Library::open_temp();
        let a = lib.add_story(story("Batch", &["ownership", "dive-deep"])).expect("a");
        lib.edit_story(a.id, Some(1), story("Batch, edited", &["dive-deep", "ownership"])).expect("edit");
        let t = lib.commit_test_take("lp.root-cause-beyond-ticket", None, 48_000);
        lib.link_take(t, Some(a.id)).expect("link");
        lib.save_story_draft(Some(a.id), Some(2), &serde_json::json!({ "title": "typing…" })).expect("draft");
        let zip = dir.path().join("all.zip");
        lib.export_all(&zip, false).expect("export");
        let (_d2, mut other) = Library::open_temp();
        other.import_all(&zip).expect("import");
        assert_eq!(other.stories().expect("list"), lib.stories().expect("list"), "ids, uids, revisions and fields kept");
        assert_eq!(other.stories_toml().expect("toml"), lib.stories_toml().expect("toml"));
        assert_eq!(other.story_of_take(t).expect("link"), Some(a.id));
        assert_eq!(other.story_drafts().expect("drafts"), lib.story_drafts().expect("drafts"));
        let (_d3, mut third) = Library::open_temp();
        third.add_story(story("Mine", &["ownership"])).expect("mine");
        let e = third.import_all(&zip).expect_err("not empty");
        assert_eq!(e.kind(), "library_not_empty");
        assert!(e.to_string().contains("1 story"), "{e}");
        assert_eq!(third.stories().expect("list").len(), 1);
    }
}
