//! One take's lifecycle, the same for every front end (the window's free recorder and
//! practice session, rehearse-cli's `practice`): the microphone opens (held, for a start
//! after a think time), a monitor thread watches the capture through
//! [`capture_watch::watch`](crate::capture_watch::watch), stops at the deadline the audio
//! crate counts in samples, and then saves the take (the core commits the row) or abandons
//! it (a held take never begun). What the front end shows goes out through its
//! [`TakeObserver`]; the library it writes to comes from its [`Shelf`].

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use rehearse_audio::{start_capture, CaptureHandle, CaptureRequest, CaptureStarter, InputChoice};
use rehearse_core::{Library, PlannedTake, Take};

use crate::capture_watch::{watch, Ended, Watched};
use crate::EngineError;

/// Where a front end keeps its library: the window's is shared with its commands, the
/// CLI's with its own prompts. Locked for a moment at a time, never across a wait.
pub trait Shelf: Send + Sync + 'static {
    fn library(&self) -> Result<MutexGuard<'_, Library>, EngineError>;
}

/// A library of its own (a command-line front end): a poisoned lock still hands it over,
/// as the library keeps nothing half-written in memory.
impl Shelf for Mutex<Library> {
    fn library(&self) -> Result<MutexGuard<'_, Library>, EngineError> {
        Ok(self.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// How a take is recorded.
pub struct TakeSpec {
    pub plan: PlannedTake,
    pub input: InputChoice,
    /// Stop by itself after this much audio; None keeps going until stopped (overtime).
    pub max_seconds: Option<f64>,
    /// When the recording was scheduled to start (automatic starts), to measure the delay.
    pub scheduled: Option<Instant>,
    /// Open the microphone now, keep audio only from [`TakeRecorder::begin`] (a start
    /// scheduled after a think time then costs no device latency). Ended before `begin`,
    /// nothing is kept.
    pub hold: bool,
}

/// The microphone is open and keeping audio.
#[derive(Debug, Clone)]
pub struct TakeStarted {
    pub sample_rate: u32,
    pub device: String,
    /// From the request (or `begin` for a held take) to the first sample.
    pub first_sample_ms: u64,
    /// For scheduled starts: how late (positive) or early the first sample came.
    pub start_delay_ms: Option<i64>,
}

/// How the take ended, told once, on the monitor thread, before [`TakeRecorder::done`].
pub struct TakeEnd<'a> {
    /// The saved take, or why nothing was kept (too_short, cancelled, mic_lost, ...).
    pub result: &'a Result<Take, EngineError>,
    /// What ended the capture by itself (mic_lost, write_failed, disk_low, size_cap) and
    /// its message; None when it was stopped, reached its deadline or lost its owner.
    pub failure: Option<(&'static str, String)>,
    /// Milliseconds of audio the capture held when it was stopped (None: not stopped
    /// cleanly, or never begun).
    pub held_ms: Option<u64>,
    /// False for a held take that ended before it began (nothing was kept or abandoned).
    pub begun: bool,
}

/// What a front end shows of a take. Called on the monitor thread.
pub trait TakeObserver: Send + 'static {
    /// The monitor thread runs (the microphone is open at this rate).
    fn opened(&mut self, sample_rate: u32) {
        let _ = sample_rate;
    }
    fn started(&mut self, started: &TakeStarted);
    /// Levels, silence, low disk, stream warnings (never `Watched::Started`: see `started`).
    fn seen(&mut self, seen: Watched);
    fn ended(&mut self, end: TakeEnd<'_>);
}

/// How long `stop` waits for the take to be saved. Saving never waits on the device (the
/// audio crate abandons a stream that does not close), so only a stalled disk takes this.
const SAVE_WITHIN: Duration = Duration::from_secs(10);

/// A take being recorded; its monitor thread owns the capture and commits the take.
pub struct TakeRecorder {
    /// A stop, with the label the take's stop reason gets when nothing else ended it.
    stop_tx: Sender<Option<&'static str>>,
    done_rx: Receiver<()>,
    thread: Option<JoinHandle<Result<Take, EngineError>>>,
    starter: CaptureStarter,
    scheduled: Arc<OnceLock<Instant>>,
}

fn failed(kind: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::Failed { kind, message: message.into() }
}

impl TakeRecorder {
    /// Opens the microphone and starts the monitor thread. Errors if it cannot be opened
    /// (the plan is then the caller's to abandon).
    pub fn start(shelf: Arc<dyn Shelf>, spec: TakeSpec, observer: impl TakeObserver) -> Result<Self, EngineError> {
        let requested = Instant::now();
        let req = CaptureRequest { hold: spec.hold, ..CaptureRequest::new(spec.input.clone(), spec.plan.path.clone(), spec.max_seconds) };
        let capture = start_capture(req)?;
        let starter = capture.starter();
        let scheduled = Arc::new(OnceLock::new());
        if let Some(at) = spec.scheduled {
            let _ = scheduled.set(at);
        }
        let schedule = scheduled.clone();
        let (stop_tx, stop_rx) = bounded::<Option<&'static str>>(1);
        let (done_tx, done_rx) = bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("rehearse-recording-monitor".into())
            .spawn(move || {
                let mut observer = observer;
                observer.opened(capture.sample_rate());
                let result = monitor(&*shelf, capture, &spec, requested, &schedule, &stop_rx, &mut observer);
                let _ = done_tx.send(());
                result
            })
            .map_err(|e| failed("internal", format!("cannot start the recording monitor: {e}")))?;
        Ok(TakeRecorder { stop_tx, done_rx, thread: Some(thread), starter, scheduled })
    }

    /// Starts keeping audio in a held take; `scheduled` is when it was due, to measure how
    /// late the first sample came.
    pub fn begin(&self, scheduled: Instant) {
        let _ = self.scheduled.set(scheduled);
        self.starter.begin();
    }

    /// Stops now and waits (at most [`SAVE_WITHIN`]) for the take to be saved. Past that
    /// the monitor is left to finish: its observer hears how the take ended.
    pub fn stop(self) -> Result<Take, EngineError> {
        self.stop_as(None)
    }

    /// [`stop`](Self::stop), labelling the take's stop reason (e.g. "terminated": ended by
    /// the system, not the user) unless the capture ended by itself first.
    pub fn stop_as(mut self, label: Option<&'static str>) -> Result<Take, EngineError> {
        let _ = self.stop_tx.try_send(label);
        let thread = self.thread.take().ok_or_else(|| failed("internal", "recording already stopped"))?;
        saved_within(&self.done_rx, thread, SAVE_WITHIN)
    }

    /// Signalled once when the take has ended (by itself or by `stop`) and is saved.
    pub fn done(&self) -> &Receiver<()> {
        &self.done_rx
    }
}

/// Waits for the monitor to have saved its take. Only a wait that runs out is "still
/// saving": a done signal already taken by the caller (a front end that selected on
/// [`TakeRecorder::done`]) leaves the channel to disconnect when the thread ends, and a
/// thread that has dropped its sender is past saving even if not yet marked finished.
fn saved_within<T>(done: &Receiver<()>, thread: JoinHandle<Result<T, EngineError>>, within: Duration) -> Result<T, EngineError> {
    if let Err(RecvTimeoutError::Timeout) = done.recv_timeout(within) {
        if !thread.is_finished() {
            return Err(failed("still_saving", "the take is still being saved; it is listed once it is on disk"));
        }
    }
    thread.join().map_err(|_| failed("internal", "the recording monitor crashed"))?
}

fn monitor(
    shelf: &dyn Shelf,
    capture: CaptureHandle,
    spec: &TakeSpec,
    requested: Instant,
    scheduled: &OnceLock<Instant>,
    stop: &Receiver<Option<&'static str>>,
    observer: &mut impl TakeObserver,
) -> Result<Take, EngineError> {
    let mut start_delay_ms = None;
    let ended = watch(&capture, stop, None, |seen| match seen {
        Watched::Started { sample_rate, device, first_sample_ms } => {
            if let Ok(lib) = shelf.library() {
                let _ = lib.note_capture(&spec.plan, &device, sample_rate);
            }
            // first_sample_ms counts from the request, or from `begin` for a held one.
            let from = capture.begun_at().unwrap_or(requested);
            start_delay_ms = scheduled.get().map(|&s| {
                let late = from.saturating_duration_since(s).as_millis() as i64;
                let early = s.saturating_duration_since(from).as_millis() as i64;
                late - early + first_sample_ms as i64
            });
            observer.started(&TakeStarted { sample_rate, device, first_sample_ms, start_delay_ms });
        }
        other => observer.seen(other),
    });
    // Stopped by the front end, by the deadline or because the handle is gone: nothing failed.
    let (failure, label) = match ended {
        Ended::Stopped { reason, message } => (Some((reason.as_str(), message)), None),
        Ended::Asked(label) => (None, label),
        Ended::Limit | Ended::Orphaned | Ended::Stalled => (None, None),
    };
    if spec.hold && capture.begun_at().is_none() {
        // Ended while held (the session moved on during the think time): nothing to keep.
        let _ = capture.stop();
        if let Ok(lib) = shelf.library() {
            lib.abandon_take(&spec.plan);
        }
        let result = Err(match &failure {
            Some((_, message)) => failed("mic_lost", message.clone()),
            None => failed("cancelled", "the recording ended before it began"),
        });
        observer.ended(TakeEnd { result: &result, failure, held_ms: None, begun: false });
        return result;
    }
    let mut held_ms = None;
    let result = finish(shelf, capture, &spec.plan, label, start_delay_ms, &mut held_ms);
    observer.ended(TakeEnd { result: &result, failure, held_ms, begun: true });
    result
}

fn finish(
    shelf: &dyn Shelf,
    capture: CaptureHandle,
    plan: &PlannedTake,
    label: Option<&'static str>,
    start_delay_ms: Option<i64>,
    held_ms: &mut Option<u64>,
) -> Result<Take, EngineError> {
    let s = capture.stop()?;
    *held_ms = Some(s.duration_ms());
    let rec = crate::take::recorded(&s, label, start_delay_ms);
    let mut lib = shelf.library()?;
    Ok(lib.save_take(plan, &rec)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A monitor that has signalled (or dropped its sender) but is still unwinding its
    /// locals, as a busy machine shows it: its take is saved and is handed over.
    fn monitor_ending_slowly(signal: bool) -> (Receiver<()>, JoinHandle<Result<u32, EngineError>>) {
        let (tx, rx) = bounded::<()>(1);
        let thread = std::thread::spawn(move || {
            if signal {
                let _ = tx.send(());
            }
            drop(tx);
            std::thread::sleep(Duration::from_millis(300));
            Ok(7)
        });
        (rx, thread)
    }

    #[test]
    fn a_take_saved_after_the_caller_took_the_done_signal_is_handed_over_not_reported_still_saving() {
        let (rx, thread) = monitor_ending_slowly(true);
        rx.recv().expect("signalled"); // the front end's select took it
        assert_eq!(saved_within(&rx, thread, Duration::from_secs(5)).expect("handed over"), 7);
        let (rx, thread) = monitor_ending_slowly(false);
        assert_eq!(saved_within(&rx, thread, Duration::from_secs(5)).expect("handed over"), 7);
    }

    #[test]
    fn a_monitor_still_saving_past_the_wait_is_reported_still_saving() {
        let (tx, rx) = bounded::<()>(1);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            drop(tx);
            Ok::<u32, EngineError>(1)
        });
        let e = saved_within(&rx, thread, Duration::from_millis(50)).expect_err("still saving");
        assert_eq!(e.kind(), "still_saving");
    }
}
