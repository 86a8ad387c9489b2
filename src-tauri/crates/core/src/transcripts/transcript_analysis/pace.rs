//! Pace: words per minute of speaking time (English and other languages), Hangul syllables
//! per minute for Korean; the figure against a target band, and a series over the take.

use serde::{Deserialize, Serialize};

use super::tokens::{hangul_syllables, Token};

pub use crate::model::metrics::PaceUnit;

/// How many units of `unit` a token counts for.
fn count(unit: PaceUnit, token: &Token) -> usize {
    match unit {
        PaceUnit::WordsPerMinute => 1,
        PaceUnit::SyllablesPerMinute => hangul_syllables(&token.norm),
    }
}

/// A target pace, in the language's unit.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PaceBand {
    pub min: f64,
    pub max: f64,
}

/// Where a pace stands against its band.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceVerdict {
    Slow,
    InBand,
    Fast,
}

impl PaceBand {
    pub fn verdict(&self, value: f64) -> PaceVerdict {
        if value < self.min {
            PaceVerdict::Slow
        } else if value > self.max {
            PaceVerdict::Fast
        } else {
            PaceVerdict::InBand
        }
    }
}

/// Pace over the whole take and over windows of it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pace {
    pub unit: PaceUnit,
    /// "wpm" or "syllables/min".
    pub unit_label: &'static str,
    /// Words or syllables said.
    pub units: usize,
    /// Total length of the speech spans (see [`super::tokens::speech_spans`]).
    pub speaking_ms: u64,
    /// Units per minute of speaking time; none with less than [`MIN_SPEAKING_MS`] of speech.
    pub per_minute: Option<f64>,
    pub band: PaceBand,
    pub verdict: Option<PaceVerdict>,
    /// Pace in consecutive windows of [`WINDOW_MS`] of the take (for a chart).
    pub series: Vec<PacePoint>,
}

/// One window of the pace series.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PacePoint {
    pub start_ms: u64,
    pub end_ms: u64,
    pub units: usize,
    pub speaking_ms: u64,
    /// Units per minute of the window's speaking time; none with under [`MIN_WINDOW_SPEAKING_MS`].
    pub per_minute: Option<f64>,
}

/// Less speech than this gives no pace (a figure from two words means nothing).
pub const MIN_SPEAKING_MS: u64 = 3000;
/// The pace series' window.
pub const WINDOW_MS: u64 = 10_000;
/// A window with less speech than this has no figure of its own.
pub const MIN_WINDOW_SPEAKING_MS: u64 = 2000;

fn per_minute(units: usize, ms: u64) -> f64 {
    units as f64 * 60_000.0 / ms as f64
}

fn overlap(spans: &[(u64, u64)], a: u64, b: u64) -> u64 {
    spans.iter().map(|&(s, e)| e.min(b).saturating_sub(s.max(a))).sum()
}

pub fn pace(language: &str, tokens: &[Token], spans: &[(u64, u64)], band: PaceBand) -> Pace {
    let unit = PaceUnit::for_language(language);
    let units: usize = tokens.iter().map(|t| count(unit, t)).sum();
    let speaking_ms: u64 = spans.iter().map(|(a, b)| b - a).sum();
    let value = (speaking_ms >= MIN_SPEAKING_MS).then(|| per_minute(units, speaking_ms));
    let end = spans.last().map_or(0, |s| s.1);
    let mut series = Vec::new();
    let mut start = 0;
    while start < end {
        let stop = (start + WINDOW_MS).min(end);
        // A token belongs to the window its start falls in.
        let units = tokens.iter().filter(|t| t.start_ms >= start && t.start_ms < stop).map(|t| count(unit, t)).sum();
        let ms = overlap(spans, start, stop);
        let per = (ms >= MIN_WINDOW_SPEAKING_MS).then(|| per_minute(units, ms));
        series.push(PacePoint { start_ms: start, end_ms: stop, units, speaking_ms: ms, per_minute: per });
        start = stop;
    }
    Pace {
        unit,
        unit_label: unit.abbreviation(),
        units,
        speaking_ms,
        per_minute: value,
        band,
        verdict: value.map(|v| band.verdict(v)),
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tokens::{speech_spans, tests::plain, tokens};
    use super::*;

    const BAND: PaceBand = PaceBand { min: 120.0, max: 160.0 };

    #[test]
    fn english_pace_is_words_per_minute_of_speaking_time_not_of_the_take() {
        // 20 words in 5 s of speech, then 10 s of silence, then 10 words in 5 s: 30 words in 10 s.
        let twenty = ["word"; 20].join(" ");
        let ten = ["word"; 10].join(" ");
        let t = plain("en", &[(0, 5000, &twenty), (15_000, 20_000, &ten)]);
        let p = pace("en", &tokens(&t), &speech_spans(&t), BAND);
        assert_eq!((p.unit, p.unit_label, p.units, p.speaking_ms), (PaceUnit::WordsPerMinute, "wpm", 30, 10_000));
        assert_eq!(p.per_minute, Some(180.0));
        assert_eq!(p.verdict, Some(PaceVerdict::Fast));
    }

    #[test]
    fn korean_pace_counts_hangul_syllables_not_eojeol_or_latin_letters() {
        // 10 syllables (데이터베이스 6 + 장애가 3 + 났 1), one Latin word, 2 s of speech → 300 syllables/min.
        let t = plain("ko", &[(0, 2000, "데이터베이스 장애가 났 DB")]);
        let p = pace("ko", &tokens(&t), &speech_spans(&t), PaceBand { min: 240.0, max: 300.0 });
        assert_eq!((p.unit, p.unit_label, p.units), (PaceUnit::SyllablesPerMinute, "syllables/min", 10));
        assert_eq!(p.per_minute, None, "under 3 s of speech gives no figure");
        let long = plain("ko", &[(0, 4000, "데이터베이스 장애가 났 DB 데이터베이스 장애가 났")]);
        let p = pace("ko", &tokens(&long), &speech_spans(&long), PaceBand { min: 240.0, max: 300.0 });
        assert_eq!(p.per_minute, Some(300.0));
        assert_eq!(p.verdict, Some(PaceVerdict::InBand));
    }

    #[test]
    fn nfd_korean_counts_the_same_syllables_as_nfc() {
        let nfd = "\u{1112}\u{1161}\u{11ab}\u{1100}\u{116e}\u{11a8}"; // 한국, decomposed
        let t = plain("ko", &[(0, 1000, nfd)]);
        assert_eq!(pace("ko", &tokens(&t), &speech_spans(&t), BAND).units, 2);
    }

    #[test]
    fn the_series_has_one_point_per_ten_seconds_with_its_own_pace() {
        let fast = ["w"; 30].join(" ");
        let slow = ["w"; 10].join(" ");
        let t = plain("en", &[(0, 10_000, &fast), (10_000, 20_000, &slow), (20_000, 21_000, "end")]);
        let p = pace("en", &tokens(&t), &speech_spans(&t), BAND);
        let values: Vec<_> = p.series.iter().map(|s| s.per_minute).collect();
        assert_eq!(values, [Some(180.0), Some(60.0), None], "the last second is too short for a figure");
        assert_eq!((p.series[2].start_ms, p.series[2].end_ms), (20_000, 21_000));
    }

    #[test]
    fn a_slow_pace_is_named_slow() {
        let t = plain("en", &[(0, 60_000, &["w"; 90].join(" "))]);
        let p = pace("en", &tokens(&t), &speech_spans(&t), BAND);
        assert_eq!((p.per_minute, p.verdict), (Some(90.0), Some(PaceVerdict::Slow)));
    }
}
