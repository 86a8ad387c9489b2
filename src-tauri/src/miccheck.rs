//! The mic check: choose the input and output devices (remembered), watch the meter,
//! record 3 s and hear it back. The recording is a scratch file, not a take.

use std::time::Duration;

use crossbeam_channel::select;
use rehearse_audio::{
    input_devices, output_devices, play, start_capture, CaptureEvent, CaptureRequest, InputChoice, InputDevice, OutputChoice, PlaybackEvent,
    PlaybackRequest,
};
use rehearse_core::Library;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

pub const SETTING_INPUT: &str = "input_device";
pub const SETTING_OUTPUT: &str = "output_device";
pub const EV_MICCHECK: &str = "miccheck";
const CHECK_SECONDS: f64 = 3.0;

#[derive(Serialize)]
pub struct Inputs {
    devices: Vec<InputDevice>,
    /// The remembered choice (None: the system default).
    selected: Option<String>,
}

/// The input to record from: the remembered one, or the default with a notice when it is gone.
pub fn resolve_input(lib: &Library) -> CmdResult<(InputChoice, Option<String>)> {
    let Some(name) = lib.setting(SETTING_INPUT)? else {
        return Ok((InputChoice::Default, None));
    };
    let present = input_devices().map(|ds| ds.iter().any(|d| d.name == name || d.id == name)).unwrap_or(false);
    if present {
        Ok((InputChoice::Named(name), None))
    } else {
        Ok((InputChoice::Default, Some(name)))
    }
}

/// The output to play to (takes, the mic check, the interviewers): the remembered one, or
/// the default when it is gone.
pub fn resolve_output(lib: &Library) -> CmdResult<OutputChoice> {
    let Some(name) = lib.setting(SETTING_OUTPUT)? else {
        return Ok(OutputChoice::Default);
    };
    let present = output_devices().map(|ds| ds.iter().any(|d| d.name == name || d.id == name)).unwrap_or(false);
    Ok(if present { OutputChoice::Named(name) } else { OutputChoice::Default })
}

#[tauri::command]
pub fn list_outputs(state: State<'_, AppState>) -> CmdResult<Inputs> {
    let selected = state.library()?.setting(SETTING_OUTPUT)?;
    Ok(Inputs { devices: output_devices()?, selected })
}

#[tauri::command]
pub fn set_output(state: State<'_, AppState>, name: Option<String>) -> CmdResult<()> {
    Ok(state.library()?.set_setting(SETTING_OUTPUT, name.as_deref())?)
}

#[tauri::command]
pub fn list_inputs(state: State<'_, AppState>) -> CmdResult<Inputs> {
    let selected = state.library()?.setting(SETTING_INPUT)?;
    Ok(Inputs { devices: input_devices()?, selected })
}

#[tauri::command]
pub fn set_input(state: State<'_, AppState>, name: Option<String>) -> CmdResult<()> {
    Ok(state.library()?.set_setting(SETTING_INPUT, name.as_deref())?)
}

#[derive(Clone, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase {
    Recording { elapsed_ms: u64, peak_dbfs: f32, rms_dbfs: f32, clipped: bool },
    Playing { duration_ms: u64 },
    Done { peak_dbfs: f32 },
    Failed { message: String },
}

/// Records 3 s from the chosen input, then plays it back; progress comes as events.
#[tauri::command]
pub fn mic_check(app: AppHandle, state: State<'_, AppState>) -> CmdResult<Option<String>> {
    if crate::state::lock(&state.recording).as_ref().is_some_and(|r| !r.is_finished()) {
        return Err(CommandError::new("already_recording", "a recording is running"));
    }
    let (input, notice, path, output) = {
        let lib = state.library()?;
        let (input, notice) = resolve_input(&lib)?;
        (input, notice, lib.data_dir().root().join("mic-check.wav"), resolve_output(&lib)?)
    };
    for stale in [path.clone(), rehearse_audio::partial_path_for(&path)] {
        let _ = std::fs::remove_file(stale);
    }
    let capture = start_capture(CaptureRequest::new(input, path.clone(), Some(CHECK_SECONDS)))?;
    std::thread::Builder::new()
        .name("rehearse-mic-check".into())
        .spawn(move || {
            let rate = capture.sample_rate().max(1) as u64;
            let mut loudest = rehearse_audio::FLOOR_DBFS;
            let mut failure = None;
            loop {
                select! {
                    recv(capture.events()) -> ev => match ev {
                        Ok(CaptureEvent::LimitReached { .. }) | Err(_) => break,
                        Ok(CaptureEvent::Stopped { message, .. }) => { failure = Some(message); break; }
                        Ok(_) => {}
                    },
                    recv(capture.levels()) -> lv => if let Ok(u) = lv {
                        loudest = loudest.max(u.level.peak_dbfs);
                        let _ = app.emit(EV_MICCHECK, Phase::Recording {
                            elapsed_ms: u.frames * 1000 / rate,
                            peak_dbfs: u.level.peak_dbfs,
                            rms_dbfs: u.level.rms_dbfs,
                            clipped: u.level.clipped,
                        });
                    },
                    default(Duration::from_secs(5)) => { failure = Some("the microphone stopped responding".into()); break; }
                }
            }
            let result = capture.stop().map_err(|e| e.to_string()).and_then(|s| match failure {
                Some(m) => Err(m),
                None => Ok(s),
            });
            let phase = match result.and_then(|s| play(PlaybackRequest { output, ..PlaybackRequest::new(s.path) }).map_err(|e| e.to_string())) {
                Ok(player) => {
                    let _ = app.emit(EV_MICCHECK, Phase::Playing { duration_ms: player.duration_ms() });
                    let failed = player.events().clone();
                    player.wait();
                    match failed.try_iter().find_map(|e| match e {
                        PlaybackEvent::Failed { message } => Some(message),
                        _ => None,
                    }) {
                        Some(message) => Phase::Failed { message },
                        None => Phase::Done { peak_dbfs: loudest },
                    }
                }
                Err(message) => Phase::Failed { message },
            };
            let _ = app.emit(EV_MICCHECK, phase);
        })
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    Ok(notice)
}
