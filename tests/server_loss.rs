//! A sound server that dies mid-take, mid-call or mid-playback (the virtual microphone's
//! PulseAudio daemon killed with SIGKILL, as a crash or a restart of the user's sound server
//! does). ALSA's pulse plugin then never returns in the stream's own thread: the CLI must
//! still end by itself, keep the audio up to the loss and say what happened.
#![allow(clippy::unwrap_used)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rehearse_tests::*;

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

/// Waits up to `within` for the child to exit; a hung child is killed and the test fails.
fn exit_within(child: &mut std::process::Child, within: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running {within:?} after the sound server was killed (hung)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_all(r: Option<impl std::io::Read>) -> String {
    let mut s = String::new();
    if let Some(mut r) = r {
        let _ = r.read_to_string(&mut s);
    }
    s
}

#[test]
fn a_sound_server_killed_mid_take_ends_the_cli_take_with_the_audio_kept_and_the_user_told() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "The listener was down so nobody could connect"));
    let data = tmp.path().join("data");
    let mut c = cli(&data);
    c.args(["record", "--question", "db.deadlock", "--seconds", "30", "--json"]);
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    let started = w.wait_line("recording from", Duration::from_secs(10)).expect("recording started");
    std::thread::sleep(Duration::from_secs(3));
    let before = started.elapsed().as_secs_f64();
    let killed = Instant::now();
    mic.kill_server();
    let told = w.wait_line("microphone lost", Duration::from_secs(8));
    let status = exit_within(&mut w.child, Duration::from_secs(8), "rehearse-cli record");
    let took = killed.elapsed();
    let stdout = read_all(w.child.stdout.take());
    let (_, stderr) = w.finish();
    println!("{stderr}\nexited {took:?} after the kill: {status}");
    assert!(told.is_some(), "the user is told the microphone was lost: {stderr}");
    assert!(stderr.contains("saved"), "and how much was saved: {stderr}");
    assert!(!status.success(), "an early stop is an error exit");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("rehearse-cli:")).count(), 1, "one error line: {stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["take"]["stop_reason"], "mic_lost");
    let path = PathBuf::from(v["path"].as_str().unwrap());
    let st = wav_stats(&path);
    println!("kept {:.2} s of the {before:.2} s recorded before the kill", st.seconds);
    assert!(st.seconds >= before - 0.5, "kept {:.2} s of {before:.2} s", st.seconds);
    assert!(st.rms > 0.02, "the kept audio is the speech: rms {}", st.rms);
    assert!(sox_reads(&path));
    let rows = db_takes(&data);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(data.join(&rows[0].3), path);
    let leftovers: Vec<_> = std::fs::read_dir(data.join("takes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".partial") || n.ends_with(".damaged"))
        .collect();
    assert!(leftovers.is_empty(), "the take was closed, not left for recovery: {leftovers:?}");
}

#[test]
fn a_sound_server_killed_mid_playback_ends_play_with_one_clear_line() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "Check the wait events first"));
    let data = tmp.path().join("data");
    let mut c = cli(&data);
    c.args(["record", "--question", "db.slow-database", "--seconds", "8", "--json"]);
    mic.apply(&mut c);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    mic.stop_feed();
    let take = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["take"]["id"].as_i64().unwrap();

    let mut c = cli(&data);
    c.args(["play", &take.to_string()]);
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    w.wait_line("playing take", Duration::from_secs(10)).expect("playback started");
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Instant::now();
    mic.kill_server();
    let status = exit_within(&mut w.child, Duration::from_secs(10), "rehearse-cli play");
    let took = killed.elapsed();
    let (_, stderr) = w.finish();
    println!("{stderr}\nexited {took:?} after the kill: {status}");
    assert!(!status.success(), "a playback cut short is an error exit");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let ours: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rehearse-cli:")).collect();
    assert_eq!(ours.len(), 1, "one error line: {stderr}");
    assert!(ours[0].contains("audio output"), "the line names the output: {}", ours[0]);
    // The take itself is untouched.
    assert_eq!(db_takes(&data).len(), 1);
}

#[test]
fn a_sound_server_killed_mid_call_ends_the_rehearsal_with_everything_kept() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "We rolled back the smaller transaction"));
    let data = tmp.path().join("data");
    assert!(cli(&data).arg("template").arg("import").arg(rehearsal_fixture()).status().unwrap().success());
    let mut c = cli(&data);
    c.args(["rehearse", "--template", "test-short", "--json", "--no-voice"]);
    mic.apply(&mut c);
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<serde_json::Value>(&l).unwrap());
        }
    });
    let mut events = vec![];
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(v) = lines.recv_timeout(Duration::from_millis(200)) else { continue };
        let second = v["type"] == "marker" && v["kind"] == "question_start" && v["question_id"] == "db.deadlock";
        events.push(v);
        if second {
            break;
        }
    }
    assert!(events.iter().any(|v| v["question_id"] == "db.deadlock"), "the second segment began: {events:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Instant::now();
    mic.kill_server();
    let status = exit_within(&mut child, Duration::from_secs(10), "rehearse-cli rehearse");
    let took = killed.elapsed();
    events.extend(lines.try_iter());
    let stderr = read_all(child.stderr.take());
    println!("{stderr}\nexited {took:?} after the kill: {status}");
    assert!(!status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("rehearse-cli:")).count(), 1, "{stderr}");
    assert!(stderr.contains("mic_lost"), "{stderr}");
    let summary = &events.iter().find(|e| e["type"] == "finished").expect("a finished event")["summary"];
    assert_eq!(summary["status"], "mic_lost");
    let out = cli(&data).args(["session", "show", &summary["session_id"].to_string(), "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let detail: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let takes: Vec<&str> = detail["takes"].as_array().unwrap().iter().map(|t| t["question_id"].as_str().unwrap()).collect();
    assert_eq!(takes, ["call.intro", "db.deadlock"], "the take cut short is kept too");
    let wav = data.join(detail["session"]["wav_path"].as_str().unwrap());
    assert!(sox_reads(&wav) && wav_stats(&wav).seconds > 6.5, "the session audio up to the loss is kept");
}
