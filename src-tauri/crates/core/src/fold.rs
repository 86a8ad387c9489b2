//! Folding texts before they are compared: the one rule the deck checks (two terms of a
//! key point that are the same term) and the transcript analysis (a term heard) share.

use unicode_normalization::UnicodeNormalization;

/// NFKC, then lowercase: "ＵＮＤＯ" and "undo" fold alike, as do NFC and NFD Hangul.
pub fn fold(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// A term as it is matched: its folded tokens, joined.
pub fn term_key(term: &str) -> String {
    fold(term).chars().filter(|c| c.is_alphanumeric()).collect()
}
