//! A practice session as asked for and as listed (the selection and bookkeeping are
//! `practice::session`, the report `reports`).

use serde::{Deserialize, Serialize};

use crate::model::{DeckId, Order};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PracticeOptions {
    pub deck_id: DeckId,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// How many questions (at most); 0 means all that match.
    #[serde(default)]
    pub count: usize,
    #[serde(default)]
    pub order: Order,
    /// "en" or "ko": the language the questions are shown in.
    pub language: String,
    /// Keep recording past the answer limit (the overrun is shown) instead of stopping.
    #[serde(default)]
    pub overtime: bool,
    /// Seed for the shuffled order (a fresh one is chosen when absent).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A session as listed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    pub id: i64,
    /// "practice" (the only kind so far).
    pub kind: String,
    pub deck_id: Option<String>,
    /// The language the questions were shown in.
    pub language: String,
    pub started_at: String,
    /// None while the session is open (or was never ended).
    pub ended_at: Option<String>,
    pub questions: usize,
    pub takes: usize,
}
