//! Bad input through the CLI: every error is one line starting `rehearse-cli:` with a
//! non-zero status (argument errors from the parser too), values quoted in errors are cut
//! to 80 characters and "…", and one length limit holds for every stored text.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use rehearse_tests::*;

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

/// The one line an error printed; fails the test if stderr holds anything else.
fn one_line(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{what}: an error exits non-zero");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line expected, got {stderr:?}");
    assert!(lines[0].starts_with("rehearse-cli: "), "{what}: {stderr:?}");
    lines[0].to_string()
}

#[test]
fn argument_errors_are_one_line_starting_rehearse_cli_with_a_nonzero_status() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cases: &[(&[&str], &str)] = &[
        (&["rate", "-1", "--rating", "good"], "'-1'"),
        (&["takes", "--no-such-flag"], "'--no-such-flag'"),
        (&["delete", "abc"], "'abc'"),
        (&["delete", "18446744073709551616"], "too large"),
        (&["play", "1", "--speed", "fast"], "'fast'"),
        (&["record"], "--question"),
        (&["no-such-command"], "no-such-command"),
        (&["deck"], "command"),
        (&[], "subcommand"),
    ];
    for (args, needle) in cases {
        let out = cli(&data, args);
        let line = one_line(&out, &format!("{args:?}"));
        assert!(line.contains(needle), "{args:?}: {line}");
        assert!(!line.contains("Usage") && !line.contains("error:"), "{args:?}: {line}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

#[test]
fn help_and_version_still_print_to_stdout_and_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["rate", "--help"], &["--version"]] {
        let out = cli(tmp.path(), args);
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty() && out.stderr.is_empty(), "{args:?}");
    }
    let help = String::from_utf8_lossy(&cli(tmp.path(), &["rate", "--help"]).stdout).to_string();
    assert!(help.contains("Usage") && help.contains("--rating"), "{help}");
}

#[test]
fn a_huge_value_is_echoed_cut_to_80_characters_and_an_ellipsis() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let huge = "x".repeat(120_000);
    let cut = format!("{}…", "x".repeat(80));
    let cases: Vec<Vec<&str>> = vec![
        vec!["takes", "--question", &huge],
        vec!["record", "--question", &huge, "--seconds", "1"],
        vec!["delete", &huge],
        vec!["rate", "1", "--rating", &huge],
        vec!["library", "--sort", &huge],
        vec!["progress", "--principle", &huge],
        vec!["interview-date", &huge],
        vec!["rehearse", "--template", "default", "--language", &huge],
    ];
    for args in cases {
        let out = cli(&data, &args);
        let line = one_line(&out, &args[0..1].join(" "));
        assert!(line.len() < 600, "{}: a {} byte line", args[0], line.len());
        assert!(line.contains(&cut) && !line.contains(&"x".repeat(81)), "{}: {line}", args[0]);
    }
}

const DECK: &str = r#"format = 1
[deck]
id = "mine"
name = { en = "Mine", ko = "NAME_KO" }
description = { en = "DESCRIPTION" }
languages = ["en", "ko"]

[[questions]]
id = "mine.one"
category = "CATEGORY"
tags = ["TAG"]
think_secs = 0
answer_secs = 60
text = { en = "Why?", ko = "왜요?" }
"#;

/// A take row with its WAV, for the commands that change a take.
fn one_take(data: &Path) {
    assert!(cli(data, &["questions"]).status.success());
    let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    c.execute(
        "INSERT INTO takes (question_id, started_at, duration_ms, sample_rate, channels, file_path)
         VALUES ('db.deadlock', '2026-03-01T10:00:00.000Z', 1000, 48000, 1, 'takes/t.wav')",
        [],
    )
    .unwrap();
}

#[test]
fn every_stored_text_over_4000_characters_is_refused_in_one_line_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    one_take(&data);
    let long = "가".repeat(4001);
    let db_before = std::fs::read(data.join("rehearse.db")).unwrap();
    // Deck fields the question checks did not cover.
    for field in ["NAME_KO", "DESCRIPTION", "CATEGORY", "TAG"] {
        let file = tmp.path().join(format!("{field}.toml"));
        std::fs::write(&file, DECK.replace(field, &long)).unwrap();
        for cmd in ["validate", "import"] {
            let line = one_line(&cli(&data, &["deck", cmd, file.to_str().unwrap()]), field);
            assert!(line.contains("4001 characters"), "{field} {cmd}: {line}");
        }
    }
    let fine = tmp.path().join("fine.toml");
    std::fs::write(&fine, DECK.replace("DESCRIPTION", &"가".repeat(4000))).unwrap();
    assert!(cli(&data, &["deck", "validate", fine.to_str().unwrap()]).status.success(), "4000 characters are fine");
    // A template's description.
    let template = std::fs::read_to_string(rehearsal_fixture()).unwrap().replacen(
        "name = { en = \"Compressed call (test)\" }",
        &format!("name = {{ en = \"Compressed call (test)\" }}\ndescription = {{ en = \"{long}\" }}"),
        1,
    );
    let tfile = tmp.path().join("t.toml");
    std::fs::write(&tfile, template).unwrap();
    let line = one_line(&cli(&data, &["template", "import", tfile.to_str().unwrap()]), "template");
    assert!(line.contains("4001 characters"), "{line}");
    // Notes on a take and on a bookmark, 120,000 characters.
    let huge = "n".repeat(120_000);
    let line = one_line(&cli(&data, &["rate", "1", "--note", &huge]), "rate --note");
    assert!(line.contains("120000 characters") && line.len() < 300, "{line}");
    let line = one_line(&cli(&data, &["bookmark", "add", "1", "--at-ms", "10", "--note", &huge]), "bookmark");
    assert!(line.contains("120000 characters"), "{line}");
    assert!(std::fs::read(data.join("rehearse.db")).unwrap() == db_before, "nothing was written");
    assert!(cli(&data, &["rate", "1", "--note", &"n".repeat(4000)]).status.success(), "4000 characters are kept");
}
