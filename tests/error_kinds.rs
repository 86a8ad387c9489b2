//! Every error kind the Rust side can hand the window has its own sentence in the UI's
//! strings, so the Korean window never falls back to "an error occurred" (or to Rust's
//! English message). The kinds are read from the source: the arms of every `fn kind` /
//! `fn busy_kind`, and the kinds written at `CommandError::new("…")` and `failed("…")`.
//! A kind added without a sentence fails here, naming it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target" && n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The quoted words right after each `marker` in `text` ("x" of `marker"x"`).
fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let end = rest.find('"')?;
            let word = &rest[..end];
            word.chars().all(|c| c.is_ascii_lowercase() || c == '_').then_some(word)
        })
        .collect()
}

/// The kinds a source file can return: match arms of its kind functions, and the kinds
/// given where an error is made.
fn kinds_in(source: &str, out: &mut BTreeSet<String>) {
    let lines: Vec<&str> = source.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("pub fn kind(&self) -> &'static str") || t.starts_with("pub fn busy_kind(self) -> &'static str") {
            let indent = line.len() - t.len();
            for body in &lines[i + 1..] {
                let bt = body.trim_start();
                if bt.starts_with('}') && body.len() - bt.len() <= indent {
                    break;
                }
                out.extend(quoted_after(body, "=> \"").into_iter().map(String::from));
            }
        }
    }
    for marker in ["CommandError::new(\"", "failed(\""] {
        out.extend(quoted_after(source, marker).into_iter().map(String::from));
    }
}

/// The keys of the object `  name: {` (two spaces in) of the English strings.
fn section_keys(i18n: &str, name: &str) -> BTreeSet<String> {
    let en = &i18n[i18n.find("const en = {").expect("the English strings")..i18n.find("const ko").expect("the Korean strings")];
    let open = format!("\n  {name}: {{\n");
    let start = en.find(&open).unwrap_or_else(|| panic!("no section {name} in the English strings")) + open.len();
    let body = &en[start..start + en[start..].find("\n  },").expect("the section's end")];
    body.lines()
        .filter_map(|l| {
            let key = l.strip_prefix("    ")?.split(':').next()?;
            key.chars().all(|c| c.is_ascii_lowercase() || c == '_').then(|| key.to_string())
        })
        .collect()
}

/// The kinds `errorText` words from the `errors` section (api.ts LOCAL_ERRORS).
fn local_errors(api: &str) -> BTreeSet<String> {
    let start = api.find("const LOCAL_ERRORS = [").expect("LOCAL_ERRORS in api.ts");
    let list = &api[start..start + api[start..].find("];").unwrap()];
    quoted_after(list, "\"").into_iter().filter(|w| !w.is_empty()).map(String::from).collect()
}

#[test]
fn every_error_kind_the_window_can_receive_has_its_own_sentence_in_the_ui_strings() {
    let mut files = Vec::new();
    rust_files(&root().join("src-tauri"), &mut files);
    let mut kinds = BTreeSet::new();
    for f in &files {
        kinds_in(&std::fs::read_to_string(f).unwrap(), &mut kinds);
    }
    // The reading found the kinds of every crate (a broken reading finds nothing to check).
    for known in ["corrupt_database", "no_input_device", "busy_call", "mic_lost", "voice_unavailable", "transcription"] {
        assert!(kinds.contains(known), "the source reading missed {known}: {kinds:?}");
    }
    let i18n = std::fs::read_to_string(root().join("ui/src/i18n.ts")).unwrap();
    let api = std::fs::read_to_string(root().join("ui/src/api.ts")).unwrap();
    let worded = section_keys(&i18n, "kinds");
    let errors = section_keys(&i18n, "errors");
    let local: BTreeSet<String> = local_errors(&api).intersection(&errors).cloned().collect();
    let missing: Vec<&String> = kinds.iter().filter(|k| !worded.contains(*k) && !local.contains(*k)).collect();
    assert!(missing.is_empty(), "error kinds with no sentence in ui/src/i18n.ts `kinds` (or `errors` + LOCAL_ERRORS): {missing:?}");
}

#[test]
fn the_kind_reading_finds_match_arms_and_made_errors_and_skips_other_functions() {
    let source = r#"
impl E {
    pub fn kind(&self) -> &'static str {
        match self {
            E::A => "alpha",
            E::B { .. } | E::C => "beta_gamma",
        }
    }

    fn label(&self) -> &'static str {
        match self { E::A => "Not A Kind" }
    }
}
fn f() { CommandError::new("made_here", "x"); failed("failed_here", "y"); }
"#;
    let mut kinds = BTreeSet::new();
    kinds_in(source, &mut kinds);
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["alpha", "beta_gamma", "failed_here", "made_here"]);
}
