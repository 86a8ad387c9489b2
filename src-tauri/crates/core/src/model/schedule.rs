//! A question's place in the spaced-repetition schedule, as stored (the FSRS replay that
//! computes it is `practice::schedule`).

use serde::Serialize;

use crate::model::QuestionId;

/// Agains after which a question is a leech.
pub const LEECH_AGAINS: i64 = 3;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleRow {
    pub question_id: QuestionId,
    pub stability: f32,
    pub difficulty: f32,
    pub due_at: String,
    pub last_review: String,
    pub reviews: i64,
    pub agains: i64,
    pub leech: bool,
}
