//! The practice session driver, the same for the window and rehearse-cli's `practice`: one
//! thread per session owns the timeline (think → answer, recorded automatically → review),
//! so deadlines are kept here, not by the page or the terminal. The front end sends
//! [`PracticeCmd`]s and hears [`PracticePhase`]s through its [`PracticeHost`]; each answer
//! is one [`TakeRecorder`](crate::recorder::TakeRecorder) the host opens.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, unbounded, Receiver, RecvTimeoutError, Sender};
use rehearse_core::{PlannedTake, Question, Session, SessionSummary, Story, StoryId, Take, TakeId};
use serde::{Deserialize, Serialize};

use crate::recorder::{Shelf, TakeRecorder};
use crate::{EngineError, Ticket};

/// What the front end asks of a running session.
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

/// The session's timeline as the front end sees it (the window's event "practice").
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum PracticePhase {
    Think {
        index: usize,
        total: usize,
        question: Box<Question>,
        think_ms: u64,
        answer_ms: Option<u64>,
        take_number: u32,
        /// In a story drill, the story to tell (each take is linked to it as it is saved).
        story: Option<Box<Story>>,
    },
    Answer {
        index: usize,
        answer_ms: Option<u64>,
    },
    Review {
        index: usize,
        take: Box<Take>,
        retakes_left: u32,
        is_last: bool,
    },
    /// `kind` is the error's stable kind (too_short: the take was not kept).
    Error {
        index: usize,
        kind: &'static str,
        message: String,
        retakes_left: u32,
    },
    Done {
        summary: SessionSummary,
    },
}

/// What a front end gives the driver: its library, where the phases go, and how an answer
/// is recorded (the device it chose, what it shows while the take runs).
pub trait PracticeHost: Shelf {
    fn emit(&self, phase: &PracticePhase);
    /// Opens the microphone for `plan`, held (audio is kept from `begin`), stopping by
    /// itself after `max_seconds` of audio.
    fn open_take(self: &Arc<Self>, plan: &PlannedTake, max_seconds: Option<f64>) -> Result<TakeRecorder, EngineError>;
}

/// A running session. Dropping it ends the session (what was recorded is kept).
pub struct PracticeHandle {
    cmd_tx: Sender<PracticeCmd>,
    thread: Option<JoinHandle<()>>,
}

impl PracticeHandle {
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Sends a command; false when the session has ended.
    pub fn send(&self, cmd: PracticeCmd) -> bool {
        self.cmd_tx.send(cmd).is_ok()
    }

    /// Waits for the session to end (after its Done or last Error phase).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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

/// Starts the driver thread for a session the core has started. `ticket` (the activity
/// state's claim on practice) is held by that thread until the session ends.
pub fn start<H: PracticeHost>(host: Arc<H>, session: Session, ticket: Ticket) -> Result<PracticeHandle, EngineError> {
    let (cmd_tx, cmd_rx) = unbounded();
    let thread = std::thread::Builder::new()
        .name("rehearse-practice".into())
        .spawn(move || {
            let _running = ticket;
            drive(&host, &session, &cmd_rx)
        })
        .map_err(|e| EngineError::Thread("practice", e.to_string()))?;
    Ok(PracticeHandle { cmd_tx, thread: Some(thread) })
}

/// What the driver does after a step.
enum Flow {
    Again,
    NextQuestion,
    End,
}

/// How many times Again may bring one question back within a session.
pub const MAX_REQUEUES: usize = 2;

fn drive<H: PracticeHost>(host: &Arc<H>, session: &Session, cmds: &Receiver<PracticeCmd>) {
    // The queue grows when a take is rated Again: the question comes back at the end.
    // A story drill's story goes with its question, when it comes back too.
    let mut queue: Vec<(Question, Option<StoryId>)> =
        session.questions.iter().enumerate().map(|(i, q)| (q.clone(), session.stories.get(i).copied())).collect();
    let mut index = 0;
    'questions: while index < queue.len() {
        let (q, story) = queue[index].clone();
        let mut takes_here = 0u32;
        let mut last_take: Option<TakeId> = None;
        loop {
            let asked = Asked { q: &q, story, index, total: queue.len(), take_number: takes_here + 1 };
            let flow = match one_take(host, session, &asked, cmds) {
                Ok((flow, take)) => {
                    if take.is_some() {
                        takes_here += 1;
                        last_take = take;
                    }
                    flow
                }
                Err(e) => {
                    let retakes_left = q.retakes.saturating_sub(takes_here);
                    host.emit(&PracticePhase::Error { index, kind: e.kind(), message: e.to_string(), retakes_left });
                    wait_review(cmds, retakes_left > 0)
                }
            };
            match flow {
                Flow::Again => continue,
                Flow::NextQuestion => {
                    let again =
                        last_take.and_then(|id| host.library().ok().and_then(|lib| lib.take(id).ok())).is_some_and(|t| t.rating == Some(1));
                    if again && queue.iter().filter(|(x, _)| x.id == q.id).count() <= MAX_REQUEUES {
                        queue.push((q.clone(), story));
                    }
                    index += 1;
                    continue 'questions;
                }
                Flow::End => break 'questions,
            }
        }
    }
    let summary = host.library().and_then(|mut lib| Ok(lib.end_session(session.id)?));
    match summary {
        Ok(summary) => host.emit(&PracticePhase::Done { summary }),
        Err(e) => host.emit(&PracticePhase::Error { index: queue.len(), kind: e.kind(), message: e.to_string(), retakes_left: 0 }),
    }
}

/// The question being asked: where it stands in the session, and a drill's story.
struct Asked<'a> {
    q: &'a Question,
    story: Option<StoryId>,
    index: usize,
    total: usize,
    take_number: u32,
}

/// Think, record, review one take. Returns what comes next and the take saved, if any.
fn one_take<H: PracticeHost>(
    host: &Arc<H>,
    session: &Session,
    asked: &Asked<'_>,
    cmds: &Receiver<PracticeCmd>,
) -> Result<(Flow, Option<TakeId>), EngineError> {
    let Asked { q, story, index, total, take_number } = *asked;
    let answer_ms = (!session.options.overtime).then_some(q.answer_secs as u64 * 1000);
    let think = Duration::from_secs(q.think_secs as u64);
    let told = match story {
        Some(id) => Some(Box::new(host.library()?.story_summary(id)?)),
        None => None,
    };
    host.emit(&PracticePhase::Think {
        index,
        total,
        question: Box::new(q.clone()),
        think_ms: think.as_millis() as u64,
        answer_ms,
        take_number,
        story: told,
    });
    // The microphone opens now, held: recording begins the moment the think time ends
    // (or is skipped), without waiting for the device to start.
    let plan = host.library()?.plan_take_in(&q.id, Some(session.id))?;
    let rec = match host.open_take(&plan, answer_ms.map(|ms| ms as f64 / 1000.0)) {
        Ok(r) => r,
        Err(e) => {
            host.library()?.abandon_take(&plan);
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
    host.emit(&PracticePhase::Answer { index, answer_ms });
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
    let take = match rec.stop() {
        Ok(t) => t,
        // Ended at once (Esc right after the start): nothing kept, and the session ends.
        Err(e) if ending && e.kind() == "too_short" => return Ok((Flow::End, None)),
        Err(e) => return Err(e),
    };
    let id = take.id;
    if let Some(story) = story {
        // Linked here, not by the front end: a window closed at the review keeps the link.
        host.library()?.link_take(id, Some(story))?;
    }
    let retakes_left = q.retakes.saturating_sub(take_number);
    if ending {
        return Ok((Flow::End, Some(id)));
    }
    host.emit(&PracticePhase::Review { index, take: Box::new(take), retakes_left, is_last: index + 1 == total });
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
