//! Thin Tauri commands: unpack arguments, call the core or audio crate, map errors.

use rehearse_audio::PlaybackRequest;
use rehearse_core::analysis::SpeechMetrics;
use rehearse_core::settings::Setting;
use rehearse_core::{DeckId, DeckSummary, ImportReport, Question, QuestionId, RecoveryReport, ScheduleRow, Take, TakeId};
use rehearse_engine::Activity;
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{CmdResult, CommandError};
use crate::recorder::RecordingSpec;
use crate::state::{lock, AppState};

/// Settings the page may write by key (the others have commands of their own, or belong
/// to Rust).
const UI_SETTINGS: &[Setting] = &[
    Setting::UiLanguage,
    Setting::InterviewDate,
    Setting::CallAllowPause,
    Setting::SkipSilences,
    Setting::StoryCueCard,
    Setting::StoryCueCardCall,
    Setting::WelcomeSeen,
];

#[derive(Serialize, specta::Type)]
pub struct AppStatus {
    data_dir: Option<String>,
    error: Option<CommandError>,
    recovery: Option<RecoveryReport>,
    /// Bytes freed at start by removing what killed imports and exports left (0: none).
    leftovers_freed: u64,
    ui_language: Option<String>,
    skip_silences: bool,
    /// False until the first-launch welcome was finished or skipped in this data folder.
    welcome_seen: bool,
    /// The question count of the last practice session (the setup starts from it).
    practice_count: Option<u32>,
    /// The desktop's language ("ko" or "en") from its locale variables, when it names one:
    /// the interface language until the user chooses one.
    system_language: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    let setting = |s: Setting| state.library().ok().and_then(|lib| lib.get(s).ok().flatten());
    let on = |s: Setting| state.library().ok().and_then(|lib| lib.is_on(s).ok()).unwrap_or(false);
    AppStatus {
        data_dir: state.data_dir.clone(),
        error: state.open_error(),
        recovery: state.recovery.clone(),
        leftovers_freed: state.leftovers_freed,
        ui_language: setting(Setting::UiLanguage),
        skip_silences: on(Setting::SkipSilences),
        welcome_seen: on(Setting::WelcomeSeen),
        practice_count: setting(Setting::PracticeCount).and_then(|v| v.parse().ok()),
        system_language: rehearse_core::settings::system_language(|k| std::env::var(k).ok()).map(str::to_string),
    }
}

#[tauri::command]
#[specta::specta]
pub fn set_setting(state: State<'_, AppState>, key: String, value: Option<String>) -> CmdResult<()> {
    let Some(setting) = Setting::from_key(&key).filter(|s| UI_SETTINGS.contains(s)) else {
        return Err(CommandError::new("unknown_setting", format!("no setting named \"{key}\"")));
    };
    Ok(state.library()?.set(setting, value.as_deref())?)
}

#[tauri::command]
#[specta::specta]
pub fn import_deck(state: State<'_, AppState>, path: String) -> CmdResult<ImportReport> {
    Ok(state.library()?.import_deck(std::path::Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub fn export_deck(state: State<'_, AppState>, deck_id: String, path: String) -> CmdResult<()> {
    Ok(state.library()?.export_deck(&DeckId(deck_id), std::path::Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub fn list_questions(state: State<'_, AppState>) -> CmdResult<Vec<Question>> {
    Ok(state.library()?.questions()?)
}

#[tauri::command]
#[specta::specta]
pub fn list_decks(state: State<'_, AppState>) -> CmdResult<Vec<DeckSummary>> {
    Ok(state.library()?.decks()?)
}

#[tauri::command]
#[specta::specta]
pub fn list_takes(state: State<'_, AppState>, question_id: String) -> CmdResult<Vec<Take>> {
    Ok(state.library()?.takes(Some(&QuestionId(question_id)))?)
}

/// Starts recording an answer; it stops by itself after the question's answer time.
/// Returns a notice when the remembered microphone is gone and the default one is used.
/// Off the main thread (as every command that waits on audio): opening a device can stall.
#[tauri::command(async)]
#[specta::specta]
pub fn start_recording(app: AppHandle, state: State<'_, AppState>, question_id: String) -> CmdResult<Option<String>> {
    // Claimed first (a short lock that is always the innermost): refused at once while
    // anything else runs in this window, before any device or file is touched.
    let ticket = state.begin(Activity::Recording)?;
    let done = lock(&state.recording).take();
    if let Some(done) = done {
        let _ = done.stop(); // finished (its ticket is gone); already reported to the UI by its events
    }
    state.may_record()?;
    let (plan, answer_secs, (input, missing)) = {
        let lib = state.library()?;
        let q = lib.question(&QuestionId(question_id))?;
        (lib.plan_take(&q.id)?, q.answer_secs, crate::miccheck::resolve_input(&lib)?)
    };
    let spec = RecordingSpec {
        plan: plan.clone(),
        input,
        max_seconds: Some(answer_secs as f64),
        channel: crate::events::CAPTURE,
        scheduled: None,
        hold: false,
        ticket: Some(ticket),
    };
    match crate::recorder::start(app, spec) {
        Ok(rec) => {
            *lock(&state.recording) = Some(rec);
            Ok(missing)
        }
        Err(e) => {
            state.library()?.abandon_take(&plan);
            Err(e)
        }
    }
}

/// Stops the recording and returns the saved take.
#[tauri::command(async)]
#[specta::specta]
pub fn stop_recording(state: State<'_, AppState>) -> CmdResult<Take> {
    let rec = lock(&state.recording).take().ok_or_else(|| CommandError::new("not_recording", "nothing is being recorded"))?;
    Ok(rec.stop()?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn play_take(app: AppHandle, state: State<'_, AppState>, take_id: i64) -> CmdResult<u64> {
    let path = {
        let lib = state.library()?;
        let take = lib.take(TakeId(take_id))?;
        lib.take_path(&take)?
    };
    let output = crate::miccheck::resolve_output(&*state.library()?)?;
    start_playback(app, &state, take_id, PlaybackRequest { output, ..PlaybackRequest::new(path) })
}

/// Replaces any playback with `req` and forwards its events to the page as "playback".
/// The slot is not held while audio is stopped or opened, so that a command that only looks
/// at it (playback_control, on the main thread) never waits for a device.
pub fn start_playback(app: AppHandle, state: &AppState, take_id: i64, req: PlaybackRequest) -> CmdResult<u64> {
    let old = lock(&state.playback).take();
    if let Some(old) = old {
        old.stop();
    }
    let handle = rehearse_audio::play(req)?;
    let duration = handle.duration_ms();
    let events = handle.events().clone();
    std::thread::Builder::new()
        .name("rehearse-playback-events".into())
        .spawn(move || {
            for ev in events {
                crate::events::PLAYBACK.emit(&app, &crate::events::PlaybackPayload { take_id, event: ev });
            }
        })
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    // Another playback started meanwhile is replaced (stopped outside the lock).
    let replaced = lock(&state.playback).replace(handle);
    drop(replaced);
    Ok(duration)
}

#[tauri::command(async)]
#[specta::specta]
pub fn stop_playback(state: State<'_, AppState>) {
    let playing = lock(&state.playback).take();
    if let Some(h) = playing {
        h.stop();
    }
}

#[tauri::command]
#[specta::specta]
pub fn delete_take(state: State<'_, AppState>, take_id: i64) -> CmdResult<()> {
    Ok(state.library()?.delete_take(TakeId(take_id))?)
}

#[tauri::command]
#[specta::specta]
pub fn take_metrics(state: State<'_, AppState>, take_id: i64) -> CmdResult<SpeechMetrics> {
    Ok(state.library()?.take_metrics(TakeId(take_id))?)
}

/// The schedule of every rated question (due date, leech flag).
#[tauri::command]
#[specta::specta]
pub fn list_schedule(state: State<'_, AppState>) -> CmdResult<Vec<ScheduleRow>> {
    Ok(state.library()?.schedules()?)
}
