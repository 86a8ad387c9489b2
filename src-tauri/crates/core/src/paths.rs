//! Where data lives. The platform seam is `dirs::data_dir()` (XDG on Linux, Application
//! Support on macOS, AppData on Windows); `REHEARSE_DATA_DIR` or `--data-dir` override it.

use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};

pub const ENV_DATA_DIR: &str = "REHEARSE_DATA_DIR";
const DB_FILE: &str = "rehearse.db";
const TAKES_DIR: &str = "takes";

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
    /// Absolute path of a take file stored relative to the data folder.
    pub fn take_file(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Creates the folders and checks that they can be written.
    pub fn ensure(&self) -> Result<()> {
        let takes = self.takes_dir();
        std::fs::create_dir_all(&takes).map_err(|e| CoreError::DataDir { op: "create", path: takes.clone(), source: e })?;
        let probe = takes.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(|e| CoreError::DataDir { op: "write to", path: takes.clone(), source: e })?;
        let _ = std::fs::remove_file(probe);
        Ok(())
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
    fn an_unwritable_folder_is_reported_with_its_path() {
        let f = tempfile::NamedTempFile::new().expect("file");
        // A regular file where the data folder should be: nothing can be created under it.
        let d = DataDir::new(f.path().join("sub"));
        let err = d.ensure().expect_err("must fail");
        assert_eq!(err.kind(), "data_dir");
        assert!(err.to_string().contains(&f.path().display().to_string()), "{err}");
    }
}
