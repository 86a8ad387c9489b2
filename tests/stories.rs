//! The story bank through the CLI: stories written, edited, listed, shown, exported and
//! imported (also inside the everything-archive, unchanged); a take of a story recorded
//! from the virtual microphone counts in the grid and in readiness; malformed files, bad
//! options and stale edits are one clear line and change nothing.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use rehearse_tests::*;
use serde_json::Value;

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = cli(data, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn ok_json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args)).unwrap()
}

/// One clear line on stderr, a failure status.
fn refused(data: &Path, args: &[&str], needle: &str) {
    let out = cli(data, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("rehearse-cli: ") && err.contains(needle), "{args:?}: {err}");
}

fn add_two(data: &Path) -> (i64, i64) {
    let a = ok_json(
        data,
        &[
            "story",
            "add",
            "--title",
            "Nightly batch kept failing",
            "--principle",
            "ownership",
            "--principle",
            "dive-deep",
            "--primary",
            "dive-deep",
            "--situation",
            "고객사 야간 배치가 ORA-01555로 실패했습니다.\nThe customer was angry.",
            "--task",
            "I owned the fix.",
            "--action",
            "I split the query and sized the undo tablespace.",
            "--result",
            "No failure since; the customer renewed.",
            "--number",
            "0 failures in 90 days",
            "--number",
            "p95 900 ms → 120 ms",
            "--role",
            "DBA",
            "--team",
            "Support, 5 people",
            "--year",
            "2021",
            "--tag",
            "oracle",
            "--cue",
            "ORA-01555",
            "--cue",
            "undo retention",
            "--cue",
            "90 days",
            "--question",
            "lp.root-cause-beyond-ticket",
            "--json",
        ],
    );
    assert_eq!((a["revision"].as_i64(), a["primary"].as_str()), (Some(1), Some("dive-deep")));
    assert_eq!(a["numbers"][1], "p95 900 ms → 120 ms");
    let b = ok_json(data, &["story", "add", "--title", "Unhappy customer", "--principle", "customer-obsession", "--json"]);
    (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap())
}

#[test]
fn stories_go_through_the_cli_and_survive_story_export_import_and_the_everything_archive_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (a, b) = add_two(&data);
    let e = ok_json(&data, &["story", "edit", &b.to_string(), "--result", "She stayed: 3 renewals", "--number", "3 renewals", "--json"]);
    assert_eq!(
        (e["revision"].as_i64(), e["title"].as_str(), e["result"].as_str()),
        (Some(2), Some("Unhappy customer"), Some("She stayed: 3 renewals"))
    );
    let list = ok_json(&data, &["story", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let shown = ok_json(&data, &["story", "show", &a.to_string(), "--json"]);
    assert_eq!(shown["situation"], "고객사 야간 배치가 ORA-01555로 실패했습니다.\nThe customer was angry.");
    assert!(shown["linked_takes"].as_array().unwrap().is_empty() && shown["due"]["due_at"].is_null());
    assert!(ok(&data, &["story", "show", &a.to_string()]).contains("cue card: ORA-01555 | undo retention | 90 days"));

    // The story file: exported, imported into another library, exported again: the same bytes.
    let file = tmp.path().join("stories.toml");
    assert!(ok(&data, &["story", "export", file.to_str().unwrap()]).contains("exported 2 stories"));
    let other = tmp.path().join("other");
    assert!(ok(&other, &["story", "import", file.to_str().unwrap()]).contains("2 added, 0 updated"));
    let again = tmp.path().join("again.toml");
    ok(&other, &["story", "export", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&file).unwrap(), "byte-stable round trip");
    assert!(ok(&data, &["story", "import", file.to_str().unwrap()]).contains("0 added, 2 updated"), "a re-import updates in place");

    // The everything-archive keeps them exactly (ids, revisions, links).
    let before = ok(&data, &["story", "list", "--json"]);
    let zip = tmp.path().join("all.zip");
    ok(&data, &["export", "--all", zip.to_str().unwrap()]);
    let restored = tmp.path().join("restored");
    ok(&restored, &["import", "--all", zip.to_str().unwrap()]);
    assert_eq!(ok(&restored, &["story", "list", "--json"]), before);
    let third = tmp.path().join("third.toml");
    ok(&restored, &["story", "export", third.to_str().unwrap()]);
    let exported_now = tmp.path().join("now.toml");
    ok(&data, &["story", "export", exported_now.to_str().unwrap()]);
    assert_eq!(std::fs::read(&third).unwrap(), std::fs::read(&exported_now).unwrap());
    // An import of everything into a library that has stories is refused.
    refused(&other, &["import", "--all", zip.to_str().unwrap()], "2 stories");

    ok(&data, &["story", "delete", &b.to_string()]);
    refused(&data, &["story", "show", &b.to_string()], &format!("no story with id {b}"));
}

#[test]
fn a_take_linked_to_a_story_counts_in_the_grid_in_readiness_and_in_the_schedule() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let (a, _) = add_two(&data);
    let c = ok_json(&data, &["story", "add", "--title", "Took the pager", "--principle", "ownership", "--json"])["id"].as_i64().unwrap();
    let mut takes = vec![];
    for question in ["lp.root-cause-beyond-ticket", "lp.outside-your-role"] {
        let mut cmd = Command::new(bin("rehearse-cli"));
        cmd.arg("--data-dir").arg(&data).args(["record", "--question", question, "--seconds", "0.6", "--json"]);
        mic.apply(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        takes.push(v["take"]["id"].as_i64().unwrap().to_string());
    }
    for t in &takes {
        ok(&data, &["rate", t, "--rating", "good"]);
    }
    let ownership = |data: &Path| {
        let g = ok_json(data, &["story", "grid", "--json"]);
        g["principles"].as_array().unwrap().iter().find(|p| p["tag"] == "ownership").unwrap().clone()
    };
    let readiness = |data: &Path| ok_json(data, &["readiness", "--json"])["principles"]["with_two_good_stories"].as_i64().unwrap();
    assert_eq!((ownership(&data)["stories"].as_i64(), ownership(&data)["good_rehearsals"].as_i64()), (Some(2), Some(0)));
    assert_eq!(readiness(&data), 0, "good takes of no story are not stories");

    assert!(ok(&data, &["story", "link", &takes[0], &a.to_string()]).contains(&format!("tells story {a}")));
    let o = ownership(&data);
    assert_eq!((o["good_rehearsals"].as_i64(), o["stories_rehearsed_good"].as_i64()), (Some(1), Some(1)));
    let q = o["questions"].as_array().unwrap().iter().find(|q| q["id"] == "lp.outside-your-role").unwrap().clone();
    assert!(q["stories"].as_array().unwrap().is_empty(), "no story answers it yet");
    assert_eq!(readiness(&data), 0, "one story is not two");

    ok(&data, &["story", "link", &takes[1], &c.to_string()]);
    let o = ownership(&data);
    assert_eq!((o["good_rehearsals"].as_i64(), o["stories_rehearsed_good"].as_i64(), o["gap"].as_bool()), (Some(2), Some(2), Some(false)));
    assert_eq!(readiness(&data), 1);
    let shown = ok_json(&data, &["story", "show", &a.to_string(), "--json"]);
    assert_eq!(shown["linked_takes"][0]["id"].as_i64().map(|i| i.to_string()), Some(takes[0].clone()));
    assert_eq!(shown["due"]["reviews"], 1, "the rated take reviews the story");
    let due: Vec<i64> =
        ok_json(&data, &["story", "due", "--json"]).as_array().unwrap().iter().map(|d| d["story_id"].as_i64().unwrap()).collect();
    assert!(!due.contains(&a) && !due.contains(&c) && due.len() == 1, "rated Good: due later; the third is new: {due:?}");

    // Rated Again, the story is due now; unlinked, the take no longer counts.
    ok(&data, &["rate", &takes[0], "--rating", "again"]);
    let due = ok_json(&data, &["story", "due", "--json"]);
    assert_eq!(due[0]["story_id"].as_i64(), Some(a));
    ok(&data, &["story", "link", &takes[1], "none"]);
    assert_eq!(readiness(&data), 0);
}

#[test]
fn malformed_files_bad_options_and_stale_edits_are_one_line_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (a, _) = add_two(&data);
    let snapshot = |data: &Path| ok(data, &["story", "list", "--json"]);
    let before = snapshot(&data);
    let good = tmp.path().join("good.toml");
    ok(&data, &["story", "export", good.to_str().unwrap()]);
    let text = std::fs::read_to_string(&good).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("syntax.toml", text.replacen("title = ", "title = = ", 1), "line "),
        ("unknown.toml", text.replacen("title = ", "mood = \"x\"\ntitle = ", 1), "unknown field `mood`"),
        ("principle.toml", text.replacen("\"ownership\", \"dive-deep\"", "\"ownership\", \"owner\"", 1), "principles[2]: \"owner\""),
        ("cue.toml", text.replacen("\"undo retention\", ", "", 1), "cue_card has 2 bullet(s)"),
        ("question.toml", text.replacen("lp.root-cause-beyond-ticket", "lp.gone", 1), "no question with id \"lp.gone\""),
        ("second.toml", text.replacen("title = \"Unhappy customer\"", "title = \"\"", 1), "story 2 (line"),
    ];
    for (name, body, needle) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        refused(&data, &["story", "import", p.to_str().unwrap()], needle);
        refused(&data, &["story", "import", p.to_str().unwrap()], name);
    }
    let latin1 = tmp.path().join("latin1.toml");
    std::fs::write(&latin1, b"format = 1\n# caf\xe9\n").unwrap();
    refused(&data, &["story", "import", latin1.to_str().unwrap()], "line 2: not valid UTF-8");
    refused(&data, &["story", "import", tmp.path().join("missing.toml").to_str().unwrap()], "cannot read it");

    refused(&data, &["story", "add", "--title", "No principle"], "principles is empty");
    refused(&data, &["story", "add", "--principle", "ownership"], "title is empty");
    refused(&data, &["story", "add", "--title", "t", "--principle", "ownership", "--primary", "frugality"], "primary \"frugality\"");
    refused(&data, &["story", "add", "--title", "t", "--principle", "ownership", "--number", "many"], "numbers[1] \"many\" has no digit");
    refused(&data, &["story", "add", "--title", "t", "--principle", "ownership", "--year", "twenty"], "--year \"twenty\"");
    refused(&data, &["story", "edit", &a.to_string(), "--revision", "7", "--title", "stale"], "edited elsewhere since you opened it");
    refused(&data, &["story", "edit", "999", "--title", "x"], "no story with id 999");
    refused(&data, &["story", "link", "12345", &a.to_string()], "no take with id 12345");
    refused(&data, &["story", "link", "1", "first"], "STORY_ID \"first\"");
    refused(&data, &["story", "delete", "999"], "no story with id 999");
    let long = "x".repeat(5000);
    refused(&data, &["story", "edit", &a.to_string(), "--action", &long], "action is 5000 characters long (at most 4000)");
    assert_eq!(snapshot(&data), before, "nothing changed");
}

#[test]
fn story_show_lists_the_facts_that_changed_between_tellings_with_when_they_were_said() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let s = ok_json(
        &data,
        &["story", "add", "--title", "Team", "--principle", "ownership", "--result", "My team of 5 kept 3 customers.", "--json"],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let mut takes = vec![];
    for _ in 0..2 {
        let mut cmd = Command::new(bin("rehearse-cli"));
        cmd.arg("--data-dir").arg(&data).args(["record", "--question", "lp.outside-your-role", "--seconds", "0.6", "--json"]);
        mic.apply(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let t = serde_json::from_slice::<Value>(&out.stdout).unwrap()["take"]["id"].as_i64().unwrap();
        ok(&data, &["story", "link", &t.to_string(), &s]);
        takes.push(t);
    }
    // Before any transcript: nothing to compare.
    assert!(ok_json(&data, &["story", "show", &s, "--json"])["fact_changes"].as_array().unwrap().is_empty());
    assert!(!ok(&data, &["story", "show", &s]).contains("facts that changed"));
    // The first telling agrees with what is written; the second says 8 people at 1:04.
    write_transcript(
        &data,
        takes[0],
        &[(0, "I"), (400, "led"), (800, "a"), (1000, "team"), (1300, "of"), (1500, "5"), (2200, "three"), (2500, "customers")],
    );
    write_transcript(
        &data,
        takes[1],
        &[(0, "We"), (300, "were"), (64_000, "8"), (64_300, "people"), (65_000, "and"), (65_400, "3"), (65_700, "customers")],
    );
    let shown = ok_json(&data, &["story", "show", &s, "--json"]);
    let changes = shown["fact_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "customers agree everywhere: {changes:?}");
    assert_eq!(changes[0]["kind"], "people");
    let facts: Vec<(i64, &str, Option<i64>, Option<i64>)> = changes[0]["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["value"].as_i64().unwrap(), f["said"].as_str().unwrap(), f["take_id"].as_i64(), f["at_ms"].as_i64()))
        .collect();
    assert_eq!(
        facts,
        [(5, "team of 5", None, None), (5, "team of 5", Some(takes[0]), Some(1500)), (8, "8 people", Some(takes[1]), Some(64_000))]
    );
    let text = ok(&data, &["story", "show", &s]);
    let line = format!(
        "  people: 5 \"team of 5\" (written); 5 \"team of 5\" (take {} at 0:01); 8 \"8 people\" (take {} at 1:04)",
        takes[0], takes[1]
    );
    assert!(text.contains("facts that changed between tellings:\n") && text.contains(&line), "{text}");
}

#[test]
fn story_parts_shows_the_time_in_each_part_found_in_the_transcript_and_keeps_a_boundary_the_user_moved() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let s = ok_json(&data, &["story", "add", "--title", "Batch", "--principle", "ownership", "--json"])["id"].as_i64().unwrap();
    let mut cmd = Command::new(bin("rehearse-cli"));
    cmd.arg("--data-dir").arg(&data).args(["record", "--question", "lp.outside-your-role", "--seconds", "3", "--json"]);
    mic.apply(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let take = serde_json::from_slice::<Value>(&out.stdout).unwrap()["take"]["id"].as_i64().unwrap().to_string();
    refused(&data, &["story", "parts", &take], "tells no story");
    ok(&data, &["story", "link", &take, &s.to_string()]);
    let said = "It failed. My task was the fix. So I split it. As a result it ran.";
    let words: Vec<(u64, &str)> = said.split(' ').enumerate().map(|(i, w)| (i as u64 * 180, w)).collect();
    write_transcript(&data, take.parse().unwrap(), &words);
    let p = ok_json(&data, &["story", "parts", &take, "--json"]);
    let bounds = |p: &Value| -> Vec<(Option<i64>, String)> {
        p["boundaries"].as_array().unwrap().iter().map(|b| (b["at_ms"].as_i64(), b["source"].as_str().unwrap().to_string())).collect()
    };
    assert_eq!(bounds(&p), [(Some(360), "found".into()), (Some(1260), "found".into()), (Some(1980), "found".into())]);
    let ms: Vec<i64> = p["parts"].as_array().unwrap().iter().map(|x| x["ms"].as_i64().unwrap()).collect();
    let duration = p["duration_ms"].as_i64().unwrap();
    assert_eq!(ms, [360, 900, 720, duration - 1980]);
    let text = ok(&data, &["story", "parts", &take]);
    assert!(text.contains("result reached at 0:01 of 0:0") && text.contains("(found: \"As a result\")"), "{text}");

    // Moved by the user: kept, and shown as set; bad input is one line and changes nothing.
    let p = ok_json(&data, &["story", "parts", &take, "--set", "result=2.5", "--json"]);
    assert_eq!(bounds(&p)[2], (Some(2500), "set".into()));
    assert!(ok(&data, &["story", "parts", &take]).contains("result reached at 0:02 of 0:0"));
    refused(&data, &["story", "parts", &take, "--set", "task=0:01", "--set", "result=9:00"], "beyond the end");
    refused(&data, &["story", "parts", &take, "--set", "ending=1"], "part \"ending\" is not one of task, action, result");
    refused(&data, &["story", "parts", &take, "--set", "result"], "is not PART=TIME");
    refused(&data, &["story", "parts", &take, "--set", "result=soon"], "time \"soon\"");
    assert_eq!(
        bounds(&ok_json(&data, &["story", "parts", &take, "--json"])),
        [(Some(360), "found".into()), (Some(1260), "found".into()), (Some(2500), "set".into())]
    );
    let p = ok_json(&data, &["story", "parts", &take, "--clear", "result", "--json"]);
    assert_eq!(bounds(&p)[2], (Some(1980), "found".into()));
}

#[test]
fn a_story_drill_records_each_story_to_a_question_it_maps_to_and_turns_it_to_another_next_time() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    refused(&data, &["story", "drill", "--plan"], "no story to drill");
    let a = ok_json(&data, &["story", "add", "--title", "A", "--principle", "customer-obsession", "--principle", "ownership", "--json"])
        ["id"]
        .as_i64()
        .unwrap();
    let b = ok_json(&data, &["story", "add", "--title", "B", "--principle", "dive-deep", "--json"])["id"].as_i64().unwrap();
    refused(&data, &["story", "drill", "--seconds", "0.1"], "--seconds must be at least 0.5");
    refused(&data, &["story", "drill", "--limit", "0"], "--limit must be at least 1");
    let plan = ok_json(&data, &["story", "drill", "--plan", "--json"]);
    let items: Vec<(i64, String, String)> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["story_id"].as_i64().unwrap(), d["question_id"].as_str().unwrap().to_string(), d["principle"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(items.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(), [(a, "customer-obsession"), (b, "dive-deep")]);
    assert!(ok(&data, &["story", "drill", "--plan"]).contains("1/2  story 1 \"A\" (due)  →  "));

    // Told: each story once, for the time given, linked to its story.
    let mut cmd = Command::new(bin("rehearse-cli"));
    cmd.arg("--data-dir").arg(&data).args(["story", "drill", "--seconds", "0.8", "--json"]);
    mic.apply(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let told: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(told.as_array().unwrap().len(), 2);
    for (t, item) in told.as_array().unwrap().iter().zip(&items) {
        assert_eq!(t["take"]["question_id"].as_str(), Some(item.1.as_str()));
        let ms = t["take"]["duration_ms"].as_i64().unwrap();
        assert!((700..=900).contains(&ms), "told for the time given: {ms} ms");
        let shown = ok_json(&data, &["story", "show", &item.0.to_string(), "--json"]);
        assert_eq!(shown["linked_takes"][0]["id"], t["take"]["id"]);
    }
    // The next drill turns A to its other principle; B (one principle) to another question of it.
    let next = ok_json(&data, &["story", "drill", "--plan", "--json"]);
    let a_next = next.as_array().unwrap().iter().find(|d| d["story_id"] == a).unwrap();
    assert_eq!(a_next["principle"], "ownership");
    let b_next = next.as_array().unwrap().iter().find(|d| d["story_id"] == b).unwrap();
    assert_ne!(b_next["question_id"].as_str(), Some(items[1].1.as_str()));
    assert_eq!(b_next["principle"], "dive-deep");
}
