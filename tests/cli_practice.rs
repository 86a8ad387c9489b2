//! rehearse-cli practice: the window's practice session in the terminal, against a real
//! (virtual) microphone: think time, the answer recorded until Enter or the answer time,
//! the rating scheduling the question's next review.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rehearse_tests::*;

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

fn ok(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{:?} failed: {}", c, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Two questions with a 1 s think time: the first stops itself after 4 s of answer, the
/// second runs 30 s unless Enter stops it.
const DECK: &str = r#"
format = 1
[deck]
id = "drill"
name = { en = "Drill", ko = "연습" }
languages = ["en", "ko"]
[[questions]]
id = "drill.one"
category = "technical"
think_secs = 1
answer_secs = 4
retakes = 1
text = { en = "What is a deadlock?", ko = "교착 상태란 무엇입니까?" }
[[questions]]
id = "drill.two"
category = "technical"
think_secs = 1
answer_secs = 30
retakes = 1
text = { en = "What is MVCC?", ko = "MVCC란 무엇입니까?" }
"#;

fn import_deck(tmp: &Path, data: &Path) {
    let file = tmp.join("drill.toml");
    std::fs::write(&file, DECK).unwrap();
    let mut c = cli(data);
    c.args(["deck", "import"]).arg(&file);
    ok(c);
}

/// The practice process's stdout, line by line, as it comes.
struct Lines {
    rx: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    fn wait(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?} within {timeout:?}; stdout so far:\n{}", self.seen.join("\n")),
            }
        }
    }
}

fn sessions(data: &Path) -> serde_json::Value {
    let mut c = cli(data);
    c.args(["sessions", "--json"]);
    serde_json::from_str(&ok(c)).unwrap()
}

#[test]
fn practice_records_each_answer_until_time_up_or_enter_and_schedules_its_rating() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "A deadlock is a cycle of transactions waiting for each other");
    let data = tmp.path().join("data");
    import_deck(tmp.path(), &data);

    mic.feed_loop(&speech_raw);
    let mut c = cli(&data);
    c.args(["practice", "--deck", "drill", "--count", "2"]);
    mic.apply(&mut c);
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut out = Lines { rx, seen: vec![] };
    let long = Duration::from_secs(20);

    // Question 1: the think time runs out by itself, then the answer time (4 s) stops it.
    out.wait("question 1/2 [drill.one]: What is a deadlock?", long);
    let thinking = Instant::now();
    out.wait("answer now: recording", long);
    assert!(thinking.elapsed() >= Duration::from_millis(800), "the think time was cut short: {:?}", thinking.elapsed());
    out.wait("rate it", long);
    writeln!(stdin, "good").unwrap();
    let rated_one = out.wait("rated good", long);

    // Question 2: Enter skips the rest of the think time, Enter stops the answer.
    out.wait("question 2/2 [drill.two]", long);
    writeln!(stdin).unwrap();
    out.wait("answer now: recording", long);
    std::thread::sleep(Duration::from_millis(2500));
    writeln!(stdin).unwrap();
    out.wait("rate it", long);
    writeln!(stdin, "2").unwrap();
    let rated_two = out.wait("rated hard", long);
    out.wait("ended: 2 question(s), 2 take(s)", long);
    let status = child.wait().unwrap();
    mic.stop_feed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "practice failed: {stderr}");
    assert!(stderr.contains("think: 1 s"), "the think time was not counted down: {stderr}");

    let mut c = cli(&data);
    c.args(["takes", "--json"]);
    let mut takes: Vec<serde_json::Value> = serde_json::from_str(&ok(c)).unwrap();
    takes.sort_by_key(|t| t["id"].as_i64());
    assert_eq!(takes.len(), 2, "{takes:?}");
    let session = sessions(&data)[0]["id"].as_i64().unwrap();
    let (one, two) = (&takes[0], &takes[1]);
    assert_eq!(
        (one["question_id"].as_str(), one["rating"].as_i64(), one["session_id"].as_i64()),
        (Some("drill.one"), Some(3), Some(session))
    );
    assert_eq!(
        (two["question_id"].as_str(), two["rating"].as_i64(), two["session_id"].as_i64()),
        (Some("drill.two"), Some(2), Some(session))
    );
    // Time-up after exactly the answer time (counted in samples); Enter well before its 30 s.
    assert_eq!(one["duration_ms"].as_i64(), Some(4000), "{one}");
    let d2 = two["duration_ms"].as_i64().unwrap();
    assert!((1500..=5000).contains(&d2), "the second answer should end at Enter after about 2.5 s, lasted {d2} ms");
    for t in &takes {
        let st = wav_stats(&data.join(t["file_path"].as_str().unwrap()));
        assert!(st.rms > 0.03, "take {} is (nearly) silent: rms {}", t["id"], st.rms);
    }

    // Each rating scheduled its question with FSRS: a next due date in the future, as printed.
    let now = time_now_rfc3339();
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    for (q, line) in [("drill.one", &rated_one), ("drill.two", &rated_two)] {
        let due: String = db.query_row("SELECT due_at FROM schedule WHERE question_id = ?1", [q], |r| r.get(0)).unwrap();
        assert!(due > now, "{q} is due {due}, not after {now}");
        assert!(line.ends_with(&format!("{q} next due {due}")), "{line:?} should name {q}'s next due date {due}");
    }
}

/// Now as the core writes times (RFC 3339, UTC, to the second), to compare as text.
fn time_now_rfc3339() -> String {
    let out = Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn end_of_input_ends_the_session_keeping_the_answer_being_recorded() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Multi version concurrency control keeps old row versions");
    let data = tmp.path().join("data");
    import_deck(tmp.path(), &data);

    mic.feed_loop(&speech_raw);
    let mut c = cli(&data);
    c.args(["practice", "--deck", "drill", "--count", "2"]);
    mic.apply(&mut c);
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut out = Lines { rx, seen: vec![] };
    out.wait("answer now: recording", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(2000));
    drop(stdin); // end of input during the answer
    out.wait("ended: 1 question(s), 1 take(s)", Duration::from_secs(20));
    let status = child.wait().unwrap();
    mic.stop_feed();
    assert!(status.success());
    let rows = db_takes(&data);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].1, "drill.one");
    assert!((1500..4000).contains(&rows[0].2), "the answer should end at end of input, lasted {} ms", rows[0].2);
    assert!(sessions(&data)[0]["ended_at"].is_string(), "the session was not ended");
}

fn assert_one_clear_error_line(out: &std::process::Output, must_contain: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "expected exactly one line: {stderr}");
    assert!(stderr.starts_with("rehearse-cli: ") && stderr.contains(must_contain), "{stderr:?} should mention {must_contain:?}");
}

#[test]
fn a_bad_deck_id_or_count_fails_with_one_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import_deck(tmp.path(), &data);

    for (args, must) in [
        (["--deck", "no-such-deck", "--count", "2"], "--deck \"no-such-deck\": no deck with this id"),
        (["--deck", "drill", "--count", "0"], "--count must be at least 1"),
    ] {
        let mut c = cli(&data);
        c.arg("practice").args(args).stdin(Stdio::null());
        // No microphone is needed to refuse: nothing is opened.
        for (k, v) in no_microphone_env(tmp.path()) {
            c.env(k, v);
        }
        assert_one_clear_error_line(&c.output().unwrap(), must);
    }
    assert_eq!(sessions(&data), serde_json::json!([]));
    assert!(db_takes(&data).is_empty());
    assert_eq!(std::fs::read_dir(data.join("takes")).map(|d| d.count()).unwrap_or(0), 0);
}
