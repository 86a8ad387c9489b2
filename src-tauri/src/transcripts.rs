//! Wiring of the transcription worker (rehearse-engine): started with the app, kicked after
//! every saved take, told when a recording runs (one model thread then), stopped while an
//! archive import moves the database. Its progress goes to the page as the event
//! "transcription"; the last one is kept for a page that asks later.

use std::sync::Mutex;

use rehearse_core::storage::transcripts::StoredTranscript;
use rehearse_core::transcript_analysis::TranscriptReport;
use rehearse_core::transcript_store::TranscriptState;
use rehearse_core::TakeId;
use rehearse_engine::speech_model::{load_model, model_path, SPEECH_MODEL_SETTING};
use rehearse_engine::transcribe::{Worker, WorkerEvent};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::error::{CmdResult, CommandError};
use crate::state::{lock, AppState};

#[derive(Default)]
pub struct Transcription {
    worker: Mutex<Option<Worker>>,
    last: std::sync::Arc<Mutex<Option<WorkerEvent>>>,
}

/// Starts the worker (again) over the open library; nothing when the library did not open.
pub fn start(app: &AppHandle) {
    let Some(t) = app.try_state::<Transcription>() else { return };
    let Ok((dir, setting)) = app.state::<AppState>().library().and_then(|lib| Ok((lib.data_dir().clone(), lib.get(SPEECH_MODEL_SETTING)?)))
    else {
        return;
    };
    let path = model_path(None, setting.as_deref());
    let (emitter, last) = (app.clone(), t.last.clone());
    let events = move |ev: WorkerEvent| {
        *lock(&last) = Some(ev.clone());
        crate::events::TRANSCRIPTION.emit(&emitter, &ev);
    };
    match Worker::start(dir, Box::new(move || load_model(path)), events) {
        Ok(w) => *lock(&t.worker) = Some(w),
        Err(e) => eprintln!("rehearse: transcription will not run in the background: {e}"),
    }
}

/// Stops the worker: the take it is on stays pending (an import is about to move the database).
pub fn stop(app: &AppHandle) {
    if let Some(t) = app.try_state::<Transcription>() {
        drop(lock(&t.worker).take());
    }
}

/// A take was saved: transcribe it when the worker is free.
pub fn poke(app: &AppHandle) {
    if let Some(t) = app.try_state::<Transcription>() {
        if let Some(w) = lock(&t.worker).as_ref() {
            w.kick();
        }
    }
}

/// A recording started or ended.
pub fn recording(app: &AppHandle, on: bool) {
    if let Some(t) = app.try_state::<Transcription>() {
        if let Some(w) = lock(&t.worker).as_ref() {
            w.set_recording(on);
        }
    }
}

/// What the review pane shows of a take's transcript: the text and its analyses (pace,
/// fillers, I/we, key points heard; none until it is heard).
#[derive(Serialize, specta::Type)]
pub struct TakeTranscript {
    transcript: Option<StoredTranscript>,
    state: TranscriptState,
    analysis: Option<TranscriptReport>,
    /// The language the take was answered in (what the model is told).
    language: String,
}

#[tauri::command]
#[specta::specta]
pub fn take_transcript(state: State<'_, AppState>, take_id: i64) -> CmdResult<TakeTranscript> {
    let lib = state.library()?;
    let id = TakeId(take_id);
    Ok(TakeTranscript {
        transcript: lib.transcript(id)?,
        state: lib.transcript_state(id, None)?,
        analysis: lib.take_transcript_report(id)?,
        language: lib.take(id)?.language,
    })
}

/// Transcribes a take again (its transcript outdated or failed): made pending, and the
/// background worker woken.
#[tauri::command]
#[specta::specta]
pub fn transcribe_again(app: AppHandle, state: State<'_, AppState>, take_id: i64) -> CmdResult<()> {
    state.library()?.transcribe_again(TakeId(take_id))?;
    poke(&app);
    Ok(())
}

/// Corrects the language a take was answered in; a transcript heard in another language is
/// made again in the background.
#[tauri::command]
#[specta::specta]
pub fn set_take_language(app: AppHandle, state: State<'_, AppState>, take_id: i64, language: String) -> CmdResult<bool> {
    let (_, pending) = state.library()?.retranscribe_in(TakeId(take_id), &language)?;
    if pending {
        poke(&app);
    }
    Ok(pending)
}

/// What the speech settings dialog shows.
#[derive(Serialize, specta::Type)]
pub struct SpeechSettings {
    /// The `speech_model` setting (none: the installed model).
    speech_model: Option<String>,
    /// The model set-up installs, where it is looked for.
    default_model: Option<String>,
    pace_band_en: String,
    pace_band_ko: String,
}

#[tauri::command]
#[specta::specta]
pub fn speech_settings(state: State<'_, AppState>) -> CmdResult<SpeechSettings> {
    let lib = state.library()?;
    let bands = lib.pace_bands()?;
    let band = |b: rehearse_core::transcript_analysis::PaceBand| format!("{}-{}", b.min, b.max);
    Ok(SpeechSettings {
        speech_model: lib.get(SPEECH_MODEL_SETTING)?,
        default_model: rehearse_speech_default(),
        pace_band_en: band(bands.en),
        pace_band_ko: band(bands.ko),
    })
}

fn rehearse_speech_default() -> Option<String> {
    model_path(None, None).map(|p| p.display().to_string())
}

/// Saves the speech settings: the model file (none or empty: the installed one) and the
/// two pace bands ("MIN-MAX"). Everything is checked before anything is stored: a model
/// path that is not a file, or a malformed band, changes nothing. A new model restarts the
/// background worker with it (a damaged file shows as "transcription is off: …").
#[tauri::command]
#[specta::specta]
pub fn set_speech_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    speech_model: Option<String>,
    pace_band_en: String,
    pace_band_ko: String,
) -> CmdResult<()> {
    let model = speech_model.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
    if let Some(p) = model.as_deref().filter(|p| !std::path::Path::new(p).is_file()) {
        return Err(CommandError::new("no_model_file", format!("no model file at {p}: nothing was changed")));
    }
    use rehearse_core::transcript_analysis::{parse_band, PACE_BAND_EN, PACE_BAND_KO};
    for (key, v) in [(PACE_BAND_EN, &pace_band_en), (PACE_BAND_KO, &pace_band_ko)] {
        if parse_band(v).is_none() {
            return Err(CommandError::new(
                "invalid_setting",
                format!("{key} \"{v}\" is not MIN-MAX per minute (e.g. 120-160): nothing was changed"),
            ));
        }
    }
    let changed = {
        let mut lib = state.library()?;
        let before = lib.get(SPEECH_MODEL_SETTING)?;
        lib.set_setting(PACE_BAND_EN, Some(pace_band_en.trim()))?;
        lib.set_setting(PACE_BAND_KO, Some(pace_band_ko.trim()))?;
        lib.set(SPEECH_MODEL_SETTING, model.as_deref())?;
        before != model
    };
    if changed {
        stop(&app);
        start(&app);
    }
    Ok(())
}

/// The worker's last report (None before its first).
#[tauri::command]
#[specta::specta]
pub fn transcription_status(t: State<'_, Transcription>) -> Option<WorkerEvent> {
    lock(&t.last).clone()
}
