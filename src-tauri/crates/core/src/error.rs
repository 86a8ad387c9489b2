use std::borrow::Cow;
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
    Sql(rusqlite::Error),
    #[error("{path} is read-only ({reason}): the library can be read, but nothing in it can be changed")]
    ReadOnly { path: PathBuf, reason: String },
    #[error("the disk holding {path} is full: the library can be read and takes deleted to free space, but nothing else can be changed until there is room")]
    DiskFull { path: PathBuf },
    #[error("the disk is full: take {take}'s files were deleted to free space, but its row could not be removed ({reason}); delete it again when there is room")]
    DeleteIncomplete { take: i64, reason: String },
    #[error("{what} is {chars} characters long; texts are limited to {max} characters; nothing was changed", max = MAX_TEXT_CHARS)]
    TextTooLong { what: String, chars: usize },
    #[error("database {path} could not be upgraded from schema {from}: {reason}; nothing was changed")]
    Migration { path: PathBuf, from: i64, reason: String },
    #[error("no question with id \"{}\" (run `rehearse-cli questions` to list them)", echo(.0))]
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
    #[error("too short, not kept: the take held {} s of audio (takes stopped before {} s are not kept)", fmt_secs(*.ms), fmt_secs(*.min_ms))]
    TooShort { ms: u64, min_ms: u64 },
    // Review and self-scoring (rubric, bookmarks, re-rates, library query, readiness).
    #[error("key point {index} is out of range: question \"{question}\" has {count} key points, numbered from 0")]
    KeyPointOutOfRange { question: String, index: u32, count: usize },
    #[error("bookmark at {at_ms} ms is beyond the end of take {take} ({duration_ms} ms long)")]
    BookmarkBeyondEnd { take: i64, at_ms: u64, duration_ms: u64 },
    #[error("no bookmark with id {0}")]
    UnknownBookmark(i64),
    #[error("{field} \"{}\" is not a date in the form YYYY-MM-DD", echo(.value))]
    InvalidDate { field: &'static str, value: String },
    #[error("interview date {} has already passed: give today or a later day", echo(.value))]
    InterviewDatePassed { value: String },
    #[error("interview date {} is more than two years away: give a day up to {latest}", echo(.value))]
    InterviewDateTooFar { value: String, latest: String },
    #[error("no deck with id \"{}\" (run `rehearse-cli deck list` to list them)", echo(.0))]
    UnknownDeck(String),
    #[error("\"{}\" is not one of the 16 leadership principles ({list})", echo(.0), list = crate::model::principles::PRINCIPLES.iter().map(|p| p.tag).collect::<Vec<_>>().join(", "))]
    UnknownPrinciple(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("setting {key} cannot be \"{}\": {expected}; nothing was changed", echo(.value))]
    InvalidSetting { key: &'static str, value: String, expected: &'static str },
    #[error("{path} already exists; choose another name; nothing was written")]
    DestinationExists { path: PathBuf },
    #[error("archive {path}: {reason}; nothing was changed")]
    BadArchive { path: PathBuf, reason: String },
    #[error("the library in {dir} is not empty ({what}); import into an empty data folder instead; nothing was changed")]
    LibraryNotEmpty { dir: PathBuf, what: String },
    #[error(
        "the database names the file \"{value}\", which is not inside the data folder's takes/ or sessions/; refused, no file was touched"
    )]
    UnsafeStoredPath { value: String },
    #[error("{path} is {what}, not a regular file: only a regular file is overwritten; nothing was written")]
    NotARegularFile { path: PathBuf, what: &'static str },
    #[error(
        "an import or export of everything is running in the data folder {dir}, so {refused} until it has finished; nothing was changed"
    )]
    ArchiveRunning { dir: PathBuf, refused: &'static str },
    #[error(
        "a recording (or the recovery of one) is running in the data folder {dir}, so {refused} until it has finished; nothing was changed"
    )]
    RecordingRunning { dir: PathBuf, refused: &'static str },
    #[error("language \"{0}\" is not one Rehearse transcribes (en or ko)")]
    UnknownLanguage(String),
    // The story bank.
    #[error("{what}: {message}; nothing was changed")]
    InvalidStory { what: String, message: String },
    #[error("no story with id {0} (run `rehearse-cli story list` to list them)")]
    UnknownStory(i64),
    #[error("story {id} was edited elsewhere since you opened it (it is at revision {found}, you opened revision {opened}); nothing was changed: reopen it to see the other change")]
    StoryEditConflict { id: i64, found: i64, opened: i64 },
    #[error("no story to drill: add a story mapped to a principle a deck asks about")]
    NoStoryToDrill,
    #[error("a story drill's answer time must be {min}-{max} s, not {secs} s; nothing was started")]
    InvalidDrillTime { secs: u32, min: u32, max: u32 },
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The one length limit of every stored text (see `text_limit`, which checks it).
pub const MAX_TEXT_CHARS: usize = 4000;

/// How many characters of a value from outside an error message repeats.
pub const ECHO_CHARS: usize = 80;

/// A value from outside (an id, an argument, a field of a file) as an error message quotes
/// it: its first ECHO_CHARS characters, then "…" when there were more, so that a 10 MB
/// argument never comes back as a 10 MB line. Every error that quotes input goes through
/// this (the CLI's argument errors too).
pub fn echo(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(ECHO_CHARS) {
        None => Cow::Borrowed(value),
        Some((end, _)) => Cow::Owned(format!("{}…", &value[..end])),
    }
}

impl CoreError {
    /// A stable, machine-readable kind that front ends branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::DataDir { .. } | CoreError::NoDataDir => "data_dir",
            CoreError::CorruptDatabase { .. } => "corrupt_database",
            CoreError::DatabaseTooNew { .. } => "database_too_new",
            CoreError::Sql(_) | CoreError::Migration { .. } => "database",
            CoreError::ReadOnly { .. } => "read_only",
            CoreError::TextTooLong { .. } => "text_too_long",
            CoreError::DiskFull { .. } | CoreError::DeleteIncomplete { .. } => "disk_full",
            CoreError::UnknownQuestion(_) => "unknown_question",
            CoreError::UnknownTake(_) => "unknown_take",
            CoreError::InvalidRating(_) => "invalid_rating",
            CoreError::EmptySession => "empty_session",
            CoreError::Schedule(_) => "schedule",
            CoreError::UnknownSession(_) => "unknown_session",
            CoreError::InvalidDeck { .. } => "invalid_deck",
            CoreError::Unrecoverable { .. } => "unrecoverable",
            CoreError::TooShort { .. } => "too_short",
            CoreError::DestinationExists { .. } => "destination_exists",
            CoreError::BadArchive { .. } => "bad_archive",
            CoreError::LibraryNotEmpty { .. } => "library_not_empty",
            CoreError::InvalidTemplate { .. } => "invalid_template",
            CoreError::UnknownRehearsal(_) => "unknown_rehearsal",
            CoreError::ArchiveRunning { .. } => "archive_running",
            CoreError::RecordingRunning { .. } => "recording_running",
            CoreError::Io { .. } => "io",
            CoreError::UnsafeStoredPath { .. } => "unsafe_path",
            CoreError::NotARegularFile { .. } => "not_a_regular_file",
            CoreError::UnknownLanguage(_) => "unknown_language",
            CoreError::KeyPointOutOfRange { .. } => "invalid_rubric",
            CoreError::BookmarkBeyondEnd { .. } => "invalid_bookmark",
            CoreError::UnknownBookmark(_) => "unknown_bookmark",
            CoreError::InvalidDate { .. } => "invalid_date",
            CoreError::InterviewDatePassed { .. } => "date_passed",
            CoreError::InterviewDateTooFar { .. } => "date_too_far",
            CoreError::UnknownDeck(_) => "unknown_deck",
            CoreError::UnknownPrinciple(_) => "unknown_principle",
            CoreError::InvalidQuery(_) => "invalid_query",
            CoreError::InvalidSetting { .. } => "invalid_setting",
            CoreError::InvalidStory { .. } => "invalid_story",
            CoreError::UnknownStory(_) => "unknown_story",
            CoreError::StoryEditConflict { .. } => "edit_conflict",
            CoreError::NoStoryToDrill => "no_story_to_drill",
            CoreError::InvalidDrillTime { .. } => "invalid_drill_time",
        }
    }

    /// A stored path that is not one of ours, the value cut for the message.
    pub(crate) fn unsafe_path(value: &str) -> Self {
        CoreError::UnsafeStoredPath { value: echo(&value.escape_debug().to_string()).into_owned() }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CoreError::Io { op, path: path.into(), source }
    }
}

/// Seconds for a message: "0.12", "0.5".
fn fmt_secs(ms: u64) -> String {
    let s = format!("{:.2}", ms as f64 / 1000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_happened_and_leave_cli_flags_to_the_cli() {
        let exists = CoreError::DestinationExists { path: "/x/all.zip".into() }.to_string();
        let not_empty = CoreError::LibraryNotEmpty { dir: "/x/data".into(), what: "4 takes".into() }.to_string();
        for m in [&exists, &not_empty] {
            assert!(!m.contains("--"), "a CLI flag in a core message: {m}");
        }
        assert!(exists.contains("/x/all.zip already exists") && not_empty.contains("empty data folder"), "{exists} / {not_empty}");
    }

    #[test]
    fn echoed_values_are_cut_to_80_characters_and_an_ellipsis() {
        assert_eq!(echo("db.deadlock"), "db.deadlock");
        let exact = "가".repeat(ECHO_CHARS);
        assert_eq!(echo(&exact), exact);
        let long = format!("{}{}", "가".repeat(ECHO_CHARS), "x".repeat(10 << 20));
        assert_eq!(echo(&long), format!("{}…", "가".repeat(ECHO_CHARS)));
    }

    #[test]
    fn an_error_quoting_a_huge_id_stays_short() {
        let e = CoreError::UnknownQuestion("q".repeat(10 << 20));
        let line = e.to_string();
        assert!(line.len() < 200 && line.contains(&format!("\"{}…\"", "q".repeat(ECHO_CHARS))), "{line}");
        let e = CoreError::InvalidSetting { key: "k", value: "v".repeat(5000), expected: "true or false" };
        assert!(e.to_string().len() < 200, "{e}");
    }
}
