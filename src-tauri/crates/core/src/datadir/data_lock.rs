//! Who may use a data folder at the same time, across processes (the window, any number of
//! CLIs) and within one. These are advisory file locks of the operating system (`flock` on
//! Unix, `LockFileEx` on Windows): the kernel releases them when their holder exits or
//! dies, so a crash or a kill never leaves a folder locked, and two handles opened apart
//! conflict even inside one process, so the window's own import and recording exclude
//! each other the same way as two programs do.
//!
//! - A recording (a take, a rehearsal) holds the folder lock *shared* from the moment its
//!   file is planned until its row is written; crash recovery holds it shared while it
//!   indexes takes. Any number of these run side by side.
//! - An import or export of everything holds it *exclusively* for its whole run, from
//!   before its first check to after the swap: no recording can start in between, and
//!   none can start while a recording runs.
//!
//!   Nobody waits for the folder lock: whoever comes second is refused at once, with a
//!   message naming what runs.
//! - Crash recovery also holds a lock of its own exclusively, so that one process repairs
//!   and indexes what a crash left while the others wait for it (and then find nothing
//!   left to do) instead of racing it for the same files.
//!
//! On Unix the folder lock is taken on the data folder itself and the recovery lock on its
//! `takes/` folder: no lock file appears in the folder, in its archives, or in the way of
//! an import into an empty folder. Elsewhere (directories cannot be locked) they are
//! hidden files in the data folder.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{CoreError, Result};
use crate::paths::DataDir;

/// A lock on a data folder, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// What an import or export of everything is refused for, and a recording's refusal.
pub(crate) const RECORDING: &str = "a recording cannot start";
pub(crate) const IMPORT: &str = "an import of everything cannot start";
pub(crate) const EXPORT: &str = "an export of everything cannot start";

/// How long crash recovery waits for another process's recovery before skipping its own.
const RECOVERY_WAIT: Duration = Duration::from_secs(15);

impl DataDir {
    /// Held by a recording for its life: refused while an import or export of everything
    /// runs in this folder (in any process).
    pub fn lock_for_recording(&self) -> Result<FolderLock> {
        let file = self.open_lock(Which::Folder)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(FolderLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(CoreError::ArchiveRunning { dir: self.root().to_path_buf(), refused: RECORDING }),
            Err(TryLockError::Error(e)) => Err(CoreError::io("lock", self.lock_path(Which::Folder), e)),
        }
    }

    /// Held by an import or export of everything for its whole run: refused while anything
    /// else holds the folder (a recording, a crash recovery, another import or export).
    pub(crate) fn lock_whole(&self, refused: &'static str) -> Result<FolderLock> {
        let file = self.open_lock(Which::Folder)?;
        match file.try_lock() {
            Ok(()) => Ok(FolderLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                let dir = self.root().to_path_buf();
                // Only another import or export holds it exclusively; a shared lock that can be
                // had tells that the holder is a recording. (Only the message depends on it.)
                let probe = self.open_lock(Which::Folder)?;
                Err(match probe.try_lock_shared() {
                    Ok(()) => CoreError::RecordingRunning { dir, refused },
                    Err(_) => CoreError::ArchiveRunning { dir, refused },
                })
            }
            Err(TryLockError::Error(e)) => Err(CoreError::io("lock", self.lock_path(Which::Folder), e)),
        }
    }

    /// For crash recovery: the folder shared (None while an import or export of everything
    /// runs: recovery is left to the next start), then the recovery lock, waited for while
    /// another process recovers (None if it takes longer than [`RECOVERY_WAIT`]).
    pub(crate) fn lock_for_recovery(&self) -> Result<Option<(FolderLock, FolderLock)>> {
        let folder = self.open_lock(Which::Folder)?;
        match folder.try_lock_shared() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(CoreError::io("lock", self.lock_path(Which::Folder), e)),
        }
        Ok(self.wait_recovery_lock()?.map(|recovery| (FolderLock { _file: folder }, recovery)))
    }

    /// The recovery lock alone, for a recording that recovers its own take (the folder is
    /// already held by its plan). None if another recovery holds it too long.
    pub(crate) fn wait_recovery_lock(&self) -> Result<Option<FolderLock>> {
        let file = self.open_lock(Which::Recovery)?;
        let deadline = Instant::now() + RECOVERY_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(FolderLock { _file: file })),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(CoreError::io("lock", self.lock_path(Which::Recovery), e)),
            }
        }
    }

    fn lock_path(&self, which: Which) -> PathBuf {
        if cfg!(unix) {
            match which {
                Which::Folder => self.root().to_path_buf(),
                Which::Recovery => self.takes_dir(),
            }
        } else {
            self.root().join(match which {
                Which::Folder => ".rehearse-folder.lock",
                Which::Recovery => ".rehearse-recovery.lock",
            })
        }
    }

    fn open_lock(&self, which: Which) -> Result<File> {
        let path = self.lock_path(which);
        open_for_lock(&path).map_err(|e| CoreError::io("lock", path, e))
    }
}

#[derive(Clone, Copy)]
enum Which {
    Folder,
    Recovery,
}

#[cfg(unix)]
fn open_for_lock(path: &Path) -> std::io::Result<File> {
    File::open(path) // a directory opens read-only, and `flock` works on it
}

#[cfg(not(unix))]
fn open_for_lock(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> (tempfile::TempDir, DataDir) {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = DataDir::new(tmp.path());
        dir.ensure().expect("ensure");
        (tmp, dir)
    }

    #[test]
    fn recordings_share_the_folder_and_keep_an_import_or_export_out_until_the_last_ends() {
        let (_t, dir) = folder();
        let a = dir.lock_for_recording().expect("first recording");
        let b = dir.lock_for_recording().expect("a second recording alongside");
        let err = dir.lock_whole(IMPORT).expect_err("import while recording");
        assert_eq!(err.kind(), "recording_running");
        assert!(err.to_string().contains("a recording") && err.to_string().contains("an import of everything cannot start"), "{err}");
        drop(a);
        assert_eq!(dir.lock_whole(EXPORT).expect_err("one recording still runs").kind(), "recording_running");
        drop(b);
        let whole = dir.lock_whole(EXPORT).expect("nothing records any more");
        drop(whole);
    }

    #[test]
    fn an_import_or_export_refuses_recordings_recovery_and_another_import_until_it_ends() {
        let (_t, dir) = folder();
        let whole = dir.lock_whole(IMPORT).expect("import");
        let err = dir.lock_for_recording().expect_err("record while importing");
        assert_eq!(err.kind(), "archive_running");
        assert!(err.to_string().contains("an import or export of everything is running") && err.to_string().contains(RECORDING), "{err}");
        assert_eq!(dir.lock_whole(EXPORT).expect_err("a second archive").kind(), "archive_running");
        assert!(dir.lock_for_recovery().expect("no error").is_none(), "recovery is left for later");
        drop(whole);
        dir.lock_for_recording().expect("record after the import");
    }

    #[test]
    fn a_second_recovery_waits_for_the_first_and_then_runs() {
        let (_t, dir) = folder();
        let first = dir.lock_for_recovery().expect("lock").expect("first recovery");
        let d2 = dir.clone();
        let started = Instant::now();
        let second = std::thread::spawn(move || d2.lock_for_recovery().expect("lock").map(|_| started.elapsed()));
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
        let waited = second.join().expect("thread").expect("second recovery after the first");
        assert!(waited >= Duration::from_millis(300), "it waited: {waited:?}");
    }
}
