//! Level meter: peak and RMS in dBFS over short windows, computed off the audio thread.

use serde::Serialize;

/// Quietest level reported; digital silence maps here instead of -inf.
pub const FLOOR_DBFS: f32 = -96.0;
/// A sample at or above this magnitude counts as clipped.
const CLIP_THRESHOLD: i32 = 32_700;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Level {
    pub peak_dbfs: f32,
    pub rms_dbfs: f32,
    pub clipped: bool,
}

/// Accumulates samples and yields one [`Level`] per window (e.g. rate / 30 for 30 Hz).
pub struct Meter {
    window: u32,
    count: u32,
    peak: i32,
    sum_sq: f64,
    clipped: bool,
}

pub fn to_dbfs(linear: f64) -> f32 {
    if linear <= 0.0 {
        return FLOOR_DBFS;
    }
    ((20.0 * linear.log10()) as f32).max(FLOOR_DBFS)
}

impl Meter {
    pub fn new(window: u32) -> Self {
        Meter { window: window.max(1), count: 0, peak: 0, sum_sq: 0.0, clipped: false }
    }

    /// Adds one sample; returns a level when a window is complete.
    #[inline]
    pub fn push(&mut self, s: i16) -> Option<Level> {
        let a = (s as i32).abs();
        self.peak = self.peak.max(a);
        self.clipped |= a >= CLIP_THRESHOLD;
        let f = s as f64 / 32768.0;
        self.sum_sq += f * f;
        self.count += 1;
        (self.count >= self.window).then(|| self.take())
    }

    fn take(&mut self) -> Level {
        let level = Level {
            peak_dbfs: to_dbfs(self.peak as f64 / 32768.0),
            rms_dbfs: to_dbfs((self.sum_sq / self.count.max(1) as f64).sqrt()),
            clipped: self.clipped,
        };
        *self = Meter::new(self.window);
        level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_reads_as_the_floor() {
        let mut m = Meter::new(4);
        let l = (0..4).filter_map(|_| m.push(0)).last().expect("a level");
        assert_eq!(l.peak_dbfs, FLOOR_DBFS);
        assert_eq!(l.rms_dbfs, FLOOR_DBFS);
        assert!(!l.clipped);
    }

    #[test]
    fn a_half_scale_square_wave_reads_minus_six_dbfs() {
        let mut m = Meter::new(4);
        let l = [16384i16, -16384, 16384, -16384].iter().filter_map(|&s| m.push(s)).last().expect("a level");
        assert!((l.peak_dbfs + 6.02).abs() < 0.01, "{l:?}");
        assert!((l.rms_dbfs + 6.02).abs() < 0.01, "{l:?}");
    }

    #[test]
    fn full_scale_samples_are_flagged_as_clipped() {
        let mut m = Meter::new(2);
        let l = [i16::MAX, 0].iter().filter_map(|&s| m.push(s)).last().expect("a level");
        assert!(l.clipped);
    }
}
