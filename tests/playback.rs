//! Playback and waveform peaks through rehearse-cli, with a real (virtual) microphone and
//! speaker: takes are recorded from espeak-ng speech, played into the virtual speaker, and
//! what the speaker received is recorded from its monitor and compared with the take.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rehearse_tests::*;

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

struct Recorded {
    // Fields drop in order: the sound server must stop before its folder is removed
    // (stopping it needs the pid file there), or the daemon outlives the test.
    mic: VirtualMic,
    _tmp: tempfile::TempDir,
    data: PathBuf,
    path: PathBuf,
    id: String,
}

/// Records a 6 s take while espeak-ng speech (about 4 s) is fed in from 0.7 s on: the take
/// has silence before and after the speech, so its speech span is well defined.
fn record_speech_take(text: &str) -> Recorded {
    record_fed("6", text, &[Duration::ZERO])
}

/// Records a take of `seconds` while the speech of `text` is fed in from 0.7 s after the capture starts, once per
/// entry of `gaps`, each time after waiting that long.
fn record_fed(seconds: &str, text: &str, gaps: &[Duration]) -> Recorded {
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), text);
    let data = tmp.path().join("data");
    let mut c = cli(&data);
    c.args(["record", "--question", "db.outage-first-checks", "--seconds", seconds, "--json"]);
    mic.apply(&mut c);
    // From the capture's start, not the spawn.
    let v = Watched::record_fed(c, Duration::from_millis(700), || {
        for gap in gaps {
            std::thread::sleep(*gap);
            mic.feed_wait(&speech_raw);
        }
    });
    let path = PathBuf::from(v["path"].as_str().unwrap());
    let id = v["take"]["id"].as_i64().unwrap().to_string();
    Recorded { _tmp: tmp, mic, data, path, id }
}

/// Plays the take with `args` while the speaker's monitor is recorded for `secs`; returns
/// the recording and the CLI's output.
fn play_and_listen(r: &Recorded, args: &[&str], secs: u32, stdin: Option<&str>) -> (PathBuf, std::process::Output) {
    let heard = r.data.parent().unwrap().join(format!("heard-{}.wav", args.join("_").replace(['-', '.', ' '], "")));
    let mut rec = r.mic.speaker_record_cmd(&heard, secs).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let mut play = cli(&r.data);
    play.arg("play").arg(&r.id).args(args);
    r.mic.apply(&mut play);
    let out = match stdin {
        None => play.output().unwrap(),
        Some(script) => {
            let mut child = play.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            let mut input = child.stdin.take().unwrap();
            let script = script.to_string();
            // "sleep MS" lines pace the commands; the rest go to the player.
            let feeder = std::thread::spawn(move || {
                use std::io::Write;
                for line in script.lines() {
                    match line.strip_prefix("sleep ") {
                        Some(ms) => std::thread::sleep(Duration::from_millis(ms.parse().unwrap())),
                        None => writeln!(input, "{line}").unwrap(),
                    }
                }
            });
            let out = child.wait_with_output().unwrap();
            feeder.join().unwrap();
            out
        }
    };
    rec.wait().unwrap();
    assert!(out.status.success(), "play {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    (heard, out)
}

fn samples(path: &Path) -> (Vec<f64>, u32) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let s: Vec<i16> = r.samples::<i16>().collect::<Result<_, _>>().unwrap();
    (s.iter().step_by(spec.channels as usize).map(|&v| v as f64 / 32768.0).collect(), spec.sample_rate)
}

/// First and last moment (s) where the 10 ms RMS envelope exceeds 10% of its maximum.
fn speech_span(path: &Path) -> (f64, f64) {
    let (x, rate) = samples(path);
    let k = (rate / 100) as usize;
    let env: Vec<f64> = x.chunks_exact(k).map(|w| (w.iter().map(|v| v * v).sum::<f64>() / k as f64).sqrt()).collect();
    let max = env.iter().cloned().fold(0.0, f64::max);
    assert!(max > 0.01, "{} is (nearly) silent", path.display());
    let first = env.iter().position(|&e| e > 0.1 * max).unwrap();
    let last = env.iter().rposition(|&e| e > 0.1 * max).unwrap();
    (first as f64 / 100.0, (last + 1) as f64 / 100.0)
}

fn span_len(path: &Path) -> f64 {
    let (a, b) = speech_span(path);
    b - a
}

const TEXT: &str = "I would check the alert log, recent changes and the top wait events first";

#[test]
fn a_recorded_take_has_a_peaks_file_that_matches_its_wav() {
    let _s = serial();
    let r = record_speech_take(TEXT);
    let peaks_path = r.path.with_extension("peaks");
    assert!(peaks_path.exists(), "no peaks file beside {}", r.path.display());
    assert!(!r.path.with_extension("peaks.partial").exists(), "the partial peaks file was not renamed");

    // The file format, read independently.
    let bytes = std::fs::read(&peaks_path).unwrap();
    let (x, rate) = samples(&r.path);
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    assert_eq!(&bytes[0..4], b"RHPK");
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 1, "format version");
    assert_eq!(u32_at(8), rate);
    let fpb = u32_at(12) as usize;
    assert_eq!(fpb, rate as usize / 100, "100 buckets per second");
    assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), x.len() as u64, "frames covered");
    assert_eq!(bytes.len(), 24 + 4 * x.len().div_ceil(fpb));
    // Every bucket is the exact min/max of its samples.
    for (b, chunk) in x.chunks(fpb).enumerate() {
        let at = 24 + 4 * b;
        let mn = i16::from_le_bytes([bytes[at], bytes[at + 1]]) as f64 / 32768.0;
        let mx = i16::from_le_bytes([bytes[at + 2], bytes[at + 3]]) as f64 / 32768.0;
        let want = chunk.iter().fold((f64::MAX, f64::MIN), |(a, z), &v| (a.min(v), z.max(v)));
        assert_eq!((mn, mx), want, "bucket {b}");
    }

    // The CLI overview comes from that file; rebuilt from the WAV, it is identical.
    let overview = |expect_source: &str| {
        let out = cli(&r.data).args(["peaks", &r.id, "--width", "300", "--json"]).output().unwrap();
        assert!(out.status.success(), "peaks failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["source"], expect_source);
        assert_eq!(v["peaks"].as_array().unwrap().len(), 300);
        v["peaks"].clone()
    };
    let from_recording = overview("file");
    std::fs::remove_file(&peaks_path).unwrap();
    let rebuilt = overview("built");
    assert_eq!(from_recording, rebuilt);
    assert_eq!(std::fs::read(&peaks_path).unwrap(), bytes, "the rebuilt peaks file is byte-identical");
    // Loud speech in the middle, quiet lead-in: the overview shows it.
    let cols = rebuilt.as_array().unwrap();
    let height = |c: &serde_json::Value| c[1].as_f64().unwrap() - c[0].as_f64().unwrap();
    assert!(height(&cols[150]) > 0.05 && height(&cols[5]) < height(&cols[150]) / 4.0, "{} vs {}", height(&cols[5]), height(&cols[150]));

    // A damaged peaks file is rebuilt, never trusted.
    std::fs::write(&peaks_path, b"RHPK garbage").unwrap();
    assert_eq!(overview("built"), rebuilt);
}

#[test]
fn playing_a_take_at_normal_speed_sends_the_same_sound_to_the_speaker() {
    let _s = serial();
    let r = record_speech_take(TEXT);
    let (heard, _) = play_and_listen(&r, &[], 8, None);
    let (ok, report) = wavcompare(&r.path, &heard, 0.9);
    println!("1x: {report}");
    assert!(ok, "speaker output does not match the take: {report}");
    let (take, played) = (span_len(&r.path), span_len(&heard));
    println!("speech span: take {take:.3} s, heard {played:.3} s");
    assert!((played / take - 1.0).abs() <= 0.02, "{played} vs {take}");
}

#[test]
fn playing_from_a_position_starts_there() {
    let _s = serial();
    let r = record_speech_take(TEXT);
    let (heard, _) = play_and_listen(&r, &["--from-ms", "2500"], 6, None);
    let tail = r.data.parent().unwrap().join("tail.wav");
    assert!(Command::new("sox").arg(&r.path).arg(&tail).args(["trim", "2.5"]).status().unwrap().success());
    let (ok, report) = wavcompare(&tail, &heard, 0.9);
    println!("from 2.5 s: {report}");
    assert!(ok, "speaker output does not match the take from 2.5 s: {report}");
    // The speech heard ends 2.5 s sooner than in the take.
    let (_, take_end) = speech_span(&r.path);
    let played = span_len(&heard);
    // 0.15 s: the output stream's start (a fresh PulseAudio stream) can swallow about one
    // device buffer (0.1 s) on a loaded machine; a wrong start position is off by far more.
    assert!((played - (take_end - 2.5)).abs() < 0.15, "heard {played:.3} s of speech, want {:.3}", take_end - 2.5);
}

fn check_speed(speed: f64) {
    let r = record_speech_take(TEXT);
    let s = speed.to_string();
    let (heard, _) = play_and_listen(&r, &["--speed", &s], 10, None);
    let (take, played) = (span_len(&r.path), span_len(&heard));
    let want = take / speed;
    println!("{speed}x: take speech {take:.3} s, heard {played:.3} s, want {want:.3} s ({:+.2}%)", (played / want - 1.0) * 100.0);
    assert!((played / want - 1.0).abs() <= 0.02, "at {speed}x the speech lasted {played:.3} s, want {want:.3} s ± 2%");
    // Same words, same rhythm, only faster: the envelope matches the take tempo-changed by
    // sox (an independent WSOLA).
    let reference = r.data.parent().unwrap().join("tempo.wav");
    assert!(Command::new("sox").arg(&r.path).arg(&reference).args(["tempo", "-s", &s]).status().unwrap().success());
    let (ok, report) = wavcompare(&reference, &heard, 0.85);
    println!("{speed}x vs sox tempo: {report}");
    assert!(ok, "speaker output at {speed}x does not match the take: {report}");
}

#[test]
fn at_one_and_a_half_speed_the_speech_lasts_two_thirds_as_long() {
    let _s = serial();
    check_speed(1.5);
}

#[test]
fn at_three_quarter_speed_the_speech_lasts_four_thirds_as_long() {
    let _s = serial();
    check_speed(0.75);
}

#[test]
fn pause_resume_and_seek_from_another_thread_act_while_playing() {
    let _s = serial();
    let r = record_speech_take(TEXT);
    let (_, take_end) = speech_span(&r.path);
    // Pause for 1.5 s at about 2 s, then resume; later seek back to the start of speech.
    let script = "sleep 2000\npause\nsleep 1500\nresume\n";
    let (heard, out) = play_and_listen(&r, &["--control"], 10, Some(script));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let progress: Vec<&serde_json::Value> = events.iter().filter(|e| e["type"] == "progress").collect();
    let paused: Vec<&&serde_json::Value> = progress.iter().filter(|e| e["paused"] == true).collect();
    assert_eq!(paused.len(), 1, "one progress event reports the pause");
    let paused_at = paused[0]["position_ms"].as_u64().unwrap();
    assert!((1500..=2500).contains(&paused_at), "paused at {paused_at} ms");
    // About 20 progress events a second over ~6 s of playing.
    assert!(progress.len() >= 90 && progress.len() <= 160, "{} progress events", progress.len());
    let positions: Vec<u64> = progress.iter().map(|e| e["position_ms"].as_u64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[1] >= w[0]), "the position never goes back without a seek");
    let last = events.last().unwrap();
    assert_eq!((last["type"].as_str(), last["position_ms"].as_u64()), (Some("finished"), Some(6000)));
    // What the speaker got: the speech with a 1.5 s gap in it.
    let (start, end) = speech_span(&heard);
    let (take_start, _) = speech_span(&r.path);
    let want = take_end - take_start + 1.5;
    println!("with a 1.5 s pause: heard {:.3} s of speech, want {want:.3}", end - start);
    assert!((end - start - want).abs() < 0.15, "heard {:.3} s, want {want:.3}", end - start);

    // Seek: jump from the middle of the take back to the start of its speech.
    let script = format!("sleep 1000\nseek {}\n", (take_start * 1000.0) as u64);
    let (heard, out) = play_and_listen(&r, &["--control", "--from-ms", "3000"], 8, Some(&script));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l.contains("\"type\":\"finished\"")), "{text}");
    // After the seek the whole sentence is heard: the recording contains the take's speech.
    let speech_on = r.data.parent().unwrap().join("speech-on.wav");
    assert!(Command::new("sox").arg(&r.path).arg(&speech_on).args(["trim", &take_start.to_string()]).status().unwrap().success());
    let (ok, report) = wavcompare(&speech_on, &heard, 0.9);
    println!("after seek: {report}");
    assert!(ok, "after the seek the speaker did not get the take from the start: {report}");
}

/// Records a 9 s take of one answer said twice with 3 s of silence between (from 0.7 s on).
fn record_answer_with_a_long_silence(text: &str) -> Recorded {
    record_fed("9", text, &[Duration::ZERO, Duration::from_millis(3000)])
}

/// The longest run (s) of 10 ms frames below 10% of the loudest inside the speech span.
fn longest_inner_silence(path: &Path) -> f64 {
    let (x, rate) = samples(path);
    let k = (rate / 100) as usize;
    let env: Vec<f64> = x.chunks_exact(k).map(|w| (w.iter().map(|v| v * v).sum::<f64>() / k as f64).sqrt()).collect();
    let max = env.iter().cloned().fold(0.0, f64::max);
    let (first, last) = (env.iter().position(|&e| e > 0.1 * max).unwrap(), env.iter().rposition(|&e| e > 0.1 * max).unwrap());
    let (mut run, mut best) = (0usize, 0usize);
    for &e in &env[first..=last] {
        run = if e > 0.1 * max { 0 } else { run + 1 };
        best = best.max(run);
    }
    best as f64 / 100.0
}

#[test]
fn with_skip_silences_a_long_silence_is_not_heard_and_the_rest_is_played_whole() {
    let _s = serial();
    let r = record_answer_with_a_long_silence("I would check the alert log first");
    let (heard, out) = play_and_listen(&r, &["--skip-silences"], 9, None);
    // The spans the player was given, as the CLI reports them: "skipping N silences (T s): a-b s, ...".
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.starts_with("skipping ")).unwrap_or_else(|| panic!("no spans reported: {stderr}"));
    let spans: Vec<(f64, f64)> = line
        .split_once(": ")
        .unwrap()
        .1
        .split(", ")
        .map(|s| {
            let (a, b) = s.trim_end_matches(" s").split_once('-').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    let (take_start, take_end) = speech_span(&r.path);
    let inner: f64 = spans.iter().map(|&(a, b)| (b.min(take_end) - a.max(take_start)).max(0.0)).sum();
    // The silence between the two answers goes, less 0.25 s kept on each side.
    let gap = longest_inner_silence(&r.path);
    println!("{line}; take speech {take_start:.2}-{take_end:.2} s, its inner silence {gap:.2} s, skipped inside {inner:.2} s");
    assert!(gap > 2.8, "the take has no long silence ({gap:.2} s)");
    assert!((inner - (gap - 0.5)).abs() < 0.2, "skipped {inner:.2} s of the {gap:.2} s silence, want {:.2}", gap - 0.5);
    // Heard shorter by what was skipped, and everything else heard.
    let played = span_len(&heard);
    let want = take_end - take_start - inner;
    println!("skip silences: heard {played:.3} s of speech, want {want:.3} s (take {:.3} s)", take_end - take_start);
    assert!((played - want).abs() < 0.15, "heard {played:.3} s of speech, want {want:.3} s");
    assert!(longest_inner_silence(&heard) < 0.8, "a long silence was still heard ({:.2} s)", longest_inner_silence(&heard));
    // It is the take with the spans cut out, sound for sound.
    let mut rd = hound::WavReader::open(&r.path).unwrap();
    let spec = rd.spec();
    let all: Vec<i16> = rd.samples::<i16>().collect::<Result<_, _>>().unwrap();
    let at = |s: f64| ((s * spec.sample_rate as f64) as usize * spec.channels as usize).min(all.len());
    let cut = r.data.parent().unwrap().join("cut.wav");
    let mut w = hound::WavWriter::create(&cut, spec).unwrap();
    let mut from = 0;
    for &(a, b) in &spans {
        all[from..at(a)].iter().for_each(|&v| w.write_sample(v).unwrap());
        from = at(b);
    }
    all[from..].iter().for_each(|&v| w.write_sample(v).unwrap());
    w.finalize().unwrap();
    let (ok, report) = wavcompare(&cut, &heard, 0.9);
    println!("vs the take with the spans cut out: {report}");
    assert!(ok, "the speaker did not get the take less the skipped spans: {report}");
}

fn assert_one_clear_error_line(out: &std::process::Output, must_contain: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let ours: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rehearse-cli: ")).collect();
    assert_eq!(ours.len(), 1, "expected exactly one error line from rehearse-cli: {stderr}");
    assert!(ours[0].contains(must_contain), "error line {:?} should mention {must_contain:?}", ours[0]);
}

#[test]
fn bad_play_and_peaks_requests_are_one_clear_line_each() {
    let _s = serial();
    let r = record_speech_take("Short answer");
    let run = |args: &[&str]| {
        let mut c = cli(&r.data);
        c.args(args);
        r.mic.apply(&mut c);
        c.output().unwrap()
    };
    assert_one_clear_error_line(&run(&["play", &r.id, "--speed", "3"]), "between 0.75x and 2x");
    assert_one_clear_error_line(&run(&["play", &r.id, "--speed", "0.5"]), "between 0.75x and 2x");
    assert_one_clear_error_line(&run(&["play", &r.id, "--from-ms", "60000"]), "past the end of take");
    assert_one_clear_error_line(&run(&["play", &r.id, "--device", "no such speaker"]), "output device \"no such speaker\" not found");
    assert_one_clear_error_line(&run(&["play", "4242"]), "4242");
    assert_one_clear_error_line(&run(&["peaks", &r.id, "--width", "0"]), "width");
    assert_one_clear_error_line(&run(&["peaks", "4242"]), "4242");
    // A take whose WAV is gone: named, no panic.
    std::fs::rename(&r.path, r.path.with_extension("moved")).unwrap();
    std::fs::remove_file(r.path.with_extension("peaks")).unwrap();
    let out = run(&["peaks", &r.id]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !stderr.contains("panicked"), "{stderr}");
    // The named output device works when it exists.
    let out = run(&["devices", "--outputs", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().iter().any(|d| d["is_default"] == true), "{v}");
}
