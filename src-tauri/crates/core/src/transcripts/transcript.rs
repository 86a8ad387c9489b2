//! What was said in a take: the data a speech model hands back, as core stores and analyses
//! it. No model and no SQL here: the speech crate produces these values (through the engine's
//! transcription worker), `storage` keeps them, and the analyses (pace, fillers, "I" vs "we",
//! key points heard) read them.

use serde::{Deserialize, Serialize};

/// One take's transcript.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The language the model was told to hear ("en" or "ko"): the take's language.
    pub language: String,
    /// Which model produced it (file name and sha256), so a new model can transcribe again.
    pub model: ModelIdentity,
    /// Segments in time order, times from the start of the take.
    pub segments: Vec<Segment>,
}

/// A model's identity as stored beside each transcript.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelIdentity {
    /// A short name (e.g. "whisper-base").
    pub name: String,
    /// The sha256 of the model's weights, hex.
    pub sha256: String,
}

/// A stretch of speech the model wrote as one piece of text.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// Words with their own times, where the engine gives them (may be empty).
    pub words: Vec<Word>,
}

/// One word (or, for Korean, one space-separated eojeol) with its time in the take.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

impl Transcript {
    /// The whole text, segments joined by single spaces.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.text.trim()).filter(|t| !t.is_empty()).collect();
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_joins_trimmed_segments_and_skips_empty_ones() {
        let seg = |a, b, t: &str| Segment { start_ms: a, end_ms: b, text: t.into(), words: vec![] };
        let t = Transcript {
            language: "en".into(),
            model: ModelIdentity { name: "m".into(), sha256: "0".into() },
            segments: vec![seg(0, 900, " Hello there. "), seg(900, 1000, "  "), seg(1000, 2000, "I fixed it.")],
        };
        assert_eq!(t.text(), "Hello there. I fixed it.");
    }
}
