//! Application state. The library may fail to open (damaged or too-new database): the
//! window still starts and shows why, instead of the app crashing.

use std::sync::{Mutex, MutexGuard};

use rehearse_audio::PlaybackHandle;
use rehearse_core::{DataDir, Library, RecoveryReport};
use rehearse_engine::{Activity, ActivityState, Ticket};

use crate::error::{CmdResult, CommandError};
use crate::practice::PracticeHandle;
use crate::recorder::ActiveRecording;

pub struct AppState {
    library: Result<Mutex<Library>, CommandError>,
    pub data_dir: Option<String>,
    dir: Option<DataDir>,
    /// What the start-up recovery pass found (shown once to the user).
    pub recovery: Option<RecoveryReport>,
    /// What runs (recording, practice, call, mic check, import, export): the one answer to
    /// "may this start?". The slots below only hold the handles a later command talks to.
    pub activity: ActivityState,
    pub recording: Mutex<Option<ActiveRecording>>,
    pub playback: Mutex<Option<PlaybackHandle>>,
    pub practice: Mutex<Option<PracticeHandle>>,
    pub call: Mutex<Option<crate::call::Call>>,
    /// The open mic check's live meter (it holds the mic check's ticket while it listens).
    pub listening: Mutex<Option<crate::miccheck::Listening>>,
    /// Bytes the start-up freed of killed imports' and exports' leftovers (0: none).
    pub leftovers_freed: u64,
}

impl AppState {
    pub fn open() -> Self {
        let dir = DataDir::resolve(None);
        let data_dir = dir.as_ref().ok().map(|d| d.root().display().to_string());
        let folder = dir.as_ref().ok().cloned();
        let mut recovery = None;
        let mut leftovers_freed = 0;
        let library = dir
            .and_then(Library::open)
            .and_then(|mut lib| {
                // Takes left behind by a crash or a kill are repaired and indexed at every start.
                recovery = Some(lib.recover()?);
                if !lib.leftovers().removed.is_empty() {
                    eprintln!("rehearse: {}", lib.leftovers().summary());
                    leftovers_freed = lib.leftovers().bytes.max(1);
                }
                Ok(lib)
            })
            .map(Mutex::new)
            .map_err(CommandError::from);
        if let Err(e) = &library {
            eprintln!("rehearse: {}", e.message);
        }
        AppState {
            library,
            data_dir,
            dir: folder,
            recovery,
            leftovers_freed,
            activity: ActivityState::new(),
            recording: Mutex::new(None),
            playback: Mutex::new(None),
            practice: Mutex::new(None),
            call: Mutex::new(None),
            listening: Mutex::new(None),
        }
    }

    /// Claims the one activity slot for `what`. The mic check's live meter only listens
    /// while nothing else runs: it is stopped first (its ticket freed), so a recording or a
    /// session started with the check's panel just closed is never refused because of it.
    /// Lock order: the meter's slot, then the activity slot (always the innermost).
    pub fn begin(&self, what: Activity) -> CmdResult<Ticket> {
        let mut listening = lock(&self.listening);
        if let Some(l) = listening.take() {
            l.stop();
        }
        Ok(self.activity.begin(what)?)
    }

    pub fn library(&self) -> CmdResult<MutexGuard<'_, Library>> {
        match &self.library {
            Ok(m) => Ok(lock(m)),
            Err(e) => Err(e.clone()),
        }
    }

    /// Refuses a recording at once while an import or export of everything runs in the data
    /// folder (in this window or in any other process), before waiting for the library,
    /// which this window's own import holds until it is done. It asks the same folder lock
    /// that the core's take or rehearsal then holds for its life, so the two answers agree;
    /// the core's is the one that counts (an import cannot slip in between them).
    pub fn may_record(&self) -> CmdResult<()> {
        if let Some(dir) = &self.dir {
            drop(dir.lock_for_recording()?);
        }
        Ok(())
    }

    pub fn open_error(&self) -> Option<CommandError> {
        self.library.as_ref().err().cloned()
    }
}

/// A poisoned lock only means another command panicked mid-way; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
