//! A fake microphone on cpal's custom host (`cpal` feature "custom").
//!
//! It reports the sample format, channel count and rate it is built with, and once its stream
//! plays it delivers interleaved buffers of that format, paced in real time from a sample
//! count (not from wall-clock reads): every channel of frame `n` holds [`tone`]`(n, rate)`, a
//! 440 Hz sine at half scale, so a mono downmix equals the tone itself. Its stream stops
//! delivering (and its thread ends) when dropped. [`Fault`] makes it fail the ways real
//! microphones do; [`Stats`] tells the tests what it delivered and when it failed.

#![allow(dead_code)] // each test binary uses its own part of the helpers

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{
    BufferSize, ChannelCount, Data, DeviceDescription, DeviceDescriptionBuilder, DeviceId, Error, ErrorKind, FrameCount, FromSample,
    InputCallbackInfo, InputStreamTimestamp, OutputCallbackInfo, SampleFormat, SampleRate, SizedSample, StreamConfig, StreamInstant,
    SupportedBufferSize, SupportedStreamConfig, SupportedStreamConfigRange,
};

/// Frequency of the test tone, in Hz (an integer, so the phase is computed exactly).
pub const TONE_HZ: u64 = 440;
/// Peak of the test tone, as a fraction of full scale.
pub const TONE_AMPLITUDE: f64 = 0.5;
/// Buffer sizes the fake accepts for `BufferSize::Fixed`.
pub const MIN_BUFFER: FrameCount = 16;
pub const MAX_BUFFER: FrameCount = 16_384;

/// The value every channel of frame `frame` carries, in -1.0..1.0.
pub fn tone(frame: u64, rate: u32) -> f64 {
    let phase = (frame * TONE_HZ % rate as u64) as f64 / rate as f64;
    TONE_AMPLITUDE * (std::f64::consts::TAU * phase).sin()
}

/// How the fake microphone fails, counted in frames delivered since the stream started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// It never fails.
    None,
    /// After this many frames it reports `ErrorKind::DeviceNotAvailable` through the error
    /// callback and delivers nothing more (unplugged).
    DisconnectAfter(u64),
    /// After this many frames it reports `ErrorKind::DeviceNotAvailable` once, but goes on
    /// delivering the tone: only the error itself can tell the engine the device is gone.
    ErrorAfter(u64),
    /// After this many frames it simply stops calling back (a stalled device).
    StallAfter(u64),
    /// As `StallAfter`, and dropping its stream never returns: what ALSA's pulse plugin
    /// does once the sound server died (its thread is stuck in `pa_mutex_lock`).
    HangAfter(u64),
    /// From this frame on it delivers only exact equilibrium samples (bit-exact digital
    /// silence): PulseAudio's silent move to another source. `ZerosAfter(0)` is a microphone
    /// that is silent from the start.
    ZerosAfter(u64),
}

/// What the fake microphone did, for the tests to check against.
#[derive(Default)]
pub struct Stats {
    builds: AtomicUsize,
    streams_alive: AtomicUsize,
    delivered: AtomicU64,
    callbacks: AtomicU64,
    first_delivery: Mutex<Option<Instant>>,
    fault_at: Mutex<Option<Instant>>,
}

impl Stats {
    /// Input streams built on this device.
    pub fn builds(&self) -> usize {
        self.builds.load(Ordering::SeqCst)
    }
    /// Streams whose delivery thread is still running.
    pub fn streams_alive(&self) -> usize {
        self.streams_alive.load(Ordering::SeqCst)
    }
    /// Frames handed to the data callback so far.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
    }
    /// Data callbacks made so far.
    pub fn callbacks(&self) -> u64 {
        self.callbacks.load(Ordering::SeqCst)
    }
    /// When the first buffer was handed over.
    pub fn first_delivery(&self) -> Option<Instant> {
        *self.first_delivery.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// When the fault struck: the error was reported, the last buffer before the stall was
    /// handed over, or the first buffer holding digital silence was handed over.
    pub fn fault_at(&self) -> Option<Instant> {
        *self.fault_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mark(slot: &Mutex<Option<Instant>>) {
        let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
        if s.is_none() {
            *s = Some(Instant::now());
        }
    }
}

struct Spec {
    name: String,
    format: SampleFormat,
    channels: ChannelCount,
    rate: SampleRate,
    fault: Fault,
    stats: Stats,
}

/// A fake input device. Clones share their settings and [`Stats`].
#[derive(Clone)]
pub struct FakeMic {
    spec: Arc<Spec>,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl FakeMic {
    pub fn new(format: SampleFormat, channels: ChannelCount, rate: SampleRate, fault: Fault) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
        let name = format!("Fake mic #{id} ({format}, {channels} ch, {rate} Hz, {fault:?})");
        FakeMic { spec: Arc::new(Spec { name, format, channels, rate, fault, stats: Stats::default() }) }
    }

    /// The device as the capture engine takes it.
    pub fn device(&self) -> cpal::Device {
        cpal::Device::from(cpal::platform::CustomDevice::from_device(self.clone()))
    }

    pub fn stats(&self) -> &Stats {
        &self.spec.stats
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn rate(&self) -> SampleRate {
        self.spec.rate
    }

    fn buffer_range() -> SupportedBufferSize {
        SupportedBufferSize::Range { min: MIN_BUFFER, max: MAX_BUFFER }
    }
}

named_device!(FakeMic);

impl DeviceTrait for FakeMic {
    type SupportedInputConfigs = std::vec::IntoIter<SupportedStreamConfigRange>;
    type SupportedOutputConfigs = std::iter::Empty<SupportedStreamConfigRange>;
    type Stream = FakeStream;

    fn description(&self) -> Result<DeviceDescription, Error> {
        Ok(DeviceDescriptionBuilder::new(&self.spec.name).build())
    }

    fn id(&self) -> Result<DeviceId, Error> {
        Ok(DeviceId::new(cpal::HostId::Custom, &self.spec.name))
    }

    fn supported_input_configs(&self) -> Result<Self::SupportedInputConfigs, Error> {
        let s = &self.spec;
        Ok(vec![SupportedStreamConfigRange::new(s.channels, s.rate, s.rate, Self::buffer_range(), s.format)].into_iter())
    }

    fn supported_output_configs(&self) -> Result<Self::SupportedOutputConfigs, Error> {
        Ok(std::iter::empty())
    }

    fn default_input_config(&self) -> Result<SupportedStreamConfig, Error> {
        let s = &self.spec;
        Ok(SupportedStreamConfig::new(s.channels, s.rate, Self::buffer_range(), s.format))
    }

    fn default_output_config(&self) -> Result<SupportedStreamConfig, Error> {
        Err(Error::with_message(ErrorKind::UnsupportedConfig, "the fake microphone has no output"))
    }

    fn build_input_stream_raw<D, E>(
        &self,
        config: StreamConfig,
        sample_format: SampleFormat,
        data_callback: D,
        error_callback: E,
        _timeout: Option<Duration>,
    ) -> Result<Self::Stream, Error>
    where
        D: FnMut(&Data, &InputCallbackInfo) + Send + 'static,
        E: FnMut(Error) + Send + 'static,
    {
        let s = &self.spec;
        let refuse = |what: String| Err(Error::with_message(ErrorKind::UnsupportedConfig, what));
        if sample_format != s.format {
            return refuse(format!("asked for {sample_format}, the fake delivers {}", s.format));
        }
        if config.channels != s.channels || config.sample_rate != s.rate {
            return refuse(format!(
                "asked for {} ch at {} Hz, the fake delivers {} ch at {} Hz",
                config.channels, config.sample_rate, s.channels, s.rate
            ));
        }
        let buffer_frames = match config.buffer_size {
            BufferSize::Fixed(n) if (MIN_BUFFER..=MAX_BUFFER).contains(&n) => n,
            BufferSize::Fixed(n) => return refuse(format!("buffer of {n} frames")),
            BufferSize::Default => (s.rate / 100).max(MIN_BUFFER), // 10 ms
        };
        let controls = Arc::new(Controls { playing: AtomicBool::new(false), exit: AtomicBool::new(false) });
        let generator = Generator { spec: self.spec.clone(), controls: controls.clone(), buffer_frames };
        macro_rules! spawn {
            ($t:ty) => {
                std::thread::Builder::new().name("fake-mic".into()).spawn(move || generator.run::<$t, D, E>(data_callback, error_callback))
            };
        }
        s.stats.builds.fetch_add(1, Ordering::SeqCst);
        s.stats.streams_alive.fetch_add(1, Ordering::SeqCst);
        let spawned = match s.format {
            SampleFormat::I8 => spawn!(i8),
            SampleFormat::I16 => spawn!(i16),
            SampleFormat::I24 => spawn!(cpal::I24),
            SampleFormat::I32 => spawn!(i32),
            SampleFormat::I64 => spawn!(i64),
            SampleFormat::U8 => spawn!(u8),
            SampleFormat::U16 => spawn!(u16),
            SampleFormat::U24 => spawn!(cpal::U24),
            SampleFormat::U32 => spawn!(u32),
            SampleFormat::U64 => spawn!(u64),
            SampleFormat::F32 => spawn!(f32),
            SampleFormat::F64 => spawn!(f64),
            other => {
                s.stats.streams_alive.fetch_sub(1, Ordering::SeqCst);
                return refuse(format!("the fake cannot generate {other}"));
            }
        };
        let thread = match spawned {
            Ok(t) => t,
            Err(e) => {
                s.stats.streams_alive.fetch_sub(1, Ordering::SeqCst);
                return Err(Error::with_message(ErrorKind::ResourceExhausted, e.to_string()));
            }
        };
        let hang_on_drop = matches!(s.fault, Fault::HangAfter(_));
        Ok(FakeStream { controls, thread: Some(thread), created: Instant::now(), buffer_frames, hang_on_drop })
    }

    fn build_output_stream_raw<D, E>(
        &self,
        _config: StreamConfig,
        _sample_format: SampleFormat,
        _data_callback: D,
        _error_callback: E,
        _timeout: Option<Duration>,
    ) -> Result<Self::Stream, Error>
    where
        D: FnMut(&mut Data, &OutputCallbackInfo) + Send + 'static,
        E: FnMut(Error) + Send + 'static,
    {
        Err(Error::with_message(ErrorKind::UnsupportedConfig, "the fake microphone has no output"))
    }
}

struct Controls {
    playing: AtomicBool,
    exit: AtomicBool,
}

/// The stream of a [`FakeMic`]: paused until `play()`, stopped and joined when dropped.
pub struct FakeStream {
    controls: Arc<Controls>,
    thread: Option<JoinHandle<()>>,
    created: Instant,
    buffer_frames: FrameCount,
    hang_on_drop: bool,
}

impl StreamTrait for FakeStream {
    fn play(&self) -> Result<(), Error> {
        self.controls.playing.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn pause(&self) -> Result<(), Error> {
        self.controls.playing.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn now(&self) -> StreamInstant {
        let t = self.created.elapsed();
        StreamInstant::new(t.as_secs(), t.subsec_nanos())
    }

    fn buffer_size(&self) -> Result<FrameCount, Error> {
        Ok(self.buffer_frames)
    }
}

impl Drop for FakeStream {
    fn drop(&mut self) {
        if self.hang_on_drop {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        self.controls.exit.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Counts a stream as alive for as long as its delivery thread runs.
struct Alive(Arc<Spec>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.stats.streams_alive.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Generator {
    spec: Arc<Spec>,
    controls: Arc<Controls>,
    buffer_frames: FrameCount,
}

impl Generator {
    /// The delivery thread: one buffer per `buffer_frames / rate` seconds while playing.
    fn run<T, D, E>(self, mut data_callback: D, mut error_callback: E)
    where
        T: SizedSample + FromSample<f64>,
        D: FnMut(&Data, &InputCallbackInfo),
        E: FnMut(Error),
    {
        let _alive = Alive(self.spec.clone());
        let spec = &self.spec;
        let stats = &spec.stats;
        let channels = spec.channels as usize;
        let rate = spec.rate;
        let zeros_from = match spec.fault {
            Fault::ZerosAfter(k) => k,
            _ => u64::MAX,
        };
        let deliver_until = match spec.fault {
            Fault::DisconnectAfter(k) | Fault::StallAfter(k) | Fault::HangAfter(k) => k,
            _ => u64::MAX,
        };
        let mut buf = vec![T::EQUILIBRIUM; self.buffer_frames as usize * channels];
        // The tone repeats exactly every `period` frames: generate one period up front.
        let period = rate as u64 / gcd(rate as u64, TONE_HZ);
        let table: Vec<T> = (0..period).map(|f| T::from_sample(tone(f, rate))).collect();
        let created = Instant::now();
        // Frames delivered so far, and the pacing origin: (when, at which frame) play began.
        let mut next = 0u64;
        let mut clock: Option<(Instant, u64)> = None;
        let mut dead = false;
        let mut reported = false;
        while !self.controls.exit.load(Ordering::SeqCst) {
            if !self.controls.playing.load(Ordering::SeqCst) {
                clock = None;
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            if dead {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
            let (t0, f0) = *clock.get_or_insert((Instant::now(), next));
            let n = (self.buffer_frames as u64).min(deliver_until.saturating_sub(next));
            if n > 0 {
                // A buffer is handed over once its last frame has been "recorded".
                let due = t0 + Duration::from_secs_f64((next + n - f0) as f64 / rate as f64);
                if !self.sleep_until(due) {
                    break;
                }
                let samples = &mut buf[..n as usize * channels];
                for (i, frame) in samples.chunks_exact_mut(channels).enumerate() {
                    let f = next + i as u64;
                    let v = if f >= zeros_from { T::EQUILIBRIUM } else { table[(f % period) as usize] };
                    frame.fill(v);
                }
                if zeros_from < next + n {
                    Stats::mark(&stats.fault_at);
                }
                let t = created.elapsed();
                let ts = StreamInstant::new(t.as_secs(), t.subsec_nanos());
                let info = InputCallbackInfo::new(InputStreamTimestamp { callback: ts, capture: ts });
                with_data(samples, |data| data_callback(data, &info));
                Stats::mark(&stats.first_delivery);
                next += n;
                stats.delivered.store(next, Ordering::SeqCst);
                stats.callbacks.fetch_add(1, Ordering::SeqCst);
            }
            if let Fault::ErrorAfter(k) = spec.fault {
                if next >= k && !reported {
                    reported = true;
                    Stats::mark(&stats.fault_at);
                    error_callback(Error::new(ErrorKind::DeviceNotAvailable));
                }
            }
            if next >= deliver_until {
                dead = true;
                Stats::mark(&stats.fault_at);
                if let Fault::DisconnectAfter(_) = spec.fault {
                    error_callback(Error::new(ErrorKind::DeviceNotAvailable));
                }
            }
        }
    }

    /// Sleeps until `due`; false if the stream was dropped meanwhile.
    fn sleep_until(&self, due: Instant) -> bool {
        loop {
            if self.controls.exit.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            if now >= due {
                return true;
            }
            std::thread::sleep((due - now).min(Duration::from_millis(5)));
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Lends `samples` to `f` as the type-erased buffer cpal hands to data callbacks. The only
/// unsafe code of the crate's tests (see the `[lints]` note in Cargo.toml).
#[allow(unsafe_code)]
fn with_data<T: SizedSample, R>(samples: &mut [T], f: impl FnOnce(&Data) -> R) -> R {
    // SAFETY: the pointer is the start of `samples.len()` initialised samples of type `T`,
    // whose format is `T::FORMAT`; `samples` stays mutably borrowed, so unchanged and alive,
    // for as long as the `Data` exists, and the `Data` does not outlive this call.
    let data = unsafe { Data::from_parts(samples.as_mut_ptr().cast(), samples.len(), T::FORMAT) };
    f(&data)
}
