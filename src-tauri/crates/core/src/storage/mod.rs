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
                    db.conn_mut().execute("UPDATE takes SET rating = ?2, best = 0 WHERE question_id = ?1", rusqlite::params![q, rating]).expect("update many");
                }
                8 => {
                    db.conn_mut().execute("DELETE FROM takes WHERE question_id = ?1 AND status = ?2", rusqlite::params![q, status]).expect("delete many");
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
                rusqlite::params![["q1", "q2"][rng.below(2) as usize], format!("takes/{i}.wav"), rating, ["ok", "recovered", "damaged"][rng.below(3) as usize], rng.below(2) as i64],
            )
            .expect("take");
        }
        schema::migrations().to_latest(&mut c).expect("v8");
        let (kept, counted) = take_counts_and_full_count(&c);
        assert_eq!(kept, counted);
        assert_eq!(kept.iter().map(|r| r.3).sum::<i64>(), 500);
        assert!(kept.len() >= 25, "both questions, every rating and status: {}", kept.len());
    }
}
