//! What was said in a take: the transcript values a speech model hands back (`transcript`),
//! transcripts kept per take (`transcript_store`) and what is read from them: pace,
//! fillers, "I" vs "we", key points heard (`transcript_analysis`).

pub mod transcript;
pub mod transcript_analysis;
pub mod transcript_store;
