//! rehearse-core: decks, storage and takes. No Tauri and no audio backend: the desktop
//! shell and the CLI drive the same code, which is what proves it.

pub mod analysis;
pub mod archive;
pub mod deck;
mod error;
mod deck_io;
mod export;
mod library;
pub mod metrics_store;
mod model;
pub mod recovery;
pub mod report;
pub mod rng;
pub mod rehearsal;
mod session_wav;
pub mod schedule;
pub mod session;
pub mod paths;
// Review and self-scoring: rubric, bookmarks, blind re-rates, library query, readiness.
pub mod progress;
pub mod query;
pub mod review;
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
pub use progress::{PrincipleRow, ProgressPoint, ProgressScope, Readiness};
pub use query::{LibraryRow, RatingFilter, SortKey, TakePage, TakeQuery};
pub use review::{Bookmark, Calibration, PrincipleLevel, Rerate, RerateCandidate, Rubric};
pub use archive::{ArchiveReport, Manifest};
pub use export::{sanitize_name, ExportReport};
pub use report::{render_html, SessionInfo, SessionReport};
