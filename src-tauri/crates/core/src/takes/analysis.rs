//! Speech metrics without a model: energy-based voice activity detection over 10 ms
//! frames. Time to first word, speaking time against silence, long pauses, level and
//! clipping, computed from a take's WAV; and, from the same detection, the silences that
//! playback may skip.

use std::path::Path;

use serde::Serialize;

use crate::error::{CoreError, Result};
pub use crate::model::metrics::SpeechMetrics;

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
/// Playback skips silences at least this long (shorter pauses are part of how one speaks) …
pub const SKIP_MIN_SILENCE_MS: u64 = 1000;
/// … keeping this much of them next to speech, so no word is clipped.
pub const SKIP_KEEP_MS: u64 = 250;

/// A stretch of a take, in milliseconds from its start.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Span {
    pub fn range(&self) -> std::ops::Range<u64> {
        self.start_ms..self.end_ms
    }
    pub fn len_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
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

/// Speech segments as ranges of frame indices: frames well above the noise floor, short
/// gaps bridged, short bursts dropped.
fn speech_segments(frames_db: &[f64]) -> Vec<(usize, usize)> {
    // Noise floor: the 10th percentile of frame levels.
    let mut sorted = frames_db.to_vec();
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
    segments
}

fn metrics_of(mut levels: Levels, rate: u32) -> SpeechMetrics {
    if levels.in_frame > 0 {
        levels.end_frame();
    }
    let Levels { frames_db, peak, sum_sq, clipped, samples, .. } = levels;
    let duration_ms = samples * 1000 / rate.max(1) as u64;
    let segments = speech_segments(&frames_db);
    let speaking_ms = segments.iter().map(|(a, b)| (b - a) as u64 * FRAME_MS).sum::<u64>().min(duration_ms);
    let long_pauses = segments.windows(2).map(|w| (w[1].0 - w[0].1) as u64 * FRAME_MS).filter(|&gap| gap > LONG_PAUSE_MS).collect();
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
    let (levels, rate) = wav_levels(path)?;
    Ok(metrics_of(levels, rate))
}

/// Frame levels of a take's WAV file, and its rate.
fn wav_levels(path: &Path) -> Result<(Levels, u32)> {
    let mut r =
        hound::WavReader::open(path).map_err(|e| CoreError::Unrecoverable { file: path.display().to_string(), reason: e.to_string() })?;
    let spec = r.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(CoreError::Unrecoverable { file: path.display().to_string(), reason: "not 16-bit PCM".into() });
    }
    // Streamed (memory stays flat on long takes); a truncated file is measured up to
    // where its data ends.
    let ch = spec.channels.max(1) as usize;
    let mut levels = Levels::new(spec.sample_rate);
    r.samples::<i16>().map_while(|s| s.ok()).step_by(ch).for_each(|x| levels.push(x));
    Ok((levels, spec.sample_rate))
}

/// The silences playback may skip in samples of the first channel at `rate`: every
/// silence of at least [`SKIP_MIN_SILENCE_MS`] (before the first word, between words,
/// after the last), less [`SKIP_KEEP_MS`] on each side that touches speech. Shorter pauses
/// are kept whole. A take in which no speech is found has none: its speech may only be
/// too quiet to detect, and skipping all of it would hide it.
pub fn skippable_silences(samples: &[i16], channels: u16, rate: u32) -> Vec<Span> {
    let mut levels = Levels::new(rate);
    samples.iter().step_by(channels.max(1) as usize).for_each(|&x| levels.push(x));
    silences_of(levels, rate)
}

/// [`skippable_silences`] of a take's WAV file, read streamed.
pub fn wav_skippable_silences(path: &Path) -> Result<Vec<Span>> {
    let (levels, rate) = wav_levels(path)?;
    Ok(silences_of(levels, rate))
}

fn silences_of(mut levels: Levels, rate: u32) -> Vec<Span> {
    if levels.in_frame > 0 {
        levels.end_frame();
    }
    let rate = rate.max(1) as u64;
    let duration_ms = levels.samples * 1000 / rate;
    let frame_ms = |i: usize| (i as u64 * levels.frame_len as u64 * 1000 / rate).min(duration_ms);
    let segments = speech_segments(&levels.frames_db);
    if segments.is_empty() {
        return vec![];
    }
    // Gaps around and between the segments: (start, end, speech before, speech after).
    let mut gaps = vec![(0, frame_ms(segments[0].0), false, true)];
    gaps.extend(segments.windows(2).map(|w| (frame_ms(w[0].1), frame_ms(w[1].0), true, true)));
    gaps.push((frame_ms(segments[segments.len() - 1].1), duration_ms, true, false));
    gaps.into_iter()
        .filter(|&(a, b, _, _)| b.saturating_sub(a) >= SKIP_MIN_SILENCE_MS)
        .map(|(a, b, before, after)| Span {
            start_ms: a + if before { SKIP_KEEP_MS } else { 0 },
            end_ms: b - if after { SKIP_KEEP_MS } else { 0 },
        })
        .collect()
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

    /// A 48 kHz stereo WAV whose first channel is `mono` and second a constant; its folder,
    /// path and interleaved samples.
    fn stereo_wav(mono: &[i16]) -> (tempfile::TempDir, std::path::PathBuf, Vec<i16>) {
        let stereo: Vec<i16> = mono.iter().flat_map(|&x| [x, 12_000]).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        let spec = hound::WavSpec { channels: 2, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&path, spec).expect("wav");
        stereo.iter().for_each(|&x| w.write_sample(x).expect("sample"));
        w.finalize().expect("finalize");
        (dir, path, stereo)
    }

    #[test]
    fn a_wav_file_is_measured_streamed_exactly_as_its_samples_in_memory() {
        let mono = signal(&[(false, 700), (true, 1200), (false, 2300), (true, 333)]);
        // Stereo: the first channel is measured, the second is ignored.
        let (_dir, path, stereo) = stereo_wav(&mono);
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

    fn spans(s: &[Span]) -> Vec<(u64, u64)> {
        s.iter().map(|s| (s.start_ms, s.end_ms)).collect()
    }

    fn assert_spans_near(got: &[Span], want: &[(u64, u64)]) {
        assert_eq!(got.len(), want.len(), "{got:?}, want {want:?}");
        for (g, &(a, b)) in got.iter().zip(want) {
            assert!(g.start_ms.abs_diff(a) <= 50 && g.end_ms.abs_diff(b) <= 50, "{got:?}, want {want:?} ± 50 ms");
        }
    }

    #[test]
    fn long_silences_are_skippable_less_a_quarter_second_beside_speech_and_short_pauses_are_kept() {
        // Speech at 1-3 s, 5.5-6.5 s and 7.1-7.5 s in a 9 s take.
        let s = signal(&[(false, 1000), (true, 2000), (false, 2500), (true, 1000), (false, 600), (true, 400), (false, 1500)]);
        let got = skippable_silences(&s, 1, 48_000);
        // Before the first word (nothing to keep at the take's start), the 2.5 s pause less
        // 250 ms on each side, and after the last word to the end. The 600 ms pause stays.
        assert_spans_near(&got, &[(0, 750), (3250, 5250), (7750, 9000)]);
        assert!(got.iter().all(|sp| sp.start_ms < sp.end_ms), "{got:?}");
    }

    #[test]
    fn pauses_under_a_second_are_never_skipped_and_one_just_over_is() {
        let s = signal(&[
            (true, 800),
            (false, 300),
            (true, 500),
            (false, 800),
            (true, 500),
            (false, 950),
            (true, 500),
            (false, 1200),
            (true, 700),
        ]);
        // Only the 1.2 s pause (at 4.35-5.55 s) goes, as 4.6-5.3 s.
        assert_spans_near(&skippable_silences(&s, 1, 48_000), &[(4600, 5300)]);
        // Speech from end to end: nothing to skip.
        assert!(skippable_silences(&signal(&[(true, 1500), (false, 400), (true, 1500)]), 1, 48_000).is_empty());
    }

    #[test]
    fn a_take_without_detected_speech_has_nothing_skippable() {
        assert!(skippable_silences(&signal(&[(false, 5000)]), 1, 48_000).is_empty());
        assert!(skippable_silences(&[], 1, 48_000).is_empty());
    }

    #[test]
    fn skippable_silences_of_a_wav_file_are_read_streamed_and_match_the_samples_in_memory() {
        let mono = signal(&[(false, 1800), (true, 900), (false, 3000), (true, 1100), (false, 400)]);
        let (_dir, path, _) = stereo_wav(&mono);
        let streamed = wav_skippable_silences(&path).expect("silences");
        assert_eq!(spans(&streamed), spans(&skippable_silences(&mono, 1, 48_000)));
        assert_spans_near(&streamed, &[(0, 1550), (2950, 5450)]);
        // A file that is not a WAV is refused, naming it.
        std::fs::write(&path, b"not a wav").expect("write");
        let err = wav_skippable_silences(&path).expect_err("refused");
        assert!(err.to_string().contains("t.wav"), "{err}");
    }
}
