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
    // Review and self-scoring (rubric, bookmarks, re-rates, library query, readiness).
    #[error("key point {index} is out of range: question \"{question}\" has {count} key points, numbered from 0")]
    KeyPointOutOfRange { question: String, index: u32, count: usize },
    #[error("bookmark at {at_ms} ms is beyond the end of take {take} ({duration_ms} ms long)")]
    BookmarkBeyondEnd { take: i64, at_ms: u64, duration_ms: u64 },
    #[error("no bookmark with id {0}")]
    UnknownBookmark(i64),
    #[error("{field} \"{value}\" is not a date in the form YYYY-MM-DD")]
    InvalidDate { field: &'static str, value: String },
    #[error("no deck with id \"{0}\" (run `rehearse-cli deck list` to list them)")]
    UnknownDeck(String),
    #[error("\"{0}\" is not one of the 16 leadership principles ({list})", list = crate::progress::PRINCIPLES.iter().map(|p| p.tag).collect::<Vec<_>>().join(", "))]
    UnknownPrinciple(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("setting {key} cannot be \"{value}\": {expected}; nothing was changed")]
    InvalidSetting { key: &'static str, value: String, expected: &'static str },
    #[error("{path} already exists; choose another name (or allow overwriting a file: --overwrite); nothing was written")]
    DestinationExists { path: PathBuf },
    #[error("archive {path}: {reason}; nothing was changed")]
    BadArchive { path: PathBuf, reason: String },
    #[error("the library in {dir} is not empty ({what}); import into an empty data folder instead (e.g. --data-dir NEW_DIR); nothing was changed")]
    LibraryNotEmpty { dir: PathBuf, what: String },
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
            CoreError::DestinationExists { .. } => "destination_exists",
            CoreError::BadArchive { .. } => "bad_archive",
            CoreError::LibraryNotEmpty { .. } => "library_not_empty",
            CoreError::InvalidTemplate { .. } => "invalid_template",
            CoreError::UnknownRehearsal(_) => "unknown_rehearsal",
            CoreError::Io { .. } => "io",
            CoreError::KeyPointOutOfRange { .. } => "invalid_rubric",
            CoreError::BookmarkBeyondEnd { .. } => "invalid_bookmark",
            CoreError::UnknownBookmark(_) => "unknown_bookmark",
            CoreError::InvalidDate { .. } => "invalid_date",
            CoreError::UnknownDeck(_) => "unknown_deck",
            CoreError::UnknownPrinciple(_) => "unknown_principle",
            CoreError::InvalidQuery(_) => "invalid_query",
            CoreError::InvalidSetting { .. } => "invalid_setting",
        }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CoreError::Io { op, path: path.into(), source }
    }
}
