//! `story …`: the story bank from the command line (the same core as the window).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rehearse_core::stories::GridWarning;
use rehearse_core::{Library, QuestionId, StoryFields, StoryId, TakeId};
use rehearse_engine::Shelf;

use crate::commands::{open, print_json, say};

type Outcome = Result<(), String>;

#[derive(Subcommand)]
pub enum StoryCommand {
    /// Write a new story (prints it with its id; --json as JSON)
    Add {
        #[command(flatten)]
        fields: FieldArgs,
        #[arg(long)]
        json: bool,
    },
    /// Change a story: each option given replaces that field (a list option replaces the list)
    Edit {
        #[arg(value_name = "ID")]
        id: i64,
        #[command(flatten)]
        fields: FieldArgs,
        /// Refuse the change if the story is no longer at this revision (changed elsewhere)
        #[arg(long, value_name = "N")]
        revision: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// List the stories
    List {
        #[arg(long)]
        json: bool,
    },
    /// A story with its linked takes and when it is due
    Show {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Delete a story (the takes that told it stay)
    Delete {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Write every story to FILE (the story file format, TOML)
    Export { file: PathBuf },
    /// Import a story file: all of it or nothing; a story with a known uid is updated
    Import { file: PathBuf },
    /// Link a take to the story it told ("none" unlinks it)
    Link {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        #[arg(value_name = "STORY_ID|none")]
        story: String,
    },
    /// The 16 principles with their stories, counts and warnings
    Grid {
        #[arg(long)]
        json: bool,
    },
    /// Stories due for rehearsal now (never told ones too), earliest first
    Due {
        #[arg(long)]
        json: bool,
    },
    /// A story drill: each story (due ones first) told to a question it maps to, recorded for
    /// --seconds (default 120) and linked to the story; Ctrl-C ends the drill (the take kept)
    Drill {
        /// Time to tell each story
        #[arg(long, value_name = "N", default_value_t = f64::from(rehearse_core::stories::DRILL_SECONDS))]
        seconds: f64,
        /// At most this many stories
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Print the drill (stories and questions) without recording
        #[arg(long)]
        plan: bool,
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Time in each part (situation, task, action, result) of a take of a story, from its
    /// transcript; --set moves a boundary, --clear goes back to the one found
    Parts {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        /// Where a part began, e.g. result=1:45 or task=12.5 (seconds); repeat for several
        #[arg(long = "set", value_name = "PART=TIME")]
        set: Vec<String>,
        /// Forget the boundary set for a part (task, action or result)
        #[arg(long = "clear", value_name = "PART")]
        clear: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct FieldArgs {
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// A leadership principle tag, e.g. ownership (repeat for several)
    #[arg(long = "principle", value_name = "TAG")]
    principles: Vec<String>,
    /// The primary principle (default: the first --principle)
    #[arg(long, value_name = "TAG")]
    primary: Option<String>,
    #[arg(long, value_name = "TEXT")]
    situation: Option<String>,
    #[arg(long, value_name = "TEXT")]
    task: Option<String>,
    #[arg(long, value_name = "TEXT")]
    action: Option<String>,
    #[arg(long, value_name = "TEXT")]
    result: Option<String>,
    /// A number in the result, e.g. "p95 900 ms → 120 ms" (repeat for several)
    #[arg(long = "number", value_name = "TEXT")]
    numbers: Vec<String>,
    #[arg(long, value_name = "TEXT")]
    role: Option<String>,
    #[arg(long, value_name = "TEXT")]
    team: Option<String>,
    /// The year it happened ("none" clears it)
    #[arg(long, value_name = "YYYY")]
    year: Option<String>,
    /// A tag of your own (repeat for several)
    #[arg(long = "tag", value_name = "TEXT")]
    tags: Vec<String>,
    /// A cue card bullet (3 to 5 of them)
    #[arg(long = "cue", value_name = "TEXT")]
    cue_card: Vec<String>,
    /// A question id this story answers (repeat for several)
    #[arg(long = "question", value_name = "ID")]
    questions: Vec<String>,
    #[arg(long, value_name = "TEXT")]
    notes: Option<String>,
}

impl FieldArgs {
    /// `base` with every field given here replaced.
    fn apply(self, mut f: StoryFields) -> Result<StoryFields, String> {
        let set = |target: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *target = v;
            }
        };
        set(&mut f.title, self.title);
        set(&mut f.situation, self.situation);
        set(&mut f.task, self.task);
        set(&mut f.action, self.action);
        set(&mut f.result, self.result);
        set(&mut f.role, self.role);
        set(&mut f.team, self.team);
        set(&mut f.notes, self.notes);
        if let Some(y) = self.year {
            f.year = match y.trim() {
                "none" | "" => None,
                y => Some(y.parse().map_err(|_| format!("--year \"{}\" is not a year such as 2021", rehearse_core::echo(y)))?),
            };
        }
        if !self.principles.is_empty() {
            // A new list keeps the primary if it is still in it, else takes the first.
            if !self.principles.contains(&f.primary) {
                f.primary = self.principles[0].clone();
            }
            f.principles = self.principles;
        }
        set(&mut f.primary, self.primary);
        for (target, v) in [(&mut f.numbers, self.numbers), (&mut f.tags, self.tags), (&mut f.cue_card, self.cue_card)] {
            if !v.is_empty() {
                *target = v;
            }
        }
        if !self.questions.is_empty() {
            f.questions = self.questions.into_iter().map(QuestionId).collect();
        }
        Ok(f)
    }
}

fn e(err: rehearse_core::CoreError) -> String {
    err.to_string()
}

fn print_story(s: &rehearse_core::Story) -> Outcome {
    say(format!(
        "story {}  revision {}  \"{}\"  primary {}  principles {}  takes {} (good {})",
        s.id,
        s.revision,
        s.fields.title,
        s.fields.primary,
        s.fields.principles.join(", "),
        s.takes,
        s.good_takes
    ))
}

pub fn story(data_dir: Option<PathBuf>, cmd: StoryCommand) -> Outcome {
    match cmd {
        StoryCommand::Add { fields, json } => {
            let mut lib = open(data_dir)?;
            let s = lib.add_story(fields.apply(StoryFields::default())?).map_err(e)?;
            if json {
                print_json(&s)
            } else {
                print_story(&s)
            }
        }
        StoryCommand::Edit { id, fields, revision, json } => {
            let mut lib = open(data_dir)?;
            let current = lib.story(StoryId(id)).map_err(e)?.story;
            let updated = fields.apply(current.fields)?;
            // Based on what was read (or on --revision): a change made meanwhile is refused.
            let s = lib.edit_story(StoryId(id), Some(revision.unwrap_or(current.revision)), updated).map_err(e)?;
            if json {
                print_json(&s)
            } else {
                print_story(&s)
            }
        }
        StoryCommand::List { json } => {
            let lib = open(data_dir)?;
            let stories = lib.stories().map_err(e)?;
            if json {
                return print_json(&stories);
            }
            if stories.is_empty() {
                return say("no stories yet (add one with `rehearse-cli story add --title TEXT --principle TAG`)");
            }
            stories.iter().try_for_each(print_story)
        }
        StoryCommand::Show { id, json } => show(data_dir, id, json),
        StoryCommand::Delete { id } => {
            let mut lib = open(data_dir)?;
            lib.delete_story(StoryId(id)).map_err(e)?;
            say(format!("deleted story {id} (its takes are kept)"))
        }
        StoryCommand::Export { file } => {
            let lib = open(data_dir)?;
            let n = lib.export_stories(&file).map_err(e)?;
            say(format!("exported {n} stories to {}", file.display()))
        }
        StoryCommand::Import { file } => {
            let mut lib = open(data_dir)?;
            let r = lib.import_stories(&file).map_err(e)?;
            say(format!("imported {}: {} added, {} updated", file.display(), r.added, r.updated))
        }
        StoryCommand::Link { take, story } => {
            let mut lib = open(data_dir)?;
            let target = match story.as_str() {
                "none" => None,
                s => Some(StoryId(s.parse().map_err(|_| format!("STORY_ID \"{}\" is not a story id or none", rehearse_core::echo(s)))?)),
            };
            lib.link_take(TakeId(take), target).map_err(e)?;
            match target {
                Some(s) => say(format!("take {take} tells story {s}")),
                None => say(format!("take {take} is linked to no story")),
            }
        }
        StoryCommand::Grid { json } => grid(open(data_dir)?, json),
        StoryCommand::Drill { seconds, limit, plan, device, json } => drill(data_dir, seconds, limit, plan, device, json),
        StoryCommand::Parts { take, set, clear, json } => parts(data_dir, TakeId(take), &set, &clear, json),
        StoryCommand::Due { json } => {
            let lib = open(data_dir)?;
            let due = lib.stories_due(time::OffsetDateTime::now_utc()).map_err(e)?;
            if json {
                return print_json(&due);
            }
            if due.is_empty() {
                return say("no story is due");
            }
            for d in due {
                say(format!(
                    "story {:<4} {:<40} {}  reviews {}  agains {}{}",
                    d.story_id,
                    d.title,
                    d.due_at.as_deref().map(|t| format!("due {t}")).unwrap_or_else(|| "new".into()),
                    d.reviews,
                    d.agains,
                    if d.leech { "  leech: rework it" } else { "" }
                ))?;
            }
            Ok(())
        }
    }
}

fn show(data_dir: Option<PathBuf>, id: i64, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let d = lib.story(StoryId(id)).map_err(e)?;
    if json {
        return print_json(&d);
    }
    let f = &d.story.fields;
    print_story(&d.story)?;
    for (label, text) in [("situation", &f.situation), ("task", &f.task), ("action", &f.action), ("result", &f.result)] {
        if !text.is_empty() {
            say(format!("{label}: {text}"))?;
        }
    }
    for (label, list) in [("numbers", &f.numbers), ("tags", &f.tags), ("cue card", &f.cue_card)] {
        if !list.is_empty() {
            say(format!("{label}: {}", list.join(" | ")))?;
        }
    }
    if !f.questions.is_empty() {
        say(format!("questions: {}", f.questions.iter().map(|q| q.as_str()).collect::<Vec<_>>().join(", ")))?;
    }
    say(format!("due: {}", d.due.due_at.as_deref().unwrap_or("now (never rated)")))?;
    for t in &d.linked_takes {
        say(format!("  take {}  {}  {}  rating {}", t.id, t.started_at, t.question_id, t.rating.map_or("-".into(), |r| r.to_string())))?;
    }
    if !d.fact_changes.is_empty() {
        say("facts that changed between tellings:")?;
    }
    for c in &d.fact_changes {
        let said: Vec<String> = c
            .facts
            .iter()
            .map(|f| match (f.take_id, f.at_ms) {
                (None, _) => format!("{} \"{}\" (written)", f.value, f.said),
                (Some(t), Some(ms)) => format!("{} \"{}\" (take {t} at {})", f.value, f.said, clock(ms)),
                (Some(t), None) => format!("{} \"{}\" (take {t})", f.value, f.said),
            })
            .collect();
        say(format!("  {}: {}", c.kind, said.join("; ")))?;
    }
    Ok(())
}

/// m:ss of a time in a take.
fn clock(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)
}

fn grid(lib: Library, json: bool) -> Outcome {
    let g = lib.story_grid().map_err(e)?;
    if json {
        return print_json(&g);
    }
    for s in &g.stories {
        say(format!("[{}] {}", s.id, s.title))?;
    }
    for p in &g.principles {
        let cells: Vec<String> = p.cells.iter().map(|c| format!("{}{}", c.story_id, if c.primary { "*" } else { "" })).collect();
        say(format!(
            "{:<46} stories {:>2}  good rehearsals {:>3}  [{}]  questions without a story {}/{}{}",
            p.name.get("en").cloned().unwrap_or_default(),
            p.stories,
            p.good_rehearsals,
            cells.join(" "),
            p.questions_without_story,
            p.questions.len(),
            if p.gap { "  gap" } else { "" }
        ))?;
    }
    for w in &g.warnings {
        if matches!(w, GridWarning::OneStoryCarries { .. }) {
            say(format!("warning: {}", w.message()))?;
        }
    }
    let gaps = g.principles.iter().filter(|p| p.gap).count();
    say(format!("{gaps} of 16 principles have fewer than {} stories (* marks a story's primary principle)", g.stories_needed))
}

/// "1:45", "1:45.5" or "105.5" (seconds) as ms.
fn parse_at(text: &str) -> Result<u64, String> {
    let bad = || format!("time \"{}\" is not M:SS or seconds (e.g. 1:45 or 105.5)", rehearse_core::echo(text));
    let (m, s) = match text.split_once(':') {
        Some((m, s)) => (m.parse::<u64>().map_err(|_| bad())?, s),
        None => (0, text),
    };
    let secs: f64 = s.parse().map_err(|_| bad())?;
    if !secs.is_finite() || secs < 0.0 || (text.contains(':') && secs >= 60.0) {
        return Err(bad());
    }
    Ok(m * 60_000 + (secs * 1000.0).round() as u64)
}

fn parts(data_dir: Option<PathBuf>, take: TakeId, set: &[String], clear: &[String], json: bool) -> Outcome {
    let mut changes: Vec<(String, Option<u64>)> = vec![];
    for s in set {
        let (part, at) =
            s.split_once('=').ok_or_else(|| format!("--set \"{}\" is not PART=TIME (e.g. result=1:45)", rehearse_core::echo(s)))?;
        changes.push((part.to_string(), Some(parse_at(at)?)));
    }
    changes.extend(clear.iter().map(|p| (p.clone(), None)));
    let mut lib = open(data_dir)?;
    // Every change is checked before any is made: a bad one changes nothing.
    let before = lib.take_time_in_parts(take).map_err(e)?;
    for (part, at) in &changes {
        if !rehearse_core::stories::BOUNDARY_PARTS.contains(&part.as_str()) {
            return Err(format!("part \"{}\" is not one of task, action, result; nothing was changed", rehearse_core::echo(part)));
        }
        if at.is_some_and(|a| a > before.duration_ms) {
            return Err(format!(
                "{part}={} is beyond the end of take {take} ({}); nothing was changed",
                clock(at.unwrap_or(0)),
                clock(before.duration_ms)
            ));
        }
    }
    let mut p = before;
    for (part, at) in changes {
        p = lib.set_take_part_boundary(take, &part, at).map_err(e)?;
    }
    if json {
        return print_json(&p);
    }
    let longest = p.parts.iter().find(|x| x.part == p.longest).map_or(0.0, |x| x.share);
    let reached = match p.result_at_ms {
        Some(at) => format!("result reached at {} of {}", clock(at), clock(p.duration_ms)),
        None => format!("result not reached in {}", clock(p.duration_ms)),
    };
    say(format!("take {take}: {:.0}% of the time in the {}, {reached}", longest * 100.0, p.longest))?;
    for x in &p.parts {
        let b = p.boundaries.iter().find(|b| b.part == x.part);
        let how = match b {
            None => String::new(),
            Some(b) if b.source == "set" => "  (set by you)".into(),
            Some(b) if b.source == "found" => format!("  (found: \"{}\")", b.cue.as_deref().unwrap_or("")),
            Some(_) => "  (not reached)".into(),
        };
        say(format!("  {:<9} from {:>5}  {:>5}  {:>3.0}%{how}", x.part, clock(x.start_ms), clock(x.ms), x.share * 100.0))?;
    }
    Ok(())
}

fn drill(data_dir: Option<PathBuf>, seconds: f64, limit: Option<usize>, plan: bool, device: Option<String>, json: bool) -> Outcome {
    let min = rehearse_core::MIN_TAKE_MS as f64 / 1000.0;
    if !(seconds.is_finite() && seconds >= min) {
        return Err(format!("--seconds must be at least {min} (a shorter take is not kept), not {seconds}"));
    }
    if limit == Some(0) {
        return Err("--limit must be at least 1".into());
    }
    let lib = open(data_dir)?;
    let items = lib.story_drill(time::OffsetDateTime::now_utc(), limit).map_err(e)?;
    if items.is_empty() {
        return Err("no story to drill (add one with `rehearse-cli story add --title TEXT --principle TAG`)".into());
    }
    let line = |i: usize, d: &rehearse_core::stories::DrillItem| {
        format!(
            "{}/{}  story {} \"{}\"{}  →  {} ({})",
            i + 1,
            items.len(),
            d.story_id,
            d.title,
            if d.due { " (due)" } else { "" },
            d.question_text.get("en").cloned().unwrap_or_default(),
            d.question_id
        )
    };
    if plan {
        if json {
            return print_json(&items);
        }
        return items.iter().enumerate().try_for_each(|(i, d)| say(line(i, d)));
    }
    let interrupted = crate::commands::ctrl_c()?;
    let lib = std::sync::Arc::new(std::sync::Mutex::new(lib));
    let mut told = vec![];
    for (i, d) in items.iter().enumerate() {
        eprintln!("{}  ({} s)", line(i, d), seconds);
        let c = crate::commands::capture_take(&lib, d.question_id.as_str(), Some(seconds), device.clone(), None, &interrupted)?;
        lib.library().map_err(|x| x.to_string())?.link_take(c.take.id, Some(d.story_id)).map_err(e)?;
        if !json {
            say(format!("take {} tells story {} ({:.1} s)", c.take.id, d.story_id, c.take.duration_ms as f64 / 1000.0))?;
        }
        told.push(serde_json::json!({ "item": d, "take": c.take }));
        crate::commands::capture_outcome(&c)?;
        if c.interrupted {
            eprintln!("drill ended by Ctrl-C after {} of {} stories", i + 1, items.len());
            break;
        }
    }
    if json {
        return print_json(&told);
    }
    Ok(())
}
