//! End to end in the real window: a recording refused while an import of everything runs
//! into the same data folder (here from rehearse-cli, a process of its own), with the
//! refusal shown in the window and nothing recorded.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rehearse_tests::big_library::long_takes_archive;
use rehearse_tests::window::*;
use rehearse_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_in_the_window_is_refused_while_an_import_of_everything_runs_and_says_why() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "The replica fell behind while the batch job held its locks.");
    mic.feed_loop(&speech_raw);
    // 12 takes of 60 s: an import of seconds.
    let archive = long_takes_archive(tmp.path(), 12, 60);
    let data = tmp.path().join("data");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    let (_driver, c) = launch(&env).await;
    click(&c, ".question-item[data-id='db.ora-01555']").await;
    wait_for(&c, "the question to show", 5, "return document.getElementById('question-text').textContent.includes('ORA-01555')").await;

    let mut import = Command::new(bin("rehearse-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args(["import", "--all"])
        .arg(&archive)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_dir(&data).unwrap().filter_map(|e| e.ok()).any(|e| e.file_name().to_string_lossy().starts_with(".import-")) {
        assert!(Instant::now() < deadline, "the import did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    press_space(&c).await; // Space would start recording
    wait_for(&c, "the refusal", 10, "return !document.getElementById('error-banner').hidden").await;
    assert!(import.try_wait().unwrap().is_none(), "the import still ran when the window refused");
    let text = js(&c, "return document.getElementById('error-text').textContent").await;
    assert!(text.as_str().unwrap().contains("An import or export of everything is running"), "{text}");
    assert_eq!(js(&c, "return document.getElementById('rec-state').dataset.state").await, "idle");
    screenshot(&c, "e2e-record-refused-during-import.png").await;

    let out = import.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(db_takes(&data).len(), 12, "the archive's takes, no take of the refused recording");
    let files = std::fs::read_dir(data.join("takes")).unwrap().count();
    assert_eq!(files, 24, "each imported take's WAV and sidecar, nothing else");
}

/// Before the one activity state, the recorder checked only for a running practice session:
/// Space during a mic check opened the microphone a second time beside the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_started_during_a_mic_check_is_refused_with_a_clear_message_in_english_and_korean() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Testing one two three");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    let (_driver, c) = launch(&env).await;
    click(&c, ".question-item[data-id='db.ora-01555']").await;
    wait_for(&c, "the question to show", 5, "return document.getElementById('question-text').textContent.includes('ORA-01555')").await;

    for (lang, expected, shot) in [
        ("en", "A mic check is running", "e2e-record-refused-during-mic-check.png"),
        ("ko", "마이크 점검이 진행 중입니다", "e2e-record-refused-during-mic-check-ko.png"),
    ] {
        if lang == "ko" {
            press(&c, 'l').await;
        }
        press(&c, 'm').await;
        wait_for(&c, "the mic check panel", 5, "return !document.getElementById('mic-panel').hidden").await;
        click(&c, "#mic-test-btn").await;
        wait_for(&c, "the check to record", 5, "return document.getElementById('mic-status').dataset.phase === 'recording'").await;
        press(&c, ESCAPE).await; // the panel closes; the check goes on
        wait_for(&c, "the panel to close", 5, "return document.getElementById('mic-panel').hidden").await;
        press_space(&c).await; // would start a recording
        wait_for(&c, "the refusal", 10, "return !document.getElementById('error-banner').hidden").await;
        let text = js(&c, "return document.getElementById('error-text').textContent").await;
        assert!(text.as_str().unwrap().contains(expected), "{lang}: {text}");
        assert!(!text.as_str().unwrap().contains("microphone could be opened"), "not worded as a microphone failure: {text}");
        assert_eq!(js(&c, "return document.getElementById('rec-state').dataset.state").await, "idle");
        screenshot(&c, shot).await;
        wait_for(&c, "the check to finish", 20, "return document.getElementById('mic-status').dataset.phase === 'done'").await;
        press(&c, ESCAPE).await; // clears the banner
    }
    assert!(db_takes(&data).is_empty(), "the refused recordings left no take");

    // Once the check is over, the same Space records.
    press_space(&c).await;
    wait_for(&c, "recording", 10, "return document.getElementById('rec-state').dataset.state === 'recording'").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    press_space(&c).await;
    wait_for(&c, "the take to be saved", 10, "return document.getElementById('rec-state').dataset.state === 'idle'").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while db_takes(&data).is_empty() {
        assert!(Instant::now() < deadline, "the take after the check was not saved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(db_takes(&data).len(), 1);
}
