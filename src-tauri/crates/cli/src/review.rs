//! Review subcommands: the library list with filters, rubric, bookmarks, blind re-rates,
//! readiness, the principle grid, progress and the interview date.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rehearse_core::progress::ProgressScope;
use rehearse_core::{DeckId, PrincipleLevel, QuestionId, RatingFilter, Rubric, SortKey, TakeId, TakeQuery};

use crate::commands::{open, print_json, say};

type Outcome = Result<(), String>;

fn rating_name(r: Option<u8>) -> &'static str {
    match r {
        Some(1) => "again",
        Some(2) => "hard",
        Some(3) => "good",
        Some(4) => "easy",
        _ => "-",
    }
}

#[derive(Args)]
pub struct LibraryArgs {
    #[arg(long, value_name = "DECK_ID")]
    deck: Option<String>,
    /// e.g. technical, behavioural
    #[arg(long)]
    category: Option<String>,
    /// A question tag, e.g. a principle such as ownership
    #[arg(long)]
    tag: Option<String>,
    /// again, hard, good, easy or unrated (repeat for any of several)
    #[arg(long, value_name = "RATING")]
    rating: Vec<String>,
    /// First day, YYYY-MM-DD (UTC)
    #[arg(long, value_name = "DAY")]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC), inclusive
    #[arg(long, value_name = "DAY")]
    to: Option<String>,
    /// ok, recovered or damaged (repeat for any of several)
    #[arg(long)]
    status: Vec<String>,
    /// Only takes marked best
    #[arg(long)]
    best: bool,
    /// Text in the question (any language, case-insensitive)
    #[arg(long)]
    search: Option<String>,
    /// Words said in the take (its transcript; any language, case-insensitive)
    #[arg(long, value_name = "TEXT")]
    said: Option<String>,
    /// date, rating or duration
    #[arg(long, default_value = "date")]
    sort: String,
    /// Ascending (default: newest, best or longest first)
    #[arg(long)]
    asc: bool,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long, default_value_t = 0)]
    offset: u64,
    #[arg(long)]
    json: bool,
}

pub fn library(data_dir: Option<PathBuf>, a: LibraryArgs) -> Outcome {
    let ratings =
        a.rating.iter().map(|r| r.parse::<RatingFilter>().map_err(|e| format!("--rating: {e}"))).collect::<Result<Vec<_>, _>>()?;
    let sort = a.sort.parse::<SortKey>().map_err(|e| format!("--sort: {e}"))?;
    let query = TakeQuery {
        deck: a.deck.map(|d| DeckId::from(d.as_str())),
        category: a.category,
        tag: a.tag,
        ratings,
        from: a.from,
        to: a.to,
        statuses: a.status,
        best_only: a.best,
        search: a.search,
        said: a.said,
        sort,
        descending: !a.asc,
        limit: a.limit,
        offset: a.offset,
    };
    let lib = open(data_dir)?;
    let page = lib.query_takes(&query).map_err(|e| e.to_string())?;
    if a.json {
        return print_json(&page);
    }
    say(format!("{} take(s) match; showing {} from {}", page.total, page.rows.len(), query.offset))?;
    for r in page.rows {
        let t = &r.take;
        say(format!(
            "{:>6}  {}  {:>7.2} s  {:<6}{}{}  {:<30}  {}",
            t.id,
            t.started_at,
            t.duration_ms as f64 / 1000.0,
            rating_name(t.rating),
            if t.best { " best" } else { "" },
            if t.status == "ok" { String::new() } else { format!(" {}", t.status) },
            t.question_id,
            r.question_text.get("en").or_else(|| r.question_text.values().next()).map(String::as_str).unwrap_or("")
        ))?;
    }
    Ok(())
}

#[derive(Args)]
pub struct RubricArgs {
    #[arg(value_name = "TAKE_ID")]
    take: i64,
    /// Key points covered, by number from 0 (as listed), e.g. 0,2
    #[arg(long, value_name = "N,N")]
    covered: Option<String>,
    /// STAR parts present: any of situation,task,action,result
    #[arg(long, value_name = "PARTS")]
    star: Option<String>,
    /// Said "I", not "we"
    #[arg(long)]
    i_not_we: bool,
    /// A number in the result
    #[arg(long)]
    number: bool,
    /// How the principle showed: not, demonstrated or strong
    #[arg(long, value_name = "LEVEL")]
    principle: Option<String>,
    #[arg(long)]
    json: bool,
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty())
}

pub fn rubric(data_dir: Option<PathBuf>, a: RubricArgs) -> Outcome {
    let changing = a.covered.is_some() || a.star.is_some() || a.i_not_we || a.number || a.principle.is_some();
    let mut r = Rubric { i_not_we: a.i_not_we, number: a.number, ..Rubric::default() };
    if let Some(c) = &a.covered {
        r.key_points = list(c)
            .map(|p| {
                p.parse::<u32>().map_err(|_| format!("--covered \"{}\" is not a key point number (0, 1, 2, ...)", rehearse_core::echo(p)))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(s) = &a.star {
        for part in list(s) {
            match part.to_ascii_lowercase().as_str() {
                "situation" | "s" => r.situation = true,
                "task" | "t" => r.task = true,
                "action" | "a" => r.action = true,
                "result" | "r" => r.result = true,
                other => return Err(format!("--star \"{}\" is not one of situation, task, action, result", rehearse_core::echo(other))),
            }
        }
    }
    if let Some(p) = &a.principle {
        r.principle = Some(p.parse::<PrincipleLevel>().map_err(|e| format!("--principle: {e}"))?);
    }
    let mut lib = open(data_dir)?;
    let take = if changing { lib.set_rubric(TakeId(a.take), &r) } else { lib.take(TakeId(a.take)) }.map_err(|e| e.to_string())?;
    if a.json {
        return print_json(&take.rubric);
    }
    let q = lib.question(&take.question_id).map_err(|e| e.to_string())?;
    let points = q.key_points.get("en").or_else(|| q.key_points.values().next()).cloned().unwrap_or_default();
    let rb = &take.rubric;
    say(format!("take {}  {}  key points covered: {} of {}", take.id, take.question_id, rb.key_points.len(), points.len()))?;
    for (i, p) in points.iter().enumerate() {
        say(format!("  [{}] {i} {p}", if rb.key_points.contains(&(i as u32)) { "x" } else { " " }))?;
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    say(format!(
        "STAR: situation {}, task {}, action {}, result {};  I not we: {};  number: {};  principle: {}",
        yes(rb.situation),
        yes(rb.task),
        yes(rb.action),
        yes(rb.result),
        yes(rb.i_not_we),
        yes(rb.number),
        match rb.principle {
            None => "-",
            Some(PrincipleLevel::Not) => "not demonstrated",
            Some(PrincipleLevel::Demonstrated) => "demonstrated",
            Some(PrincipleLevel::Strong) => "strongly demonstrated",
        }
    ))
}

#[derive(Subcommand)]
pub enum BookmarkCommand {
    /// Bookmark a moment of a take
    Add {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        /// Milliseconds from the start of the take
        #[arg(long, value_name = "N")]
        at_ms: u64,
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
    },
    /// List a take's bookmarks in time order
    List {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        #[arg(long)]
        json: bool,
    },
    /// Replace a bookmark's note
    Note {
        #[arg(value_name = "ID")]
        id: i64,
        note: String,
    },
    /// Delete a bookmark
    Delete {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

pub fn bookmark(data_dir: Option<PathBuf>, c: BookmarkCommand) -> Outcome {
    let mut lib = open(data_dir)?;
    let line = |b: &rehearse_core::Bookmark| format!("{:>5}  take {}  at {:.3} s  {}", b.id, b.take_id, b.at_ms as f64 / 1000.0, b.note);
    match c {
        BookmarkCommand::Add { take, at_ms, note } => {
            let b = lib.add_bookmark(TakeId(take), at_ms, &note).map_err(|e| e.to_string())?;
            say(format!("bookmark {} added: {}", b.id, line(&b)))
        }
        BookmarkCommand::List { take, json } => {
            let list = lib.bookmarks(TakeId(take)).map_err(|e| e.to_string())?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                return say(format!("take {take} has no bookmarks"));
            }
            list.iter().try_for_each(|b| say(line(b)))
        }
        BookmarkCommand::Note { id, note } => {
            let b = lib.set_bookmark_note(id, &note).map_err(|e| e.to_string())?;
            say(line(&b))
        }
        BookmarkCommand::Delete { id } => {
            lib.delete_bookmark(id).map_err(|e| e.to_string())?;
            say(format!("deleted bookmark {id}"))
        }
    }
}

pub fn rerate(data_dir: Option<PathBuf>, take: i64, rating: &str, json: bool) -> Outcome {
    let rating = match crate::parse_rating(rating)? {
        Some(r) => r,
        None => return Err("--rating must be again, hard, good or easy for a re-rate".into()),
    };
    let mut lib = open(data_dir)?;
    let r = lib.blind_rerate(TakeId(take), rating).map_err(|e| e.to_string())?;
    let c = lib.calibration().map_err(|e| e.to_string())?;
    if json {
        return print_json(&serde_json::json!({ "rerate": r, "calibration": c }));
    }
    say(format!(
        "take {} re-rated {} (its rating: {}); the take's rating and schedule are unchanged",
        r.take_id,
        rating_name(Some(r.rating)),
        rating_name(r.previous_rating)
    ))?;
    say(calibration_line(&c))
}

fn calibration_line(c: &rehearse_core::Calibration) -> String {
    match (c.mean_abs_difference, c.identical_share) {
        (Some(d), Some(s)) => format!("calibration: {} re-rate(s), mean difference {d:.2}, identical {:.0} %", c.count, s * 100.0),
        _ => "calibration: no re-rates of rated takes yet".into(),
    }
}

/// Takes to re-rate blind (their ratings are not shown) and the calibration so far.
pub fn calibration(data_dir: Option<PathBuf>, limit: usize, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let candidates = lib.rerate_candidates(limit).map_err(|e| e.to_string())?;
    let c = lib.calibration().map_err(|e| e.to_string())?;
    if json {
        let takes: Vec<_> = candidates
            .iter()
            .map(|k| serde_json::json!({ "take_id": k.take.id, "question_id": k.take.question_id, "started_at": k.take.started_at, "last_rerated_at": k.last_rerated_at }))
            .collect();
        return print_json(&serde_json::json!({ "candidates": takes, "calibration": c }));
    }
    say(calibration_line(&c))?;
    for k in candidates {
        say(format!(
            "{:>6}  {}  {:<30}  last re-rated {}",
            k.take.id,
            k.take.started_at,
            k.take.question_id,
            k.last_rerated_at.as_deref().unwrap_or("never")
        ))?;
    }
    Ok(())
}

pub fn readiness(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let r = lib.readiness(time::OffsetDateTime::now_utc()).map_err(|e| e.to_string())?;
    if json {
        return print_json(&r);
    }
    say(match (&r.interview_date, r.days_left) {
        (Some(d), Some(n)) if n >= 0 => format!("interview {d}: {n} day(s) left"),
        (Some(d), Some(n)) => format!("interview {d}: {} day(s) ago", -n),
        _ => "no interview date (set one with `rehearse-cli interview-date YYYY-MM-DD`)".into(),
    })?;
    say(format!(
        "technical: {} of {} questions rated good or easy in the last 7 days ({:.0} %)",
        r.technical.rated_good_or_better_last_7_days,
        r.technical.total,
        r.technical.share * 100.0
    ))?;
    say(format!(
        "principles: {} of {} have two stories rehearsed good or better ({:.0} %)",
        r.principles.with_two_good_stories,
        r.principles.total,
        r.principles.share * 100.0
    ))?;
    if !r.principles.weak.is_empty() {
        say(format!("weak: {}", r.principles.weak.join(", ")))?;
    }
    Ok(())
}

pub fn principles(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let grid = lib.principle_grid().map_err(|e| e.to_string())?;
    if json {
        return print_json(&grid);
    }
    say(format!(
        "{:<46} {:>9} {:>6} {:>6} {:>5}  {:<24} {}",
        "principle", "practised", "takes", "good", "avg", "last practised", "stories good/all"
    ))?;
    for p in grid {
        say(format!(
            "{:<46} {:>4} / {:<2} {:>6} {:>6} {:>5}  {:<24} {} / {}{}",
            p.name.get("en").cloned().unwrap_or_default(),
            p.questions_practised,
            p.questions_total,
            p.takes,
            p.rated_stories_good,
            p.average_rating.map(|a| format!("{a:.1}")).unwrap_or_else(|| "-".into()),
            p.last_practised.as_deref().unwrap_or("-"),
            p.stories_rehearsed_good,
            p.stories,
            if p.weak { "  weak" } else { "" }
        ))?;
    }
    Ok(())
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct ProgressArgs {
    #[arg(long, value_name = "ID")]
    question: Option<String>,
    #[arg(long, value_name = "DECK_ID")]
    deck: Option<String>,
    /// A leadership principle's tag, e.g. ownership
    #[arg(long, value_name = "TAG")]
    principle: Option<String>,
}

pub fn progress(data_dir: Option<PathBuf>, a: ProgressArgs, json: bool) -> Outcome {
    let scope = match (a.question, a.deck, a.principle) {
        (Some(q), _, _) => ProgressScope::Question(QuestionId::from(q.as_str())),
        (_, Some(d), _) => ProgressScope::Deck(DeckId::from(d.as_str())),
        (_, _, Some(p)) => ProgressScope::Principle(p),
        _ => return Err("give --question, --deck or --principle".into()),
    };
    let lib = open(data_dir)?;
    // Charts show speech metrics: takes not measured yet are measured (and kept) first.
    let measure = lib.measure_pending(|done, total| {
        if done == 1 {
            eprintln!("measuring the speech of {total} take(s) not measured yet");
        }
    });
    for (id, why) in measure.map_err(|e| e.to_string())? {
        eprintln!("note: take {id} has no speech metrics: {why}");
    }
    let points = lib.progress(&scope).map_err(|e| e.to_string())?;
    if json {
        return print_json(&points);
    }
    for p in points {
        let speech = match &p.metrics {
            Some(m) => format!(
                "first word {:>6}  long pauses {} (longest {:.1} s)",
                m.time_to_first_word_ms.map(|v| format!("{:.2} s", v as f64 / 1000.0)).unwrap_or_else(|| "none".into()),
                m.long_pauses,
                m.longest_pause_ms as f64 / 1000.0
            ),
            None => "not measured".into(),
        };
        say(format!(
            "{}  {:>6}  {:<30} {:<6} {:>7.2} s  {speech}",
            p.at,
            p.take_id,
            p.question_id,
            rating_name(p.rating),
            p.duration_ms as f64 / 1000.0
        ))?;
    }
    Ok(())
}

pub fn interview_date(data_dir: Option<PathBuf>, date: &str) -> Outcome {
    let value = if date.eq_ignore_ascii_case("none") { None } else { Some(date) };
    let mut lib = open(data_dir)?;
    match lib.set_interview_date(value).map_err(|e| e.to_string())? {
        Some(d) => say(format!("interview date set to {d}")),
        None => say("interview date cleared"),
    }
}
