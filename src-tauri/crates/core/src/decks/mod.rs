//! Question decks: the deck file format (`deck`: parse, validate, built-ins) and importing
//! and exporting decks into the library (`deck_io`).

pub mod deck;
pub(crate) mod deck_io;
