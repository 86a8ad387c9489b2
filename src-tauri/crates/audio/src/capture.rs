//! Microphone capture. One thread owns the `cpal::Stream` for its whole life; the callback
//! converts to mono i16 and pushes into a lock-free ring (never blocking, counting what it
//! had to drop); a writer thread drains the ring into a [`TakeWriter`] and meters the level.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use serde::Serialize;

use crate::convert::push_frames;
use crate::devices::{find_input, fixed_buffer};
use crate::error::AudioError;
use crate::meter::{Level, Meter};
use crate::wav::TakeWriter;

/// Channels of a stored take: speech is recorded mono, whatever the microphone delivers.
const TAKE_CHANNELS: u16 = 1;
/// Level updates per second sent to front ends.
const METER_HZ: u32 = 30;
/// Capture buffer: small, so the first samples arrive within ~20 ms of starting.
const CAPTURE_BUFFER_MS: u32 = 20;
/// Ring capacity in seconds of audio: the writer may stall this long before frames drop.
const RING_SECONDS: u32 = 4;

#[derive(Debug, Clone)]
pub struct CaptureRequest {
    /// Input device name or id; `None` is the system default.
    pub device: Option<String>,
    /// Final path of the take; it is written as `<path>.partial` until finished.
    pub path: PathBuf,
    /// Stop writing after exactly this many seconds of audio (sample-accurate).
    pub max_seconds: Option<f64>,
}

/// What happened during a capture, in order. Levels come on their own channel.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaptureEvent {
    /// The first samples arrived from the microphone: recording has really begun.
    Started { sample_rate: u32, device: String },
    /// `max_seconds` of audio were written; the writer stopped.
    LimitReached { frames: u64 },
    /// The device reported a problem it recovers from (an overrun, say); recording goes on.
    Warning { message: String },
    /// The device or the disk failed; the capture ended.
    Failed { message: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureSummary {
    pub path: PathBuf,
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: u16,
    pub dropped_frames: u64,
    pub device: String,
}

impl CaptureSummary {
    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / self.sample_rate.max(1) as u64
    }
}

/// A level reading and how many frames have been written when it was taken.
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
    thread: Option<JoinHandle<Result<CaptureSummary, AudioError>>>,
    sample_rate: u32,
    device: String,
}

impl CaptureHandle {
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
    pub fn stop(mut self) -> Result<CaptureSummary, AudioError> {
        let _ = self.stop_tx.send(());
        self.thread.take().ok_or(AudioError::ThreadGone)?.join().map_err(|_| AudioError::ThreadGone)?
    }
}

impl Drop for CaptureHandle {
    fn drop(&mut self) {
        // A handle dropped without stop() still ends the stream and finalizes the file.
        let _ = self.stop_tx.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Opens the microphone and starts writing `req.path`. Returns once the stream is playing
/// (the ready handshake), or with the reason it could not be built.
pub fn start_capture(req: CaptureRequest) -> Result<CaptureHandle, AudioError> {
    let (ready_tx, ready_rx) = bounded::<Result<(u32, String), AudioError>>(1);
    let (stop_tx, stop_rx) = bounded::<()>(1);
    let (event_tx, events) = unbounded();
    let (level_tx, levels) = bounded(64);
    let thread = std::thread::Builder::new()
        .name("rehearse-capture".into())
        .spawn(move || stream_thread(req, ready_tx, stop_rx, event_tx, level_tx))
        .map_err(|e| AudioError::Stream(format!("cannot start the capture thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok((sample_rate, device))) => Ok(CaptureHandle {
            stop_tx,
            events,
            levels,
            thread: Some(thread),
            sample_rate,
            device,
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(AudioError::ThreadGone)
        }
    }
}

fn stream_thread(
    req: CaptureRequest,
    ready: Sender<Result<(u32, String), AudioError>>,
    stop: Receiver<()>,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
) -> Result<CaptureSummary, AudioError> {
    // Setup errors travel through the handshake; start_capture returns them.
    let (stream, writer_thread, shared, rate, device) = match start_stream(&req, events, levels) {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return Err(AudioError::ThreadGone);
        }
    };
    let _ = ready.send(Ok((rate, device.clone())));
    let _ = stop.recv();
    drop(stream);
    shared.stop.store(true, Ordering::SeqCst);
    let (path, frames) = writer_thread.join().map_err(|_| AudioError::ThreadGone)??;
    Ok(CaptureSummary {
        path,
        frames,
        sample_rate: rate,
        channels: TAKE_CHANNELS,
        dropped_frames: shared.dropped.load(Ordering::SeqCst),
        device,
    })
}

/// State shared between the callback, the writer and the stream thread: atomics only.
struct Shared {
    dropped: AtomicU64,
    stop: AtomicBool,
}

type WriterJoin = JoinHandle<Result<(PathBuf, u64), AudioError>>;

fn start_stream(
    req: &CaptureRequest,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
) -> Result<(cpal::Stream, WriterJoin, Arc<Shared>, u32, String), AudioError> {
    let device = find_input(req.device.as_deref())?;
    let name = device.to_string();
    let unusable = |reason: String| AudioError::DeviceUnusable { device: name.clone(), reason };
    let supported = device.default_input_config().map_err(|e| unusable(e.to_string()))?;
    let rate = supported.sample_rate();
    let channels = supported.channels() as usize;
    let format = supported.sample_format();
    let shared = Arc::new(Shared { dropped: AtomicU64::new(0), stop: AtomicBool::new(false) });

    let build = |buffer_size: cpal::BufferSize| {
        let (producer, consumer) = rtrb::RingBuffer::<i16>::new((rate * RING_SECONDS) as usize);
        let config = cpal::StreamConfig { buffer_size, ..supported.config() };
        build_for_format(&device, config, format, channels, producer, shared.clone(), events.clone())
            .map(|stream| (stream, consumer))
    };
    // Some hosts refuse a fixed buffer size: fall back to the default one.
    let (stream, consumer) = match build(fixed_buffer(supported.buffer_size(), rate, CAPTURE_BUFFER_MS)) {
        Ok(v) => v,
        Err(BuildError::Cpal(_)) => build(cpal::BufferSize::Default).map_err(|e| e.into_audio(&name))?,
        Err(e) => return Err(e.into_audio(&name)),
    };
    let writer = TakeWriter::create(&req.path, rate, TAKE_CHANNELS)?;
    let writer_thread =
        spawn_writer((writer, consumer), shared.clone(), rate, req.max_seconds, name.clone(), events, levels)?;
    if let Err(e) = stream.play() {
        shared.stop.store(true, Ordering::SeqCst);
        drop(stream);
        // Leave the (empty) partial file for recovery rather than deleting anything.
        let _ = writer_thread.join();
        return Err(unusable(format!("cannot start it: {e}")));
    }
    Ok((stream, writer_thread, shared, rate, name))
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
    let data_cb = move |data: &[T], _: &cpal::InputCallbackInfo| {
        let dropped = push_frames(data, channels, &mut ring);
        // After the writer stopped (limit or stop), a full ring is expected, not a loss.
        if dropped > 0 && !shared.stop.load(Ordering::Relaxed) {
            shared.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
    };
    let err_cb = move |e: cpal::Error| {
        let message = format!("the microphone reported: {e}");
        // Only a vanished device ends cpal's stream; other errors are recovered from.
        let _ = events.try_send(match e.kind() {
            cpal::ErrorKind::DeviceNotAvailable => CaptureEvent::Failed { message },
            _ => CaptureEvent::Warning { message },
        });
    };
    device.build_input_stream(config, data_cb, err_cb, None).map_err(BuildError::Cpal)
}

type WriterParts = (TakeWriter, rtrb::Consumer<i16>);

fn spawn_writer(
    parts: WriterParts,
    shared: Arc<Shared>,
    rate: u32,
    max_seconds: Option<f64>,
    device: String,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
) -> Result<JoinHandle<Result<(PathBuf, u64), AudioError>>, AudioError> {
    std::thread::Builder::new()
        .name("rehearse-wav-writer".into())
        .spawn(move || writer_loop(parts, shared, rate, max_seconds, device, events, levels))
        .map_err(|e| AudioError::Stream(format!("cannot start the writer thread: {e}")))
}

fn writer_loop(
    (mut writer, mut ring): WriterParts,
    shared: Arc<Shared>,
    rate: u32,
    max_seconds: Option<f64>,
    device: String,
    events: Sender<CaptureEvent>,
    levels: Sender<LevelUpdate>,
) -> Result<(PathBuf, u64), AudioError> {
    let max_frames = max_seconds.map(|s| (s * rate as f64).round() as u64);
    let mut meter = Meter::new(rate / METER_HZ);
    let mut buf: Vec<i16> = Vec::with_capacity(rate as usize);
    let mut started = false;
    loop {
        let stopping = shared.stop.load(Ordering::SeqCst);
        let mut n = ring.slots();
        if let Some(max) = max_frames {
            n = n.min((max - writer.frames()) as usize);
        }
        n = n.min(buf.capacity());
        if n > 0 {
            buf.clear();
            if let Ok(chunk) = ring.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                buf.extend_from_slice(a);
                buf.extend_from_slice(b);
                chunk.commit_all();
            }
            if !started {
                started = true;
                let _ = events.send(CaptureEvent::Started { sample_rate: rate, device: device.clone() });
            }
            let base = writer.frames();
            for (i, &s) in buf.iter().enumerate() {
                if let Some(level) = meter.push(s) {
                    let _ = levels.try_send(LevelUpdate { frames: base + i as u64 + 1, level });
                }
            }
            if let Err(e) = writer.write(&buf) {
                let _ = events.send(CaptureEvent::Failed { message: e.to_string() });
                return Err(e);
            }
        } else if let Err(e) = writer.maybe_flush() {
            let _ = events.send(CaptureEvent::Failed { message: e.to_string() });
            return Err(e);
        }
        if max_frames.is_some_and(|m| writer.frames() >= m) {
            shared.stop.store(true, Ordering::SeqCst);
            let _ = events.send(CaptureEvent::LimitReached { frames: writer.frames() });
            break;
        }
        if stopping && ring.is_empty() {
            break;
        }
        if n == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    writer.finish()
}
