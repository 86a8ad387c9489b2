//! Speech metrics without a model: energy-based voice activity detection over 10 ms
//! frames. Time to first word, speaking time against silence, long pauses, level and
//! clipping, computed from a take's WAV.

use std::path::Path;

use serde::Serialize;

use crate::error::{CoreError, Result};

const FRAME_MS: u64 = 10;
/// A frame is speech when it is this far above the noise floor …
const ABOVE_FLOOR_DB: f64 = 12.0;
/// … and at least this loud (quiet rooms have a very low floor).
const MIN_SPEECH_DBFS: f64 = -50.0;
/// Gaps shorter than this inside speech are part of it (between syllables and words).
const BRIDGE_MS: u64 = 250;
/// Bursts shorter than this are clicks, not words.
const MIN_BURST_MS: u64 = 60;
/// A pause longer than this is a long pause.
pub const LONG_PAUSE_MS: u64 = 2000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeechMetrics {
    pub duration_ms: u64,
    /// None when no speech was found.
    pub time_to_first_word_ms: Option<u64>,
    pub speaking_ms: u64,
    pub silence_ms: u64,
    /// Pauses longer than 2 s between speech, in ms, in order.
    pub long_pauses: Vec<u64>,
    pub peak_dbfs: f64,
    pub rms_dbfs: f64,
    pub clipped_samples: u64,
}

fn dbfs(x: f64) -> f64 {
    if x <= 0.0 {
        -120.0
    } else {
        (20.0 * x.log10()).max(-120.0)
    }
}

/// Frame levels, peak and clipping, fed one sample of the first channel at a time, so a
/// long take is measured without holding its samples (about 8 bytes per 10 ms frame).
struct Levels {
    frame_len: usize,
    in_frame: usize,
    frame_sq: f64,
    frames_db: Vec<f64>,
    peak: i32,
    sum_sq: f64,
    clipped: u64,
    samples: u64,
}

impl Levels {
    fn new(rate: u32) -> Self {
        let frame_len = (rate as u64 * FRAME_MS / 1000).max(1) as usize;
        Levels { frame_len, in_frame: 0, frame_sq: 0.0, frames_db: vec![], peak: 0, sum_sq: 0.0, clipped: 0, samples: 0 }
    }

    fn push(&mut self, x: i16) {
        self.peak = self.peak.max((x as i32).abs());
        if x == i16::MAX || x == i16::MIN {
            self.clipped += 1;
        }
        let f = x as f64 / 32768.0;
        self.frame_sq += f * f;
        self.in_frame += 1;
        self.samples += 1;
        if self.in_frame == self.frame_len {
            self.end_frame();
        }
    }

    fn end_frame(&mut self) {
        self.sum_sq += self.frame_sq;
        self.frames_db.push(dbfs((self.frame_sq / self.in_frame as f64).sqrt()));
        self.frame_sq = 0.0;
        self.in_frame = 0;
    }
}

/// Metrics of mono or multi-channel 16-bit samples (first channel used) at `rate`.
pub fn speech_metrics(samples: &[i16], channels: u16, rate: u32) -> SpeechMetrics {
    let mut levels = Levels::new(rate);
    samples.iter().step_by(channels.max(1) as usize).for_each(|&x| levels.push(x));
    metrics_of(levels, rate)
}

fn metrics_of(mut levels: Levels, rate: u32) -> SpeechMetrics {
    if levels.in_frame > 0 {
        levels.end_frame();
    }
    let Levels { frames_db, peak, sum_sq, clipped, samples, .. } = levels;
    let duration_ms = samples * 1000 / rate.max(1) as u64;
    // Noise floor: the 10th percentile of frame levels.
    let mut sorted = frames_db.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let floor = sorted.get(sorted.len() / 10).copied().unwrap_or(-120.0);
    let threshold = (floor + ABOVE_FLOOR_DB).max(MIN_SPEECH_DBFS);
    let voiced: Vec<bool> = frames_db.iter().map(|&d| d > threshold).collect();

    // Speech segments (frame index ranges), bridging short gaps, dropping short bursts.
    let mut segments: Vec<(usize, usize)> = vec![];
    let mut i = 0;
    while i < voiced.len() {
        if voiced[i] {
            let start = i;
            while i < voiced.len() && voiced[i] {
                i += 1;
            }
            match segments.last_mut() {
                Some(last) if ((start - last.1) as u64) * FRAME_MS < BRIDGE_MS => last.1 = i,
                _ => segments.push((start, i)),
            }
        } else {
            i += 1;
        }
    }
    segments.retain(|(a, b)| ((b - a) as u64) * FRAME_MS >= MIN_BURST_MS);
    let speaking_ms = segments.iter().map(|(a, b)| (b - a) as u64 * FRAME_MS).sum::<u64>().min(duration_ms);
    let long_pauses = segments
        .windows(2)
        .map(|w| (w[1].0 - w[0].1) as u64 * FRAME_MS)
        .filter(|&gap| gap > LONG_PAUSE_MS)
        .collect();
    SpeechMetrics {
        duration_ms,
        time_to_first_word_ms: segments.first().map(|(a, _)| *a as u64 * FRAME_MS),
        speaking_ms,
        silence_ms: duration_ms - speaking_ms,
        long_pauses,
        peak_dbfs: dbfs(peak as f64 / 32768.0),
        rms_dbfs: dbfs((sum_sq / samples.max(1) as f64).sqrt()),
        clipped_samples: clipped,
    }
}

/// Metrics of a take's WAV file.
pub fn wav_metrics(path: &Path) -> Result<SpeechMetrics> {
    let mut r = hound::WavReader::open(path).map_err(|e| CoreError::Unrecoverable { file: path.display().to_string(), reason: e.to_string() })?;
    let spec = r.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(CoreError::Unrecoverable { file: path.display().to_string(), reason: "not 16-bit PCM".into() });
    }
    // Streamed (memory stays flat on long takes); a truncated file is measured up to
    // where its data ends.
    let ch = spec.channels.max(1) as usize;
    let mut levels = Levels::new(spec.sample_rate);
    r.samples::<i16>().map_while(|s| s.ok()).step_by(ch).for_each(|x| levels.push(x));
    Ok(metrics_of(levels, spec.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Silence (with a little noise) and tone bursts of known lengths, at 48 kHz.
    fn signal(parts: &[(bool, u64)]) -> Vec<i16> {
        let mut out = vec![];
        let mut n = 0u64;
        for &(tone, ms) in parts {
            for _ in 0..ms * 48 {
                let noise = ((n * 7919 % 13) as i16) - 6; // about -75 dBFS
                let v = if tone { ((n as f64 * 2.0 * std::f64::consts::PI * 220.0 / 48_000.0).sin() * 8000.0) as i16 } else { 0 };
                out.push(v + noise);
                n += 1;
            }
        }
        out
    }

    #[test]
    fn known_gaps_are_measured_within_50_ms() {
        let s = signal(&[(false, 1000), (true, 2000), (false, 2500), (true, 1000), (false, 600), (true, 400), (false, 500)]);
        let m = speech_metrics(&s, 1, 48_000);
        assert_eq!(m.duration_ms, 8000);
        let ttfw = m.time_to_first_word_ms.expect("speech found");
        assert!(ttfw.abs_diff(1000) <= 50, "{m:?}");
        assert!(m.speaking_ms.abs_diff(3400) <= 50, "{m:?}");
        assert_eq!(m.long_pauses.len(), 1, "{m:?}");
        assert!(m.long_pauses[0].abs_diff(2500) <= 50, "{m:?}");
        assert!(m.silence_ms.abs_diff(4600) <= 50, "{m:?}");
        assert_eq!(m.clipped_samples, 0);
        assert!((m.peak_dbfs - 20.0 * (8006.0f64 / 32768.0).log10()).abs() < 0.5, "{m:?}");
    }

    #[test]
    fn a_wav_file_is_measured_streamed_exactly_as_its_samples_in_memory() {
        let mono = signal(&[(false, 700), (true, 1200), (false, 2300), (true, 333)]);
        // Stereo: the first channel is measured, the second is ignored.
        let stereo: Vec<i16> = mono.iter().flat_map(|&x| [x, 12_000]).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        let spec = hound::WavSpec { channels: 2, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&path, spec).expect("wav");
        stereo.iter().for_each(|&x| w.write_sample(x).expect("sample"));
        w.finalize().expect("finalize");
        let streamed = wav_metrics(&path).expect("metrics");
        assert_eq!(streamed, speech_metrics(&stereo, 2, 48_000));
        assert_eq!(streamed, speech_metrics(&mono, 1, 48_000));
        assert_eq!(streamed.long_pauses.len(), 1, "{streamed:?}");
    }

    #[test]
    fn silence_has_no_first_word_and_clipping_is_counted() {
        let m = speech_metrics(&signal(&[(false, 3000)]), 1, 48_000);
        assert_eq!((m.time_to_first_word_ms, m.speaking_ms), (None, 0));
        let mut clipped = signal(&[(false, 500), (true, 500)]);
        clipped[30_000] = i16::MAX;
        clipped[30_001] = i16::MIN;
        assert_eq!(speech_metrics(&clipped, 1, 48_000).clipped_samples, 2);
    }
}
