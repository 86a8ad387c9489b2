//! A recording in progress. A monitor thread owns the capture handle: it forwards the
//! level meter and state changes to the UI as events, stops at the deadline that Rust
//! owns (the question's answer time, counted in samples), and commits the take.

use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, select, Sender};
use rehearse_audio::{start_capture, CaptureEvent, CaptureHandle, CaptureRequest, InputChoice};
use rehearse_core::{PlannedTake, RecordedTake, Take};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

pub const EV_STARTED: &str = "capture-started";
pub const EV_LEVEL: &str = "capture-level";
pub const EV_FINISHED: &str = "capture-finished";
pub const EV_FAILED: &str = "capture-failed";
pub const EV_WARNING: &str = "capture-warning";
pub const EV_SILENT: &str = "capture-silent";
pub const EV_DISK_LOW: &str = "capture-disk-low";

pub struct ActiveRecording {
    stop_tx: Sender<()>,
    thread: Option<JoinHandle<CmdResult<Take>>>,
}

#[derive(Clone, Serialize)]
struct LevelPayload {
    elapsed_ms: u64,
    peak_dbfs: f32,
    rms_dbfs: f32,
    clipped: bool,
}

#[derive(Clone, Serialize)]
struct FailedPayload {
    message: String,
    saved: Option<Take>,
}

impl ActiveRecording {
    /// Opens the microphone and starts the monitor thread. Errors if it cannot be opened.
    pub fn start(app: AppHandle, plan: PlannedTake, input: InputChoice, max_seconds: f64) -> CmdResult<Self> {
        let req = CaptureRequest::new(input, plan.path.clone(), Some(max_seconds));
        let capture = start_capture(req)?;
        let (stop_tx, stop_rx) = bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("rehearse-recording-monitor".into())
            .spawn(move || monitor(app, capture, plan, stop_rx))
            .map_err(|e| CommandError::new("internal", format!("cannot start the recording monitor: {e}")))?;
        Ok(ActiveRecording { stop_tx, thread: Some(thread) })
    }

    /// Stops now and waits for the take to be saved.
    pub fn stop(mut self) -> CmdResult<Take> {
        let _ = self.stop_tx.send(());
        self.join()
    }

    fn join(&mut self) -> CmdResult<Take> {
        self.thread
            .take()
            .ok_or_else(|| CommandError::new("internal", "recording already stopped"))?
            .join()
            .map_err(|_| CommandError::new("internal", "the recording monitor crashed"))?
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

fn monitor(app: AppHandle, capture: CaptureHandle, plan: PlannedTake, stop: crossbeam_channel::Receiver<()>) -> CmdResult<Take> {
    let rate = capture.sample_rate().max(1) as u64;
    let mut failure = None;
    loop {
        select! {
            recv(capture.events()) -> ev => match ev {
                Ok(CaptureEvent::Started { sample_rate, device, first_sample_ms }) => {
                    if let Ok(lib) = app.state::<AppState>().library() {
                        let _ = lib.note_capture(&plan, &device, sample_rate);
                    }
                    let _ = app.emit(EV_STARTED, serde_json::json!({
                        "sample_rate": sample_rate, "device": device, "first_sample_ms": first_sample_ms
                    }));
                }
                Ok(CaptureEvent::LimitReached { .. }) | Err(_) => break,
                Ok(CaptureEvent::Silent { seconds }) => {
                    let _ = app.emit(EV_SILENT, serde_json::json!({ "seconds": seconds }));
                }
                Ok(CaptureEvent::DiskSpaceLow { seconds_left }) => {
                    let _ = app.emit(EV_DISK_LOW, serde_json::json!({ "seconds_left": seconds_left }));
                }
                Ok(CaptureEvent::Warning { message }) => {
                    let _ = app.emit(EV_WARNING, serde_json::json!({ "message": message }));
                }
                Ok(CaptureEvent::Stopped { message, .. }) => { failure = Some(message); break; }
            },
            recv(capture.levels()) -> lv => if let Ok(u) = lv {
                let _ = app.emit(EV_LEVEL, LevelPayload {
                    elapsed_ms: u.frames * 1000 / rate,
                    peak_dbfs: u.level.peak_dbfs,
                    rms_dbfs: u.level.rms_dbfs,
                    clipped: u.level.clipped,
                });
            },
            recv(stop) -> _ => break,
            default(Duration::from_millis(500)) => {}
        }
    }
    let result = finish(&app, capture, &plan);
    match (&result, failure) {
        (Ok(take), None) => {
            let _ = app.emit(EV_FINISHED, take);
        }
        (Ok(take), Some(message)) => {
            let _ = app.emit(EV_FAILED, FailedPayload { message, saved: Some(take.clone()) });
        }
        (Err(e), _) => {
            let _ = app.emit(EV_FAILED, FailedPayload { message: e.message.clone(), saved: None });
        }
    }
    result
}

fn finish(app: &AppHandle, capture: CaptureHandle, plan: &PlannedTake) -> CmdResult<Take> {
    let s = capture.stop()?;
    let stop_reason = s.stopped.and_then(|r| serde_json::to_value(r).ok()).and_then(|v| v.as_str().map(String::from));
    let state = app.state::<AppState>();
    let mut lib = state.library()?;
    if !s.finalized {
        // The file could not be finalized (full disk): index what reached the disk.
        return Ok(lib.recover_planned(plan, stop_reason.as_deref().unwrap_or("write_failed"))?);
    }
    let rec = RecordedTake {
        frames: s.frames,
        sample_rate: s.sample_rate,
        channels: s.channels,
        dropped_frames: s.dropped_frames,
        device: s.device,
        stop_reason,
    };
    Ok(lib.commit_take(plan, &rec)?)
}
