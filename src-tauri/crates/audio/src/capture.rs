//! Microphone capture. One thread owns the `cpal::Stream` for its whole life and watches
//! over it; the callback converts to mono i16 and pushes into a lock-free ring (never
//! blocking, counting what it had to drop); a writer thread drains the ring into a
//! [`TakeWriter`] (which also writes the take's waveform peaks), meters the level and stops
//! on a write error, a full disk or a size cap.
//!
//! The writer owns the file and finishes it without waiting for the stream's thread: a
//! device that vanished can leave that thread stuck for good while closing the stream
//! (ALSA's pulse plugin, after the sound server died, never returns from
//! `pa_mutex_lock`), so a take is closed, and its loss reported, whatever the device does;
//! a stream that does not close in time is abandoned on its own thread.
//!
//! A capture can be held (paused) and resumed any number of times: while held the callback
//! leaves whole buffers out of the ring, so the file runs on seamlessly from the last buffer
//! kept before the hold to the first one after it, and the clock ([`CaptureHandle::frames_captured`])
//! stands still.
//!
//! Length: the stream thread, its watchdog and the writer thread share the handle and stop
//! reasons, and the real-time rules (no lock or allocation in the callback) are easier to check
//! in one place.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
use serde::Serialize;

use crate::convert::push_frames;
use crate::devices::{find_input, fixed_buffer, input_route, Route};
use crate::error::AudioError;
use crate::meter::{Level, Meter};
use crate::thread::{join_within, spawn_with_handshake, CLOSE_WITHIN};
use crate::wav::TakeWriter;

/// Channels of a stored take: speech is recorded mono, whatever the microphone delivers.
const TAKE_CHANNELS: u16 = 1;
/// Level updates per second sent to front ends.
const METER_HZ: u32 = 30;
/// Capture buffer: small, so the first samples arrive within ~30-40 ms of starting, but
/// not smaller: through ALSA's PulseAudio plugin a 20 ms buffer made cpal's capture thread
/// spin (18% of a core against 4% at 30 ms, measured here). `REHEARSE_CAPTURE_BUFFER_MS`
/// overrides it.
const CAPTURE_BUFFER_MS: u32 = 30;
/// Ring capacity in seconds of audio: the writer may stall this long before frames drop.
const RING_SECONDS: u32 = 4;
/// No callback for this long after the stream delivered once: the microphone is gone …
const STALL_AFTER: Duration = Duration::from_millis(500);
/// … unless the system still routes capture to the same source (a busy machine can starve
/// the sound server for a moment); then it is given up for lost only after this long.
const STALL_CONFIRMED_AFTER: Duration = Duration::from_secs(3);
/// No first callback this long after `play()`: the microphone delivers nothing.
const FIRST_SAMPLES_WITHIN: Duration = Duration::from_secs(3);
/// Bit-exact digital silence this long after real signal: the stream was moved to a
/// source that delivers nothing (what PulseAudio does, silently, when a microphone goes
/// away). A real microphone always has some noise.
const FLATLINE_AFTER_SECONDS: f64 = 0.5;
/// Signal below this level for [`SILENCE_WARNING_AFTER`] triggers the no-input warning.
const SILENCE_FLOOR_DBFS: f32 = -60.0;
const SILENCE_WARNING_AFTER: Duration = Duration::from_secs(3);
/// How long the writer sleeps when the ring is empty.
const WRITER_IDLE: Duration = Duration::from_millis(15);
/// How often the writer checks the free space of the disk it writes to.
const FREE_SPACE_EVERY: Duration = Duration::from_secs(1);
/// How long [`CaptureHandle::pause`] waits for the audio callback to see the request: far
/// more than one buffer; only a microphone that stopped delivering takes this long (and
/// then nothing more is kept anyway).
pub const PAUSE_ACK_WITHIN: Duration = Duration::from_millis(500);

/// Which input to record from.
#[derive(Clone, Default)]
pub enum InputChoice {
    /// The system's default input.
    #[default]
    Default,
    /// An input by name or id (see [`crate::input_devices`]).
    Named(String),
    /// A device built by the caller (tests use cpal's custom host).
    Device(cpal::Device),
}

impl std::fmt::Debug for InputChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputChoice::Default => f.write_str("Default"),
            InputChoice::Named(n) => write!(f, "Named({n:?})"),
            InputChoice::Device(d) => write!(f, "Device({d})"),
        }
    }
}

impl From<Option<String>> for InputChoice {
    fn from(name: Option<String>) -> Self {
        name.map(InputChoice::Named).unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
pub struct CaptureRequest {
    pub input: InputChoice,
    /// Final path of the take; it is written as `<path>.partial` until finished.
    pub path: PathBuf,
    /// Stop writing after exactly this many seconds of audio (sample-accurate).
    pub max_seconds: Option<f64>,
    /// Stop (and keep the take) when the file would grow past this many bytes:
    /// far below the 4 GiB at which WAV sizes wrap.
    pub max_bytes: u64,
    /// Stop (and keep the take) when the disk's free space drops below this.
    pub min_free_bytes: u64,
    /// Open the microphone now but keep nothing until [`CaptureHandle::begin`] (or
    /// [`CaptureHandle::resume`]): a start scheduled ahead (after a think time) then costs no
    /// device latency.
    pub hold: bool,
}

impl CaptureRequest {
    /// A request with the default limits: 2 GiB per file, and 50 MB of free space kept
    /// (`REHEARSE_MIN_FREE_MB` overrides the floor).
    pub fn new(input: InputChoice, path: PathBuf, max_seconds: Option<f64>) -> Self {
        let min_free_bytes = std::env::var("REHEARSE_MIN_FREE_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|mb| mb << 20)
            .unwrap_or(DEFAULT_MIN_FREE_BYTES);
        CaptureRequest { input, path, max_seconds, max_bytes: DEFAULT_MAX_BYTES, min_free_bytes, hold: false }
    }
}

/// 2 GiB: about 6 hours of 48 kHz mono, and half of hound's 4 GiB wrap.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;
/// Free space kept on the disk: room for the database and the rest of the system.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 50 << 20;

/// Why a capture ended before it was asked to.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The microphone stopped delivering, vanished, or was replaced by a silent source.
    MicLost,
    /// Writing failed (disk full, I/O error); what was written before is kept.
    WriteFailed,
    /// The disk's free space fell below the floor.
    DiskLow,
    /// The file reached the size cap.
    SizeCap,
}

impl StopReason {
    /// The stable name stored with a take (the same as its serialized form).
    pub fn as_str(&self) -> &'static str {
        match self {
            StopReason::MicLost => "mic_lost",
            StopReason::WriteFailed => "write_failed",
            StopReason::DiskLow => "disk_low",
            StopReason::SizeCap => "size_cap",
        }
    }
}

/// What happened during a capture, in order. Levels come on their own channel.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaptureEvent {
    /// The first samples arrived from the microphone: recording has really begun.
    Started { sample_rate: u32, device: String, first_sample_ms: u64 },
    /// `max_seconds` of audio were written; the writer stopped.
    LimitReached { frames: u64 },
    /// The signal has stayed at the noise floor since the start; recording goes on.
    Silent { seconds: f64 },
    /// Free space is getting low: this much recording time is left.
    DiskSpaceLow { seconds_left: u64 },
    /// The device reported a problem it recovers from (an overrun, say); recording goes on.
    Warning { message: String },
    /// The capture ended by itself; what was written is kept (see the summary).
    Stopped { reason: StopReason, message: String },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct CaptureSummary {
    pub path: PathBuf,
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: u16,
    pub dropped_frames: u64,
    pub device: String,
    /// Milliseconds from the start request to the first samples reaching the writer.
    pub first_sample_ms: Option<u64>,
    /// Set when the capture ended by itself.
    pub stopped: Option<StopReason>,
    /// False when the file could not be finalized (e.g. the disk is full): it is left
    /// under its partial name for recovery, holding everything written before the error.
    pub finalized: bool,
}

impl CaptureSummary {
    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / self.sample_rate.max(1) as u64
    }
}

/// A level reading and how many frames have been written when it was taken.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LevelUpdate {
    pub frames: u64,
    #[serde(flatten)]
    pub level: Level,
}

pub struct CaptureHandle {
    stop_tx: Sender<()>,
    events: Receiver<CaptureEvent>,
    levels: Receiver<LevelUpdate>,
    /// The stream's owner and watchdog.
    thread: Option<JoinHandle<()>>,
    /// The file's owner: it returns the summary.
    writer: Option<JoinHandle<CaptureSummary>>,
    sample_rate: u32,
    device: String,
    shared: Arc<Shared>,
}

impl CaptureHandle {
    /// Starts keeping audio in a held capture (only the first call does anything; a paused
    /// capture is resumed with [`resume`](Self::resume)). Returns when it began.
    pub fn begin(&self) -> Instant {
        self.starter().begin()
    }
    /// When a held capture began; None while it is held, or for a capture never held.
    pub fn begun_at(&self) -> Option<Instant> {
        self.shared.begun_at.get().copied()
    }
    /// A handle that can begin this capture from another thread.
    pub fn starter(&self) -> CaptureStarter {
        CaptureStarter(self.shared.clone())
    }
    /// Frames kept for the file so far (handed to the writer: not dropped, not held): the
    /// sample-accurate position of "now" in the file being written, for markers and
    /// deadlines. It stands still while the capture is paused.
    pub fn frames_captured(&self) -> u64 {
        self.shared.kept.load(Ordering::SeqCst)
    }

    /// Pauses the capture: from the next buffer on, nothing reaches the file (the microphone
    /// stays open and watched) until [`resume`](Self::resume). Waits until the audio
    /// callback has seen the request (one buffer, some 30 ms; at most
    /// [`PAUSE_ACK_WITHIN`] if the microphone stopped delivering) and returns the frame of
    /// the file where audio stops: everything before it is kept, nothing after it until the
    /// capture resumes. Pausing a paused capture returns the same frame.
    pub fn pause(&self) -> u64 {
        let s = &self.shared;
        s.held.store(true, Ordering::SeqCst);
        // A buffer the callback was handling when the flag changed may still be kept: once
        // one more callback has completed, no buffer can be.
        let seen = s.callbacks.load(Ordering::SeqCst);
        let until = Instant::now() + PAUSE_ACK_WITHIN;
        while s.callbacks.load(Ordering::SeqCst) == seen && Instant::now() < until && !s.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        s.kept.load(Ordering::SeqCst)
    }
    /// Resumes a paused (or held) capture: the next buffer is kept, right after the last one
    /// kept before the pause. Returns that frame of the file (where [`pause`](Self::pause)
    /// left off). Does not wait.
    pub fn resume(&self) -> u64 {
        self.shared.held.store(false, Ordering::SeqCst);
        self.shared.kept.load(Ordering::SeqCst)
    }
    /// True while paused or held.
    pub fn is_paused(&self) -> bool {
        self.shared.held.load(Ordering::SeqCst)
    }

    pub fn events(&self) -> &Receiver<CaptureEvent> {
        &self.events
    }
    pub fn levels(&self) -> &Receiver<LevelUpdate> {
        &self.levels
    }
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Stops the stream, drains what was captured, finalizes the WAV and returns its summary.
    /// Never waits on the device: the writer finishes the file by itself (within
    /// [`PAUSE_ACK_WITHIN`] of a callback that no longer comes), and a stream that does not
    /// close within a second is left to its own thread.
    pub fn stop(mut self) -> Result<CaptureSummary, AudioError> {
        self.end().ok_or(AudioError::ThreadGone)
    }

    fn end(&mut self) -> Option<CaptureSummary> {
        let _ = self.stop_tx.try_send(());
        self.shared.stop.store(true, Ordering::SeqCst);
        let summary = self.writer.take().and_then(|w| w.join().ok());
        if let Some(t) = self.thread.take() {
            // After a loss the stream's thread may never come back: do not wait for it.
            if self.shared.lost.get().is_none() {
                join_within(t, CLOSE_WITHIN);
            }
        }
        summary
    }
}

impl Drop for CaptureHandle {
    fn drop(&mut self) {
        // A handle dropped without stop() still ends the stream and finalizes the file.
        self.end();
    }
}

/// Opens the microphone and starts writing `req.path`. Returns once the stream is playing
/// (the ready handshake), or with the reason it could not be built.
pub fn start_capture(req: CaptureRequest) -> Result<CaptureHandle, AudioError> {
    let (stop_tx, stop_rx) = bounded::<()>(1);
    let (event_tx, events) = unbounded();
    let (level_tx, levels) = bounded(64);
    let ((sample_rate, device, shared, writer), thread) =
        spawn_with_handshake("rehearse-capture", move |ready| stream_thread(req, ready, stop_rx, event_tx, level_tx))?;
    Ok(CaptureHandle { stop_tx, events, levels, thread: Some(thread), writer: Some(writer), sample_rate, device, shared })
}

/// Begins a held capture from any thread (see [`CaptureHandle::begin`]).
#[derive(Clone)]
pub struct CaptureStarter(Arc<Shared>);

impl CaptureStarter {
    /// See [`CaptureHandle::begin`].
    pub fn begin(&self) -> Instant {
        let mut first = false;
        let at = *self.0.begun_at.get_or_init(|| {
            first = true;
            Instant::now()
        });
        // Only the first call releases the hold: a later pause is undone by resume alone.
        if first {
            self.0.held.store(false, Ordering::SeqCst);
        }
        at
    }
}

/// What the stream thread hands back once the stream plays: rate, device name, counters,
/// and the writer (whose summary ends the capture).
type Ready = (u32, String, Arc<Shared>, JoinHandle<CaptureSummary>);

/// State shared between the callback, the writer and the stream thread: atomics only.
struct Shared {
    /// Frames the callback has seen (kept, dropped or held).
    frames_seen: AtomicU64,
    /// Frames pushed into the ring for the file (the clock; see `frames_captured`). Written
    /// by the callback only.
    kept: AtomicU64,
    /// Callbacks completed, so that `pause` can tell when its request has been seen.
    callbacks: AtomicU64,
    /// `frames_seen` at the end of the last buffer that held anything but digital silence.
    last_signal_frame: AtomicU64,
    dropped: AtomicU64,
    /// Set by the error callback when cpal reports the device gone.
    device_gone: AtomicBool,
    /// Set by the watchdog (before `stop`) when it gave the microphone up for lost: why.
    lost: std::sync::OnceLock<String>,
    /// The stream's thread has closed the stream: no callback comes any more.
    stream_closed: AtomicBool,
    /// The writer should drain and finish.
    stop: AtomicBool,
    /// Held or paused: the callback keeps nothing (whole buffers are left out of the ring).
    held: AtomicBool,
    /// When a held capture was told to begin.
    begun_at: std::sync::OnceLock<Instant>,
}

struct Running {
    /// The system's capture route at the start (see `input_route`), to confirm a loss.
    route: Route,
    stream: cpal::Stream,
    shared: Arc<Shared>,
    rate: u32,
    device: String,
    started: Instant,
}

fn stream_thread(
    req: CaptureRequest,
    ready: Sender<Result<Ready, AudioError>>,
    stop: Receiver<()>,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
) {
    let started = Instant::now();
    // Setup errors travel through the handshake; start_capture returns them.
    let (run, writer) = match start_stream(&req, started, events, levels) {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if let Err(back) = ready.send(Ok((run.rate, run.device.clone(), run.shared.clone(), writer))) {
        // start_capture stopped waiting (the device took too long to open): nothing is
        // kept, and the empty file goes.
        run.shared.stop.store(true, Ordering::SeqCst);
        if let Ok((.., writer)) = back.into_inner() {
            let _ = writer.join();
        }
        remove_take_files(&req.path);
        return;
    }
    if let Some(why) = watch(&run, &stop) {
        // Before `stop`: the writer, seeing it stop, reports the loss with what it saved.
        let _ = run.shared.lost.set(why);
    }
    run.shared.stop.store(true, Ordering::SeqCst);
    let Running { stream, shared, .. } = run;
    // May never return after the device vanished (see the module's note); nothing waits on it.
    drop(stream);
    shared.stream_closed.store(true, Ordering::SeqCst);
}

/// Removes the files of a capture that recorded nothing (its partial WAV and peaks).
fn remove_take_files(path: &std::path::Path) {
    let _ = std::fs::remove_file(crate::wav::partial_path_for(path));
    let _ = std::fs::remove_file(path);
    let peaks = crate::peaks::peaks_path_for(path);
    let _ = std::fs::remove_file(crate::wav::partial_path_for(&peaks));
    let _ = std::fs::remove_file(peaks);
}

/// The watchdog: waits for a stop request while checking, every 50 ms, that the
/// microphone is still delivering real signal. Returns why it gave up, if it did.
fn watch(run: &Running, stop: &Receiver<()>) -> Option<String> {
    let s = &run.shared;
    let flatline_frames = (FLATLINE_AFTER_SECONDS * run.rate as f64) as u64;
    let mut last_seen = 0u64;
    let mut last_change = Instant::now();
    let mut last_wake = Instant::now();
    let mut flat_checked = 0u64;
    let mut route_ok_until: Option<Instant> = None;
    loop {
        match stop.recv_timeout(Duration::from_millis(50)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {}
        }
        // A starved process (this thread woke far too late) proves nothing about the
        // microphone: restart the stall clock instead of declaring it lost.
        if last_wake.elapsed() > STALL_AFTER / 2 {
            last_change = Instant::now();
        }
        last_wake = Instant::now();
        if s.stop.load(Ordering::SeqCst) {
            return None; // the writer ended it (limit, disk, size cap)
        }
        if s.device_gone.load(Ordering::SeqCst) {
            return Some("the device was disconnected".into());
        }
        let seen = s.frames_seen.load(Ordering::SeqCst);
        if seen != last_seen {
            last_seen = seen;
            last_change = Instant::now();
        } else if seen == 0 && run.started.elapsed() > FIRST_SAMPLES_WITHIN {
            return Some("it delivered no audio".into());
        } else if seen > 0 && last_change.elapsed() > STALL_AFTER {
            let stalled = last_change.elapsed();
            let lost = Some(format!("no audio for {:.1} s", stalled.as_secs_f64()));
            if stalled >= STALL_CONFIRMED_AFTER || !matches!(run.route, Route::Source(_)) {
                return lost;
            }
            // Ask the system at most every 0.5 s: a server that refuses, or routes capture
            // elsewhere, confirms the loss; the same source, or no answer yet (a starved
            // server), gives the microphone until STALL_CONFIRMED_AFTER.
            if route_ok_until.is_none_or(|t| Instant::now() >= t) {
                match input_route() {
                    Route::Unreachable => return lost,
                    Route::Source(now) if Route::Source(now.clone()) != run.route => return lost,
                    _ => route_ok_until = Some(Instant::now() + STALL_AFTER),
                }
            }
        }
        let real_signal = s.last_signal_frame.load(Ordering::SeqCst);
        let signal = real_signal.max(flat_checked);
        if signal > 0 && seen.saturating_sub(signal) >= flatline_frames {
            // Digital silence after real signal: the stream was probably moved to a silent
            // source. Where the route can be read, it decides: the same route means a
            // genuinely silent (e.g. noise-suppressed) microphone, and recording goes on.
            // A server that could tell at the start but does not answer now (a busy
            // machine) is asked again later; the silence alone decides only after
            // STALL_CONFIRMED_AFTER.
            let confirmed_frames = (STALL_CONFIRMED_AFTER.as_secs_f64() * run.rate as f64) as u64;
            match (&run.route, input_route()) {
                (Route::Source(before), Route::Source(now)) if *before == now => flat_checked = seen,
                (Route::Source(before), Route::Source(now)) => return Some(format!("the system switched from \"{before}\" to \"{now}\"")),
                (Route::Source(_), Route::Unknown) if seen.saturating_sub(real_signal) < confirmed_frames => flat_checked = seen,
                _ => return Some("its signal dropped to digital silence".into()),
            }
        }
    }
}

fn start_stream(
    req: &CaptureRequest,
    started: Instant,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
) -> Result<(Running, JoinHandle<CaptureSummary>), AudioError> {
    check_free_space(req)?;
    let device = match &req.input {
        InputChoice::Default => find_input(None)?,
        InputChoice::Named(n) => find_input(Some(n))?,
        InputChoice::Device(d) => d.clone(),
    };
    let name = device.to_string();
    let unusable = |reason: String| AudioError::DeviceUnusable { device: name.clone(), reason };
    let supported = device.default_input_config().map_err(|e| unusable(e.to_string()))?;
    let rate = supported.sample_rate();
    let channels = supported.channels() as usize;
    if rate == 0 || channels == 0 {
        return Err(unusable(format!("it reports {channels} channels at {rate} Hz")));
    }
    let format = supported.sample_format();
    let shared = Arc::new(Shared {
        frames_seen: AtomicU64::new(0),
        kept: AtomicU64::new(0),
        callbacks: AtomicU64::new(0),
        last_signal_frame: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        device_gone: AtomicBool::new(false),
        lost: std::sync::OnceLock::new(),
        stream_closed: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        held: AtomicBool::new(req.hold),
        begun_at: std::sync::OnceLock::new(),
    });

    let build = |buffer_size: cpal::BufferSize| {
        let (producer, consumer) = rtrb::RingBuffer::<i16>::new((rate * RING_SECONDS) as usize);
        let config = cpal::StreamConfig { buffer_size, ..supported.config() };
        build_for_format(&device, config, format, channels, producer, shared.clone(), events.clone()).map(|stream| (stream, consumer))
    };
    // Some hosts refuse a fixed buffer size: fall back to the default one.
    let buffer_ms = std::env::var("REHEARSE_CAPTURE_BUFFER_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(CAPTURE_BUFFER_MS);
    let (stream, consumer) = match build(fixed_buffer(supported.buffer_size(), rate, buffer_ms)) {
        Ok(v) => v,
        Err(BuildError::Cpal(_)) => build(cpal::BufferSize::Default).map_err(|e| e.into_audio(&name))?,
        Err(e) => return Err(e.into_audio(&name)),
    };
    let writer = TakeWriter::create(&req.path, rate, TAKE_CHANNELS)?;
    let ctx = WriterCtx {
        shared: shared.clone(),
        rate,
        max_frames: req.max_seconds.map(|s| (s * rate as f64).round() as u64),
        max_bytes: req.max_bytes,
        min_free_bytes: req.min_free_bytes,
        device: name.clone(),
        started,
        events,
        levels,
    };
    let writer = std::thread::Builder::new()
        .name("rehearse-wav-writer".into())
        .spawn(move || writer_thread(writer, consumer, ctx))
        .map_err(|e| AudioError::Stream(format!("cannot start the writer thread: {e}")))?;
    if let Err(e) = stream.play() {
        shared.stop.store(true, Ordering::SeqCst);
        drop(stream);
        // Nothing was recorded: the empty partial file is not a take, so it goes.
        let _ = writer.join();
        remove_take_files(&req.path);
        return Err(unusable(format!("cannot start it: {e}")));
    }
    let route = match req.input {
        InputChoice::Device(_) => Route::Unknown,
        _ => input_route(),
    };
    Ok((Running { route, stream, shared, rate, device: name, started }, writer))
}

/// Refuses to start when the disk is already below the floor.
fn check_free_space(req: &CaptureRequest) -> Result<(), AudioError> {
    let dir = req.path.parent().unwrap_or(std::path::Path::new("."));
    match fs4::available_space(dir) {
        Ok(free) if free <= req.min_free_bytes => {
            Err(AudioError::DiskFull { path: dir.to_path_buf(), free_mb: free >> 20, needed_mb: req.min_free_bytes >> 20 })
        }
        _ => Ok(()),
    }
}

enum BuildError {
    Cpal(cpal::Error),
    Format(SampleFormat),
}

impl BuildError {
    fn into_audio(self, device: &str) -> AudioError {
        match self {
            BuildError::Cpal(e) => AudioError::DeviceUnusable { device: device.into(), reason: e.to_string() },
            BuildError::Format(f) => AudioError::UnsupportedFormat(f.to_string()),
        }
    }
}

fn build_for_format(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    format: SampleFormat,
    channels: usize,
    producer: rtrb::Producer<i16>,
    shared: Arc<Shared>,
    events: Sender<CaptureEvent>,
) -> Result<cpal::Stream, BuildError> {
    macro_rules! build {
        ($t:ty) => {
            build_typed::<$t>(device, config, channels, producer, shared, events)
        };
    }
    match format {
        SampleFormat::I8 => build!(i8),
        SampleFormat::I16 => build!(i16),
        SampleFormat::I24 => build!(cpal::I24),
        SampleFormat::I32 => build!(i32),
        SampleFormat::I64 => build!(i64),
        SampleFormat::U8 => build!(u8),
        SampleFormat::U16 => build!(u16),
        SampleFormat::U24 => build!(cpal::U24),
        SampleFormat::U32 => build!(u32),
        SampleFormat::U64 => build!(u64),
        SampleFormat::F32 => build!(f32),
        SampleFormat::F64 => build!(f64),
        other => Err(BuildError::Format(other)),
    }
}

fn build_typed<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    channels: usize,
    mut ring: rtrb::Producer<i16>,
    shared: Arc<Shared>,
    events: Sender<CaptureEvent>,
) -> Result<cpal::Stream, BuildError>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let cb_shared = shared.clone();
    let data_cb = move |data: &[T], _: &cpal::InputCallbackInfo| {
        let frames = (data.len() / channels.max(1)) as u64;
        let seen = cb_shared.frames_seen.fetch_add(frames, Ordering::SeqCst) + frames;
        if data.iter().any(|&s| s != T::EQUILIBRIUM) {
            cb_shared.last_signal_frame.store(seen, Ordering::SeqCst);
        }
        // Held or paused: the buffer is left out whole (the microphone is still watched).
        // Once stopping, nothing more is kept: the writer drains what is in the ring.
        if !cb_shared.held.load(Ordering::SeqCst) && !cb_shared.stop.load(Ordering::SeqCst) {
            let dropped = push_frames(data, channels, &mut ring);
            // After the writer stopped (limit or stop), a full ring is expected, not a loss.
            if dropped > 0 && !cb_shared.stop.load(Ordering::Relaxed) {
                cb_shared.dropped.fetch_add(dropped, Ordering::Relaxed);
            }
            cb_shared.kept.fetch_add(frames - dropped.min(frames), Ordering::SeqCst);
        }
        cb_shared.callbacks.fetch_add(1, Ordering::SeqCst);
    };
    let err_cb = move |e: cpal::Error| {
        // Only a vanished device ends cpal's stream; other errors are recovered from.
        if e.kind() == cpal::ErrorKind::DeviceNotAvailable {
            shared.device_gone.store(true, Ordering::SeqCst);
        } else {
            let _ = events.try_send(CaptureEvent::Warning { message: format!("the microphone reported: {e}") });
        }
    };
    device.build_input_stream(config, data_cb, err_cb, None).map_err(BuildError::Cpal)
}

struct WriterCtx {
    shared: Arc<Shared>,
    rate: u32,
    max_frames: Option<u64>,
    max_bytes: u64,
    min_free_bytes: u64,
    device: String,
    started: Instant,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
}

/// The writer's thread: writes the take, then reports how it ended (a loss the watchdog
/// found is announced here, once the file is closed, with what was saved).
fn writer_thread(writer: TakeWriter, ring: rtrb::Consumer<i16>, ctx: WriterCtx) -> CaptureSummary {
    let shared = ctx.shared.clone();
    let (rate, device, events) = (ctx.rate, ctx.device.clone(), ctx.events.clone());
    let outcome = writer_loop(writer, ring, ctx);
    let mut stopped = outcome.stopped;
    if let (None, Some(why)) = (stopped, shared.lost.get()) {
        stopped = Some(StopReason::MicLost);
        let saved = outcome.frames as f64 / rate.max(1) as f64;
        let _ = events
            .send(CaptureEvent::Stopped { reason: StopReason::MicLost, message: format!("microphone lost ({why}), {saved:.1} s saved") });
    }
    CaptureSummary {
        path: outcome.path,
        frames: outcome.frames,
        sample_rate: rate,
        channels: TAKE_CHANNELS,
        dropped_frames: shared.dropped.load(Ordering::SeqCst),
        device,
        first_sample_ms: outcome.first_sample_ms,
        stopped,
        finalized: outcome.finalized,
    }
}

/// Once stopping, has the callback finished with the ring? True after one more callback
/// (one that was running when the stop came has then pushed its buffer), once the stream
/// is closed or lost, or after [`PAUSE_ACK_WITHIN`] (a device that stopped delivering).
fn callback_done(s: &Shared, stop_seen: &mut Option<(u64, Instant)>) -> bool {
    let (callbacks, at) = *stop_seen.get_or_insert_with(|| (s.callbacks.load(Ordering::SeqCst), Instant::now()));
    s.callbacks.load(Ordering::SeqCst) != callbacks
        || s.stream_closed.load(Ordering::SeqCst)
        || s.lost.get().is_some()
        || at.elapsed() >= PAUSE_ACK_WITHIN
}

struct WriterOutcome {
    path: PathBuf,
    frames: u64,
    first_sample_ms: Option<u64>,
    stopped: Option<StopReason>,
    finalized: bool,
}

fn writer_loop(mut writer: TakeWriter, mut ring: rtrb::Consumer<i16>, ctx: WriterCtx) -> WriterOutcome {
    let rate = ctx.rate as u64;
    let bytes_per_frame = 2 * TAKE_CHANNELS as u64;
    let max_frames = ctx.max_frames.unwrap_or(u64::MAX).min(ctx.max_bytes.saturating_sub(44) / bytes_per_frame);
    let mut meter = Meter::new(ctx.rate / METER_HZ);
    let mut buf: Vec<i16> = Vec::with_capacity(ctx.rate as usize);
    let mut first_sample_ms = None;
    let mut stopped = None;
    let mut loud_seen = false;
    let mut silence_warned = false;
    let mut last_space_check = Instant::now() - FREE_SPACE_EVERY;
    let mut stop_seen = None;
    let stop_with = |reason: StopReason, message: String, stopped: &mut Option<StopReason>| {
        ctx.shared.stop.store(true, Ordering::SeqCst);
        *stopped = Some(reason);
        let _ = ctx.events.send(CaptureEvent::Stopped { reason, message });
    };
    loop {
        let stopping = ctx.shared.stop.load(Ordering::SeqCst);
        let n = ring.slots().min((max_frames - writer.frames()) as usize).min(buf.capacity());
        if n > 0 {
            buf.clear();
            if let Ok(chunk) = ring.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                buf.extend_from_slice(a);
                buf.extend_from_slice(b);
                chunk.commit_all();
            }
            if first_sample_ms.is_none() {
                // From the request, or for a held capture from when it began.
                let from = ctx.shared.begun_at.get().copied().unwrap_or(ctx.started);
                let ms = from.elapsed().as_millis() as u64;
                first_sample_ms = Some(ms);
                let _ = ctx.events.send(CaptureEvent::Started { sample_rate: ctx.rate, device: ctx.device.clone(), first_sample_ms: ms });
            }
            let base = writer.frames();
            for (i, &s) in buf.iter().enumerate() {
                if let Some(level) = meter.push(s) {
                    loud_seen |= level.peak_dbfs > SILENCE_FLOOR_DBFS;
                    let _ = ctx.levels.try_send(LevelUpdate { frames: base + i as u64 + 1, level });
                }
            }
            if let Err(e) = writer.write(&buf) {
                let saved = writer.frames() as f64 / rate as f64;
                stop_with(StopReason::WriteFailed, format!("{e}; the {saved:.1} s recorded before it were saved"), &mut stopped);
                return finish(writer, first_sample_ms, stopped);
            }
        } else if let Err(e) = writer.maybe_flush() {
            let saved = writer.frames() as f64 / rate as f64;
            stop_with(StopReason::WriteFailed, format!("{e}; the {saved:.1} s recorded before it were saved"), &mut stopped);
            return finish(writer, first_sample_ms, stopped);
        }
        let secs = writer.frames() as f64 / rate as f64;
        if !silence_warned && !loud_seen && first_sample_ms.is_some() && secs >= SILENCE_WARNING_AFTER.as_secs_f64() {
            silence_warned = true;
            let _ = ctx.events.send(CaptureEvent::Silent { seconds: secs });
        }
        if last_space_check.elapsed() >= FREE_SPACE_EVERY {
            last_space_check = Instant::now();
            if let Some(dir) = writer.partial_path().parent() {
                if let Ok(free) = fs4::available_space(dir) {
                    let usable = free.saturating_sub(ctx.min_free_bytes);
                    if usable == 0 {
                        stop_with(StopReason::DiskLow, format!("the disk is almost full; {secs:.1} s saved"), &mut stopped);
                        return finish(writer, first_sample_ms, stopped);
                    }
                    let seconds_left = usable / (bytes_per_frame * rate);
                    if seconds_left < 600 {
                        let _ = ctx.events.send(CaptureEvent::DiskSpaceLow { seconds_left });
                    }
                }
            }
        }
        if writer.frames() >= max_frames {
            if ctx.max_frames.is_some_and(|m| writer.frames() >= m) {
                ctx.shared.stop.store(true, Ordering::SeqCst);
                let _ = ctx.events.send(CaptureEvent::LimitReached { frames: writer.frames() });
            } else {
                stop_with(
                    StopReason::SizeCap,
                    format!("the take reached the size limit of {} kB; {secs:.1} s saved", ctx.max_bytes >> 10),
                    &mut stopped,
                );
            }
            break;
        }
        if stopping && ring.is_empty() && callback_done(&ctx.shared, &mut stop_seen) {
            break;
        }
        if n == 0 {
            // Buffers arrive every ~30 ms: waking more often than that only costs CPU
            // (the ring holds 4 s, so nothing waits on this).
            std::thread::sleep(WRITER_IDLE);
        }
    }
    finish(writer, first_sample_ms, stopped)
}

/// Finalizes the take. If that fails (a full disk cannot take the last buffered bytes), the
/// partial file is left for recovery: its header was valid as of the last flush.
fn finish(writer: TakeWriter, first_sample_ms: Option<u64>, stopped: Option<StopReason>) -> WriterOutcome {
    let partial = writer.partial_path().to_path_buf();
    let frames = writer.frames();
    match writer.finish() {
        Ok((path, frames)) => WriterOutcome { path, frames, first_sample_ms, stopped, finalized: true },
        Err(_) => {
            WriterOutcome { path: partial, frames, first_sample_ms, stopped: stopped.or(Some(StopReason::WriteFailed)), finalized: false }
        }
    }
}
