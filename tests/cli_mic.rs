//! rehearse-cli against a real (virtual) microphone and speaker through cpal.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use rehearse_tests::*;

fn cli(data: &std::path::Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

fn record_json(mic: &VirtualMic, data: &std::path::Path, question: &str, secs: &str) -> serde_json::Value {
    let mut c = cli(data);
    c.args(["record", "--question", question, "--seconds", secs, "--json"]);
    mic.apply(&mut c);
    let out = c.output().unwrap();
    assert!(out.status.success(), "record failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn record_captures_three_seconds_of_speech_into_an_indexed_wav() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Snapshot too old happens when undo is overwritten");
    let data = tmp.path().join("data");

    mic.feed_loop(&speech_raw);
    let v = record_json(&mic, &data, "db.ora-01555", "3");
    mic.stop_feed();

    let path = std::path::PathBuf::from(v["path"].as_str().unwrap());
    let st = wav_stats(&path);
    println!("recorded {:.3} s, rms {:.4}, {} Hz x{}", st.seconds, st.rms, st.sample_rate, st.channels);
    assert!((st.seconds - 3.0).abs() <= 0.1, "length {}", st.seconds);
    assert!(st.rms > 0.03, "recording is (nearly) silent: rms {}", st.rms);
    assert_eq!((st.channels, v["take"]["duration_ms"].as_i64().unwrap()), (1, (st.seconds * 1000.0).round() as i64));

    let rows = db_takes(&data);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "db.ora-01555");
    assert_eq!(data.join(&rows[0].3), path);
    assert!(rows[0].3.starts_with("takes/") && !path.with_extension("wav.partial").exists());
}

#[test]
fn record_keeps_the_envelope_of_the_spoken_answer() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, speech48) = speech(tmp.path(), "A deadlock is a cycle of transactions waiting for each other");
    let data = tmp.path().join("data");

    let mut c = cli(&data);
    c.args(["record", "--question", "db.deadlock", "--seconds", "6", "--json"]);
    mic.apply(&mut c);
    let child = c.stdout(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    mic.feed_wait(&speech_raw);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = std::path::PathBuf::from(v["path"].as_str().unwrap());
    let (ok, report) = wavcompare(&speech48, &rec, 0.9);
    println!("{report}");
    assert!(ok, "recording does not match the spoken input: {report}");
}

#[test]
fn playing_a_take_sends_the_same_sound_to_the_speaker() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "I would check the alert log and recent changes first");
    let data = tmp.path().join("data");
    mic.feed_loop(&speech_raw);
    let v = record_json(&mic, &data, "db.outage-first-checks", "3");
    mic.stop_feed();
    let take_path = std::path::PathBuf::from(v["path"].as_str().unwrap());
    let take_id = v["take"]["id"].as_i64().unwrap().to_string();

    let heard = tmp.path().join("speaker.wav");
    let mut rec = mic.speaker_record_cmd(&heard, 5).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut play = cli(&data);
    play.args(["play", &take_id]);
    mic.apply(&mut play);
    let out = play.output().unwrap();
    assert!(out.status.success(), "play failed: {}", String::from_utf8_lossy(&out.stderr));
    rec.wait().unwrap();
    let (ok, report) = wavcompare(&take_path, &heard, 0.9);
    println!("{report}");
    assert!(ok, "speaker output does not match the take: {report}");
}

fn assert_one_clear_error_line(out: &std::process::Output, must_contain: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "panic: {stderr}");
    let ours: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rehearse-cli: ")).collect();
    assert_eq!(ours.len(), 1, "expected exactly one error line from rehearse-cli: {stderr}");
    assert!(ours[0].contains(must_contain), "error line {:?} should mention {must_contain:?}", ours[0]);
}

#[test]
fn recording_without_a_microphone_fails_with_one_clear_line_and_saves_nothing() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut c = cli(&data);
    c.args(["record", "--question", "db.mvcc-mechanisms", "--seconds", "2"]);
    for (k, v) in no_microphone_env(tmp.path()) {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert_one_clear_error_line(&out, "microphone");
    assert!(db_takes(&data).is_empty());
    assert_eq!(std::fs::read_dir(data.join("takes")).unwrap().count(), 0, "no files are left behind");
}

#[test]
fn an_unknown_question_and_an_unwritable_data_folder_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cli(&tmp.path().join("d")).args(["record", "--question", "no.such-question"]).output().unwrap();
    assert_one_clear_error_line(&out, "no question with id \"no.such-question\"");

    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = cli(&file.join("data")).args(["takes"]).output().unwrap();
    assert_one_clear_error_line(&out, "data folder");
}

#[test]
fn questions_lists_the_seed_interview_in_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cli(tmp.path()).args(["questions", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    for id in ["db.isolation-levels", "db.ora-01555", "db.mvcc-mechanisms", "lp.unhappy-customer", "lp.drove-success"] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let q = v.as_array().unwrap().iter().find(|q| q["id"] == "db.ora-01555").unwrap();
    assert!(q["text"]["ko"].as_str().unwrap().chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "Korean text");
}
