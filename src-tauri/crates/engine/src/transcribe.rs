//! Transcription of takes, shared by the window and the CLI: one take on request, or every
//! take not transcribed yet, oldest first, with progress ("transcribing 3 of 12") and a
//! cancel. Nothing is kept until a take's transcript is complete: what is pending is read
//! from the database (takes with no transcript row), so a crash or a kill in the middle
//! loses nothing and the take is simply transcribed at the next start.
//!
//! The background [`Worker`] runs on its own thread at the lowest CPU priority (nice 19,
//! which the model's own threads inherit), so it only uses what recording and the window
//! leave over, and with one model thread while a recording runs (`set_recording`). It has
//! its own connection to the library (WAL: reads and writes of the window's connection
//! never wait on a transcription), and a missing or damaged model turns transcription off
//! with the reason, leaving every other feature alone.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use rehearse_core::storage::transcripts::StoredTranscript;
use rehearse_core::transcript::{ModelIdentity, Transcript};
use rehearse_core::{DataDir, Library, TakeId};
use serde::Serialize;

use crate::error::EngineError;

/// Why a model could not hear a take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HearError {
    /// The progress callback asked to stop: nothing is kept.
    Cancelled,
    /// The model failed on this take (unreadable audio, a failed decode): kept as the
    /// take's failure, with this reason.
    Failed(String),
}

/// A loaded speech model, as the worker uses it (implemented over rehearse-speech's
/// recognizer in [`crate::speech_model`]).
pub trait Hear: Send {
    fn identity(&self) -> ModelIdentity;
    /// Model threads to use (1 while a recording runs; the machine's cores otherwise).
    fn set_threads(&mut self, threads: usize);
    /// What was said in `wav`, told the language; `progress` gets the share done and returns
    /// false to cancel.
    fn hear(&mut self, wav: &Path, language: &str, progress: &mut dyn FnMut(f32) -> bool) -> Result<Transcript, HearError>;
}

/// Transcribes one take (again, if it has a transcript) in its language, first correcting
/// the take's language to `language` when given. A model failure is kept as the take's
/// failure and returned as an error; a cancel keeps nothing.
pub fn transcribe_take(
    lib: &mut Library,
    model: &mut dyn Hear,
    id: TakeId,
    language: Option<&str>,
    progress: &mut dyn FnMut(f32) -> bool,
) -> Result<StoredTranscript, EngineError> {
    let take = lib.take(id)?;
    if take.status == "damaged" {
        return Err(EngineError::Transcription(format!("take {id} is damaged: it has no audio to transcribe")));
    }
    // Checked before anything changes: an unknown language leaves the take as it was.
    if let Some(lang) = language.filter(|l| *l != take.language) {
        lib.set_take_language(id, lang)?;
    }
    let take = lib.take(id)?;
    let path = lib.take_path(&take)?;
    // The identity of the file as the model is about to read it: a take rewritten while it
    // is heard shows as changed afterwards, never as current.
    let file = lib.take_file_identity(id)?;
    match model.hear(&path, &take.language, progress) {
        Ok(t) => {
            lib.save_transcript(id, &t, &file)?;
        }
        Err(HearError::Cancelled) => return Err(EngineError::Cancelled),
        Err(HearError::Failed(why)) => {
            lib.save_transcript_failure(id, &take.language, &model.identity(), &file, &why)?;
            return Err(EngineError::Transcription(format!("take {id} could not be transcribed: {why}")));
        }
    }
    lib.transcript(id)?.ok_or_else(|| EngineError::Transcription(format!("take {id}: its transcript was not kept")))
}

/// Where a run over the pending takes is.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingProgress {
    /// 1-based: the take being transcribed is the `index`-th of `total`.
    pub index: u64,
    /// Takes done in this run plus those still pending (grows when takes are recorded meanwhile).
    pub total: u64,
    pub take_id: TakeId,
    /// Share of this take done, 0..=1.
    pub fraction: f32,
}

/// What a run over the pending takes did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PendingReport {
    pub transcribed: Vec<TakeId>,
    /// Takes the model failed on, with why (kept as their failure: not pending any more).
    pub failed: Vec<(TakeId, String)>,
    /// The run was cancelled; the take it was on stays pending.
    pub cancelled: bool,
}

/// Transcribes every take not transcribed yet, oldest first, until none is left or `cancel`
/// is set. `progress` is told each take's start and progress.
pub fn transcribe_pending(
    lib: &mut Library,
    model: &mut dyn Hear,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&PendingProgress),
) -> Result<PendingReport, EngineError> {
    let mut report = PendingReport::default();
    let mut done = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            return Ok(report);
        }
        let Some(&id) = lib.takes_pending_transcription(1)?.first() else { return Ok(report) };
        let total = done + lib.pending_transcription_count()?;
        let mut at = PendingProgress { index: done + 1, total, take_id: id, fraction: 0.0 };
        progress(&at);
        let mut on_progress = |f: f32| {
            at.fraction = f.clamp(0.0, 1.0);
            progress(&at);
            !cancel.load(Ordering::Relaxed)
        };
        match transcribe_take(lib, model, id, None, &mut on_progress) {
            Ok(_) => report.transcribed.push(id),
            Err(EngineError::Cancelled) => {
                report.cancelled = true;
                return Ok(report);
            }
            Err(EngineError::Transcription(why)) => report.failed.push((id, why)),
            Err(EngineError::Core(e)) if matches!(e.kind(), "io" | "unknown_take") => {
                // The file went missing, or the take was deleted meanwhile: kept as a
                // failure when the take is still there, so the run goes on.
                let why = e.to_string();
                if let Ok(take) = lib.take(id) {
                    let none = rehearse_core::storage::transcripts::FileIdentity { bytes: 0, mtime_ms: 0, sha256: String::new() };
                    lib.save_transcript_failure(id, &take.language, &model.identity(), &none, &why)?;
                    report.failed.push((id, why));
                }
            }
            Err(e) => return Err(e),
        }
        done += 1;
    }
}

/// Lowers the calling thread to the lowest CPU priority (nice 19 on Linux); threads it
/// starts afterwards (the model's) inherit it. Best effort: a system that refuses leaves
/// the thread at normal priority, which is slower to yield but still correct.
pub fn lower_this_thread_priority() -> bool {
    thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min).is_ok()
}

/// What the background worker reports.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// Transcription is off: no model, or a damaged one (which, where and how to install it).
    Off(crate::speech_model::ModelOff),
    /// Transcribing the `index`-th pending take of `total`.
    Working(PendingProgress),
    /// A take's transcript was stored (review can show it now).
    Transcribed { take_id: TakeId },
    /// A take could not be transcribed (kept as its failure).
    Failed { take_id: TakeId, reason: String },
    /// Nothing is pending.
    Idle,
    /// The library could not be read or written; the worker stopped.
    Stopped { reason: String },
}

enum Msg {
    /// Look for pending takes (a take was just saved).
    Kick,
    /// A recording started or ended (the flag is read before each take).
    Recording,
    Stop,
}

/// Loads a model for the worker; the error is the reason transcription is off.
pub type ModelLoader = Box<dyn FnOnce() -> Result<Box<dyn Hear>, crate::speech_model::ModelOff> + Send>;

/// The background transcription worker. Dropping it cancels the take it is on (which stays
/// pending) and joins the thread.
pub struct Worker {
    tx: Sender<Msg>,
    cancel: Arc<AtomicBool>,
    recording: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker over the library in `dir`: it loads the model, then transcribes
    /// whatever is pending, and again after each [`Worker::kick`].
    pub fn start(dir: DataDir, load: ModelLoader, events: impl Fn(WorkerEvent) + Send + 'static) -> Result<Worker, EngineError> {
        let (tx, rx) = unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let recording = Arc::new(AtomicBool::new(false));
        let (c, r) = (cancel.clone(), recording.clone());
        let thread = std::thread::Builder::new()
            .name("rehearse-transcribe".into())
            .spawn(move || run(dir, load, rx, c, r, &events))
            .map_err(|e| EngineError::Thread("transcription", e.to_string()))?;
        Ok(Worker { tx, cancel, recording, thread: Some(thread) })
    }

    /// A take was saved: transcribe it (and anything else pending) when the worker is free.
    pub fn kick(&self) {
        let _ = self.tx.send(Msg::Kick);
    }

    /// A recording started or ended: while one runs the model uses one thread (at the
    /// lowest priority either way), so the recording's threads always get a core.
    pub fn set_recording(&self, on: bool) {
        self.recording.store(on, Ordering::Relaxed);
        let _ = self.tx.send(Msg::Recording);
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn threads_for(recording: bool) -> usize {
    if recording {
        1
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(4)
    }
}

fn run(
    dir: DataDir,
    load: ModelLoader,
    rx: Receiver<Msg>,
    cancel: Arc<AtomicBool>,
    recording: Arc<AtomicBool>,
    events: &dyn Fn(WorkerEvent),
) {
    lower_this_thread_priority();
    let mut model = match load() {
        Ok(m) => m,
        Err(off) => {
            events(WorkerEvent::Off(off));
            return;
        }
    };
    let mut lib = match Library::open(dir) {
        Ok(l) => l,
        Err(e) => {
            events(WorkerEvent::Stopped { reason: e.to_string() });
            return;
        }
    };
    loop {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let mut progress = |p: &PendingProgress| events(WorkerEvent::Working(p.clone()));
        let report = {
            let mut adapt = ThreadsFollowRecording { inner: model.as_mut(), recording: &recording };
            transcribe_pending(&mut lib, &mut adapt, &cancel, &mut progress)
        };
        match report {
            Ok(r) => {
                for id in &r.transcribed {
                    events(WorkerEvent::Transcribed { take_id: *id });
                }
                for (id, why) in &r.failed {
                    events(WorkerEvent::Failed { take_id: *id, reason: why.clone() });
                }
                if r.cancelled {
                    return;
                }
                events(WorkerEvent::Idle);
            }
            Err(e) => {
                events(WorkerEvent::Stopped { reason: e.to_string() });
                return;
            }
        }
        // Wait for a saved take; look again now and then (another process may have recorded).
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Msg::Kick | Msg::Recording) | Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Sets the model's threads from the recording flag before each take.
struct ThreadsFollowRecording<'a> {
    inner: &'a mut dyn Hear,
    recording: &'a AtomicBool,
}

impl Hear for ThreadsFollowRecording<'_> {
    fn identity(&self) -> ModelIdentity {
        self.inner.identity()
    }
    fn set_threads(&mut self, threads: usize) {
        self.inner.set_threads(threads);
    }
    fn hear(&mut self, wav: &Path, language: &str, progress: &mut dyn FnMut(f32) -> bool) -> Result<Transcript, HearError> {
        self.inner.set_threads(threads_for(self.recording.load(Ordering::Relaxed)));
        self.inner.hear(wav, language, progress)
    }
}
