//! Typed ids and the rows front ends see.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod markers;
pub mod metrics;
pub mod principles;
pub mod rubric;
pub mod schedule;
pub mod sessions;
pub mod stories;

macro_rules! string_id {
    ($name:ident) => {
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }
    };
}
string_id!(DeckId);
string_id!(QuestionId);

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TakeId(pub i64);

impl std::fmt::Display for TakeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A deck as listed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeckSummary {
    pub id: DeckId,
    pub name: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
    pub languages: Vec<String>,
    pub builtin: bool,
    pub questions: i64,
}

/// A question as stored, with its texts per language code ("en", "ko").
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub id: QuestionId,
    pub deck_id: DeckId,
    pub position: i64,
    pub category: String,
    pub tags: Vec<String>,
    pub think_secs: u32,
    pub answer_secs: u32,
    pub retakes: u32,
    pub text: BTreeMap<String, String>,
    pub key_points: BTreeMap<String, Vec<String>>,
    /// Per language, per key point (parallel to `key_points`): the terms that show it was
    /// said. Languages whose key points have no terms are absent.
    pub key_point_terms: BTreeMap<String, Vec<Vec<String>>>,
    pub probes: BTreeMap<String, Vec<String>>,
}

impl Question {
    /// The text in `lang`, falling back to English, then to any language.
    pub fn text_in(&self, lang: &str) -> &str {
        self.text.get(lang).or_else(|| self.text.get("en")).or_else(|| self.text.values().next()).map(String::as_str).unwrap_or("")
    }
}

/// One recorded answer.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Take {
    pub id: TakeId,
    pub question_id: QuestionId,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// From the sample count, not the wall clock.
    pub duration_ms: u64,
    pub sample_rate: u32,
    pub channels: u16,
    /// Relative to the data folder.
    pub file_path: String,
    pub rating: Option<u8>,
    pub notes: String,
    pub dropped_frames: u64,
    pub device: String,
    /// "ok"; "recovered" when it was rebuilt from a file left by a crash; "damaged" when
    /// its file cannot be read.
    pub status: String,
    /// Why recording ended by itself, if it did: mic_lost, write_failed, disk_low, size_cap.
    pub stop_reason: Option<String>,
    /// The practice session it was recorded in, if any.
    pub session_id: Option<i64>,
    /// Marked by the user as their best answer to the question.
    pub best: bool,
    /// How late the first sample came after the scheduled (automatic) start, in ms.
    pub start_delay_ms: Option<i64>,
    /// The self-scoring checklist (key points covered, STAR, ...); all empty until scored.
    pub rubric: rubric::Rubric,
    /// For a rehearsal's follow-up probe: the take of the question it followed.
    pub parent_take_id: Option<i64>,
    /// For a rehearsal's follow-up probe: the probe as asked.
    pub probe: Option<String>,
    /// "en" or "ko": the language the answer was given in (the question's language when
    /// it was recorded; the user may correct it). The speech model is told it.
    pub language: String,
}

/// The order of a practice session's questions.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    InOrder,
    Shuffled,
    /// Questions due for review first (earliest first), then new ones, then the rest.
    DueFirst,
}
