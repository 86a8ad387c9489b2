//! The self-scoring values of a take: its rubric, bookmarks and blind re-rates, as stored
//! and as front ends see them (the rules that check and change them are `practice::review`).

use serde::{Deserialize, Serialize};

use crate::model::{Take, TakeId};

/// How strongly an answer showed its leadership principle (the interviewers' scale).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipleLevel {
    Not,
    Demonstrated,
    Strong,
}

impl std::str::FromStr for PrincipleLevel {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "not" => Ok(PrincipleLevel::Not),
            "demonstrated" => Ok(PrincipleLevel::Demonstrated),
            "strong" => Ok(PrincipleLevel::Strong),
            other => Err(format!("principle level \"{}\" is not one of not, demonstrated, strong", crate::error::echo(other))),
        }
    }
}

/// The self-scoring checklist of one take. Stored as JSON in `takes.rubric_json`; a take
/// never scored has the default (nothing ticked).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rubric {
    /// Indices of the question's key points covered (positions in its key point list; the
    /// lists of each language are parallel). Sorted, no duplicates.
    pub key_points: Vec<u32>,
    pub situation: bool,
    pub task: bool,
    pub action: bool,
    pub result: bool,
    /// Said what *I* did rather than "we".
    pub i_not_we: bool,
    /// A number in the result.
    pub number: bool,
    pub principle: Option<PrincipleLevel>,
}

/// A moment of a take worth coming back to.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bookmark {
    pub id: i64,
    pub take_id: TakeId,
    pub at_ms: u64,
    pub note: String,
    pub created_at: String,
}

/// One blind re-rating of a take.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rerate {
    pub id: i64,
    pub take_id: TakeId,
    pub rating: u8,
    /// The take's own rating when it was re-rated (revealed only after re-rating).
    pub previous_rating: Option<u8>,
    pub rated_at: String,
}

/// A take to re-rate blind. Front ends should hide `take.rating` until it is re-rated.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RerateCandidate {
    pub take: Take,
    pub last_rerated_at: Option<String>,
}

/// How well re-ratings agree with the original ratings.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Re-rates of takes that had a rating.
    pub count: u64,
    /// Mean of |re-rate − original|; None before the first re-rate.
    pub mean_abs_difference: Option<f64>,
    /// Share of re-rates equal to the original (0..=1); None before the first re-rate.
    pub identical_share: Option<f64>,
}
