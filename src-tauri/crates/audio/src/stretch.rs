//! Playback speed with the pitch kept: a thin streaming adapter over the `wsola` crate
//! (Waveform Similarity Overlap-Add, pure Rust, good on speech; chosen over writing our own
//! WSOLA and over C++ bindings, see the workspace Cargo.toml). At exactly 1x the samples
//! pass through untouched, so normal playback is bit-exact.

use std::num::{NonZeroU16, NonZeroU32};

use crate::error::AudioError;

/// Slowest and fastest playback speeds offered.
pub const MIN_SPEED: f32 = 0.75;
pub const MAX_SPEED: f32 = 2.0;

/// Checks a requested playback speed.
pub fn check_speed(speed: f32) -> Result<f32, AudioError> {
    if speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(speed)
    } else {
        Err(AudioError::InvalidRequest(format!("the playback speed must be between {MIN_SPEED}x and {MAX_SPEED}x, not {speed}")))
    }
}

/// A mono streaming time-stretcher: push input, get output `speed` times shorter.
pub(crate) struct Stretcher {
    ts: wsola::TimeStretch,
    speed: f32,
    /// Scratch output buffer, a multiple of the stretcher's hop.
    tmp: Vec<f32>,
}

impl Stretcher {
    pub(crate) fn new(sample_rate: u32, speed: f32) -> Result<Self, AudioError> {
        let rate = NonZeroU32::new(sample_rate.max(1)).unwrap_or(NonZeroU32::MIN);
        let mut ts = wsola::TimeStretch::new(rate, NonZeroU16::MIN)
            .map_err(|e| AudioError::Stream(format!("cannot set up the time-stretcher: {e}")))?;
        ts.set_tempo(speed);
        let tmp = vec![0.0; ts.min_output_buff_size() * 4];
        Ok(Stretcher { ts, speed, tmp })
    }

    pub(crate) fn speed(&self) -> f32 {
        self.speed
    }

    /// Changes the speed for what follows and forgets buffered input (callers change speed
    /// together with a seek to the position being heard).
    pub(crate) fn restart(&mut self, speed: f32) {
        self.ts.reset();
        self.ts.set_tempo(speed);
        self.speed = speed;
    }

    fn bypass(&self) -> bool {
        self.speed == 1.0
    }

    /// Feeds input and appends what can be produced so far to `out`.
    pub(crate) fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.bypass() {
            out.extend_from_slice(input);
            return;
        }
        self.ts.push(input);
        self.pull_all(out);
    }

    /// At the end of the input: appends the stretcher's tail to `out`.
    pub(crate) fn finish(&mut self, out: &mut Vec<f32>) {
        if self.bypass() {
            return;
        }
        self.ts.set_draining();
        self.pull_all(out);
        self.ts.reset();
    }

    fn pull_all(&mut self, out: &mut Vec<f32>) {
        // `pull` fills whole hops; a short (or failed) pull means nothing more is ready.
        while let Ok(n) = self.ts.pull(&mut self.tmp) {
            out.extend_from_slice(&self.tmp[..n]);
            if n < self.tmp.len() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn sine(freq: f32, seconds: f32) -> Vec<f32> {
        (0..(RATE as f32 * seconds) as usize).map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / RATE as f32).sin()).collect()
    }

    /// Streams `input` through in 10 ms blocks, as the player does.
    fn stretch(input: &[f32], speed: f32) -> Vec<f32> {
        let mut s = Stretcher::new(RATE, speed).expect("stretcher");
        let mut out = Vec::new();
        for block in input.chunks(480) {
            s.process(block, &mut out);
        }
        s.finish(&mut out);
        out
    }

    /// Frequency from upward zero crossings over the middle of the signal (edges skipped).
    fn frequency(x: &[f32]) -> f32 {
        let mid = &x[x.len() / 5..x.len() * 4 / 5];
        let ups: Vec<usize> = mid.windows(2).enumerate().filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0).map(|(i, _)| i).collect();
        let (first, last) = (ups[0], ups[ups.len() - 1]);
        (ups.len() - 1) as f32 * RATE as f32 / (last - first) as f32
    }

    #[test]
    fn output_length_is_input_length_over_speed_within_one_percent() {
        let input = sine(220.0, 4.0);
        for speed in [0.75, 1.0, 1.25, 1.5, 2.0] {
            let out = stretch(&input, speed);
            let want = input.len() as f32 / speed;
            let err = (out.len() as f32 - want).abs() / want;
            assert!(err <= 0.01, "speed {speed}: {} samples, want {want} ({:.2}% off)", out.len(), err * 100.0);
        }
    }

    #[test]
    fn a_sine_keeps_its_frequency_at_one_and_a_half_and_three_quarters_speed() {
        let input = sine(440.0, 3.0);
        assert!((frequency(&input) - 440.0).abs() < 0.5);
        for speed in [1.5, 0.75, 2.0] {
            let out = stretch(&input, speed);
            let f = frequency(&out);
            assert!((f - 440.0).abs() / 440.0 < 0.01, "speed {speed}: {f} Hz");
            // Resampling instead would have moved it to 440 * speed: prove the test can tell.
            assert!((f - 440.0 * speed).abs() > 50.0);
            // And the level is kept (no cancellation in the overlap-add).
            let rms = (out.iter().map(|v| v * v).sum::<f32>() / out.len() as f32).sqrt();
            assert!((rms - 0.5 / 2f32.sqrt()).abs() < 0.05, "speed {speed}: rms {rms}");
        }
    }

    #[test]
    fn normal_speed_is_bit_exact() {
        let input = sine(300.0, 0.5);
        assert_eq!(stretch(&input, 1.0), input);
    }

    #[test]
    fn restarting_at_another_speed_forgets_buffered_input() {
        let mut s = Stretcher::new(RATE, 1.5).expect("stretcher");
        let mut out = Vec::new();
        s.process(&sine(330.0, 0.5), &mut out);
        s.restart(2.0);
        out.clear();
        let input = sine(440.0, 2.0);
        for block in input.chunks(480) {
            s.process(block, &mut out);
        }
        s.finish(&mut out);
        assert_eq!(s.speed(), 2.0);
        // Exactly what a fresh stretcher at 2x makes of the same input: nothing carried over.
        assert_eq!(out, stretch(&input, 2.0));
    }

    #[test]
    fn speeds_outside_the_range_are_refused_with_the_range() {
        for bad in [0.5, 2.5, 0.0, -1.0, f32::NAN, f32::INFINITY] {
            let e = check_speed(bad).expect_err("refused");
            assert!(e.to_string().contains("0.75x and 2x"), "{e}");
        }
        for ok in [0.75, 1.0, 1.5, 2.0] {
            assert_eq!(check_speed(ok).expect("ok"), ok);
        }
    }
}
