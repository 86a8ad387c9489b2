//! The real capture engine (`start_capture`) driven by fake microphones on cpal's custom host:
//! every sample format and several channel counts and rates are recorded and compared sample
//! by sample with the tone the fake delivered; a format the engine cannot record is refused;
//! a microphone that disconnects, stalls or turns to digital silence ends the take as lost
//! with its audio kept; a silent microphone only warns; the size cap stops the take; a held
//! capture begins at once; a paused capture leaves the pause out and runs on seamlessly.
//!
//! Length: one fake-microphone host and every format and failure it drives the real capture
//! with; the tests share that host.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::SampleFormat;
use rehearse_audio::{
    partial_path_for, start_capture, AudioError, CaptureEvent, CaptureHandle, CaptureRequest, CaptureSummary, InputChoice, StopReason,
};
use support::fake_device::{tone, FakeMic, Fault};

/// Every format the engine records (cpal 0.18 can build streams of all of them).
const FORMATS: [SampleFormat; 12] = [
    SampleFormat::I8,
    SampleFormat::I16,
    SampleFormat::I24,
    SampleFormat::I32,
    SampleFormat::I64,
    SampleFormat::U8,
    SampleFormat::U16,
    SampleFormat::U24,
    SampleFormat::U32,
    SampleFormat::U64,
    SampleFormat::F32,
    SampleFormat::F64,
];

/// Takes recorded at the same time by the format test.
const CONCURRENT_TAKES: usize = 8;

/// Generous bound for things that take a fraction of a second when the machine is idle.
const PATIENCE: Duration = Duration::from_secs(10);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Largest allowed difference, in 16-bit steps, between a stored sample and the ideal tone:
/// 8-bit formats quantise in steps of 256, the others are exact to a step or two.
fn tolerance(format: SampleFormat) -> f64 {
    match format {
        SampleFormat::I8 | SampleFormat::U8 => 260.0,
        _ => 3.0,
    }
}

/// The ideal 16-bit value of frame `frame` of the tone.
fn ideal(frame: u64, rate: u32) -> f64 {
    tone(frame, rate) * 32768.0
}

/// The first stored sample (index, value, ideal) that differs from the tone by more than
/// `tol` when stored sample `i` is compared with tone frame `i + offset`.
fn first_mismatch(samples: &[i16], rate: u32, offset: u64, tol: f64) -> Option<(usize, i16, f64)> {
    samples.iter().enumerate().find_map(|(i, &s)| {
        let want = ideal(i as u64 + offset, rate);
        ((s as f64 - want).abs() > tol).then_some((i, s, want))
    })
}

/// Checks that `samples` are the tone from its first frame on. If they are not, looks for
/// where in the tone they start (within 0.1 s), to tell a late or shifted start from garbage.
fn check_tone(samples: &[i16], rate: u32, tol: f64) -> Result<(), String> {
    let Some((i, got, want)) = first_mismatch(samples, rate, 0, tol) else {
        return Ok(());
    };
    let probe = &samples[..samples.len().min(4096)];
    let aligned = (1..rate as u64 / 10).find(|&o| first_mismatch(probe, rate, o, tol).is_none());
    match aligned {
        Some(o) => Err(format!(
            "the take does not start with the first frame the microphone delivered: it matches the tone \
             from frame {o} on (sample {i} is {got}, the tone's frame {i} is {want:.1})"
        )),
        None => Err(format!(
            "the take is not the tone: sample {i} is {got}, expected {want:.1} (± {tol}); no start offset \
             within 0.1 s matches either"
        )),
    }
}

fn read_take(path: &Path) -> Result<(hound::WavSpec, Vec<i16>), String> {
    let mut r = hound::WavReader::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let spec = r.spec();
    let samples =
        r.samples::<i16>().collect::<Result<Vec<_>, _>>().map_err(|e| format!("cannot read the samples of {}: {e}", path.display()))?;
    Ok((spec, samples))
}

/// Checks that the take at `path` is a finalized mono 16-bit WAV at `rate` holding exactly
/// `frames` samples, and returns them.
fn check_take(summary: &CaptureSummary, path: &Path, rate: u32, frames: u64) -> Result<Vec<i16>, String> {
    ensure!(summary.finalized, "the take was not finalized: {summary:?}");
    ensure!(summary.path == path, "the summary names {}, not {}", summary.path.display(), path.display());
    ensure!(summary.sample_rate == rate, "the summary says {} Hz, the microphone ran at {rate} Hz", summary.sample_rate);
    ensure!(summary.channels == 1, "the summary says {} channels, takes are mono", summary.channels);
    ensure!(summary.frames == frames, "the summary has {} frames, expected {frames}", summary.frames);
    ensure!(summary.dropped_frames == 0, "{} frames were dropped", summary.dropped_frames);
    ensure!(!partial_path_for(path).exists(), "the partial file was left next to the finished take");
    let (spec, samples) = read_take(path)?;
    ensure!(spec.channels == 1, "the WAV has {} channels, expected mono", spec.channels);
    ensure!(spec.bits_per_sample == 16, "the WAV has {} bits per sample, expected 16", spec.bits_per_sample);
    ensure!(spec.sample_format == hound::SampleFormat::Int, "the WAV holds {:?} samples", spec.sample_format);
    ensure!(spec.sample_rate == rate, "the WAV is at {} Hz, the microphone ran at {rate} Hz", spec.sample_rate);
    ensure!(samples.len() as u64 == frames, "the WAV holds {} frames, the summary says {frames}", samples.len());
    // The waveform peaks the writer made while recording are those of the finished WAV.
    let peaks = rehearse_audio::peaks_path_for(path);
    ensure!(!partial_path_for(&peaks).exists(), "the partial peaks file was left next to the finished take");
    let (recorded, source) = rehearse_audio::peaks::load_or_build(path).map_err(|e| format!("peaks: {e}"))?;
    ensure!(source == rehearse_audio::PeaksSource::File, "no usable peaks file was written while recording");
    let rebuilt = rehearse_audio::peaks::build_from_wav(path).map_err(|e| format!("peaks: {e}"))?;
    ensure!(recorded == rebuilt, "the peaks written while recording differ from the peaks of the WAV");
    Ok(samples)
}

/// Receives events until one satisfies `done` (true) or `timeout` passes (false), keeping
/// each with the moment it arrived.
fn collect_until(
    h: &CaptureHandle,
    seen: &mut Vec<(Instant, CaptureEvent)>,
    timeout: Duration,
    done: impl Fn(&CaptureEvent) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match h.events().recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(e) => {
                let finished = done(&e);
                seen.push((Instant::now(), e));
                if finished {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
}

fn kinds(seen: &[(Instant, CaptureEvent)]) -> Vec<&CaptureEvent> {
    seen.iter().map(|(_, e)| e).collect()
}

fn start(mic: &FakeMic, path: &Path, max_seconds: Option<f64>) -> Result<CaptureHandle, String> {
    start_capture(CaptureRequest::new(InputChoice::Device(mic.device()), path.to_path_buf(), max_seconds))
        .map_err(|e| format!("start_capture failed on {mic}: {e}"))
}

/// Records 0.5 s from a fake microphone of the given format and checks the take.
fn record_half_second(format: SampleFormat, channels: u16, rate: u32) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("take.wav");
    let mic = FakeMic::new(format, channels, rate, Fault::None);
    let want = rate as u64 / 2;
    let h = start(&mic, &path, Some(0.5))?;
    ensure!(h.sample_rate() == rate, "the handle says {} Hz", h.sample_rate());
    ensure!(h.device() == mic.name(), "the handle names the device {:?}", h.device());
    let mut seen = Vec::new();
    let limited = collect_until(&h, &mut seen, PATIENCE, |e| matches!(e, CaptureEvent::LimitReached { .. }));
    let summary = h.stop().map_err(|e| format!("stop failed: {e}"))?;
    ensure!(limited, "no LimitReached within {PATIENCE:?}; events: {:?}", kinds(&seen));
    let started = seen.iter().find_map(|(_, e)| match e {
        CaptureEvent::Started { sample_rate, device, .. } => Some((*sample_rate, device.clone())),
        _ => None,
    });
    ensure!(started == Some((rate, mic.name().to_string())), "Started event: {started:?}");
    ensure!(
        seen.iter().any(|(_, e)| matches!(e, CaptureEvent::LimitReached { frames } if *frames == want)),
        "LimitReached should report {want} frames; events: {:?}",
        kinds(&seen)
    );
    ensure!(summary.stopped.is_none(), "a take stopped at its limit reports {:?}", summary.stopped);
    ensure!(summary.first_sample_ms.is_some(), "no first_sample_ms in {summary:?}");
    let samples = check_take(&summary, &path, rate, want)?;
    check_tone(&samples, rate, tolerance(format))?;
    ensure!(mic.stats().builds() >= 1, "the engine never built a stream on the device");
    ensure!(mic.stats().streams_alive() == 0, "the device's stream still runs after stop(): it was not dropped");
    Ok(())
}

#[test]
fn every_sample_format_channel_count_and_rate_records_the_exact_tone_as_mono_16_bit() {
    let mut cases: Vec<(SampleFormat, u16, u32)> = Vec::new();
    for format in FORMATS {
        for channels in [1, 2, 6] {
            cases.push((format, channels, 48_000));
        }
    }
    cases.extend([
        (SampleFormat::F32, 8, 48_000),
        (SampleFormat::I16, 8, 48_000),
        (SampleFormat::I24, 8, 44_100),
        (SampleFormat::I16, 2, 44_100),
        (SampleFormat::F32, 1, 44_100),
        (SampleFormat::U8, 2, 44_100),
        (SampleFormat::I16, 1, 16_000),
        (SampleFormat::F32, 2, 16_000),
        (SampleFormat::U16, 6, 16_000),
        (SampleFormat::I8, 1, 16_000),
    ]);
    // A few at a time: each take lasts 0.5 s of real time, and too many real-time streams at
    // once on a small machine starve each other (the engine then rightly reports a stall).
    let mut failures: Vec<String> = Vec::new();
    for batch in cases.chunks(CONCURRENT_TAKES) {
        let runs: Vec<_> =
            batch.iter().map(|&(format, channels, rate)| std::thread::spawn(move || record_half_second(format, channels, rate))).collect();
        for (&(format, channels, rate), run) in batch.iter().zip(runs) {
            let result = run.join().unwrap_or_else(|_| Err("the recording thread panicked".into()));
            if let Err(e) = result {
                failures.push(format!("{format} {channels} ch {rate} Hz: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} recordings failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn a_format_the_engine_cannot_record_is_refused_by_name_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    let mic = FakeMic::new(SampleFormat::DsdU8, 2, 48_000, Fault::None);
    let result = start_capture(CaptureRequest::new(InputChoice::Device(mic.device()), path.clone(), Some(0.5)));
    match result {
        Err(AudioError::UnsupportedFormat(format)) => {
            assert!(format.contains("dsdu8"), "the error names {format:?}, not the format dsdu8");
            let message = AudioError::UnsupportedFormat(format).to_string();
            assert!(message.contains("dsdu8"), "the message does not name the format: {message}");
        }
        Err(other) => panic!("expected UnsupportedFormat, got {other:?} ({other})"),
        Ok(h) => {
            let summary = h.stop();
            panic!("a DSD microphone was recorded: {summary:?}");
        }
    }
    assert!(!path.exists(), "a take was created");
    assert!(!partial_path_for(&path).exists(), "a partial file was created");
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path()).expect("read_dir").filter_map(|e| e.ok().map(|e| e.path())).collect();
    assert!(left.is_empty(), "files were left behind: {left:?}");
    assert_eq!(mic.stats().streams_alive(), 0, "a stream of the refused device still runs");
}

/// A take from a microphone that fails mid-way: records until the engine reports the
/// microphone lost, and returns the events (with arrival times), the summary and the path.
struct LostTake {
    mic: FakeMic,
    _dir: tempfile::TempDir,
    path: PathBuf,
    seen: Vec<(Instant, CaptureEvent)>,
    summary: CaptureSummary,
}

fn record_until_lost(mic: FakeMic) -> LostTake {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    // The limit is only a backstop: the take should end long before it.
    let h = start(&mic, &path, Some(20.0)).expect("start");
    let mut seen = Vec::new();
    let stopped = collect_until(&h, &mut seen, PATIENCE, |e| matches!(e, CaptureEvent::Stopped { .. }));
    let summary = h.stop().expect("stop");
    assert!(stopped, "no Stopped event within {PATIENCE:?} of starting; events: {:?}; summary: {summary:?}", kinds(&seen));
    LostTake { mic, _dir: dir, path, seen, summary }
}

impl LostTake {
    /// Checks the MicLost event arrived within `within` of the fault, and the summary.
    fn check_lost(&self, within: Duration) {
        let (arrived, reason, message) = self
            .seen
            .iter()
            .find_map(|(t, e)| match e {
                CaptureEvent::Stopped { reason, message } => Some((*t, *reason, message.clone())),
                _ => None,
            })
            .expect("a Stopped event");
        assert_eq!(reason, StopReason::MicLost, "stopped for another reason: {message}");
        let fault_at = self.mic.stats().fault_at().expect("the fake microphone never failed");
        let latency = arrived.saturating_duration_since(fault_at);
        assert!(latency <= within, "MicLost came {latency:?} after the microphone failed (at most {within:?})");
        assert_eq!(self.summary.stopped, Some(StopReason::MicLost), "summary: {:?}", self.summary);
        assert!(self.summary.finalized, "the take was not finalized: {:?}", self.summary);
        // Everything the microphone delivered before the engine let go of it is kept.
        let delivered = self.mic.stats().delivered();
        assert_eq!(
            self.summary.frames + self.summary.dropped_frames,
            delivered,
            "the microphone delivered {delivered} frames, the take holds {} (and dropped {})",
            self.summary.frames,
            self.summary.dropped_frames
        );
        // The take is finished without waiting for the stream's own thread (a stream whose
        // drop hangs is left there); a stream that can close does so within moments.
        let closing = Instant::now();
        while self.mic.stats().streams_alive() != 0 && closing.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(self.mic.stats().streams_alive(), 0, "the lost device's stream still runs 2 s after the take ended");
    }

    fn samples(&self) -> Vec<i16> {
        let rate = self.mic.rate();
        check_take(&self.summary, &self.path, rate, self.summary.frames).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[test]
fn a_microphone_that_disconnects_ends_the_take_as_lost_within_a_second_and_keeps_its_audio() {
    let rate = 48_000;
    let fail_at = rate as u64 * 3 / 10; // 0.3 s
    let take = record_until_lost(FakeMic::new(SampleFormat::I16, 2, rate, Fault::DisconnectAfter(fail_at)));
    take.check_lost(Duration::from_secs(1));
    let kept = take.summary.frames as f64 / rate as f64;
    assert!((kept - 0.3).abs() <= 0.05, "{kept:.3} s kept, expected 0.3 s ± 0.05");
    let samples = take.samples();
    check_tone(&samples, rate, tolerance(SampleFormat::I16)).unwrap_or_else(|e| panic!("{e}"));
}

/// Real hosts usually stop calling back after a device-gone error, so the stall watchdog would
/// end the take anyway; here samples keep flowing, and only the error itself can end it.
#[test]
fn a_device_gone_error_ends_the_take_as_lost_even_while_samples_still_flow() {
    let rate = 48_000;
    let fail_at = rate as u64 * 3 / 10; // 0.3 s
    let take = record_until_lost(FakeMic::new(SampleFormat::F32, 2, rate, Fault::ErrorAfter(fail_at)));
    take.check_lost(Duration::from_secs(1));
    assert!(take.summary.frames >= fail_at, "{} frames kept, the error came after {fail_at}", take.summary.frames);
    let samples = take.samples();
    check_tone(&samples, rate, tolerance(SampleFormat::F32)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_microphone_that_stalls_ends_the_take_as_lost_within_a_second_and_keeps_its_audio() {
    let rate = 44_100;
    let stall_at = rate as u64 * 3 / 10; // 0.3 s
    let take = record_until_lost(FakeMic::new(SampleFormat::F32, 1, rate, Fault::StallAfter(stall_at)));
    take.check_lost(Duration::from_secs(1));
    let kept = take.summary.frames as f64 / rate as f64;
    assert!((kept - 0.3).abs() <= 0.05, "{kept:.3} s kept, expected 0.3 s ± 0.05");
    let samples = take.samples();
    check_tone(&samples, rate, tolerance(SampleFormat::F32)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_microphone_whose_stream_never_closes_still_ends_the_take_as_lost_with_its_audio_kept() {
    // The watchdog gives it up after 0.5 s without audio; the writer closes the file and
    // reports the loss without waiting for the stream, whose drop never returns.
    let rate = 48_000;
    let hang_at = rate as u64 * 4 / 10; // 0.4 s
    let started = Instant::now();
    let take = record_until_lost(FakeMic::new(SampleFormat::I16, 1, rate, Fault::HangAfter(hang_at)));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "start to stop took {took:?}: the stop waited on the stuck stream");
    let arrived = take.seen.iter().find_map(|(t, e)| matches!(e, CaptureEvent::Stopped { reason: StopReason::MicLost, .. }).then_some(*t));
    let latency = arrived.expect("a MicLost event").saturating_duration_since(take.mic.stats().fault_at().expect("fault"));
    assert!(latency <= Duration::from_secs(1), "MicLost came {latency:?} after the microphone hung");
    assert_eq!(take.summary.stopped, Some(StopReason::MicLost));
    assert!(take.summary.finalized, "the take was not finalized: {:?}", take.summary);
    assert_eq!(take.summary.frames + take.summary.dropped_frames, take.mic.stats().delivered(), "everything delivered is kept");
    assert_eq!(take.mic.stats().streams_alive(), 1, "the stuck stream is left on its own thread");
    let kept = take.summary.frames as f64 / rate as f64;
    assert!((kept - 0.4).abs() <= 0.05, "{kept:.3} s kept, expected 0.4 s ± 0.05");
    check_tone(&take.samples(), rate, tolerance(SampleFormat::I16)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_microphone_that_turns_to_digital_silence_ends_the_take_as_lost_and_keeps_signal_and_silence() {
    let rate = 48_000;
    let signal = rate as u64 / 2; // 0.5 s of tone, then exact zeros
    let take = record_until_lost(FakeMic::new(SampleFormat::I24, 2, rate, Fault::ZerosAfter(signal)));
    take.check_lost(Duration::from_secs(1));
    let samples = take.samples();
    assert!(samples.len() as u64 > signal, "the take holds {} frames: the silence before the loss was noticed is missing", samples.len());
    let silence = (samples.len() as u64 - signal) as f64 / rate as f64;
    assert!(silence <= 1.05, "{silence:.3} s of silence were recorded before the loss was noticed");
    let (tone_part, silent_part) = samples.split_at(signal as usize);
    check_tone(tone_part, rate, tolerance(SampleFormat::I24)).unwrap_or_else(|e| panic!("{e}"));
    if let Some(i) = silent_part.iter().position(|&s| s != 0) {
        panic!("sample {} after the silence began is {}, not 0", signal as usize + i, silent_part[i]);
    }
}

#[test]
fn a_microphone_silent_from_the_start_is_not_lost_but_warns_after_three_seconds() {
    let rate = 48_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    let mic = FakeMic::new(SampleFormat::F32, 2, rate, Fault::ZerosAfter(0));
    let h = start(&mic, &path, Some(3.5)).expect("start");
    let mut seen = Vec::new();
    let limited = collect_until(&h, &mut seen, Duration::from_secs(3) + PATIENCE, |e| {
        matches!(e, CaptureEvent::LimitReached { .. } | CaptureEvent::Stopped { .. })
    });
    let summary = h.stop().expect("stop");
    assert!(limited, "the take did not end within its 3.5 s; events: {:?}", kinds(&seen));
    let stops: Vec<_> = seen.iter().filter(|(_, e)| matches!(e, CaptureEvent::Stopped { .. })).collect();
    assert!(stops.is_empty(), "a silent microphone was stopped: {stops:?}");
    assert_eq!(summary.stopped, None, "summary: {summary:?}");
    let silent: Vec<_> = seen
        .iter()
        .filter_map(|(t, e)| match e {
            CaptureEvent::Silent { seconds } => Some((*t, *seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(silent.len(), 1, "expected one Silent event; events: {:?}", kinds(&seen));
    let (arrived, seconds) = silent[0];
    // The writer checks after each chunk it drains, so a busy machine may notice a little late.
    assert!((3.0..3.5).contains(&seconds), "Silent after {seconds} s of audio, expected ~3 s");
    let first = mic.stats().first_delivery().expect("the microphone delivered");
    let after = arrived.saturating_duration_since(first).as_secs_f64();
    assert!((2.9..4.5).contains(&after), "Silent arrived {after:.2} s after the first samples, expected ~3 s");
    let want = rate as u64 * 7 / 2;
    let samples = check_take(&summary, &path, rate, want).unwrap_or_else(|e| panic!("{e}"));
    assert!(samples.iter().all(|&s| s == 0), "a digitally silent microphone recorded non-zero samples");
}

#[test]
fn the_size_cap_stops_the_take_after_exactly_the_frames_that_fit() {
    let rate = 48_000;
    let frames = 4_800u64;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    let mic = FakeMic::new(SampleFormat::F32, 2, rate, Fault::None);
    let req = CaptureRequest { max_bytes: 44 + 2 * frames, ..CaptureRequest::new(InputChoice::Device(mic.device()), path.clone(), None) };
    let h = start_capture(req).expect("start");
    let mut seen = Vec::new();
    let stopped = collect_until(&h, &mut seen, PATIENCE, |e| matches!(e, CaptureEvent::Stopped { .. }));
    let summary = h.stop().expect("stop");
    assert!(stopped, "the take did not stop by itself; events: {:?}; summary: {summary:?}", kinds(&seen));
    let reason = seen.iter().find_map(|(_, e)| match e {
        CaptureEvent::Stopped { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(reason, Some(StopReason::SizeCap), "events: {:?}", kinds(&seen));
    assert!(
        !seen.iter().any(|(_, e)| matches!(e, CaptureEvent::LimitReached { .. })),
        "a size cap is not a time limit; events: {:?}",
        kinds(&seen)
    );
    assert_eq!(summary.stopped, Some(StopReason::SizeCap), "summary: {summary:?}");
    let samples = check_take(&summary, &path, rate, frames).unwrap_or_else(|e| panic!("{e}"));
    let size = std::fs::metadata(&path).expect("metadata").len();
    assert_eq!(size, 44 + 2 * frames, "the file is {size} bytes");
    check_tone(&samples, rate, tolerance(SampleFormat::F32)).unwrap_or_else(|e| panic!("{e}"));
}

/// The fake itself: paced in real time, the known tone, and silent once its stream is dropped
/// (the other tests rely on all three).
#[test]
fn the_fake_microphone_delivers_the_tone_in_real_time_until_its_stream_is_dropped() {
    let rate = 48_000;
    let mic = FakeMic::new(SampleFormat::F32, 2, rate, Fault::None);
    let device = mic.device();
    let config = device.default_input_config().expect("config");
    assert_eq!((config.channels(), config.sample_rate(), config.sample_format()), (2, rate, SampleFormat::F32));
    let (tx, rx) = crossbeam_channel::unbounded::<Vec<f32>>();
    let stream = device
        .build_input_stream::<f32, _, _>(
            config.config(),
            move |data: &[f32], _: &cpal::InputCallbackInfo| {
                let _ = tx.send(data.to_vec());
            },
            |e| panic!("stream error: {e}"),
            None,
        )
        .expect("build");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(mic.stats().delivered(), 0, "the fake delivered before play()");
    stream.play().expect("play");
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    let delivered = mic.stats().delivered();
    let elapsed = started.elapsed().as_secs_f64();
    let expected = elapsed * rate as f64;
    assert!(
        delivered as f64 <= expected + 1.0 && delivered as f64 >= expected * 0.3,
        "{delivered} frames after {elapsed:.3} s: not real time ({expected:.0})"
    );
    drop(stream);
    assert_eq!(mic.stats().streams_alive(), 0, "the stream's thread outlived the stream");
    let after_drop = mic.stats().delivered();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(mic.stats().delivered(), after_drop, "the fake delivered after its stream was dropped");
    let samples: Vec<f32> = rx.try_iter().flatten().collect();
    assert_eq!(samples.len() as u64, after_drop * 2);
    for (n, frame) in samples.chunks_exact(2).enumerate() {
        let want = tone(n as u64, rate) as f32;
        assert!(frame.iter().all(|&s| s == want), "frame {n} is {frame:?}, expected {want} on both channels");
    }
}

#[test]
fn a_held_capture_keeps_nothing_until_it_begins_then_starts_at_once() {
    let rate = 48_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    let mic = FakeMic::new(SampleFormat::F32, 1, rate, Fault::None);
    let req = CaptureRequest { hold: true, ..CaptureRequest::new(InputChoice::Device(mic.device()), path.clone(), Some(0.5)) };
    let h = start_capture(req).expect("start");
    // Held for 0.4 s: the microphone runs, nothing is kept, no Started event.
    let mut seen = Vec::new();
    assert!(
        !collect_until(&h, &mut seen, Duration::from_millis(400), |e| matches!(e, CaptureEvent::Started { .. })),
        "held, yet started: {:?}",
        kinds(&seen)
    );
    assert!(h.begun_at().is_none());
    let began = h.begin();
    assert_eq!(h.begun_at(), Some(began));
    let limited = collect_until(&h, &mut seen, PATIENCE, |e| matches!(e, CaptureEvent::LimitReached { .. }));
    let summary = h.stop().expect("stop");
    assert!(limited, "no LimitReached after begin; events: {:?}", kinds(&seen));
    // The first kept sample came right after begin (the stream was already running), and
    // the take holds exactly its 0.5 s, all of it after begin.
    let first = summary.first_sample_ms.expect("first sample");
    assert!(first <= 60, "the first sample came {first} ms after begin");
    let samples = check_take(&summary, &path, rate, rate as u64 / 2).expect("take");
    // It starts mid-tone (what was held is gone) and is one unbroken piece of the tone.
    let tol = tolerance(SampleFormat::F32);
    let aligned = (0..rate as u64 / 10).find(|&o| first_mismatch(&samples, rate, o, tol).is_none());
    assert!(aligned.is_some(), "the take is not one unbroken piece of the tone");
}

/// Where in the tone a stretch of a take starts (its first sample's tone frame, modulo the
/// tone's period of `rate` frames), if the whole stretch is one unbroken piece of the tone.
fn tone_phase(piece: &[i16], rate: u32, tol: f64) -> Option<u64> {
    let probe = &piece[..piece.len().min(64)];
    (0..rate as u64).filter(|&c| first_mismatch(probe, rate, c, tol).is_none()).find(|&c| first_mismatch(piece, rate, c, tol).is_none())
}

/// The `n` congruent to `residue` (mod `period`) nearest to `estimate`.
fn nearest_congruent(residue: u64, period: u64, estimate: u64) -> u64 {
    let base = estimate - estimate % period + residue % period;
    [base.saturating_sub(period), base, base + period].into_iter().min_by_key(|&n| n.abs_diff(estimate)).unwrap_or(base)
}

#[test]
fn a_paused_capture_keeps_nothing_while_paused_stops_its_clock_and_runs_on_seamlessly_after_each_resume() {
    // At 44 101 Hz the 440 Hz tone repeats only every 44 101 frames (1 s): where in the tone a
    // stretch of the take starts says how many frames were left out before it.
    let rate = 44_101;
    let tol = tolerance(SampleFormat::F32);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    let mic = FakeMic::new(SampleFormat::F32, 2, rate, Fault::None);
    let h = start(&mic, &path, None).expect("start");
    let mut seen = Vec::new();
    assert!(collect_until(&h, &mut seen, PATIENCE, |e| matches!(e, CaptureEvent::Started { .. })), "no Started: {:?}", kinds(&seen));

    // Three pauses; after the last one the capture is stopped while still paused.
    let mut pauses = vec![]; // (file frame where it paused, frames the microphone delivered during the pause)
    for (run_ms, pause_ms) in [(300, 300), (250, 400), (300, 250)] {
        std::thread::sleep(Duration::from_millis(run_ms));
        assert!(!h.is_paused());
        let at = h.pause();
        let delivered_from = mic.stats().delivered();
        assert!(h.is_paused());
        assert_eq!(h.frames_captured(), at, "the clock is where the file stops");
        std::thread::sleep(Duration::from_millis(pause_ms));
        assert_eq!(h.frames_captured(), at, "the clock stood still for {pause_ms} ms of pause");
        assert_eq!(h.pause(), at, "pausing a paused capture changes nothing");
        let during = mic.stats().delivered() - delivered_from;
        assert!(
            during as f64 >= pause_ms as f64 / 1000.0 * rate as f64 * 0.5,
            "the microphone went on delivering while paused ({during} frames)"
        );
        pauses.push((at, during));
        if pauses.len() < 3 {
            assert_eq!(h.resume(), at, "it resumes where it paused");
        }
    }
    let summary = h.stop().expect("stop");
    assert!(summary.stopped.is_none(), "a paused microphone is not lost: {summary:?}");
    let end = pauses[2].0;
    let samples = check_take(&summary, &path, rate, end).expect("the take holds exactly the frames kept until the last pause");

    // Before the first pause: the tone from its first frame. After each resume: one unbroken
    // piece of the tone, later in the tone by what the microphone delivered while paused.
    let (p1, p2) = (pauses[0].0 as usize, pauses[1].0 as usize);
    assert!(
        p1 > rate as usize / 10 && p2 > p1 + rate as usize / 10 && end as usize > p2 + rate as usize / 10,
        "stretches of {p1}, {} and {} frames",
        p2 - p1,
        end as usize - p2
    );
    check_tone(&samples[..p1], rate, tol).expect("before the first pause");
    let mut left_out = 0u64;
    for (i, (from, to)) in [(p1, p2), (p2, end as usize)].into_iter().enumerate() {
        let phase = tone_phase(&samples[from..to], rate, tol)
            .unwrap_or_else(|| panic!("the take from frame {from} to {to} (after resume {}) is not one unbroken piece of the tone", i + 1));
        let delivered = from as u64 + left_out; // tone frame of `from` had nothing been left out
        let held = nearest_congruent((phase + rate as u64 - delivered % rate as u64) % rate as u64, rate as u64, pauses[i].1);
        let slack = rate as u64 / 10;
        assert!(
            held + slack >= pauses[i].1 && held <= pauses[i].1 + slack,
            "pause {}: {held} frames left out, the microphone delivered {} while paused",
            i + 1,
            pauses[i].1
        );
        left_out += held;
    }
    // Every frame the microphone delivered is either in the take or was held.
    let delivered = mic.stats().delivered();
    assert!(delivered >= end + left_out + pauses[2].1, "delivered {delivered}, kept {end}, held {left_out} + the last pause");
}
