//! rehearse-engine: the session drivers, driven the same way by the CLI and the desktop
//! shell (no Tauri here).
//! - The timed video-call rehearsal: one thread owns the session: the clock (counted in
//!   samples of the one continuous recording), the interviewer voices, the markers and the
//!   takes cut from the recording. Front ends send [`Command`]s and read [`RehearsalEvent`]s.
//! - The practice session ([`practice`]): think → answer → review, question by question;
//!   front ends send [`PracticeCmd`]s and hear [`PracticePhase`]s.
//! - One take's lifecycle ([`recorder`]): open the microphone, watch, stop, save or abandon.

pub mod activity;
pub mod capture_watch;
mod driver;
mod error;
pub mod practice;
pub mod recorder;
pub mod speech_model;
pub mod take;
pub mod transcribe;
mod tts;

pub use activity::{Activity, ActivityState, Busy, Ticket};
pub use driver::{start, CallWarning, Command, DeadlineKind, RehearsalEvent, RehearsalHandle, RehearsalRequest, RehearsalSummary};
pub use error::EngineError;
pub use practice::{PracticeCmd, PracticeHandle, PracticeHost, PracticePhase};
pub use recorder::{Shelf, TakeEnd, TakeObserver, TakeRecorder, TakeSpec, TakeStarted};
pub use rehearse_core::template::Speaker;
pub use tts::{default_voice, EspeakNg, Voice};
