//! Thin commands of the video-call rehearsal: templates, the pre-flight checks, and a
//! running call driven by rehearse-engine (which owns the clock, the voices, the one
//! continuous recording, the markers and the takes). Engine events reach the page as
//! "call" events, unchanged.

use std::path::Path;

use rehearse_audio::PlaybackRequest;
use rehearse_core::rehearsal::{RehearsalDetail, RehearsalOptions, TemplateImportReport, TemplateSummary};
use rehearse_core::report::RehearsalReport;
use rehearse_core::{DataDir, Library};
use rehearse_engine::{default_voice, Activity, Command, RehearsalEvent, RehearsalHandle, RehearsalRequest, Speaker};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{CmdResult, CommandError};
use crate::miccheck::{resolve_input, resolve_output};
use crate::state::{lock, AppState};

/// The session recording is 16-bit mono; this many bytes per second at 48 kHz.
const BYTES_PER_SECOND: u64 = 48_000 * 2;

#[tauri::command]
#[specta::specta]
pub fn list_templates(state: State<'_, AppState>) -> CmdResult<Vec<TemplateSummary>> {
    Ok(state.library()?.templates()?)
}

#[tauri::command]
#[specta::specta]
pub fn import_template(state: State<'_, AppState>, path: String) -> CmdResult<TemplateImportReport> {
    Ok(state.library()?.import_template(Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub fn export_template(state: State<'_, AppState>, template_id: String, path: String) -> CmdResult<()> {
    Ok(state.library()?.export_template(&template_id, Path::new(&path))?)
}

/// A template in the file format, for the in-app editor.
#[tauri::command]
#[specta::specta]
pub fn template_text(state: State<'_, AppState>, template_id: String) -> CmdResult<String> {
    Ok(state.library()?.template_text(&template_id)?)
}

/// Saves an edited template: the same validation as an imported file; on any error
/// nothing changes and the message names the problem.
#[tauri::command]
#[specta::specta]
pub fn save_template_text(state: State<'_, AppState>, text: String) -> CmdResult<TemplateImportReport> {
    Ok(state.library()?.import_template_text("the edited template", &text)?)
}

/// What the pre-flight screen shows before a call starts.
#[derive(Serialize, specta::Type)]
pub struct Preflight {
    /// The planned questions and probes per segment.
    plan: rehearse_core::rehearsal::RehearsalPlan,
    /// None when the voices can speak `language`; otherwise why not.
    voice_problem: Option<String>,
    free_bytes: Option<u64>,
    needed_bytes: u64,
    /// The remembered microphone is missing: the default one will be used.
    missing_input: Option<String>,
    /// The call may be paused (the `call_allow_pause` setting, off by default).
    allow_pause: bool,
}

#[tauri::command]
#[specta::specta]
pub fn call_preflight(state: State<'_, AppState>, template_id: String, language: String) -> CmdResult<Preflight> {
    let lib = state.library()?;
    let plan = lib.plan_rehearsal(&RehearsalOptions { template_id, language: language.clone(), seed: None, allow_pause: false })?;
    let needed_bytes = plan.segments.iter().map(|s| u64::from(s.length_secs)).sum::<u64>() * BYTES_PER_SECOND;
    let (_, missing_input) = resolve_input(&lib)?;
    Ok(Preflight {
        voice_problem: default_voice().available(&language).err(),
        free_bytes: fs4::available_space(lib.data_dir().root()).ok(),
        needed_bytes,
        missing_input,
        allow_pause: lib.call_allow_pause()?,
        plan,
    })
}

/// Speaks one line in each interviewer's voice (A, then B) to the default output.
#[tauri::command(async)]
#[specta::specta]
pub fn test_voices(state: State<'_, AppState>, language: String) -> CmdResult<()> {
    let output = resolve_output(&*state.library()?)?;
    let voice = default_voice();
    voice.available(&language).map_err(|why| CommandError::new("voice_unavailable", why))?;
    let dir = tempfile::tempdir().map_err(|e| CommandError::new("io", e.to_string()))?;
    for (speaker, text) in [(Speaker::A, voice_line(&language, "A")), (Speaker::B, voice_line(&language, "B"))] {
        let wav = dir.path().join(format!("{}.wav", speaker.as_str()));
        voice.synthesize(&text, &language, speaker, &wav).map_err(|why| CommandError::new("voice_failed", why))?;
        rehearse_audio::play(PlaybackRequest { output: output.clone(), ..PlaybackRequest::new(wav) })?.wait();
    }
    Ok(())
}

fn voice_line(language: &str, who: &str) -> String {
    if language == "ko" {
        format!("안녕하세요, 면접관 {who}입니다.")
    } else {
        format!("Hello, I am interviewer {who}.")
    }
}

/// Starts a call; returns its session id. Runs off the main thread: preparing the voices
/// takes about a second.
#[tauri::command(async)]
#[specta::specta]
pub fn start_call(app: AppHandle, state: State<'_, AppState>, template_id: String, language: String) -> CmdResult<i64> {
    // Held until the engine's last event has been passed on (its events end with the call).
    let ticket = state.begin(Activity::Call)?;
    // The engine owns a library of its own on the same folder (the database is in WAL mode).
    // Pausing is allowed or not by the remembered setting, as shown in the pre-flight.
    state.may_record()?;
    let (dir, input, output, allow_pause) = {
        let lib = state.library()?;
        (lib.data_dir().clone(), resolve_input(&lib)?.0, resolve_output(&lib)?, lib.call_allow_pause()?)
    };
    let lib = Library::open(DataDir::new(dir.root().to_path_buf()))?;
    let options = RehearsalOptions { template_id, language, seed: None, allow_pause };
    let req = RehearsalRequest { options, input, output, voice: Some(default_voice()) };
    let handle = rehearse_engine::start(lib, req)?;
    let id = handle.session_id();
    let events = handle.events().clone();
    std::thread::Builder::new()
        .name("rehearse-call-events".into())
        .spawn(move || {
            let _running = ticket;
            for ev in events {
                if matches!(ev, RehearsalEvent::TakeSaved { .. } | RehearsalEvent::Finished { .. }) {
                    crate::metrics::poke(&app);
                    crate::transcripts::poke(&app);
                }
                crate::events::CALL.emit(&app, &ev);
            }
        })
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    let ended = lock(&state.call).replace(Call(Some(handle)));
    drop(ended); // a call that has ended, dropped outside the lock
    Ok(id)
}

/// next, end, pause or resume (the engine refuses a pause the call does not allow).
#[tauri::command]
#[specta::specta]
pub fn call_command(state: State<'_, AppState>, cmd: Command) -> CmdResult<()> {
    let slot = lock(&state.call);
    match slot.as_ref().and_then(|c| c.0.as_ref()) {
        Some(h) => {
            h.send(cmd);
            Ok(())
        }
        None => Err(CommandError::new("not_in_call", "no call is running")),
    }
}

/// A rehearsal with its markers and takes, for the report.
#[tauri::command]
#[specta::specta]
pub fn call_detail(state: State<'_, AppState>, session_id: i64) -> CmdResult<RehearsalDetail> {
    Ok(state.library()?.rehearsal_detail(session_id)?)
}

/// A rehearsal's report as the exported one has it: segments, answers with time used
/// against their limits (from the stored answer_start markers), takes with their metrics.
#[tauri::command]
#[specta::specta]
pub fn call_report(state: State<'_, AppState>, session_id: i64) -> CmdResult<RehearsalReport> {
    Ok(state.library()?.rehearsal_report(session_id)?)
}

/// A running (or finished) call. Dropping it ends the call and waits for the engine.
pub struct Call(Option<RehearsalHandle>);
