//! Transcription end to end through the real CLI: espeak-ng speech through the virtual
//! microphone into a take, the Whisper model set-up installs, the library's database.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rehearse_speech::score::word_error_rate;
use rehearse_tests::*;

const SAID: &str =
    "Two transactions are waiting for each other in a cycle. I will read a trace file and change the order of their updates.";

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A one-line error naming `needle`, and a non-zero exit.
fn refused(out: &Output, needle: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "succeeded: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err}");
    err
}

/// Records `SAID` spoken by espeak-ng (its American voice at 140 words a minute with a
/// short gap between words: `clear_speech`) through the virtual microphone as a take of
/// db.deadlock; returns its id.
fn spoken_take(tmp: &Path, data: &Path) -> i64 {
    let raw = clear_speech(tmp, SAID);
    record_through_mic(tmp, data, &raw, "db.deadlock")
}

/// Plays `raw` into the virtual microphone while rehearse-cli records a take of `question`.
fn record_through_mic(tmp: &Path, data: &Path, raw: &Path, question: &str) -> i64 {
    let _s = serial();
    let mic = VirtualMic::start(&tmp.join("vmic"));
    let secs = wav_stats(raw).seconds + 1.5;
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data).args(["record", "--question", question, "--seconds", &format!("{secs:.1}"), "--json"]);
    mic.apply(&mut c);
    // Fed after a moment of silence from the capture's first samples on: a clip fed before
    // the capture starts loses its first word (its opening "Um" was once cut to nothing, and
    // the take began mid-speech).
    let v = Watched::record_fed(c, std::time::Duration::from_millis(300), || mic.feed_wait(raw));
    v["take"]["id"].as_i64().unwrap()
}

fn transcript_json(data: &Path, id: i64) -> serde_json::Value {
    serde_json::from_str(&ok(cli(data, &["transcript", &id.to_string(), "--json"]))).unwrap()
}

fn model_file() -> PathBuf {
    let p = rehearse_speech::default_model_path().unwrap();
    assert!(p.is_file(), "no model at {}: run scripts/setup.sh", p.display());
    p
}

#[test]
// The spoken text avoids words espeak-ng's voice says unlike a person: with "deadlock"
// (always heard as "bedlock") and "the" before a consonant (often heard as "a") the same
// test measured 9-23 % WER and was ignored; this text was heard word for word in 3 of 3
// runs on a quiet machine.
fn a_spoken_answer_is_transcribed_within_20_percent_wer_with_timed_words_and_found_by_what_was_said() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let id = spoken_take(tmp.path(), &data);
    let out = ok(cli(&data, &["transcribe", &id.to_string(), "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["status"].as_str(), v["transcript"]["language"].as_str()), (Some("done"), Some("en")));
    let t = transcript_json(&data, id);
    let text = t["text"].as_str().unwrap();
    let wer = word_error_rate(SAID, text);
    println!("heard: {text}\nWER {:.1} %", wer * 100.0);
    assert!(wer <= 0.20, "WER {wer:.3}: {text}");
    assert_eq!(t["model"]["name"], "whisper-base");
    assert_eq!(t["state"]["state"], "current");
    let segs = t["segments"].as_array().unwrap();
    let words: Vec<&serde_json::Value> = segs.iter().flat_map(|s| s["words"].as_array().unwrap()).collect();
    assert!(words.len() >= 15, "timed words: {t}");
    let dur = t["segments"].as_array().unwrap().last().unwrap()["end_ms"].as_u64().unwrap();
    assert!(words.windows(2).all(|w| w[0]["start_ms"].as_u64() <= w[1]["start_ms"].as_u64()), "words in time order");
    assert!(dur > 4_000 && dur < 15_000, "{dur}");
    // The text form and the library search by what was said.
    let plain = ok(cli(&data, &["transcript", &id.to_string()]));
    let said_lines: String = plain.lines().filter(|l| l.starts_with('[')).collect::<Vec<_>>().join(" ").to_lowercase();
    assert!(plain.contains("whisper-base") && said_lines.contains("each other"), "{plain}");
    assert!(
        plain.contains("key points heard (suggestions to confirm)") && plain.contains("pace: "),
        "the figures follow the text: {plain}"
    );
    let found: serde_json::Value = serde_json::from_str(&ok(cli(&data, &["library", "--said", "each other", "--json"]))).unwrap();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["rows"][0]["take"]["id"], id);
    let none: serde_json::Value = serde_json::from_str(&ok(cli(&data, &["library", "--said", "snapshot too old", "--json"]))).unwrap();
    assert_eq!(none["total"], 0);
    // Nothing is pending now; a take whose WAV changed shows as outdated and is done again on request.
    assert!(ok(cli(&data, &["transcribe", "--pending"])).contains("transcribed 0 take(s)"));
    let take: serde_json::Value = serde_json::from_str(&ok(cli(&data, &["takes", "--json"]))).unwrap();
    let wav = data.join(take[0]["file_path"].as_str().unwrap());
    let mut bytes = std::fs::read(&wav).unwrap();
    let n = bytes.len();
    // Samples in the middle of the speech changed (the end may be digital silence already).
    bytes[n / 2..n / 2 + 2000].fill(0x55);
    std::fs::write(&wav, bytes).unwrap();
    assert_eq!(transcript_json(&data, id)["state"]["state"], "outdated");
    ok(cli(&data, &["transcribe", &id.to_string()]));
    assert_eq!(transcript_json(&data, id)["state"]["state"], "current");
}

#[test]
fn a_transcription_killed_midway_keeps_nothing_and_the_take_is_done_at_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let id = spoken_take(tmp.path(), &data);
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(&data).args(["transcribe", "--pending"]);
    let mut w = Watched::spawn(c);
    assert!(w.wait_line("transcribing 1 of 1", std::time::Duration::from_secs(60)).is_some(), "progress line");
    w.signal("KILL");
    let (status, _) = w.finish();
    assert!(!status.success());
    let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let rows: i64 = c.query_row("SELECT count(*) FROM transcripts", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 0, "nothing kept of an interrupted transcription");
    assert_eq!(db_integrity(&data), "ok");
    let out = cli(&data, &["transcribe", "--pending"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("transcribing 1 of 1 (take"), "{err}");
    assert!(ok(out).contains("transcribed 1 take(s)"));
    // Transcribed again from the take (its accuracy is the test above's: WER <= 20 %).
    let text = transcript_json(&data, id)["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("transaction") && text.contains("waiting for each other"), "transcribed again: {text}");
}

#[test]
fn a_missing_truncated_or_wrong_model_turns_transcription_off_with_one_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let id = spoken_take(tmp.path(), &data).to_string();
    let before = db_takes(&data);
    let missing = tmp.path().join("nowhere/ggml-base.bin");
    let e = refused(&cli(&data, &["transcribe", &id, "--model", missing.to_str().unwrap()]), "transcription is off");
    assert!(e.contains("no speech model at") && e.contains("nowhere"), "{e}");
    // Truncated: the first 4 MB of the real model, beside the real VAD model.
    let dir = tmp.path().join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let real = model_file();
    let vad = real.with_file_name(rehearse_speech::VAD_FILE);
    std::fs::copy(&vad, dir.join(rehearse_speech::VAD_FILE)).unwrap();
    let bytes = std::fs::read(&real).unwrap();
    std::fs::write(dir.join("ggml-base.bin"), &bytes[..4 << 20]).unwrap();
    let e = refused(&cli(&data, &["transcribe", "--pending", "--model", dir.join("ggml-base.bin").to_str().unwrap()]), "damaged");
    assert!(e.contains("transcription is off"), "{e}");
    // Not a model at all.
    std::fs::write(dir.join("ggml-other.bin"), b"not a whisper model, just text".repeat(1000)).unwrap();
    refused(&cli(&data, &["transcribe", &id, "--model", dir.join("ggml-other.bin").to_str().unwrap()]), "damaged");
    // The setting names a model too (the same checks).
    refused(&cli(&data, &["transcribe", "--language", "fr", &id]), "--language \"fr\" is not en or ko");
    refused(&cli(&data, &["transcript", &id]), "has not been transcribed yet");
    refused(&cli(&data, &["transcribe", "999"]), "no take with id 999");
    // Nothing changed, and everything else works.
    assert_eq!(db_takes(&data), before);
    let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let rows: i64 = c.query_row("SELECT count(*) FROM transcripts", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 0);
    ok(cli(&data, &["metrics", &id]));
    ok(cli(&data, &["library", "--said", "deadlock"]));
    ok(cli(&data, &["rate", &id, "--rating", "good"]));
}

#[test]
fn an_answer_corrected_to_korean_is_transcribed_in_korean() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let id = spoken_take(tmp.path(), &data).to_string();
    let v: serde_json::Value = serde_json::from_str(&ok(cli(&data, &["transcribe", &id, "--language", "ko", "--json"]))).unwrap();
    assert_eq!(v["transcript"]["language"], "ko");
    let takes: serde_json::Value = serde_json::from_str(&ok(cli(&data, &["takes", "--json"]))).unwrap();
    assert_eq!(takes[0]["language"], "ko", "stored with the take");
}

/// Sentences spoken one by one (espeak-ng, clear voice), their silences trimmed, joined
/// with 0.4 s of silence: returns the clip and where each sentence starts in it (ms).
fn sentences(tmp: &Path, said: &[&str]) -> (PathBuf, Vec<u64>) {
    let sil = tmp.join("gap.wav");
    let sox = |args: &[&std::ffi::OsStr]| assert!(Command::new("sox").args(args).status().unwrap().success(), "sox {args:?}");
    let mut parts = vec![];
    let mut starts = vec![];
    let mut at = 0.0_f64;
    for (i, text) in said.iter().enumerate() {
        let dir = tmp.join(format!("s{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = clear_speech(&dir, text);
        let trimmed = dir.join("trimmed.wav");
        sox(&[
            raw.as_os_str(),
            trimmed.as_os_str(),
            "silence".as_ref(),
            "1".as_ref(),
            "0.01".as_ref(),
            "0.5%".as_ref(),
            "reverse".as_ref(),
            "silence".as_ref(),
            "1".as_ref(),
            "0.01".as_ref(),
            "0.5%".as_ref(),
            "reverse".as_ref(),
        ]);
        if i == 0 {
            let rate = wav_stats(&trimmed).sample_rate.to_string();
            sox(&[
                "-n".as_ref(),
                "-r".as_ref(),
                rate.as_ref(),
                "-c".as_ref(),
                "1".as_ref(),
                "-b".as_ref(),
                "16".as_ref(),
                sil.as_os_str(),
                "trim".as_ref(),
                "0".as_ref(),
                "0.4".as_ref(),
            ]);
        } else {
            parts.push(sil.clone());
            at += 0.4;
        }
        starts.push((at * 1000.0).round() as u64);
        at += wav_stats(&trimmed).seconds;
        parts.push(trimmed);
    }
    let out = tmp.join("sentences.wav");
    let mut args: Vec<&std::ffi::OsStr> = parts.iter().map(|p| p.as_os_str()).collect();
    args.push(out.as_os_str());
    sox(&args);
    (out, starts)
}

#[test]
fn spoken_fillers_and_key_point_terms_are_counted_and_heard_within_half_a_second_of_when_they_were_said() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (clip, starts) = sentences(
        tmp.path(),
        &[
            "Um, so the nightly report failed.",
            "Uh, I checked it first.",
            "The alert log named the long query.",
            "Uh, I raised it to three hours.",
        ],
    );
    let id = record_through_mic(tmp.path(), &data, &clip, "db.ora-01555");
    // Where the clip starts in the take: its first word, as the speech metrics measure it.
    let m: serde_json::Value = serde_json::from_str(&ok(cli(&data, &["metrics", &id.to_string(), "--json"]))).unwrap();
    let offset = m["time_to_first_word_ms"].as_u64().expect("speech found");
    let said_at: Vec<i64> = starts.iter().map(|s| (offset + s) as i64).collect();
    ok(cli(&data, &["transcribe", &id.to_string()]));
    let t = transcript_json(&data, id);
    let a = &t["analysis"];
    println!("heard: {}\nclip starts {starts:?} at {offset} ms\nfillers {}\nkey points {}", t["text"], a["fillers"], a["key_points"]);
    let near = |got: i64, want: i64, what: &str| assert!((got - want).abs() <= 500, "{what} at {got} ms, said at {want} ms ({t})");
    let fillers = a["fillers"]["occurrences"].as_array().unwrap();
    let at_of =
        |form: &str| -> Vec<i64> { fillers.iter().filter(|f| f["form"] == form).map(|f| f["start_ms"].as_i64().unwrap()).collect() };
    // Every filler said is counted where it was said. (Whisper base, pushed toward verbatim
    // text by its prompt, sometimes writes an extra "uh" where espeak-ng's speech is unclear:
    // those are counted too, so the total is at least the three said.)
    let found_near = |form: &str, want: i64| at_of(form).into_iter().min_by_key(|at| (at - want).abs());
    for (form, sentence) in [("um", 0), ("uh", 1), ("uh", 3)] {
        let at = found_near(form, said_at[sentence]).unwrap_or_else(|| panic!("no \"{form}\": {fillers:?} in {}", t["text"]));
        near(at, said_at[sentence], form);
    }
    assert!(a["fillers"]["total"].as_u64().unwrap() >= 3, "{}", a["fillers"]);
    let kp = |i: usize| &a["key_points"][i];
    // (espeak-ng's "undo" is heard as "new" by Whisper base: the terms spoken are ones it hears.)
    assert_eq!(kp(5)["heard"], true, "alert log: {}", a["key_points"]);
    let alert = kp(5)["first_at_ms"].as_i64().unwrap();
    near(alert, said_at[2], "the alert log");
    assert_eq!(a["first_key_point_ms"].as_i64(), Some(alert), "the first key point is the alert log");
    assert!(a["pronouns"]["i"].as_u64().unwrap() >= 2 && a["pronouns"]["we"] == 0, "I checked, I raised: {}", a["pronouns"]);
    assert_eq!(a["pace"]["unit"], "words_per_minute");
    assert!(a["pace"]["per_minute"].as_f64().unwrap() > 60.0, "{}", a["pace"]);
    // The text form says the same.
    let plain = ok(cli(&data, &["transcript", &id.to_string()]));
    assert!(plain.contains("fillers: ") && plain.contains("  at 0:0") && plain.contains("heard at"), "{plain}");
    assert!(plain.contains("wpm (target 120-160 wpm"), "{plain}");
}
