//! The practice session's commands. The driver (think → answer → review, the order of the
//! questions) is the engine's `practice`; this window is its host: its library, its
//! microphone choice, and the events the page hears.

use std::sync::{Arc, MutexGuard};

use rehearse_core::{Library, PlannedTake, PracticeOptions, Session, Take, TakeId};
use rehearse_engine::practice::{self, PracticeHost};
use rehearse_engine::{Activity, EngineError, Shelf, TakeRecorder};
use tauri::{AppHandle, State};

pub use rehearse_engine::{PracticeCmd, PracticeHandle, PracticePhase};

use crate::error::{CmdResult, CommandError};
use crate::miccheck::resolve_input;
use crate::recorder::{AppShelf, RecordingSpec};
use crate::state::{lock, AppState};

/// Off the main thread: it waits for the recording slot, which a starting recording holds
/// while its microphone opens.
#[tauri::command(async)]
#[specta::specta]
pub fn start_practice(app: AppHandle, state: State<'_, AppState>, options: PracticeOptions) -> CmdResult<Session> {
    run(app, &state, |lib| lib.start_session(options))
}

/// Starts the session `begin` makes in the library and drives it.
fn run(app: AppHandle, state: &AppState, begin: impl FnOnce(&mut Library) -> rehearse_core::Result<Session>) -> CmdResult<Session> {
    // Held by the driver thread for the whole session (its takes run under it).
    let ticket = state.begin(Activity::Practice)?;
    state.may_record()?;
    let session = begin(&mut *state.library()?)?;
    let handle = practice::start(Arc::new(Host(AppShelf(app))), session.clone(), ticket)?;
    // The session it replaces has ended (its ticket is gone); dropped outside the lock.
    let ended = lock(&state.practice).replace(handle);
    drop(ended);
    Ok(session)
}

/// A story drill (core `start_story_drill`): each story, due ones first, told to one of its
/// questions in `answer_secs` (default two minutes), run by the same driver as practice.
#[tauri::command(async)]
#[specta::specta]
pub fn start_story_drill(app: AppHandle, state: State<'_, AppState>, language: String, answer_secs: Option<u32>) -> CmdResult<Session> {
    let secs = answer_secs.unwrap_or(rehearse_core::stories::DRILL_SECONDS);
    run(app, &state, |lib| lib.start_story_drill(time::OffsetDateTime::now_utc(), &language, secs, None))
}

#[tauri::command]
#[specta::specta]
pub fn practice_command(state: State<'_, AppState>, cmd: PracticeCmd) -> CmdResult<()> {
    let slot = lock(&state.practice);
    let handle =
        slot.as_ref().filter(|p| !p.is_finished()).ok_or_else(|| CommandError::new("not_practising", "no practice session is running"))?;
    handle.send(cmd).then_some(()).ok_or_else(|| CommandError::new("not_practising", "the practice session has ended"))
}

#[tauri::command]
#[specta::specta]
pub fn rate_take(state: State<'_, AppState>, take_id: i64, rating: Option<u8>) -> CmdResult<Take> {
    Ok(state.library()?.rate_take(TakeId(take_id), rating)?)
}

#[tauri::command]
#[specta::specta]
pub fn mark_best(state: State<'_, AppState>, take_id: i64) -> CmdResult<Take> {
    Ok(state.library()?.mark_best(TakeId(take_id))?)
}

/// The window as the practice driver's host.
struct Host(AppShelf);

impl Shelf for Host {
    fn library(&self) -> Result<MutexGuard<'_, Library>, EngineError> {
        self.0.library()
    }
}

impl PracticeHost for Host {
    fn emit(&self, phase: &PracticePhase) {
        crate::events::PRACTICE.emit(&self.0 .0, phase);
    }

    fn open_take(self: &Arc<Self>, plan: &PlannedTake, max_seconds: Option<f64>) -> Result<TakeRecorder, EngineError> {
        let input = resolve_input(&*self.library()?).map_err(failed)?.0;
        let spec = RecordingSpec {
            plan: plan.clone(),
            input,
            max_seconds,
            channel: crate::events::PRACTICE_RECORDING,
            scheduled: None,
            hold: true,
            ticket: None,
        };
        crate::recorder::start(self.0 .0.clone(), spec).map_err(failed)
    }
}

fn failed(e: CommandError) -> EngineError {
    EngineError::Failed { kind: e.kind, message: e.message }
}
