//! The library view's list of takes, as SQL: filters, search, sorts and pages that stay
//! instant at 100,000 takes. Question-level filters (deck, category, tag, text search) are
//! resolved to a set of question ids first (few rows, full Unicode case folding in Rust);
//! the take query then walks the index of the chosen sort and stops after one page, unless
//! the filters are so selective that reading the matches through their own index and
//! sorting them is cheaper (`Storage::mode`). "Best only" reads the partial index of the
//! best takes (v7). Totals without a date range or "best only" are sums over `take_counts`
//! (v8, kept by triggers); the others are one count over the index serving the filters.
//! `Library::query_takes` (practice/query.rs) is the feature's door to it.
//!
//! Length: the query planner (filters, search, sorts, keyset pages) is one unit of about 500
//! lines; the rest is its tests, including the 100,000-take plans.

use std::collections::{BTreeMap, HashMap};

use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use super::takes::{take_columns_of, take_from_row};
use super::Storage;
use crate::error::{echo, CoreError, Result};
use crate::model::schedule::LEECH_AGAINS;
use crate::model::{DeckId, QuestionId, Take};
use crate::time_fmt::parse_day;

/// A rating to filter on.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RatingFilter {
    Again,
    Hard,
    Good,
    Easy,
    Unrated,
}

impl RatingFilter {
    fn value(self) -> Option<u8> {
        match self {
            RatingFilter::Again => Some(1),
            RatingFilter::Hard => Some(2),
            RatingFilter::Good => Some(3),
            RatingFilter::Easy => Some(4),
            RatingFilter::Unrated => None,
        }
    }
}

impl std::str::FromStr for RatingFilter {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "again" | "1" => Ok(RatingFilter::Again),
            "hard" | "2" => Ok(RatingFilter::Hard),
            "good" | "3" => Ok(RatingFilter::Good),
            "easy" | "4" => Ok(RatingFilter::Easy),
            "unrated" | "none" => Ok(RatingFilter::Unrated),
            other => Err(format!("rating \"{}\" is not one of again, hard, good, easy, unrated", echo(other))),
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Start time (then id).
    #[default]
    Date,
    /// Rating (unrated counts as lowest), then start time.
    Rating,
    /// Length of the take.
    Duration,
}

impl std::str::FromStr for SortKey {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "date" => Ok(SortKey::Date),
            "rating" => Ok(SortKey::Rating),
            "duration" => Ok(SortKey::Duration),
            other => Err(format!("sort \"{}\" is not one of date, rating, duration", echo(other))),
        }
    }
}

/// What the library view asks for. Every field is optional in JSON; the default is the
/// newest 50 takes.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TakeQuery {
    pub deck: Option<DeckId>,
    pub category: Option<String>,
    /// A question tag (a behavioural question's principle slug, "seed", ...).
    pub tag: Option<String>,
    /// Any of these ratings; empty means any.
    pub ratings: Vec<RatingFilter>,
    /// First day (YYYY-MM-DD, UTC), inclusive.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, UTC), inclusive.
    pub to: Option<String>,
    /// Any of ok, recovered, damaged; empty means any.
    pub statuses: Vec<String>,
    /// Only takes marked best.
    pub best_only: bool,
    /// Case-insensitive substring of the question's text in any language.
    pub search: Option<String>,
    /// Words said in the take (its transcript), case-insensitive, any part of a word: "what I said".
    pub said: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    /// 1..=1000.
    pub limit: u32,
    pub offset: u64,
}

impl Default for TakeQuery {
    fn default() -> Self {
        TakeQuery {
            deck: None,
            category: None,
            tag: None,
            ratings: Vec::new(),
            from: None,
            to: None,
            statuses: Vec::new(),
            best_only: false,
            search: None,
            said: None,
            sort: SortKey::Date,
            descending: true,
            limit: 50,
            offset: 0,
        }
    }
}

pub const MAX_PAGE: u32 = 1000;
pub const STATUSES: [&str; 3] = ["ok", "recovered", "damaged"];

/// One line of the library view.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LibraryRow {
    pub take: Take,
    pub question_text: BTreeMap<String, String>,
    pub deck_id: DeckId,
    pub category: String,
    pub tags: Vec<String>,
    /// The question was rated Again three times or more: "rework this answer".
    pub leech: bool,
}

/// One page of the list and how many takes match in all.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakePage {
    pub total: u64,
    pub rows: Vec<LibraryRow>,
}

/// Text as the search compares it: NFC (decks keep Korean as written, composed or
/// decomposed) and lower case in full Unicode.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect::<String>().to_lowercase()
}

fn day_start(d: time::Date) -> String {
    crate::time_fmt::format_utc(d.midnight().assume_utc())
}

/// The WHERE clause of a query, its arguments, and whether any filter is set.
struct Filter {
    conds: Vec<String>,
    args: Vec<Value>,
    /// The same filters over `take_counts` (conditions, arguments), when they can be
    /// answered there: no date range, not "best only".
    counts: Option<(Vec<String>, Vec<Value>)>,
    /// Only the takes marked best: read through their partial index `takes_best`.
    best: bool,
    /// No question matches the question-level filters: nothing can match.
    empty: bool,
}

impl Storage {
    /// The library view's page of takes.
    pub fn query_takes(&self, q: &TakeQuery) -> Result<TakePage> {
        let filter = self.filter(q)?;
        if filter.empty {
            return Ok(TakePage { total: 0, rows: Vec::new() });
        }
        let conn = self.conn_ref();
        // The count and the page are two statements, not one read transaction: wrapping them
        // in BEGIN ... ROLLBACK measured 20-90 % slower, and a write landing between them at
        // worst makes the total differ by that write until the next refresh.
        let mut args = filter.args.clone();
        args.push(Value::Integer(i64::from(q.limit)));
        args.push(Value::Integer(q.offset.min(i64::MAX as u64) as i64));
        let total = count(conn, q, &filter)?;
        if total == 0 || q.offset >= total as u64 {
            return Ok(TakePage { total: total as u64, rows: Vec::new() });
        }
        let mut st = conn.prepare_cached(&self.page_sql(q, &filter, self.mode(q, &filter, total as u64)?)?)?;
        let takes = st.query_map(rusqlite::params_from_iter(args.iter()), take_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut info: HashMap<QuestionId, QuestionInfo> = HashMap::new();
        let mut rows = Vec::with_capacity(takes.len());
        for take in takes {
            if !info.contains_key(&take.question_id) {
                info.insert(take.question_id.clone(), self.question_info(&take.question_id)?);
            }
            let qi = &info[&take.question_id];
            rows.push(LibraryRow {
                question_text: qi.text.clone(),
                deck_id: qi.deck_id.clone(),
                category: qi.category.clone(),
                tags: qi.tags.clone(),
                leech: qi.leech,
                take,
            });
        }
        Ok(TakePage { total: total as u64, rows })
    }

    /// SQLite's plan for the page query (diagnostics for tests and the benchmark).
    pub fn explain_take_query(&self, q: &TakeQuery) -> Result<Vec<String>> {
        let filter = self.filter(q)?;
        let mode = self.mode(q, &filter, self.query_takes(q)?.total.max(1))?;
        let sql = format!("EXPLAIN QUERY PLAN {}", self.page_sql(q, &filter, mode)?);
        let mut args = filter.args.clone();
        args.extend([Value::Integer(i64::from(q.limit)), Value::Integer(q.offset as i64)]);
        let conn = self.conn_ref();
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn filter(&self, q: &TakeQuery) -> Result<Filter> {
        if q.limit == 0 || q.limit > MAX_PAGE {
            return Err(CoreError::InvalidQuery(format!("page size {} is not between 1 and {MAX_PAGE}", q.limit)));
        }
        let mut f = Filter { conds: Vec::new(), args: Vec::new(), counts: None, best: q.best_only, empty: false };
        let (mut counted, mut counted_args): (Vec<String>, Vec<Value>) = (Vec::new(), Vec::new());
        if let Some(deck) = &q.deck {
            if !self.decks()?.iter().any(|d| &d.id == deck) {
                return Err(CoreError::UnknownDeck(deck.to_string()));
            }
        }
        let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(fold);
        let category = q.category.as_deref().filter(|s| !s.is_empty());
        let tag = q.tag.as_deref().filter(|s| !s.is_empty());
        if q.deck.is_some() || category.is_some() || tag.is_some() || search.is_some() {
            let ids = self.matching_questions(q.deck.as_ref(), category, tag, search.as_deref())?;
            if ids.is_empty() {
                f.empty = true;
            }
            let json = Value::Text(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()));
            f.conds.push("t.question_id IN (SELECT value FROM json_each(?))".into());
            f.args.push(json.clone());
            counted.push("question_id IN (SELECT value FROM json_each(?))".into());
            counted_args.push(json);
        }
        if !q.ratings.is_empty() {
            let mut values: Vec<u8> = q.ratings.iter().filter_map(|r| r.value()).collect();
            values.sort_unstable();
            values.dedup();
            let list = values.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
            let unrated = q.ratings.contains(&RatingFilter::Unrated);
            f.conds.push(match (values.is_empty(), unrated) {
                (true, _) => "t.rating IS NULL".into(),
                (false, false) => format!("t.rating IN ({list})"),
                (false, true) => format!("(t.rating IN ({list}) OR t.rating IS NULL)"),
            });
            // take_counts keeps unrated takes under rating 0.
            let counted_list = match (unrated, values.is_empty()) {
                (true, true) => "0".to_string(),
                (true, false) => format!("0, {list}"),
                (false, _) => list.clone(),
            };
            counted.push(format!("rating IN ({counted_list})"));
        }
        let from = q.from.as_deref().map(|d| parse_day("from", d)).transpose()?;
        let to = q.to.as_deref().map(|d| parse_day("to", d)).transpose()?;
        if let (Some(a), Some(b)) = (from, to) {
            if a > b {
                return Err(CoreError::InvalidQuery(format!("the first day {a} is after the last day {b}")));
            }
        }
        if let Some(d) = from {
            f.conds.push("t.started_at >= ?".into());
            f.args.push(Value::Text(day_start(d)));
        }
        if let Some(d) = to {
            f.conds.push("t.started_at < ?".into());
            // The end of the last day is the start of the next; the year 9999 has none.
            f.args.push(Value::Text(d.next_day().map(day_start).unwrap_or_else(|| "9999-12-31T24".into())));
        }
        if !q.statuses.is_empty() {
            if let Some(bad) = q.statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
                return Err(CoreError::InvalidQuery(format!("status \"{}\" is not one of ok, recovered, damaged", echo(bad))));
            }
            f.conds.push(format!("t.status IN ({})", vec!["?"; q.statuses.len()].join(", ")));
            f.args.extend(q.statuses.iter().map(|s| Value::Text(s.clone())));
            counted.push(format!("status IN ({})", vec!["?"; q.statuses.len()].join(", ")));
            counted_args.extend(q.statuses.iter().map(|s| Value::Text(s.clone())));
        }
        if q.best_only {
            f.conds.push("t.best = 1".into());
        }
        // What was said: a set of takes from the transcripts' full-text index, which
        // take_counts cannot answer.
        let said = q.said.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(needle) = said {
            f.conds.push(super::transcripts::said_condition(needle, "?"));
            f.args.push(Value::Text(super::transcripts::said_parameter(needle)));
        }
        if from.is_none() && to.is_none() && !q.best_only && said.is_none() {
            f.counts = Some((counted, counted_args));
        }
        Ok(f)
    }

    /// Ids of the questions (retired ones too: their takes stay) matching the
    /// question-level filters.
    fn matching_questions(
        &self,
        deck: Option<&DeckId>,
        category: Option<&str>,
        tag: Option<&str>,
        search: Option<&str>,
    ) -> Result<Vec<String>> {
        let conn = self.conn_ref();
        let mut st = conn.prepare_cached(
            "SELECT id, category, tags_json, text_json FROM questions WHERE (?1 IS NULL OR deck_id = ?1) AND (?2 IS NULL OR category = ?2)",
        )?;
        let rows = st.query_map(rusqlite::params![deck.map(DeckId::as_str), category], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut ids = Vec::new();
        for row in rows {
            let (id, _category, tags, text) = row?;
            if let Some(tag) = tag {
                let tags: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
                if !tags.iter().any(|t| t == tag) {
                    continue;
                }
            }
            if let Some(needle) = search {
                let text: BTreeMap<String, String> = serde_json::from_str(&text).unwrap_or_default();
                if !text.values().any(|t| fold(t).contains(needle)) {
                    continue;
                }
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// With no filter, or filters that match a large share of the takes, the page query
    /// walks the sort's own index and stops after one page; with selective filters it reads
    /// the matches through the index that serves the filters and sorts them. Whichever reads
    /// less, by the costs below.
    fn mode(&self, q: &TakeQuery, f: &Filter, total: u64) -> Result<Mode> {
        if f.conds.is_empty() {
            return Ok(Mode::Ordered);
        }
        // Entries the ordered walk reads ≈ (offset + limit) / share of takes matching.
        let all: i64 = self.conn_ref().query_row("SELECT coalesce(max(id), 0) FROM takes", [], |r| r.get(0))?;
        let wanted = q.offset.saturating_add(u64::from(q.limit));
        let walk = wanted.saturating_mul(all.max(0) as u64) / total.max(1);
        let per_entry = if q.sort == SortKey::Date { WALK_TABLE_ORDER } else { WALK_INDEX_ONLY };
        let ordered = walk.saturating_mul(per_entry);
        let matches = total.max(wanted).saturating_mul(READ_MATCH);
        Ok(if ordered <= matches { Mode::Ordered } else { Mode::Matches })
    }

    fn page_sql(&self, q: &TakeQuery, f: &Filter, mode: Mode) -> Result<String> {
        let dir = if q.descending { "DESC" } else { "ASC" };
        let (index, order) = match q.sort {
            SortKey::Date => ("takes_by_start", format!("t.started_at {dir}, t.id {dir}")),
            SortKey::Rating => ("takes_by_rating_filtered", format!("t.rating {dir}, t.started_at {dir}, t.id {dir}")),
            SortKey::Duration => ("takes_by_duration_filtered", format!("t.duration_ms {dir}, t.id {dir}")),
        };
        // The best takes are few (one per question): read them through their partial index,
        // in order for the date sort, and sort them for the others.
        let hint = if f.best {
            " INDEXED BY takes_best".to_string()
        } else if mode == Mode::Ordered {
            format!(" INDEXED BY {index}")
        } else {
            String::new()
        };
        let cols = take_columns_of("t");
        Ok(format!("SELECT {cols} FROM takes t{hint}{} ORDER BY {order} LIMIT ? OFFSET ?", where_clause(f)))
    }

    fn question_info(&self, id: &QuestionId) -> Result<QuestionInfo> {
        let conn = self.conn_ref();
        let mut st = conn.prepare_cached(
            "SELECT q.deck_id, q.category, q.tags_json, q.text_json, coalesce(s.agains, 0)
             FROM questions q LEFT JOIN schedule s ON s.question_id = q.id WHERE q.id = ?1",
        )?;
        let info = st.query_row([id.as_str()], |r| {
            Ok(QuestionInfo {
                deck_id: DeckId(r.get(0)?),
                category: r.get(1)?,
                tags: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                text: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                leech: r.get::<_, i64>(4)? >= LEECH_AGAINS,
            })
        });
        match info {
            Ok(i) => Ok(i),
            Err(rusqlite::Error::QueryReturnedNoRows) => Err(CoreError::UnknownQuestion(id.to_string())),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Walk the sort's index, stop after the page.
    Ordered,
    /// Leave the plan to SQLite, which reads the matches through the index that serves the
    /// filters best (question, rating, status, date or their pairs) and sorts them unless
    /// that index is already in the page's order.
    Matches,
}

// Relative costs (measured at 100,000 takes, 1 = 0.1 µs) of the two ways to read a page.
/// An entry of the date index walked: the take is read to test the filters the index does
/// not hold, in table order (ids grow with time), about 0.3 µs.
const WALK_TABLE_ORDER: u64 = 3;
/// An entry of the rating or duration index walked: they hold every filtered column
/// (question, rating, status, start time), so only the matches are read from the table,
/// about 0.1 µs. (In duration order the takes are scattered over the table: reading each
/// was 0.75 µs.)
const WALK_INDEX_ONLY: u64 = 1;
/// A match read through the index that serves the filters, from a scattered place in the
/// table, then sorted: about 1 µs. "Ownership + easy" (349 of 100,000 takes, newest first)
/// walked 14,300 entries of the date index in 5 ms; read and sorted, 0.5 ms.
const READ_MATCH: u64 = 10;

struct QuestionInfo {
    deck_id: DeckId,
    category: String,
    tags: Vec<String>,
    text: BTreeMap<String, String>,
    leech: bool,
}

/// How many takes match. Without a date range or "best only", a sum over `take_counts`
/// (a few rows per question, kept by triggers: no take is read, and no count has to be
/// taken again after a write). "Best only" counts the few entries of `takes_best`. With a
/// date range, one count over the covering index that serves the filters (for ratings,
/// questions and start time: `takes_by_rating_question`); "again or unrated" is counted as
/// two disjoint counts added up: each reads its own ranges of the index, where one `OR`
/// made SQLite merge the ranges and remove duplicates (three times slower at 100,000 takes).
fn count(conn: &rusqlite::Connection, q: &TakeQuery, f: &Filter) -> Result<i64> {
    let (sql, args) = count_sql(q, f);
    Ok(conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?)
}

/// The statement that counts the matches (see `count`) and its arguments.
fn count_sql(q: &TakeQuery, f: &Filter) -> (String, Vec<Value>) {
    if let Some((conds, args)) = &f.counts {
        return (format!("SELECT coalesce(sum(n), 0) FROM take_counts{}", where_of(conds)), args.clone());
    }
    if f.best {
        return (format!("SELECT count(*) FROM takes t INDEXED BY takes_best{}", where_clause(f)), f.args.clone());
    }
    match f.conds.iter().position(|c| c.starts_with("(t.rating IN")) {
        Some(i) => {
            let values: Vec<String> = q.ratings.iter().filter_map(|r| r.value()).map(|v| v.to_string()).collect();
            let mut with_rated = f.conds.clone();
            with_rated[i] = format!("t.rating IN ({})", values.join(", "));
            let mut with_null = f.conds.clone();
            with_null[i] = "t.rating IS NULL".into();
            let sql = format!(
                "SELECT (SELECT count(*) FROM takes t{}) + (SELECT count(*) FROM takes t{})",
                where_of(&with_rated),
                where_of(&with_null)
            );
            (sql, f.args.iter().chain(f.args.iter()).cloned().collect())
        }
        None => (format!("SELECT count(*) FROM takes t{}", where_clause(f)), f.args.clone()),
    }
}

fn where_clause(f: &Filter) -> String {
    where_of(&f.conds)
}

fn where_of(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Library;
    use crate::model::TakeId;

    use crate::rng::SplitMix64 as Rng;

    /// `n` takes over random questions, days, ratings, statuses and lengths.
    fn library_with_takes(n: usize, seed: u64) -> (tempfile::TempDir, Library) {
        let (dir, mut lib) = Library::open_temp();
        let questions: Vec<String> = lib.questions().expect("questions").into_iter().map(|q| q.id.0).collect();
        let mut rng = Rng(seed);
        for _ in 0..n {
            let q = &questions[rng.below(questions.len() as u64) as usize];
            let id = lib.commit_test_take(q, None, 4_800 * (1 + rng.below(200)));
            let day = 1 + rng.below(28);
            let started = format!("2026-{:02}-{day:02}T{:02}:{:02}:00.000Z", 1 + rng.below(3), rng.below(24), rng.below(60));
            let rating = match rng.below(5) {
                0 => None,
                r => Some(r as i64),
            };
            let status = ["ok", "ok", "ok", "recovered", "damaged"][rng.below(5) as usize];
            lib.storage()
                .conn_mut()
                .execute(
                    "UPDATE takes SET started_at = ?2, rating = ?3, rated_at = CASE WHEN ?3 IS NULL THEN NULL ELSE ?2 END, status = ?4 WHERE id = ?1",
                    rusqlite::params![id.0, started, rating, status],
                )
                .expect("shape the take");
            if rng.below(10) == 0 {
                lib.storage().set_best(id).expect("best");
            }
        }
        (dir, lib)
    }

    /// What the query must return, computed the slow and obvious way.
    fn expected(lib: &Library, q: &TakeQuery) -> (u64, Vec<TakeId>) {
        let questions: HashMap<QuestionId, crate::model::Question> =
            lib.storage_ref().questions(None).expect("questions").into_iter().map(|q| (q.id.clone(), q)).collect();
        let needle = q.search.as_ref().map(|s| s.trim().to_lowercase());
        let mut takes: Vec<Take> = lib
            .takes(None)
            .expect("takes")
            .into_iter()
            .filter(|t| {
                let qu = &questions[&t.question_id];
                q.deck.as_ref().is_none_or(|d| &qu.deck_id == d)
                    && q.category.as_ref().is_none_or(|c| &qu.category == c)
                    && q.tag.as_ref().is_none_or(|tag| qu.tags.contains(tag))
                    && needle.as_ref().is_none_or(|n| qu.text.values().any(|v| v.to_lowercase().contains(n.as_str())))
                    && (q.ratings.is_empty() || q.ratings.iter().any(|r| r.value() == t.rating))
                    && q.from.as_ref().is_none_or(|f| t.started_at.as_str() >= f.as_str())
                    && q.to.as_ref().is_none_or(|to| &t.started_at[..10] <= to.as_str())
                    && (q.statuses.is_empty() || q.statuses.contains(&t.status))
                    && (!q.best_only || t.best)
            })
            .collect();
        takes.sort_by(|a, b| {
            let key = |t: &Take| match q.sort {
                SortKey::Date => (0, t.started_at.clone(), 0, t.id.0),
                SortKey::Rating => (t.rating.unwrap_or(0), t.started_at.clone(), 0, t.id.0),
                SortKey::Duration => (0, String::new(), t.duration_ms, t.id.0),
            };
            if q.descending {
                key(b).cmp(&key(a))
            } else {
                key(a).cmp(&key(b))
            }
        });
        let total = takes.len() as u64;
        (total, takes.into_iter().skip(q.offset as usize).take(q.limit as usize).map(|t| t.id).collect())
    }

    #[test]
    fn every_filter_search_and_sort_returns_exactly_the_takes_a_full_scan_finds() {
        let (_d, lib) = library_with_takes(400, 7);
        let mut rng = Rng(99);
        let ratings = [RatingFilter::Again, RatingFilter::Hard, RatingFilter::Good, RatingFilter::Easy, RatingFilter::Unrated];
        let searches = ["DEADLOCK", "customer", "데이터베이스", "고객", "ora-01555", "zzz-nothing"];
        for round in 0..400 {
            let mut q = TakeQuery {
                sort: [SortKey::Date, SortKey::Rating, SortKey::Duration][rng.below(3) as usize],
                descending: rng.below(2) == 0,
                limit: [1, 7, 50][rng.below(3) as usize],
                offset: [0, 0, 3, 40][rng.below(4) as usize],
                ..TakeQuery::default()
            };
            match rng.below(9) {
                0 => q.deck = Some(DeckId::from(["databases", "leadership"][rng.below(2) as usize])),
                1 => q.category = Some(["technical", "behavioural"][rng.below(2) as usize].into()),
                2 => q.tag = Some(["ownership", "seed", "customer-obsession"][rng.below(3) as usize].into()),
                3 => q.search = Some(searches[rng.below(searches.len() as u64) as usize].into()),
                4 => q.ratings = (0..1 + rng.below(3)).map(|_| ratings[rng.below(5) as usize]).collect(),
                5 => {
                    q.from = Some(format!("2026-0{}-10", 1 + rng.below(2)));
                    q.to = Some("2026-02-20".into());
                }
                6 => q.statuses = vec![["ok", "recovered", "damaged"][rng.below(3) as usize].into()],
                7 => q.best_only = true,
                _ => {}
            }
            if rng.below(3) == 0 {
                q.ratings.push(RatingFilter::Good);
                q.statuses.push("ok".into());
            }
            // Combinations: questions, ratings and a date range at once (counted on the
            // covering index); "best only" with a date range (the partial index).
            match rng.below(4) {
                0 => {
                    q.deck = Some(DeckId::from("leadership"));
                    q.ratings.extend([RatingFilter::Easy, [RatingFilter::Unrated, RatingFilter::Hard][rng.below(2) as usize]]);
                    q.from = Some("2026-02-01".into());
                }
                1 => {
                    q.best_only = true;
                    q.from = Some("2026-01-15".into());
                }
                _ => {}
            }
            let page = lib.query_takes(&q).expect("query");
            let (total, ids) = expected(&lib, &q);
            assert_eq!(page.total, total, "round {round}: {q:?}");
            assert_eq!(page.rows.iter().map(|r| r.take.id).collect::<Vec<_>>(), ids, "round {round}: {q:?}");
        }
    }

    /// Ids of the page read in `mode`, whatever mode the size of the result would choose.
    fn page_in_mode(lib: &Library, q: &TakeQuery, mode: Mode) -> (Vec<TakeId>, String) {
        let f = lib.storage_ref().filter(q).expect("filter");
        let mut args = f.args.clone();
        args.extend([Value::Integer(i64::from(q.limit)), Value::Integer(q.offset as i64)]);
        let sql = lib.storage_ref().page_sql(q, &f, mode).expect("sql");
        let conn = lib.storage_ref().conn_ref();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain")
            .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(3))
            .expect("plan")
            .collect::<rusqlite::Result<_>>()
            .expect("plan rows");
        let ids = conn
            .prepare(&sql)
            .expect("prepare")
            .query_map(rusqlite::params_from_iter(args.iter()), take_from_row)
            .expect("query")
            .map(|t| t.expect("row").id)
            .collect();
        (ids, plan.join(" | "))
    }

    #[test]
    fn reading_all_matches_and_walking_the_sort_index_give_the_same_pages() {
        let (_d, lib) = library_with_takes(300, 3);
        let queries = [
            TakeQuery { best_only: true, ..TakeQuery::default() },
            TakeQuery { best_only: true, sort: SortKey::Rating, descending: false, ..TakeQuery::default() },
            TakeQuery { best_only: true, from: Some("2026-02-01".into()), sort: SortKey::Duration, ..TakeQuery::default() },
            TakeQuery { tag: Some("ownership".into()), sort: SortKey::Duration, ..TakeQuery::default() },
            TakeQuery {
                statuses: vec!["damaged".into(), "recovered".into()],
                ratings: vec![RatingFilter::Hard],
                sort: SortKey::Duration,
                descending: false,
                ..TakeQuery::default()
            },
            TakeQuery {
                from: Some("2026-01-20".into()),
                to: Some("2026-02-03".into()),
                sort: SortKey::Duration,
                offset: 2,
                ..TakeQuery::default()
            },
            TakeQuery {
                deck: Some("leadership".into()),
                ratings: vec![RatingFilter::Good, RatingFilter::Easy],
                from: Some("2026-02-01".into()),
                ..TakeQuery::default()
            },
            TakeQuery { statuses: vec!["damaged".into()], sort: SortKey::Rating, descending: false, ..TakeQuery::default() },
            TakeQuery {
                search: Some("데드락".into()),
                ratings: vec![RatingFilter::Unrated, RatingFilter::Easy],
                limit: 3,
                offset: 1,
                ..TakeQuery::default()
            },
            TakeQuery { from: Some("2026-02-01".into()), to: Some("2026-02-03".into()), ..TakeQuery::default() },
        ];
        for q in &queries {
            let (ordered, ordered_plan) = page_in_mode(&lib, q, Mode::Ordered);
            let (matches, matches_plan) = page_in_mode(&lib, q, Mode::Matches);
            assert_eq!(ordered, matches, "{q:?}");
            assert_eq!(ordered, expected(&lib, q).1, "{q:?}");
            if q.best_only {
                // The few best takes: through their partial index either way, sorted unless by date.
                assert!(ordered_plan.contains("takes_best") && matches_plan.contains("takes_best"), "{ordered_plan} / {matches_plan}");
                assert_eq!(ordered_plan.contains("TEMP B-TREE"), q.sort != SortKey::Date, "{ordered_plan}");
            } else {
                assert!(!ordered_plan.contains("TEMP B-TREE"), "{ordered_plan}");
            }
            if q.tag.is_some() {
                assert!(
                    matches_plan.contains("takes_by_question") && matches_plan.contains("TEMP B-TREE"),
                    "reads the matches, then sorts: {matches_plan}"
                );
            }
        }
    }

    /// SQLite's plan for counting the matches of `q`.
    fn count_plan(lib: &Library, q: &TakeQuery) -> String {
        let f = lib.storage_ref().filter(q).expect("filter");
        let (sql, args) = count_sql(q, &f);
        let conn = lib.storage_ref().conn_ref();
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let plan = st.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get::<_, String>(3)).expect("plan");
        plan.collect::<rusqlite::Result<Vec<_>>>().expect("plan rows").join(" | ")
    }

    #[test]
    fn totals_are_sums_of_kept_counts_or_counts_over_the_best_or_a_covering_index() {
        let (_d, lib) = library_with_takes(200, 5);
        let leadership = || Some(DeckId::from("leadership"));
        // Questions, ratings, statuses, no date: the counts table, no take read.
        for q in [
            TakeQuery::default(),
            TakeQuery { deck: leadership(), ..TakeQuery::default() },
            TakeQuery {
                tag: Some("ownership".into()),
                ratings: vec![RatingFilter::Unrated, RatingFilter::Good],
                statuses: vec!["ok".into()],
                ..TakeQuery::default()
            },
            TakeQuery { ratings: vec![RatingFilter::Unrated], ..TakeQuery::default() },
            TakeQuery { statuses: vec!["damaged".into()], sort: SortKey::Duration, ..TakeQuery::default() },
        ] {
            let plan = count_plan(&lib, &q);
            assert!(plan.contains("take_counts") && !plan.contains("takes"), "{q:?}: {plan}");
            assert_eq!(lib.query_takes(&q).expect("q").total, expected(&lib, &q).0, "{q:?}");
        }
        // Best only: the partial index of the best takes, for the total and the page.
        let q = TakeQuery { best_only: true, ratings: vec![RatingFilter::Good, RatingFilter::Unrated], ..TakeQuery::default() };
        assert!(count_plan(&lib, &q).contains("USING INDEX takes_best"), "{}", count_plan(&lib, &q));
        assert!(lib.explain_take_query(&q).expect("plan").join(" | ").contains("takes_best"));
        assert_eq!(lib.query_takes(&q).expect("q").total, expected(&lib, &q).0);
        // Questions with ratings and a date range: the covering index of rating, question and
        // start time, "good or unrated" as two counts.
        for ratings in [vec![RatingFilter::Good, RatingFilter::Easy], vec![RatingFilter::Good, RatingFilter::Unrated]] {
            let q = TakeQuery { deck: leadership(), ratings, from: Some("2026-02-01".into()), ..TakeQuery::default() };
            let plan = count_plan(&lib, &q);
            assert!(plan.contains("COVERING INDEX takes_by_rating_question (rating=? AND question_id=? AND started_at>?)"), "{plan}");
            assert_eq!(lib.query_takes(&q).expect("q").total, expected(&lib, &q).0, "{q:?}");
        }
    }

    #[test]
    fn each_page_is_read_the_cheaper_way_walking_the_sort_index_or_reading_the_matches() {
        let (_d, lib) = library_with_takes(400, 9);
        let mode = |q: &TakeQuery| {
            lib.storage_ref().mode(q, &lib.storage_ref().filter(q).expect("filter"), lib.query_takes(q).expect("q").total).expect("mode")
        };
        let plan = |q: &TakeQuery| lib.explain_take_query(q).expect("plan").join(" | ");
        let check = |q: &TakeQuery| {
            let page = lib.query_takes(q).expect("q");
            assert_eq!((page.total, page.rows.iter().map(|r| r.take.id).collect::<Vec<_>>()), expected(&lib, q), "{q:?}");
        };
        // Half the takes: the date index is walked and the walk stops after the page.
        let broad = TakeQuery { category: Some("behavioural".into()), ..TakeQuery::default() };
        assert_eq!(mode(&broad), Mode::Ordered);
        assert!(plan(&broad).contains("takes_by_start") && !plan(&broad).contains("TEMP B-TREE"), "{}", plan(&broad));
        // A few takes of one principle rated Easy: read from the Easy ones (in date order in
        // takes_by_rating_filtered, or through takes_by_rating_question), not by walking
        // every take.
        let few = TakeQuery { tag: Some("ownership".into()), ratings: vec![RatingFilter::Easy], ..TakeQuery::default() };
        assert!(lib.query_takes(&few).expect("q").total > 0);
        assert_eq!(mode(&few), Mode::Matches);
        assert!(plan(&few).contains("USING INDEX takes_by_rating") && plan(&few).contains("(rating=?"), "{}", plan(&few));
        // One status, a long page: read through the status index, which is in date order.
        let damaged = TakeQuery { statuses: vec!["damaged".into()], limit: 200, ..TakeQuery::default() };
        assert_eq!(mode(&damaged), Mode::Matches);
        assert!(
            plan(&damaged).contains("takes_by_status_filtered (status=?)") && !plan(&damaged).contains("TEMP B-TREE"),
            "{}",
            plan(&damaged)
        );
        // The same by duration: the duration index holds the status, walking it is cheaper.
        let by_length = TakeQuery { sort: SortKey::Duration, ..damaged.clone() };
        assert_eq!(mode(&by_length), Mode::Ordered);
        assert!(
            plan(&by_length).contains("takes_by_duration_filtered") && !plan(&by_length).contains("TEMP B-TREE"),
            "{}",
            plan(&by_length)
        );
        let dated = TakeQuery {
            from: Some("2026-01-01".into()),
            to: Some("2026-01-14".into()),
            sort: SortKey::Duration,
            descending: false,
            ..TakeQuery::default()
        };
        for q in [broad, few, damaged, by_length, dated] {
            check(&q);
        }
    }

    #[test]
    fn totals_stay_exact_for_takes_brought_by_an_archive_import_and_by_recovery() {
        let (dir, lib) = library_with_takes(120, 17);
        let zip = dir.path().join("all.zip");
        lib.export_all(&zip, false).expect("export");
        let (mut other, _) = Library::open_importing(crate::paths::DataDir::new(dir.path().join("other")), &zip).expect("import");
        let queries = [
            TakeQuery::default(),
            TakeQuery { deck: Some(DeckId::from("databases")), ..TakeQuery::default() },
            TakeQuery { statuses: vec!["damaged".into()], ..TakeQuery::default() },
            TakeQuery { statuses: vec!["recovered".into()], ratings: vec![RatingFilter::Unrated], ..TakeQuery::default() },
            TakeQuery { ratings: vec![RatingFilter::Good], tag: Some("seed".into()), ..TakeQuery::default() },
        ];
        let check = |lib: &Library, when: &str| {
            let (kept, counted) = crate::storage::tests::take_counts_and_full_count(lib.storage_ref().conn_ref());
            assert_eq!(kept, counted, "{when}");
            for q in &queries {
                assert_eq!(lib.query_takes(q).expect("q").total, expected(lib, q).0, "{when}: {q:?}");
            }
        };
        check(&other, "imported");
        assert_eq!(other.query_takes(&TakeQuery::default()).expect("q").total, 120);
        // A take left under its partial name by a crash, with its sidecar: indexed as recovered.
        let takes = other.data_dir().takes_dir();
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(takes.join("crashed.wav.partial"), spec).expect("wav");
        (0..4_800).for_each(|i| w.write_sample((i % 200) as i16).expect("sample"));
        w.finalize().expect("finalize");
        std::fs::write(
            takes.join("crashed.json"),
            r#"{"question_id":"db.deadlock","started_at":"2026-03-30T10:00:00.000Z","file":"takes/crashed.wav"}"#,
        )
        .expect("sidecar");
        assert_eq!(other.recover().expect("recover").recovered.len(), 1);
        check(&other, "recovered");
        // The imported takes' files are placeholders, not WAVs: checking marks them damaged.
        let damaged = TakeQuery { statuses: vec!["damaged".into()], ..TakeQuery::default() };
        let already = other.query_takes(&damaged).expect("q").total as usize;
        assert_eq!(other.check_take_files().expect("check"), 120 - already);
        check(&other, "marked damaged");
        assert_eq!(other.query_takes(&damaged).expect("q").total, 120);
    }

    #[test]
    fn totals_follow_writes_of_this_library_and_of_another_connection() {
        let (dir, mut lib) = Library::open_temp();
        let deck = |lib: &Library| lib.query_takes(&TakeQuery { deck: Some("databases".into()), ..TakeQuery::default() }).expect("q").total;
        lib.commit_test_take("db.deadlock", None, 48_000);
        assert_eq!(deck(&lib), 1);
        let second = lib.commit_test_take("db.acid", None, 48_000);
        assert_eq!(deck(&lib), 2, "a take added here");
        lib.delete_take(second).expect("delete");
        assert_eq!(deck(&lib), 1, "a take deleted here");
        // Another process (the CLI while the app is open) adds two takes of the deck.
        let mut other = Library::open(crate::paths::DataDir::new(dir.path().join("data"))).expect("second connection");
        other.commit_test_take("db.deadlock", None, 48_000);
        other.commit_test_take("db.mvcc-mechanisms", None, 48_000);
        assert_eq!(deck(&lib), 3, "takes added by another connection");
        let raw = rusqlite::Connection::open(lib.data_dir().db_path()).expect("raw");
        raw.execute("DELETE FROM takes WHERE question_id = 'db.mvcc-mechanisms'", []).expect("delete");
        assert_eq!(deck(&lib), 2, "a take deleted by another connection");
        let easy = |lib: &Library| {
            lib.query_takes(&TakeQuery { deck: Some("databases".into()), ratings: vec![RatingFilter::Easy], ..TakeQuery::default() })
                .expect("q")
                .total
        };
        assert_eq!(easy(&lib), 0);
        raw.execute("UPDATE takes SET rating = 4 WHERE question_id = 'db.deadlock'", []).expect("rate");
        assert_eq!(easy(&lib), 2, "takes rated by another connection");
        assert_eq!(lib.query_takes(&TakeQuery { deck: Some("databases".into()), ..TakeQuery::default() }).expect("q").rows.len(), 2);
    }

    #[test]
    fn rows_carry_their_questions_texts_deck_tags_and_leech_mark() {
        let (_d, mut lib) = Library::open_temp();
        for _ in 0..3 {
            let id = lib.commit_test_take("lp.unhappy-customer", None, 48_000);
            lib.rate_take(id, Some(1)).expect("again");
        }
        let page = lib.query_takes(&TakeQuery { search: Some("불만".into()), ..TakeQuery::default() }).expect("korean search");
        assert_eq!(page.total, 3);
        let row = &page.rows[0];
        assert_eq!((row.deck_id.as_str(), row.category.as_str(), row.leech), ("leadership", "behavioural", true));
        assert!(row.tags.contains(&"customer-obsession".to_string()));
        assert!(row.question_text["ko"].contains("불만") && row.question_text["en"].contains("dissatisfied"));
    }

    #[test]
    fn search_finds_korean_written_decomposed_or_composed_and_folds_case_beyond_ascii() {
        use unicode_normalization::UnicodeNormalization;
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.deadlock", None, 48_000);
        let other = lib.commit_test_take("db.acid", None, 48_000);
        // As an imported deck written on a system that stores Hangul decomposed (NFD).
        let text = serde_json::json!({ "en": "What is a DEADLOCK, Ärger?", "ko": "데드락이란 무엇이며".nfd().collect::<String>() });
        lib.storage()
            .conn_mut()
            .execute("UPDATE questions SET text_json = ?1 WHERE id = 'db.deadlock'", [text.to_string()])
            .expect("decomposed text");
        let find = |s: &str| {
            lib.query_takes(&TakeQuery { search: Some(s.into()), ..TakeQuery::default() })
                .expect("q")
                .rows
                .iter()
                .map(|r| r.take.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(find("데드락"), vec![id], "composed query, decomposed text");
        assert_eq!(find(&"데드락".nfd().collect::<String>()), vec![id], "decomposed query");
        assert_eq!(find("ärger"), vec![id], "case folding beyond ASCII");
        assert_eq!(find("  deadlock "), vec![id], "surrounding spaces ignored");
        assert!(find("ACID").contains(&other) && !find("ACID").contains(&id));
    }

    #[test]
    fn said_finds_takes_by_their_transcript_with_the_other_filters_and_a_matching_total() {
        use crate::transcript::{ModelIdentity, Segment, Transcript};
        let (_d, mut lib) = Library::open_temp();
        let said = |lang: &str, text: &str| Transcript {
            language: lang.into(),
            model: ModelIdentity { name: "m".into(), sha256: "0".into() },
            segments: vec![Segment { start_ms: 0, end_ms: 1000, text: text.into(), words: vec![] }],
        };
        let file = crate::storage::transcripts::FileIdentity { bytes: 3, mtime_ms: 0, sha256: "0".into() };
        let a = lib.commit_test_take("db.ora-01555", None, 48_000);
        let b = lib.commit_test_take("db.deadlock", None, 48_000);
        let c = lib.commit_test_take("db.ora-01555", None, 48_000);
        let untranscribed = lib.commit_test_take("db.ora-01555", None, 48_000);
        lib.save_transcript(a, &said("en", "I raised the undo retention"), &file).expect("a");
        lib.save_transcript(b, &said("en", "We found the deadlock graph, and I fixed the retention of locks"), &file).expect("b");
        lib.save_transcript(c, &said("ko", "언두 보존 기간을 늘렸습니다"), &file).expect("c");
        lib.rate_take(a, Some(4)).expect("rate");
        let find = |said: &str, ratings: Vec<RatingFilter>| {
            let page = lib.query_takes(&TakeQuery { said: Some(said.into()), ratings, ..TakeQuery::default() }).expect("query");
            assert_eq!(page.total as usize, page.rows.len(), "total counts what the page lists");
            let mut ids: Vec<TakeId> = page.rows.iter().map(|r| r.take.id).collect();
            ids.sort_by_key(|i| i.0);
            ids
        };
        assert_eq!(find("RETENTION", vec![]), vec![a, b]);
        assert_eq!(find("retention", vec![RatingFilter::Easy]), vec![a]);
        assert_eq!(find("보존 기간", vec![]), vec![c]);
        assert_eq!(find("언두", vec![]), vec![c]);
        assert_eq!(find("nothing like this", vec![]), Vec::<TakeId>::new());
        assert_eq!(find("   ", vec![]).len(), 4, "a blank search is no filter");
        assert!(!find("   ", vec![]).is_empty() && find("   ", vec![]).contains(&untranscribed));
    }

    #[test]
    fn the_default_list_and_each_sort_walk_an_index_without_a_temporary_sort() {
        let (_d, lib) = library_with_takes(50, 1);
        for sort in [SortKey::Date, SortKey::Rating, SortKey::Duration] {
            for descending in [true, false] {
                let plan = lib.explain_take_query(&TakeQuery { sort, descending, ..TakeQuery::default() }).expect("plan").join(" | ");
                let index = ["takes_by_start", "takes_by_rating_filtered", "takes_by_duration_filtered"][sort as usize];
                assert!(plan.contains(index), "{sort:?}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{sort:?} desc={descending}: {plan}");
            }
        }
        let plan = lib.explain_take_query(&TakeQuery::default()).expect("plan").join(" | ");
        assert!(plan.contains("USING INDEX takes_by_start") || plan.contains("USING COVERING INDEX takes_by_start"), "{plan}");
        // A date range is read from the same index: a range, still no sort.
        let plan = lib
            .explain_take_query(&TakeQuery { from: Some("2026-01-10".into()), to: Some("2026-03-01".into()), ..TakeQuery::default() })
            .expect("plan")
            .join(" | ");
        assert!(plan.contains("takes_by_start (started_at>? AND started_at<?)") && !plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn bad_input_is_refused_with_the_value_named() {
        let (_d, lib) = Library::open_temp();
        let err = |q: TakeQuery| lib.query_takes(&q).expect_err("refused");
        let e = err(TakeQuery { from: Some("2026-13-01".into()), ..TakeQuery::default() });
        assert_eq!((e.kind(), e.to_string()), ("invalid_date", "from \"2026-13-01\" is not a date in the form YYYY-MM-DD".to_string()));
        assert_eq!(err(TakeQuery { to: Some("yesterday".into()), ..TakeQuery::default() }).kind(), "invalid_date");
        let e = err(TakeQuery { from: Some("2026-05-02".into()), to: Some("2026-05-01".into()), ..TakeQuery::default() });
        assert!(e.to_string().contains("2026-05-02 is after the last day 2026-05-01"), "{e}");
        let e = err(TakeQuery { deck: Some("nope".into()), ..TakeQuery::default() });
        assert_eq!(e.kind(), "unknown_deck");
        let e = err(TakeQuery { statuses: vec!["fine".into()], ..TakeQuery::default() });
        assert!(e.to_string().contains("\"fine\""), "{e}");
        assert_eq!(err(TakeQuery { limit: 0, ..TakeQuery::default() }).kind(), "invalid_query");
        assert_eq!(err(TakeQuery { limit: MAX_PAGE + 1, ..TakeQuery::default() }).kind(), "invalid_query");
    }

    #[test]
    fn a_query_deserializes_from_sparse_json_with_newest_first_defaults() {
        let q: TakeQuery = serde_json::from_str(r#"{"ratings":["good","unrated"],"sort":"duration"}"#).expect("json");
        assert_eq!(
            q,
            TakeQuery { ratings: vec![RatingFilter::Good, RatingFilter::Unrated], sort: SortKey::Duration, ..TakeQuery::default() }
        );
        assert!(q.descending && q.limit == 50);
    }
}
