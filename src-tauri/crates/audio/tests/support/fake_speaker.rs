//! A fake speaker on cpal's custom host: it offers one output config (16-bit, the channel
//! count and rate it is built with), and once its stream plays it asks the data callback
//! for a buffer every `buffer / rate` seconds, paced in real time from a frame count, and
//! keeps the first channel of everything it was given, so tests can check what was played
//! sample by sample. [`SpeakerFault`] makes it vanish or stall.

#![allow(dead_code)] // each test binary uses its own part of the helpers

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{
    BufferSize, ChannelCount, Data, DeviceDescription, DeviceDescriptionBuilder, DeviceId, Error, ErrorKind, FrameCount, InputCallbackInfo,
    OutputCallbackInfo, OutputStreamTimestamp, SampleFormat, SampleRate, StreamConfig, StreamInstant, SupportedBufferSize,
    SupportedStreamConfig, SupportedStreamConfigRange,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeakerFault {
    None,
    /// After this many frames it reports `DeviceNotAvailable` and asks for nothing more.
    GoneAfter(u64),
    /// After this many frames it silently stops asking for samples.
    StallAfter(u64),
}

struct Spec {
    name: String,
    channels: ChannelCount,
    rate: SampleRate,
    fault: SpeakerFault,
    /// First channel of every frame played, in order.
    heard: Mutex<Vec<i16>>,
    streams_alive: AtomicUsize,
}

/// A fake output device. Clones share their settings and what was heard.
#[derive(Clone)]
pub struct FakeSpeaker {
    spec: Arc<Spec>,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
const BUFFER: FrameCount = 80;

impl FakeSpeaker {
    pub fn new(channels: ChannelCount, rate: SampleRate, fault: SpeakerFault) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
        let name = format!("Fake speaker #{id} ({channels} ch, {rate} Hz, {fault:?})");
        FakeSpeaker {
            spec: Arc::new(Spec { name, channels, rate, fault, heard: Mutex::new(Vec::new()), streams_alive: AtomicUsize::new(0) }),
        }
    }

    pub fn device(&self) -> cpal::Device {
        cpal::Device::from(cpal::platform::CustomDevice::from_device(self.clone()))
    }

    /// Everything played so far (first channel).
    pub fn heard(&self) -> Vec<i16> {
        self.spec.heard.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn streams_alive(&self) -> usize {
        self.spec.streams_alive.load(Ordering::SeqCst)
    }

    fn range() -> SupportedBufferSize {
        SupportedBufferSize::Range { min: 16, max: 16_384 }
    }
}

named_device!(FakeSpeaker);

impl DeviceTrait for FakeSpeaker {
    type SupportedInputConfigs = std::iter::Empty<SupportedStreamConfigRange>;
    type SupportedOutputConfigs = std::vec::IntoIter<SupportedStreamConfigRange>;
    type Stream = SpeakerStream;

    fn description(&self) -> Result<DeviceDescription, Error> {
        Ok(DeviceDescriptionBuilder::new(&self.spec.name).build())
    }

    fn id(&self) -> Result<DeviceId, Error> {
        Ok(DeviceId::new(cpal::HostId::Custom, &self.spec.name))
    }

    fn supported_input_configs(&self) -> Result<Self::SupportedInputConfigs, Error> {
        Ok(std::iter::empty())
    }

    fn supported_output_configs(&self) -> Result<Self::SupportedOutputConfigs, Error> {
        let s = &self.spec;
        Ok(vec![SupportedStreamConfigRange::new(s.channels, s.rate, s.rate, Self::range(), SampleFormat::I16)].into_iter())
    }

    fn default_input_config(&self) -> Result<SupportedStreamConfig, Error> {
        Err(Error::with_message(ErrorKind::UnsupportedConfig, "the fake speaker has no input"))
    }

    fn default_output_config(&self) -> Result<SupportedStreamConfig, Error> {
        let s = &self.spec;
        Ok(SupportedStreamConfig::new(s.channels, s.rate, Self::range(), SampleFormat::I16))
    }

    fn build_input_stream_raw<D, E>(
        &self,
        _config: StreamConfig,
        _sample_format: SampleFormat,
        _data_callback: D,
        _error_callback: E,
        _timeout: Option<Duration>,
    ) -> Result<Self::Stream, Error>
    where
        D: FnMut(&Data, &InputCallbackInfo) + Send + 'static,
        E: FnMut(Error) + Send + 'static,
    {
        Err(Error::with_message(ErrorKind::UnsupportedConfig, "the fake speaker has no input"))
    }

    fn build_output_stream_raw<D, E>(
        &self,
        config: StreamConfig,
        sample_format: SampleFormat,
        mut data_callback: D,
        mut error_callback: E,
        _timeout: Option<Duration>,
    ) -> Result<Self::Stream, Error>
    where
        D: FnMut(&mut Data, &OutputCallbackInfo) + Send + 'static,
        E: FnMut(Error) + Send + 'static,
    {
        let s = self.spec.clone();
        if sample_format != SampleFormat::I16 || config.channels != s.channels || config.sample_rate != s.rate {
            return Err(Error::with_message(ErrorKind::UnsupportedConfig, format!("{config:?} {sample_format}")));
        }
        let frames = match config.buffer_size {
            BufferSize::Fixed(n) => n.min(BUFFER), // small buffers: fine-grained timing
            BufferSize::Default => BUFFER,
        } as usize;
        let controls = Arc::new(Controls { playing: AtomicBool::new(false), exit: AtomicBool::new(false) });
        let c = controls.clone();
        s.streams_alive.fetch_add(1, Ordering::SeqCst);
        let thread = std::thread::Builder::new()
            .name("fake-speaker".into())
            .spawn(move || {
                let ch = s.channels as usize;
                let mut buf = vec![0i16; frames * ch];
                let created = Instant::now();
                let mut next = 0u64;
                let mut clock: Option<(Instant, u64)> = None;
                let limit = match s.fault {
                    SpeakerFault::None => u64::MAX,
                    SpeakerFault::GoneAfter(k) | SpeakerFault::StallAfter(k) => k,
                };
                while !c.exit.load(Ordering::SeqCst) {
                    if !c.playing.load(Ordering::SeqCst) || next >= limit {
                        clock = None;
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    }
                    let (t0, f0) = *clock.get_or_insert((Instant::now(), next));
                    let due = t0 + Duration::from_secs_f64((next - f0) as f64 / s.rate as f64);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait.min(Duration::from_millis(2)));
                        continue;
                    }
                    let t = created.elapsed();
                    let ts = StreamInstant::new(t.as_secs(), t.subsec_nanos());
                    let info = OutputCallbackInfo::new(OutputStreamTimestamp { callback: ts, playback: ts });
                    with_data_mut(&mut buf, |data| data_callback(data, &info));
                    s.heard.lock().unwrap_or_else(|p| p.into_inner()).extend(buf.iter().step_by(ch));
                    next += frames as u64;
                    if next >= limit {
                        if let SpeakerFault::GoneAfter(_) = s.fault {
                            error_callback(Error::new(ErrorKind::DeviceNotAvailable));
                        }
                    }
                }
                s.streams_alive.fetch_sub(1, Ordering::SeqCst);
            })
            .map_err(|e| Error::with_message(ErrorKind::ResourceExhausted, e.to_string()))?;
        Ok(SpeakerStream { controls, thread: Some(thread), created: Instant::now() })
    }
}

struct Controls {
    playing: AtomicBool,
    exit: AtomicBool,
}

pub struct SpeakerStream {
    controls: Arc<Controls>,
    thread: Option<JoinHandle<()>>,
    created: Instant,
}

impl StreamTrait for SpeakerStream {
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
        Ok(BUFFER)
    }
}

impl Drop for SpeakerStream {
    fn drop(&mut self) {
        self.controls.exit.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Lends `samples` to `f` as the mutable type-erased buffer cpal hands to output callbacks.
#[allow(unsafe_code)]
fn with_data_mut<R>(samples: &mut [i16], f: impl FnOnce(&mut Data) -> R) -> R {
    // SAFETY: the pointer is the start of `samples.len()` initialised i16 samples, the format
    // given; `samples` stays mutably borrowed (alive, not aliased) for as long as the `Data`
    // exists, and the `Data` does not outlive this call.
    let mut data = unsafe { Data::from_parts(samples.as_mut_ptr().cast(), samples.len(), SampleFormat::I16) };
    f(&mut data)
}
