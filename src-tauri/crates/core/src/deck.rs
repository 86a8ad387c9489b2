//! The deck file format (TOML). See README.md, "Deck files", for the schema.
//!
//! Parsing is strict (unknown fields are refused) and validation names the file, the
//! question and the field that is wrong, so a user can fix a hand-written deck.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

pub const FORMAT_VERSION: u32 = 1;
pub const MAX_THINK_SECS: u32 = 600;
pub const MAX_ANSWER_SECS: u32 = 3600;
pub const MAX_RETAKES: u32 = 50;
/// Largest deck file read: 100,000 questions fit; a runaway 50 MB file does not.
pub const MAX_FILE_BYTES: u64 = 40 << 20;
/// Longest question text, key point or probe, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most key points or probes per language.
pub const MAX_LIST_ITEMS: usize = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckFile {
    pub format: u32,
    pub deck: DeckMeta,
    #[serde(default)]
    pub questions: Vec<QuestionDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckMeta {
    pub id: String,
    pub name: BTreeMap<String, String>,
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionDef {
    pub id: String,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub think_secs: u32,
    pub answer_secs: u32,
    #[serde(default = "default_retakes")]
    pub retakes: u32,
    pub text: BTreeMap<String, String>,
    #[serde(default)]
    pub key_points: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub probes: BTreeMap<String, Vec<String>>,
}

fn default_retakes() -> u32 {
    3
}

/// Ids are short, lowercase and safe anywhere (file names, URLs): `[a-z0-9][a-z0-9.-]*`.
pub fn is_valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && !id.contains("..")
}

/// Parses and validates a deck. `file` names the source in error messages.
pub fn parse_deck(file: &str, text: &str) -> Result<DeckFile> {
    let invalid = |message: String| CoreError::InvalidDeck { file: file.to_string(), message };
    if text.starts_with('\u{feff}') {
        return Err(invalid("starts with a byte-order mark (BOM); save it as UTF-8 without BOM".into()));
    }
    let deck: DeckFile = toml::from_str(text).map_err(|e| invalid(toml_error(text, &e)))?;
    validate(&deck).map_err(invalid)?;
    Ok(deck)
}

pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line = text[..start].matches('\n').count() + 1;
            // Quote the offending line so the field is named even when toml's message is not.
            let src: String = text.lines().nth(line - 1).unwrap_or("").trim().chars().take(80).collect();
            format!("line {line} ({src}): {msg}")
        }
        None => msg,
    }
}

fn validate(d: &DeckFile) -> std::result::Result<(), String> {
    if d.format != FORMAT_VERSION {
        return Err(format!("format = {} is not supported (this version reads format {FORMAT_VERSION})", d.format));
    }
    if !is_valid_id(&d.deck.id) {
        return Err(format!("deck.id {:?} must be lowercase letters, digits, '.' or '-'", d.deck.id));
    }
    if d.deck.languages.is_empty() {
        return Err("deck.languages is empty".into());
    }
    for lang in &d.deck.languages {
        if d.deck.name.get(lang).is_none_or(|n| n.trim().is_empty()) {
            return Err(format!("deck.name has no {lang:?} text"));
        }
    }
    if d.questions.is_empty() {
        return Err("the deck has no questions".into());
    }
    let mut seen = HashSet::new();
    for (i, q) in d.questions.iter().enumerate() {
        let at = format!("question {} (id {:?})", i + 1, q.id);
        if !is_valid_id(&q.id) {
            return Err(format!("{at}: id must be lowercase letters, digits, '.' or '-' (no '/' or '..')"));
        }
        if !seen.insert(q.id.as_str()) {
            return Err(format!("{at}: duplicate id"));
        }
        if q.category.trim().is_empty() {
            return Err(format!("{at}: category is empty"));
        }
        for lang in &d.deck.languages {
            if q.text.get(lang).is_none_or(|t| t.trim().is_empty()) {
                return Err(format!("{at}: text.{lang} is missing or empty"));
            }
        }
        if q.answer_secs == 0 || q.answer_secs > MAX_ANSWER_SECS {
            return Err(format!("{at}: answer_secs = {} must be between 1 and {MAX_ANSWER_SECS}", q.answer_secs));
        }
        if q.think_secs > MAX_THINK_SECS {
            return Err(format!("{at}: think_secs = {} must be at most {MAX_THINK_SECS}", q.think_secs));
        }
        if q.retakes == 0 || q.retakes > MAX_RETAKES {
            return Err(format!("{at}: retakes = {} must be between 1 and {MAX_RETAKES}", q.retakes));
        }
        for (lang, text) in &q.text {
            check_text(&at, &format!("text.{lang}"), text)?;
        }
        for (field, map) in [("key_points", &q.key_points), ("probes", &q.probes)] {
            for (lang, items) in map {
                if items.len() > MAX_LIST_ITEMS {
                    return Err(format!("{at}: {field}.{lang} has {} items (at most {MAX_LIST_ITEMS})", items.len()));
                }
                for (j, item) in items.iter().enumerate() {
                    check_text(&at, &format!("{field}.{lang}[{}]", j + 1), item)?;
                }
            }
        }
    }
    Ok(())
}

/// A text field: not empty, not longer than MAX_TEXT_CHARS (decks and templates alike).
pub(crate) fn check_text(at: &str, field: &str, text: &str) -> std::result::Result<(), String> {
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!("{at}: {field} is {chars} characters long (at most {MAX_TEXT_CHARS})"));
    }
    if text.trim().is_empty() {
        return Err(format!("{at}: {field} is empty"));
    }
    Ok(())
}

/// Reads and validates a deck file: size, UTF-8, syntax, then content.
pub fn read_deck_file(path: &std::path::Path) -> Result<DeckFile> {
    let file = path.display().to_string();
    let text = read_limited_text(path, MAX_FILE_BYTES, "deck files")
        .map_err(|message| CoreError::InvalidDeck { file: file.clone(), message })?;
    parse_deck(&file, &text)
}

/// Reads a text file of at most `max` bytes that must be UTF-8; the error says what is
/// wrong (too big, not a file, the line of the first invalid byte). `what` names the kind
/// of file in the size message ("deck files").
pub(crate) fn read_limited_text(path: &std::path::Path, max: u64, what: &str) -> std::result::Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("is not a file".into());
    }
    if meta.len() > max {
        return Err(format!("is {:.1} MB; {what} are limited to {} MB", meta.len() as f64 / (1 << 20) as f64, max >> 20));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("line {line}: not valid UTF-8 (byte {at}); save the file as UTF-8")
    })
}

/// Serializes a deck to the file format (what `deck export` writes).
pub fn deck_to_toml(deck: &DeckFile) -> String {
    toml::to_string(deck).unwrap_or_default()
}

/// The decks shipped in `assets/decks/`, compiled in so the app runs from anywhere.
pub fn builtin_decks() -> [(&'static str, &'static str); 3] {
    [
        ("assets/decks/video-call.toml", include_str!("../../../../assets/decks/video-call.toml")),
        ("assets/decks/databases.toml", include_str!("../../../../assets/decks/databases.toml")),
        ("assets/decks/leadership.toml", include_str!("../../../../assets/decks/leadership.toml")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
format = 1
[deck]
id = "t"
name = { en = "T", ko = "티" }
languages = ["en", "ko"]
[[questions]]
id = "t.one"
category = "technical"
think_secs = 5
answer_secs = 60
text = { en = "Why?", ko = "왜요?" }
"#;

    #[test]
    fn a_minimal_deck_parses_with_default_retakes() {
        let d = parse_deck("t.toml", MINIMAL).expect("valid");
        assert_eq!(d.questions[0].retakes, 3);
        assert_eq!(d.questions[0].text["ko"], "왜요?");
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let bad = MINIMAL.replace("answer_secs = 60", "answer_secs = = 60");
        let e = parse_deck("my.toml", &bad).expect_err("invalid").to_string();
        assert!(e.starts_with("deck my.toml: line 11 (answer_secs = = 60)"), "{e}");
    }

    #[test]
    fn a_negative_timing_is_refused_with_its_field() {
        let bad = MINIMAL.replace("think_secs = 5", "think_secs = -5");
        let e = parse_deck("t.toml", &bad).expect_err("invalid").to_string();
        assert!(e.contains("line 10 (think_secs = -5)"), "{e}");
    }

    #[test]
    fn ids_with_slashes_or_dot_dot_are_refused() {
        for id in ["../x", "a/b", "a..b", "", "UPPER"] {
            let bad = MINIMAL.replace("id = \"t.one\"", &format!("id = {id:?}"));
            let e = parse_deck("t.toml", &bad).expect_err(id).to_string();
            assert!(e.contains("question 1"), "{id}: {e}");
        }
    }

    #[test]
    fn a_missing_translation_is_named() {
        let bad = MINIMAL.replace(", ko = \"왜요?\"", "");
        let e = parse_deck("t.toml", &bad).expect_err("invalid").to_string();
        assert!(e.contains("text.ko is missing"), "{e}");
    }

    #[test]
    fn a_bom_and_unknown_fields_are_refused() {
        assert!(parse_deck("t.toml", &format!("\u{feff}{MINIMAL}")).expect_err("bom").to_string().contains("BOM"));
        let extra = MINIMAL.replace("category = \"technical\"", "category = \"technical\"\ncolour = 1");
        assert!(parse_deck("t.toml", &extra).expect_err("unknown").to_string().contains("colour"));
    }

    #[test]
    fn every_builtin_question_has_both_languages_key_points_and_sane_timings() {
        for (file, text) in builtin_decks() {
            let d = parse_deck(file, text).expect("built-in deck is valid");
            for q in &d.questions {
                for lang in ["en", "ko"] {
                    assert!(!q.text[lang].trim().is_empty(), "{} text.{lang}", q.id);
                    let kp = q.key_points.get(lang).unwrap_or_else(|| panic!("{} key_points.{lang}", q.id));
                    assert!(kp.len() >= 2, "{} has too few key points in {lang}", q.id);
                }
                assert_eq!(q.key_points["en"].len(), q.key_points["ko"].len(), "{}", q.id);
                assert!((60..=600).contains(&q.answer_secs), "{} answer_secs {}", q.id, q.answer_secs);
                assert!(q.think_secs <= 120, "{} think_secs", q.id);
            }
        }
    }

    #[test]
    fn the_seed_interview_questions_are_all_built_in() {
        let ids: Vec<String> = builtin_decks()
            .iter()
            .flat_map(|(f, t)| parse_deck(f, t).expect("valid").questions.into_iter().map(|q| q.id))
            .collect();
        for id in [
            "db.isolation-levels",
            "db.ora-01555",
            "db.outage-first-checks",
            "db.deadlock",
            "db.slow-database",
            "db.storage-archive-full",
            "db.mvcc-mechanisms",
            "lp.unhappy-customer",
            "lp.drove-success",
        ] {
            assert!(ids.iter().any(|i| i == id), "missing seed question {id}");
        }
    }
}
