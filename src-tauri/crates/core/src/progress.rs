//! Readiness for the interview and progress over time: how many technical questions were
//! answered well lately, which leadership principles have two good stories, and the
//! rating history of a question, deck or principle (for charts).

use std::collections::{BTreeMap, HashSet};

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::metrics_store::PointMetrics;
use crate::model::{DeckId, Question, QuestionId, TakeId};
use crate::query::parse_day;
use crate::time_fmt::format_utc;

/// The setting that holds the interview date (YYYY-MM-DD).
pub const INTERVIEW_DATE: &str = "interview_date";
/// Category of the technical questions.
pub const TECHNICAL: &str = "technical";
/// Category of the behavioural questions (the ones that tell a principle's stories).
pub const BEHAVIOURAL: &str = "behavioural";
/// Good stories a principle needs to count as prepared.
pub const STORIES_NEEDED: u32 = 2;

/// A leadership principle: its tag in the decks and its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principle {
    pub tag: &'static str,
    pub en: &'static str,
    pub ko: &'static str,
}

/// The 16 leadership principles. Tags are those of assets/decks/leadership.toml; the
/// deck file carries no names, so the English ones are those of
/// /work/shared/question-bank.md and the Korean ones the usual Korean renderings.
pub const PRINCIPLES: [Principle; 16] = [
    Principle { tag: "customer-obsession", en: "Customer Obsession", ko: "고객 집착" },
    Principle { tag: "ownership", en: "Ownership", ko: "주인의식" },
    Principle { tag: "invent-and-simplify", en: "Invent and Simplify", ko: "발명하고 단순화하라" },
    Principle { tag: "are-right-a-lot", en: "Are Right, A Lot", ko: "대부분 옳은 판단을 내려라" },
    Principle { tag: "learn-and-be-curious", en: "Learn and Be Curious", ko: "배우고 호기심을 가져라" },
    Principle { tag: "hire-and-develop-the-best", en: "Hire and Develop the Best", ko: "최고의 인재를 채용하고 육성하라" },
    Principle { tag: "insist-on-the-highest-standards", en: "Insist on the Highest Standards", ko: "최고의 기준을 고집하라" },
    Principle { tag: "think-big", en: "Think Big", ko: "크게 생각하라" },
    Principle { tag: "bias-for-action", en: "Bias for Action", ko: "신속하게 행동하라" },
    Principle { tag: "frugality", en: "Frugality", ko: "절약하라" },
    Principle { tag: "earn-trust", en: "Earn Trust", ko: "신뢰를 얻어라" },
    Principle { tag: "dive-deep", en: "Dive Deep", ko: "깊이 파고들어라" },
    Principle { tag: "have-backbone-disagree-and-commit", en: "Have Backbone; Disagree and Commit", ko: "소신을 갖고 반대하되, 결정되면 헌신하라" },
    Principle { tag: "deliver-results", en: "Deliver Results", ko: "결과를 내라" },
    Principle { tag: "strive-to-be-earths-best-employer", en: "Strive to be Earth's Best Employer", ko: "지구 최고의 고용주가 되기 위해 노력하라" },
    Principle { tag: "success-and-scale-bring-broad-responsibility", en: "Success and Scale Bring Broad Responsibility", ko: "성공과 규모에는 폭넓은 책임이 따른다" },
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// YYYY-MM-DD, if set.
    pub interview_date: Option<String>,
    /// Days from today (UTC) to the interview; negative once it is past.
    pub days_left: Option<i64>,
    pub technical: TechnicalReadiness,
    pub principles: PrincipleReadiness,
}

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipleReadiness {
    /// Principles with at least two good stories: behavioural questions with the
    /// principle's tag whose latest rated take is rated Good or Easy.
    pub with_two_good_stories: u32,
    /// 16.
    pub total: u32,
    pub share: f64,
    /// Tags of the principles with fewer than two good stories.
    pub weak: Vec<String>,
}

/// What a progress chart covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressScope {
    Question(QuestionId),
    Deck(DeckId),
    /// A principle's tag.
    Principle(String),
}

/// One take on a progress chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressPoint {
    /// When the take was recorded (RFC 3339, UTC).
    pub at: String,
    pub take_id: TakeId,
    pub question_id: QuestionId,
    pub rating: Option<u8>,
    pub duration_ms: u64,
    /// Speech metrics, once the take has been measured (see `metrics_store`).
    pub metrics: Option<PointMetrics>,
}

/// One principle in the principle grid.
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
    /// Start of the latest take.
    pub last_practised: Option<String>,
    /// Mean of the latest rating of each of its rated questions (how good its stories
    /// are now; early attempts do not drag it down forever).
    pub average_rating: Option<f64>,
    /// Fewer than two good stories.
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
    /// Sets (Some) or clears (None) the interview date, given as YYYY-MM-DD.
    pub fn set_interview_date(&mut self, date: Option<&str>) -> Result<Option<String>> {
        let value = date.map(|d| parse_day("interview date", d.trim()).map(|_| d.trim().to_string())).transpose()?;
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
        let good_this_week: HashSet<String> = {
            let conn = self.storage_ref().conn_ref();
            // Only the week's range of the start index (left to itself, SQLite walks the
            // question index for DISTINCT or the long range of Good and Easy ratings).
            let mut st = conn.prepare_cached("SELECT question_id FROM takes INDEXED BY takes_by_start WHERE started_at >= ?1 AND rating >= 3")?;
            let rows = st.query_map([week_ago], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
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
        let conn = self.storage_ref().conn_ref();
        // Every match is returned: read them through the question index and sort them (the
        // unary + keeps SQLite from walking all takes in time order instead).
        let mut st = conn.prepare_cached(
            "SELECT t.started_at, t.id, t.question_id, t.rating, t.duration_ms,
                    m.take_id, m.first_word_ms, m.speaking_ms, m.silence_ms, m.long_pauses_json
             FROM takes t LEFT JOIN take_metrics m ON m.take_id = t.id
             WHERE t.question_id IN (SELECT value FROM json_each(?1)) ORDER BY +t.started_at, t.id",
        )?;
        let rows = st.query_map([serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())], |r| {
            Ok(ProgressPoint {
                at: r.get(0)?,
                take_id: TakeId(r.get(1)?),
                question_id: QuestionId(r.get(2)?),
                rating: r.get(3)?,
                duration_ms: r.get::<_, i64>(4)?.max(0) as u64,
                metrics: match r.get::<_, Option<i64>>(5)? {
                    Some(_) => Some(PointMetrics::from_columns(r.get(6)?, r.get(7)?, r.get(8)?, &r.get::<_, String>(9)?)),
                    None => None,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The 16 principles with how well each is prepared, in the principles' usual order.
    pub fn principle_grid(&self) -> Result<Vec<PrincipleRow>> {
        self.grid_from(&self.storage_ref().questions(None)?)
    }

    fn grid_from(&self, questions: &[Question]) -> Result<Vec<PrincipleRow>> {
        let mut rows = Vec::with_capacity(PRINCIPLES.len());
        for p in &PRINCIPLES {
            let mut row = PrincipleRow {
                tag: p.tag.to_string(),
                name: BTreeMap::from([("en".to_string(), p.en.to_string()), ("ko".to_string(), p.ko.to_string())]),
                questions_practised: 0,
                questions_total: 0,
                takes: 0,
                rated_stories_good: 0,
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
            row.weak = row.rated_stories_good < STORIES_NEEDED;
            rows.push(row);
        }
        Ok(rows)
    }

    fn question_stats(&self, id: &QuestionId) -> Result<QuestionStats> {
        let conn = self.storage_ref().conn_ref();
        // Both read only the (question, start) index; apart, the max is one seek to the end of
        // the question's range instead of a read of every entry.
        let takes: i64 = conn.prepare_cached("SELECT count(*) FROM takes WHERE question_id = ?1")?.query_row([id.as_str()], |r| r.get(0))?;
        let last_started: Option<String> =
            conn.prepare_cached("SELECT max(started_at) FROM takes WHERE question_id = ?1")?.query_row([id.as_str()], |r| r.get(0))?;
        // The latest recorded take that has a rating: what the answer is worth now.
        let latest_rating: Option<u8> = conn
            .prepare_cached(
                "SELECT rating FROM takes WHERE question_id = ?1 AND rating IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1",
            )?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        Ok(QuestionStats {
            takes: takes.max(0) as u64,
            last_started,
            latest_rating,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(lib.set_interview_date(Some("2026-12-03")).expect("set").as_deref(), Some("2026-12-03"));
        for bad in ["2026-02-30", "03.12.2026", "2026-1-5", "soon"] {
            let e = lib.set_interview_date(Some(bad)).expect_err("refused");
            assert_eq!(e.kind(), "invalid_date");
            assert!(e.to_string().contains(bad), "{e}");
            assert_eq!(lib.set_setting(INTERVIEW_DATE, Some(bad)).expect_err("also through settings").kind(), "invalid_date");
        }
        assert_eq!(lib.setting(INTERVIEW_DATE).expect("get").as_deref(), Some("2026-12-03"), "unchanged by bad input");
        let now = time::macros::datetime!(2026-11-25 23:30 UTC);
        assert_eq!(lib.readiness(now).expect("r").days_left, Some(8));
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
        lib.storage().conn_mut().execute("UPDATE takes SET started_at = ?2 WHERE id = ?1", rusqlite::params![old.0, eight_days]).expect("age");
        // Ownership: two good stories. Customer obsession: one good, one whose latest take fell to Hard.
        rated(&mut lib, "lp.root-cause-beyond-ticket", 3);
        rated(&mut lib, "lp.outside-your-role", 4);
        rated(&mut lib, "lp.unhappy-customer", 4);
        rated(&mut lib, "lp.saying-no-to-customer", 4);
        rated(&mut lib, "lp.saying-no-to-customer", 2);

        let r = lib.readiness(now).expect("readiness");
        assert_eq!(r.technical.rated_good_or_better_last_7_days, 2);
        assert!((r.technical.share - 2.0 / 33.0).abs() < 1e-9);
        assert_eq!(r.principles.with_two_good_stories, 1);
        assert!(!r.principles.weak.contains(&"ownership".to_string()) && r.principles.weak.contains(&"customer-obsession".to_string()));
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
        assert_eq!((c.tag.as_str(), c.name["en"].as_str(), c.name["ko"].as_str()), ("customer-obsession", "Customer Obsession", "고객 집착"));
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
