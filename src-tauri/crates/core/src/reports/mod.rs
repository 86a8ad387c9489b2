//! Reports of a practice session and of a rehearsal: the data built from the library and
//! the self-contained HTML page rendered from it (`html`), in English or Korean (`labels`).

pub(crate) mod html;
pub(crate) mod labels;
pub mod report;
