//! rehearse-core: decks, storage and takes. No Tauri and no audio backend: the desktop
//! shell and the CLI drive the same code, which is what proves it.

// Lower layers, imported by everything and importing nothing from the features
// (tests/layers.rs checks it).
pub mod datadir;
mod error;
mod fold;
mod model;
pub mod rng;
pub mod settings;
pub mod storage;
pub mod text_limit;
mod time_fmt;

// The handle every feature extends (`impl Library` in each folder); it imports only the
// lower layers and the value formats (decks::deck, rehearsals::template).
mod library;

// The features, one folder per domain.
pub mod archives;
pub mod decks;
pub mod practice;
pub mod rehearsals;
pub mod reports;
// The story bank: the user's STAR stories, their principles, grid, schedule and file format.
pub mod stories;
pub mod takes;
pub mod transcripts;

// Compatibility paths for code not yet moved: each module's old flat path still resolves
// (`crate::deck::X`, `rehearse_core::deck::X`); new code names the folder (`decks::deck`).
pub use archives::archive;
pub(crate) use archives::export;
pub use datadir::{data_lock, leftovers, paths};
pub use decks::deck;
pub(crate) use decks::deck_io;
pub use practice::{progress, query, review, schedule, session};
pub(crate) use rehearsals::session_wav;
pub use rehearsals::{rehearsal, template};
pub use reports::report;
pub use takes::{analysis, metrics_store, recovery, wav_repair};
pub use transcripts::{transcript, transcript_analysis, transcript_store};

pub use archive::{ArchiveReport, Manifest};
pub use deck_io::ImportReport;
pub use error::{echo, CoreError, Result};
pub use export::{sanitize_name, ExportReport};
pub use library::{Library, PlannedTake, RecordedTake, MIN_TAKE_MS};
pub use model::{DeckId, DeckSummary, Question, QuestionId, Take, TakeId};
pub use paths::DataDir;
pub use progress::{PrincipleRow, ProgressPoint, ProgressScope, Readiness};
pub use query::{LibraryRow, RatingFilter, SortKey, TakePage, TakeQuery};
pub use recovery::{DamagedFile, RecoveredSession, RecoveryReport};
pub use report::{render_html, SessionInfo, SessionReport};
pub use review::{Bookmark, Calibration, PrincipleLevel, Rerate, RerateCandidate, Rubric};
pub use schedule::ScheduleRow;
pub use session::{Order, PracticeOptions, Session, SessionSummary};
pub use stories::{ComparableTakes, Story, StoryDetail, StoryDraft, StoryDue, StoryFields, StoryGrid, StoryId, StoryImportReport};
