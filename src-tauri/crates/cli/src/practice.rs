//! `practice`: the window's practice session in the terminal. The engine's driver keeps
//! the timeline (think → answer → review, the order of the questions, Again bringing a
//! question back) and records each answer through the engine's take lifecycle; this file
//! is its host: it prints the phases and turns lines on stdin into the window's keys
//! (Enter for Space, 1-4 or again/hard/good/easy for the rating).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{never, select, tick, unbounded, Receiver, Sender};
use rehearse_audio::InputChoice;
use rehearse_core::{echo, DeckId, Library, PlannedTake, PracticeOptions, TakeId};
use rehearse_engine::capture_watch::Watched;
use rehearse_engine::practice::{self, PracticeHost};
use rehearse_engine::{
    Activity, ActivityState, EngineError, PracticeCmd, PracticePhase, Shelf, TakeEnd, TakeObserver, TakeRecorder, TakeSpec, TakeStarted,
};

use crate::commands::{ctrl_c, open, rated_line, say, Notices, Outcome};

pub struct PracticeArgs {
    pub deck: String,
    pub count: usize,
    pub language: String,
    pub device: Option<String>,
}

/// The terminal as the driver's host: the library (shared with the rating prompt), the
/// microphone chosen, and the phases passed on to the loop that prints them.
struct Terminal {
    lib: Mutex<Library>,
    input: InputChoice,
    phases: Sender<PracticePhase>,
}

impl Shelf for Terminal {
    fn library(&self) -> Result<MutexGuard<'_, Library>, EngineError> {
        Ok(self.lib.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl PracticeHost for Terminal {
    fn emit(&self, phase: &PracticePhase) {
        let _ = self.phases.send(phase.clone());
    }

    fn open_take(self: &Arc<Self>, plan: &PlannedTake, max_seconds: Option<f64>) -> Result<TakeRecorder, EngineError> {
        let spec = TakeSpec { plan: plan.clone(), input: self.input.clone(), max_seconds, scheduled: None, hold: true };
        TakeRecorder::start(self.clone(), spec, Answer::default())
    }
}

/// What the terminal shows of an answer while it is recorded (on stderr, as `record` does).
#[derive(Default)]
struct Answer {
    notices: Notices,
}

impl TakeObserver for Answer {
    fn started(&mut self, s: &TakeStarted) {
        eprintln!("recording from {} at {} Hz (first samples after {} ms)", s.device, s.sample_rate, s.first_sample_ms);
    }

    fn seen(&mut self, seen: Watched) {
        self.notices.seen(&seen);
    }

    fn ended(&mut self, end: TakeEnd<'_>) {
        if let Some((_, message)) = end.failure {
            eprintln!("stopped: {message}");
        }
    }
}

/// Where the session is, as far as stdin's lines are concerned.
enum At {
    Waiting,
    Think { until: Instant },
    Answer,
    Review { take: TakeId, retakes_left: u32 },
    Error { retakes_left: u32 },
}

pub fn practice(data_dir: Option<PathBuf>, args: PracticeArgs) -> Outcome {
    let PracticeArgs { deck, count, language, device } = args;
    if count == 0 {
        return Err("--count must be at least 1 (the number of questions to practise)".into());
    }
    if !matches!(language.as_str(), "en" | "ko") {
        return Err(format!("--language \"{}\" is not en or ko", echo(&language)));
    }
    let mut lib = open(data_dir)?;
    let activity = ActivityState::new();
    let ticket = activity.begin(Activity::Practice).map_err(|e| e.to_string())?;
    let options = PracticeOptions {
        deck_id: DeckId::from(deck.as_str()),
        category: None,
        tag: None,
        count,
        order: Default::default(),
        language: language.clone(),
        overtime: false,
        seed: None,
    };
    let session = lib.start_session(options).map_err(|e| match e.kind() {
        "invalid_deck" => format!("--deck \"{}\": no deck with this id (see `rehearse-cli deck list`)", echo(&deck)),
        _ => e.to_string(),
    })?;
    say(format!("practice session {}: {} question(s) from deck {}", session.id, session.questions.len(), echo(&deck)))?;
    let stop = ctrl_c()?;
    let lines = stdin_lines()?;
    let (phases_tx, phases) = unbounded();
    let host = Arc::new(Terminal { lib: Mutex::new(lib), input: InputChoice::from(device), phases: phases_tx });
    let handle = practice::start(host.clone(), session, ticket).map_err(|e| e.to_string())?;
    let mut countdown = tick(Duration::from_secs(1));
    let mut lines = lines;
    let mut at = At::Waiting;
    let mut failure = None;
    let mut done = false;
    loop {
        select! {
            recv(phases) -> phase => {
                let Ok(phase) = phase else { break };
                match show(&phase, &language)? {
                    Some(next) => {
                        if let At::Think { until } = next {
                            // Counted from now, a line a second: "think: 3 s", "think: 2 s", ...
                            count_down(until);
                            countdown = tick(Duration::from_secs(1));
                        }
                        at = next;
                    }
                    None => {
                        done = true;
                        break;
                    }
                }
                if let PracticePhase::Error { message, .. } = phase {
                    failure = Some(message);
                }
            },
            recv(lines) -> line => match line {
                Ok(line) => {
                    if let Some(cmd) = answer_line(&host, &mut at, line.trim())? {
                        handle.send(cmd);
                    }
                }
                // End of input: the session ends, keeping what was recorded.
                Err(_) => {
                    handle.send(PracticeCmd::End);
                    lines = never();
                }
            },
            recv(stop) -> _ => { handle.send(PracticeCmd::End); },
            recv(countdown) -> _ => {
                if let At::Think { until } = at {
                    count_down(until);
                }
                if handle.is_finished() && phases.is_empty() {
                    break;
                }
            },
        }
    }
    handle.wait();
    match failure {
        _ if done => Ok(()),
        Some(m) => Err(format!("the practice session ended with an error: {m}")),
        None => Err("the practice session ended unexpectedly".into()),
    }
}

/// The think time left, on stderr (one line rewritten on a terminal, a line each else).
fn count_down(until: Instant) {
    let left = until.saturating_duration_since(Instant::now()).as_secs_f64().round() as u64;
    if left > 0 {
        if std::io::stderr().is_terminal() {
            eprint!("\rthink: {left:>3} s ");
        } else {
            eprintln!("think: {left} s");
        }
    }
}

/// Prints a phase; returns where the session now is, or None when it is done.
fn show(phase: &PracticePhase, language: &str) -> Result<Option<At>, String> {
    if std::io::stderr().is_terminal() {
        eprint!("\r");
    }
    Ok(Some(match phase {
        PracticePhase::Think { index, total, question, think_ms, answer_ms, take_number, story } => {
            let take = if *take_number > 1 { format!(" (take {take_number})") } else { String::new() };
            say(format!("question {}/{total} [{}]{take}: {}", index + 1, question.id, question.text_in(language)))?;
            if let Some(s) = story {
                say(format!("tell the story \"{}\" (story {})", s.fields.title, s.id.0))?;
            }
            let answer = answer_ms.map(|ms| format!(", then {} s to answer", ms / 1000)).unwrap_or_default();
            say(format!("think {} s{answer} (Enter: answer now)", think_ms / 1000))?;
            At::Think { until: Instant::now() + Duration::from_millis(*think_ms) }
        }
        PracticePhase::Answer { answer_ms, .. } => {
            let limit = answer_ms.map(|ms| format!("; it stops by itself after {} s", ms / 1000)).unwrap_or_default();
            say(format!("answer now: recording (Enter stops{limit})"))?;
            At::Answer
        }
        PracticePhase::Review { take, retakes_left, is_last, .. } => {
            say(format!("take {} saved ({:.2} s)", take.id, take.duration_ms as f64 / 1000.0))?;
            let retake = if *retakes_left > 0 { format!(", r retake ({retakes_left} left)") } else { String::new() };
            let next = if *is_last { "finish" } else { "next question" };
            say(format!("rate it: 1 again, 2 hard, 3 good, 4 easy{retake}, b best, Enter: {next} without rating"))?;
            At::Review { take: take.id, retakes_left: *retakes_left }
        }
        PracticePhase::Error { kind, message, retakes_left, .. } => {
            let what = if *kind == "too_short" { "the answer was not kept" } else { "error" };
            eprintln!("{what}: {message}");
            let retake = if *retakes_left > 0 { ", r: record it again" } else { "" };
            say(format!("Enter: next question{retake}"))?;
            At::Error { retakes_left: *retakes_left }
        }
        PracticePhase::Done { summary } => {
            say(format!(
                "session {} ended: {} question(s), {} take(s), {:.1} s recorded",
                summary.id,
                summary.questions,
                summary.takes,
                summary.total_ms as f64 / 1000.0
            ))?;
            return Ok(None);
        }
    }))
}

/// What a line on stdin asks for where the session is (the window's keys: Enter for
/// Space in think and answer, Enter for next, 1-4 to rate, r to retake, b for best).
fn answer_line(host: &Terminal, at: &mut At, line: &str) -> Result<Option<PracticeCmd>, String> {
    let word = line.to_ascii_lowercase();
    Ok(match (&*at, word.as_str()) {
        (At::Think { .. }, _) => {
            *at = At::Waiting;
            Some(PracticeCmd::SkipThink)
        }
        (At::Answer, _) => {
            *at = At::Waiting;
            Some(PracticeCmd::StopAnswer)
        }
        (At::Review { retakes_left, .. } | At::Error { retakes_left }, "r") => {
            if *retakes_left == 0 {
                eprintln!("no retakes left for this question");
                return Ok(None);
            }
            *at = At::Waiting;
            Some(PracticeCmd::Retake)
        }
        (At::Review { .. } | At::Error { .. }, "") => {
            *at = At::Waiting;
            Some(PracticeCmd::Next)
        }
        (At::Review { take, .. }, "b") => {
            let mut lib = host.library().map_err(|e| e.to_string())?;
            match lib.mark_best(*take) {
                Ok(t) => say(format!("take {} is the best of {}", t.id, t.question_id))?,
                Err(e) => eprintln!("warning: {e}"),
            }
            None
        }
        (At::Review { take, .. }, _) => match crate::parse_rating(&word) {
            Ok(rating) => {
                let take = *take;
                let mut lib = host.library().map_err(|e| e.to_string())?;
                let t = lib.rate_take(take, rating).map_err(|e| e.to_string())?;
                say(rated_line(&lib, &t)?)?;
                *at = At::Waiting;
                Some(PracticeCmd::Next)
            }
            Err(_) => {
                eprintln!("\"{}\" is not a rating: 1 again, 2 hard, 3 good, 4 easy, r, b or Enter", echo(line));
                None
            }
        },
        (At::Error { .. }, _) | (At::Waiting, _) => None,
    })
}

/// Lines of stdin, read on a thread of their own; the channel closes at end of input.
fn stdin_lines() -> Result<Receiver<String>, String> {
    let (tx, rx) = unbounded();
    std::thread::Builder::new()
        .name("rehearse-cli-stdin".into())
        .spawn(move || {
            for line in std::io::stdin().lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(rx)
}
