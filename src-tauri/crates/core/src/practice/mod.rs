//! Schedule and review: practice sessions (`session`), spaced repetition (`schedule`),
//! self-scoring, bookmarks and blind re-rates (`review`), the library view's take query
//! (`query`) and readiness and progress over time (`progress`).

pub mod progress;
pub mod query;
pub mod review;
pub mod schedule;
pub mod session;
