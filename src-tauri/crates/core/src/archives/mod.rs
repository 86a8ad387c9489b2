//! Moving things out of and into the data folder: the archive of everything and its
//! import (`archive`; the staged database's checks are storage's `archive_db`) and exports of one
//! take or one session (`export`).

pub mod archive;
pub(crate) mod export;
