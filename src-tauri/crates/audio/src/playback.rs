//! Playback of a take, with pause, seek and speed changes while it plays.
//!
//! One thread owns the output stream and feeds it: it reads the WAV in 10 ms blocks (an
//! hour-long take is never loaded whole), time-stretches them when the speed is not 1x
//! (pitch kept, see [`crate::stretch`]), resamples when the device cannot run at the take's
//! rate, and fills a lock-free ring that the callback drains. Commands from any thread
//! ([`PlaybackControl`]) reach that feeder over a channel; the callback only reads atomics:
//! a pause flag (it then plays silence and keeps its place) and a "discard up to" mark that
//! drops queued audio after a seek or a speed change, so both are heard at once.
//!
//! Spans of the take may be skipped (its long silences): when reading reaches one, the
//! feeder goes on reading from its end, so what is already queued still plays and the
//! sound joins without a gap, at any speed.
//!
//! Length: one thread owns the output stream, and pause, seek, speed and skipped silences are
//! all states of that one loop; splitting them would share its state across files. The rest is
//! its unit tests.

use std::collections::VecDeque;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use serde::Serialize;

use crate::convert::i16_to;
use crate::devices::find_output;
use crate::error::AudioError;
use crate::stretch::{check_speed, Stretcher};
use crate::thread::{join_within, spawn_with_handshake, CLOSE_WITHIN};

/// Device buffer: large enough to ride out scheduling hiccups; commands still act within it.
const PLAYBACK_BUFFER_MS: u32 = 100;
/// Audio queued ahead of the callback. Commands do not wait for it (they discard it).
const RING_MS: u32 = 500;
/// Progress events per second while playing.
const PROGRESS_HZ: u64 = 20;
/// Input read per step of the feeder.
const BLOCK_MS: u32 = 10;
/// Events kept for a slow reader; the oldest progress is dropped past this.
const EVENT_BACKLOG: usize = 256;
/// The output took nothing for this long while playing: it is gone.
const OUTPUT_STALLED_AFTER: Duration = Duration::from_secs(3);

/// Which output to play to.
#[derive(Clone, Default)]
pub enum OutputChoice {
    /// The system's default output.
    #[default]
    Default,
    /// An output by name or id (see [`crate::output_devices`]).
    Named(String),
    /// A device built by the caller (e.g. cpal's custom host in tests).
    Device(cpal::Device),
}

impl std::fmt::Debug for OutputChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputChoice::Default => f.write_str("Default"),
            OutputChoice::Named(n) => write!(f, "Named({n:?})"),
            OutputChoice::Device(d) => write!(f, "Device({d})"),
        }
    }
}

impl From<Option<String>> for OutputChoice {
    fn from(name: Option<String>) -> Self {
        name.map(OutputChoice::Named).unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
pub struct PlaybackRequest {
    /// A 16-bit PCM WAV (a take).
    pub path: PathBuf,
    pub output: OutputChoice,
    /// Where to start, in milliseconds of the take.
    pub start_ms: u64,
    /// 0.75 to 2.0; the pitch is kept.
    pub speed: f32,
    /// Spans of the take not to play, in milliseconds (e.g. its long silences), in any
    /// order; overlapping ones are joined. Playing, or seeking, into one goes on at its end.
    pub skip: Vec<Range<u64>>,
}

impl PlaybackRequest {
    /// From the start, at normal speed, on the default output, nothing skipped.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PlaybackRequest { path: path.into(), output: OutputChoice::Default, start_ms: 0, speed: 1.0, skip: vec![] }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlaybackEvent {
    /// About 20 times a second while playing, and at once after every command.
    /// `position_ms` is the position in the take (not in played time).
    Progress {
        position_ms: u64,
        duration_ms: u64,
        speed: f32,
        paused: bool,
    },
    Finished {
        position_ms: u64,
        duration_ms: u64,
    },
    /// Playback ended on an error: `kind` is the error's stable kind (output_lost, io, wav)
    /// for front ends to word, `message` the English line.
    Failed {
        kind: &'static str,
        message: String,
    },
}

impl PlaybackEvent {
    fn failed(e: &AudioError) -> Self {
        PlaybackEvent::Failed { kind: e.kind(), message: e.to_string() }
    }
}

enum Command {
    Pause,
    Resume,
    Seek(u64),
    Speed(f32),
    Stop,
}

/// Controls a playback from any thread. Never blocks; does nothing once playback ended.
#[derive(Clone)]
pub struct PlaybackControl {
    tx: Sender<Command>,
}

impl PlaybackControl {
    pub fn pause(&self) {
        let _ = self.tx.send(Command::Pause);
    }
    pub fn resume(&self) {
        let _ = self.tx.send(Command::Resume);
    }
    /// Jumps to `position_ms` of the take (clamped to its end), keeping the pause state.
    pub fn seek(&self, position_ms: u64) {
        let _ = self.tx.send(Command::Seek(position_ms));
    }
    /// Changes the speed (0.75 to 2.0, pitch kept) from the position being heard.
    pub fn set_speed(&self, speed: f32) -> Result<(), AudioError> {
        let speed = check_speed(speed)?;
        let _ = self.tx.send(Command::Speed(speed));
        Ok(())
    }
    /// Stops playback (a Finished event follows).
    pub fn stop(&self) {
        let _ = self.tx.send(Command::Stop);
    }
}

pub struct PlaybackHandle {
    control: PlaybackControl,
    events: Receiver<PlaybackEvent>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected once the player has stopped feeding (before it closes the output,
    /// which after a vanished output may never return).
    done: Receiver<()>,
    duration_ms: u64,
    device: String,
}

impl PlaybackHandle {
    pub fn events(&self) -> &Receiver<PlaybackEvent> {
        &self.events
    }
    pub fn duration_ms(&self) -> u64 {
        self.duration_ms
    }
    /// The output device's name.
    pub fn device(&self) -> &str {
        &self.device
    }
    /// A control to keep or hand to another thread.
    pub fn control(&self) -> PlaybackControl {
        self.control.clone()
    }
    pub fn pause(&self) {
        self.control.pause();
    }
    pub fn resume(&self) {
        self.control.resume();
    }
    pub fn seek(&self, position_ms: u64) {
        self.control.seek(position_ms);
    }
    pub fn set_speed(&self, speed: f32) -> Result<(), AudioError> {
        self.control.set_speed(speed)
    }
    /// Stops playback now.
    pub fn stop(mut self) {
        self.end();
    }
    /// Blocks until the take has played to the end (or failed, or was stopped). An output
    /// that does not close within a second is left to its own thread.
    pub fn wait(mut self) {
        let _ = self.done.recv();
        if let Some(t) = self.thread.take() {
            join_within(t, CLOSE_WITHIN);
        }
    }
    fn end(&mut self) {
        self.control.stop();
        // The player answers a stop within 10 ms; closing the output may hang (see capture).
        let _ = self.done.recv_timeout(CLOSE_WITHIN);
        if let Some(t) = self.thread.take() {
            join_within(t, CLOSE_WITHIN);
        }
    }
}

impl Drop for PlaybackHandle {
    fn drop(&mut self) {
        self.end();
    }
}

/// Starts playing `path` from the start at normal speed on the default output.
pub fn play_file(path: &Path) -> Result<PlaybackHandle, AudioError> {
    play(PlaybackRequest::new(path))
}

/// Starts playing as requested. Returns once the output is playing, or with the reason it
/// could not (an unreadable file, a bad speed, start or skipped span, an unusable output).
pub fn play(req: PlaybackRequest) -> Result<PlaybackHandle, AudioError> {
    let speed = check_speed(req.speed)?;
    if let Some(bad) = req.skip.iter().find(|r| r.start > r.end) {
        return Err(AudioError::InvalidRequest(format!("the span to skip {} to {} ms ends before it starts", bad.start, bad.end)));
    }
    let path = req.path.clone();
    let reader = hound::WavReader::open(&path).map_err(|e| AudioError::wav("open", &path, e))?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(AudioError::UnsupportedTake(format!(
            "{}: it is {}-bit {:?} (takes are 16-bit PCM)",
            path.display(),
            spec.bits_per_sample,
            spec.sample_format
        )));
    }
    if spec.sample_rate == 0 || spec.channels == 0 {
        return Err(AudioError::UnsupportedTake(format!(
            "{}: its header says {} channels at {} Hz",
            path.display(),
            spec.channels,
            spec.sample_rate
        )));
    }
    let frames = reader.duration() as u64;
    let duration_ms = frames * 1000 / spec.sample_rate as u64;
    if req.start_ms > duration_ms {
        return Err(AudioError::InvalidRequest(format!(
            "the start position {} ms is past the end of the take ({duration_ms} ms)",
            req.start_ms
        )));
    }
    let (cmd_tx, cmd_rx) = unbounded();
    let (event_tx, events) = bounded(EVENT_BACKLOG);
    let oldest = events.clone();
    let (done_tx, done) = bounded::<()>(0);
    let (device, thread) = spawn_with_handshake("rehearse-playback", move |ready| {
        let out = Outbox { tx: event_tx, oldest };
        let mut player = match Player::open(req, reader, speed, &out) {
            Ok(p) => p,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if ready.send(Ok(player.device.clone())).is_err() {
            return; // play() stopped waiting for the output to open
        }
        player.run(&cmd_rx, &out);
        // Readers see the end of the events, and waiters the end of playback, now.
        drop(out);
        drop(done_tx);
        // Dropping the player closes the output: after it vanished this may never return,
        // and nothing waits for it.
    })?;
    Ok(PlaybackHandle { control: PlaybackControl { tx: cmd_tx }, events, thread: Some(thread), done, duration_ms, device })
}

/// Sends events without ever blocking the player: when nobody reads them, the oldest go.
struct Outbox {
    tx: Sender<PlaybackEvent>,
    oldest: Receiver<PlaybackEvent>,
}

impl Outbox {
    fn send(&self, mut ev: PlaybackEvent) {
        loop {
            match self.tx.try_send(ev) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => {
                    ev = back;
                    let _ = self.oldest.try_recv();
                }
            }
        }
    }
}

/// What the callback and the feeder share: atomics only.
struct Shared {
    /// Frames the callback has taken from the ring (played or discarded).
    consumed: AtomicU64,
    /// The callback drops queued frames until it has consumed this many.
    discard_until: AtomicU64,
    paused: AtomicBool,
    device_gone: AtomicBool,
}

/// Skipped spans in frames of a take `total` frames long: clamped to it, sorted, overlapping
/// and touching ones joined, empty ones dropped.
fn skip_frames(skip: &[Range<u64>], rate: u32, total: u64) -> Vec<(u64, u64)> {
    let frame = |ms: u64| (ms.saturating_mul(rate as u64) / 1000).min(total);
    let mut spans: Vec<(u64, u64)> = skip.iter().map(|r| (frame(r.start), frame(r.end))).filter(|(a, b)| a < b).collect();
    spans.sort_unstable();
    let mut joined: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match joined.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => joined.push((a, b)),
        }
    }
    joined
}

/// From this frame of the output on, the take advances `rate` frames per output frame.
#[derive(Debug, Clone, Copy)]
struct Marker {
    at: u64,
    take_frame: f64,
    rate: f64,
}

type WavIn = hound::WavReader<std::io::BufReader<std::fs::File>>;

struct Player {
    path: PathBuf,
    reader: WavIn,
    channels: usize,
    take_rate: u32,
    out_rate: u32,
    total_frames: u64,
    duration_ms: u64,
    device: String,
    stream: cpal::Stream,
    ring: rtrb::Producer<i16>,
    shared: Arc<Shared>,
    stretcher: Stretcher,
    resampler: Linear,
    /// Output produced but not yet in the ring.
    pending: VecDeque<i16>,
    /// Frames pushed into the ring so far.
    pushed: u64,
    markers: VecDeque<Marker>,
    /// Spans of the take not played, in frames (sorted, disjoint, not touching).
    skips: Vec<(u64, u64)>,
    /// The take frame the reader returns next.
    read_frame: u64,
    /// All input read and the stretcher drained.
    input_done: bool,
    paused: bool,
}

impl Player {
    fn open(req: PlaybackRequest, reader: WavIn, speed: f32, out: &Outbox) -> Result<Player, AudioError> {
        let spec = reader.spec();
        let device = match &req.output {
            OutputChoice::Default => find_output(None)?,
            OutputChoice::Named(n) => find_output(Some(n))?,
            OutputChoice::Device(d) => d.clone(),
        };
        let shared = Arc::new(Shared {
            consumed: AtomicU64::new(0),
            discard_until: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            device_gone: AtomicBool::new(false),
        });
        let (stream, out_rate, ring) = open_output(&device, spec.sample_rate, &shared)?;
        let total_frames = reader.duration() as u64;
        let mut player = Player {
            path: req.path,
            reader,
            channels: spec.channels as usize,
            take_rate: spec.sample_rate,
            out_rate,
            total_frames,
            duration_ms: total_frames * 1000 / spec.sample_rate as u64,
            device: device.to_string(),
            stream,
            ring,
            shared,
            stretcher: Stretcher::new(spec.sample_rate, speed)?,
            resampler: Linear::new(spec.sample_rate as f64 / out_rate as f64),
            pending: VecDeque::new(),
            pushed: 0,
            markers: VecDeque::new(),
            skips: skip_frames(&req.skip, spec.sample_rate, total_frames),
            read_frame: 0,
            input_done: false,
            paused: false,
        };
        let start = (req.start_ms * spec.sample_rate as u64 / 1000).min(total_frames);
        player.jump(start, speed)?;
        player.fill(out);
        player
            .stream
            .play()
            .map_err(|e| AudioError::OutputUnusable { device: player.device.clone(), reason: format!("cannot start it: {e}") })?;
        Ok(player)
    }

    fn run(&mut self, commands: &Receiver<Command>, out: &Outbox) {
        let progress_every = Duration::from_millis(1000 / PROGRESS_HZ);
        let mut last_progress = Instant::now();
        let mut last_consumed = (0u64, Instant::now());
        let mut stopped = false;
        let mut played_out = false;
        loop {
            // Wait for a command, but not longer than the ring can spare (it holds 500 ms).
            match commands.recv_timeout(Duration::from_millis(10)) {
                Ok(first) => {
                    let mut failed = None;
                    for cmd in std::iter::once(first).chain(commands.try_iter()) {
                        if let Err(e) = self.command(cmd, &mut stopped) {
                            failed = Some(e);
                            break;
                        }
                    }
                    if let Some(e) = failed {
                        out.send(PlaybackEvent::failed(&e));
                        break;
                    }
                    if stopped {
                        break;
                    }
                    out.send(self.progress());
                    last_progress = Instant::now();
                }
                Err(RecvTimeoutError::Disconnected) => break, // the handle is gone
                Err(RecvTimeoutError::Timeout) => {}
            }
            if self.shared.device_gone.load(Ordering::SeqCst) {
                out.send(PlaybackEvent::failed(&AudioError::OutputLost { device: self.device.clone(), how: "went away" }));
                break;
            }
            self.fill(out);
            let consumed = self.shared.consumed.load(Ordering::Acquire);
            if consumed != last_consumed.0 || self.paused || consumed >= self.pushed {
                last_consumed = (consumed, Instant::now());
            } else if last_consumed.1.elapsed() > OUTPUT_STALLED_AFTER {
                out.send(PlaybackEvent::failed(&AudioError::OutputLost { device: self.device.clone(), how: "stopped playing" }));
                break;
            }
            if self.input_done && self.pending.is_empty() && consumed >= self.pushed && !self.paused {
                // Let the device play its last buffer before the stream is dropped.
                std::thread::sleep(Duration::from_millis(PLAYBACK_BUFFER_MS as u64 + 50));
                played_out = true;
                break;
            }
            if !self.paused && last_progress.elapsed() >= progress_every {
                out.send(self.progress());
                last_progress = Instant::now();
            }
        }
        // Played to the end: where reading ended (the stretcher's output may be a few frames
        // off the exact length, and a span skipped at the end is not heard).
        let position_ms = if played_out { self.read_frame * 1000 / self.take_rate as u64 } else { self.position_ms() };
        self.shared.paused.store(true, Ordering::SeqCst);
        out.send(PlaybackEvent::Finished { position_ms, duration_ms: self.duration_ms });
    }

    fn command(&mut self, cmd: Command, stopped: &mut bool) -> Result<(), AudioError> {
        match cmd {
            Command::Pause => self.set_paused(true),
            Command::Resume => self.set_paused(false),
            Command::Stop => *stopped = true,
            Command::Seek(ms) => {
                let frame = (ms.saturating_mul(self.take_rate as u64) / 1000).min(self.total_frames);
                self.jump(frame, self.stretcher.speed())?;
            }
            Command::Speed(speed) => {
                if speed != self.stretcher.speed() {
                    let here = self.position_frames().round() as u64;
                    self.jump(here.min(self.total_frames), speed)?;
                }
            }
        }
        Ok(())
    }

    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        self.shared.paused.store(paused, Ordering::SeqCst);
    }

    /// The skipped span `frame` is in: its end.
    fn skipped_to(&self, frame: u64) -> Option<u64> {
        let i = self.skips.partition_point(|&(_, end)| end <= frame);
        self.skips.get(i).filter(|&&(start, _)| start <= frame).map(|&(_, end)| end)
    }

    /// Continues from take frame `frame` (past the span it is in, if skipped) at `speed`:
    /// queued audio is dropped by the callback.
    fn jump(&mut self, frame: u64, speed: f32) -> Result<(), AudioError> {
        let frame = self.skipped_to(frame).unwrap_or(frame);
        self.reader.seek(frame as u32).map_err(|e| AudioError::io("seek in", &self.path, e))?;
        self.read_frame = frame;
        self.stretcher.restart(speed);
        self.resampler = Linear::new(self.take_rate as f64 / self.out_rate as f64);
        self.pending.clear();
        self.input_done = frame >= self.total_frames;
        self.shared.discard_until.store(self.pushed, Ordering::Release);
        self.markers.clear();
        let rate = speed as f64 * self.take_rate as f64 / self.out_rate as f64;
        self.markers.push_back(Marker { at: self.pushed, take_frame: frame as f64, rate });
        Ok(())
    }

    /// Where in the take the sound now leaving the callback comes from.
    fn position_frames(&mut self) -> f64 {
        let consumed = self.shared.consumed.load(Ordering::Acquire);
        // Before the callback has dropped what a seek discarded, report the seek target.
        let at = consumed.max(self.shared.discard_until.load(Ordering::Acquire));
        while self.markers.len() > 1 && self.markers[1].at <= at {
            self.markers.pop_front();
        }
        let Some(m) = self.markers.front() else { return 0.0 };
        (m.take_frame + at.saturating_sub(m.at) as f64 * m.rate).min(self.total_frames as f64)
    }

    fn position_ms(&mut self) -> u64 {
        (self.position_frames() * 1000.0 / self.take_rate as f64).round() as u64
    }

    fn progress(&mut self) -> PlaybackEvent {
        PlaybackEvent::Progress {
            position_ms: self.position_ms().min(self.duration_ms),
            duration_ms: self.duration_ms,
            speed: self.stretcher.speed(),
            paused: self.paused,
        }
    }

    /// Tops up the ring, reading and converting input as needed.
    fn fill(&mut self, out: &Outbox) {
        loop {
            let n = self.ring.slots().min(self.pending.len());
            if n > 0 {
                if let Ok(chunk) = self.ring.write_chunk_uninit(n) {
                    self.pushed += chunk.fill_from_iter(self.pending.drain(..n)) as u64;
                }
            }
            if self.ring.is_full() || self.input_done {
                return;
            }
            self.produce(out);
        }
    }

    /// Reading has reached a skipped span: goes on reading from its end, `to`. Nothing queued
    /// is dropped and the stretcher and resampler keep their state, so the sound joins
    /// without a gap; a marker maps the output from the join on to the span's end.
    fn skip_span(&mut self, to: u64) -> Result<(), AudioError> {
        self.reader.seek(to as u32).map_err(|e| AudioError::io("seek in", &self.path, e))?;
        if let Some(&m) = self.markers.back() {
            // The output frame at which the last mapping reaches the span's start.
            let at = m.at as f64 + (self.read_frame as f64 - m.take_frame).max(0.0) / m.rate;
            self.markers.push_back(Marker { at: at.round() as u64, take_frame: to as f64, rate: m.rate });
        }
        self.read_frame = to;
        Ok(())
    }

    /// Reads one block of input and turns it into output samples in `pending`.
    fn produce(&mut self, out: &Outbox) {
        let mut block = (self.take_rate * BLOCK_MS / 1000).max(1) as u64;
        let mut input = Vec::with_capacity(block as usize);
        let mut ended = false;
        if let Some(to) = self.skipped_to(self.read_frame) {
            if let Err(e) = self.skip_span(to) {
                out.send(PlaybackEvent::failed(&e));
                ended = true;
            }
        }
        // Stop reading at the next skipped span.
        let i = self.skips.partition_point(|&(start, _)| start <= self.read_frame);
        if let Some(&(start, _)) = self.skips.get(i) {
            block = block.min(start - self.read_frame);
        }
        if self.read_frame >= self.total_frames {
            ended = true;
        }
        if !ended {
            let mut samples = self.reader.samples::<i16>();
            'frames: for _ in 0..block {
                let mut sum = 0i32;
                for _ in 0..self.channels {
                    match samples.next() {
                        Some(Ok(s)) => sum += s as i32,
                        Some(Err(e)) => {
                            // A truncated file plays up to where its data ends.
                            out.send(PlaybackEvent::failed(&AudioError::wav("read", &self.path, e)));
                            ended = true;
                            break 'frames;
                        }
                        None => {
                            ended = true;
                            break 'frames;
                        }
                    }
                }
                input.push((sum / self.channels as i32) as f32 / 32768.0);
            }
        }
        self.read_frame += input.len() as u64;
        let mut stretched = Vec::with_capacity(block as usize * 2);
        self.stretcher.process(&input, &mut stretched);
        if ended {
            self.stretcher.finish(&mut stretched);
            self.input_done = true;
        }
        let mut buf = [0f32; 8];
        for &s in &stretched {
            let n = self.resampler.push(s, &mut buf);
            self.pending.extend(buf[..n].iter().map(|&v| to_i16(v)));
        }
    }
}

fn to_i16(v: f32) -> i16 {
    (v * 32768.0).round().clamp(i16::MIN as f32, i16::MAX as f32) as i16
}

/// Builds the output stream, preferring the take's own rate; returns it with the rate the
/// device runs at and the producer side of its ring.
fn open_output(
    device: &cpal::Device,
    take_rate: u32,
    shared: &Arc<Shared>,
) -> Result<(cpal::Stream, u32, rtrb::Producer<i16>), AudioError> {
    let name = device.to_string();
    let unusable = |reason: String| AudioError::OutputUnusable { device: name.clone(), reason };
    let at_take_rate = device.supported_output_configs().ok().and_then(|configs| {
        let mut fitting: Vec<_> = configs
            .filter(|c| c.min_sample_rate() <= take_rate && take_rate <= c.max_sample_rate())
            .filter(|c| matches!(c.sample_format(), SampleFormat::F32 | SampleFormat::I16 | SampleFormat::I32))
            .collect();
        fitting.sort_by_key(|c| (c.sample_format() != SampleFormat::F32, c.channels()));
        fitting.into_iter().next().map(|c| c.with_sample_rate(take_rate))
    });
    let supported = match at_take_rate {
        Some(c) => c,
        None => device.default_output_config().map_err(|e| unusable(e.to_string()))?,
    };
    let out_rate = supported.sample_rate();
    let config = cpal::StreamConfig {
        buffer_size: crate::devices::fixed_buffer(supported.buffer_size(), out_rate, PLAYBACK_BUFFER_MS),
        ..supported.config()
    };
    let (producer, consumer) = rtrb::RingBuffer::<i16>::new((out_rate * RING_MS / 1000) as usize);
    let channels = config.channels as usize;
    macro_rules! build {
        ($t:ty) => {
            build_output::<$t>(device, config, channels, consumer, shared.clone())
        };
    }
    let stream = match supported.sample_format() {
        SampleFormat::I8 => build!(i8),
        SampleFormat::I16 => build!(i16),
        SampleFormat::I32 => build!(i32),
        SampleFormat::U8 => build!(u8),
        SampleFormat::U16 => build!(u16),
        SampleFormat::U32 => build!(u32),
        SampleFormat::F32 => build!(f32),
        SampleFormat::F64 => build!(f64),
        other => return Err(unusable(format!("it takes samples as {other}, which Rehearse cannot play"))),
    }
    .map_err(|e| unusable(e.to_string()))?;
    Ok((stream, out_rate, producer))
}

fn build_output<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    channels: usize,
    mut ring: rtrb::Consumer<i16>,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let cb_shared = shared.clone();
    let mut consumed = 0u64;
    let data_cb = move |out: &mut [T], _: &cpal::OutputCallbackInfo| {
        let s = &cb_shared;
        // Drop what a seek or speed change made stale (never more than is queued).
        let discard = s.discard_until.load(Ordering::Acquire).saturating_sub(consumed).min(ring.slots() as u64);
        if discard > 0 {
            if let Ok(chunk) = ring.read_chunk(discard as usize) {
                chunk.commit_all();
                consumed += discard;
            }
        }
        if s.paused.load(Ordering::Relaxed) {
            out.iter_mut().for_each(|o| *o = T::EQUILIBRIUM);
            s.consumed.store(consumed, Ordering::Release);
            return;
        }
        for frame in out.chunks_exact_mut(channels.max(1)) {
            let v = match ring.pop() {
                Ok(x) => {
                    consumed += 1;
                    i16_to::<T>(x)
                }
                Err(_) => T::EQUILIBRIUM,
            };
            frame.iter_mut().for_each(|o| *o = v);
        }
        s.consumed.store(consumed, Ordering::Release);
    };
    let err_cb = move |e: cpal::Error| {
        // Only a vanished device ends the stream. Underruns and transient backend errors
        // (ALSA's pulse plugin reports an I/O error from snd_pcm_avail_delay when a stream
        // starts right after another one stopped) are recovered from by the backend; an
        // output that really stops is caught by the stall watchdog.
        if e.kind() == cpal::ErrorKind::DeviceNotAvailable {
            shared.device_gone.store(true, Ordering::SeqCst);
        }
    };
    device.build_output_stream(config, data_cb, err_cb, None)
}

/// Linear-interpolation resampler: enough for listening back to speech.
struct Linear {
    step: f64,
    pos: f64,
    prev: Option<f32>,
}

impl Linear {
    fn new(step: f64) -> Self {
        Linear { step, pos: 0.0, prev: None }
    }
    /// Feeds one input sample; writes the output samples that fall before it.
    fn push(&mut self, s: f32, out: &mut [f32; 8]) -> usize {
        if (self.step - 1.0).abs() < 1e-9 {
            out[0] = s;
            return 1;
        }
        let Some(prev) = self.prev.replace(s) else {
            out[0] = s;
            self.pos = self.step;
            return 1;
        };
        let mut n = 0;
        while self.pos <= 1.0 && n < out.len() {
            out[n] = (prev as f64 + (s as f64 - prev as f64) * self.pos) as f32;
            n += 1;
            self.pos += self.step;
        }
        self.pos -= 1.0;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
        let mut r = Linear::new(from as f64 / to as f64);
        let mut out = Vec::new();
        let mut buf = [0f32; 8];
        for &s in input {
            let n = r.push(s, &mut buf);
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn resampling_keeps_the_duration() {
        let input = vec![0f32; 16_000];
        let up = resample(&input, 16_000, 48_000);
        assert!((up.len() as i64 - 48_000).abs() <= 3, "{}", up.len());
        let down = resample(&vec![0f32; 48_000], 48_000, 16_000);
        assert!((down.len() as i64 - 16_000).abs() <= 3, "{}", down.len());
    }

    #[test]
    fn upsampling_interpolates_between_samples() {
        let out = resample(&[0.0, 0.3, 0.6], 1, 3);
        let want = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
        for (o, w) in out.iter().zip(want) {
            assert!((o - w).abs() < 1e-6, "{out:?}");
        }
    }

    #[test]
    fn same_rate_is_passed_through_untouched() {
        let input: Vec<f32> = (0..100).map(|i| i as f32 * 0.007).collect();
        assert_eq!(resample(&input, 44_100, 44_100), input);
    }

    #[test]
    fn spans_to_skip_become_sorted_disjoint_frame_ranges_within_the_take() {
        // 8 kHz, 2 s: 16000 frames.
        let spans = skip_frames(&[1500..3000, 100..200, 150..400, 400..500, 700..700, 1900..2500], 8000, 16_000);
        assert_eq!(spans, vec![(800, 4000), (12_000, 16_000)]);
        assert!(skip_frames(&[], 8000, 16_000).is_empty());
    }

    #[test]
    fn sixteen_bit_samples_survive_the_float_path_exactly() {
        for s in [i16::MIN, -12345, -1, 0, 1, 777, i16::MAX] {
            assert_eq!(to_i16(s as f32 / 32768.0), s);
        }
        assert_eq!(to_i16(1.5), i16::MAX);
        assert_eq!(to_i16(-1.5), i16::MIN);
    }

    fn write_wav(path: &Path, bits: u16, n: usize) {
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: bits, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(path, spec).expect("create");
        for _ in 0..n {
            if bits == 8 {
                w.write_sample(0i8).expect("write");
            } else {
                w.write_sample(0i16).expect("write");
            }
        }
        w.finalize().expect("finalize");
    }

    #[test]
    fn an_eight_bit_file_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.wav");
        write_wav(&p, 8, 1);
        let err = play_file(&p).err().expect("refused");
        assert!(err.to_string().contains("8-bit") && err.to_string().starts_with("cannot play"), "{err}");
    }

    #[test]
    fn a_bad_speed_or_a_start_past_the_end_is_refused_before_any_device_is_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.wav");
        write_wav(&p, 16, 8000); // 1 s
        let err = play(PlaybackRequest { speed: 3.0, ..PlaybackRequest::new(&p) }).err().expect("speed");
        assert_eq!(err.kind(), "invalid_request");
        let err = play(PlaybackRequest { start_ms: 1001, ..PlaybackRequest::new(&p) }).err().expect("start");
        assert!(err.to_string().contains("1001 ms is past the end of the take (1000 ms)"), "{err}");
    }
}
