//! rehearse-engine: the timed video-call rehearsal, driven the same way by the CLI and the
//! desktop shell (no Tauri here). One thread owns the session: the clock (counted in
//! samples of the one continuous recording), the interviewer voices, the markers and the
//! takes cut from the recording. Front ends send [`Command`]s and read [`RehearsalEvent`]s.

mod driver;
mod error;
mod tts;

pub use driver::{start, Command, DeadlineKind, RehearsalEvent, RehearsalHandle, RehearsalRequest, RehearsalSummary};
pub use error::EngineError;
pub use rehearse_core::template::Speaker;
pub use tts::{default_voice, EspeakNg, Voice};
