//! Application state. The library may fail to open (damaged or too-new database): the
//! window still starts and shows why, instead of the app crashing.

use std::sync::{Mutex, MutexGuard};

use rehearse_audio::PlaybackHandle;
use rehearse_core::{DataDir, Library, RecoveryReport};

use crate::error::{CmdResult, CommandError};
use crate::practice::PracticeHandle;
use crate::recorder::ActiveRecording;

pub struct AppState {
    library: Result<Mutex<Library>, CommandError>,
    pub data_dir: Option<String>,
    /// What the start-up recovery pass found (shown once to the user).
    pub recovery: Option<RecoveryReport>,
    pub recording: Mutex<Option<ActiveRecording>>,
    pub playback: Mutex<Option<PlaybackHandle>>,
    pub practice: Mutex<Option<PracticeHandle>>,
    pub call: Mutex<Option<crate::call::Call>>,
}

impl AppState {
    pub fn open() -> Self {
        let dir = DataDir::resolve(None);
        let data_dir = dir.as_ref().ok().map(|d| d.root().display().to_string());
        let mut recovery = None;
        let library = dir
            .and_then(Library::open)
            .and_then(|mut lib| {
                // Takes left behind by a crash or a kill are repaired and indexed at every start.
                recovery = Some(lib.recover()?);
                Ok(lib)
            })
            .map(Mutex::new)
            .map_err(CommandError::from);
        if let Err(e) = &library {
            eprintln!("rehearse: {}", e.message);
        }
        AppState { library, data_dir, recovery, recording: Mutex::new(None), playback: Mutex::new(None), practice: Mutex::new(None), call: Mutex::new(None) }
    }

    pub fn library(&self) -> CmdResult<MutexGuard<'_, Library>> {
        match &self.library {
            Ok(m) => Ok(lock(m)),
            Err(e) => Err(e.clone()),
        }
    }

    pub fn open_error(&self) -> Option<CommandError> {
        self.library.as_ref().err().cloned()
    }
}

/// A poisoned lock only means another command panicked mid-way; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
