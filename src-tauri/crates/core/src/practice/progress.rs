//! Readiness for the interview and progress over time: how many technical questions were
//! answered well lately, which leadership principles have two good stories, and the
//! rating history of a question, deck or principle (for charts).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::library::Library;
pub use crate::model::metrics::ProgressPoint;
pub use crate::model::principles::{Principle, PRINCIPLES};
use crate::model::{DeckId, Question, QuestionId};
use crate::time_fmt::format_utc;
use crate::time_fmt::parse_day;

/// The setting that holds the interview date (YYYY-MM-DD).
pub const INTERVIEW_DATE: &str = crate::settings::Setting::InterviewDate.key();
/// How far ahead an interview date may lie (two years).
pub const INTERVIEW_DATE_MAX_DAYS: i64 = 731;
/// Category of the technical questions.
pub const TECHNICAL: &str = "technical";
/// Category of the behavioural questions (the ones that tell a principle's stories).
pub const BEHAVIOURAL: &str = "behavioural";
/// Good stories a principle needs to count as prepared.
pub const STORIES_NEEDED: u32 = 2;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// YYYY-MM-DD, if set.
    pub interview_date: Option<String>,
    /// Days from today (UTC) to the interview; negative once it is past.
    pub days_left: Option<i64>,
    pub technical: TechnicalReadiness,
    pub principles: PrincipleReadiness,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechnicalReadiness {
    /// Technical questions with a take recorded in the last 7 days and rated Good or Easy
    /// (how the answer goes now, not a late rating of an old take).
    pub rated_good_or_better_last_7_days: u32,
    /// Technical questions (not retired) of all decks.
    pub total: u32,
    /// The first over the second, 0..=1 (0 when there are none).
    pub share: f64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipleReadiness {
    /// Principles with at least two stories of the story bank rehearsed Good or better
    /// (each mapped to the principle, with a linked take rated Good or Easy).
    pub with_two_good_stories: u32,
    /// 16.
    pub total: u32,
    pub share: f64,
    /// Tags of the principles with fewer than two good stories.
    pub weak: Vec<String>,
}

/// What a progress chart covers.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressScope {
    Question(QuestionId),
    Deck(DeckId),
    /// A principle's tag.
    Principle(String),
}

/// One principle in the principle grid.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipleRow {
    pub tag: String,
    /// "en" and "ko".
    pub name: BTreeMap<String, String>,
    /// Behavioural questions of the principle with at least one take.
    pub questions_practised: u32,
    pub questions_total: u32,
    pub takes: u64,
    /// Questions whose latest rated take is Good or Easy.
    pub rated_stories_good: u32,
    /// Stories of the story bank mapped to the principle.
    pub stories: u32,
    /// Of those, the ones with a linked take rated Good or Easy.
    pub stories_rehearsed_good: u32,
    /// Start of the latest take.
    pub last_practised: Option<String>,
    /// Mean of the latest rating of each of its rated questions (how good its stories
    /// are now; early attempts do not drag it down forever).
    pub average_rating: Option<f64>,
    /// Fewer than two stories rehearsed Good or better.
    pub weak: bool,
}

fn share(n: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(n) / f64::from(total)
    }
}

fn principle(tag: &str) -> Result<&'static Principle> {
    PRINCIPLES.iter().find(|p| p.tag == tag).ok_or_else(|| CoreError::UnknownPrinciple(tag.to_string()))
}

/// Per-question figures from its takes.
#[derive(Default)]
struct QuestionStats {
    takes: u64,
    last_started: Option<String>,
    latest_rating: Option<u8>,
}

impl Library {
    /// Sets (Some) or clears (None) the interview date, given as YYYY-MM-DD; a day that
    /// has passed or lies absurdly far ahead is refused (see `set_interview_date_on`).
    pub fn set_interview_date(&mut self, date: Option<&str>) -> Result<Option<String>> {
        self.set_interview_date_on(date, OffsetDateTime::now_utc().date())
    }

    /// As `set_interview_date`, with `today` (UTC) given. The day before today is still
    /// taken: west of UTC it is still that day for the user. More than
    /// `INTERVIEW_DATE_MAX_DAYS` ahead is a typing slip (year 2062 for 2026), not a plan.
    pub fn set_interview_date_on(&mut self, date: Option<&str>, today: time::Date) -> Result<Option<String>> {
        let value = match date.map(str::trim) {
            None => None,
            Some(d) => {
                let day = parse_day("interview date", d)?;
                if day < today - time::Duration::days(1) {
                    return Err(CoreError::InterviewDatePassed { value: d.to_string() });
                }
                let latest = today + time::Duration::days(INTERVIEW_DATE_MAX_DAYS);
                if day > latest {
                    return Err(CoreError::InterviewDateTooFar { value: d.to_string(), latest: latest.to_string() });
                }
                Some(d.to_string())
            }
        };
        self.storage().set_setting(INTERVIEW_DATE, value.as_deref())?;
        Ok(value)
    }

    /// The interview date, if set (a malformed stored value reads as unset).
    pub fn interview_date(&self) -> Result<Option<time::Date>> {
        Ok(self.setting(INTERVIEW_DATE)?.and_then(|d| parse_day("interview date", &d).ok()))
    }

    /// How ready the user is at `now`.
    pub fn readiness(&self, now: OffsetDateTime) -> Result<Readiness> {
        let date = self.interview_date()?;
        let questions = self.storage_ref().questions(None)?;
        let week_ago = format_utc(now - time::Duration::days(7));
        // One range of the start-time index: the week's takes only.
        let good_this_week: HashSet<String> = self.storage_ref().questions_rated_good_since(&week_ago)?;
        let technical: Vec<&Question> = questions.iter().filter(|q| q.category == TECHNICAL).collect();
        let technical_total = technical.len() as u32;
        let technical_good = technical.iter().filter(|q| good_this_week.contains(q.id.as_str())).count() as u32;
        let grid = self.grid_from(&questions)?;
        let weak: Vec<String> = grid.iter().filter(|p| p.weak).map(|p| p.tag.clone()).collect();
        let strong = (PRINCIPLES.len() - weak.len()) as u32;
        Ok(Readiness {
            interview_date: date.map(|d| d.to_string()),
            days_left: date.map(|d| (d - now.date()).whole_days()),
            technical: TechnicalReadiness {
                rated_good_or_better_last_7_days: technical_good,
                total: technical_total,
                share: share(technical_good, technical_total),
            },
            principles: PrincipleReadiness {
                with_two_good_stories: strong,
                total: PRINCIPLES.len() as u32,
                share: share(strong, PRINCIPLES.len() as u32),
                weak,
            },
        })
    }

    /// Every take in scope, oldest first, with its rating, length and (once measured) speech
    /// metrics, for charts. Nothing here reads a WAV: unmeasured takes have no metrics yet.
    pub fn progress(&self, scope: &ProgressScope) -> Result<Vec<ProgressPoint>> {
        let ids: Vec<String> = match scope {
            ProgressScope::Question(id) => vec![self.question(id)?.id.0],
            ProgressScope::Deck(deck) => {
                if !self.decks()?.iter().any(|d| &d.id == deck) {
                    return Err(CoreError::UnknownDeck(deck.to_string()));
                }
                self.storage_ref().question_ids_in(deck)?
            }
            ProgressScope::Principle(tag) => {
                principle(tag)?;
                self.storage_ref().questions(None)?.into_iter().filter(|q| q.tags.contains(tag)).map(|q| q.id.0).collect()
            }
        };
        let mut points = self.storage_ref().progress_points(&ids)?;
        for p in &mut points {
            p.speech = self.take_transcript_report(p.take_id)?.as_ref().map(Into::into);
        }
        Ok(points)
    }

    /// The 16 principles with how well each is prepared, in the principles' usual order.
    pub fn principle_grid(&self) -> Result<Vec<PrincipleRow>> {
        self.grid_from(&self.storage_ref().questions(None)?)
    }

    fn grid_from(&self, questions: &[Question]) -> Result<Vec<PrincipleRow>> {
        let stories = self.stories()?;
        let good = crate::stories::good_stories_per_principle(&stories);
        let mut rows = Vec::with_capacity(PRINCIPLES.len());
        for p in &PRINCIPLES {
            let mut row = PrincipleRow {
                tag: p.tag.to_string(),
                name: BTreeMap::from([("en".to_string(), p.en.to_string()), ("ko".to_string(), p.ko.to_string())]),
                questions_practised: 0,
                questions_total: 0,
                takes: 0,
                rated_stories_good: 0,
                stories: stories.iter().filter(|s| s.fields.principles.iter().any(|t| t == p.tag)).count() as u32,
                stories_rehearsed_good: good.get(p.tag).copied().unwrap_or(0),
                last_practised: None,
                average_rating: None,
                weak: true,
            };
            let (mut rated, mut sum) = (0u32, 0u32);
            for q in questions.iter().filter(|q| q.category == BEHAVIOURAL && q.tags.iter().any(|t| t == p.tag)) {
                let s = self.question_stats(&q.id)?;
                row.questions_total += 1;
                row.questions_practised += u32::from(s.takes > 0);
                row.takes += s.takes;
                row.rated_stories_good += u32::from(s.latest_rating.is_some_and(|r| r >= 3));
                row.last_practised = row.last_practised.max(s.last_started);
                if let Some(r) = s.latest_rating {
                    rated += 1;
                    sum += u32::from(r);
                }
            }
            row.average_rating = (rated > 0).then(|| f64::from(sum) / f64::from(rated));
            row.weak = row.stories_rehearsed_good < STORIES_NEEDED;
            rows.push(row);
        }
        Ok(rows)
    }

    fn question_stats(&self, id: &QuestionId) -> Result<QuestionStats> {
        let (takes, last_started, latest_rating) = self.storage_ref().question_take_stats(id)?;
        Ok(QuestionStats { takes, last_started, latest_rating })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TakeId;

    fn rated(lib: &mut Library, question: &str, rating: u8) -> TakeId {
        let id = lib.commit_test_take(question, None, 48_000);
        lib.rate_take(id, Some(rating)).expect("rate");
        id
    }

    #[test]
    fn the_principle_table_matches_the_tags_of_the_leadership_deck() {
        let (_d, lib) = Library::open_temp();
        let mut deck_tags: Vec<String> = lib
            .storage_ref()
            .questions(Some(&DeckId::from("leadership")))
            .expect("deck")
            .into_iter()
            .flat_map(|q| q.tags)
            .filter(|t| t != "seed")
            .collect();
        deck_tags.sort();
        deck_tags.dedup();
        let mut ours: Vec<String> = PRINCIPLES.iter().map(|p| p.tag.to_string()).collect();
        ours.sort();
        assert_eq!(ours, deck_tags);
    }

    #[test]
    fn the_interview_date_is_validated_stored_and_cleared() {
        let (_d, mut lib) = Library::open_temp();
        let today = time::macros::date!(2026 - 11 - 25);
        assert_eq!(lib.set_interview_date_on(Some("2026-12-03"), today).expect("set").as_deref(), Some("2026-12-03"));
        for bad in ["2026-02-30", "03.12.2026", "2026-1-5", "soon"] {
            let e = lib.set_interview_date(Some(bad)).expect_err("refused");
            assert_eq!(e.kind(), "invalid_date");
            assert!(e.to_string().contains(bad), "{e}");
            assert_eq!(lib.set_setting(INTERVIEW_DATE, Some(bad)).expect_err("also through settings").kind(), "invalid_date");
        }
        assert_eq!(lib.setting(INTERVIEW_DATE).expect("get").as_deref(), Some("2026-12-03"), "unchanged by bad input");
        let now = time::macros::datetime!(2026-11-25 23:30 UTC);
        assert_eq!(lib.readiness(now).expect("r").days_left, Some(8));
        // A day gone by, or absurdly far ahead, is refused with its own kind and changes nothing.
        for (bad, kind) in [("0001-01-01", "date_passed"), ("2026-11-23", "date_passed"), ("2062-11-25", "date_too_far")] {
            let e = lib.set_interview_date_on(Some(bad), today).expect_err("refused");
            assert_eq!(e.kind(), kind, "{bad}: {e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert!(lib.set_interview_date(Some("0001-01-01")).is_err(), "also with the real clock");
        // The window stores the date as a setting: the same range applies there.
        for bad in ["0001-01-01", "2999-01-01"] {
            let kind = lib.set_setting(INTERVIEW_DATE, Some(bad)).expect_err("refused as a setting too").kind();
            assert!(matches!(kind, "date_passed" | "date_too_far"), "{bad}: {kind}");
        }
        assert_eq!(lib.setting(INTERVIEW_DATE).expect("get").as_deref(), Some("2026-12-03"), "unchanged by a refused date");
        for good in ["2026-11-24", "2026-11-25", "2028-11-25"] {
            assert_eq!(lib.set_interview_date_on(Some(good), today).expect(good).as_deref(), Some(good));
        }
        lib.set_interview_date(None).expect("clear");
        let r = lib.readiness(now).expect("r");
        assert_eq!((r.interview_date, r.days_left), (None, None));
    }

    #[test]
    fn readiness_counts_technical_questions_rated_good_this_week_and_principles_with_two_good_stories() {
        let (_d, mut lib) = Library::open_temp();
        let now = OffsetDateTime::now_utc();
        let empty = lib.readiness(now).expect("readiness");
        assert_eq!((empty.technical.rated_good_or_better_last_7_days, empty.principles.with_two_good_stories), (0, 0));
        assert_eq!((empty.technical.total, empty.principles.total, empty.principles.weak.len()), (33, 16, 16));

        rated(&mut lib, "db.deadlock", 3);
        rated(&mut lib, "db.mvcc-mechanisms", 4);
        rated(&mut lib, "db.isolation-levels", 2); // Hard: not ready
        let old = rated(&mut lib, "db.ora-01555", 4); // Easy, but recorded 8 days ago
        let eight_days = format_utc(now - time::Duration::days(8));
        lib.storage()
            .conn_mut()
            .execute("UPDATE takes SET started_at = ?2 WHERE id = ?1", rusqlite::params![old.0, eight_days])
            .expect("age");
        // Good takes alone are no stories: readiness counts the story bank's stories.
        let good_takes = [
            rated(&mut lib, "lp.root-cause-beyond-ticket", 3),
            rated(&mut lib, "lp.outside-your-role", 4),
            rated(&mut lib, "lp.unhappy-customer", 4),
        ];
        let hard = rated(&mut lib, "lp.saying-no-to-customer", 2);
        assert_eq!(lib.readiness(now).expect("readiness").principles.with_two_good_stories, 0);
        // Ownership: two stories rehearsed Good or better. Customer obsession: one such, and
        // one whose only take is Hard. Dive deep: a story never told.
        use crate::stories::tests::story;
        let a = lib.add_story(story("A", &["ownership", "customer-obsession"])).expect("a");
        let b = lib.add_story(story("B", &["ownership"])).expect("b");
        let c = lib.add_story(story("C", &["customer-obsession"])).expect("c");
        lib.add_story(story("D", &["dive-deep"])).expect("d");
        lib.link_take(good_takes[0], Some(a.id)).expect("link");
        lib.link_take(good_takes[1], Some(a.id)).expect("link");
        lib.link_take(good_takes[2], Some(b.id)).expect("link");
        lib.link_take(hard, Some(c.id)).expect("link");

        let r = lib.readiness(now).expect("readiness");
        assert_eq!(r.technical.rated_good_or_better_last_7_days, 2);
        assert!((r.technical.share - 2.0 / 33.0).abs() < 1e-9);
        assert_eq!(r.principles.with_two_good_stories, 1);
        assert!(!r.principles.weak.contains(&"ownership".to_string()) && r.principles.weak.contains(&"customer-obsession".to_string()));
        let grid = lib.principle_grid().expect("grid");
        let co = grid.iter().find(|p| p.tag == "customer-obsession").expect("co");
        assert_eq!((co.stories, co.stories_rehearsed_good), (2, 1));
        // Rating the Hard take Good makes customer obsession ready too.
        lib.rate_take(hard, Some(3)).expect("rerate");
        assert_eq!(lib.readiness(now).expect("readiness").principles.with_two_good_stories, 2);
        lib.rate_take(hard, Some(2)).expect("back to hard");
        assert_eq!(r.principles.weak.len(), 15);
    }

    #[test]
    fn the_principle_grid_has_all_sixteen_with_names_counts_and_weak_marks() {
        let (_d, mut lib) = Library::open_temp();
        rated(&mut lib, "lp.unhappy-customer", 4);
        rated(&mut lib, "lp.unhappy-customer", 2);
        lib.commit_test_take("lp.unhappy-customer", None, 48_000);
        rated(&mut lib, "lp.need-behind-request", 3);
        let grid = lib.principle_grid().expect("grid");
        assert_eq!(grid.len(), 16);
        let c = &grid[0];
        assert_eq!(
            (c.tag.as_str(), c.name["en"].as_str(), c.name["ko"].as_str()),
            ("customer-obsession", "Customer Obsession", "고객 집착")
        );
        assert_eq!((c.questions_total, c.questions_practised, c.takes, c.rated_stories_good), (3, 2, 4, 1));
        assert_eq!(c.average_rating, Some(2.5), "latest ratings: Hard (2) and Good (3)");
        assert!(c.weak && c.last_practised.is_some());
        let o = grid.iter().find(|p| p.tag == "ownership").expect("ownership");
        assert_eq!((o.questions_practised, o.takes, o.average_rating, o.last_practised.as_deref()), (0, 0, None, None));
        assert!(grid.iter().all(|p| p.questions_total >= 2), "every principle has at least two questions");
    }

    #[test]
    fn progress_lists_the_takes_of_a_question_deck_or_principle_oldest_first() {
        let (_d, mut lib) = Library::open_temp();
        let a = rated(&mut lib, "db.deadlock", 2);
        let b = rated(&mut lib, "lp.unhappy-customer", 3);
        let c = rated(&mut lib, "db.deadlock", 4);
        let ids = |s: ProgressScope| lib.progress(&s).expect("progress").iter().map(|p| p.take_id).collect::<Vec<_>>();
        assert_eq!(ids(ProgressScope::Question("db.deadlock".into())), vec![a, c]);
        assert_eq!(ids(ProgressScope::Deck("databases".into())), vec![a, c]);
        assert_eq!(ids(ProgressScope::Principle("customer-obsession".into())), vec![b]);
        let p = lib.progress(&ProgressScope::Question("db.deadlock".into())).expect("p");
        assert_eq!((p[1].rating, p[1].duration_ms, p[1].question_id.as_str()), (Some(4), 1000, "db.deadlock"));
        assert_eq!(lib.progress(&ProgressScope::Question("nope".into())).expect_err("e").kind(), "unknown_question");
        assert_eq!(lib.progress(&ProgressScope::Deck("nope".into())).expect_err("e").kind(), "unknown_deck");
        let e = lib.progress(&ProgressScope::Principle("seed".into())).expect_err("e");
        assert_eq!(e.kind(), "unknown_principle");
        assert!(e.to_string().contains("\"seed\" is not one of the 16") && e.to_string().contains("dive-deep"), "{e}");
    }
}
