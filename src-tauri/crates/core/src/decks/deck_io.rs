//! Importing and exporting decks. An import is all or nothing: it is validated in full,
//! then written in one transaction; re-importing a deck updates it in place, keeping the
//! takes and ratings of its questions.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;

use crate::deck::{builtin_decks, deck_to_toml, parse_deck, read_deck_file, DeckFile};
use crate::error::{echo, CoreError, Result};
use crate::library::Library;
use crate::model::{DeckId, DeckSummary};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub deck_id: String,
    pub added: usize,
    pub updated: usize,
    /// Questions no longer in the file: hidden, their takes kept.
    pub retired: usize,
}

impl Library {
    pub fn decks(&self) -> Result<Vec<DeckSummary>> {
        self.storage_ref().decks()
    }

    /// Validates a deck file without changing anything.
    pub fn validate_deck(&self, path: &Path) -> Result<DeckFile> {
        let deck = read_deck_file(path)?;
        self.check_import(&deck, &path.display().to_string())?;
        Ok(deck)
    }

    /// Imports (or re-imports) a deck file atomically.
    pub fn import_deck(&mut self, path: &Path) -> Result<ImportReport> {
        let deck = self.validate_deck(path)?;
        let existing: HashSet<String> = self.storage_ref().question_ids_in(&DeckId(deck.deck.id.clone()))?.into_iter().collect();
        let incoming: HashSet<&str> = deck.questions.iter().map(|q| q.id.as_str()).collect();
        let report = ImportReport {
            deck_id: deck.deck.id.clone(),
            added: incoming.iter().filter(|id| !existing.contains(**id)).count(),
            updated: incoming.iter().filter(|id| existing.contains(**id)).count(),
            retired: existing.iter().filter(|id| !incoming.contains(id.as_str())).count(),
        };
        self.storage().upsert_deck(&deck, false)?;
        Ok(report)
    }

    /// Writes a deck to `path` in the deck file format (via a temporary file, then a rename).
    pub fn export_deck(&self, id: &DeckId, path: &Path) -> Result<()> {
        let deck = self
            .storage_ref()
            .deck_file(id)?
            .ok_or_else(|| CoreError::InvalidDeck { file: id.to_string(), message: "no deck with this id".into() })?;
        let text = format!("# Rehearse deck \"{}\", exported {}\n{}", deck.deck.id, crate::time_fmt::now_rfc3339(), deck_to_toml(&deck));
        // Through the exports' one check: only a regular file is replaced.
        let mut out = crate::datadir::files::AtomicFile::create(path, true)?;
        std::io::Write::write_all(out.file(), text.as_bytes()).map_err(|e| CoreError::io("write", path, e))?;
        out.commit().map(drop)
    }

    /// Rules that need the library: built-in ids are reserved; a question id may not
    /// belong to another deck.
    fn check_import(&self, deck: &DeckFile, file: &str) -> Result<()> {
        let invalid = |message: String| CoreError::InvalidDeck { file: file.to_string(), message };
        let builtin: Vec<String> = builtin_decks().iter().filter_map(|(f, t)| parse_deck(f, t).ok()).map(|d| d.deck.id).collect();
        if builtin.contains(&deck.deck.id) {
            return Err(invalid(format!("deck.id \"{}\" is a built-in deck; give your deck another id", echo(&deck.deck.id))));
        }
        let elsewhere = self.storage_ref().question_owners_outside(&DeckId(deck.deck.id.clone()))?;
        for q in &deck.questions {
            if let Some(other) = elsewhere.get(&q.id) {
                return Err(invalid(format!("question id \"{}\" already belongs to deck \"{other}\"; question ids must be unique", q.id)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECK: &str = r#"format = 1
[deck]
id = "mine"
name = { en = "Mine", ko = "내 덱" }
languages = ["en", "ko"]

[[questions]]
id = "mine.one"
category = "technical"
tags = ["x"]
think_secs = 5
answer_secs = 60
text = { en = "One?", ko = "하나? 한국어 NFC 한글, NFD 한글, emoji 🎤, RTL שלום" }
key_points.en = ["a", "b"]
key_points.ko = ["가", "나"]

[[questions]]
id = "mine.two"
category = "behavioural"
think_secs = 5
answer_secs = 60
text = { en = "Two?", ko = "둘?" }
"#;

    fn setup() -> (tempfile::TempDir, Library) {
        Library::open_temp()
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn an_exported_deck_reimports_to_the_same_content_byte_for_byte() {
        let (dir, mut lib) = setup();
        let nfd = "\u{1112}\u{1161}\u{11AB}"; // 한 in NFD (decomposed jamo)
        let src = DECK.replace("NFD 한글", &format!("NFD {nfd}"));
        let file = write(dir.path(), "mine.toml", &src);
        let report = lib.import_deck(&file).expect("import");
        assert_eq!((report.added, report.updated, report.retired), (2, 0, 0));
        let out = dir.path().join("out.toml");
        lib.export_deck(&DeckId::from("mine"), &out).expect("export");
        let again = read_deck_file(&out).expect("exported deck parses");
        assert_eq!(again, read_deck_file(&file).expect("original"));
        assert!(again.questions[0].text["ko"].contains(nfd), "NFD text kept as is");
        assert!(again.questions[0].text["ko"].contains("🎤") && again.questions[0].text["ko"].contains("שלום"));
    }

    #[test]
    fn key_point_terms_are_stored_with_the_question_and_heard_in_both_languages() {
        let (dir, mut lib) = setup();
        let src = DECK
            .replace(r#"key_points.en = ["a", "b"]"#, r#"key_points.en = ["a", { text = "b", terms = ["deadlock"] }]"#)
            .replace(r#"key_points.ko = ["가", "나"]"#, r#"key_points.ko = ["가", { text = "나", terms = ["교착 상태", "Deadlock"] }]"#);
        lib.import_deck(&write(dir.path(), "mine.toml", &src)).expect("import");
        let q = lib.question(&"mine.one".into()).expect("q");
        assert_eq!(q.key_points["en"], ["a", "b"], "the texts the rubric shows are unchanged");
        assert_eq!(q.key_point_terms["ko"][1], ["교착 상태", "Deadlock"]);
        let hear = q.key_points_to_hear("ko");
        assert_eq!((hear[1].text.as_str(), hear[1].index), ("나", 1));
        assert_eq!(hear[1].terms, ["교착 상태", "Deadlock"], "the take's language first; the same term once");
        assert!(hear[0].terms.is_empty());
        let en = q.key_points_to_hear("en");
        assert_eq!((en[1].text.as_str(), en[1].terms.as_slice()), ("b", &["deadlock".to_string(), "교착 상태".to_string()][..]));
        let out = dir.path().join("out.toml");
        lib.export_deck(&DeckId::from("mine"), &out).expect("export");
        assert_eq!(read_deck_file(&out).expect("parses"), read_deck_file(&dir.path().join("mine.toml")).expect("original"));
    }

    #[test]
    fn reimporting_keeps_takes_and_ratings_of_unchanged_questions() {
        let (dir, mut lib) = setup();
        let file = write(dir.path(), "mine.toml", DECK);
        lib.import_deck(&file).expect("import");
        let take = lib.commit_test_take("mine.one", None, 4800);
        lib.rate_take(take, Some(3)).expect("rate");
        // The new version drops question two and edits question one's text.
        let edited = DECK.replace("One?", "One, edited?");
        let edited = &edited[..edited.find("[[questions]]\nid = \"mine.two\"").expect("two")];
        let report = lib.import_deck(&write(dir.path(), "mine.toml", edited)).expect("re-import");
        assert_eq!((report.added, report.updated, report.retired), (0, 1, 1));
        let kept = lib.take(take).expect("take kept");
        assert_eq!(kept.rating, Some(3));
        assert_eq!(lib.question(&"mine.one".into()).expect("q").text["en"], "One, edited?");
    }

    #[test]
    fn a_bad_import_changes_nothing_and_names_the_problem() {
        let (dir, mut lib) = setup();
        let before = lib.questions().expect("list").len();
        let dup = DECK.replace("id = \"mine.two\"", "id = \"mine.one\"");
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("dup.toml", dup.into_bytes(), "duplicate id"),
            ("bom.toml", format!("\u{feff}{DECK}").into_bytes(), "BOM"),
            ("latin1.toml", b"format = 1\n# caf\xe9\n".to_vec(), "line 2: not valid UTF-8"),
            ("nan.toml", DECK.replace("think_secs = 5", "think_secs = nan").into_bytes(), "think_secs"),
            ("huge.toml", DECK.replace("answer_secs = 60", "answer_secs = 99999999999").into_bytes(), "answer_secs"),
            ("slash.toml", DECK.replace("mine.two", "../two").into_bytes(), "question 2"),
            ("builtin.toml", DECK.replace("id = \"mine\"", "id = \"databases\"").into_bytes(), "built-in"),
            ("steal.toml", DECK.replace("mine.two", "db.deadlock").into_bytes(), "already belongs to deck \"databases\""),
            ("long.toml", DECK.replace("Two?", &"x".repeat(1 << 20)).into_bytes(), "1048576 characters"),
            ("empty-text.toml", DECK.replace("en = \"Two?\"", "en = \"   \"").into_bytes(), "text.en"),
        ];
        for (name, bytes, expect) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).expect("write");
            let err = lib.import_deck(&p).expect_err(name).to_string();
            assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        }
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 50 << 20]).expect("write");
        let err = lib.import_deck(&big).expect_err("50 MB").to_string();
        assert!(err.contains("limited to 40 MB"), "{err}");
        assert_eq!(lib.questions().expect("list").len(), before);
        assert_eq!(lib.decks().expect("decks").len(), builtin_decks().len(), "no deck was added");
    }
}
