//! Stories are scheduled as questions are (FSRS, `schedule::replay`): every rated take of a
//! story is a review of it, in the order rated. Nothing is cached: a story's schedule is
//! replayed from its takes when asked, so a rating changed, a take relinked or deleted, or
//! an imported library all give the schedule they imply. A story never told is new: due now.

use serde::Serialize;
use time::OffsetDateTime;

use super::{Story, StoryId};
use crate::error::Result;
use crate::library::Library;
use crate::schedule::{replay, LEECH_AGAINS};
use crate::time_fmt::format_utc;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryDue {
    pub story_id: StoryId,
    pub title: String,
    /// When it is due next (RFC 3339, UTC); None for a story not rated yet (due now).
    pub due_at: Option<String>,
    pub last_review: Option<String>,
    pub reviews: u32,
    pub agains: u32,
    /// Told badly again and again: rework it.
    pub leech: bool,
}

impl StoryDue {
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.due_at.as_ref().is_none_or(|d| *d <= format_utc(now))
    }
}

impl Library {
    pub(crate) fn story_due(&self, story: &Story) -> Result<StoryDue> {
        let parsed: Vec<(u8, OffsetDateTime)> = self
            .storage_ref()
            .story_reviews(story.id)?
            .into_iter()
            .filter_map(|(r, at)| OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok().map(|t| (r, t)))
            .collect();
        let agains = parsed.iter().filter(|(r, _)| *r == 1).count() as u32;
        let due = replay(&parsed)?.map(|(_, due)| format_utc(due));
        Ok(StoryDue {
            story_id: story.id,
            title: story.fields.title.clone(),
            due_at: due,
            last_review: parsed.last().map(|(_, t)| format_utc(*t)),
            reviews: parsed.len() as u32,
            agains,
            leech: i64::from(agains) >= LEECH_AGAINS,
        })
    }

    /// The schedule of every story, due first (earliest first, then stories never rated, in
    /// the order written), then the rest by when they come due.
    pub fn story_schedules(&self, now: OffsetDateTime) -> Result<Vec<StoryDue>> {
        let mut all = self.stories()?.iter().map(|s| self.story_due(s)).collect::<Result<Vec<_>>>()?;
        all.sort_by(|a, b| {
            let key = |d: &StoryDue| (!d.is_due(now), d.due_at.is_none(), d.due_at.clone(), d.story_id);
            key(a).cmp(&key(b))
        });
        Ok(all)
    }

    /// Stories due at `now`: rated ones whose time has come (Again: at once), earliest
    /// first, then those never rated.
    pub fn stories_due(&self, now: OffsetDateTime) -> Result<Vec<StoryDue>> {
        Ok(self.story_schedules(now)?.into_iter().filter(|d| d.is_due(now)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::tests::story;

    #[test]
    fn rating_a_take_of_a_story_reviews_the_story_with_fsrs() {
        let (_d, mut lib) = Library::open_temp();
        let now = OffsetDateTime::now_utc();
        let a = lib.add_story(story("A", &["ownership"])).expect("a");
        let b = lib.add_story(story("B", &["ownership"])).expect("b");
        let ids = |lib: &Library| lib.stories_due(OffsetDateTime::now_utc()).expect("due").iter().map(|d| d.story_id).collect::<Vec<_>>();
        assert_eq!(ids(&lib), [a.id, b.id], "new stories are due");

        let t = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
        lib.link_take(t, Some(a.id)).expect("link");
        lib.rate_take(t, Some(3)).expect("good");
        let d = lib.story(a.id).expect("show").due;
        assert_eq!(d.reviews, 1);
        let (_, expected) = replay(&[(3, now)]).expect("replay").expect("state");
        let due =
            OffsetDateTime::parse(d.due_at.as_deref().expect("scheduled"), &time::format_description::well_known::Rfc3339).expect("time");
        assert!((due - expected).whole_minutes().abs() < 5, "the crate's own interval: {due} vs {expected}");
        assert_eq!(ids(&lib), [b.id], "Good is due later");
        let later = now + time::Duration::days(400);
        assert_eq!(lib.stories_due(later).expect("due").iter().map(|d| d.story_id).collect::<Vec<_>>(), [a.id, b.id]);

        // Again: due at once, before the new story; three make it a leech.
        for _ in 0..3 {
            let t = lib.commit_test_take("lp.outside-your-role", None, 48_000);
            lib.link_take(t, Some(a.id)).expect("link");
            lib.rate_take(t, Some(1)).expect("again");
        }
        assert_eq!(ids(&lib), [a.id, b.id]);
        let d = lib.story(a.id).expect("show").due;
        assert_eq!((d.reviews, d.agains, d.leech), (4, 3, true));
        // Unlinking a take takes its review away.
        lib.link_take(t, None).expect("unlink");
        assert_eq!(lib.story(a.id).expect("show").due.reviews, 3);
    }
}
