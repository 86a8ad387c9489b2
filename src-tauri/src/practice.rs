//! The practice session driver: one thread per session owns the timeline (think →
//! automatic recording → review), so deadlines are kept by Rust, not by the page.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, unbounded, Receiver, RecvTimeoutError, Sender};
use rehearse_core::{PracticeOptions, Question, Session, Take, TakeId};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::error::{CmdResult, CommandError};
use crate::miccheck::resolve_input;
use crate::recorder::{ActiveRecording, RecordingSpec};
use crate::state::{lock, AppState};

pub const EV_PRACTICE: &str = "practice";

/// What the page asks of a running session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeCmd {
    /// Skip the rest of the think time: recording starts now.
    SkipThink,
    /// Stop the answer now.
    StopAnswer,
    /// Record the same question again (within its retake limit).
    Retake,
    /// Go on to the next question.
    Next,
    /// End the session now.
    End,
}

pub struct PracticeHandle {
    cmd_tx: Sender<PracticeCmd>,
    thread: Option<JoinHandle<()>>,
}

impl PracticeHandle {
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for PracticeHandle {
    fn drop(&mut self) {
        let _ = self.cmd_tx.send(PracticeCmd::End);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Clone, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase<'a> {
    Think { index: usize, total: usize, question: &'a Question, think_ms: u64, answer_ms: Option<u64>, take_number: u32 },
    Answer { index: usize, answer_ms: Option<u64> },
    Review { index: usize, take: Box<Take>, retakes_left: u32, is_last: bool },
    Error { index: usize, message: String, retakes_left: u32 },
    Done { summary: rehearse_core::SessionSummary },
}

#[tauri::command]
pub fn start_practice(app: AppHandle, state: State<'_, AppState>, options: PracticeOptions) -> CmdResult<Session> {
    let mut slot = lock(&state.practice);
    if slot.as_ref().is_some_and(|p| !p.is_finished()) {
        return Err(CommandError::new("already_practising", "a practice session is already running"));
    }
    if lock(&state.recording).as_ref().is_some_and(|r| !r.is_finished()) {
        return Err(CommandError::new("already_recording", "a recording is running"));
    }
    let session = state.library()?.start_session(options)?;
    let (cmd_tx, cmd_rx) = unbounded();
    let driver_session = session.clone();
    let thread = std::thread::Builder::new()
        .name("rehearse-practice".into())
        .spawn(move || drive(app, driver_session, cmd_rx))
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    *slot = Some(PracticeHandle { cmd_tx, thread: Some(thread) });
    Ok(session)
}

#[tauri::command]
pub fn practice_command(state: State<'_, AppState>, cmd: PracticeCmd) -> CmdResult<()> {
    let slot = lock(&state.practice);
    let handle = slot.as_ref().filter(|p| !p.is_finished()).ok_or_else(|| CommandError::new("not_practising", "no practice session is running"))?;
    handle.cmd_tx.send(cmd).map_err(|_| CommandError::new("not_practising", "the practice session has ended"))
}

#[tauri::command]
pub fn rate_take(state: State<'_, AppState>, take_id: i64, rating: Option<u8>) -> CmdResult<Take> {
    Ok(state.library()?.rate_take(TakeId(take_id), rating)?)
}

#[tauri::command]
pub fn mark_best(state: State<'_, AppState>, take_id: i64) -> CmdResult<Take> {
    Ok(state.library()?.mark_best(TakeId(take_id))?)
}

/// What the driver does after a step.
enum Flow {
    Again,
    NextQuestion,
    End,
}

/// How many times Again may bring one question back within a session.
const MAX_REQUEUES: usize = 2;

fn drive(app: AppHandle, session: Session, cmds: Receiver<PracticeCmd>) {
    // The queue grows when a take is rated Again: the question comes back at the end.
    let mut queue: Vec<Question> = session.questions.clone();
    let mut index = 0;
    'questions: while index < queue.len() {
        let q = queue[index].clone();
        let mut takes_here = 0u32;
        let mut last_take: Option<TakeId> = None;
        loop {
            let flow = one_take(&app, &session, &q, index, queue.len(), takes_here + 1, &cmds);
            let flow = match flow {
                Ok((flow, take)) => {
                    if take.is_some() {
                        takes_here += 1;
                        last_take = take;
                    }
                    flow
                }
                Err(e) => {
                    let retakes_left = q.retakes.saturating_sub(takes_here);
                    let _ = app.emit(EV_PRACTICE, Phase::Error { index, message: e.message, retakes_left });
                    wait_review(&cmds, retakes_left > 0)
                }
            };
            match flow {
                Flow::Again => continue,
                Flow::NextQuestion => {
                    let again = last_take
                        .and_then(|id| app.state::<AppState>().library().ok().and_then(|lib| lib.take(id).ok()))
                        .is_some_and(|t| t.rating == Some(1));
                    if again && queue.iter().filter(|x| x.id == q.id).count() <= MAX_REQUEUES {
                        queue.push(q.clone());
                    }
                    index += 1;
                    continue 'questions;
                }
                Flow::End => break 'questions,
            }
        }
    }
    let state = app.state::<AppState>();
    let summary = state.library().and_then(|mut lib| Ok(lib.end_session(session.id)?));
    match summary {
        Ok(summary) => {
            let _ = app.emit(EV_PRACTICE, Phase::Done { summary });
        }
        Err(e) => {
            let _ = app.emit(EV_PRACTICE, Phase::Error { index: queue.len(), message: e.message, retakes_left: 0 });
        }
    }
}

/// Think, record, review one take. Returns what comes next and the take saved, if any.
fn one_take(
    app: &AppHandle,
    session: &Session,
    q: &Question,
    index: usize,
    total: usize,
    take_number: u32,
    cmds: &Receiver<PracticeCmd>,
) -> CmdResult<(Flow, Option<TakeId>)> {
    let answer_ms = (!session.options.overtime).then_some(q.answer_secs as u64 * 1000);
    let think = Duration::from_secs(q.think_secs as u64);
    let _ = app.emit(EV_PRACTICE, Phase::Think { index, total, question: q, think_ms: think.as_millis() as u64, answer_ms, take_number });
    // The microphone opens now, held: recording begins the moment the think time ends
    // (or is skipped), without waiting for the device to start.
    let state = app.state::<AppState>();
    let (plan, input) = {
        let lib = state.library()?;
        (lib.plan_take_in(&q.id, Some(session.id))?, resolve_input(&lib)?.0)
    };
    let spec = RecordingSpec { plan: plan.clone(), input, max_seconds: answer_ms.map(|ms| ms as f64 / 1000.0), channel: "practice", scheduled: None, hold: true };
    let rec = match ActiveRecording::start(app.clone(), spec) {
        Ok(r) => r,
        Err(e) => {
            state.library()?.abandon_take(&plan);
            return Err(e);
        }
    };
    let think_until = Instant::now() + think;
    let scheduled = loop {
        match cmds.recv_timeout(think_until.saturating_duration_since(Instant::now())) {
            Err(RecvTimeoutError::Timeout) => break think_until,
            Ok(PracticeCmd::SkipThink) => break Instant::now(),
            Ok(PracticeCmd::Next) => {
                let _ = rec.stop(); // ended while held: nothing is kept
                return Ok((Flow::NextQuestion, None));
            }
            Ok(PracticeCmd::End) | Err(RecvTimeoutError::Disconnected) => {
                let _ = rec.stop();
                return Ok((Flow::End, None));
            }
            Ok(_) => {}
        }
    };
    rec.begin(scheduled);
    let _ = app.emit(EV_PRACTICE, Phase::Answer { index, answer_ms });
    let mut ending = false;
    loop {
        select! {
            recv(rec.done()) -> _ => break,
            recv(cmds) -> cmd => match cmd {
                Ok(PracticeCmd::StopAnswer) => break,
                Ok(PracticeCmd::End) | Err(_) => { ending = true; break; }
                Ok(_) => {}
            },
        }
    }
    let take = rec.stop()?;
    let id = take.id;
    let retakes_left = q.retakes.saturating_sub(take_number);
    if ending {
        return Ok((Flow::End, Some(id)));
    }
    let _ = app.emit(EV_PRACTICE, Phase::Review { index, take: Box::new(take), retakes_left, is_last: index + 1 == total });
    Ok((wait_review(cmds, retakes_left > 0), Some(id)))
}

fn wait_review(cmds: &Receiver<PracticeCmd>, can_retake: bool) -> Flow {
    loop {
        match cmds.recv() {
            Ok(PracticeCmd::Retake) if can_retake => return Flow::Again,
            Ok(PracticeCmd::Next) => return Flow::NextQuestion,
            Ok(PracticeCmd::End) | Err(_) => return Flow::End,
            Ok(_) => {}
        }
    }
}
