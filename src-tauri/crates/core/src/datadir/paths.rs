//! Where data lives. The platform seam is `dirs::data_dir()` (XDG on Linux, Application
//! Support on macOS, AppData on Windows); `REHEARSE_DATA_DIR` or `--data-dir` override it.

use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};

pub const ENV_DATA_DIR: &str = "REHEARSE_DATA_DIR";
const DB_FILE: &str = "rehearse.db";
const TAKES_DIR: &str = "takes";
const SESSIONS_DIR: &str = "sessions";

/// A file name that is safe to create in any folder: one component, no separators, no
/// "..", no leading dot, no control characters, no drive letters or Windows specials.
pub(crate) fn safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
}

/// Checks a file path read from the database (or an archive): it must be
/// `takes/<file name>` or `sessions/<file name>`, relative to the data folder. This is the
/// only way a stored path becomes a filesystem path (`DataDir::stored_file`), so a
/// database that names `../x`, `/etc/x` or `takes/../../x` cannot make Rehearse read,
/// write or delete anything outside the data folder.
pub fn check_stored_path(relative: &str) -> Result<()> {
    let ok = [TAKES_DIR, SESSIONS_DIR]
        .iter()
        .any(|dir| relative.strip_prefix(dir).and_then(|r| r.strip_prefix('/')).is_some_and(safe_file_name));
    if ok {
        Ok(())
    } else {
        Err(CoreError::unsafe_path(relative))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    /// An explicit folder wins, then `REHEARSE_DATA_DIR`, then the platform data dir.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self> {
        if let Some(p) = explicit {
            return Ok(DataDir::new(p));
        }
        if let Some(p) = std::env::var_os(ENV_DATA_DIR).filter(|p| !p.is_empty()) {
            return Ok(DataDir::new(p));
        }
        dirs::data_dir().map(|d| DataDir::new(d.join("rehearse"))).ok_or(CoreError::NoDataDir)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }
    pub fn takes_dir(&self) -> PathBuf {
        self.root.join(TAKES_DIR)
    }
    pub fn sessions_dir(&self) -> PathBuf {
        self.root.join(SESSIONS_DIR)
    }
    /// The absolute path of a file stored relative to the data folder (a take's WAV, a
    /// session's recording), once `check_stored_path` has found it inside `takes/` or
    /// `sessions/`; otherwise an error naming the value.
    pub fn stored_file(&self, relative: &str) -> Result<PathBuf> {
        check_stored_path(relative)?;
        Ok(self.root.join(relative))
    }

    /// Creates the folders when missing and checks that they and the database file can be
    /// written. Existing ones that cannot be written are no error: the library is then opened
    /// for reading only, and this says which (the folder or the file) and why. Nothing is
    /// written to check (an empty file is made and removed), so a full disk passes.
    pub fn ensure(&self) -> Result<Option<(PathBuf, String)>> {
        let takes = self.takes_dir();
        std::fs::create_dir_all(&takes).map_err(|e| CoreError::DataDir { op: "create", path: takes.clone(), source: e })?;
        for folder in [self.root.clone(), takes] {
            let probe = folder.join(".write-test");
            match std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&probe) {
                Ok(_) => {
                    let _ = std::fs::remove_file(&probe);
                }
                Err(e) if read_only(&e) => return Ok(Some((folder, why_read_only(&e)))),
                Err(e) => return Err(CoreError::DataDir { op: "write to", path: folder, source: e }),
            }
        }
        let db = self.db_path();
        if db.exists() {
            if let Err(e) = std::fs::OpenOptions::new().write(true).open(&db) {
                if read_only(&e) {
                    return Ok(Some((db, why_read_only(&e))));
                }
            }
        }
        Ok(None)
    }
}

/// A folder or file that exists but cannot be written: a read-only mount, no permission,
/// or an immutable file (`chattr +i`, which stops root too).
fn read_only(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied)
}

fn why_read_only(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem => "its file system is mounted read-only".into(),
        _ => format!("it cannot be written: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_folder_wins_over_everything() {
        let d = DataDir::resolve(Some(Path::new("/tmp/x"))).expect("resolve");
        assert_eq!(d.db_path(), Path::new("/tmp/x/rehearse.db"));
        assert_eq!(d.takes_dir(), Path::new("/tmp/x/takes"));
    }

    #[test]
    fn only_paths_inside_takes_or_sessions_become_file_paths() {
        let d = DataDir::new("/data");
        assert_eq!(d.stored_file("takes/0193abc.wav").expect("ok"), Path::new("/data/takes/0193abc.wav"));
        assert_eq!(d.stored_file("sessions/0193abc.wav").expect("ok"), Path::new("/data/sessions/0193abc.wav"));
        let long = format!("../{}", "x".repeat(10_000));
        for bad in [
            "../other/x.wav",
            "/etc/passwd",
            "takes/../../x.wav",
            "takes/sub/x.wav",
            "takes/..",
            "takes/.x.wav",
            "takes/",
            "takes",
            "x.wav",
            "rehearse.db",
            "takes\\..\\x.wav",
            "C:/x.wav",
            "takes/x\nwav",
            "sessionsx/a.wav",
            long.as_str(),
        ] {
            let err = d.stored_file(bad).expect_err(bad);
            assert_eq!(err.kind(), "unsafe_path");
            assert!(err.to_string().len() < 300, "{err}");
        }
    }

    #[test]
    fn an_unwritable_folder_is_reported_with_its_path() {
        let f = tempfile::NamedTempFile::new().expect("file");
        // A regular file where the data folder should be: nothing can be created under it.
        let d = DataDir::new(f.path().join("sub"));
        let err = d.ensure().expect_err("must fail");
        assert_eq!(err.kind(), "data_dir");
        assert!(err.to_string().contains(&f.path().display().to_string()), "{err}");
    }
}
