//! The error the UI receives: a stable `kind` to branch on, a readable `message` (English)
//! and the file it is about, for the UI's own wording of the kind in the user's language.

use std::path::Path;

use rehearse_core::CoreError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
    /// The name of the file the error is about, when there is one (the UI's `{{file}}`).
    pub file: Option<String>,
}

impl CommandError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        CommandError { kind, message: message.into(), file: None }
    }
}

/// The last part of a path, as the user named or sees the file.
fn file_name(path: &Path) -> String {
    path.file_name().unwrap_or(path.as_os_str()).to_string_lossy().into_owned()
}

impl From<CoreError> for CommandError {
    fn from(e: CoreError) -> Self {
        let file = match &e {
            CoreError::DestinationExists { path }
            | CoreError::BadArchive { path, .. }
            | CoreError::NotARegularFile { path, .. }
            | CoreError::CorruptDatabase { path, .. }
            | CoreError::DatabaseTooNew { path, .. }
            | CoreError::ReadOnly { path, .. }
            | CoreError::DiskFull { path }
            | CoreError::Io { path, .. } => Some(file_name(path)),
            CoreError::InvalidDeck { file, .. } | CoreError::InvalidTemplate { file, .. } | CoreError::Unrecoverable { file, .. } => {
                Some(file_name(Path::new(file)))
            }
            _ => None,
        };
        CommandError { file, ..CommandError::new(e.kind(), e.to_string()) }
    }
}

impl From<rehearse_audio::AudioError> for CommandError {
    fn from(e: rehearse_audio::AudioError) -> Self {
        CommandError::new(e.kind(), e.to_string())
    }
}

pub type CmdResult<T> = Result<T, CommandError>;

/// A start refused because something else runs: the kind names what runs (busy_call, ...).
impl From<rehearse_engine::Busy> for CommandError {
    fn from(e: rehearse_engine::Busy) -> Self {
        CommandError::new(e.kind(), e.to_string())
    }
}

impl From<rehearse_engine::EngineError> for CommandError {
    fn from(e: rehearse_engine::EngineError) -> Self {
        match e {
            rehearse_engine::EngineError::Core(e) => e.into(),
            e => CommandError::new(e.kind(), e.to_string()),
        }
    }
}
