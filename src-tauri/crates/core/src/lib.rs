//! rehearse-core: decks, storage and takes. No Tauri and no audio backend: the desktop
//! shell and the CLI drive the same code, which is what proves it.

pub mod analysis;
pub mod deck;
mod error;
mod deck_io;
mod library;
mod model;
pub mod recovery;
pub mod rehearsal;
mod session_wav;
pub mod schedule;
pub mod session;
pub mod paths;
pub mod storage;
pub mod template;
mod time_fmt;
pub mod wav_repair;

pub use error::{CoreError, Result};
pub use library::{Library, PlannedTake, RecordedTake};
pub use deck_io::ImportReport;
pub use schedule::ScheduleRow;
pub use session::{Order, PracticeOptions, Session, SessionSummary};
pub use recovery::{DamagedFile, RecoveredSession, RecoveryReport};
pub use model::{DeckId, DeckSummary, Question, QuestionId, Take, TakeId};
pub use paths::DataDir;
