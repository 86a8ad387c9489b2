//! SQLite storage: one connection opened once, pragmas set at open, append-only schema
//! migrations keyed by `PRAGMA user_version`, one module per table.
//!
//! Over 500 lines for its tests: the connection, pragmas and migration checks are about 280 lines;
//! the rest tests them on real files.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

pub(crate) mod archive_db;
mod bookmarks;
mod decks;
mod metrics;
pub(crate) mod rehearsal;
mod rerates;
mod schedule;
pub(crate) mod schema;
mod sessions;
mod settings;
pub(crate) mod stories;
pub(crate) mod take_query;
pub(crate) mod takes;
pub mod transcripts;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::error::{CoreError, Result};

pub use schema::SCHEMA_VERSION;

pub struct Storage {
    conn: Connection,
    path: PathBuf,
    access: Access,
}

/// How the database is open: for writing, or only for reading and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// `path` (the data folder or the database file) cannot be written: `reason` says why.
    ReadOnly {
        path: PathBuf,
        reason: String,
    },
    /// The disk holding `path` (the data folder) has no room left: SQLite cannot even
    /// make its shared-memory file, so the database is read without one.
    DiskFull {
        path: PathBuf,
    },
}

impl Access {
    /// The error a write gets, or None when writing is possible.
    pub fn refusal(&self) -> Option<CoreError> {
        match self {
            Access::ReadWrite => None,
            Access::ReadOnly { path, reason } => Some(CoreError::ReadOnly { path: path.clone(), reason: reason.clone() }),
            Access::DiskFull { path } => Some(CoreError::DiskFull { path: path.clone() }),
        }
    }
}

/// Databases this process has open for reading only. rusqlite's error for a refused write
/// does not say which database refused it; with one such database open (a front end opens
/// one library), the error names it and says why (`CoreError::from`).
static READ_ONLY_OPEN: Mutex<Vec<(PathBuf, Access)>> = Mutex::new(Vec::new());

/// The refusal of the one database open read-only, if exactly one is.
pub(crate) fn read_only_refusal() -> Option<CoreError> {
    let open = READ_ONLY_OPEN.lock().ok()?;
    match open.as_slice() {
        [(_, access)] => access.refusal(),
        _ => None,
    }
}

/// How SQLite's errors become core errors is storage's knowledge, kept here so that the
/// error type below it needs none.
impl From<rusqlite::Error> for CoreError {
    /// SQLite's "attempt to write a readonly database" does not say which: a write refused
    /// by a database this process opened read-only says which file and why.
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) {
            if let Some(refusal) = read_only_refusal() {
                return refusal;
            }
        }
        CoreError::Sql(e)
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        if self.access != Access::ReadWrite {
            if let Ok(mut open) = READ_ONLY_OPEN.lock() {
                if let Some(i) = open.iter().position(|(p, _)| p == &self.path) {
                    open.remove(i);
                }
            }
        }
    }
}

/// Below this much free space a database that cannot be opened for writing is taken to
/// be on a full disk (SQLite needs 32 KiB for its -shm file and a few pages of WAL).
const FULL_DISK_BYTES: u64 = 1 << 20;

impl Storage {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// A damaged file or one from a newer Rehearse is refused without being changed. On a
    /// full disk, where SQLite cannot make its -shm file, it is opened for reading only.
    pub fn open(path: &Path) -> Result<Self> {
        match Connection::open(path).map_err(|e| corrupt(path, e)).and_then(|c| Self::init(c, path.to_path_buf())) {
            Err(e) if path.exists() && disk_is_full(path) => {
                let folder = path.parent().unwrap_or(path).to_path_buf();
                Self::open_read_only(path, Access::DiskFull { path: folder }).map_err(|_| e)
            }
            other => other,
        }
    }

    /// Opens an existing database for reading only (a read-only folder or file, a full
    /// disk), as SQLite allows it: first as an ordinary reader (`mode=ro`: a WAL is read
    /// through its -shm file, which must exist or be creatable); when the -shm file cannot
    /// be made and no -wal file holds changes, the file alone is the whole database and is
    /// read as `immutable` (no -shm, no locks: nothing can write it meanwhile anyway).
    pub fn open_read_only(path: &Path, access: Access) -> Result<Self> {
        let refusal =
            || access.refusal().unwrap_or_else(|| CoreError::ReadOnly { path: path.to_path_buf(), reason: "opened for reading".into() });
        if !path.exists() {
            return Err(refusal());
        }
        let uri = sqlite_uri(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let reader = |params: &str| -> rusqlite::Result<Connection> {
            let c = Connection::open_with_flags(format!("{uri}?{params}"), flags)?;
            c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
            Ok(c)
        };
        let conn = match reader("mode=ro") {
            Ok(c) => c,
            Err(first) => {
                if wal_holds_changes(path) {
                    return Err(CoreError::CorruptDatabase {
                        path: path.to_path_buf(),
                        reason: format!(
                            "it cannot be read here ({first}), and its -wal file holds changes that only a writable folder can apply"
                        ),
                    });
                }
                reader("immutable=1").map_err(|e| corrupt(path, e))?
            }
        };
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| corrupt(path, e))?;
        if found > SCHEMA_VERSION {
            return Err(CoreError::DatabaseTooNew { path: path.to_path_buf(), found, supported: SCHEMA_VERSION });
        }
        if found < SCHEMA_VERSION {
            // Its schema must be upgraded first, which is a write.
            return Err(refusal());
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(|e| corrupt(path, e))?;
        if ok != "ok" {
            return Err(CoreError::CorruptDatabase { path: path.to_path_buf(), reason: ok });
        }
        if let Ok(mut open) = READ_ONLY_OPEN.lock() {
            open.push((path.to_path_buf(), access.clone()));
        }
        Ok(Storage { conn, path: path.to_path_buf(), access })
    }

    /// A private in-memory database running the real migrations (for tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    /// Whether writes are possible, and why not.
    pub fn access(&self) -> &Access {
        &self.access
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Self> {
        // Reading the header is the first thing that fails on a file that is not SQLite.
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| corrupt(&path, e))?;
        if found > SCHEMA_VERSION {
            return Err(CoreError::DatabaseTooNew { path, found, supported: SCHEMA_VERSION });
        }
        set_wal(&conn, &path)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Up to 64 MiB of page cache (filled only as pages are read): the library view looks
        // takes up in index order, which is random in the table; with SQLite's default 2 MiB a
        // large library pays a read from the OS for most of them.
        conn.pragma_update(None, "cache_size", -65_536)?;
        let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(|e| corrupt(&path, e))?;
        if ok != "ok" {
            return Err(CoreError::CorruptDatabase { path, reason: ok });
        }
        if found < SCHEMA_VERSION {
            schema::migrate(&mut conn).map_err(|e| CoreError::Migration { path: path.clone(), from: found, reason: e.to_string() })?;
        }
        Ok(Storage { conn, path, access: Access::ReadWrite })
    }

    pub(crate) fn conn_ref(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a transaction that commits only if it returns Ok.
    pub(crate) fn transact<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Switching a new file to WAL needs it alone for a moment, and SQLite reports another
/// process opening it at the same moment as busy at once, without the busy handler:
/// retried for as long as the busy timeout would have waited.
fn set_wal(conn: &Connection, path: &Path) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) if is_busy(&e) => return Err(e.into()),
            Err(e) => return Err(corrupt(path, e)),
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Is the disk holding `path` (nearly) out of space?
pub(crate) fn disk_is_full(path: &Path) -> bool {
    fs4::available_space(path.parent().unwrap_or(path)).is_ok_and(|free| free < FULL_DISK_BYTES)
}

/// Does the database's -wal file hold frames (changes not yet in the database file)?
fn wal_holds_changes(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0)
}

/// `file:` URI of a path, every byte but unreserved ones percent-encoded (SQLite decodes them).
fn sqlite_uri(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut uri = String::from("file:");
    if !cfg!(unix) && bytes.get(1) == Some(&b':') {
        uri.push('/'); // file:/C:/... on Windows
    }
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            uri.push(b as char);
        } else {
            uri += &format!("%{b:02X}");
        }
    }
    uri
}

fn corrupt(path: &Path, e: rusqlite::Error) -> CoreError {
    CoreError::CorruptDatabase { path: path.to_path_buf(), reason: e.to_string() }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_fresh_database_gets_the_current_schema_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Storage::open(&dir.path().join("r.db")).expect("open");
        let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
        assert_eq!(mode, "wal");
        let fk: i64 = s.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("fk");
        assert_eq!(fk, 1);
    }

    #[test]
    fn connections_opening_one_new_file_at_the_same_moment_all_succeed_and_migrate_it_once() {
        // Separate connections lock the file as separate processes do.
        for round in 0..10 {
            let dir = tempfile::tempdir().expect("tempdir");
            let p = dir.path().join("r.db");
            let gate = std::sync::Arc::new(std::sync::Barrier::new(6));
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    let (p, gate) = (p.clone(), gate.clone());
                    std::thread::spawn(move || {
                        gate.wait();
                        Storage::open(&p).map(drop)
                    })
                })
                .collect();
            for o in openers {
                o.join().expect("thread").unwrap_or_else(|e| panic!("round {round}: {e}"));
            }
            let s = Storage::open(&p).expect("reopen");
            let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
            assert_eq!(v, SCHEMA_VERSION);
            let tables: i64 = s.conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'decks'", [], |r| r.get(0)).expect("count");
            assert_eq!(tables, 1);
        }
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_and_left_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("r.db");
        {
            let c = Connection::open(&p).expect("open");
            c.execute_batch("CREATE TABLE future(x); PRAGMA user_version = 99;").expect("setup");
        }
        let before = std::fs::read(&p).expect("read");
        let err = Storage::open(&p).err().expect("refused");
        assert_eq!(err.kind(), "database_too_new");
        assert!(err.to_string().contains("schema 99"), "{err}");
        assert_eq!(std::fs::read(&p).expect("read"), before);
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_and_left_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("r.db");
        let junk = b"this is not a database, just some text that is long enough to have a header".repeat(20);
        std::fs::write(&p, &junk).expect("write");
        let err = Storage::open(&p).err().expect("refused");
        assert_eq!(err.kind(), "corrupt_database");
        assert!(err.to_string().contains("r.db"), "{err}");
        assert_eq!(std::fs::read(&p).expect("read"), junk);
    }

    #[test]
    fn a_database_opened_read_only_is_read_and_a_write_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("r.db");
        drop(Storage::open(&p).expect("create"));
        let before = std::fs::read(&p).expect("read");
        let access = Access::ReadOnly { path: p.clone(), reason: "its file system is mounted read-only".into() };
        let mut s = Storage::open_read_only(&p, access).expect("open for reading");
        assert_eq!(s.setting("nothing").expect("read"), None);
        let err = s.set_setting("language", Some("ko")).expect_err("refused");
        assert_eq!(err.kind(), "read_only");
        assert!(err.to_string().contains(&p.display().to_string()) && err.to_string().contains("mounted read-only"), "{err}");
        drop(s);
        assert_eq!(std::fs::read(&p).expect("read"), before);
    }

    #[test]
    fn migrations_are_valid() {
        schema::migrations().validate().expect("valid migrations");
    }

    /// (question, rating or 0, status, takes): a row of `take_counts`.
    type CountRow = (String, i64, String, i64);

    /// `take_counts` as stored and as a full count of the takes gives it, both sorted.
    pub(crate) fn take_counts_and_full_count(conn: &Connection) -> (Vec<CountRow>, Vec<CountRow>) {
        let rows = |sql: &str| -> Vec<CountRow> {
            let mut st = conn.prepare(sql).expect("prepare");
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).expect("query");
            rows.collect::<rusqlite::Result<_>>().expect("rows")
        };
        (
            rows("SELECT question_id, rating, status, n FROM take_counts ORDER BY 1, 2, 3"),
            rows("SELECT question_id, coalesce(rating, 0), status, count(*) FROM takes GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
        )
    }

    use crate::rng::SplitMix64 as Rng;

    #[test]
    fn take_counts_follow_every_insert_delete_and_change_of_question_rating_status_and_best() {
        use crate::model::{QuestionId, TakeId};
        let (_d, mut lib) = crate::library::Library::open_temp();
        let questions: Vec<String> = lib.questions().expect("questions").into_iter().map(|q| q.id.0).step_by(16).collect();
        assert!(questions.len() >= 4);
        let statuses = ["ok", "recovered", "damaged"];
        let mut rng = Rng(5);
        let mut n = 0;
        let mut ops = [0usize; 10];
        for step in 0..600 {
            let ids: Vec<i64> = {
                let c = lib.storage_ref().conn_ref();
                let mut st = c.prepare("SELECT id FROM takes ORDER BY id").expect("ids");
                st.query_map([], |r| r.get(0)).expect("ids").collect::<rusqlite::Result<_>>().expect("ids")
            };
            let some = |rng: &mut Rng| ids.get(rng.below(ids.len().max(1) as u64) as usize).copied();
            let q = questions[rng.below(questions.len() as u64) as usize].clone();
            let status = statuses[rng.below(3) as usize];
            let rating = match rng.below(5) {
                0 => None,
                r => Some(r as u8),
            };
            let op = if ids.len() < 5 { 0 } else { rng.below(10) as usize };
            ops[op] += 1;
            let db = lib.storage();
            match op {
                0 | 1 => {
                    n += 1;
                    let file = format!("takes/t{n}.wav");
                    let qid = QuestionId(q.clone());
                    db.insert_take(&super::takes::NewTake {
                        question_id: &qid,
                        started_at: "2026-03-01T10:00:00.000Z",
                        duration_ms: 1_000,
                        sample_rate: 48_000,
                        channels: 1,
                        file_path: &file,
                        dropped_frames: 0,
                        device: "test",
                        status,
                        stop_reason: None,
                        session_id: None,
                        start_delay_ms: None,
                    })
                    .expect("insert");
                }
                2 => drop(db.delete_take(TakeId(some(&mut rng).expect("a take"))).expect("delete")),
                3 => db.set_rating(TakeId(some(&mut rng).expect("a take")), rating).expect("rate"),
                4 => db.set_take_status(TakeId(some(&mut rng).expect("a take")), status, 2_000).expect("status"),
                5 => db.set_best(TakeId(some(&mut rng).expect("a take"))).expect("best"),
                6 => {
                    // Question, rating and status at once, or unchanged values (no-op update).
                    let id = some(&mut rng).expect("a take");
                    let same = rng.below(3) == 0;
                    let sql = if same {
                        "UPDATE takes SET question_id = question_id, rating = rating, status = status, notes = 'x' WHERE id = ?1"
                    } else {
                        "UPDATE takes SET question_id = ?2, rating = ?3, status = ?4 WHERE id = ?1"
                    };
                    let c = db.conn_mut();
                    if same {
                        c.execute(sql, [id]).expect("update");
                    } else {
                        c.execute(sql, rusqlite::params![id, q, rating, status]).expect("update");
                    }
                }
                7 => {
                    // Many rows in one statement.
                    db.conn_mut()
                        .execute("UPDATE takes SET rating = ?2, best = 0 WHERE question_id = ?1", rusqlite::params![q, rating])
                        .expect("update many");
                }
                8 => {
                    db.conn_mut()
                        .execute("DELETE FROM takes WHERE question_id = ?1 AND status = ?2", rusqlite::params![q, status])
                        .expect("delete many");
                }
                _ => {
                    // A transaction rolled back leaves the counts as they were.
                    let tx = db.conn_mut().transaction().expect("tx");
                    tx.execute("UPDATE takes SET status = ?1", [status]).expect("update all");
                    tx.execute("DELETE FROM takes WHERE id = ?1", [some(&mut rng).expect("a take")]).expect("delete");
                    tx.rollback().expect("rollback");
                }
            }
            let (kept, counted) = take_counts_and_full_count(lib.storage_ref().conn_ref());
            assert_eq!(kept, counted, "step {step}, operation {op}");
        }
        assert!(ops.iter().all(|&k| k > 10), "every operation ran: {ops:?}");
    }

    #[test]
    fn the_v8_migration_counts_the_takes_already_there() {
        let mut c = Connection::open_in_memory().expect("open");
        schema::migrations().to_version(&mut c, 7).expect("v7");
        c.execute_batch(
            "INSERT INTO decks (id, name_json, languages_json, updated_at) VALUES ('d', '{}', '[\"en\"]', 'now');
             INSERT INTO questions (id, deck_id, position, category, think_secs, answer_secs, retakes, text_json)
                 VALUES ('q1', 'd', 1, 'c', 1, 1, 1, '{}'), ('q2', 'd', 2, 'c', 1, 1, 1, '{}');",
        )
        .expect("questions");
        let mut rng = Rng(11);
        for i in 0..500 {
            let rating = match rng.below(5) {
                0 => None,
                r => Some(r as i64),
            };
            c.execute(
                "INSERT INTO takes (question_id, started_at, duration_ms, sample_rate, channels, file_path, rating, status, best)
                 VALUES (?1, '2026-01-01T00:00:00.000Z', 1000, 48000, 1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    ["q1", "q2"][rng.below(2) as usize],
                    format!("takes/{i}.wav"),
                    rating,
                    ["ok", "recovered", "damaged"][rng.below(3) as usize],
                    rng.below(2) as i64
                ],
            )
            .expect("take");
        }
        schema::migrations().to_latest(&mut c).expect("v8");
        let (kept, counted) = take_counts_and_full_count(&c);
        assert_eq!(kept, counted);
        assert_eq!(kept.iter().map(|r| r.3).sum::<i64>(), 500);
        assert!(kept.len() >= 25, "both questions, every rating and status: {}", kept.len());
    }

    #[test]
    fn the_v9_migration_gives_old_takes_their_sessions_language_else_the_interface_language() {
        let mut c = Connection::open_in_memory().expect("open");
        schema::migrations().to_version(&mut c, 8).expect("v8");
        c.execute_batch(
            "INSERT INTO decks (id, name_json, languages_json, updated_at) VALUES ('d', '{}', '[\"en\"]', 'now');
             INSERT INTO questions (id, deck_id, position, category, think_secs, answer_secs, retakes, text_json)
                 VALUES ('q1', 'd', 1, 'c', 1, 1, 1, '{}');
             INSERT INTO settings (key, value) VALUES ('ui_language', 'ko');
             INSERT INTO sessions (id, deck_id, language, started_at) VALUES (1, 'd', 'en', 'now');
             INSERT INTO takes (id, question_id, started_at, duration_ms, sample_rate, channels, file_path, session_id)
                 VALUES (1, 'q1', 'now', 1, 48000, 1, 'a.wav', 1), (2, 'q1', 'now', 1, 48000, 1, 'b.wav', NULL);",
        )
        .expect("v8 rows");
        schema::migrations().to_latest(&mut c).expect("v9");
        let mut st = c.prepare("SELECT language FROM takes ORDER BY id").expect("prepare");
        let langs: Vec<String> = st.query_map([], |r| r.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows");
        assert_eq!(langs, ["en", "ko"]);
    }
}
