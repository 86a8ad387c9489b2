//! Moving things out of and into the data folder: the archive of everything and its
//! import (`archive`, the staged database's checks in `archive_db`) and exports of one
//! take or one session (`export`).

pub mod archive;
pub(crate) mod archive_db;
pub(crate) mod export;
