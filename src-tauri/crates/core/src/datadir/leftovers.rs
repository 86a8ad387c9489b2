//! Staging folders of imports and exports (`.import-XXXXXX`, `.export-XXXXXX` in the data
//! folder) and the temporary files exports write beside their destination
//! (`.NAME.<id>.partial`). Each staging folder holds a lock for as long as its process
//! uses it; a process that was killed leaves them behind, and the next start removes
//! those no running process holds (and says how much that freed).

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::error::{CoreError, Result};

const LOCK: &str = ".lock";
/// Where an export notes the temporary file it writes beside its destination.
const PARTIAL_NOTE: &str = ".partial-path";
const PREFIXES: [&str; 2] = [".import-", ".export-"];
/// A staging folder without a lock (made by an older Rehearse, or killed between making
/// the folder and locking it) is only removed once it is this old.
const UNLOCKED_GRACE: Duration = Duration::from_secs(600);

/// A staging folder in the data folder, locked while this value lives, removed when it
/// is dropped.
pub(crate) struct Staging {
    // Field order: the folder is removed before the lock is let go.
    dir: tempfile::TempDir,
    _lock: File,
}

impl Staging {
    pub(crate) fn new(root: &Path, prefix: &str) -> Result<Staging> {
        let dir =
            tempfile::Builder::new().prefix(prefix).tempdir_in(root).map_err(|e| CoreError::io("create a staging folder in", root, e))?;
        let lock_path = dir.path().join(LOCK);
        let lock = File::create(&lock_path).map_err(|e| CoreError::io("create", &lock_path, e))?;
        lock.try_lock().map_err(|e| CoreError::io("lock", &lock_path, std::io::Error::other(e.to_string())))?;
        Ok(Staging { dir, _lock: lock })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Notes the temporary file (or folder) an export writes beside its destination, so
    /// that the next start removes it if this process is killed before it is renamed.
    pub(crate) fn note_partial(&self, partial: &Path) -> Result<()> {
        let note = self.path().join(PARTIAL_NOTE);
        let abs = std::path::absolute(partial).map_err(|e| CoreError::io("note", partial, e))?;
        std::fs::write(&note, os_bytes(abs.as_os_str())).map_err(|e| CoreError::io("write", &note, e))
    }
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}
#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}
#[cfg(unix)]
fn os_from(b: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(b)
}
#[cfg(not(unix))]
fn os_from(b: Vec<u8>) -> OsString {
    OsString::from(String::from_utf8_lossy(&b).into_owned())
}

/// What the start-up clean-up removed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Leftovers {
    /// Each folder or file removed.
    pub removed: Vec<PathBuf>,
    pub bytes: u64,
}

impl Leftovers {
    /// One line for a person.
    pub fn summary(&self) -> String {
        format!(
            "removed {} left by an interrupted import or export ({:.1} MB freed)",
            if self.removed.len() == 1 {
                "1 staging folder or temporary file".to_string()
            } else {
                format!("{} staging folders and temporary files", self.removed.len())
            },
            self.bytes as f64 / 1_000_000.0
        )
    }
}

/// Bytes under `p` (files only; links are not followed).
fn tree_size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::read_dir(p).map(|d| d.filter_map(|e| e.ok()).map(|e| tree_size(&e.path())).sum()).unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// A name an export's temporary file can have: `.NAME.<32 hex>.partial`.
fn is_partial_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial")) else { return false };
    rest.rsplit_once('.').is_some_and(|(base, id)| !base.is_empty() && id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Removes the staging folders under `root` that no running process holds, and the
/// temporary files they noted. An import killed while it swapped databases left the
/// previous database in its staging folder: when the data folder has none, it is put
/// back first.
pub(crate) fn clean(root: &Path, db_path: &Path) -> Leftovers {
    let mut out = Leftovers::default();
    let Ok(entries) = std::fs::read_dir(root) else { return out };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !PREFIXES.iter().any(|p| name.starts_with(p)) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = e.path();
        // Held while removing, so that a process starting now cannot take it over.
        let _lock = match File::open(dir.join(LOCK)) {
            Ok(l) => match l.try_lock() {
                Ok(()) => Some(l),
                Err(_) => continue, // a running process holds it (or it cannot be told)
            },
            Err(_) => {
                let age = e.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| SystemTime::now().duration_since(t).ok());
                if age.is_none_or(|a| a < UNLOCKED_GRACE) {
                    continue;
                }
                None
            }
        };
        let previous = dir.join("previous");
        if !db_path.exists() && previous.join("rehearse.db").exists() {
            for suffix in ["", "-wal", "-shm"] {
                let mut to = db_path.as_os_str().to_owned();
                to.push(suffix);
                let _ = std::fs::rename(previous.join(format!("rehearse.db{suffix}")), PathBuf::from(to));
            }
        }
        if let Ok(note) = std::fs::read(dir.join(PARTIAL_NOTE)) {
            let partial = PathBuf::from(os_from(note));
            if partial.file_name().and_then(|n| n.to_str()).is_some_and(is_partial_name) {
                let size = tree_size(&partial);
                let gone = match std::fs::symlink_metadata(&partial) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&partial).is_ok(),
                    Ok(_) => std::fs::remove_file(&partial).is_ok(),
                    Err(_) => false,
                };
                if gone {
                    out.bytes += size;
                    out.removed.push(partial);
                }
            }
        }
        let size = tree_size(&dir);
        if std::fs::remove_dir_all(&dir).is_ok() {
            out.bytes += size;
            out.removed.push(dir);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names_are_recognised_exactly() {
        assert!(is_partial_name(".all.zip.0193a1b2c3d4e5f60718293a4b5c6d7e.partial"));
        assert!(is_partial_name(".백업 🎤.zip.0193a1b2c3d4e5f60718293a4b5c6d7e.partial"));
        for bad in [
            "all.zip",
            ".all.zip.partial",
            ".all.zip.xyz.partial",
            "..0193a1b2c3d4e5f60718293a4b5c6d7e.partial",
            ".all.zip.0193a1b2c3d4e5f60718293a4b5c6d7e",
        ] {
            assert!(!is_partial_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_held_staging_folder_is_kept_and_a_released_one_is_removed_with_its_partial_file() {
        let root = tempfile::tempdir().expect("dir");
        let out = tempfile::tempdir().expect("out");
        let db = root.path().join("rehearse.db");
        let held = Staging::new(root.path(), ".import-").expect("staging");
        std::fs::write(held.path().join("big"), vec![0u8; 10_000]).expect("write");
        let dead = Staging::new(root.path(), ".export-").expect("staging");
        let partial = out.path().join(".all.zip.0193a1b2c3d4e5f60718293a4b5c6d7e.partial");
        std::fs::write(&partial, vec![1u8; 5_000]).expect("write");
        dead.note_partial(&partial).expect("note");
        std::fs::write(dead.path().join("rehearse.db"), vec![2u8; 3_000]).expect("write");
        let dead_path = dead.path().to_path_buf();
        // What a killed process leaves: the folder stays, the lock goes.
        let Staging { dir, _lock } = dead;
        let _ = dir.keep();
        drop(_lock);
        let r = clean(root.path(), &db);
        assert!(held.path().exists(), "a folder a running process holds is kept");
        assert!(!dead_path.exists() && !partial.exists());
        assert_eq!(r.removed.len(), 2);
        assert!(r.bytes >= 8_000, "{r:?}");
        assert!(r.summary().contains("MB freed"), "{}", r.summary());
        // A folder with no lock (an older Rehearse) is removed only once it is old.
        let young = root.path().join(".import-young");
        std::fs::create_dir(&young).expect("mkdir");
        assert_eq!(clean(root.path(), &db).removed, Vec::<PathBuf>::new());
        assert!(young.exists());
    }
}
