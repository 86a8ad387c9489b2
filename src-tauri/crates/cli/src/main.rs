//! rehearse-cli: the headless front end. Same core and audio crates as the app, no WebKit.
//! Every error is one line on stderr and a non-zero exit status, argument errors too.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};

mod commands;
mod practice;
mod rehearsal;
mod review;
mod stories;
mod transcripts;

#[derive(Parser)]
#[command(name = "rehearse-cli", version, about = "Rehearse spoken interview answers from the command line")]
struct Cli {
    /// Data folder (default: $REHEARSE_DATA_DIR, else the platform data dir + /rehearse)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List input devices (or output devices); the default one is marked with '*'
    Devices {
        /// List output devices (for `play --device`) instead of inputs
        #[arg(long)]
        outputs: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the questions of the built-in and imported decks
    Questions {
        #[arg(long)]
        json: bool,
    },
    /// Record a take of a question from the microphone (Ctrl-C or --seconds ends it)
    Record {
        #[arg(long, value_name = "ID")]
        question: String,
        /// Stop after exactly this many seconds of audio
        #[arg(long, value_name = "N")]
        seconds: Option<f64>,
        /// Input device name or id (see `devices`); default: the system default
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        /// Record the take as part of this practice session (see `sessions`)
        #[arg(long, value_name = "SESSION_ID")]
        session: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Practise a deck as the window does: each question is shown, the think time counts
    /// down, then the answer is recorded until Enter or the answer time; rate it with 1-4
    /// (or again/hard/good/easy) to schedule its next review. Ctrl-C or end of input ends
    /// the session, keeping what was recorded.
    Practice {
        #[arg(long, value_name = "ID")]
        deck: String,
        /// How many questions (the deck's order)
        #[arg(long, value_name = "N")]
        count: usize,
        /// Language of the questions: en or ko
        #[arg(long, value_name = "LANG", default_value = "en")]
        language: String,
        /// Input device name or id (see `devices`); default: the system default
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
    },
    /// List takes, newest first
    Takes {
        #[arg(long, value_name = "ID")]
        question: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Play a take (Ctrl-C stops it)
    Play {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        /// Playback speed, 0.75 to 2.0; the pitch is kept
        #[arg(long, value_name = "X", default_value_t = 1.0)]
        speed: f32,
        /// Start this many milliseconds into the take
        #[arg(long, value_name = "N", default_value_t = 0)]
        from_ms: u64,
        /// Output device name or id (see `devices --outputs`); default: the system default
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        /// Read commands from standard input while playing, one a line: pause, resume,
        /// seek MS, speed X, stop; print every playback event as a JSON line
        #[arg(long)]
        control: bool,
        /// Leave out silences of 1 s or more (keeping 0.25 s beside speech)
        #[arg(long)]
        skip_silences: bool,
    },
    /// Waveform overview of a take: min/max per column (built from the WAV if needed)
    Peaks {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        /// Number of columns
        #[arg(long, value_name = "N", default_value_t = 100)]
        width: usize,
        #[arg(long)]
        json: bool,
    },
    /// Validate, import, export and list decks
    #[command(subcommand)]
    Deck(DeckCommand),
    /// Rate a take (this schedules its question's next review) and/or add a note
    Rate {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        /// again, hard, good or easy (or 1-4; "none" clears it)
        #[arg(long, value_name = "RATING")]
        rating: Option<String>,
        /// Replaces the take's notes
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Questions due for review now, earliest first
    Due {
        #[arg(long)]
        json: bool,
    },
    /// Speech metrics of a take: time to first word, speaking and silence, long pauses, level
    Metrics {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        #[arg(long)]
        json: bool,
    },
    /// Repair and index takes left behind by a crash, and re-check the files of all takes
    Recover {
        #[arg(long)]
        json: bool,
    },
    /// Delete a take (its row and its WAV)
    Delete {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
    },
    /// The library: takes filtered, searched and sorted, one page at a time
    Library(review::LibraryArgs),
    /// Transcribe a take with the offline speech model (again, if it has a transcript), or
    /// every take not transcribed yet (--pending, oldest first, with progress)
    Transcribe {
        #[arg(value_name = "TAKE_ID")]
        take: Option<i64>,
        /// Every take not transcribed yet
        #[arg(long)]
        pending: bool,
        /// The language the answer was given in, en or ko (stored with the take)
        #[arg(long, value_name = "LANG")]
        language: Option<String>,
        /// A Whisper model file (ggml) instead of the installed one
        #[arg(long, value_name = "PATH")]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// What was said in a take: segments and words with times, language, model
    Transcript {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show a take's self-scoring rubric; with any option, replace it with exactly what is given
    Rubric(review::RubricArgs),
    /// Bookmarks at moments of a take
    #[command(subcommand)]
    Bookmark(review::BookmarkCommand),
    /// Re-rate a take blind (calibration practice: its rating and schedule do not change)
    Rerate {
        #[arg(value_name = "TAKE_ID")]
        take: i64,
        /// again, hard, good or easy
        #[arg(long, value_name = "RATING")]
        rating: String,
        #[arg(long)]
        json: bool,
    },
    /// Takes due for a blind re-rate (rated over a day ago) and the calibration so far
    Calibration {
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Readiness for the interview: technical questions and leadership principles
    Readiness {
        #[arg(long)]
        json: bool,
    },
    /// The 16 leadership principles: questions practised, good stories, weak ones
    Principles {
        #[arg(long)]
        json: bool,
    },
    /// Takes of a question, deck or principle over time, oldest first
    Progress {
        #[command(flatten)]
        scope: review::ProgressArgs,
        #[arg(long)]
        json: bool,
    },
    /// Set the interview date (YYYY-MM-DD), or clear it with "none"
    InterviewDate {
        #[arg(value_name = "YYYY-MM-DD|none")]
        date: String,
    },
    /// List practice sessions, newest first
    Sessions {
        #[arg(long)]
        json: bool,
    },
    /// Export the whole library to one archive, a take's WAV, or a session (WAVs + report.html)
    #[command(group(clap::ArgGroup::new("what").required(true).args(["all", "take", "session"])))]
    Export {
        /// Everything (database, every take, manifest) into one zip archive
        #[arg(long)]
        all: bool,
        /// One take's WAV, bit for bit (FILE may be a folder)
        #[arg(long, value_name = "TAKE_ID")]
        take: Option<i64>,
        /// A session: FILE ending in .zip makes a zip, anything else a new folder (a
        /// rehearsal also gets session.wav and session.cue)
        #[arg(long, value_name = "SESSION_ID")]
        session: Option<i64>,
        /// Replace an existing file
        #[arg(long)]
        overwrite: bool,
        #[arg(long)]
        json: bool,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Import an archive written by `export --all` into an empty library
    Import {
        /// Restore the whole library (the only kind of import so far)
        #[arg(long, required = true)]
        all: bool,
        #[arg(long)]
        json: bool,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Validate, import, export and list rehearsal templates
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Run a timed video-call rehearsal without a window: the interviewers speak to the
    /// default output, the default input is recorded, segments advance on their timers,
    /// each marker is printed as it happens. Enter (a line on stdin) acts as Space; with
    /// --allow-pause a line "p" pauses and the next "p" resumes.
    Rehearse {
        #[arg(long, value_name = "ID")]
        template: String,
        /// One JSON object per event line
        #[arg(long)]
        json: bool,
        /// Do not speak the questions (they are printed only)
        #[arg(long)]
        no_voice: bool,
        /// Language of the questions and voices: en or ko
        #[arg(long, value_name = "LANG", default_value = "en")]
        language: String,
        /// Seed for the drawn questions and probes
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Input device name or id (see `devices`); default: the system default
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        /// Allow pausing: a line "p" on stdin pauses (nothing is recorded, the clock stops)
        /// and the next "p" resumes. Off by default, like a real call.
        #[arg(long)]
        allow_pause: bool,
    },
    /// Rehearsal sessions: list, show, cue sheet
    #[command(subcommand)]
    Session(SessionCommand),
    /// The story bank: your STAR stories, mapped to the leadership principles
    #[command(subcommand)]
    Story(stories::StoryCommand),
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Check a template file; nothing is changed
    Validate { file: PathBuf },
    /// Import a template file (all or nothing; re-importing replaces it)
    Import { file: PathBuf },
    /// Write a template to a file in the template format
    Export {
        #[arg(value_name = "TEMPLATE_ID")]
        template: String,
        file: PathBuf,
    },
    /// List templates
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// List rehearsal sessions, newest first
    List {
        #[arg(long)]
        json: bool,
    },
    /// A session with its markers and takes
    Show {
        #[arg(value_name = "SESSION_ID")]
        session: i64,
        #[arg(long)]
        json: bool,
    },
    /// Write the session's markers as a cue sheet (INDEX mm:ss:ff) for its WAV
    Cue {
        #[arg(value_name = "SESSION_ID")]
        session: i64,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum DeckCommand {
    /// Check a deck file; nothing is changed
    Validate { file: PathBuf },
    /// Import a deck file (all or nothing; re-importing updates the deck, keeping its takes)
    Import { file: PathBuf },
    /// Write a deck to a file in the deck format
    Export {
        #[arg(value_name = "DECK_ID")]
        deck: String,
        file: PathBuf,
    },
    /// List decks
    List {
        #[arg(long)]
        json: bool,
    },
}

fn parse_rating(s: &str) -> Result<Option<u8>, String> {
    match s.to_ascii_lowercase().as_str() {
        "again" | "1" => Ok(Some(1)),
        "hard" | "2" => Ok(Some(2)),
        "good" | "3" => Ok(Some(3)),
        "easy" | "4" => Ok(Some(4)),
        "none" | "0" => Ok(None),
        other => Err(format!("--rating \"{}\" is not again, hard, good or easy (or none)", rehearse_core::echo(other))),
    }
}

/// The arguments, or the one line that says what is wrong with them. `--help` and
/// `--version` print to stdout and exit 0, as clap does.
fn parse_args() -> Result<Cli, String> {
    Cli::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => e.exit(),
        _ => argument_error(e),
    })
}

/// clap's several lines ("error: …", a tip, the usage, "For more information…") as one:
/// the message with each value it quotes cut (rehearse_core::echo), then its tips.
fn argument_error(mut e: clap::Error) -> String {
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a command is missing (run `rehearse-cli --help` to list them)".into();
    }
    let cut: Vec<(ContextKind, ContextValue)> = e
        .context()
        .filter_map(|(kind, value)| match value {
            ContextValue::String(s) => Some((kind, ContextValue::String(rehearse_core::echo(s).into_owned()))),
            ContextValue::Strings(v) => {
                Some((kind, ContextValue::Strings(v.iter().map(|s| rehearse_core::echo(s).into_owned()).collect())))
            }
            _ => None,
        })
        .collect();
    for (kind, value) in cut {
        e.insert(kind, value);
    }
    let text = e.render().to_string();
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        match line.strip_prefix("tip:") {
            Some(tip) => out += &format!("; {}", tip.trim()),
            None if out.is_empty() => out += line.trim_start_matches("error:").trim(),
            // The arguments a "not provided" message lists, one a line.
            None => out += &format!(" {line}"),
        }
    }
    out
}

fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("rehearse-cli: {message}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Devices { outputs, json } => commands::devices(outputs, json),
        Command::Questions { json } => commands::questions(cli.data_dir, json),
        Command::Record { question, seconds, device, session, json } => {
            commands::record(cli.data_dir, &question, seconds, device, session, json)
        }
        Command::Practice { deck, count, language, device } => {
            practice::practice(cli.data_dir, practice::PracticeArgs { deck, count, language, device })
        }
        Command::Takes { question, json } => commands::takes(cli.data_dir, question.as_deref(), json),
        Command::Play { take, speed, from_ms, device, control, skip_silences } => {
            commands::play(cli.data_dir, take, commands::PlayOptions { speed, from_ms, device, control, skip_silences })
        }
        Command::Peaks { take, width, json } => commands::peaks(cli.data_dir, take, width, json),
        Command::Recover { json } => commands::recover(cli.data_dir, json),
        Command::Deck(DeckCommand::Validate { file }) => commands::deck_validate(cli.data_dir, &file),
        Command::Deck(DeckCommand::Import { file }) => commands::deck_import(cli.data_dir, &file),
        Command::Deck(DeckCommand::Export { deck, file }) => commands::deck_export(cli.data_dir, &deck, &file),
        Command::Deck(DeckCommand::List { json }) => commands::deck_list(cli.data_dir, json),
        Command::Rate { take, rating, note } => match rating.as_deref().map(parse_rating).transpose() {
            Ok(rating) => commands::rate(cli.data_dir, take, rating, note),
            Err(e) => Err(e),
        },
        Command::Due { json } => commands::due(cli.data_dir, json),
        Command::Metrics { take, json } => commands::metrics(cli.data_dir, take, json),
        Command::Delete { take } => commands::delete(cli.data_dir, take),
        Command::Library(a) => review::library(cli.data_dir, a),
        Command::Transcribe { take, pending, language, model, json } => {
            transcripts::transcribe(cli.data_dir, take, pending, language, model, json)
        }
        Command::Transcript { take, json } => transcripts::transcript(cli.data_dir, take, json),
        Command::Rubric(a) => review::rubric(cli.data_dir, a),
        Command::Bookmark(c) => review::bookmark(cli.data_dir, c),
        Command::Rerate { take, rating, json } => review::rerate(cli.data_dir, take, &rating, json),
        Command::Calibration { limit, json } => review::calibration(cli.data_dir, limit, json),
        Command::Readiness { json } => review::readiness(cli.data_dir, json),
        Command::Principles { json } => review::principles(cli.data_dir, json),
        Command::Progress { scope, json } => review::progress(cli.data_dir, scope, json),
        Command::InterviewDate { date } => review::interview_date(cli.data_dir, &date),
        Command::Sessions { json } => commands::sessions(cli.data_dir, json),
        Command::Export { all: true, overwrite, json, file, .. } => commands::export_all(cli.data_dir, &file, overwrite, json),
        Command::Export { take: Some(id), overwrite, json, file, .. } => commands::export_take(cli.data_dir, id, &file, overwrite, json),
        Command::Export { session: Some(id), overwrite, json, file, .. } => {
            commands::export_session(cli.data_dir, id, &file, overwrite, json)
        }
        Command::Export { .. } => Err("give --all, --take ID or --session ID".into()),
        Command::Import { json, file, .. } => commands::import_all(cli.data_dir, &file, json),
        Command::Template(TemplateCommand::Validate { file }) => rehearsal::template_validate(cli.data_dir, &file),
        Command::Template(TemplateCommand::Import { file }) => rehearsal::template_import(cli.data_dir, &file),
        Command::Template(TemplateCommand::Export { template, file }) => rehearsal::template_export(cli.data_dir, &template, &file),
        Command::Template(TemplateCommand::List { json }) => rehearsal::template_list(cli.data_dir, json),
        Command::Rehearse { template, json, no_voice, language, seed, device, allow_pause } => {
            rehearsal::rehearse(cli.data_dir, rehearsal::RehearseArgs { template, json, no_voice, language, seed, device, allow_pause })
        }
        Command::Session(SessionCommand::List { json }) => rehearsal::session_list(cli.data_dir, json),
        Command::Session(SessionCommand::Show { session, json }) => rehearsal::session_show(cli.data_dir, session, json),
        Command::Session(SessionCommand::Cue { session, file }) => rehearsal::session_cue(cli.data_dir, session, &file),
        Command::Story(c) => stories::story(cli.data_dir, c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rehearse-cli: {}", message.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
