//! SQLite storage: one connection opened once, pragmas set at open, append-only schema
//! migrations keyed by `PRAGMA user_version`, one module per table.

mod bookmarks;
mod decks;
mod rerates;
pub(crate) mod rehearsal;
pub(crate) mod schema;
mod settings;
pub(crate) mod takes;


use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{CoreError, Result};

pub use schema::SCHEMA_VERSION;

pub struct Storage {
    conn: Connection,
    path: PathBuf,
}

impl Storage {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// A damaged file or one from a newer Rehearse is refused without being changed.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(|e| corrupt(path, e))?;
        Self::init(conn, path.to_path_buf())
    }

    /// A private in-memory database running the real migrations (for tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Self> {
        // Reading the header is the first thing that fails on a file that is not SQLite.
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| corrupt(&path, e))?;
        if found > SCHEMA_VERSION {
            return Err(CoreError::DatabaseTooNew { path, found, supported: SCHEMA_VERSION });
        }
        conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| corrupt(&path, e))?;
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
        schema::migrations().to_latest(&mut conn)?;
        Ok(Storage { conn, path })
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

fn corrupt(path: &Path, e: rusqlite::Error) -> CoreError {
    CoreError::CorruptDatabase { path: path.to_path_buf(), reason: e.to_string() }
}

#[cfg(test)]
mod tests {
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
    fn migrations_are_valid() {
        schema::migrations().validate().expect("valid migrations");
    }
}
