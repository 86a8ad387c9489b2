use rehearse_audio::AudioError;
use rehearse_core::CoreError;

/// Errors of a rehearsal. Each has a stable kind for front ends.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Core(#[from] CoreError),
    #[error("{0}")]
    Audio(#[from] AudioError),
    #[error("cannot prepare the interviewer voices: {0}")]
    Voice(String),
    #[error("cannot start the {0} thread: {1}")]
    Thread(&'static str, String),
    #[error("the rehearsal thread stopped unexpectedly")]
    ThreadGone,
    /// Transcription could not run or failed on a take (the message says which and why).
    #[error("{0}")]
    Transcription(String),
    #[error("transcription cancelled")]
    Cancelled,
    /// A take or session step that did not happen, with its stable kind (too_short is the
    /// core's; cancelled, mic_lost, still_saving, not_practising, internal are these).
    #[error("{message}")]
    Failed { kind: &'static str, message: String },
}

impl EngineError {
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::Core(e) => e.kind(),
            EngineError::Audio(e) => e.kind(),
            EngineError::Voice(_) => "voice",
            EngineError::Thread(..) => "internal",
            EngineError::ThreadGone => "internal",
            EngineError::Transcription(_) => "transcription",
            EngineError::Cancelled => "cancelled",
            EngineError::Failed { kind, .. } => kind,
        }
    }
}
