//! Thin Tauri commands: unpack arguments, call the core or audio crate, map errors.

use rehearse_core::analysis::SpeechMetrics;
use rehearse_core::{DeckId, DeckSummary, ImportReport, Question, QuestionId, RecoveryReport, ScheduleRow, Take, TakeId};
use rehearse_audio::PlaybackRequest;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::error::{CmdResult, CommandError};
use crate::recorder::{ActiveRecording, RecordingSpec};
use crate::state::{lock, AppState};

pub const EV_PLAYBACK: &str = "playback";

/// Settings the page may read and write (others belong to Rust).
const UI_SETTINGS: &[&str] = &["ui_language", "interview_date", rehearse_core::rehearsal::CALL_ALLOW_PAUSE, SKIP_SILENCES];
/// "true" when review playback leaves out long silences.
const SKIP_SILENCES: &str = "skip_silences";

#[derive(Serialize)]
pub struct AppStatus {
    data_dir: Option<String>,
    error: Option<CommandError>,
    recovery: Option<RecoveryReport>,
    ui_language: Option<String>,
    skip_silences: bool,
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    let setting = |key: &str| state.library().ok().and_then(|lib| lib.setting(key).ok().flatten());
    AppStatus {
        data_dir: state.data_dir.clone(),
        error: state.open_error(),
        recovery: state.recovery.clone(),
        ui_language: setting("ui_language"),
        skip_silences: setting(SKIP_SILENCES).as_deref() == Some("true"),
    }
}

#[tauri::command]
pub fn set_setting(state: State<'_, AppState>, key: String, value: Option<String>) -> CmdResult<()> {
    if !UI_SETTINGS.contains(&key.as_str()) {
        return Err(CommandError::new("unknown_setting", format!("no setting named \"{key}\"")));
    }
    Ok(state.library()?.set_setting(&key, value.as_deref())?)
}

#[tauri::command]
pub fn import_deck(state: State<'_, AppState>, path: String) -> CmdResult<ImportReport> {
    Ok(state.library()?.import_deck(std::path::Path::new(&path))?)
}

#[tauri::command]
pub fn export_deck(state: State<'_, AppState>, deck_id: String, path: String) -> CmdResult<()> {
    Ok(state.library()?.export_deck(&DeckId(deck_id), std::path::Path::new(&path))?)
}

#[tauri::command]
pub fn list_questions(state: State<'_, AppState>) -> CmdResult<Vec<Question>> {
    Ok(state.library()?.questions()?)
}

#[tauri::command]
pub fn list_decks(state: State<'_, AppState>) -> CmdResult<Vec<DeckSummary>> {
    Ok(state.library()?.decks()?)
}

#[tauri::command]
pub fn list_takes(state: State<'_, AppState>, question_id: String) -> CmdResult<Vec<Take>> {
    Ok(state.library()?.takes(Some(&QuestionId(question_id)))?)
}

/// Starts recording an answer; it stops by itself after the question's answer time.
/// Returns a notice when the remembered microphone is gone and the default one is used.
#[tauri::command]
pub fn start_recording(app: AppHandle, state: State<'_, AppState>, question_id: String) -> CmdResult<Option<String>> {
    let mut slot = lock(&state.recording);
    if slot.as_ref().is_some_and(|r| !r.is_finished()) {
        return Err(CommandError::new("already_recording", "a recording is already running"));
    }
    if lock(&state.practice).as_ref().is_some_and(|p| !p.is_finished()) {
        return Err(CommandError::new("already_practising", "a practice session is running"));
    }
    if let Some(done) = slot.take() {
        let _ = done.stop(); // already reported to the UI by its events
    }
    let (plan, answer_secs, (input, missing)) = {
        let lib = state.library()?;
        let q = lib.question(&QuestionId(question_id))?;
        (lib.plan_take(&q.id)?, q.answer_secs, crate::miccheck::resolve_input(&lib)?)
    };
    let spec = RecordingSpec { plan: plan.clone(), input, max_seconds: Some(answer_secs as f64), channel: "capture", scheduled: None, hold: false };
    match ActiveRecording::start(app, spec) {
        Ok(rec) => {
            *slot = Some(rec);
            Ok(missing)
        }
        Err(e) => {
            state.library()?.abandon_take(&plan);
            Err(e)
        }
    }
}

/// Stops the recording and returns the saved take.
#[tauri::command]
pub fn stop_recording(state: State<'_, AppState>) -> CmdResult<Take> {
    let rec = lock(&state.recording).take().ok_or_else(|| CommandError::new("not_recording", "nothing is being recorded"))?;
    rec.stop()
}

#[tauri::command]
pub fn play_take(app: AppHandle, state: State<'_, AppState>, take_id: i64) -> CmdResult<u64> {
    let path = {
        let lib = state.library()?;
        let take = lib.take(TakeId(take_id))?;
        lib.take_path(&take)
    };
    let output = crate::miccheck::resolve_output(&*state.library()?)?;
    start_playback(app, &state, take_id, PlaybackRequest { output, ..PlaybackRequest::new(path) })
}

/// Replaces any playback with `req` and forwards its events to the page as "playback".
pub fn start_playback(app: AppHandle, state: &AppState, take_id: i64, req: PlaybackRequest) -> CmdResult<u64> {
    let mut slot = lock(&state.playback);
    if let Some(old) = slot.take() {
        old.stop();
    }
    let handle = rehearse_audio::play(req)?;
    let duration = handle.duration_ms();
    let events = handle.events().clone();
    std::thread::Builder::new()
        .name("rehearse-playback-events".into())
        .spawn(move || {
            for ev in events {
                let _ = app.emit(EV_PLAYBACK, serde_json::json!({ "take_id": take_id, "event": ev }));
            }
        })
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    *slot = Some(handle);
    Ok(duration)
}

#[tauri::command]
pub fn stop_playback(state: State<'_, AppState>) {
    if let Some(h) = lock(&state.playback).take() {
        h.stop();
    }
}

#[tauri::command]
pub fn delete_take(state: State<'_, AppState>, take_id: i64) -> CmdResult<()> {
    Ok(state.library()?.delete_take(TakeId(take_id))?)
}

#[tauri::command]
pub fn take_metrics(state: State<'_, AppState>, take_id: i64) -> CmdResult<SpeechMetrics> {
    Ok(state.library()?.take_metrics(TakeId(take_id))?)
}

/// The schedule of every rated question (due date, leech flag).
#[tauri::command]
pub fn list_schedule(state: State<'_, AppState>) -> CmdResult<Vec<ScheduleRow>> {
    Ok(state.library()?.schedules()?)
}
