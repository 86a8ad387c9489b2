//! A recording in progress. A monitor thread owns the capture handle: it forwards the
//! level meter and state changes to the UI as events, stops at the deadline that Rust
//! owns (the answer time, counted in samples), and commits the take.
//!
//! Events are named `<channel>-started`, `-level`, `-finished`, `-failed`, `-warning`,
//! `-silent`, `-disk-low`; the free recorder uses channel "capture", practice "practice".

use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, Receiver, Sender};
use rehearse_audio::{start_capture, CaptureEvent, CaptureHandle, CaptureRequest, CaptureStarter, InputChoice};
use rehearse_core::{PlannedTake, RecordedTake, Take};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

pub struct ActiveRecording {
    stop_tx: Sender<()>,
    done_rx: Receiver<()>,
    thread: Option<JoinHandle<CmdResult<Take>>>,
    starter: CaptureStarter,
    scheduled: Arc<OnceLock<Instant>>,
}

/// How a recording is started.
pub struct RecordingSpec {
    pub plan: PlannedTake,
    pub input: InputChoice,
    /// Stop by itself after this much audio; None keeps going until stopped (overtime).
    pub max_seconds: Option<f64>,
    /// Event name prefix.
    pub channel: &'static str,
    /// When the recording was scheduled to start (automatic starts), to measure the delay.
    pub scheduled: Option<Instant>,
    /// Open the microphone now, keep audio only from `begin` (a start scheduled after a
    /// think time then costs no device latency). Ended before `begin`, nothing is kept.
    pub hold: bool,
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
    pub fn start(app: AppHandle, spec: RecordingSpec) -> CmdResult<Self> {
        let requested = Instant::now();
        let req = CaptureRequest { hold: spec.hold, ..CaptureRequest::new(spec.input.clone(), spec.plan.path.clone(), spec.max_seconds) };
        let capture = start_capture(req)?;
        let starter = capture.starter();
        let scheduled = Arc::new(OnceLock::new());
        if let Some(at) = spec.scheduled {
            let _ = scheduled.set(at);
        }
        let schedule = scheduled.clone();
        let (stop_tx, stop_rx) = bounded::<()>(1);
        let (done_tx, done_rx) = bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("rehearse-recording-monitor".into())
            .spawn(move || {
                let result = monitor(app, capture, spec, requested, schedule, stop_rx);
                let _ = done_tx.send(());
                result
            })
            .map_err(|e| CommandError::new("internal", format!("cannot start the recording monitor: {e}")))?;
        Ok(ActiveRecording { stop_tx, done_rx, thread: Some(thread), starter, scheduled })
    }

    /// Starts keeping audio in a held recording; `scheduled` is when it was due, to
    /// measure how late the first sample came.
    pub fn begin(&self, scheduled: Instant) {
        let _ = self.scheduled.set(scheduled);
        self.starter.begin();
    }

    /// Stops now and waits for the take to be saved.
    pub fn stop(mut self) -> CmdResult<Take> {
        let _ = self.stop_tx.send(());
        self.thread
            .take()
            .ok_or_else(|| CommandError::new("internal", "recording already stopped"))?
            .join()
            .map_err(|_| CommandError::new("internal", "the recording monitor crashed"))?
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Signalled once when the recording has ended (by itself or by `stop`) and is saved.
    pub fn done(&self) -> &Receiver<()> {
        &self.done_rx
    }
}

fn monitor(
    app: AppHandle,
    capture: CaptureHandle,
    spec: RecordingSpec,
    requested: Instant,
    scheduled: Arc<OnceLock<Instant>>,
    stop: Receiver<()>,
) -> CmdResult<Take> {
    let ev = |name: &str| format!("{}-{name}", spec.channel);
    let rate = capture.sample_rate().max(1) as u64;
    let mut failure = None;
    let mut start_delay_ms = None;
    loop {
        select! {
            recv(capture.events()) -> event => match event {
                Ok(CaptureEvent::Started { sample_rate, device, first_sample_ms }) => {
                    if let Ok(lib) = app.state::<AppState>().library() {
                        let _ = lib.note_capture(&spec.plan, &device, sample_rate);
                    }
                    // first_sample_ms counts from the request, or from `begin` for a held one.
                    let from = capture.begun_at().unwrap_or(requested);
                    start_delay_ms = scheduled.get().map(|&s| {
                        let late = from.saturating_duration_since(s).as_millis() as i64;
                        let early = s.saturating_duration_since(from).as_millis() as i64;
                        late - early + first_sample_ms as i64
                    });
                    let _ = app.emit(&ev("started"), serde_json::json!({
                        "sample_rate": sample_rate, "device": device, "first_sample_ms": first_sample_ms,
                        "start_delay_ms": start_delay_ms,
                    }));
                }
                Ok(CaptureEvent::LimitReached { .. }) | Err(_) => break,
                Ok(CaptureEvent::Silent { seconds }) => {
                    let _ = app.emit(&ev("silent"), serde_json::json!({ "seconds": seconds }));
                }
                Ok(CaptureEvent::DiskSpaceLow { seconds_left }) => {
                    let _ = app.emit(&ev("disk-low"), serde_json::json!({ "seconds_left": seconds_left }));
                }
                Ok(CaptureEvent::Warning { message }) => {
                    let _ = app.emit(&ev("warning"), serde_json::json!({ "message": message }));
                }
                Ok(CaptureEvent::Stopped { message, .. }) => { failure = Some(message); break; }
            },
            recv(capture.levels()) -> lv => if let Ok(u) = lv {
                let _ = app.emit(&ev("level"), LevelPayload {
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
    if spec.hold && capture.begun_at().is_none() {
        // Ended while held (the session moved on during the think time): nothing to keep.
        let _ = capture.stop();
        if let Ok(lib) = app.state::<AppState>().library() {
            lib.abandon_take(&spec.plan);
        }
        return Err(match failure {
            Some(message) => {
                let _ = app.emit(&ev("failed"), FailedPayload { message: message.clone(), saved: None });
                CommandError::new("mic_lost", message)
            }
            None => CommandError::new("cancelled", "the recording ended before it began"),
        });
    }
    let result = finish(&app, capture, &spec.plan, start_delay_ms);
    match (&result, failure) {
        (Ok(take), None) => {
            crate::metrics::poke(&app);
            let _ = app.emit(&ev("finished"), take);
        }
        (Ok(take), Some(message)) => {
            crate::metrics::poke(&app);
            let _ = app.emit(&ev("failed"), FailedPayload { message, saved: Some(take.clone()) });
        }
        (Err(e), _) => {
            let _ = app.emit(&ev("failed"), FailedPayload { message: e.message.clone(), saved: None });
        }
    }
    result
}

fn finish(app: &AppHandle, capture: CaptureHandle, plan: &PlannedTake, start_delay_ms: Option<i64>) -> CmdResult<Take> {
    let s = capture.stop()?;
    let rec = RecordedTake {
        frames: s.frames,
        sample_rate: s.sample_rate,
        channels: s.channels,
        dropped_frames: s.dropped_frames,
        device: s.device,
        stop_reason: s.stopped.map(|r| r.as_str().to_string()),
        start_delay_ms,
        finalized: s.finalized,
    };
    let state = app.state::<AppState>();
    let mut lib = state.library()?;
    Ok(lib.save_take(plan, &rec)?)
}
