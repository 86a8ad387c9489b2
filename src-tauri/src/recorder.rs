//! A recording in progress, as the window sees it. The take's lifecycle (open, watch, stop
//! at the deadline counted in samples, save or abandon) is the engine's `TakeRecorder`;
//! this file forwards what it sees (level meter, state changes) to the UI as events.
//!
//! Events are `<channel>-started`, `-level`, `-finished`, `-failed`, `-warning`, `-silent`,
//! `-disk-low` (the table in events.rs); the free recorder uses channel "capture", practice
//! "practice".

use std::sync::{Arc, MutexGuard};
use std::time::Instant;

use rehearse_audio::InputChoice;
use rehearse_core::{Library, PlannedTake, Take};
use rehearse_engine::capture_watch::Watched;
use rehearse_engine::{EngineError, Shelf, TakeEnd, TakeObserver, TakeRecorder, TakeSpec, TakeStarted};
use serde::Serialize;
use tauri::{AppHandle, Manager};

use crate::error::CmdResult;
use crate::state::AppState;

/// A recording in progress: the engine's take lifecycle, watched by this window.
pub type ActiveRecording = TakeRecorder;

/// How a recording is started.
pub struct RecordingSpec {
    pub plan: PlannedTake,
    pub input: InputChoice,
    /// Stop by itself after this much audio; None keeps going until stopped (overtime).
    pub max_seconds: Option<f64>,
    /// The events it sends (events::CAPTURE or events::PRACTICE_RECORDING).
    pub channel: crate::events::RecordingEvents,
    /// When the recording was scheduled to start (automatic starts), to measure the delay.
    pub scheduled: Option<Instant>,
    /// Open the microphone now, keep audio only from `begin` (a start scheduled after a
    /// think time then costs no device latency). Ended before `begin`, nothing is kept.
    pub hold: bool,
    /// The free recorder's claim on the activity state, held by the monitor thread until the
    /// take is saved or abandoned (a practice session's takes run under the session's own).
    pub ticket: Option<rehearse_engine::Ticket>,
}

#[derive(Clone, Serialize, specta::Type)]
pub struct LevelPayload {
    elapsed_ms: u64,
    peak_dbfs: f32,
    rms_dbfs: f32,
    clipped: bool,
}

/// A recording that ended by itself (`saved` then holds what was kept) or was not kept.
#[derive(Clone, Serialize, specta::Type)]
pub struct FailedPayload {
    /// Why: mic_lost, write_failed, disk_low, size_cap (the take is saved), too_short (it is
    /// not kept), or the kind of the error that prevented saving it.
    kind: &'static str,
    message: String,
    /// Seconds of audio saved, or held by a take too short to keep.
    seconds: Option<f64>,
    saved: Option<Take>,
}

/// The microphone is open and keeping audio.
#[derive(Clone, Serialize, specta::Type)]
pub struct StartedPayload {
    sample_rate: u32,
    device: String,
    /// From the request (or `begin` for a held recording) to the first sample.
    first_sample_ms: u64,
    /// For automatic starts: how late (positive) or early the first sample came.
    start_delay_ms: Option<i64>,
}

/// A microphone stream error during the take; the recording goes on.
#[derive(Clone, Serialize, specta::Type)]
pub struct WarningPayload {
    message: String,
}

/// The microphone has been silent this long.
#[derive(Clone, Serialize, specta::Type)]
pub struct SilentPayload {
    seconds: f64,
}

/// Free disk space left for about this much more audio.
#[derive(Clone, Serialize, specta::Type)]
pub struct DiskLowPayload {
    seconds_left: u64,
}

/// The library of this window, for the engine's drivers and takes.
pub struct AppShelf(pub AppHandle);

impl Shelf for AppShelf {
    fn library(&self) -> Result<MutexGuard<'_, Library>, EngineError> {
        self.0.state::<AppState>().inner().library().map_err(|e| EngineError::Failed { kind: e.kind, message: e.message })
    }
}

/// Opens the microphone and starts the take's monitor thread. Errors if it cannot be opened.
pub fn start(app: AppHandle, spec: RecordingSpec) -> CmdResult<ActiveRecording> {
    let RecordingSpec { plan, input, max_seconds, channel, scheduled, hold, ticket } = spec;
    let observer = Window { app: app.clone(), ev: channel, ticket, rate: 1 };
    let spec = TakeSpec { plan, input, max_seconds, scheduled, hold };
    Ok(TakeRecorder::start(Arc::new(AppShelf(app)), spec, observer)?)
}

/// What the window shows of a take: its events on the recording's channel.
struct Window {
    app: AppHandle,
    ev: crate::events::RecordingEvents,
    ticket: Option<rehearse_engine::Ticket>,
    rate: u64,
}

impl TakeObserver for Window {
    fn opened(&mut self, sample_rate: u32) {
        self.rate = sample_rate.max(1) as u64;
        crate::transcripts::recording(&self.app, true);
    }

    fn started(&mut self, s: &TakeStarted) {
        let payload = StartedPayload {
            sample_rate: s.sample_rate,
            device: s.device.clone(),
            first_sample_ms: s.first_sample_ms,
            start_delay_ms: s.start_delay_ms,
        };
        self.ev.started.emit(&self.app, &payload);
    }

    fn seen(&mut self, seen: Watched) {
        let (app, ev) = (&self.app, self.ev);
        match seen {
            Watched::Silent { seconds } => ev.silent.emit(app, &SilentPayload { seconds }),
            Watched::DiskLow { seconds_left } => ev.disk_low.emit(app, &DiskLowPayload { seconds_left }),
            Watched::Warning { message } => ev.warning.emit(app, &WarningPayload { message }),
            Watched::Level(u) => ev.level.emit(
                app,
                &LevelPayload {
                    elapsed_ms: u.frames * 1000 / self.rate,
                    peak_dbfs: u.level.peak_dbfs,
                    rms_dbfs: u.level.rms_dbfs,
                    clipped: u.level.clipped,
                },
            ),
            Watched::Started { .. } => {}
        }
    }

    fn ended(&mut self, end: TakeEnd<'_>) {
        let (app, ev) = (&self.app, self.ev);
        let secs = |ms: u64| Some(ms as f64 / 1000.0);
        match (end.result, end.failure) {
            // Ended while held with nothing wrong (the session moved on): nothing to say.
            (Err(_), None) if !end.begun => {}
            (Err(_), Some((kind, message))) if !end.begun => {
                ev.failed.emit(app, &FailedPayload { kind, message, seconds: None, saved: None })
            }
            (Ok(take), None) => {
                crate::metrics::poke(app);
                crate::transcripts::poke(app);
                ev.finished.emit(app, take);
            }
            (Ok(take), Some((kind, message))) => {
                crate::metrics::poke(app);
                crate::transcripts::poke(app);
                ev.failed.emit(app, &FailedPayload { kind, message, seconds: secs(take.duration_ms), saved: Some(take.clone()) });
            }
            (Err(e), _) => {
                let seconds = if e.kind() == "too_short" { end.held_ms.and_then(secs) } else { None };
                ev.failed.emit(app, &FailedPayload { kind: e.kind(), message: e.to_string(), seconds, saved: None });
            }
        }
        drop(self.ticket.take()); // saved or abandoned: something else may start
        crate::transcripts::recording(app, false);
    }
}
