//! The error the UI receives: a stable `kind` to branch on and a readable `message`.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        CommandError { kind, message: message.into() }
    }
}

impl From<rehearse_core::CoreError> for CommandError {
    fn from(e: rehearse_core::CoreError) -> Self {
        CommandError::new(e.kind(), e.to_string())
    }
}

impl From<rehearse_audio::AudioError> for CommandError {
    fn from(e: rehearse_audio::AudioError) -> Self {
        CommandError::new(e.kind(), e.to_string())
    }
}

pub type CmdResult<T> = Result<T, CommandError>;

impl From<rehearse_engine::EngineError> for CommandError {
    fn from(e: rehearse_engine::EngineError) -> Self {
        CommandError::new(e.kind(), e.to_string())
    }
}
