//! The library view, rubric, bookmarks and blind re-rates through the real CLI binary:
//! takes recorded from the virtual microphone, every result checked against the takes it
//! must contain, and what was stored read back straight from the SQLite file.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use rehearse_tests::*;
use serde_json::Value;

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn ok_json(data: &Path, args: &[&str]) -> Value {
    let out = cli(data, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One clear line on stderr, a failure status, nothing on stdout.
fn refused(data: &Path, args: &[&str], needle: &str) {
    let out = cli(data, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("rehearse-cli: ") && err.contains(needle), "{args:?}: {err}");
}

fn record(data: &Path, mic: &VirtualMic, question: &str, seconds: &str) -> i64 {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data).args(["record", "--question", question, "--seconds", seconds, "--json"]);
    mic.apply(&mut c);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["take"]["id"].as_i64().unwrap()
}

fn db(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data.join("rehearse.db")).unwrap()
}

/// Ids of a `library --json` page, and its total.
fn page(data: &Path, args: &[&str]) -> (u64, Vec<i64>) {
    let mut all = vec!["library", "--json"];
    all.extend_from_slice(args);
    let v = ok_json(data, &all);
    (v["total"].as_u64().unwrap(), v["rows"].as_array().unwrap().iter().map(|r| r["take"]["id"].as_i64().unwrap()).collect())
}

struct Takes {
    a: i64,
    b: i64,
    c: i64,
    d: i64,
}

/// Four takes on three days and today: A db.deadlock (Again, 0.3 s, 2026-01-05), B db.deadlock
/// (Good, 0.6 s, 2026-02-10, best), C lp.unhappy-customer (Easy, 0.9 s, 2026-03-15),
/// D lp.root-cause-beyond-ticket (ownership; unrated, 0.45 s, now).
fn four_takes(data: &Path, mic: &VirtualMic) -> Takes {
    let t = Takes {
        a: record(data, mic, "db.deadlock", "0.5"),
        b: record(data, mic, "db.deadlock", "0.8"),
        c: record(data, mic, "lp.unhappy-customer", "1.1"),
        d: record(data, mic, "lp.root-cause-beyond-ticket", "0.65"),
    };
    for (id, rating) in [(t.a, "again"), (t.b, "good"), (t.c, "easy")] {
        let out = cli(data, &["rate", &id.to_string(), "--rating", rating]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // The recordings were made now; they stand for takes recorded on earlier days. Being
    // marked best is done in the app's session screen, which the CLI has no command for.
    let c = db(data);
    for (id, day) in [(t.a, "2026-01-05T10:00:00.000Z"), (t.b, "2026-02-10T10:00:00.000Z"), (t.c, "2026-03-15T10:00:00.000Z")] {
        c.execute("UPDATE takes SET started_at = ?2, rated_at = ?2 WHERE id = ?1", rusqlite::params![id, day]).unwrap();
    }
    c.execute("UPDATE takes SET best = (id = ?1) WHERE question_id = 'db.deadlock'", [t.b]).unwrap();
    t
}

#[test]
fn filters_search_and_sorts_return_exactly_the_right_takes() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let Takes { a, b, c, d } = four_takes(&data, &mic);

    assert_eq!(page(&data, &[]), (4, vec![d, c, b, a]), "newest first");
    assert_eq!(page(&data, &["--asc"]), (4, vec![a, b, c, d]));
    assert_eq!(page(&data, &["--deck", "databases"]), (2, vec![b, a]));
    assert_eq!(page(&data, &["--category", "behavioural"]), (2, vec![d, c]));
    assert_eq!(page(&data, &["--tag", "ownership"]), (1, vec![d]));
    assert_eq!(page(&data, &["--tag", "seed"]), (3, vec![c, b, a]), "db.deadlock and lp.unhappy-customer are both seed questions");
    assert_eq!(page(&data, &["--rating", "good", "--rating", "easy"]), (2, vec![c, b]));
    assert_eq!(page(&data, &["--rating", "unrated"]), (1, vec![d]));
    assert_eq!(page(&data, &["--rating", "again", "--rating", "unrated"]), (2, vec![d, a]));
    assert_eq!(page(&data, &["--from", "2026-02-10", "--to", "2026-03-15"]), (2, vec![c, b]), "both days inclusive");
    assert_eq!(page(&data, &["--to", "2026-01-05"]), (1, vec![a]));
    assert_eq!(page(&data, &["--status", "ok"]), (4, vec![d, c, b, a]));
    assert_eq!(page(&data, &["--status", "recovered", "--status", "damaged"]), (0, vec![]));
    assert_eq!(page(&data, &["--best"]), (1, vec![b]));
    assert_eq!(page(&data, &["--search", "DEADLOCK"]), (2, vec![b, a]), "case-insensitive English");
    assert_eq!(page(&data, &["--search", "데드락"]), (2, vec![b, a]), "Korean");
    assert_eq!(page(&data, &["--search", "불만"]), (1, vec![c]));
    assert_eq!(page(&data, &["--search", "no such words"]), (0, vec![]));
    assert_eq!(page(&data, &["--sort", "duration"]), (4, vec![c, b, d, a]), "longest first");
    assert_eq!(page(&data, &["--sort", "duration", "--asc"]), (4, vec![a, d, b, c]));
    assert_eq!(page(&data, &["--sort", "rating"]), (4, vec![c, b, a, d]), "easy, good, again, then unrated");
    assert_eq!(page(&data, &["--limit", "2", "--offset", "1"]), (4, vec![c, b]));
    assert_eq!(page(&data, &["--deck", "leadership", "--rating", "easy", "--from", "2026-03-01"]), (1, vec![c]));

    let row = &ok_json(&data, &["library", "--json", "--tag", "ownership"])["rows"][0];
    assert_eq!(
        (row["deck_id"].as_str(), row["category"].as_str(), row["leech"].as_bool()),
        (Some("leadership"), Some("behavioural"), Some(false))
    );
    assert!(row["question_text"]["ko"].as_str().unwrap().chars().any(|ch| ('가'..='힣').contains(&ch)));
    let text = String::from_utf8_lossy(&cli(&data, &["library", "--deck", "databases"]).stdout).to_string();
    assert!(text.starts_with("2 take(s) match") && text.contains("db.deadlock") && text.contains(" best"), "{text}");

    refused(&data, &["library", "--from", "2026-02-30"], "\"2026-02-30\" is not a date");
    refused(&data, &["library", "--from", "2026-03-02", "--to", "2026-03-01"], "after the last day");
    refused(&data, &["library", "--rating", "superb"], "\"superb\"");
    refused(&data, &["library", "--sort", "name"], "\"name\"");
    refused(&data, &["library", "--status", "lost"], "\"lost\"");
    refused(&data, &["library", "--deck", "nope"], "no deck with id \"nope\"");
}

#[test]
fn rubric_bookmarks_and_blind_rerates_persist_in_the_sqlite_file() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let Takes { a, b, c, .. } = four_takes(&data, &mic);
    let (a_s, b_s, c_s) = (a.to_string(), b.to_string(), c.to_string());

    // Rubric: stored as JSON on the take, printed back.
    let r = ok_json(
        &data,
        &["rubric", &c_s, "--covered", "4,0,2", "--star", "situation,action,result", "--i-not-we", "--principle", "strong", "--json"],
    );
    assert_eq!(r["key_points"], serde_json::json!([0, 2, 4]));
    let stored: String = db(&data).query_row("SELECT rubric_json FROM takes WHERE id = ?1", [c], |r| r.get(0)).unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored, r);
    assert_eq!(
        (stored["situation"].as_bool(), stored["task"].as_bool(), stored["number"].as_bool(), stored["principle"].as_str()),
        (Some(true), Some(false), Some(false), Some("strong"))
    );
    let shown = String::from_utf8_lossy(&cli(&data, &["rubric", &c_s]).stdout).to_string();
    assert!(
        shown.contains("key points covered: 3 of 6")
            && shown.contains("[x] 0 ")
            && shown.contains("[ ] 1 ")
            && shown.contains("strongly demonstrated"),
        "{shown}"
    );
    refused(&data, &["rubric", &c_s, "--covered", "1,6"], "key point 6 is out of range: question \"lp.unhappy-customer\" has 6 key points");
    refused(&data, &["rubric", &c_s, "--covered", "one"], "\"one\"");
    refused(&data, &["rubric", &c_s, "--star", "situation,context"], "\"context\"");
    refused(&data, &["rubric", "9999", "--number"], "no take with id 9999");
    let after: String = db(&data).query_row("SELECT rubric_json FROM takes WHERE id = ?1", [c], |r| r.get(0)).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&after).unwrap(), r, "refused input changed nothing");

    // Bookmarks: within the take only, listed in time order, deleted.
    let duration: i64 = db(&data).query_row("SELECT duration_ms FROM takes WHERE id = ?1", [b], |r| r.get(0)).unwrap();
    assert!(cli(&data, &["bookmark", "add", &b_s, "--at-ms", &duration.to_string(), "--note", "끝 the end"]).status.success());
    assert!(cli(&data, &["bookmark", "add", &b_s, "--at-ms", "120", "--note", "said we"]).status.success());
    refused(
        &data,
        &["bookmark", "add", &b_s, "--at-ms", &(duration + 1).to_string()],
        &format!("beyond the end of take {b} ({duration} ms long)"),
    );
    refused(&data, &["bookmark", "add", "9999", "--at-ms", "0"], "no take with id 9999");
    let list = ok_json(&data, &["bookmark", "list", &b_s, "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.iter().map(|m| m["at_ms"].as_i64().unwrap()).collect::<Vec<_>>(), vec![120, duration]);
    let rows: Vec<(i64, i64, String)> = {
        let conn = db(&data);
        let mut st = conn.prepare("SELECT take_id, at_ms, note FROM bookmarks ORDER BY at_ms").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(rows, vec![(b, 120, "said we".to_string()), (b, duration, "끝 the end".to_string())]);
    let first = list[0]["id"].as_i64().unwrap().to_string();
    assert!(cli(&data, &["bookmark", "note", &first, "said \"we\" twice"]).status.success());
    assert!(cli(&data, &["bookmark", "delete", &list[1]["id"].as_i64().unwrap().to_string()]).status.success());
    refused(&data, &["bookmark", "delete", "9999"], "no bookmark with id 9999");
    let left: Vec<(i64, String)> = {
        let conn = db(&data);
        let mut st = conn.prepare("SELECT at_ms, note FROM bookmarks").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(left, vec![(120, "said \"we\" twice".to_string())]);

    // Blind re-rate: kept in its own table; the take's rating and the schedule stay.
    let schedule = |data: &Path| -> (String, i64) {
        db(data)
            .query_row("SELECT due_at, reviews FROM schedule WHERE question_id = 'db.deadlock'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    };
    let before = schedule(&data);
    let calib = ok_json(&data, &["calibration", "--json"]);
    let candidates: Vec<i64> = calib["candidates"].as_array().unwrap().iter().map(|k| k["take_id"].as_i64().unwrap()).collect();
    assert_eq!(candidates, vec![a, b, c], "rated over a day ago, never re-rated");
    assert!(calib["candidates"][0].get("rating").is_none(), "blind: the rating is not shown");
    let r = ok_json(&data, &["rerate", &b_s, "--rating", "hard", "--json"]);
    assert_eq!((r["rerate"]["rating"].as_i64(), r["rerate"]["previous_rating"].as_i64()), (Some(2), Some(3)));
    assert!(cli(&data, &["rerate", &c_s, "--rating", "easy"]).status.success());
    refused(&data, &["rerate", &a_s, "--rating", "superb"], "\"superb\"");
    refused(&data, &["rerate", "9999", "--rating", "good"], "no take with id 9999");
    let stored: Vec<(i64, i64, Option<i64>)> = {
        let conn = db(&data);
        let mut st = conn.prepare("SELECT take_id, rating, previous_rating FROM rerates ORDER BY id").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(stored, vec![(b, 2, Some(3)), (c, 4, Some(4))]);
    let rating: i64 = db(&data).query_row("SELECT rating FROM takes WHERE id = ?1", [b], |r| r.get(0)).unwrap();
    assert_eq!(rating, 3, "the take keeps its own rating");
    assert_eq!(schedule(&data), before, "the schedule is unchanged");
    let calib = ok_json(&data, &["calibration", "--json"]);
    assert_eq!(
        (
            calib["calibration"]["count"].as_i64(),
            calib["calibration"]["mean_abs_difference"].as_f64(),
            calib["calibration"]["identical_share"].as_f64()
        ),
        (Some(2), Some(0.5), Some(0.5))
    );
    let order: Vec<i64> = calib["candidates"].as_array().unwrap().iter().map(|k| k["take_id"].as_i64().unwrap()).collect();
    assert_eq!(order, vec![a, b, c], "least recently re-rated first");

    // Deleting a take removes its bookmarks and re-rates with it.
    assert!(cli(&data, &["delete", &b_s]).status.success());
    let n: i64 = db(&data)
        .query_row("SELECT (SELECT count(*) FROM bookmarks) + (SELECT count(*) FROM rerates WHERE take_id = ?1)", [b], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn readiness_principles_and_the_interview_date_through_the_cli() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let deadlock = record(&data, &mic, "db.deadlock", "0.5");
    let own1 = record(&data, &mic, "lp.root-cause-beyond-ticket", "0.5");
    let own2 = record(&data, &mic, "lp.outside-your-role", "0.5");
    for (id, rating) in [(deadlock, "good"), (own1, "good"), (own2, "easy")] {
        assert!(cli(&data, &["rate", &id.to_string(), "--rating", rating]).status.success());
    }
    // Readiness counts stories of the story bank: good takes alone are none.
    assert_eq!(ok_json(&data, &["readiness", "--json"])["principles"]["with_two_good_stories"].as_i64(), Some(0));
    for (title, take) in [("Root cause", own1), ("Outside my role", own2)] {
        let s = ok_json(&data, &["story", "add", "--title", title, "--principle", "ownership", "--json"]);
        assert!(cli(&data, &["story", "link", &take.to_string(), &s["id"].as_i64().unwrap().to_string()]).status.success());
    }
    refused(&data, &["interview-date", "2026-13-01"], "\"2026-13-01\" is not a date in the form YYYY-MM-DD");
    refused(&data, &["interview-date", "2099-01-01"], "2099-01-01");
    let day = day_from_today(60);
    assert!(cli(&data, &["interview-date", &day]).status.success());
    let r = ok_json(&data, &["readiness", "--json"]);
    assert_eq!(r["interview_date"], day.as_str());
    assert!(r["days_left"].as_i64().unwrap() > 0);
    assert_eq!((r["technical"]["rated_good_or_better_last_7_days"].as_i64(), r["technical"]["total"].as_i64()), (Some(1), Some(33)));
    assert_eq!((r["principles"]["with_two_good_stories"].as_i64(), r["principles"]["total"].as_i64()), (Some(1), Some(16)));
    assert_eq!(r["principles"]["weak"].as_array().unwrap().len(), 15);
    let stored: String = db(&data).query_row("SELECT value FROM settings WHERE key = 'interview_date'", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, day);

    let grid = ok_json(&data, &["principles", "--json"]);
    let grid = grid.as_array().unwrap();
    assert_eq!(grid.len(), 16);
    let own = grid.iter().find(|p| p["tag"] == "ownership").unwrap();
    assert_eq!(
        (
            own["questions_practised"].as_i64(),
            own["rated_stories_good"].as_i64(),
            own["stories_rehearsed_good"].as_i64(),
            own["weak"].as_bool()
        ),
        (Some(2), Some(2), Some(2), Some(false))
    );
    assert_eq!(own["name"]["ko"], "주인의식");
    let points = ok_json(&data, &["progress", "--principle", "ownership", "--json"]);
    assert_eq!(points.as_array().unwrap().iter().map(|p| p["take_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![own1, own2]);
    // Each point carries its speech metrics, measured from the recording and kept.
    for p in points.as_array().unwrap() {
        let m = &p["metrics"];
        assert!(m["speaking_ms"].as_u64().unwrap() + m["silence_ms"].as_u64().unwrap() >= 250, "{p}");
        let id = p["take_id"].as_i64().unwrap();
        let kept: i64 = db(&data).query_row("SELECT speaking_ms FROM take_metrics WHERE take_id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(kept as u64, m["speaking_ms"].as_u64().unwrap());
        let direct = ok_json(&data, &["metrics", &id.to_string(), "--json"]);
        assert_eq!(
            (direct["speaking_ms"].clone(), direct["time_to_first_word_ms"].clone()),
            (m["speaking_ms"].clone(), m["time_to_first_word_ms"].clone())
        );
    }

    assert!(cli(&data, &["interview-date", "none"]).status.success());
    assert!(ok_json(&data, &["readiness", "--json"])["interview_date"].is_null());
}
