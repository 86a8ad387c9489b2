//! Deck files through the CLI: validate, import (all or nothing), export, re-import.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use rehearse_tests::*;

fn cli(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

const DECK: &str = r#"format = 1
[deck]
id = "my-oracle"
name = { en = "My Oracle questions", ko = "내 오라클 질문" }
languages = ["en", "ko"]

[[questions]]
id = "mine.redo"
category = "technical"
think_secs = 20
answer_secs = 120
text = { en = "What is redo for?", ko = "리두 로그는 무엇을 위한 것인가요? 😀 עברית" }
key_points.en = ["crash recovery", "replication"]
key_points.ko = ["장애 복구", "복제"]
"#;

#[test]
fn a_deck_file_is_validated_imported_exported_and_reimported_to_the_same_content() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = tmp.path().join("mine.toml");
    std::fs::write(&file, DECK).unwrap();

    let out = cli(&data, &["deck", "validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&data, &["deck", "import", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 added"), "{}", String::from_utf8_lossy(&out.stdout));
    let list = String::from_utf8_lossy(&cli(&data, &["deck", "list"]).stdout).to_string();
    assert!(list.contains("my-oracle") && list.contains("databases") && list.contains("leadership"), "{list}");

    let exported = tmp.path().join("exported.toml");
    assert!(cli(&data, &["deck", "export", "my-oracle", exported.to_str().unwrap()]).status.success());
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("리두 로그는 무엇을 위한 것인가요? 😀 עברית"), "byte-exact text: {text}");
    let out = cli(&data, &["deck", "import", exported.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 added, 1 updated, 0 retired"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_broken_deck_is_one_clear_error_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let before = String::from_utf8_lossy(&cli(&data, &["questions"]).stdout).to_string();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, DECK.replace("answer_secs = 120", "answer_secs = -1")).unwrap();
    for cmd in ["validate", "import"] {
        let out = cli(&data, &["deck", cmd, bad.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rehearse-cli: ")).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains("bad.toml") && lines[0].contains("line 11") && lines[0].contains("answer_secs"), "{}", lines[0]);
    }
    assert_eq!(String::from_utf8_lossy(&cli(&data, &["questions"]).stdout), before);
    let out = cli(&data, &["deck", "export", "no-such-deck", tmp.path().join("x.toml").to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no deck with this id"));
}

#[test]
fn key_point_terms_are_imported_and_exported_and_bad_terms_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let with_terms = DECK
        .replace(
            r#"key_points.en = ["crash recovery", "replication"]"#,
            r#"key_points.en = [{ text = "crash recovery", terms = ["crash recovery", "instance recovery"] }, "replication"]"#,
        )
        .replace(
            r#"key_points.ko = ["장애 복구", "복제"]"#,
            r#"key_points.ko = [{ text = "장애 복구", terms = ["장애 복구", "인스턴스 복구"] }, "복제"]"#,
        );
    let file = tmp.path().join("terms.toml");
    std::fs::write(&file, &with_terms).unwrap();
    let out = cli(&data, &["deck", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let export = |name: &str| {
        let path = tmp.path().join(name);
        assert!(cli(&data, &["deck", "export", "my-oracle", path.to_str().unwrap()]).status.success());
        std::fs::read_to_string(path).unwrap()
    };
    let first = export("first.toml");
    assert!(first.contains("instance recovery") && first.contains("인스턴스 복구"), "{first}");

    // A re-import whose terms are bad is refused in one line; the stored terms stay.
    let bad = tmp.path().join("bad-terms.toml");
    std::fs::write(&bad, with_terms.replace(r#""instance recovery""#, r#""Crash-Recovery""#)).unwrap();
    for cmd in ["validate", "import"] {
        let out = cli(&data, &["deck", cmd, bad.to_str().unwrap()]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rehearse-cli: ")).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].contains("bad-terms.toml")
                && lines[0].contains("key_points.en[1].terms[2] \"Crash-Recovery\" repeats an earlier term"),
            "{}",
            lines[0]
        );
    }
    let after = export("after.toml");
    let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n"); // the first line says when it was exported
    assert_eq!(body(&after), body(&first), "nothing changed");
}
