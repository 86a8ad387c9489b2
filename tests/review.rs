//! Reviewing takes from the CLI: ratings schedule re-practice (FSRS), Again makes a
//! question due at once, three Agains flag a leech; speech metrics on espeak-ng speech.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use rehearse_tests::*;

fn cli(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

#[test]
fn ratings_schedule_the_question_and_three_agains_flag_a_leech() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let mut ids = vec![];
    for _ in 0..4 {
        let mut c = Command::new(bin("rehearse-cli"));
        c.arg("--data-dir").arg(&data).args(["record", "--question", "lp.unhappy-customer", "--seconds", "0.6", "--json"]);
        mic.apply(&mut c);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(v["take"]["id"].as_i64().unwrap().to_string());
    }
    let out = cli(&data, &["rate", &ids[0], "--rating", "good", "--note", "STAR ok, no number in the result"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&cli(&data, &["due"]).stdout).contains("nothing is due"));
    for id in &ids[1..] {
        assert!(cli(&data, &["rate", id, "--rating", "again"]).status.success());
    }
    let due: serde_json::Value = serde_json::from_slice(&cli(&data, &["due", "--json"]).stdout).unwrap();
    let due = due.as_array().unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0]["question_id"], "lp.unhappy-customer");
    assert_eq!((due[0]["reviews"].as_i64(), due[0]["agains"].as_i64(), due[0]["leech"].as_bool()), (Some(4), Some(3), Some(true)));
    let takes: serde_json::Value = serde_json::from_slice(&cli(&data, &["takes", "--json"]).stdout).unwrap();
    let first =
        takes.as_array().unwrap().iter().find(|t| t["id"].as_i64().map(|v| v.to_string()).as_deref() == Some(ids[0].as_str())).unwrap();
    assert_eq!((first["rating"].as_i64(), first["notes"].as_str()), (Some(3), Some("STAR ok, no number in the result")));
    // A bad rating is one clear error and changes nothing.
    let out = cli(&data, &["rate", &ids[0], "--rating", "superb"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("superb"));
    let out = cli(&data, &["rate", "9999", "--rating", "good"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no take with id 9999"));
}

#[test]
fn speech_metrics_find_the_first_word_and_the_long_pause_in_espeak_speech() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = speech(tmp.path(), "Isolation levels");
    let b = tmp.path().join("b.wav");
    assert!(Command::new("espeak-ng").arg("-w").arg(&b).arg("Read committed").status().unwrap().success());
    // 0.8 s of silence, phrase A, 2.6 s of silence, phrase B, at 48 kHz mono.
    let out = tmp.path().join("answer.wav");
    let a48 = tmp.path().join("a48.wav");
    let b48 = tmp.path().join("b48.wav");
    assert!(Command::new("sox")
        .arg(&a)
        .arg(&a48)
        .args(["rate", "48000", "channels", "1", "pad", "0.8", "2.6"])
        .status()
        .unwrap()
        .success());
    assert!(Command::new("sox").arg(&b).arg(&b48).args(["rate", "48000", "channels", "1"]).status().unwrap().success());
    assert!(Command::new("sox").arg(&a48).arg(&b48).arg(&out).status().unwrap().success());

    let m = rehearse_core::analysis::wav_metrics(&out).unwrap();
    println!("{m:?}");
    // espeak-ng starts each phrase with a few ms of its own silence.
    let ttfw = m.time_to_first_word_ms.expect("speech found");
    assert!((750..=900).contains(&ttfw), "first word at {ttfw} ms (0.8 s of padding)");
    assert_eq!(m.long_pauses.len(), 1, "{m:?}");
    assert!((2500..=3000).contains(&m.long_pauses[0]), "pause {} ms (2.6 s of padding plus espeak's own)", m.long_pauses[0]);
    assert!(m.speaking_ms > 1000 && m.silence_ms > 3000, "{m:?}");
}
