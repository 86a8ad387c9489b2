//! Export everything to one zip archive and import it into another library ("the same
//! state on another machine"). The archive holds a consistent snapshot of the database
//! (`VACUUM INTO`, never a copy of the live file), every file under `takes/`, and
//! `manifest.json` (format and schema versions, every file with its size and SHA-256).
//!
//! An import is all or nothing: the archive is checked entry by entry (names, sizes,
//! checksums, the database itself) while it is extracted into a staging folder inside the
//! data folder; only then are the files moved into place (renames on the same disk). Any
//! problem leaves the data folder as it was. Files are streamed, never read whole.
//!
//! Over 500 lines: an all-or-nothing import checks the archive in an order that reads top to bottom
//! (about 630 lines of code); splitting it would scatter that order.
//!
//! Length: the archive's format, its export and its hostile-input import are one contract; the
//! code is about 630 lines because every entry an import reads is checked here, and the rest is
//! its unit tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::datadir::files::{copy_stream, AtomicFile, COPY_BUF};
use crate::error::{echo, CoreError, Result};
use crate::leftovers::Staging;
use crate::library::Library;
use crate::paths::safe_file_name;
use crate::storage::archive_db::{check_staged_database, files_of_database, snapshot_contents, user_data_counts, vacuum_into};
use crate::storage::{Storage, SCHEMA_VERSION};

pub const ARCHIVE_FORMAT: &str = "rehearse-archive";
pub const ARCHIVE_FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DB_ENTRY: &str = "rehearse.db";
const TAKES_PREFIX: &str = "takes/";
/// A manifest larger than this is not one we wrote (it lists files, it holds none).
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub app_version: String,
    /// `PRAGMA user_version` of the database in the archive.
    pub schema_version: i64,
    pub created_at: String,
    pub takes: u64,
    pub files: Vec<ManifestFile>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// `rehearse.db` or `takes/<file name>`.
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// What an export or import of the whole library did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    pub path: PathBuf,
    /// Files in the archive besides the manifest (the database included).
    pub files: usize,
    pub takes: u64,
    pub bytes: u64,
    /// Schema of the archived database (before any upgrade on import).
    pub schema_version: i64,
    /// Takes whose file was not there to archive (already missing in the library).
    pub missing: Vec<String>,
    /// Files under takes/ left out of an export: recordings in progress, temporary files.
    pub skipped: Vec<String>,
}

/// Checks an archive path; says what is wrong with it.
fn check_entry_path(path: &str) -> std::result::Result<(), String> {
    let shown = echo(&path.escape_debug().to_string()).into_owned();
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Err(format!("entry \"{shown}\" has an absolute path (zip-slip); refused"));
    }
    if path.split(['/', '\\']).any(|part| part == "..") {
        return Err(format!("entry \"{shown}\" points outside the data folder with \"..\" (zip-slip); refused"));
    }
    if path == DB_ENTRY {
        return Ok(());
    }
    match path.strip_prefix(TAKES_PREFIX) {
        Some(name) if safe_file_name(name) => Ok(()),
        _ => Err(format!("entry \"{shown}\" is not part of a Rehearse archive (only {DB_ENTRY}, {MANIFEST} and takes/<file>)")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bad(archive: &Path, reason: impl Into<String>) -> CoreError {
    CoreError::BadArchive { path: archive.to_path_buf(), reason: reason.into() }
}

/// Files under takes/ worth archiving, sorted; and those left out. With `referenced`,
/// only the files the database refers to (within the size it allows) are kept: exactly
/// what an import accepts.
fn take_files(dir: &Path, referenced: Option<&BTreeMap<String, u64>>) -> Result<(Vec<String>, Vec<String>)> {
    let mut keep = vec![];
    let mut skip = vec![];
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((keep, skip)),
        Err(e) => return Err(CoreError::io("read", dir, e)),
    };
    for e in entries {
        let e = e.map_err(|e| CoreError::io("read", dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let is_file = e.file_type().map(|t| t.is_file()).unwrap_or(false);
        if name == ".write-test" {
            continue;
        }
        // A take being recorded (or a crash's leftover, repaired at the next start) and
        // half-written temporary files are not part of a consistent state.
        let allowed = || match referenced {
            None => true,
            Some(r) => r.get(&format!("{TAKES_PREFIX}{name}")).is_some_and(|max| e.metadata().is_ok_and(|m| m.len() <= *max)),
        };
        if !is_file
            || name.ends_with(".partial")
            || name.ends_with(".tmp")
            || !safe_file_name(&name)
            || e.file_name().to_str().is_none()
            || !allowed()
        {
            skip.push(name);
        } else {
            keep.push(name);
        }
    }
    keep.sort();
    skip.sort();
    Ok((keep, skip))
}

impl Library {
    /// Writes the whole library (database snapshot, every take file, manifest) to the zip
    /// archive `dest`.
    pub fn export_all(&self, dest: &Path, overwrite: bool) -> Result<ArchiveReport> {
        self.export_all_with_progress(dest, overwrite, |_, _| {})
    }

    /// `export_all`, calling `progress(bytes written, bytes in all)` as it copies (for a
    /// progress bar: a library of long takes is gigabytes).
    pub fn export_all_with_progress(&self, dest: &Path, overwrite: bool, mut progress: impl FnMut(u64, u64)) -> Result<ArchiveReport> {
        let _alone = self.data_dir().lock_whole(crate::data_lock::EXPORT)?; // no recording meanwhile
        let mut out = AtomicFile::create(dest, overwrite)?;
        // The database snapshot is staged in the data folder, so this staging is required.
        let staging = Staging::new(self.data_dir().root(), ".export-")?;
        staging.note_partial(out.temp_path())?;
        let snapshot = staging.path().join(DB_ENTRY);
        // A consistent copy, taken inside one read transaction of SQLite's own.
        vacuum_into(self.storage_ref(), &snapshot)?;
        let (schema_version, take_rows, referenced) = snapshot_contents(&snapshot)?;
        let (names, skipped) = take_files(&self.data_dir().takes_dir(), Some(&referenced))?;

        let file = out.file().try_clone().map_err(|e| CoreError::io("write", dest, e))?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::with_capacity(COPY_BUF, file));
        let zerr = |e: zip::result::ZipError| CoreError::io("write", dest, std::io::Error::other(e));
        let mut manifest_files = vec![];
        let mut bytes = 0;
        let sources: Vec<(String, PathBuf)> = std::iter::once((DB_ENTRY.to_string(), snapshot.clone()))
            .chain(names.iter().map(|n| (format!("{TAKES_PREFIX}{n}"), self.data_dir().takes_dir().join(n))))
            .collect();
        let total: u64 = sources.iter().filter_map(|(_, p)| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        progress(0, total);
        for (entry, src) in sources {
            let mut f = File::open(&src).map_err(|e| CoreError::io("read", &src, e))?;
            let size = f.metadata().map_err(|e| CoreError::io("read", &src, e))?.len();
            // PCM barely compresses: WAVs are stored (fast); the database and sidecars are deflated.
            let method = if entry.ends_with(".wav") { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .unix_permissions(0o644)
                .large_file(size >= u32::MAX as u64);
            zip.start_file(entry.as_str(), opts).map_err(zerr)?;
            let mut hash = Sha256::new();
            let n = copy_stream(&mut f, &mut zip, |chunk| {
                hash.update(chunk);
                bytes += chunk.len() as u64;
                progress(bytes.min(total), total);
            })
            .map_err(|e| CoreError::io("write", dest, e))?;
            manifest_files.push(ManifestFile { path: entry, size: n, sha256: hex(&hash.finalize()) });
        }
        let included: BTreeSet<&str> = manifest_files.iter().map(|f| f.path.as_str()).collect();
        let missing: Vec<String> = take_rows.iter().filter(|p| !included.contains(p.as_str())).cloned().collect();
        let manifest = Manifest {
            format: ARCHIVE_FORMAT.into(),
            format_version: ARCHIVE_FORMAT_VERSION,
            app_version: env!("CARGO_PKG_VERSION").into(),
            schema_version,
            created_at: crate::time_fmt::now_rfc3339(),
            takes: take_rows.len() as u64,
            files: manifest_files,
        };
        zip.start_file(MANIFEST, zip::write::SimpleFileOptions::default().unix_permissions(0o644)).map_err(zerr)?;
        let body = serde_json::to_vec_pretty(&manifest).map_err(|e| CoreError::io("write", dest, std::io::Error::other(e)))?;
        zip.write_all(&body).map_err(|e| CoreError::io("write", dest, e))?;
        let buf = zip.finish().map_err(zerr)?;
        buf.into_inner().map_err(|e| CoreError::io("write", dest, e.into_error()))?;
        let path = out.commit()?;
        Ok(ArchiveReport { path, files: manifest.files.len(), takes: manifest.takes, bytes, schema_version, missing, skipped })
    }

    /// What the library already holds that an import would replace, if anything.
    fn user_data(&self) -> Result<Option<String>> {
        let counts = user_data_counts(self.storage_ref())?;
        let mut what = vec![];
        for (n, (one, many)) in
            counts.into_iter().zip([("take", "takes"), ("imported deck", "imported decks"), ("session", "sessions"), ("story", "stories")])
        {
            match n {
                0 => {}
                1 => what.push(format!("1 {one}")),
                n => what.push(format!("{n} {many}")),
            }
        }
        let (files, leftovers) = take_files(&self.data_dir().takes_dir(), None)?;
        if !files.is_empty() || !leftovers.is_empty() {
            what.push(format!("{} file(s) in takes/", files.len() + leftovers.len()));
        }
        Ok(if what.is_empty() { None } else { Some(what.join(", ")) })
    }

    /// Restores an archive written by `export_all` into this library, which must hold no
    /// takes, sessions or imported decks. On any problem nothing is changed.
    pub fn import_all(&mut self, archive: &Path) -> Result<ArchiveReport> {
        self.import_all_with_progress(archive, |_, _| {})
    }

    /// `import_all`, calling `progress(bytes extracted and checked, bytes in all)`.
    pub fn import_all_with_progress(&mut self, archive: &Path, progress: impl FnMut(u64, u64)) -> Result<ArchiveReport> {
        let _alone = self.data_dir().lock_whole(crate::data_lock::IMPORT)?; // until the swap is done
        if let Some(what) = self.user_data()? {
            return Err(CoreError::LibraryNotEmpty { dir: self.data_dir().root().to_path_buf(), what });
        }
        let root = self.data_dir().root().to_path_buf();
        let staging = Staging::new(&root, ".import-")?;
        // Everything is checked in staging (the database first) before anything moves.
        let (manifest, bytes) = extract_verified(archive, staging.path(), progress)?;
        self.swap_in(staging.path(), &manifest)?;
        let takes: Vec<&ManifestFile> = manifest.files.iter().filter(|f| f.path.starts_with(TAKES_PREFIX)).collect();
        let present: BTreeSet<&str> = takes.iter().map(|f| f.path.as_str()).collect();
        let missing = self.takes(None)?.into_iter().map(|t| t.file_path).filter(|p| !present.contains(p.as_str())).collect();
        Ok(ArchiveReport {
            path: archive.to_path_buf(),
            files: manifest.files.len(),
            takes: manifest.takes,
            bytes,
            schema_version: manifest.schema_version,
            missing,
            skipped: vec![],
        })
    }

    /// Moves the staged database and take files into place, keeping the previous database
    /// in the staging folder until the new one opens; undoes every move on failure.
    fn swap_in(&mut self, staging: &Path, manifest: &Manifest) -> Result<()> {
        let db_path = self.data_dir().db_path();
        let takes_dir = self.data_dir().takes_dir();
        let previous = staging.join("previous");
        std::fs::create_dir(&previous).map_err(|e| CoreError::io("create", &previous, e))?;
        // Close the live database first (an in-memory one stands in meanwhile).
        self.replace_storage(Storage::open_in_memory()?);
        let mut done: Vec<(PathBuf, PathBuf)> = vec![];
        let mut step = |from: PathBuf, to: PathBuf| -> Result<()> {
            std::fs::rename(&from, &to).map_err(|e| CoreError::io("move into place", &from, e))?;
            done.push((from, to));
            Ok(())
        };
        let moved: Result<()> = (|| {
            for suffix in ["", "-wal", "-shm"] {
                let mut live = db_path.clone().into_os_string();
                live.push(suffix);
                let live = PathBuf::from(live);
                if live.exists() {
                    step(live, previous.join(format!("{DB_ENTRY}{suffix}")))?;
                }
            }
            std::fs::create_dir_all(&takes_dir).map_err(|e| CoreError::io("create", &takes_dir, e))?;
            for f in manifest.files.iter().filter_map(|f| f.path.strip_prefix(TAKES_PREFIX)) {
                step(staging.join("takes").join(f), takes_dir.join(f))?;
            }
            step(staging.join(DB_ENTRY), db_path.clone())?;
            Ok(())
        })();
        let opened = moved.and_then(|()| Storage::open(&db_path));
        match opened {
            Ok(db) => {
                self.replace_storage(db);
                crate::datadir::files::sync_parent(&db_path);
                crate::datadir::files::sync_parent(&takes_dir.join("x"));
                self.load_builtin_decks()
            }
            Err(e) => {
                for (from, to) in done.into_iter().rev() {
                    let _ = std::fs::rename(&to, &from);
                }
                if let Ok(db) = Storage::open(&db_path) {
                    self.replace_storage(db);
                }
                Err(e)
            }
        }
    }

    /// Opens the library in `dir` (creating it) and imports `archive` into it: what the
    /// CLI and the app use to restore onto a fresh machine.
    /// A refused import leaves no trace: what opening created (the folder, an empty
    /// database) is removed again.
    pub fn open_importing(dir: crate::paths::DataDir, archive: &Path) -> Result<(Library, ArchiveReport)> {
        let had_root = dir.root().exists();
        let had_db = dir.db_path().exists();
        let mut lib = Library::open(dir.clone())?;
        match lib.import_all(archive) {
            Ok(report) => Ok((lib, report)),
            Err(e) => {
                drop(lib);
                if !had_db {
                    for suffix in ["", "-wal", "-shm"] {
                        let mut p = dir.db_path().into_os_string();
                        p.push(suffix);
                        let _ = std::fs::remove_file(PathBuf::from(p));
                    }
                    let _ = std::fs::remove_dir(dir.takes_dir()); // only when empty
                }
                if !had_root {
                    let _ = std::fs::remove_dir(dir.root());
                }
                Err(e)
            }
        }
    }
}

/// Every name in the archive's central directory as written, in order. The zip crate
/// keeps one entry per name, so a name written twice is only seen here.
fn central_directory_names(archive: &Path, start: u64) -> std::io::Result<Vec<Vec<u8>>> {
    use std::io::{Seek, SeekFrom};
    const CENTRAL_HEADER: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    let mut r = std::io::BufReader::new(File::open(archive)?);
    r.seek(SeekFrom::Start(start))?;
    let mut names = vec![];
    loop {
        let mut sig = [0u8; 4];
        if r.read_exact(&mut sig).is_err() || sig != CENTRAL_HEADER {
            return Ok(names);
        }
        // The fixed part after the signature; name, extra and comment lengths at 24, 26, 28.
        let mut fixed = [0u8; 42];
        r.read_exact(&mut fixed)?;
        let len = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]) as usize;
        let mut name = vec![0u8; len(24)];
        r.read_exact(&mut name)?;
        r.seek_relative((len(26) + len(28)) as i64)?;
        names.push(name);
        if names.len() > 1_000_000 {
            return Err(std::io::Error::other("more than a million entries"));
        }
    }
}

/// The size a SQLite file's header gives (page size × pages), if the header is SQLite's
/// and its size field is valid.
fn sqlite_header_size(h: &[u8; 100]) -> std::result::Result<u64, &'static str> {
    if &h[..16] != b"SQLite format 3\0" {
        return Err("is not a SQLite database");
    }
    let be32 = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let page = match u16::from_be_bytes([h[16], h[17]]) {
        1 => 65_536,
        p if p >= 512 && p.is_power_of_two() => p as u64,
        _ => return Err("has an invalid page size in its header"),
    };
    // The page count is valid only when the change counter matches "version valid for".
    if be32(24) != be32(92) || be32(28) == 0 {
        return Err("does not give its size in its header");
    }
    Ok(page * be32(28) as u64)
}

/// Extracts one listed entry into `staging` while hashing, checks size and checksum.
/// Returns the bytes written. The database's header is read first: a file that is not
/// SQLite, or not the size it says, is refused before anything more is written.
fn extract_entry<R: Read + std::io::Seek>(
    archive: &Path,
    zip: &mut zip::ZipArchive<R>,
    expected: &ManifestFile,
    staging: &Path,
    done: u64,
    total: u64,
    progress: &mut impl FnMut(u64, u64),
) -> Result<u64> {
    let name = expected.path.as_str();
    let shown = echo(&name.escape_debug().to_string()).into_owned();
    let mut entry = zip.by_name(name).map_err(|e| bad(archive, format!("entry \"{shown}\" cannot be read: {e}")))?;
    if entry.size() != expected.size {
        return Err(bad(archive, format!("\"{shown}\" is {} bytes but manifest.json says {}", entry.size(), expected.size)));
    }
    let damaged = |e: std::io::Error, to: &Path| match e.kind() {
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::Other => {
            bad(archive, format!("\"{shown}\" is damaged: {e}"))
        }
        _ => CoreError::io("write", to, e),
    };
    // Names were checked before: `rehearse.db` or `takes/<safe file name>`.
    let to = staging.join(name);
    let mut out = File::options().write(true).create_new(true).open(&to).map_err(|e| CoreError::io("write", &to, e))?;
    let mut hash = Sha256::new();
    let mut head = 0u64;
    if name == DB_ENTRY {
        let mut h = [0u8; 100];
        entry.read_exact(&mut h).map_err(|_| bad(archive, "the database in it is not a SQLite database"))?;
        match sqlite_header_size(&h) {
            Err(why) => return Err(bad(archive, format!("the database in it {why}"))),
            Ok(n) if n != expected.size => {
                return Err(bad(archive, format!("the database in it says it is {n} bytes but manifest.json says {}", expected.size)))
            }
            Ok(_) => {}
        }
        hash.update(h);
        out.write_all(&h).map_err(|e| CoreError::io("write", &to, e))?;
        head = h.len() as u64;
    }
    // Read through a limit: a lying header cannot make us write more than announced.
    let mut limited = (&mut entry).take(expected.size.saturating_add(1).saturating_sub(head));
    let mut at = done + head;
    let n = head
        + copy_stream(&mut limited, &mut out, |c| {
            hash.update(c);
            at += c.len() as u64;
            progress(at.min(total), total);
        })
        .map_err(|e| damaged(e, &to))?;
    if n != expected.size {
        return Err(bad(archive, format!("\"{shown}\" holds {n} bytes but manifest.json says {}", expected.size)));
    }
    let sum = hex(&hash.finalize());
    if sum != expected.sha256.to_ascii_lowercase() {
        return Err(bad(
            archive,
            format!("checksum mismatch for \"{shown}\" (SHA-256 {sum}, manifest.json says {})", echo(&expected.sha256).into_owned()),
        ));
    }
    out.sync_all().map_err(|e| CoreError::io("write", &to, e))?;
    Ok(n)
}

/// Checks every entry's name, extracts into `staging` while hashing, and compares with
/// the manifest. The database comes first and is checked in full (`check_staged_database`);
/// it then decides which take files the archive may hold and how large each may be.
/// Returns the manifest and the bytes extracted.
fn extract_verified(archive: &Path, staging: &Path, mut progress: impl FnMut(u64, u64)) -> Result<(Manifest, u64)> {
    let file = File::open(archive).map_err(|e| CoreError::io("open", archive, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::with_capacity(COPY_BUF, file))
        .map_err(|e| bad(archive, format!("not a readable zip archive (truncated or damaged?): {e}")))?;

    // Every name exactly once in the central directory.
    let raw = central_directory_names(archive, zip.central_directory_start())
        .map_err(|e| bad(archive, format!("its central directory cannot be read: {e}")))?;
    let mut seen = BTreeSet::new();
    if let Some(twice) = raw.iter().find(|n| !seen.insert(n.as_slice())) {
        return Err(bad(
            archive,
            format!("entry \"{}\" appears twice; refused", echo(&String::from_utf8_lossy(twice).escape_debug().to_string()).into_owned()),
        ));
    }
    if raw.len() != zip.len() {
        return Err(bad(archive, format!("its central directory lists {} entries but {} can be read", raw.len(), zip.len())));
    }
    // Names first: nothing is extracted from an archive with one bad entry.
    let mut names = BTreeSet::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| bad(archive, format!("entry {i} cannot be read: {e}")))?;
        let name = f.name().to_string();
        let shown = echo(&name.escape_debug().to_string()).into_owned();
        if name != MANIFEST {
            check_entry_path(&name).map_err(|m| bad(archive, m))?;
        }
        if f.enclosed_name().is_none() {
            return Err(bad(archive, format!("entry \"{shown}\" points outside the data folder (zip-slip); refused")));
        }
        if f.is_dir() || f.is_symlink() {
            return Err(bad(archive, format!("entry \"{shown}\" is a folder or a link, not a file; refused")));
        }
        if f.encrypted() {
            return Err(bad(archive, format!("entry \"{shown}\" is encrypted")));
        }
        if !names.insert(name.clone()) {
            return Err(bad(archive, format!("entry \"{shown}\" appears twice; refused")));
        }
    }
    let manifest = read_manifest(archive, &mut zip)?;
    let listed: BTreeMap<&str, &ManifestFile> = manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    if listed.len() != manifest.files.len() {
        return Err(bad(archive, "manifest.json lists a file twice"));
    }
    for f in &manifest.files {
        check_entry_path(&f.path).map_err(|m| bad(archive, format!("manifest.json: {m}")))?;
        if !names.contains(&f.path) {
            return Err(bad(
                archive,
                format!(
                    "\"{}\" is listed in manifest.json but missing from the archive",
                    echo(&f.path.escape_debug().to_string()).into_owned()
                ),
            ));
        }
    }
    if let Some(extra) = names.iter().find(|n| n.as_str() != MANIFEST && !listed.contains_key(n.as_str())) {
        return Err(bad(
            archive,
            format!("entry \"{}\" is not listed in manifest.json", echo(&extra.escape_debug().to_string()).into_owned()),
        ));
    }
    let Some(db) = listed.get(DB_ENTRY) else {
        return Err(bad(archive, "no database (rehearse.db) in it"));
    };
    let total = manifest.files.iter().fold(0u64, |a, f| a.saturating_add(f.size));
    if let Ok(free) = fs4::available_space(staging) {
        if free < total.saturating_add(16 * 1024 * 1024) {
            return Err(CoreError::io(
                "import into",
                staging.parent().unwrap_or(staging),
                std::io::Error::other(format!(
                    "not enough free space: the archive needs {} MB, {} MB are free",
                    total / 1_000_000 + 1,
                    free / 1_000_000
                )),
            ));
        }
    }

    let mut bytes = extract_entry(archive, &mut zip, db, staging, 0, total, &mut progress)?;
    check_staged_database(archive, &staging.join(DB_ENTRY), manifest.schema_version)?;
    // Only files the database refers to, each within the size it allows.
    let allowed = files_of_database(&staging.join(DB_ENTRY))?;
    let takes: Vec<&ManifestFile> = manifest.files.iter().filter(|f| f.path != DB_ENTRY).collect();
    for f in &takes {
        let shown = echo(&f.path.escape_debug().to_string()).into_owned();
        match allowed.get(&f.path) {
            None => return Err(bad(archive, format!("entry \"{shown}\" belongs to no take in the archive's database; refused"))),
            Some(max) if f.size > *max => {
                return Err(bad(
                    archive,
                    format!("entry \"{shown}\" is {} bytes, more than its take can hold ({max} bytes at most); refused", f.size),
                ))
            }
            Some(_) => {}
        }
    }
    std::fs::create_dir(staging.join("takes")).map_err(|e| CoreError::io("create", staging, e))?;
    for f in takes {
        bytes += extract_entry(archive, &mut zip, f, staging, bytes, total, &mut progress)?;
    }
    Ok((manifest, bytes))
}

fn read_manifest<R: Read + std::io::Seek>(archive: &Path, zip: &mut zip::ZipArchive<R>) -> Result<Manifest> {
    let entry = zip.by_name(MANIFEST).map_err(|_| bad(archive, "no manifest.json in it: not a Rehearse archive"))?;
    if entry.size() > MAX_MANIFEST_BYTES {
        return Err(bad(archive, "manifest.json is implausibly large"));
    }
    let mut text = Vec::new();
    entry.take(MAX_MANIFEST_BYTES).read_to_end(&mut text).map_err(|e| bad(archive, format!("manifest.json is damaged: {e}")))?;
    let m: Manifest = serde_json::from_slice(&text).map_err(|e| bad(archive, format!("manifest.json is not valid: {e}")))?;
    if m.format != ARCHIVE_FORMAT {
        return Err(bad(
            archive,
            format!("manifest.json names format \"{}\", not \"{ARCHIVE_FORMAT}\"", echo(&m.format.escape_debug().to_string()).into_owned()),
        ));
    }
    if m.format_version > ARCHIVE_FORMAT_VERSION {
        return Err(bad(
            archive,
            format!("archive format {} (this Rehearse reads up to {ARCHIVE_FORMAT_VERSION}): update Rehearse", m.format_version),
        ));
    }
    if m.schema_version > SCHEMA_VERSION {
        return Err(bad(
            archive,
            format!(
                "written by a newer Rehearse ({}, database schema {}; this version knows up to {SCHEMA_VERSION}): update Rehearse",
                echo(&m.app_version).into_owned(),
                m.schema_version
            ),
        ));
    }
    if m.schema_version < 1 {
        return Err(bad(archive, format!("manifest.json gives schema version {}", m.schema_version)));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TakeId;
    use crate::paths::DataDir;

    fn wav_take(lib: &mut Library, q: &str, frames: u32) -> TakeId {
        let id = lib.commit_test_take(q, None, frames as u64);
        let path = lib.take_path(&lib.take(id).expect("take")).expect("path");
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(path, spec).expect("wav");
        (0..frames).for_each(|i| w.write_sample(((i * 37) % 2000) as i16 - 1000).expect("sample"));
        w.finalize().expect("finalize");
        id
    }

    /// Every file of a data folder (relative path -> bytes), the database aside.
    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let takes = dir.join("takes");
        for e in std::fs::read_dir(&takes).expect("dir") {
            let e = e.expect("entry");
            out.insert(e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read"));
        }
        out
    }

    fn source() -> (tempfile::TempDir, Library, PathBuf) {
        let (dir, mut lib) = Library::open_temp();
        let a = wav_take(&mut lib, "db.deadlock", 24_000);
        wav_take(&mut lib, "db.ora-01555", 12_000);
        lib.rate_take(a, Some(2)).expect("rate");
        lib.set_note(a, "노트 🎤 <b>").expect("note");
        let zip = dir.path().join("all.zip");
        (dir, lib, zip)
    }

    #[test]
    fn everything_round_trips_into_an_empty_library() {
        let (dir, lib, zip) = source();
        let r = lib.export_all(&zip, false).expect("export");
        assert_eq!((r.takes, r.files, r.missing.len()), (2, 5, 0)); // db + 2 WAVs + 2 sidecars
        let target = DataDir::new(dir.path().join("other"));
        let (other, report) = Library::open_importing(target.clone(), &zip).expect("import");
        assert_eq!((report.takes, report.schema_version), (2, SCHEMA_VERSION));
        assert_eq!(other.takes(None).expect("takes"), lib.takes(None).expect("takes"));
        assert_eq!(other.due().expect("due"), lib.due().expect("due"));
        assert_eq!(files(target.root()), files(lib.data_dir().root()));
        // No staging folder is left behind.
        let hidden: Vec<_> = std::fs::read_dir(target.root())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
    }

    #[test]
    fn transcripts_survive_an_export_and_import_current_searchable_and_deleted_with_their_take() {
        use crate::transcript::{ModelIdentity, Segment, Transcript, Word};
        use crate::transcript_store::TranscriptState;
        let (dir, mut lib, zip) = source();
        let id = lib.takes(None).expect("takes")[0].id;
        lib.set_take_language(id, "ko").expect("answered in Korean");
        let model = ModelIdentity { name: "whisper-base".into(), sha256: "ab".into() };
        let w = |a, b, t: &str| Word { start_ms: a, end_ms: b, text: t.into() };
        let t = Transcript {
            language: "ko".into(),
            model: model.clone(),
            segments: vec![Segment {
                start_ms: 100,
                end_ms: 900,
                text: "언두 보존을 늘렸어요".into(),
                words: vec![w(100, 400, "언두"), w(400, 900, "보존을")],
            }],
        };
        let file = lib.take_file_identity(id).expect("identity");
        lib.save_transcript(id, &t, &file).expect("save");
        lib.export_all(&zip, false).expect("export");
        let (mut other, _) = Library::open_importing(DataDir::new(dir.path().join("other")), &zip).expect("import");
        let back = other.transcript(id).expect("read").expect("kept");
        assert_eq!(back.transcript, t);
        // The files were written anew by the import: the content still matches.
        assert_eq!(other.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Current);
        let q = crate::query::TakeQuery { said: Some("보존".into()), ..Default::default() };
        assert_eq!(other.query_takes(&q).expect("said").rows.iter().map(|r| r.take.id).collect::<Vec<_>>(), vec![id]);
        other.delete_take(id).expect("delete");
        assert_eq!(other.query_takes(&q).expect("said").total, 0);
        assert_eq!(other.transcript(id).map_err(|e| e.kind()), Err("unknown_take"));
    }

    #[test]
    fn export_and_import_report_progress_in_bytes_and_the_library_view_counts_what_was_imported() {
        let (dir, lib, zip) = source();
        let mut seen: Vec<(u64, u64)> = vec![];
        let r = lib.export_all_with_progress(&zip, false, |done, total| seen.push((done, total))).expect("export");
        let total = seen[0].1;
        assert_eq!(seen[0], (0, total));
        assert_eq!(*seen.last().expect("some"), (r.bytes, total));
        assert_eq!(r.bytes, total, "every byte of the sources is counted");
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 == w[1].1), "{seen:?}");
        let mut other = Library::open(DataDir::new(dir.path().join("other"))).expect("open");
        // The library view counted this (empty) library before the import...
        let taken = lib.takes(None).expect("takes");
        let q = crate::query::TakeQuery { category: Some(lib.question(&taken[0].question_id).expect("q").category), ..Default::default() };
        assert_eq!(other.query_takes(&q).expect("query").total, 0);
        let mut back: Vec<(u64, u64)> = vec![];
        let report = other.import_all_with_progress(&zip, |done, total| back.push((done, total))).expect("import");
        assert_eq!(*back.last().expect("some"), (report.bytes, report.bytes));
        assert!(back.windows(2).all(|w| w[0].0 <= w[1].0), "{back:?}");
        // ...and counts the imported takes after it, not what it kept from before.
        assert_eq!(other.query_takes(&q).expect("query").total, lib.query_takes(&q).expect("query").total);
        assert!(other.query_takes(&q).expect("query").total > 0);
    }

    #[test]
    fn an_import_into_a_library_with_takes_is_refused_and_changes_nothing() {
        let (_dir, mut lib, zip) = source();
        lib.export_all(&zip, false).expect("export");
        let before = (lib.takes(None).expect("takes"), files(lib.data_dir().root()));
        let err = lib.import_all(&zip).expect_err("refused");
        assert_eq!(err.kind(), "library_not_empty");
        assert!(err.to_string().contains("2 takes") && err.to_string().contains("empty data folder"), "{err}");
        assert_eq!((lib.takes(None).expect("takes"), files(lib.data_dir().root())), before);
    }

    /// Rewrites an archive, letting `edit` change the manifest text and the entries.
    fn rewrite(src: &Path, dest: &Path, edit: impl Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)>) {
        let mut zin = zip::ZipArchive::new(File::open(src).expect("open")).expect("zip");
        let mut zout = zip::ZipWriter::new(File::create(dest).expect("create"));
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).expect("entry");
            let mut body = vec![];
            f.read_to_end(&mut body).expect("read");
            let name = f.name().to_string();
            drop(f);
            if let Some((name, body)) = edit(&name, body) {
                zout.start_file(name, zip::write::SimpleFileOptions::default()).expect("start");
                zout.write_all(&body).expect("write");
            }
        }
        zout.finish().expect("finish");
    }

    fn refused(zip: &Path, needle: &str) {
        let (dir, mut lib) = Library::open_temp();
        let db_before = std::fs::read(lib.data_dir().db_path()).expect("db");
        let err = lib.import_all(zip).expect_err("refused");
        assert!(err.to_string().contains(needle), "expected \"{needle}\" in: {err}");
        assert!(lib.takes(None).expect("takes").is_empty());
        assert!(files(lib.data_dir().root()).is_empty());
        assert_eq!(std::fs::read(lib.data_dir().db_path()).expect("db"), db_before);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("data"))
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().starts_with(".import"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn damaged_forged_and_hostile_archives_are_refused_and_change_nothing() {
        let (dir, lib, zip) = source();
        lib.export_all(&zip, false).expect("export");
        let good = std::fs::read(&zip).expect("read");
        let p = |n: &str| dir.path().join(n);

        std::fs::write(p("truncated.zip"), &good[..good.len() * 2 / 3]).expect("write");
        refused(&p("truncated.zip"), "not a readable zip archive");
        std::fs::write(p("junk.zip"), b"not a zip at all").expect("write");
        refused(&p("junk.zip"), "not a readable zip archive");

        type Edit<'a> = &'a dyn Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)>;
        let with = |name: &str, edit: Edit<'_>| {
            rewrite(&zip, &p(name), edit);
            p(name)
        };
        // One bit of a WAV changed, its manifest entry left alone.
        let flipped = with("flip.zip", &|n, mut b| {
            if n.ends_with(".wav") {
                let i = b.len() / 2;
                b[i] ^= 0x40;
            }
            Some((n.to_string(), b))
        });
        refused(&flipped, "checksum mismatch");
        let sidecar = zip::ZipArchive::new(File::open(&zip).expect("open"))
            .expect("zip")
            .file_names()
            .find(|n| n.starts_with(TAKES_PREFIX) && n.ends_with(".json"))
            .expect("a sidecar")
            .to_string();
        refused(
            &with("slip.zip", &|n, b| Some((if n == sidecar { "takes/../../evil.json".into() } else { n.to_string() }, b))),
            "zip-slip",
        );
        refused(&with("abs.zip", &|n, b| Some((if n == sidecar { "/tmp/evil.json".into() } else { n.to_string() }, b))), "absolute path");
        refused(&with("nomanifest.zip", &|n, b| (n != MANIFEST).then(|| (n.to_string(), b))), "no manifest.json in it");
        let manifest_edit = |from: &'static str, to: &'static str| {
            move |n: &str, b: Vec<u8>| {
                let b = if n == MANIFEST { String::from_utf8(b).expect("utf8").replacen(from, to, 1).into_bytes() } else { b };
                Some((n.to_string(), b))
            }
        };
        let current: &'static str = format!("\"schema_version\": {SCHEMA_VERSION}").leak();
        refused(&with("newer.zip", &manifest_edit(current, "\"schema_version\": 99")), "newer Rehearse");
        refused(&with("badjson.zip", &manifest_edit("\"files\"", "\"fil")), "manifest.json is not valid");
        refused(
            &with("renamed.zip", &|n, b| Some((if n == sidecar { n.replace(".json", ".jsox") } else { n.to_string() }, b))),
            "missing from the archive",
        );
        let unlisted = |n: &str, b: Vec<u8>| {
            if n != MANIFEST {
                return Some((n.to_string(), b));
            }
            let mut m: Manifest = serde_json::from_slice(&b).expect("manifest");
            m.files.retain(|f| f.path != sidecar);
            Some((n.to_string(), serde_json::to_vec(&m).expect("json")))
        };
        refused(&with("extra.zip", &unlisted), "not listed in manifest.json");
        refused(
            &with("odd.zip", &|n, b| Some((if n.starts_with(TAKES_PREFIX) { n.replace("takes/", "other/") } else { n.to_string() }, b))),
            "not part of a Rehearse archive",
        );
        // A database that is not one, with a manifest that matches it.
        let junk_db = b"SQLite format 3\0 but then nothing of the sort".repeat(100);
        let junk_sum = hex(&Sha256::digest(&junk_db));
        let junk = |n: &str, b: Vec<u8>| match n {
            DB_ENTRY => Some((n.to_string(), junk_db.clone())),
            MANIFEST => {
                let mut m: Manifest = serde_json::from_slice(&b).expect("manifest");
                let f = m.files.iter_mut().find(|f| f.path == DB_ENTRY).expect("db entry");
                (f.size, f.sha256) = (junk_db.len() as u64, junk_sum.clone());
                Some((n.to_string(), serde_json::to_vec(&m).expect("json")))
            }
            _ => Some((n.to_string(), b)),
        };
        refused(&with("junkdb.zip", &junk), "the database in it");
        // Into a folder that did not exist: refused, and no folder is left behind.
        let never = dir.path().join("never");
        assert!(Library::open_importing(DataDir::new(&never), &p("junkdb.zip")).is_err());
        assert!(!never.exists());
        // A byte flipped inside the stored data of the archive file itself (not rewritten).
        let mut raw = good.clone();
        let at = raw.windows(4).position(|w| w == b"data").expect("a WAV data chunk") + 200;
        raw[at] ^= 0xFF;
        std::fs::write(p("rawflip.zip"), &raw).expect("write");
        refused(&p("rawflip.zip"), "damaged");
    }

    #[test]
    fn an_archive_with_an_older_schema_is_upgraded_by_the_migrations() {
        let (dir, lib, zip) = source();
        lib.export_all(&zip, false).expect("export");
        // Make the archived database look like schema 4 (drop what v5 added), then fix the
        // manifest (size and checksum) so that only the schema differs.
        let old = dir.path().join("v4.zip");
        let db4 = dir.path().join("v4.db");
        let mut zin = zip::ZipArchive::new(File::open(&zip).expect("open")).expect("zip");
        let mut db = vec![];
        zin.by_name(DB_ENTRY).expect("db").read_to_end(&mut db).expect("read");
        std::fs::write(&db4, &db).expect("write");
        {
            // A real v4 database (the migrations up to 4), holding the archive's rows.
            let src = dir.path().join("current.db");
            std::fs::rename(&db4, &src).expect("rename");
            let mut c = rusqlite::Connection::open(&db4).expect("open");
            crate::storage::schema::migrations().to_version(&mut c, 4).expect("v4");
            c.execute("ATTACH ?1 AS src", [src.display().to_string()]).expect("attach");
            for table in ["decks", "questions", "sessions", "takes", "settings", "schedule"] {
                let cols: Vec<String> = c
                    .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .and_then(|mut st| st.query_map([], |r| r.get(0)).and_then(|rows| rows.collect()))
                    .expect("columns");
                let cols = cols.join(", ");
                c.execute_batch(&format!("INSERT INTO main.{table} ({cols}) SELECT {cols} FROM src.{table}")).expect("copy");
            }
            c.execute_batch("DETACH src").expect("detach");
        }
        let db4_bytes = std::fs::read(&db4).expect("read");
        let sum = hex(&Sha256::digest(&db4_bytes));
        rewrite(&zip, &old, |n, b| match n {
            DB_ENTRY => Some((n.to_string(), db4_bytes.clone())),
            MANIFEST => {
                let mut m: Manifest = serde_json::from_slice(&b).expect("manifest");
                m.schema_version = 4;
                let f = m.files.iter_mut().find(|f| f.path == DB_ENTRY).expect("db entry");
                f.size = db4_bytes.len() as u64;
                f.sha256 = sum.clone();
                Some((n.to_string(), serde_json::to_vec(&m).expect("json")))
            }
            _ => Some((n.to_string(), b)),
        });
        let (other, report) = Library::open_importing(DataDir::new(dir.path().join("other")), &old).expect("import");
        assert_eq!(report.schema_version, 4);
        let v: i64 = other.storage_ref().conn_ref().query_row("PRAGMA user_version", [], |r| r.get(0)).expect("v");
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(other.takes(None).expect("takes"), lib.takes(None).expect("takes"));
    }

    #[test]
    fn an_export_refuses_to_overwrite_and_skips_partial_files() {
        let (dir, lib, zip) = source();
        std::fs::write(lib.data_dir().takes_dir().join("0000.wav.partial"), b"in progress").expect("write");
        let r = lib.export_all(&zip, false).expect("export");
        assert_eq!(r.skipped, vec!["0000.wav.partial".to_string()]);
        assert_eq!(lib.export_all(&zip, false).expect_err("exists").kind(), "destination_exists");
        lib.export_all(&zip, true).expect("overwrite");
        let _ = dir;
    }

    #[test]
    fn entry_paths_are_checked() {
        assert!(check_entry_path("rehearse.db").is_ok());
        assert!(check_entry_path("takes/0193abc.wav").is_ok());
        for bad in ["../x", "takes/../../x", "/etc/passwd", "C:/x", "\\x", "takes/sub/x.wav", "takes/.hidden", "other.txt", "takes/"] {
            assert!(check_entry_path(bad).is_err(), "{bad}");
        }
    }
}
