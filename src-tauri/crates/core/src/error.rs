use std::path::PathBuf;

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Errors of the core. Each carries what a user needs to act: the path, id or field.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("cannot {op} data folder {path}: {source}")]
    DataDir {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no data folder: set REHEARSE_DATA_DIR (the platform reports no data directory)")]
    NoDataDir,
    #[error("database {path} is not a Rehearse database or is damaged: {reason}")]
    CorruptDatabase { path: PathBuf, reason: String },
    #[error("database {path} was written by a newer Rehearse (schema {found}; this version knows up to {supported}); update Rehearse, nothing was changed")]
    DatabaseTooNew { path: PathBuf, found: i64, supported: i64 },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("no question with id \"{0}\" (run `rehearse-cli questions` to list them)")]
    UnknownQuestion(String),
    #[error("no take with id {0}")]
    UnknownTake(i64),
    #[error("scheduling failed: {0}")]
    Schedule(String),
    #[error("no questions match: choose another deck, category or tag")]
    EmptySession,
    #[error("no practice session with id {0}")]
    UnknownSession(i64),
    #[error("rating {0} is not one of 1 (again), 2 (hard), 3 (good), 4 (easy)")]
    InvalidRating(u8),
    #[error("deck {file}: {message}")]
    InvalidDeck { file: String, message: String },
    #[error("template {file}: {message}")]
    InvalidTemplate { file: String, message: String },
    #[error("no rehearsal session with id {0}")]
    UnknownRehearsal(i64),
    #[error("take file {file} cannot be used: {reason}")]
    Unrecoverable { file: String, reason: String },
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CoreError {
    /// A stable, machine-readable kind that front ends branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::DataDir { .. } | CoreError::NoDataDir => "data_dir",
            CoreError::CorruptDatabase { .. } => "corrupt_database",
            CoreError::DatabaseTooNew { .. } => "database_too_new",
            CoreError::Sql(_) | CoreError::Migration(_) => "database",
            CoreError::UnknownQuestion(_) => "unknown_question",
            CoreError::UnknownTake(_) => "unknown_take",
            CoreError::InvalidRating(_) => "invalid_rating",
            CoreError::EmptySession => "empty_session",
            CoreError::Schedule(_) => "schedule",
            CoreError::UnknownSession(_) => "unknown_session",
            CoreError::InvalidDeck { .. } => "invalid_deck",
            CoreError::Unrecoverable { .. } => "unrecoverable",
            CoreError::InvalidTemplate { .. } => "invalid_template",
            CoreError::UnknownRehearsal(_) => "unknown_rehearsal",
            CoreError::Io { .. } => "io",
        }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CoreError::Io { op, path: path.into(), source }
    }
}
