//! A story of the story bank as it is stored: its id, what the user wrote, the stored row and
//! the editor's unsaved draft. The rules a story follows and what is computed from its
//! tellings are the `stories` feature's.

use serde::{Deserialize, Serialize};

use crate::model::QuestionId;

/// A story's id in this library.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoryId(pub i64);

impl std::fmt::Display for StoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What the user writes about a story. Korean and English may stand side by side in any
/// text. `primary` is one of `principles`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StoryFields {
    pub title: String,
    #[serde(default)]
    pub situation: String,
    #[serde(default)]
    pub task: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub result: String,
    /// The numbers in the result, e.g. "p95 latency 900 ms → 120 ms"; each has a digit.
    #[serde(default)]
    pub numbers: Vec<String>,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub year: Option<u16>,
    /// Principle tags (see `model::principles::PRINCIPLES`), the primary one among them.
    pub principles: Vec<String>,
    pub primary: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// 3 to 5 bullets to hit, or none.
    #[serde(default)]
    pub cue_card: Vec<String>,
    /// Questions of the decks this story is meant to answer.
    #[serde(default)]
    pub questions: Vec<QuestionId>,
    #[serde(default)]
    pub notes: String,
}

/// A stored story.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Story {
    pub id: StoryId,
    /// Its name across libraries (the story file carries it; a re-import updates the story).
    pub uid: String,
    /// Raised by every change: an edit based on an older one is refused.
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub fields: StoryFields,
    /// Takes that told it, and of those the ones rated Good or Easy.
    pub takes: u32,
    pub good_takes: u32,
}

/// What the editor has typed and not saved (kept as the user types: a kill loses nothing).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryDraft {
    /// The story it edits; None for a new story.
    pub story_id: Option<StoryId>,
    /// The revision the editor opened (None for a new story).
    pub base_revision: Option<i64>,
    /// The editor's fields as typed, valid or not (only their length is limited).
    pub body: serde_json::Value,
    pub saved_at: String,
}
