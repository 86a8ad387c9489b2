//! Every event the shell sends to the page, named once: its wire name and the type of its
//! payload. `Ev::emit` takes only that type, and the generated bindings (`bindings.rs`,
//! `ui/src/bindings.ts`) list the same table, so the page listens by a typed name instead
//! of a string it spells itself.

use std::marker::PhantomData;

use rehearse_core::Take;
use rehearse_engine::transcribe::WorkerEvent;
use rehearse_engine::RehearsalEvent;
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::metrics::MetricsProgress;
use crate::miccheck::MicCheckPhase;
use crate::practice::PracticePhase;
use crate::recorder::{DiskLowPayload, FailedPayload, LevelPayload, SilentPayload, StartedPayload, WarningPayload};
use crate::review::ArchiveProgress;

/// An event name bound to the type of its payload.
pub struct Ev<T> {
    pub name: &'static str,
    payload: PhantomData<fn(&T)>,
}

impl<T> Clone for Ev<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Ev<T> {}

impl<T: Serialize> Ev<T> {
    const fn new(name: &'static str) -> Self {
        Ev { name, payload: PhantomData }
    }

    /// Sends the event to the page; a window that is gone is no error to the sender.
    pub fn emit(self, app: &AppHandle, payload: &T) {
        let _ = app.emit(self.name, payload);
    }
}

/// The events a recording sends, for the free recorder ("capture-…") or practice ("practice-…").
#[derive(Clone, Copy)]
pub struct RecordingEvents {
    pub started: Ev<StartedPayload>,
    pub level: Ev<LevelPayload>,
    pub finished: Ev<Take>,
    pub failed: Ev<FailedPayload>,
    pub warning: Ev<WarningPayload>,
    pub silent: Ev<SilentPayload>,
    pub disk_low: Ev<DiskLowPayload>,
}

/// The table: `CONST: PayloadType = "wire-name"`. The payload type's name is also its name
/// in the generated TypeScript.
macro_rules! events {
    ($($(#[doc = $doc:literal])* $konst:ident: $ty:ident = $name:literal;)*) => {
        $($(#[doc = $doc])* pub const $konst: Ev<$ty> = Ev::new($name);)*

        /// (wire name, payload type) of every event, for the bindings.
        #[cfg(test)]
        pub const ALL: &[(&str, &str)] = &[$(($name, stringify!($ty))),*];

        /// Registers every payload type with the bindings builder.
        pub fn register_types(b: tauri_specta::Builder<tauri::Wry>) -> tauri_specta::Builder<tauri::Wry> {
            b $(.typ::<$ty>())*
        }
    };
}

events! {
    /// The free recorder's microphone is open: rate, device, how late the first sample came.
    CAPTURE_STARTED: StartedPayload = "capture-started";
    CAPTURE_LEVEL: LevelPayload = "capture-level";
    /// The take is saved.
    CAPTURE_FINISHED: Take = "capture-finished";
    /// The recording ended by itself (saved holds what was kept) or was not kept.
    CAPTURE_FAILED: FailedPayload = "capture-failed";
    /// A microphone stream error during the take; the recording goes on.
    CAPTURE_WARNING: WarningPayload = "capture-warning";
    CAPTURE_SILENT: SilentPayload = "capture-silent";
    CAPTURE_DISK_LOW: DiskLowPayload = "capture-disk-low";
    PRACTICE_STARTED: StartedPayload = "practice-started";
    PRACTICE_LEVEL: LevelPayload = "practice-level";
    /// A practice answer is saved (the session's own "practice" event then moves to review).
    PRACTICE_FINISHED: Take = "practice-finished";
    PRACTICE_FAILED: FailedPayload = "practice-failed";
    PRACTICE_WARNING: WarningPayload = "practice-warning";
    PRACTICE_SILENT: SilentPayload = "practice-silent";
    PRACTICE_DISK_LOW: DiskLowPayload = "practice-disk-low";
    /// The practice session's timeline: think, answer, review, error, done.
    PRACTICE: PracticePhase = "practice";
    MICCHECK: MicCheckPhase = "miccheck";
    PLAYBACK: PlaybackPayload = "playback";
    CALL: RehearsalEvent = "call";
    METRICS: MetricsProgress = "metrics";
    ARCHIVE: ArchiveProgress = "archive";
    TRANSCRIPTION: WorkerEvent = "transcription";
}

pub const CAPTURE: RecordingEvents = RecordingEvents {
    started: CAPTURE_STARTED,
    level: CAPTURE_LEVEL,
    finished: CAPTURE_FINISHED,
    failed: CAPTURE_FAILED,
    warning: CAPTURE_WARNING,
    silent: CAPTURE_SILENT,
    disk_low: CAPTURE_DISK_LOW,
};

pub const PRACTICE_RECORDING: RecordingEvents = RecordingEvents {
    started: PRACTICE_STARTED,
    level: PRACTICE_LEVEL,
    finished: PRACTICE_FINISHED,
    failed: PRACTICE_FAILED,
    warning: PRACTICE_WARNING,
    silent: PRACTICE_SILENT,
    disk_low: PRACTICE_DISK_LOW,
};

/// One playback's progress, tagged with the take it plays.
#[derive(Clone, Serialize, specta::Type)]
pub struct PlaybackPayload {
    pub take_id: i64,
    pub event: rehearse_audio::PlaybackEvent,
}
