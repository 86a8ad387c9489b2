//! A rehearsal as stored: its session row, the markers into its one session WAV, and a
//! template as listed (the rules that plan and record a rehearsal are `rehearsals`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateSummary {
    pub id: String,
    pub name: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
    pub builtin: bool,
    pub segments: usize,
    pub length_secs: u64,
}

/// What a marker marks. Stored by its snake_case name.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    SessionStart,
    SessionEnd,
    SegmentStart,
    SegmentEnd,
    QuestionStart,
    QuestionEnd,
    ProbeStart,
    ProbeEnd,
    /// The session was paused here: nothing was recorded until it resumed, so `pause` and
    /// the `resume` after it mark the same frame (the seam in the WAV).
    Pause,
    Resume,
    /// The answer clock started: the interviewer finished asking (plus any think time).
    /// Time used answering runs from here to the question's or probe's end marker.
    AnswerStart,
}

impl MarkerKind {
    pub const ALL: [MarkerKind; 11] = [
        MarkerKind::SessionStart,
        MarkerKind::SessionEnd,
        MarkerKind::SegmentStart,
        MarkerKind::SegmentEnd,
        MarkerKind::QuestionStart,
        MarkerKind::QuestionEnd,
        MarkerKind::ProbeStart,
        MarkerKind::ProbeEnd,
        MarkerKind::Pause,
        MarkerKind::Resume,
        MarkerKind::AnswerStart,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            MarkerKind::SessionStart => "session_start",
            MarkerKind::SessionEnd => "session_end",
            MarkerKind::SegmentStart => "segment_start",
            MarkerKind::SegmentEnd => "segment_end",
            MarkerKind::QuestionStart => "question_start",
            MarkerKind::QuestionEnd => "question_end",
            MarkerKind::ProbeStart => "probe_start",
            MarkerKind::ProbeEnd => "probe_end",
            MarkerKind::Pause => "pause",
            MarkerKind::Resume => "resume",
            MarkerKind::AnswerStart => "answer_start",
        }
    }

    pub fn parse(s: &str) -> Option<MarkerKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The marker that closes this one, for start markers.
    pub fn end(&self) -> Option<MarkerKind> {
        match self {
            MarkerKind::SessionStart => Some(MarkerKind::SessionEnd),
            MarkerKind::SegmentStart => Some(MarkerKind::SegmentEnd),
            MarkerKind::QuestionStart => Some(MarkerKind::QuestionEnd),
            MarkerKind::ProbeStart => Some(MarkerKind::ProbeEnd),
            _ => None,
        }
    }
}

/// A point in the session WAV, sample-accurate (frames from its first sample).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    pub id: i64,
    pub session_id: i64,
    pub kind: MarkerKind,
    pub label: String,
    pub question_id: Option<String>,
    /// The take cut for this question or probe, once it exists.
    pub take_id: Option<i64>,
    pub sample_offset: u64,
    pub created_at: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RehearsalSession {
    pub id: i64,
    pub template_id: String,
    pub language: String,
    pub options_json: String,
    /// When the microphone delivered its first sample (sample offset 0).
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The continuous session WAV, relative to the data folder.
    pub wav_path: String,
    pub sample_rate: u32,
    pub frames: Option<u64>,
    /// running, finished, mic_lost, failed, recovered, damaged.
    pub status: String,
}
