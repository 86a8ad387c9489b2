//! The database inside an archive is checked in the staging folder before anything moves:
//! its schema must be exactly what Rehearse's own migrations make (no table, index, view
//! or trigger more or less), SQLite's integrity and foreign-key checks must pass, every
//! stored file path must lie inside `takes/` or `sessions/`, and it decides which files
//! the archive may hold and how large each may be (an entry nothing refers to is refused,
//! so a zip bomb cannot ride along under a name of its own).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{schema, Storage, SCHEMA_VERSION};
use crate::datadir::layout::{peaks_of, sidecar_of};
use crate::error::{echo, CoreError, Result};
use crate::paths::check_stored_path;

/// One row of `sqlite_schema`: type, name, table, SQL text (None for automatic indexes).
type SchemaRow = (String, String, String, Option<String>);

fn schema_rows(c: &Connection) -> rusqlite::Result<Vec<SchemaRow>> {
    let mut st = c.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// The schema the real migrations make at `version`, on an in-memory database: a new
/// migration is covered the day it is added, with nothing re-typed here.
fn expected_schema(version: i64) -> Result<Vec<SchemaRow>> {
    let mut c = Connection::open_in_memory()?;
    if !(0..=SCHEMA_VERSION).contains(&version) {
        return Err(CoreError::InvalidQuery(format!("schema version {version}")));
    }
    schema::migrate_to(&mut c, version)?;
    Ok(schema_rows(&c)?)
}

/// What differs between a database's schema and the expected one, in one phrase.
fn schema_difference(found: &[SchemaRow], expected: &[SchemaRow]) -> Option<String> {
    let key = |r: &SchemaRow| (r.0.clone(), r.1.clone());
    let want: BTreeMap<_, _> = expected.iter().map(|r| (key(r), r)).collect();
    let have: BTreeMap<_, _> = found.iter().map(|r| (key(r), r)).collect();
    if let Some(((kind, name), _)) = have.iter().find(|(k, _)| !want.contains_key(*k)) {
        return Some(format!(
            "it has {} {kind} \"{}\" that Rehearse does not make",
            if kind == "index" { "an" } else { "a" },
            echo(&name.escape_debug().to_string())
        ));
    }
    if let Some(((kind, name), _)) = want.iter().find(|(k, _)| !have.contains_key(*k)) {
        return Some(format!("its {kind} \"{name}\" is missing"));
    }
    have.iter()
        .find(|(k, r)| want.get(*k) != Some(*r))
        .map(|((kind, name), _)| format!("its {kind} \"{name}\" is not defined as Rehearse defines it"))
}

/// Checks the staged database of `archive` and upgrades it by the normal migrations when it
/// is older. `schema` is what the manifest says. Nothing outside `db` is touched.
pub(crate) fn check_staged_database(archive: &Path, db: &Path, schema: i64) -> Result<()> {
    let bad = |reason: String| CoreError::BadArchive { path: archive.to_path_buf(), reason: format!("the database in it {reason}") };
    {
        // Read only, before any migration runs on it: a trigger of its own never fires.
        let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| bad(format!("cannot be opened: {e}")))?;
        let found: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| bad(format!("is not readable: {e}")))?;
        if found != schema {
            return Err(bad(format!("has schema {found} but manifest.json says {schema}")));
        }
        let rows = schema_rows(&c).map_err(|e| bad(format!("is not readable: {e}")))?;
        if let Some(diff) = schema_difference(&rows, &expected_schema(schema)?) {
            return Err(bad(format!("is not one Rehearse wrote: {diff}")));
        }
        check_database_content(&c).map_err(bad)?;
    }
    match Storage::open(db) {
        Ok(s) => {
            // The migrations ran: the result must be today's schema, exactly.
            let rows = schema_rows(s.conn_ref())?;
            if let Some(diff) = schema_difference(&rows, &expected_schema(SCHEMA_VERSION)?) {
                return Err(bad(format!("does not upgrade to the current schema: {diff}")));
            }
            Ok(())
        }
        Err(CoreError::CorruptDatabase { reason, .. }) => Err(bad(format!("is damaged: {reason}"))),
        Err(e) => Err(bad(format!("cannot be opened: {e}"))),
    }
}

/// SQLite's own checks, then every stored path.
fn check_database_content(c: &Connection) -> std::result::Result<(), String> {
    let mut st = c.prepare("PRAGMA integrity_check").map_err(|e| format!("is not readable: {e}"))?;
    let problems: Vec<String> = st.query_map([], |r| r.get(0)).and_then(|r| r.collect()).map_err(|e| format!("is damaged: {e}"))?;
    if problems != ["ok"] {
        return Err(format!("is damaged: {}", echo(&problems.join("; "))));
    }
    let mut st = c.prepare("PRAGMA foreign_key_check").map_err(|e| format!("is not readable: {e}"))?;
    let broken: Option<(String, i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0), r.get(2)?)))
        .and_then(|mut r| r.next().transpose())
        .map_err(|e| format!("is damaged: {e}"))?;
    if let Some((table, row, parent)) = broken {
        return Err(format!("is inconsistent: row {row} of {table} refers to a missing row of {parent}"));
    }
    for (table, column, value) in stored_paths(c).map_err(|e| format!("is not readable: {e}"))? {
        match check_stored_path(&value) {
            Ok(()) => {}
            Err(CoreError::UnsafeStoredPath { value }) => {
                return Err(format!(
                    "names the file \"{value}\" ({table}.{column}), which is not inside the data folder's takes/ or sessions/"
                ))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

/// Every file path the database stores: (table, column, value).
fn stored_paths(c: &Connection) -> rusqlite::Result<Vec<(&'static str, &'static str, String)>> {
    let mut out = vec![];
    for (table, column, sql) in [
        ("takes", "file_path", "SELECT file_path FROM takes"),
        ("sessions", "wav_path", "SELECT wav_path FROM sessions WHERE wav_path IS NOT NULL AND wav_path != ''"),
    ] {
        // Older schemas have no sessions.wav_path (v6): nothing to check there.
        let Ok(mut st) = c.prepare(sql) else { continue };
        for v in st.query_map([], |r| r.get::<_, String>(0))? {
            out.push((table, column, v?));
        }
    }
    Ok(out)
}

/// Every file of the library the database refers to, relative to the data folder, with
/// the largest size it can plausibly have: a take's WAV (from its duration, rate and
/// channels, allowing up to 32-bit samples and extra chunks), its sidecar and its
/// waveform peaks. Paths that fail `check_stored_path` are left out.
fn referenced_files(c: &Connection) -> Result<BTreeMap<String, u64>> {
    const SLACK: u64 = 1024 * 1024;
    let mut out = BTreeMap::new();
    let mut st = c.prepare("SELECT file_path, duration_ms, sample_rate, channels FROM takes")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)))?;
    for row in rows {
        let (file, ms, rate, channels) = row?;
        if check_stored_path(&file).is_err() {
            continue;
        }
        let (ms, rate, channels) = (ms.max(0) as u64, rate.max(0) as u64, channels.max(0) as u64);
        let wav = (ms.saturating_add(1000)).saturating_mul(rate).saturating_mul(channels).saturating_mul(4) / 1000;
        let peaks = (ms / 10 + 100).saturating_mul(8);
        let p = Path::new(&file);
        let sidecar = sidecar_of(p);
        let peaks_path = peaks_of(p);
        for (name, max) in [(p, wav), (sidecar.as_path(), 0), (peaks_path.as_path(), peaks)] {
            if let Some(name) = name.to_str() {
                let v = out.entry(name.to_string()).or_insert(0u64);
                *v = (*v).max(max.saturating_add(SLACK));
            }
        }
    }
    Ok(out)
}

/// Writes a consistent copy of the database to `to` (`VACUUM INTO`, inside one read
/// transaction of SQLite's own). The file name is passed as bytes, so a data folder whose
/// path is not UTF-8 works too.
pub(crate) fn vacuum_into(storage: &Storage, to: &Path) -> Result<()> {
    let c = storage.conn_ref();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        c.execute("VACUUM INTO CAST(?1 AS TEXT)", [to.as_os_str().as_bytes()])?;
    }
    #[cfg(not(unix))]
    {
        let name = to
            .to_str()
            .ok_or_else(|| CoreError::io("snapshot the database into", to, std::io::Error::other("the path is not valid Unicode")))?;
        c.execute("VACUUM INTO ?1", [name])?;
    }
    Ok(())
}

/// What an export needs of its database snapshot: its schema version, every take's stored
/// file path in id order, and the files it refers to with their largest size.
pub(crate) fn snapshot_contents(snapshot: &Path) -> Result<(i64, Vec<String>, BTreeMap<String, u64>)> {
    let c = Connection::open_with_flags(snapshot, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut st = c.prepare("SELECT file_path FROM takes ORDER BY id")?;
    let rows: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok((v, rows, referenced_files(&c)?))
}

/// The files a database file (a staged archive's) refers to, each with its largest size.
pub(crate) fn files_of_database(db: &Path) -> Result<BTreeMap<String, u64>> {
    referenced_files(&Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?)
}

/// How many takes, imported decks, sessions and stories the library holds: what an import
/// of everything would replace.
pub(crate) fn user_data_counts(storage: &Storage) -> Result<[i64; 4]> {
    let c = storage.conn_ref();
    let count = |sql: &str| -> Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
    Ok([
        count("SELECT COUNT(*) FROM takes")?,
        count("SELECT COUNT(*) FROM decks WHERE builtin = 0")?,
        count("SELECT COUNT(*) FROM sessions")?,
        count("SELECT COUNT(*) FROM stories")?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(dir: &Path, setup: &str) -> std::path::PathBuf {
        let p = dir.join("staged.db");
        let _ = std::fs::remove_file(&p);
        let mut c = Connection::open(&p).expect("open");
        schema::migrations().to_latest(&mut c).expect("migrate");
        c.execute_batch(setup).expect("setup");
        p
    }

    fn refused(setup: &str, needle: &str) {
        let dir = tempfile::tempdir().expect("dir");
        let db = staged(dir.path(), setup);
        let err = check_staged_database(Path::new("a.zip"), &db, SCHEMA_VERSION).expect_err(setup);
        assert_eq!(err.kind(), "bad_archive");
        assert!(err.to_string().contains(needle), "expected \"{needle}\" in: {err}");
    }

    #[test]
    fn a_database_as_the_migrations_make_it_passes() {
        let dir = tempfile::tempdir().expect("dir");
        let db = staged(dir.path(), "");
        check_staged_database(Path::new("a.zip"), &db, SCHEMA_VERSION).expect("accepted");
    }

    #[test]
    fn unknown_triggers_views_tables_and_indexes_are_refused() {
        refused("CREATE TRIGGER evil AFTER UPDATE ON takes BEGIN SELECT RAISE(ABORT, 'x'); END;", "trigger \"evil\"");
        refused("CREATE VIEW v AS SELECT 1;", "view \"v\"");
        refused("CREATE TABLE extra (x);", "table \"extra\"");
        refused("CREATE INDEX extra_idx ON takes(notes);", "index \"extra_idx\"");
        refused("DROP TRIGGER take_counts_insert;", "trigger \"take_counts_insert\" is missing");
        refused("DROP TABLE bookmarks;", "\"bookmarks_by_take\" is missing");
    }

    #[test]
    fn a_database_with_the_right_version_but_none_of_the_tables_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("empty.db");
        Connection::open(&p).expect("open").execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};")).expect("v");
        let err = check_staged_database(Path::new("a.zip"), &p, SCHEMA_VERSION).expect_err("refused");
        assert!(err.to_string().contains("is missing"), "{err}");
    }

    #[test]
    fn stored_paths_outside_takes_and_broken_foreign_keys_are_refused() {
        let take = |path: &str| {
            format!(
                "INSERT INTO decks (id, name_json, languages_json, updated_at) VALUES ('d', '{{}}', '[]', 'x');
                 INSERT INTO questions (id, deck_id, position, category, think_secs, answer_secs, retakes, text_json) VALUES ('q', 'd', 0, 't', 0, 1, 1, '{{}}');
                 INSERT INTO takes (question_id, started_at, duration_ms, sample_rate, channels, file_path) VALUES ('q', 'x', 1, 48000, 1, '{path}');"
            )
        };
        for bad in ["../other/x.wav", "/etc/passwd", "takes/../../x.wav"] {
            refused(&take(bad), "not inside the data folder");
        }
        refused(
            &format!("{} INSERT INTO sessions (language, started_at, wav_path) VALUES ('en', 'x', '../s.wav');", take("takes/a.wav")),
            "sessions.wav_path",
        );
        refused(
            "PRAGMA foreign_keys = OFF; INSERT INTO bookmarks (take_id, at_ms, created_at) VALUES (42, 0, 'x');",
            "refers to a missing row of takes",
        );
        let long = format!("../{}", "x".repeat(5000));
        let dir = tempfile::tempdir().expect("dir");
        let db = staged(dir.path(), &take(&long));
        let err = check_staged_database(Path::new("a.zip"), &db, SCHEMA_VERSION).expect_err("refused");
        assert!(err.to_string().len() < 400, "{err}");
    }

    #[test]
    fn an_older_schema_is_compared_with_the_migrations_at_its_own_version() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("v4.db");
        let mut c = Connection::open(&p).expect("open");
        schema::migrations().to_version(&mut c, 4).expect("v4");
        drop(c);
        check_staged_database(Path::new("a.zip"), &p, 4).expect("accepted and upgraded");
        let v: i64 = Connection::open(&p).expect("open").query_row("PRAGMA user_version", [], |r| r.get(0)).expect("v");
        assert_eq!(v, SCHEMA_VERSION);
    }
}
