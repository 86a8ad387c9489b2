//! The deck file format (TOML). See README.md, "Deck files", for the schema.
//!
//! Parsing is strict (unknown fields are refused) and validation names the file, the
//! question and the field that is wrong, so a user can fix a hand-written deck.
//!
//! Over 500 lines for its tests: the format and its checks are about 330 lines; the rest tests each
//! refusal.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{echo, CoreError, Result};

pub const FORMAT_VERSION: u32 = 1;
pub const MAX_THINK_SECS: u32 = 600;
pub const MAX_ANSWER_SECS: u32 = 3600;
pub const MAX_RETAKES: u32 = 50;
/// Largest deck file read: 100,000 questions fit; a runaway 50 MB file does not.
pub const MAX_FILE_BYTES: u64 = 40 << 20;
/// Longest question text, key point or probe, in characters.
pub use crate::text_limit::MAX_TEXT_CHARS;
/// Most key points or probes per language.
pub const MAX_LIST_ITEMS: usize = 30;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckFile {
    pub format: u32,
    pub deck: DeckMeta,
    #[serde(default)]
    pub questions: Vec<QuestionDef>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckMeta {
    pub id: String,
    pub name: BTreeMap<String, String>,
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    pub languages: Vec<String>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
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
    pub key_points: BTreeMap<String, Vec<KeyPointDef>>,
    #[serde(default)]
    pub probes: BTreeMap<String, Vec<String>>,
}

/// Most terms per key point.
pub const MAX_TERMS: usize = 20;
/// Longest term, in characters.
pub const MAX_TERM_CHARS: usize = 100;

/// A key point: its text, and optionally the terms that show it was said (matched in a
/// take's transcript by [`crate::transcript_analysis`]). In a file it is either a plain
/// string (no terms: every older deck) or a table `{ text = "…", terms = ["…"] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPointDef {
    pub text: String,
    pub terms: Vec<String>,
}

impl From<&str> for KeyPointDef {
    fn from(text: &str) -> Self {
        KeyPointDef { text: text.to_string(), terms: vec![] }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyPointTable {
    text: String,
    #[serde(default)]
    terms: Vec<String>,
}

/// In the generated bindings a key point is what its serialization writes: a string, or a table.
#[cfg(feature = "specta")]
#[derive(Serialize, specta::Type)]
#[allow(dead_code)]
#[serde(untagged)]
enum KeyPointShape {
    Text(String),
    Table(KeyPointTable),
}

#[cfg(feature = "specta")]
impl specta::Type for KeyPointDef {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        KeyPointShape::definition(types)
    }
}

impl Serialize for KeyPointDef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.terms.is_empty() {
            s.serialize_str(&self.text)
        } else {
            KeyPointTable { text: self.text.clone(), terms: self.terms.clone() }.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for KeyPointDef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = KeyPointDef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key point: a string, or a table { text = \"...\", terms = [\"...\"] }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<KeyPointDef, E> {
                Ok(KeyPointDef::from(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<KeyPointDef, A::Error> {
                let t = KeyPointTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(KeyPointDef { text: t.text, terms: t.terms })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Per language, per key point: its terms (as [`crate::Question::key_point_terms`] has them).
pub type KeyPointTermsByLanguage = BTreeMap<String, Vec<Vec<String>>>;

/// Splits key points into their texts and their terms, per language (as a question keeps them).
pub fn split_key_points(key_points: &BTreeMap<String, Vec<KeyPointDef>>) -> (BTreeMap<String, Vec<String>>, KeyPointTermsByLanguage) {
    let texts = key_points.iter().map(|(l, v)| (l.clone(), v.iter().map(|k| k.text.clone()).collect())).collect();
    let terms = key_points
        .iter()
        .filter(|(_, v)| v.iter().any(|k| !k.terms.is_empty()))
        .map(|(l, v)| (l.clone(), v.iter().map(|k| k.terms.clone()).collect()))
        .collect();
    (texts, terms)
}

/// The inverse of [`split_key_points`].
pub fn join_key_points(texts: &BTreeMap<String, Vec<String>>, terms: &KeyPointTermsByLanguage) -> BTreeMap<String, Vec<KeyPointDef>> {
    texts
        .iter()
        .map(|(lang, list)| {
            let t = terms.get(lang);
            let kps = list
                .iter()
                .enumerate()
                .map(|(i, text)| KeyPointDef { text: text.clone(), terms: t.and_then(|t| t.get(i)).cloned().unwrap_or_default() })
                .collect();
            (lang.clone(), kps)
        })
        .collect()
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
        return Err(format!("deck.id {:?} must be lowercase letters, digits, '.' or '-'", echo(&d.deck.id)));
    }
    if d.deck.languages.is_empty() {
        return Err("deck.languages is empty".into());
    }
    for lang in &d.deck.languages {
        if d.deck.name.get(lang).is_none_or(|n| n.trim().is_empty()) {
            return Err(format!("deck.name has no {:?} text", echo(lang)));
        }
    }
    if d.questions.is_empty() {
        return Err("the deck has no questions".into());
    }
    let mut seen = HashSet::new();
    for (i, q) in d.questions.iter().enumerate() {
        let at = format!("question {} (id {:?})", i + 1, echo(&q.id));
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
        let key_point_texts = q.key_points.iter().map(|(l, v)| (l, v.iter().map(|k| k.text.clone()).collect::<Vec<_>>()));
        let probes = q.probes.iter().map(|(l, v)| (l, v.clone()));
        for (field, (lang, items)) in key_point_texts.map(|x| ("key_points", x)).chain(probes.map(|x| ("probes", x))) {
            if items.len() > MAX_LIST_ITEMS {
                return Err(format!("{at}: {field}.{lang} has {} items (at most {MAX_LIST_ITEMS})", items.len()));
            }
            for (j, item) in items.iter().enumerate() {
                check_text(&at, &format!("{field}.{lang}[{}]", j + 1), item)?;
            }
        }
        for (lang, items) in &q.key_points {
            for (j, kp) in items.iter().enumerate() {
                check_terms(&at, &format!("key_points.{lang}[{}].terms", j + 1), &kp.terms)?;
            }
        }
    }
    // Every other text (names, descriptions, categories, tags) under the same limit.
    if let Some((field, chars)) = crate::text_limit::too_long(d) {
        return Err(format!("{field} is {chars} characters long (at most {MAX_TEXT_CHARS})"));
    }
    Ok(())
}

/// A key point's terms: at most MAX_TERMS, each with a letter or digit (a term of
/// punctuation alone could never be heard), at most MAX_TERM_CHARS, none twice (as matched:
/// case, width and separators do not count).
fn check_terms(at: &str, field: &str, terms: &[String]) -> std::result::Result<(), String> {
    if terms.len() > MAX_TERMS {
        return Err(format!("{at}: {field} has {} terms (at most {MAX_TERMS})", terms.len()));
    }
    let mut seen = HashSet::new();
    for (k, term) in terms.iter().enumerate() {
        let chars = term.chars().count();
        if chars > MAX_TERM_CHARS {
            return Err(format!("{at}: {field}[{}] is {chars} characters long (at most {MAX_TERM_CHARS})", k + 1));
        }
        let key = crate::fold::term_key(term);
        if key.is_empty() {
            return Err(format!("{at}: {field}[{}] {term:?} has no letter or digit", k + 1));
        }
        if !seen.insert(key) {
            return Err(format!("{at}: {field}[{}] {term:?} repeats an earlier term", k + 1));
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
    let text =
        read_limited_text(path, MAX_FILE_BYTES, "deck files").map_err(|message| CoreError::InvalidDeck { file: file.clone(), message })?;
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
        ("assets/decks/video-call.toml", include_str!("../../../../../assets/decks/video-call.toml")),
        ("assets/decks/databases.toml", include_str!("../../../../../assets/decks/databases.toml")),
        ("assets/decks/leadership.toml", include_str!("../../../../../assets/decks/leadership.toml")),
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

    const WITH_TERMS: &str = r#"
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
key_points.en = [
  { text = "Raise UNDO_RETENTION", terms = ["UNDO_RETENTION", "undo tablespace"] },
  "A point without terms",
]
key_points.ko = [{ text = "UNDO_RETENTION 늘리기", terms = ["언두 보존", "UNDO_RETENTION"] }, "용어 없는 항목"]
"#;

    #[test]
    fn key_points_may_carry_terms_beside_plain_strings() {
        let d = parse_deck("t.toml", WITH_TERMS).expect("valid");
        let en = &d.questions[0].key_points["en"];
        assert_eq!(en[0].terms, ["UNDO_RETENTION", "undo tablespace"]);
        assert_eq!(en[1], KeyPointDef::from("A point without terms"));
        assert_eq!(d.questions[0].key_points["ko"][0].terms[0], "언두 보존");
    }

    #[test]
    fn a_deck_with_terms_round_trips_through_the_file_format() {
        let d = parse_deck("t.toml", WITH_TERMS).expect("valid");
        let text = deck_to_toml(&d);
        assert_eq!(parse_deck("again.toml", &text).expect("exported deck parses"), d, "{text}");
        // A key point without terms is written as a plain string, as older decks have it.
        assert!(text.contains("\"A point without terms\""), "{text}");
        // And through JSON, as storage keeps key points.
        let json = serde_json::to_string(&d.questions[0].key_points).expect("json");
        let back: BTreeMap<String, Vec<KeyPointDef>> = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, d.questions[0].key_points);
        let (texts, terms) = split_key_points(&back);
        assert_eq!(join_key_points(&texts, &terms), back);
    }

    #[test]
    fn bad_terms_are_refused_with_the_question_and_field_named() {
        let cases = [
            (
                "terms = [\"UNDO_RETENTION\", \"undo tablespace\"]",
                "terms = [\"UNDO_RETENTION\", \"  \"]",
                "key_points.en[1].terms[2] \"  \" has no letter or digit",
            ),
            (
                "terms = [\"UNDO_RETENTION\", \"undo tablespace\"]",
                "terms = [\"undo retention\", \"Undo_Retention\"]",
                "key_points.en[1].terms[2] \"Undo_Retention\" repeats an earlier term",
            ),
            (
                "terms = [\"UNDO_RETENTION\", \"undo tablespace\"]",
                &format!("terms = [\"{}\"]", "x".repeat(101)),
                "key_points.en[1].terms[1] is 101 characters long (at most 100)",
            ),
            (
                "terms = [\"UNDO_RETENTION\", \"undo tablespace\"]",
                &format!("terms = [{}]", (0..21).map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(", ")),
                "has 21 terms (at most 20)",
            ),
            ("terms = [\"UNDO_RETENTION\", \"undo tablespace\"]", "term = [\"undo\"]", "unknown field `term`"),
            ("terms = [\"UNDO_RETENTION\", \"undo tablespace\"]", "terms = \"undo\"", "line 14"),
            ("{ text = \"Raise UNDO_RETENTION\", terms", "{ text = \"\", terms", "key_points.en[1] is empty"),
            ("{ text = \"Raise UNDO_RETENTION\", terms", "{ terms", "missing field `text`"),
            ("\"A point without terms\"", "42", "line 15"),
        ];
        for (from, to, expect) in cases {
            let bad = WITH_TERMS.replacen(from, to, 1);
            assert_ne!(bad, WITH_TERMS, "{from}");
            let e = parse_deck("t.toml", &bad).expect_err(expect).to_string();
            assert!(e.starts_with("deck t.toml: ") && e.contains(expect), "{expect}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn every_builtin_key_point_has_terms_in_both_languages() {
        for (file, text) in builtin_decks() {
            let d = parse_deck(file, text).expect("built-in deck is valid");
            for q in &d.questions {
                for lang in ["en", "ko"] {
                    for (i, kp) in q.key_points[lang].iter().enumerate() {
                        assert!(!kp.terms.is_empty(), "{file}: {} key_points.{lang}[{}] has no terms", q.id, i + 1);
                    }
                }
                // Korean terms are written in Hangul (English words said in Korean answers may be added beside them).
                for (i, kp) in q.key_points["ko"].iter().enumerate() {
                    assert!(
                        kp.terms.iter().any(|t| t.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c))),
                        "{file}: {} key_points.ko[{}] has no Hangul term",
                        q.id,
                        i + 1
                    );
                }
            }
        }
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
        let ids: Vec<String> =
            builtin_decks().iter().flat_map(|(f, t)| parse_deck(f, t).expect("valid").questions.into_iter().map(|q| q.id)).collect();
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
