//! Nothing is lost: the CLI recorder killed with SIGKILL at random moments, damaged files
//! in the takes folder, a microphone unplugged mid-take. Real virtual microphone, real files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rehearse_tests::*;

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

fn takes_json(data: &Path) -> Vec<serde_json::Value> {
    let out = cli(data).args(["takes", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

/// Deterministic "random" delays: a small LCG, so a failure can be replayed.
fn lcg(seed: &mut u64) -> f64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (*seed >> 33) as f64 / (1u64 << 31) as f64
}

#[derive(Debug)]
struct Run {
    elapsed: f64,
    how: &'static str,
}

#[test]
fn killing_the_cli_recorder_at_random_moments_loses_at_most_the_last_flush() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    // A short phrase, so that most takes hold a whole repetition to compare with.
    let (speech_raw, speech48) = speech(tmp.path(), "Undo was overwritten");
    let ref_secs = wav_stats(&speech48).seconds;
    let data = tmp.path().join("data");
    // Kills right after the first samples may land before any sample reached the disk: such
    // a recording is not a take (it is removed at the next start), so they get a folder of
    // their own, where every take kept must hold audio.
    let early = tmp.path().join("early");
    mic.feed_loop(&speech_raw);

    let mut seed = 0x5eed_u64;
    let mut runs = vec![];
    for i in 0..20 {
        let mut c = cli(if i % 5 == 0 { &early } else { &data });
        c.args(["record", "--question", "db.ora-01555"]);
        mic.apply(&mut c);
        let mut w = Watched::spawn(c);
        let started = w.wait_line("recording from", Duration::from_secs(10)).expect("recording started");
        let run = match i % 5 {
            // right after the first samples arrived
            0 => {
                w.signal("KILL");
                Run { elapsed: started.elapsed().as_secs_f64(), how: "right after start" }
            }
            // during stop: Ctrl-C starts finalizing, SIGKILL lands somewhere in it
            1 => {
                std::thread::sleep(Duration::from_secs_f64(0.5 + 2.0 * lcg(&mut seed)));
                w.signal("INT");
                let elapsed = started.elapsed().as_secs_f64();
                std::thread::sleep(Duration::from_millis((lcg(&mut seed) * 40.0) as u64));
                w.signal("KILL");
                Run { elapsed, how: "during stop" }
            }
            _ => {
                // Up to 7 s, so that several takes hold a whole utterance to compare with.
                std::thread::sleep(Duration::from_secs_f64(0.2 + 7.0 * lcg(&mut seed)));
                w.signal("KILL");
                Run { elapsed: started.elapsed().as_secs_f64(), how: "mid-take" }
            }
        };
        w.finish();
        if i % 5 != 0 {
            runs.push(run);
        }
    }
    mic.stop_feed();
    assert!(cli(&early).args(["recover"]).output().unwrap().status.success());
    for t in takes_json(&early) {
        assert!(t["duration_ms"].as_i64().unwrap() > 0, "a take with no audio was kept: {t}");
    }
    assert!(leftovers(&early).iter().all(|n| !n.contains(".partial") && !n.contains(".damaged")), "{:?}", leftovers(&early));

    let out = cli(&data).args(["recover"]).output().unwrap();
    assert!(out.status.success(), "recover failed: {}", String::from_utf8_lossy(&out.stderr));
    println!("recover: {}", String::from_utf8_lossy(&out.stdout));

    let mut takes = takes_json(&data);
    takes.sort_by_key(|t| t["started_at"].as_str().unwrap().to_string());
    assert_eq!(takes.len(), runs.len(), "every killed recording is listed exactly once");
    let leftovers: Vec<_> = std::fs::read_dir(data.join("takes"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| ![".wav", ".json", ".peaks"].iter().any(|ext| e.file_name().to_string_lossy().ends_with(ext)))
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "no partial or damaged files remain: {leftovers:?}");
    let mut worst_loss = 0.0f64;
    let mut compared = 0;
    for (run, take) in runs.iter().zip(&takes) {
        let path = data.join(take["file_path"].as_str().unwrap());
        let st = wav_stats(&path); // hound reads every sample
        assert!(sox_reads(&path), "sox cannot read {}", path.display());
        let secs = take["duration_ms"].as_f64().unwrap() / 1000.0;
        assert!((secs - st.seconds).abs() < 0.01, "row says {secs} s, file holds {} s", st.seconds);
        let lost = run.elapsed - st.seconds;
        worst_loss = worst_loss.max(lost);
        println!("{:<18} elapsed {:.2} s, kept {:.2} s, lost {:.2} s, status {}", run.how, run.elapsed, st.seconds, lost, take["status"]);
        assert!(st.seconds >= run.elapsed - 0.7, "{run:?}: only {:.2} s kept", st.seconds);
        if st.seconds > 0.5 {
            assert!(st.rms > 0.02, "{run:?}: kept audio is silent (rms {})", st.rms);
        }
        if st.seconds >= 2.0 * ref_secs + 0.5 {
            let (ok, report) = wavcompare(&speech48, &path, 0.8);
            assert!(ok, "{run:?}: kept audio does not match what was fed: {report}");
            compared += 1;
        }
    }
    assert!(compared >= 3, "only {compared} takes were long enough to compare their content");
    println!("worst loss over {} kills: {worst_loss:.2} s", runs.len());
}

#[test]
fn damaged_files_in_the_takes_folder_are_repaired_or_set_aside_without_a_panic() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert!(cli(&data).args(["questions"]).output().unwrap().status.success());
    let takes = data.join("takes");
    let sidecar = |stem: &str| {
        let body = format!(
            r#"{{"question_id":"db.deadlock","started_at":"2026-11-25T10:00:0{}.000Z","file":"takes/{stem}.wav"}}"#,
            stem.len() % 10
        );
        std::fs::write(takes.join(format!("{stem}.json")), body).unwrap();
    };
    // A good header over 1 s of 16 kHz audio, then variants of it.
    let mut good = Vec::new();
    {
        let spec = hound::WavSpec { channels: 1, sample_rate: 16_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::new(std::io::Cursor::new(&mut good), spec).unwrap();
        for i in 0..16_000 {
            w.write_sample(((i as f64 * 0.06).sin() * 8000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
    let mut zero_sizes = good.clone();
    zero_sizes[4..8].copy_from_slice(&0u32.to_le_bytes());
    zero_sizes[40..44].copy_from_slice(&0u32.to_le_bytes());
    let truncated = good[..good.len() / 2 + 1].to_vec(); // header claims more than is there
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a-zero-sizes.wav.partial", zero_sizes),
        ("b-truncated.wav", truncated),
        ("c-empty.wav", vec![]),
        ("d-garbage.wav", b"this is not audio at all, just text pretending".repeat(30)),
        ("e-no-sidecar.wav.partial", good.clone()),
    ];
    for (name, bytes) in &files {
        std::fs::write(takes.join(name), bytes).unwrap();
        let stem = name.split('.').next().unwrap();
        if !stem.starts_with('e') {
            sidecar(stem);
        }
    }
    let out = cli(&data).args(["recover", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recovered: Vec<f64> = v["report"]["recovered"].as_array().unwrap().iter().map(|t| t["duration_ms"].as_f64().unwrap()).collect();
    let damaged: Vec<String> = v["report"]["damaged"].as_array().unwrap().iter().map(|d| d["file"].as_str().unwrap().to_string()).collect();
    println!("recovered {recovered:?}, damaged {damaged:?}");
    assert_eq!(recovered.len(), 2, "the zero-size and the truncated file are repaired");
    assert!(recovered.contains(&1000.0), "zero sizes repaired to the full second: {recovered:?}");
    assert_eq!(damaged.len(), 3, "empty, garbage and sidecar-less files are set aside: {damaged:?}");
    for d in &damaged {
        assert!(data.join(d).exists(), "{d} is kept, not deleted");
    }
    // Every listed take plays (or fails with a message), never panics.
    for t in takes_json(&data) {
        let path = data.join(t["file_path"].as_str().unwrap());
        assert!(sox_reads(&path), "{}", path.display());
        assert_eq!(t["status"], "recovered");
    }
    // A second pass finds nothing new.
    let again = cli(&data).args(["recover"]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to recover"), "{}", String::from_utf8_lossy(&again.stdout));
}

#[test]
fn an_unplugged_microphone_is_detected_within_a_second_and_the_take_is_kept() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "The archiver is stuck because the recovery area is full");
    let data = tmp.path().join("data");
    mic.feed_loop(&speech_raw);
    let mut c = cli(&data);
    c.args(["record", "--question", "db.storage-archive-full", "--seconds", "20", "--json"]);
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    let started = w.wait_line("recording from", Duration::from_secs(10)).expect("started");
    std::thread::sleep(Duration::from_secs(2));
    let unplugged = Instant::now();
    let before = started.elapsed().as_secs_f64();
    mic.unplug_mic();
    let noticed = w.wait_line("microphone lost", Duration::from_secs(5)).expect("the CLI reports the lost microphone");
    let detect = noticed.duration_since(unplugged).as_secs_f64();
    let mut child = w.child;
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    // Where the digital silence begins in the file: when the sound server moved the stream.
    let path = PathBuf::from(serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["path"].as_str().unwrap());
    let mut r = hound::WavReader::open(&path).unwrap();
    let rate = r.spec().sample_rate as f64;
    let samples: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    let last_signal = samples.iter().rposition(|&s| s != 0).unwrap_or(0) as f64 / rate;
    println!(
        "detected {detect:.2} s after the unplug command; signal ended at {last_signal:.2} s of {:.2} s kept; unplugged at {before:.2} s; exit {status}",
        samples.len() as f64 / rate
    );
    assert!(detect <= 1.0, "took {detect:.2} s to notice");
    assert!(!status.success(), "the early stop is reported as an error exit");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["take"]["stop_reason"], "mic_lost");
    let path = PathBuf::from(v["path"].as_str().unwrap());
    let st = wav_stats(&path);
    assert!(st.seconds >= before - 0.1, "kept {:.2} s of the {before:.2} s recorded before unplugging", st.seconds);
    assert_eq!(db_takes(&data).len(), 1);
}

#[test]
fn a_sound_server_frozen_for_a_moment_is_not_a_lost_microphone() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Check the wait events first");
    let data = tmp.path().join("data");
    mic.feed_loop(&speech_raw);
    let mut c = cli(&data);
    c.args(["record", "--question", "db.slow-database", "--seconds", "5", "--json"]);
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    w.wait_line("recording from", Duration::from_secs(10)).expect("started");
    std::thread::sleep(Duration::from_secs(1));
    mic.freeze_server(Duration::from_millis(1500));
    let (status, stderr) = w.finish();
    assert!(status.success(), "a 1.5 s hiccup of the server must not end the take: {stderr}");
    assert!(!stderr.contains("microphone lost"), "{stderr}");
    let rows = db_takes(&data);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, 5000, "the full 5 s were recorded");
}

/// A WAV header over `frames` frames of a 440 Hz tone at 48 kHz mono (0: header only).
fn wav_bytes(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::new(std::io::Cursor::new(&mut out), spec).unwrap();
    for i in 0..frames {
        w.write_sample(((i as f64 * 0.0576).sin() * 8000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    out
}

fn leftovers(data: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(data.join("takes")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    names
}

#[test]
fn recordings_stopped_before_their_first_sample_are_removed_by_recover_and_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert!(cli(&data).args(["questions"]).output().unwrap().status.success());
    let takes = data.join("takes");
    let sidecar = |stem: &str| {
        let body = format!(r#"{{"question_id":"db.deadlock","started_at":"2026-11-25T10:00:00.000Z","file":"takes/{stem}.wav"}}"#);
        std::fs::write(takes.join(format!("{stem}.json")), body).unwrap();
    };
    // What kills in the first tens of milliseconds leave: a sidecar alone; a partial file
    // cut inside its header; a header with no samples (partial and finished).
    sidecar("a0000000000000000000000000000000");
    sidecar("b0000000000000000000000000000000");
    std::fs::write(takes.join("b0000000000000000000000000000000.wav.partial"), &wav_bytes(0)[..20]).unwrap();
    sidecar("c0000000000000000000000000000000");
    std::fs::write(takes.join("c0000000000000000000000000000000.wav.partial"), wav_bytes(0)).unwrap();
    std::fs::write(takes.join("c0000000000000000000000000000000.peaks.partial"), b"").unwrap();
    sidecar("d0000000000000000000000000000000");
    std::fs::write(takes.join("d0000000000000000000000000000000.wav"), wav_bytes(0)).unwrap();
    // A real one (a single 30 ms buffer) is kept, as every take with audio is.
    sidecar("e0000000000000000000000000000000");
    std::fs::write(takes.join("e0000000000000000000000000000000.wav.partial"), wav_bytes(1440)).unwrap();

    let out = cli(&data).args(["recover", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{v:#}");
    let report = &v["report"];
    assert_eq!(report["damaged"].as_array().unwrap().len(), 0, "nothing is reported as damaged: {report}");
    assert_eq!(report["empty"].as_array().unwrap().len(), 4, "the four empty recordings are named: {report}");
    assert_eq!(report["recovered"].as_array().unwrap().len(), 1);
    let rows = db_takes(&data);
    assert_eq!(rows.len(), 1, "no 0 ms take is indexed: {rows:?}");
    assert_eq!((rows[0].2, rows[0].3.as_str()), (30, "takes/e0000000000000000000000000000000.wav"));
    assert_eq!(leftovers(&data), ["e0000000000000000000000000000000.json", "e0000000000000000000000000000000.wav"]);
    let text = cli(&data).args(["recover"]).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("nothing to recover"), "a second pass finds nothing");
}

#[test]
fn killing_record_in_its_first_milliseconds_leaves_no_orphan_file_and_no_empty_take() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Undo was overwritten");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    assert!(cli(&data).args(["questions"]).output().unwrap().status.success());
    for i in 0..16u64 {
        let mut c = cli(&data);
        c.args(["record", "--question", "db.ora-01555"]);
        mic.apply(&mut c);
        let mut child = c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
        // Spread over the start: before the plan, between sidecar and WAV, before the first buffer.
        std::thread::sleep(Duration::from_millis(20 + i * 6));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    mic.stop_feed();
    let out = cli(&data).args(["recover", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{}", v["report"]);
    assert!(v["report"]["damaged"].as_array().unwrap().is_empty(), "{}", v["report"]);
    for t in takes_json(&data) {
        assert!(t["duration_ms"].as_i64().unwrap() > 0, "a take with no audio was indexed: {t}");
    }
    let names = leftovers(&data);
    for n in &names {
        assert!(n.ends_with(".wav") || n.ends_with(".json") || n.ends_with(".peaks"), "left over: {n} in {names:?}");
        if let Some(stem) = n.strip_suffix(".json") {
            assert!(names.contains(&format!("{stem}.wav")), "orphan sidecar {n}: {names:?}");
        }
    }
}

#[test]
fn a_take_stopped_at_once_is_not_kept_and_too_short_a_limit_is_refused() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Undo was overwritten");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");

    let out = cli(&data).args(["record", "--question", "db.ora-01555", "--seconds", "0.001"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("rehearse-cli: --seconds must be at least 0.5"), "{stderr}");

    // Ctrl-C as soon as it records: too short, not kept, and nothing left to recover.
    let mut c = cli(&data);
    c.args(["record", "--question", "db.ora-01555"]);
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    w.wait_line("recording from", Duration::from_secs(10)).expect("started");
    w.signal("INT");
    let (status, stderr) = w.finish();
    mic.stop_feed();
    println!("{stderr}");
    assert!(!status.success(), "no take: an error exit");
    assert!(stderr.contains("rehearse-cli: too short, not kept"), "{stderr}");
    assert!(db_takes(&data).is_empty());
    assert!(leftovers(&data).is_empty(), "no WAV, sidecar or peaks: {:?}", leftovers(&data));
    let out = cli(&data).args(["recover"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to recover"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_take_ended_by_sigterm_is_kept_and_labelled_terminated_not_crash() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Undo was overwritten");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let mut c = cli(&data);
    c.args(["record", "--question", "db.ora-01555", "--json"]);
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    w.wait_line("recording from", Duration::from_secs(10)).expect("started");
    std::thread::sleep(Duration::from_millis(1500));
    w.signal("TERM");
    let (status, stderr) = w.finish();
    mic.stop_feed();
    println!("{stderr}");
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("termination signal"), "{stderr}");
    let takes = takes_json(&data);
    assert_eq!(takes.len(), 1, "{takes:?}");
    assert_eq!((takes[0]["status"].as_str(), takes[0]["stop_reason"].as_str()), (Some("ok"), Some("terminated")));
    assert!(takes[0]["duration_ms"].as_i64().unwrap() >= 1400);
    assert!(!leftovers(&data).iter().any(|n| n.ends_with(".partial")));
}
