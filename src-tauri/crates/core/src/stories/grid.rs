//! The story grid: the 16 principles × the user's stories (primary marked), each
//! principle's count of stories and of good rehearsals, its gaps, and for each principle
//! the behavioural questions of the decks that ask about it with the stories that answer
//! each. Targets: at least [`STORIES_NEEDED`] distinct stories per principle, and no story
//! the only one for more than [`MAX_PRINCIPLES_ALONE`] principles.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::{Story, StoryId};
use crate::error::Result;
use crate::library::Library;
use crate::model::QuestionId;
use crate::progress::{BEHAVIOURAL, PRINCIPLES, STORIES_NEEDED};

/// A story may be the only one of at most this many principles before the grid warns.
pub const MAX_PRINCIPLES_ALONE: usize = 3;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryGrid {
    /// The columns: every story, in the order written.
    pub stories: Vec<GridStory>,
    /// The rows: the 16 principles in their usual order.
    pub principles: Vec<GridPrinciple>,
    pub warnings: Vec<GridWarning>,
    /// The targets the grid is measured against.
    pub stories_needed: u32,
    pub max_principles_alone: u32,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridStory {
    pub id: StoryId,
    pub title: String,
    pub primary: String,
    pub takes: u32,
    pub good_takes: u32,
}

/// A story in a principle's row.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCell {
    pub story_id: StoryId,
    pub primary: bool,
    /// Its takes rated Good or Easy (any question).
    pub good_takes: u32,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridPrinciple {
    pub tag: String,
    /// "en" and "ko".
    pub name: BTreeMap<String, String>,
    pub cells: Vec<GridCell>,
    /// Stories mapped to it.
    pub stories: u32,
    /// Takes of those stories rated Good or Easy.
    pub good_rehearsals: u32,
    /// Of its stories, those with at least one take rated Good or Easy (readiness counts these).
    pub stories_rehearsed_good: u32,
    /// Fewer than `stories_needed` stories.
    pub gap: bool,
    /// The behavioural questions (not retired) that ask about it, in deck order.
    pub questions: Vec<GridQuestion>,
    pub questions_without_story: u32,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridQuestion {
    pub id: QuestionId,
    pub text: BTreeMap<String, String>,
    /// Stories meant for it, or told in a take of it.
    pub stories: Vec<StoryId>,
}

/// What the grid warns about.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GridWarning {
    /// A principle with fewer than `stories_needed` stories.
    FewStories { principle: String, stories: u32 },
    /// One story is the only one for more than `max_principles_alone` principles.
    OneStoryCarries { story_id: StoryId, title: String, principles: Vec<String> },
}

impl GridWarning {
    /// The warning in English, for the CLI.
    pub fn message(&self) -> String {
        match self {
            GridWarning::FewStories { principle, stories } => {
                format!("{principle}: {stories} of {STORIES_NEEDED} stories")
            }
            GridWarning::OneStoryCarries { story_id, title, principles } => format!(
                "story {story_id} \"{title}\" is the only story for {} principles ({}): write others",
                principles.len(),
                principles.join(", ")
            ),
        }
    }
}

/// Per principle: how many distinct stories have a take rated Good or better.
pub(crate) fn good_stories_per_principle(stories: &[Story]) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for s in stories.iter().filter(|s| s.good_takes > 0) {
        for p in &s.fields.principles {
            *out.entry(p.clone()).or_insert(0) += 1;
        }
    }
    out
}

impl Library {
    /// The story grid now.
    pub fn story_grid(&self) -> Result<StoryGrid> {
        let stories = self.stories()?;
        let questions = self.storage_ref().questions(None)?;
        // Questions each story answers: those it is meant for and those its takes answered.
        let mut answered: BTreeMap<QuestionId, BTreeSet<StoryId>> = BTreeMap::new();
        for s in &stories {
            for q in &s.fields.questions {
                answered.entry(q.clone()).or_default().insert(s.id);
            }
        }
        for (story, question, _) in self.storage_ref().story_take_facts()? {
            answered.entry(question).or_default().insert(story);
        }
        let mut principles = Vec::with_capacity(PRINCIPLES.len());
        for p in &PRINCIPLES {
            let cells: Vec<GridCell> = stories
                .iter()
                .filter(|s| s.fields.principles.iter().any(|t| t == p.tag))
                .map(|s| GridCell { story_id: s.id, primary: s.fields.primary == p.tag, good_takes: s.good_takes })
                .collect();
            let questions: Vec<GridQuestion> = questions
                .iter()
                .filter(|q| q.category == BEHAVIOURAL && q.tags.iter().any(|t| t == p.tag))
                .map(|q| GridQuestion {
                    id: q.id.clone(),
                    text: q.text.clone(),
                    stories: answered.get(&q.id).map(|s| s.iter().copied().collect()).unwrap_or_default(),
                })
                .collect();
            let n = cells.len() as u32;
            principles.push(GridPrinciple {
                tag: p.tag.to_string(),
                name: BTreeMap::from([("en".to_string(), p.en.to_string()), ("ko".to_string(), p.ko.to_string())]),
                stories: n,
                good_rehearsals: cells.iter().map(|c| c.good_takes).sum(),
                stories_rehearsed_good: cells.iter().filter(|c| c.good_takes > 0).count() as u32,
                gap: n < STORIES_NEEDED,
                questions_without_story: questions.iter().filter(|q| q.stories.is_empty()).count() as u32,
                questions,
                cells,
            });
        }
        let mut warnings: Vec<GridWarning> =
            principles.iter().filter(|p| p.gap).map(|p| GridWarning::FewStories { principle: p.tag.clone(), stories: p.stories }).collect();
        for s in &stories {
            let alone: Vec<String> =
                principles.iter().filter(|p| p.cells.len() == 1 && p.cells[0].story_id == s.id).map(|p| p.tag.clone()).collect();
            if alone.len() > MAX_PRINCIPLES_ALONE {
                warnings.push(GridWarning::OneStoryCarries { story_id: s.id, title: s.fields.title.clone(), principles: alone });
            }
        }
        Ok(StoryGrid {
            stories: stories
                .iter()
                .map(|s| GridStory {
                    id: s.id,
                    title: s.fields.title.clone(),
                    primary: s.fields.primary.clone(),
                    takes: s.takes,
                    good_takes: s.good_takes,
                })
                .collect(),
            principles,
            warnings,
            stories_needed: STORIES_NEEDED,
            max_principles_alone: MAX_PRINCIPLES_ALONE as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::tests::story;

    fn row<'a>(g: &'a StoryGrid, tag: &str) -> &'a GridPrinciple {
        g.principles.iter().find(|p| p.tag == tag).expect("principle")
    }

    #[test]
    fn the_grid_counts_stories_and_good_rehearsals_per_principle_with_the_primary_marked() {
        let (_d, mut lib) = Library::open_temp();
        let a = lib.add_story(story("A", &["customer-obsession", "ownership"])).expect("a");
        let b = lib.add_story(story("B", &["ownership"])).expect("b");
        for (story, rating) in [(a.id, Some(3)), (a.id, Some(4)), (a.id, Some(2)), (b.id, None)] {
            let t = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
            lib.rate_take(t, rating).expect("rate");
            lib.link_take(t, Some(story)).expect("link");
        }
        let g = lib.story_grid().expect("grid");
        assert_eq!(g.principles.len(), 16);
        assert_eq!(g.stories.iter().map(|s| (s.id, s.takes, s.good_takes)).collect::<Vec<_>>(), [(a.id, 3, 2), (b.id, 1, 0)]);
        let co = row(&g, "customer-obsession");
        assert_eq!((co.stories, co.good_rehearsals, co.stories_rehearsed_good, co.gap), (1, 2, 1, true));
        assert_eq!(co.cells, [GridCell { story_id: a.id, primary: true, good_takes: 2 }]);
        let o = row(&g, "ownership");
        assert_eq!((o.stories, o.good_rehearsals, o.stories_rehearsed_good, o.gap), (2, 2, 1, false));
        assert_eq!(o.cells.iter().map(|c| (c.story_id, c.primary)).collect::<Vec<_>>(), [(a.id, false), (b.id, true)]);
        // The question its takes answered now has stories; the others of the principle not.
        let q = co.questions.iter().find(|q| q.id.as_str() == "lp.unhappy-customer").expect("question");
        assert_eq!(q.stories, [a.id, b.id]);
        assert_eq!(co.questions_without_story as usize, co.questions.len() - 1);
        assert!(co.questions.iter().all(|q| !q.text["ko"].is_empty()));
        assert!(g.warnings.contains(&GridWarning::FewStories { principle: "customer-obsession".into(), stories: 1 }));
        assert!(!g.warnings.iter().any(|w| matches!(w, GridWarning::FewStories { principle, .. } if principle == "ownership")));
        assert_eq!(g.warnings.len(), 15);
    }

    #[test]
    fn a_story_alone_on_more_than_three_principles_is_warned_about_and_a_second_story_ends_it() {
        let (_d, mut lib) = Library::open_temp();
        let four = ["ownership", "dive-deep", "frugality", "think-big"];
        let a = lib.add_story(story("Everything", &four[..3])).expect("three");
        let carries = |lib: &Library| {
            lib.story_grid().expect("grid").warnings.into_iter().filter(|w| matches!(w, GridWarning::OneStoryCarries { .. })).count()
        };
        assert_eq!(carries(&lib), 0, "three principles alone is within the target");
        lib.edit_story(a.id, None, story("Everything", &four)).expect("four");
        let g = lib.story_grid().expect("grid");
        let w = g.warnings.iter().find(|w| matches!(w, GridWarning::OneStoryCarries { .. })).expect("warned");
        assert_eq!(
            w,
            &GridWarning::OneStoryCarries {
                story_id: a.id,
                title: "Everything".into(),
                principles: ["ownership", "think-big", "frugality", "dive-deep"].map(String::from).to_vec()
            }
        );
        assert!(w.message().contains("only story for 4 principles"), "{}", w.message());
        lib.add_story(story("Another", &["think-big"])).expect("another");
        assert_eq!(carries(&lib), 0, "now alone on three");
    }

    #[test]
    fn a_story_meant_for_a_question_answers_it_in_the_grid() {
        let (_d, mut lib) = Library::open_temp();
        let mut f = story("Meant", &["ownership"]);
        f.questions = vec!["lp.unhappy-customer".into()];
        let s = lib.add_story(f).expect("add");
        let g = lib.story_grid().expect("grid");
        let q = row(&g, "customer-obsession").questions.iter().find(|q| q.id.as_str() == "lp.unhappy-customer").cloned().expect("q");
        assert_eq!(q.stories, [s.id], "listed under the question's principle even though the story is not mapped to it");
    }
}
