//! The mic check: choose the input and output devices (remembered), watch the meter,
//! record 3 s and hear it back. The recording is a scratch file, not a take.
//!
//! The meter moves as soon as the check opens: [`mic_listen`] keeps the microphone open
//! (into a scratch file restarted every [`LISTEN_SECONDS`], removed when it stops) and sends
//! its level until the panel closes, the 3 s test starts, or anything else starts
//! ([`AppState::begin`] stops it first).

use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, Sender};

use rehearse_audio::{
    input_devices, output_devices, play, start_capture, CaptureRequest, InputChoice, InputDevice, OutputChoice, PlaybackEvent,
    PlaybackRequest,
};
use rehearse_core::settings::Setting;
use rehearse_core::Library;
use rehearse_engine::capture_watch::{watch, Ended, Watched};
use rehearse_engine::Activity;
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{CmdResult, CommandError};
use crate::state::{lock, AppState};

const CHECK_SECONDS: f64 = 3.0;
/// Length of each scratch file the live meter writes before it starts the next one (the
/// capture writes what it hears; this bounds the file at about 3 MB).
const LISTEN_SECONDS: f64 = 30.0;

#[derive(Serialize, specta::Type)]
pub struct Inputs {
    devices: Vec<InputDevice>,
    /// The remembered choice (None: the system default).
    selected: Option<String>,
}

/// The input to record from: the remembered one, or the default with a notice when it is gone.
pub fn resolve_input(lib: &Library) -> CmdResult<(InputChoice, Option<String>)> {
    let Some(name) = lib.get(Setting::InputDevice)? else {
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
    let Some(name) = lib.get(Setting::OutputDevice)? else {
        return Ok(OutputChoice::Default);
    };
    let present = output_devices().map(|ds| ds.iter().any(|d| d.name == name || d.id == name)).unwrap_or(false);
    Ok(if present { OutputChoice::Named(name) } else { OutputChoice::Default })
}

#[tauri::command]
#[specta::specta]
pub fn list_outputs(state: State<'_, AppState>) -> CmdResult<Inputs> {
    let selected = state.library()?.get(Setting::OutputDevice)?;
    Ok(Inputs { devices: output_devices()?, selected })
}

#[tauri::command]
#[specta::specta]
pub fn set_output(state: State<'_, AppState>, name: Option<String>) -> CmdResult<()> {
    Ok(state.library()?.set(Setting::OutputDevice, name.as_deref())?)
}

#[tauri::command]
#[specta::specta]
pub fn list_inputs(state: State<'_, AppState>) -> CmdResult<Inputs> {
    let selected = state.library()?.get(Setting::InputDevice)?;
    Ok(Inputs { devices: input_devices()?, selected })
}

#[tauri::command]
#[specta::specta]
pub fn set_input(state: State<'_, AppState>, name: Option<String>) -> CmdResult<()> {
    Ok(state.library()?.set(Setting::InputDevice, name.as_deref())?)
}

/// The microphone check's progress (event "miccheck").
#[derive(Clone, Serialize, specta::Type)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum MicCheckPhase {
    Recording {
        elapsed_ms: u64,
        peak_dbfs: f32,
        rms_dbfs: f32,
        clipped: bool,
    },
    Playing {
        duration_ms: u64,
    },
    Done {
        peak_dbfs: f32,
    },
    /// The check failed: `kind` is the error's stable kind (mic_lost, no_input_device,
    /// output_lost, ...) for the window to word, `message` the English line.
    Failed {
        kind: &'static str,
        message: String,
    },
    /// The live meter while the panel is open (nothing is kept).
    Listening {
        peak_dbfs: f32,
        rms_dbfs: f32,
        clipped: bool,
    },
    /// The live meter could not listen (the 3 s test may still be tried).
    ListenFailed {
        kind: &'static str,
        message: String,
    },
}

/// The live meter's thread: told to stop, it stops its capture and removes the scratch file.
pub struct Listening {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Listening {
    /// Stops listening and waits for it (the capture never waits on the device, so this
    /// returns within about a second even from a stalled microphone).
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

fn remove_scratch(path: &Path) {
    for stale in [path.to_path_buf(), rehearse_audio::partial_path_for(path)] {
        let _ = std::fs::remove_file(stale);
    }
}

/// Starts the live meter (events "miccheck", phase "listening") from the chosen input, in
/// place of any meter already listening. Refused while anything else runs.
#[tauri::command(async)]
#[specta::specta]
pub fn mic_listen(app: AppHandle, state: State<'_, AppState>) -> CmdResult<()> {
    let mut slot = lock(&state.listening);
    if let Some(old) = slot.take() {
        old.stop();
    }
    let ticket = state.activity.begin(Activity::MicCheck)?;
    let (input, path) = {
        let lib = state.library()?;
        (resolve_input(&lib)?.0, lib.data_dir().root().join("mic-listen.wav"))
    };
    let (stop, asked) = bounded::<()>(1);
    let thread = std::thread::Builder::new()
        .name("rehearse-mic-listen".into())
        .spawn(move || {
            let _running = ticket;
            if let Some((kind, message)) = listen(&app, input, &path, &asked) {
                crate::events::MICCHECK.emit(&app, &MicCheckPhase::ListenFailed { kind, message });
            }
            remove_scratch(&path);
        })
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    *slot = Some(Listening { stop, thread });
    Ok(())
}

/// Why a capture of the check ended early, as (kind, message); None when it was not early.
fn ended_early<T>(ended: Ended<T>) -> Option<(&'static str, String)> {
    match ended {
        Ended::Stopped { reason, message } => Some((reason.as_str(), message)),
        Ended::Stalled => Some(("mic_lost", "the microphone stopped responding".to_string())),
        Ended::Limit | Ended::Asked(_) | Ended::Orphaned => None,
    }
}

fn failed(e: &rehearse_audio::AudioError) -> (&'static str, String) {
    (e.kind(), e.to_string())
}

/// Listens until asked to stop (None) or the microphone fails (its kind and reason).
fn listen(app: &AppHandle, input: InputChoice, path: &Path, asked: &crossbeam_channel::Receiver<()>) -> Option<(&'static str, String)> {
    loop {
        remove_scratch(path);
        let capture = match start_capture(CaptureRequest::new(input.clone(), path.to_path_buf(), Some(LISTEN_SECONDS))) {
            Ok(c) => c,
            Err(e) => return Some(failed(&e)),
        };
        let ended = watch(&capture, asked, Some(Duration::from_secs(5)), |seen| {
            if let Watched::Level(u) = seen {
                let (peak_dbfs, rms_dbfs, clipped) = (u.level.peak_dbfs, u.level.rms_dbfs, u.level.clipped);
                crate::events::MICCHECK.emit(app, &MicCheckPhase::Listening { peak_dbfs, rms_dbfs, clipped });
            }
        });
        let _ = capture.stop();
        match ended {
            Ended::Limit => continue,
            other => return ended_early(other),
        }
    }
}

/// Stops the live meter (the panel closed); nothing to stop is no error.
#[tauri::command(async)]
#[specta::specta]
pub fn mic_listen_stop(state: State<'_, AppState>) {
    if let Some(l) = lock(&state.listening).take() {
        l.stop();
    }
}

/// Records 3 s from the chosen input, then plays it back; progress comes as events. Off
/// the main thread: opening the microphone can stall.
#[tauri::command(async)]
#[specta::specta]
pub fn mic_check(app: AppHandle, state: State<'_, AppState>) -> CmdResult<Option<String>> {
    // Held by the check's thread until the playback has ended (the live meter stops first).
    let ticket = state.begin(Activity::MicCheck)?;
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
            let _running = ticket;
            let rate = capture.sample_rate().max(1) as u64;
            let mut loudest = rehearse_audio::FLOOR_DBFS;
            let ended = watch(&capture, &crossbeam_channel::never::<()>(), Some(Duration::from_secs(5)), |seen| {
                if let Watched::Level(u) = seen {
                    loudest = loudest.max(u.level.peak_dbfs);
                    crate::events::MICCHECK.emit(
                        &app,
                        &MicCheckPhase::Recording {
                            elapsed_ms: u.frames * 1000 / rate,
                            peak_dbfs: u.level.peak_dbfs,
                            rms_dbfs: u.level.rms_dbfs,
                            clipped: u.level.clipped,
                        },
                    );
                }
            });
            let failure = ended_early(ended);
            let result = capture.stop().map_err(|e| failed(&e)).and_then(|s| match failure {
                Some(f) => Err(f),
                None => Ok(s),
            });
            let phase = match result.and_then(|s| play(PlaybackRequest { output, ..PlaybackRequest::new(s.path) }).map_err(|e| failed(&e)))
            {
                Ok(player) => {
                    crate::events::MICCHECK.emit(&app, &MicCheckPhase::Playing { duration_ms: player.duration_ms() });
                    let played = player.events().clone();
                    player.wait();
                    match played.try_iter().find_map(|e| match e {
                        PlaybackEvent::Failed { kind, message } => Some((kind, message)),
                        _ => None,
                    }) {
                        Some((kind, message)) => MicCheckPhase::Failed { kind, message },
                        None => MicCheckPhase::Done { peak_dbfs: loudest },
                    }
                }
                Err((kind, message)) => MicCheckPhase::Failed { kind, message },
            };
            crate::events::MICCHECK.emit(&app, &phase);
        })
        .map_err(|e| CommandError::new("internal", e.to_string()))?;
    Ok(notice)
}
