//! A take's speech metrics as measured and kept (measuring is `takes::analysis`).

use serde::{Deserialize, Serialize};

use crate::model::{QuestionId, TakeId};

#[cfg_attr(feature = "specta", derive(specta::Type))]
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

/// The metrics a progress chart draws for one take.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointMetrics {
    /// None when no speech was found.
    pub time_to_first_word_ms: Option<u64>,
    pub speaking_ms: u64,
    pub silence_ms: u64,
    /// Pauses over 2 s between speech.
    pub long_pauses: u32,
    pub longest_pause_ms: u64,
}

impl PointMetrics {
    pub(crate) fn from_columns(first_word_ms: Option<i64>, speaking_ms: i64, silence_ms: i64, pauses_json: &str) -> Self {
        let pauses: Vec<u64> = serde_json::from_str(pauses_json).unwrap_or_default();
        PointMetrics {
            time_to_first_word_ms: first_word_ms.map(|v| v.max(0) as u64),
            speaking_ms: speaking_ms.max(0) as u64,
            silence_ms: silence_ms.max(0) as u64,
            long_pauses: pauses.len() as u32,
            longest_pause_ms: pauses.iter().copied().max().unwrap_or(0),
        }
    }
}

/// One take on a progress chart.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressPoint {
    /// When the take was recorded (RFC 3339, UTC).
    pub at: String,
    pub take_id: TakeId,
    pub question_id: QuestionId,
    pub rating: Option<u8>,
    pub duration_ms: u64,
    /// Speech metrics, once the take has been measured (see `takes::metrics_store`).
    pub metrics: Option<PointMetrics>,
    /// Pace and fillers per minute, once the take has been transcribed.
    pub speech: Option<SpeechFigures>,
}

/// How pace is counted.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceUnit {
    /// Words (tokens with a letter or digit) per minute.
    WordsPerMinute,
    /// Hangul syllables per minute (Latin words and digits inside Korean speech are not counted).
    SyllablesPerMinute,
}

impl PaceUnit {
    pub fn for_language(language: &str) -> PaceUnit {
        if language == "ko" {
            PaceUnit::SyllablesPerMinute
        } else {
            PaceUnit::WordsPerMinute
        }
    }

    /// The short unit shown beside a figure.
    pub fn abbreviation(self) -> &'static str {
        match self {
            PaceUnit::WordsPerMinute => "wpm",
            PaceUnit::SyllablesPerMinute => "syllables/min",
        }
    }
}

/// The figures of a take's transcript that progress charts draw over time (computed by
/// `transcripts::transcript_analysis`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeechFigures {
    pub language: String,
    pub pace_unit: PaceUnit,
    /// Words (English) or Hangul syllables (Korean) per minute of speaking time.
    pub pace_per_minute: Option<f64>,
    pub fillers_per_minute: Option<f64>,
}
