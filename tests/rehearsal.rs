//! Timed video-call rehearsals through the real CLI on the virtual microphone and speaker:
//! a compressed template end to end (session WAV length, one take per question and probe,
//! markers on the take boundaries, the two interviewer voices heard at different pitches,
//! a cue sheet), a rehearsal killed mid-session then recovered, and a paused rehearsal.
//!
//! Length: each test drives a whole call through the real CLI on the virtual microphone and
//! speaker; they share one set-up and its helpers.
#![allow(clippy::unwrap_used)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rehearse_tests::*;
use serde_json::Value;

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

fn fixture() -> PathBuf {
    rehearsal_fixture()
}

/// The compressed template's planned length in seconds (6 + 7 + 16).
const SHORT_SECS: f64 = 29.0;

/// A running `rehearse --json`: its stdout lines, parsed, with the time each arrived.
struct Rehearsal {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<(Instant, Value)>,
    seen: Vec<(Instant, Value)>,
}

impl Rehearsal {
    fn spawn(mut c: Command) -> Self {
        let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stdin = child.stdin.take();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&l).unwrap_or_else(|e| panic!("not one JSON object per line: {l}: {e}"));
                let _ = tx.send((Instant::now(), v));
            }
        });
        Rehearsal { child, stdin, lines, seen: vec![] }
    }

    /// Enter on the keyboard: "next" (Space in the window).
    fn press_enter(&mut self) {
        self.type_line("");
    }

    /// A line on stdin ("p": pause or resume).
    fn type_line(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for an event matching `f`.
    fn wait_for(&mut self, f: impl Fn(&Value) -> bool, timeout: Duration) -> Option<(Instant, Value)> {
        if let Some(hit) = self.seen.iter().find(|(_, v)| f(v)) {
            return Some(hit.clone());
        }
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let (t, v) = self.lines.recv_timeout(left).ok()?;
            self.seen.push((t, v.clone()));
            if f(&v) {
                return Some((t, v));
            }
        }
        None
    }

    /// Waits for the `n`th event (from 1) matching `f`.
    fn wait_nth(&mut self, n: usize, f: impl Fn(&Value) -> bool, timeout: Duration) -> Option<(Instant, Value)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(hit) = self.seen.iter().filter(|(_, v)| f(v)).nth(n - 1) {
                return Some(hit.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let (t, v) = self.lines.recv_timeout(left).ok()?;
            self.seen.push((t, v));
        }
    }

    fn finish(mut self) -> (std::process::ExitStatus, Vec<Value>, String) {
        let mut err = String::new();
        use std::io::Read;
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = self.child.wait().unwrap();
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(300)) {
            self.seen.push(l);
        }
        (status, self.seen.into_iter().map(|(_, v)| v).collect(), err)
    }
}

fn markers_of(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "marker").collect()
}

fn session_show(data: &Path, id: i64) -> Value {
    let out = cli(data).args(["session", "show", &id.to_string(), "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The sample offsets of the `cue ` chunk of a WAV.
fn wav_cue_offsets(path: &Path) -> Vec<u64> {
    let b = std::fs::read(path).unwrap();
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
    let mut pos = 12;
    while pos + 8 <= b.len() {
        let size = u32_at(pos + 4);
        if &b[pos..pos + 4] == b"cue " {
            return (0..u32_at(pos + 8)).map(|i| u32_at(pos + 12 + 24 * i + 20) as u64).collect();
        }
        pos += 8 + size + (size & 1);
    }
    vec![]
}

#[test]
fn a_compressed_rehearsal_runs_end_to_end_with_voices_markers_takes_and_a_cue_sheet() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let speech_raw = noisy_speech(tmp.path(), "The deadlock was resolved by rolling back the smaller transaction");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let out = cli(&data).arg("template").arg("import").arg(fixture()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Record what the interviewers say on the virtual speaker, from before the session.
    let monitor = tmp.path().join("monitor.wav");
    let mut speaker = mic.speaker_record_cmd(&monitor, SHORT_SECS as u32 + 12).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let recording_from = Instant::now();
    let mut c = cli(&data);
    c.args(["rehearse", "--template", "test-short", "--json", "--seed", "7"]);
    mic.apply(&mut c);
    let mut run = Rehearsal::spawn(c);
    let (started_at, started) = run.wait_for(|v| v["type"] == "started", Duration::from_secs(30)).expect("started");
    let (status, events, stderr) = run.finish();
    speaker.wait().unwrap();
    mic.stop_feed();
    assert!(status.success(), "{stderr}");
    assert!(!events.iter().any(|e| e["type"] == "voice_unavailable"), "{events:?}");

    let finished = &events.iter().find(|e| e["type"] == "finished").expect("finished")["summary"];
    let id = finished["session_id"].as_i64().unwrap();
    let rate = started["sample_rate"].as_f64().unwrap();
    let markers = markers_of(&events);
    let at =
        |kind: &str| markers.iter().filter(|m| m["kind"] == kind).map(|m| m["sample_offset"].as_f64().unwrap() / rate).collect::<Vec<_>>();
    // Session WAV length matches the session's duration (and the planned length).
    let duration = at("session_end")[0] - at("session_start")[0];
    assert!((duration - SHORT_SECS).abs() <= 0.2, "session lasted {duration} s, planned {SHORT_SECS}");
    let wav = PathBuf::from(finished["wav_path"].as_str().unwrap());
    let wav_secs = wav_stats(&wav).seconds;
    assert!((wav_secs - duration).abs() <= 0.2, "WAV {wav_secs} s, session {duration} s");
    assert!(sox_reads(&wav));
    // Segments advanced on their own, each after its length.
    let seg_lengths: Vec<f64> = at("segment_end").iter().zip(at("segment_start")).map(|(e, s)| e - s).collect();
    assert_eq!(seg_lengths.len(), 3);
    for (got, want) in seg_lengths.iter().zip([6.0, 7.0, 16.0]) {
        assert!((got - want).abs() <= 0.05, "segment lasted {got} s, planned {want} s");
    }

    // Without a key press every answer ended exactly at its announced deadline (its answer
    // limit, or its segment's end).
    let mut deadlines: Vec<u64> = vec![];
    for e in &events {
        if e["type"] == "deadline" {
            deadlines.push(e["sample_offset"].as_u64().unwrap());
        } else if e["type"] == "marker" && (e["kind"] == "question_end" || e["kind"] == "probe_end") {
            let at = e["sample_offset"].as_u64().unwrap();
            assert!(deadlines.contains(&at), "{} ended at {at}, not at a deadline {deadlines:?}", e["kind"]);
        }
    }

    // One take per question and probe, linked, with the markers on its boundaries.
    let detail = session_show(&data, id);
    assert_eq!(detail["session"]["status"], "finished");
    let db_markers = detail["markers"].as_array().unwrap();
    assert_eq!(db_markers.len(), markers.len(), "every printed marker is stored");
    for (db, printed) in db_markers.iter().zip(&markers) {
        assert_eq!((&db["kind"], &db["sample_offset"]), (&printed["kind"], &printed["sample_offset"]));
    }
    let cues = wav_cue_offsets(&wav);
    assert_eq!(cues, db_markers.iter().map(|m| m["sample_offset"].as_u64().unwrap()).collect::<Vec<_>>(), "markers as WAV cue points");
    let takes = detail["takes"].as_array().unwrap();
    let starts: Vec<&Value> = db_markers.iter().filter(|m| m["kind"] == "question_start" || m["kind"] == "probe_start").collect();
    assert_eq!(starts.len(), 4, "3 questions and 1 probe");
    assert_eq!(takes.len(), starts.len(), "one take per question and probe");
    for start in &starts {
        let take = takes.iter().find(|t| t["id"] == start["take_id"]).expect("start marker points at its take");
        let end_kind = if start["kind"] == "probe_start" { "probe_end" } else { "question_end" };
        let end = db_markers.iter().find(|m| m["kind"] == end_kind && m["take_id"] == take["id"]).expect("end marker");
        let span = (end["sample_offset"].as_f64().unwrap() - start["sample_offset"].as_f64().unwrap()) / rate;
        let path = data.join(take["file_path"].as_str().unwrap());
        let stats = wav_stats(&path);
        assert!((stats.seconds - span).abs() <= 0.1, "take {} lasts {} s, its markers span {span} s", take["id"], stats.seconds);
        assert!(stats.rms > 0.005, "take {} holds the speech fed to the microphone", take["id"]);
        assert_eq!(take["question_id"], start["question_id"]);
    }
    let probe = takes.iter().find(|t| !t["probe"].is_null()).expect("probe take");
    let parent = takes.iter().find(|t| t["id"] == probe["parent_take_id"]).expect("probe linked to its question's take");
    assert_eq!(parent["question_id"], "lp.unhappy-customer");

    // The interviewers were heard: speech in every question's span, A lower than B.
    let (mon, mon_rate) = samples(&monitor);
    let shift = started_at.duration_since(recording_from).as_secs_f64();
    // Each question or probe with the first matching end marker after it.
    let prompts: Vec<(&Value, &Value)> = markers
        .iter()
        .enumerate()
        .filter(|(_, m)| m["kind"] == "question_start" || m["kind"] == "probe_start")
        .map(|(i, m)| {
            let end_kind = if m["kind"] == "probe_start" { "probe_end" } else { "question_end" };
            (*m, *markers[i..].iter().find(|e| e["kind"] == end_kind).unwrap())
        })
        .collect();
    let mut pitches = vec![];
    for (s, e) in &prompts {
        let from = ((s["sample_offset"].as_f64().unwrap() / rate + shift - 0.3).max(0.0) * mon_rate as f64) as usize;
        let to = (((e["sample_offset"].as_f64().unwrap() / rate + shift + 0.3) * mon_rate as f64) as usize).min(mon.len());
        assert!(from < to, "the speaker recording covers {}", s["label"]);
        let (f0, voiced) = median_pitch(&mon[from..to], mon_rate);
        let rms = (mon[from..to].iter().map(|x| x * x).sum::<f64>() / (to - from) as f64).sqrt();
        println!(
            "{} {:.2}-{:.2} s of {:.2} s: rms {rms:.3}, f0 {f0:.0} Hz, {voiced} voiced frames",
            s["speaker"],
            from as f64 / mon_rate as f64,
            to as f64 / mon_rate as f64,
            mon.len() as f64 / mon_rate as f64
        );
        let warnings: Vec<&Value> = events.iter().filter(|e| e["type"] == "warning").collect();
        assert!(voiced >= 10, "the interviewer's voice is heard for {:?} ({voiced} voiced frames); warnings: {warnings:?}", s["label"]);
        pitches.push((s["speaker"].as_str().unwrap().to_string(), f0));
    }
    let mean = |who: &str| {
        let v: Vec<f64> = pitches.iter().filter(|(s, _)| s == who).map(|(_, f)| *f).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (a, b) = (mean("A"), mean("B"));
    assert!(b > a * 1.3, "B speaks higher than A: {pitches:?}");
    println!("interviewer pitch: A {a:.0} Hz, B {b:.0} Hz ({pitches:?})");

    // The cue sheet: one track per question and probe, at the markers' times.
    let cue = tmp.path().join("session.cue");
    let out = cli(&data).args(["session", "cue", &id.to_string()]).arg(&cue).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&cue).unwrap();
    let indexes: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("INDEX 01 ")).collect();
    assert_eq!(indexes.len(), 4, "{text}");
    for (idx, start) in indexes.iter().zip(&starts) {
        let p: Vec<f64> = idx.split(':').map(|x| x.parse().unwrap()).collect();
        let secs = p[0] * 60.0 + p[1] + p[2] / 75.0;
        assert!((secs - start["sample_offset"].as_f64().unwrap() / rate).abs() < 1.0 / 75.0 + 1e-9, "{idx}");
    }

    // The exported session: the recording bit for bit, the cue sheet, every take, and a
    // report with every segment, question, probe and marker, each answer against its limit.
    let export = tmp.path().join("call.zip");
    let out = cli(&data).args(["export", "--json", "--session", &id.to_string()]).arg(&export).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = r["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!((r["takes"].as_u64(), &files[4..]), (Some(4), &["session.wav", "session.cue", "report.html"][..]), "{r}");
    assert!(r["missing"].as_array().unwrap().is_empty() && r["warnings"].as_array().unwrap().is_empty(), "{r}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&export).unwrap()).unwrap();
    let mut names: Vec<&str> = zip.file_names().collect();
    names.sort();
    let mut listed = files.clone();
    listed.sort();
    assert_eq!(names, listed);
    let mut entry = |name: &str| {
        let mut out = vec![];
        std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
        out
    };
    assert!(entry("session.wav") == std::fs::read(&wav).unwrap(), "session.wav is the session's WAV bit for bit");
    let cue_in_zip = String::from_utf8(entry("session.cue")).unwrap();
    assert!(cue_in_zip.contains("FILE \"session.wav\" WAVE"), "{cue_in_zip}");
    assert_eq!(
        cue_in_zip.lines().filter(|l| l.contains("INDEX 01")).collect::<Vec<_>>(),
        text.lines().filter(|l| l.contains("INDEX 01")).collect::<Vec<_>>()
    );
    let html = String::from_utf8(entry("report.html")).unwrap();
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let segments: Vec<&Value> = db_markers.iter().filter(|m| m["kind"] == "segment_start").collect();
    for (i, seg) in segments.iter().enumerate() {
        assert!(html.contains(&format!("<h2>{}. {}</h2>", i + 1, esc(seg["label"].as_str().unwrap()))), "segment {seg}: {html}");
    }
    for start in &starts {
        assert!(html.contains(&esc(start["label"].as_str().unwrap())), "{start}: {html}");
    }
    for m in db_markers {
        let ms = m["sample_offset"].as_u64().unwrap() * 1000 / rate as u64;
        let link = format!(
            "href=\"session.wav#t={}.{:03}\">0:{:02}:{:02}.{:03}</a>",
            ms / 1000,
            ms % 1000,
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        );
        assert!(html.contains(&link), "marker {m}: {link} in {html}");
    }
    assert_eq!(html.matches("<tr data-kind=").count(), db_markers.len());
    for name in &files[..4] {
        assert!(html.contains(&format!("<audio controls preload=\"none\" src=\"{name}\">")), "{name}");
    }
    // Every answer with its time used and limit; marked over exactly when past it.
    let attr = |tag: &str, name: &str| tag.split(&format!(" {name}=\"")).nth(1).and_then(|v| v.split('"').next()).map(str::to_string);
    let answers: Vec<&str> = html.match_indices("<div class=\"answer").map(|(i, _)| &html[i..i + html[i..].find('>').unwrap()]).collect();
    assert_eq!(answers.len(), 4, "{html}");
    assert_eq!(answers.iter().filter(|a| a.contains(" probe")).count(), 1);
    let limits: Vec<u64> = answers.iter().map(|a| attr(a, "data-limit-ms").unwrap().parse().unwrap()).collect();
    assert_eq!(limits, [2000, 2000, 2000, 1000], "the fixture's answer limits");
    // Time used counts from each answer clock's start (stored as answer_start markers, one
    // inside each question and probe); answers end at their deadline, so none is over.
    let clocks: Vec<u64> =
        db_markers.iter().filter(|m| m["kind"] == "answer_start").map(|m| m["sample_offset"].as_u64().unwrap()).collect();
    assert_eq!(clocks.len(), starts.len(), "one answer clock per question and probe: {db_markers:?}");
    for a in &answers {
        let used: u64 = attr(a, "data-used-ms").expect("measured").parse().unwrap();
        let limit: u64 = attr(a, "data-limit-ms").unwrap().parse().unwrap();
        assert_eq!(a.contains("over-limit"), used > limit + 500, "{a}");
        assert!(used <= limit + 50, "an answer is cut at its deadline: {a}");
    }
    assert_eq!(html.matches("over the limit").count(), answers.iter().filter(|a| a.contains("over-limit")).count());
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("http:") && !lower.contains("https:"), "{html}");
    println!("export: {} bytes, answers {answers:?}", r["bytes"]);
}

/// Also: with no speech engine the session runs and says why; Enter ends an answer early.
#[test]
fn a_rehearsal_killed_mid_session_is_recovered_with_its_markers_up_to_the_kill() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let speech_raw = noisy_speech(tmp.path(), "I looked at the wait events first");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    assert!(cli(&data).arg("template").arg("import").arg(fixture()).status().unwrap().success());

    // Without a speech engine the session still runs, questions shown only, and says why.
    let mut c = cli(&data);
    c.args(["rehearse", "--template", "test-short", "--json"]).env("REHEARSE_ESPEAK", tmp.path().join("no-espeak"));
    mic.apply(&mut c);
    let mut run = Rehearsal::spawn(c);
    let (_, unavailable) = run.wait_for(|v| v["type"] == "voice_unavailable", Duration::from_secs(30)).expect("told why");
    assert!(unavailable["reason"].as_str().unwrap().contains("no-espeak"), "{unavailable}");
    // Enter ends the intro answer before its 2 s limit.
    let (_, intro) = run.wait_for(|v| v["type"] == "marker" && v["kind"] == "question_start", Duration::from_secs(30)).expect("intro");
    std::thread::sleep(Duration::from_millis(800));
    run.press_enter();
    let (_, intro_end) = run.wait_for(|v| v["type"] == "marker" && v["kind"] == "question_end", Duration::from_secs(5)).expect("intro end");
    let answered = (intro_end["seconds"].as_f64().unwrap() - intro["seconds"].as_f64().unwrap()).abs();
    assert!((0.5..1.6).contains(&answered), "Enter ended the answer after {answered} s (limit 2 s)");
    run.wait_for(|v| v["type"] == "marker" && v["kind"] == "question_start" && v["question_id"] == "db.deadlock", Duration::from_secs(30))
        .expect("second segment");
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill").args(["-KILL", &run.child.id().to_string()]).status();
    let (_, events, _) = run.finish();
    mic.stop_feed();
    let before: Vec<&Value> = markers_of(&events);
    assert!(!events.iter().any(|e| e["type"] == "finished"), "killed before the end");

    let out = cli(&data).args(["recover", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sessions = report["report"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{report}");
    assert_eq!(sessions[0]["status"], "recovered");
    assert!(report["report"]["recovered"].as_array().unwrap().is_empty(), "the session WAV is not indexed as a take");

    let id = sessions[0]["session_id"].as_i64().unwrap();
    let detail = session_show(&data, id);
    assert_eq!(detail["session"]["status"], "recovered");
    let stored = detail["markers"].as_array().unwrap();
    assert!(stored.len() >= before.len());
    for (db, printed) in stored.iter().zip(&before) {
        assert_eq!((&db["kind"], &db["sample_offset"]), (&printed["kind"], &printed["sample_offset"]), "markers up to the kill are kept");
    }
    // What was open at the kill is closed at the end of the audio.
    let closing: Vec<&str> = stored[before.len()..].iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(closing, ["question_end", "segment_end", "session_end"]);
    let wav = data.join(detail["session"]["wav_path"].as_str().unwrap());
    let stats = wav_stats(&wav);
    assert!(sox_reads(&wav));
    let rate = stats.sample_rate as f64;
    let last_before = before.last().unwrap()["sample_offset"].as_f64().unwrap() / rate;
    assert!(stats.seconds >= last_before + 1.5 - 0.7, "WAV {} s, last marker at {last_before} s, killed 1.5 s later", stats.seconds);
    // Intro (finished before the kill) and the technical question (cut to the end of file).
    let takes = detail["takes"].as_array().unwrap();
    let qs: Vec<&str> = takes.iter().map(|t| t["question_id"].as_str().unwrap()).collect();
    assert_eq!(qs, ["call.intro", "db.deadlock"]);
    let last = &takes[1];
    let start = stored.iter().find(|m| m["take_id"] == last["id"]).unwrap()["sample_offset"].as_f64().unwrap() / rate;
    let take_secs = wav_stats(&data.join(last["file_path"].as_str().unwrap())).seconds;
    assert!((take_secs - (stats.seconds - start)).abs() <= 0.1, "the open question is cut to the end of the file");
    assert!(cli(&data).args(["recover", "--json"]).output().unwrap().status.success());
    assert_eq!(session_show(&data, id)["takes"].as_array().unwrap().len(), 2, "a second recovery changes nothing");
}

const TINY: &str = r#"format = 1
[template]
id = "tiny"
name = { en = "Tiny" }
[[segments]]
id = "one"
name = { en = "One" }
interviewer = "A"
length_secs = 2
answer_secs = 1
questions = { ids = ["call.intro"] }
[[segments]]
id = "two"
name = { en = "Two" }
interviewer = "B"
length_secs = 3
answer_secs = 1
probe_answer_secs = 1
follow_ups = { count = 1, when = "always" }
questions = { ids = ["db.deadlock"] }
"#;

#[test]
fn rehearsals_killed_at_any_moment_recover_to_consistent_sessions() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "Consistent reads need undo"));
    let data = tmp.path().join("data");
    let tiny = tmp.path().join("tiny.toml");
    std::fs::write(&tiny, TINY).unwrap();
    assert!(cli(&data).arg("template").arg("import").arg(&tiny).status().unwrap().success());
    // From right after the start to around the end, where the recording is stopped,
    // trimmed and the last takes cut.
    for delay_ms in [0u64, 700, 1900, 3300, 4900, 5000, 5100] {
        let mut c = cli(&data);
        c.args(["rehearse", "--template", "tiny", "--json", "--no-voice"]);
        mic.apply(&mut c);
        let mut run = Rehearsal::spawn(c);
        let (_, started) = run.wait_for(|v| v["type"] == "started", Duration::from_secs(30)).expect("started");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = Command::new("kill").args(["-KILL", &run.child.id().to_string()]).status();
        let (_, events, _) = run.finish();
        let id = started["session_id"].as_i64().unwrap();
        let printed = markers_of(&events);

        let out = cli(&data).args(["recover", "--json"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let d = session_show(&data, id);
        let status = d["session"]["status"].as_str().unwrap();
        assert!(["recovered", "finished"].contains(&status), "killed after {delay_ms} ms: {status}");
        let stored = d["markers"].as_array().unwrap();
        for (db, p) in stored.iter().zip(&printed) {
            assert_eq!((&db["kind"], &db["sample_offset"]), (&p["kind"], &p["sample_offset"]), "after {delay_ms} ms");
        }
        assert!(stored.len() >= printed.len());
        assert_eq!(stored.last().unwrap()["kind"], "session_end", "after {delay_ms} ms the session is closed");
        let wav = data.join(d["session"]["wav_path"].as_str().unwrap());
        assert!(sox_reads(&wav), "after {delay_ms} ms");
        let stats = wav_stats(&wav);
        let frames = (stats.seconds * stats.sample_rate as f64).round() as u64;
        let takes = d["takes"].as_array().unwrap();
        for start in stored.iter().filter(|m| m["kind"] == "question_start" || m["kind"] == "probe_start") {
            if start["sample_offset"].as_u64().unwrap() >= frames {
                continue; // set in the last moment before the kill; no audio reached the disk
            }
            let take =
                takes.iter().find(|t| t["id"] == start["take_id"]).unwrap_or_else(|| panic!("after {delay_ms} ms: no take for {start}"));
            let end = stored
                .iter()
                .find(|m| m["take_id"] == take["id"] && m["id"] != start["id"])
                .map(|m| m["sample_offset"].as_u64().unwrap())
                .unwrap_or(frames)
                .min(frames);
            let secs = wav_stats(&data.join(take["file_path"].as_str().unwrap())).seconds;
            let want = (end - start["sample_offset"].as_u64().unwrap()) as f64 / stats.sample_rate as f64;
            assert!((secs - want).abs() <= 0.1, "after {delay_ms} ms: take {} lasts {secs} s, its span {want} s", take["id"]);
        }
        assert_eq!(takes.len(), takes.iter().map(|t| &t["id"]).collect::<std::collections::HashSet<_>>().len());
    }
    mic.stop_feed();
    let leftovers: Vec<_> = std::fs::read_dir(data.join("sessions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| ![".wav", ".peaks"].iter().any(|ext| n.to_string_lossy().ends_with(ext)))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let all = cli(&data).args(["takes", "--json"]).output().unwrap();
    let all: Value = serde_json::from_slice(&all.stdout).unwrap();
    for t in all.as_array().unwrap() {
        assert!(sox_reads(&data.join(t["file_path"].as_str().unwrap())), "{t}");
    }
}

#[test]
fn a_microphone_unplugged_mid_rehearsal_ends_the_session_with_everything_kept() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "We rolled back the smaller transaction"));
    let data = tmp.path().join("data");
    assert!(cli(&data).arg("template").arg("import").arg(fixture()).status().unwrap().success());
    let mut c = cli(&data);
    c.args(["rehearse", "--template", "test-short", "--json", "--no-voice"]);
    mic.apply(&mut c);
    let mut run = Rehearsal::spawn(c);
    run.wait_for(|v| v["type"] == "marker" && v["kind"] == "question_start" && v["question_id"] == "db.deadlock", Duration::from_secs(30))
        .expect("second segment");
    std::thread::sleep(Duration::from_millis(1000));
    let unplugged = Instant::now();
    mic.unplug_mic();
    let (ended, _) = run.wait_for(|v| v["type"] == "finished", Duration::from_secs(10)).expect("the session ends by itself");
    let (status, events, stderr) = run.finish();
    mic.stop_feed();
    assert!(ended.duration_since(unplugged) < Duration::from_secs(2), "noticed within 2 s");
    assert!(!status.success());
    assert_eq!(stderr.lines().filter(|l| l.starts_with("rehearse-cli:")).count(), 1, "{stderr}");
    assert!(stderr.contains("mic_lost") && stderr.contains("saved as session"), "{stderr}");
    let summary = &events.iter().find(|e| e["type"] == "finished").unwrap()["summary"];
    let detail = session_show(&data, summary["session_id"].as_i64().unwrap());
    assert_eq!(detail["session"]["status"], "mic_lost");
    let kinds: Vec<&str> = detail["markers"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[kinds.len() - 3..], ["question_end", "segment_end", "session_end"], "everything open is closed");
    let takes: Vec<&str> = detail["takes"].as_array().unwrap().iter().map(|t| t["question_id"].as_str().unwrap()).collect();
    assert_eq!(takes, ["call.intro", "db.deadlock"]);
    let wav = data.join(detail["session"]["wav_path"].as_str().unwrap());
    assert!(sox_reads(&wav) && wav_stats(&wav).seconds > 6.5);
}

#[test]
fn a_broken_template_is_one_clear_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, std::fs::read_to_string(fixture()).unwrap().replace("length_secs = 7", "length_secs = -7")).unwrap();
    for args in [["template", "validate"], ["template", "import"]] {
        let out = cli(&data).args(args).arg(&bad).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("rehearse-cli: template ") && err.contains("bad.toml") && err.contains("length_secs = -7"), "{err}");
    }
    let list = cli(&data).args(["template", "list", "--json"]).output().unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&list.stdout).unwrap().as_array().unwrap().len(), 1, "only the built-in");
    let out = cli(&data).args(["rehearse", "--template", "nope"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no template with this id"));
    // Export and re-import round-trips.
    let exported = tmp.path().join("default.toml");
    assert!(cli(&data).args(["template", "export", "default"]).arg(&exported).status().unwrap().success());
    let mine = tmp.path().join("mine.toml");
    std::fs::write(&mine, std::fs::read_to_string(&exported).unwrap().replace("id = \"default\"", "id = \"mine\"")).unwrap();
    let out = cli(&data).args(["template", "import"]).arg(&mine).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

const PAUSABLE: &str = r#"format = 1
[template]
id = "pausable"
name = { en = "Pausable" }
[[segments]]
id = "one"
name = { en = "One" }
interviewer = "A"
length_secs = 9
answer_secs = 2
questions = { ids = ["call.intro"] }
[[segments]]
id = "two"
name = { en = "Two" }
interviewer = "B"
length_secs = 12
answer_secs = 2
probe_answer_secs = 2
follow_ups = { count = 1, when = "always" }
questions = { ids = ["db.deadlock"] }
"#;

/// Root mean square of `x[from..to]` (seconds of a recording at `rate`).
fn rms_between(x: &[f64], rate: u32, from: f64, to: f64) -> f64 {
    let (a, b) = (((from.max(0.0)) * rate as f64) as usize, ((to * rate as f64) as usize).min(x.len()));
    assert!(a < b, "{from}-{to} s is outside the {} s recording", x.len() as f64 / rate as f64);
    (x[a..b].iter().map(|v| v * v).sum::<f64>() / (b - a) as f64).sqrt()
}

/// Pauses while the interviewer speaks and mid-answer, each time resuming where it stopped,
/// then ends while paused; without --allow-pause a "p" is refused.
#[test]
fn a_paused_rehearsal_records_nothing_while_paused_and_its_clock_and_voice_go_on_where_they_stopped() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "I would look at the lock graph in the trace file"));
    let data = tmp.path().join("data");
    let file = tmp.path().join("pausable.toml");
    std::fs::write(&file, PAUSABLE).unwrap();
    assert!(cli(&data).arg("template").arg("import").arg(&file).status().unwrap().success());

    let monitor = tmp.path().join("monitor.wav");
    let mut speaker = mic.speaker_record_cmd(&monitor, 32).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let monitor_from = Instant::now();
    let mut c = cli(&data);
    c.args(["rehearse", "--template", "pausable", "--json", "--allow-pause"]);
    mic.apply(&mut c);
    let mut run = Rehearsal::spawn(c);
    let (started_at, started) = run.wait_for(|v| v["type"] == "started", Duration::from_secs(30)).expect("started");
    assert_eq!(started["allow_pause"], true);
    let rate = started["sample_rate"].as_f64().unwrap();
    // (wall clock at the pause, at the resume), in seconds from the monitor's start
    let mut pauses: Vec<(f64, f64)> = vec![];
    let mut pause_for = |run: &mut Rehearsal, n: usize, ms: u64| {
        run.type_line("p");
        let (paused_at, _) = run.wait_nth(n, |v| v["type"] == "paused", Duration::from_secs(5)).expect("paused");
        std::thread::sleep(Duration::from_millis(ms));
        run.type_line("p");
        let (resumed_at, _) = run.wait_nth(n, |v| v["type"] == "resumed", Duration::from_secs(5)).expect("resumed");
        pauses.push((paused_at.duration_since(monitor_from).as_secs_f64(), resumed_at.duration_since(monitor_from).as_secs_f64()));
    };
    // 1. While interviewer A asks the first question.
    run.wait_for(|v| v["type"] == "marker" && v["kind"] == "question_start", Duration::from_secs(10)).expect("first question");
    std::thread::sleep(Duration::from_millis(900));
    pause_for(&mut run, 1, 1500);
    // 2. Mid-answer to the second question.
    run.wait_for(|v| v["type"] == "prompt" && v["question_id"] == "db.deadlock", Duration::from_secs(15)).expect("second question");
    let (_, deadline) = run
        .wait_for(|v| v["type"] == "deadline" && v["what"] == "answer" && v["seconds"].as_f64().unwrap() > 9.0, Duration::from_secs(15))
        .expect("its answer clock");
    std::thread::sleep(Duration::from_millis(800));
    pause_for(&mut run, 2, 1500);
    // 3. During the probe's answer, then end the call while paused (Ctrl-C).
    run.wait_for(|v| v["type"] == "marker" && v["kind"] == "probe_start", Duration::from_secs(10)).expect("probe");
    run.wait_for(
        |v| v["type"] == "deadline" && v["what"] == "answer" && v["seconds"].as_f64().unwrap() > deadline["seconds"].as_f64().unwrap(),
        Duration::from_secs(10),
    )
    .expect("the probe's answer clock");
    std::thread::sleep(Duration::from_millis(500));
    run.type_line("p");
    run.wait_nth(3, |v| v["type"] == "paused", Duration::from_secs(5)).expect("third pause");
    std::thread::sleep(Duration::from_millis(800));
    let _ = Command::new("kill").args(["-INT", &run.child.id().to_string()]).status();
    let (finished_at, _) = run.wait_for(|v| v["type"] == "finished", Duration::from_secs(10)).expect("ended while paused");
    let (status, events, stderr) = run.finish();
    let _ = speaker.wait();
    mic.stop_feed();
    assert!(status.success(), "{stderr}");
    assert!(!events.iter().any(|e| e["type"] == "warning"), "no warnings: {events:?}");
    let summary = &events.iter().find(|e| e["type"] == "finished").unwrap()["summary"];
    assert_eq!(summary["status"], "ended");

    // The markers: each pause and its resume at the same frame; the end at the last pause.
    let detail = session_show(&data, summary["session_id"].as_i64().unwrap());
    let markers = detail["markers"].as_array().unwrap();
    let kinds: Vec<(&str, u64)> = markers.iter().map(|m| (m["kind"].as_str().unwrap(), m["sample_offset"].as_u64().unwrap())).collect();
    let of = |kind: &str| kinds.iter().filter(|k| k.0 == kind).map(|k| k.1).collect::<Vec<_>>();
    let (p, r) = (of("pause"), of("resume"));
    assert_eq!((p.len(), r.len()), (3, 2), "{kinds:?}");
    assert_eq!(p[..2], r[..], "each resume is at its pause's frame");
    let end = of("session_end")[0];
    assert_eq!(end, p[2], "ended while paused: the session ends where the pause began");
    assert_eq!(&kinds[kinds.len() - 4..], [("pause", end), ("probe_end", end), ("segment_end", end), ("session_end", end)]);
    // The first pause fell inside the first question, the second inside the second
    // question's answer, whose end came exactly at the deadline announced before the pause.
    let q_start = of("question_start");
    let q_end = of("question_end");
    assert!(q_start[0] < p[0] && p[0] < q_end[0], "{kinds:?}");
    let answer_deadline = deadline["sample_offset"].as_u64().unwrap();
    assert!(q_start[1] < p[1] && p[1] < answer_deadline, "{kinds:?}");
    assert_eq!(q_end[1], answer_deadline, "the paused answer ended at its deadline: the clock stood still during the pause");

    // The WAV lasts as long as the session (without the pauses), the wall clock as long as
    // both.
    let wav = data.join(detail["session"]["wav_path"].as_str().unwrap());
    let wav_secs = wav_stats(&wav).seconds;
    let duration = end as f64 / rate;
    assert!((wav_secs - duration).abs() <= 0.2, "WAV {wav_secs} s, session {duration} s");
    let paused: f64 = pauses.iter().map(|(a, b)| b - a).sum::<f64>() + 0.8;
    let wall = finished_at.duration_since(started_at).as_secs_f64();
    assert!(wall >= duration + paused - 0.3, "the session took {wall} s of wall clock: {duration} s recorded + {paused} s paused");
    // The takes with a pause in them are one piece: as long as their markers' span.
    let takes = detail["takes"].as_array().unwrap();
    assert_eq!(takes.len(), 3, "{takes:?}");
    for t in takes {
        let start = markers.iter().find(|m| m["take_id"] == t["id"]).unwrap()["sample_offset"].as_u64().unwrap();
        let stop = markers.iter().rev().find(|m| m["take_id"] == t["id"]).unwrap()["sample_offset"].as_u64().unwrap();
        let secs = wav_stats(&data.join(t["file_path"].as_str().unwrap())).seconds;
        assert!(
            (secs - (stop - start) as f64 / rate).abs() <= 0.05,
            "take {} lasts {secs} s, its markers span {} s",
            t["id"],
            (stop - start) as f64 / rate
        );
    }

    // Interviewer A fell silent during the first pause and went on after it: around the
    // pause (the speaker recording lags the events by some tenths of a second) the voice
    // stops for as long as the pause lasted, between speech on both sides.
    let (mon, mon_rate) = samples(&monitor);
    let (a, b) = pauses[0];
    let block = 0.05;
    let levels: Vec<f64> = (0..((b - a + 2.0) / block) as usize)
        .map(|i| a - 0.5 + i as f64 * block)
        .map(|t| rms_between(&mon, mon_rate, t, t + block))
        .collect();
    let mut runs = vec![]; // (first block, blocks) of silence with speech before and after it
    let mut i = 0;
    while i < levels.len() {
        let n = levels[i..].iter().take_while(|l| **l < 0.003).count();
        if n > 0 && i > 0 && i + n < levels.len() && levels[..i].iter().any(|l| *l > 0.02) && levels[i + n..].iter().any(|l| *l > 0.02) {
            runs.push((i, n));
        }
        i += n.max(1);
    }
    let longest = runs.iter().map(|r| r.1).max().unwrap_or(0) as f64 * block;
    println!("interviewer A, 50 ms levels around the pause: {levels:.3?}");
    assert!((longest - (b - a)).abs() <= 0.3, "A fell silent for {longest} s within speech, the pause lasted {} s", b - a);

    // Without --allow-pause, "p" is refused and changes nothing.
    let mut c = cli(&data);
    c.args(["rehearse", "--template", "pausable", "--json", "--no-voice"]);
    mic.apply(&mut c);
    let mut run = Rehearsal::spawn(c);
    let (_, started) = run.wait_for(|v| v["type"] == "started", Duration::from_secs(30)).expect("started");
    assert_eq!(started["allow_pause"], false);
    run.type_line("p");
    let (_, warning) = run.wait_for(|v| v["type"] == "warning", Duration::from_secs(5)).expect("refused");
    assert!(warning["message"].as_str().unwrap().contains("pausing is not allowed"), "{warning}");
    assert_eq!(warning["what"], "pause_not_allowed", "the warning names what it is about for the window's wording");
    let _ = Command::new("kill").args(["-INT", &run.child.id().to_string()]).status();
    let (status, events, stderr) = run.finish();
    assert!(status.success(), "{stderr}");
    assert!(!events.iter().any(|e| e["type"] == "paused" || (e["type"] == "marker" && e["kind"] == "pause")), "{events:?}");
}
