//! Playback of a take to the default output. One thread owns the output stream; a feeder
//! thread reads the WAV (so an hour-long take is never loaded whole), resamples if the
//! device cannot run at the take's rate, and fills a ring that the callback drains.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
use serde::Serialize;

use crate::convert::i16_to;
use crate::devices::default_output;
use crate::error::AudioError;
use crate::thread::spawn_with_handshake;

/// Playback buffer: large enough to ride out scheduling hiccups; start latency matters less.
const PLAYBACK_BUFFER_MS: u32 = 100;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlaybackEvent {
    Progress { position_ms: u64, duration_ms: u64 },
    Finished { position_ms: u64, duration_ms: u64 },
    Failed { message: String },
}

pub struct PlaybackHandle {
    stop_tx: Sender<()>,
    events: Receiver<PlaybackEvent>,
    thread: Option<JoinHandle<()>>,
    duration_ms: u64,
}

impl PlaybackHandle {
    pub fn events(&self) -> &Receiver<PlaybackEvent> {
        &self.events
    }
    pub fn duration_ms(&self) -> u64 {
        self.duration_ms
    }
    /// Stops playback now.
    pub fn stop(mut self) {
        self.end();
    }
    /// Blocks until the take has played to the end (or failed).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
    fn end(&mut self) {
        let _ = self.stop_tx.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PlaybackHandle {
    fn drop(&mut self) {
        self.end();
    }
}

struct Shared {
    played: AtomicU64,
    eof: AtomicBool,
    stop: AtomicBool,
}

/// Starts playing `path` (a 16-bit PCM WAV) on the default output.
pub fn play_file(path: &Path) -> Result<PlaybackHandle, AudioError> {
    let reader = hound::WavReader::open(path).map_err(|e| AudioError::wav("open", path, e))?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(AudioError::UnsupportedFormat(format!(
            "{}-bit {:?} in {} (takes are 16-bit PCM)",
            spec.bits_per_sample,
            spec.sample_format,
            path.display()
        )));
    }
    let frames = reader.duration() as u64;
    let duration_ms = frames * 1000 / spec.sample_rate.max(1) as u64;
    let (stop_tx, stop_rx) = bounded(1);
    let (event_tx, events) = unbounded();
    let path = path.to_path_buf();
    let ((), thread) = spawn_with_handshake("rehearse-playback", move |ready| {
        output_thread(path, reader, duration_ms, ready, stop_rx, event_tx)
    })?;
    Ok(PlaybackHandle { stop_tx, events, thread: Some(thread), duration_ms })
}

type WavIn = hound::WavReader<std::io::BufReader<std::fs::File>>;

fn output_thread(
    path: PathBuf,
    reader: WavIn,
    duration_ms: u64,
    ready: Sender<Result<(), AudioError>>,
    stop: Receiver<()>,
    events: Sender<PlaybackEvent>,
) {
    let shared = Arc::new(Shared { played: AtomicU64::new(0), eof: AtomicBool::new(false), stop: AtomicBool::new(false) });
    let (stream, out_rate, feeder) = match open_output(path, reader, &shared, &events) {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let position_ms = |s: &Shared| s.played.load(Ordering::Relaxed) * 1000 / out_rate.max(1) as u64;
    loop {
        match stop.recv_timeout(Duration::from_millis(100)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if shared.eof.load(Ordering::SeqCst) && position_ms(&shared) >= duration_ms {
            // Let the device drain its last buffer before the stream is dropped.
            std::thread::sleep(Duration::from_millis(150));
            break;
        }
        let _ = events.send(PlaybackEvent::Progress { position_ms: position_ms(&shared), duration_ms });
    }
    shared.stop.store(true, Ordering::SeqCst);
    drop(stream);
    let _ = feeder.join();
    let _ = events.send(PlaybackEvent::Finished { position_ms: position_ms(&shared).min(duration_ms), duration_ms });
}

fn open_output(
    path: PathBuf,
    reader: WavIn,
    shared: &Arc<Shared>,
    events: &Sender<PlaybackEvent>,
) -> Result<(cpal::Stream, u32, JoinHandle<()>), AudioError> {
    let spec = reader.spec();
    let device = default_output()?;
    let name = device.to_string();
    let unusable = |reason: String| AudioError::DeviceUnusable { device: name.clone(), reason };
    // Prefer running the device at the take's own rate; otherwise resample to its default.
    let at_take_rate = device.supported_output_configs().ok().and_then(|configs| {
        let mut fitting: Vec<_> = configs
            .filter(|c| c.min_sample_rate() <= spec.sample_rate && spec.sample_rate <= c.max_sample_rate())
            .filter(|c| matches!(c.sample_format(), SampleFormat::F32 | SampleFormat::I16 | SampleFormat::I32))
            .collect();
        fitting.sort_by_key(|c| (c.sample_format() != SampleFormat::F32, c.channels()));
        fitting.into_iter().next().map(|c| c.with_sample_rate(spec.sample_rate))
    });
    let supported = match at_take_rate {
        Some(c) => c,
        None => device.default_output_config().map_err(|e| unusable(e.to_string()))?,
    };
    let out_rate = supported.sample_rate();
    let config = cpal::StreamConfig { buffer_size: crate::devices::fixed_buffer(supported.buffer_size(), out_rate, PLAYBACK_BUFFER_MS), ..supported.config() };
    let (producer, consumer) = rtrb::RingBuffer::<i16>::new(out_rate as usize);
    let channels = config.channels as usize;
    macro_rules! build {
        ($t:ty) => {
            build_output::<$t>(&device, config, channels, consumer, shared.clone(), events.clone())
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
        other => return Err(AudioError::UnsupportedFormat(format!("{other} (output device {name})"))),
    }
    .map_err(|e| unusable(e.to_string()))?;
    let feeder_shared = shared.clone();
    let feeder_events = events.clone();
    let feeder = std::thread::Builder::new()
        .name("rehearse-playback-feed".into())
        .spawn(move || feed(path, reader, out_rate, producer, feeder_shared, feeder_events))
        .map_err(|e| AudioError::Stream(format!("cannot start the playback feeder: {e}")))?;
    stream.play().map_err(|e| unusable(format!("cannot start it: {e}")))?;
    Ok((stream, out_rate, feeder))
}

fn build_output<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    channels: usize,
    mut ring: rtrb::Consumer<i16>,
    shared: Arc<Shared>,
    events: Sender<PlaybackEvent>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let data_cb = move |out: &mut [T], _: &cpal::OutputCallbackInfo| {
        let mut played = 0u64;
        for frame in out.chunks_exact_mut(channels.max(1)) {
            let v = match ring.pop() {
                Ok(s) => {
                    played += 1;
                    i16_to::<T>(s)
                }
                Err(_) => T::EQUILIBRIUM,
            };
            frame.iter_mut().for_each(|o| *o = v);
        }
        shared.played.fetch_add(played, Ordering::Relaxed);
    };
    let err_cb = move |e: cpal::Error| {
        // Only a vanished device ends the stream; underruns and the like are recovered from.
        if e.kind() == cpal::ErrorKind::DeviceNotAvailable {
            let _ = events.try_send(PlaybackEvent::Failed { message: format!("the audio output reported: {e}") });
        }
    };
    device.build_output_stream(config, data_cb, err_cb, None)
}

/// Reads mono frames (first channel mixed down) and pushes them at the output rate.
fn feed(path: PathBuf, mut reader: WavIn, out_rate: u32, mut ring: rtrb::Producer<i16>, shared: Arc<Shared>, events: Sender<PlaybackEvent>) {
    let spec = reader.spec();
    let ch = spec.channels.max(1) as usize;
    let step = spec.sample_rate as f64 / out_rate as f64;
    let mut resampler = Linear::new(step);
    let mut frame: Vec<i32> = Vec::with_capacity(ch);
    let mut samples = reader.samples::<i16>();
    'outer: loop {
        frame.clear();
        for _ in 0..ch {
            match samples.next() {
                Some(Ok(s)) => frame.push(s as i32),
                Some(Err(e)) => {
                    // A truncated file plays up to where its data ends.
                    let _ = events.send(PlaybackEvent::Failed { message: format!("{}: {e}", path.display()) });
                    break 'outer;
                }
                None => break 'outer,
            }
        }
        let mono = (frame.iter().sum::<i32>() / ch as i32) as i16;
        let mut outs = [0i16; 8];
        let n = resampler.push(mono, &mut outs);
        for &o in &outs[..n] {
            while ring.push(o).is_err() {
                if shared.stop.load(Ordering::Relaxed) {
                    break 'outer;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    shared.eof.store(true, Ordering::SeqCst);
}

/// Linear-interpolation resampler: enough for listening back to speech.
struct Linear {
    step: f64,
    pos: f64,
    prev: Option<i16>,
}

impl Linear {
    fn new(step: f64) -> Self {
        Linear { step, pos: 0.0, prev: None }
    }
    /// Feeds one input sample; writes the output samples that fall before it.
    fn push(&mut self, s: i16, out: &mut [i16; 8]) -> usize {
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
            out[n] = (prev as f64 + (s as f64 - prev as f64) * self.pos).round() as i16;
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

    fn resample(input: &[i16], from: u32, to: u32) -> Vec<i16> {
        let mut r = Linear::new(from as f64 / to as f64);
        let mut out = Vec::new();
        let mut buf = [0i16; 8];
        for &s in input {
            let n = r.push(s, &mut buf);
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn resampling_keeps_the_duration() {
        let input = vec![0i16; 16_000];
        let up = resample(&input, 16_000, 48_000);
        assert!((up.len() as i64 - 48_000).abs() <= 3, "{}", up.len());
        let down = resample(&vec![0i16; 48_000], 48_000, 16_000);
        assert!((down.len() as i64 - 16_000).abs() <= 3, "{}", down.len());
    }

    #[test]
    fn upsampling_interpolates_between_samples() {
        let out = resample(&[0, 300, 600], 1, 3);
        assert_eq!(&out[..7], &[0, 100, 200, 300, 400, 500, 600]);
    }

    #[test]
    fn same_rate_is_passed_through_untouched() {
        let input: Vec<i16> = (0..100).map(|i| i * 7).collect();
        assert_eq!(resample(&input, 44_100, 44_100), input);
    }

    #[test]
    fn an_eight_bit_file_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.wav");
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 8, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&p, spec).expect("create");
        w.write_sample(0i8).expect("write");
        w.finalize().expect("finalize");
        let err = play_file(&p).err().expect("refused");
        assert!(err.to_string().contains("8-bit"), "{err}");
    }
}
