//! End to end in the real window: a compressed video-call rehearsal (29 s, three segments,
//! interviewers A and B, one follow-up probe) on the virtual microphone fed with espeak-ng
//! speech, with the virtual speaker recorded to hear the interviewers. Checks the session
//! WAV against the session's duration, one take per question and probe with the markers on
//! its boundaries, the report, and a rating given in it by keyboard. Also: pausing (allowed
//! in the pre-flight) mid-answer, the same call without the setting in Korean, the app
//! killed mid-call, and the template editor.
//!
//! Length: the call's end-to-end tests share one compressed template and the helpers that drive
//! it.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::Command;
use std::time::{Duration, Instant};

use rehearse_tests::window::*;
use rehearse_tests::*;

const SHORT_SECS: f64 = 29.0;

/// A virtual microphone saying `answer` in a loop (over a noise floor) and a data folder
/// holding the compressed test template; the window's environment for both. Bound in this
/// order, the mic is dropped before its folder.
fn call_setup(answer: &str) -> (tempfile::TempDir, VirtualMic, std::path::PathBuf, Vec<(String, String)>) {
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), answer));
    let data = tmp.path().join("data");
    let out = Command::new(bin("rehearse-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args(["template", "import"])
        .arg(rehearsal_fixture())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    (tmp, mic, data, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_call_runs_in_the_window_with_voices_markers_takes_and_a_report() {
    let _s = serial();
    let (tmp, mic, data, env) = call_setup("I would check the alert log first, then recent changes");

    let (_driver, c) = launch(&env).await;
    open_short_template(&c).await;
    assert_eq!(js(&c, "return document.querySelectorAll('#preflight-checks li').length").await, 3);
    let voices_ok = js(&c, "return document.querySelector('#preflight-checks li').dataset.ok").await;
    assert_eq!(voices_ok, "unchecked", "espeak-ng is found by the pre-flight, and not called heard before V plays it");
    screenshot(&c, "e2e-call-preflight.png").await;

    // Record what the interviewers say on the virtual speaker, from before the call.
    let monitor = tmp.path().join("monitor.wav");
    let mut speaker = mic.speaker_record_cmd(&monitor, SHORT_SECS as u32 + 15).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let monitor_from = Instant::now();
    press(&c, ENTER).await;
    wait_for(&c, "the call to start recording", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
    let call_started = Instant::now();
    wait_for(&c, "interviewer A to ask", 10, "return document.getElementById('tile-a').dataset.speaking === 'true' && document.getElementById('caption').textContent.length > 10").await;
    screenshot(&c, "e2e-call.png").await;
    wait_for(&c, "interviewer B in the technical segment", 15, "return document.getElementById('tile-b').dataset.speaking === 'true'")
        .await;
    assert!(js(&c, "return document.getElementById('call-segment').textContent").await.as_str().unwrap().contains("Technical"));
    wait_for(&c, "the report", 40, "return !document.getElementById('call-report').hidden").await;
    let _ = speaker.wait();
    mic.stop_feed();

    // The report lists every question and probe, each with its time and a rating form.
    wait_for(
        &c,
        "four answers in the report",
        5,
        "return document.querySelectorAll('#report-body .report-row[data-take-id]').length === 4",
    )
    .await;
    let line = js(&c, "return document.getElementById('report-line').textContent").await;
    assert!(line.as_str().unwrap().starts_with("Finished"), "{line}");
    assert_eq!(js(&c, "return document.querySelectorAll('#report-body .report-seg').length").await, 3);
    assert_eq!(js(&c, "return document.querySelectorAll('#report-body .report-row[data-probe=true]').length").await, 1);
    assert_eq!(
        js(&c, "return document.querySelectorAll('#report-body .report-info.over').length").await,
        0,
        "every answer ended at its limit: none is shown over time"
    );
    press(&c, ARROW_DOWN).await;
    press(&c, '3').await;
    wait_for(&c, "the rating in the report", 5, "return document.querySelector('#report-body .report-row[data-index=\"1\"] .rate-btn[data-rating=\"3\"]').getAttribute('aria-pressed') === 'true'").await;
    wait_for(
        &c,
        "the metrics",
        5,
        "return document.querySelector('#report-body .report-row[data-index=\"0\"] .report-info').textContent.includes('first word')",
    )
    .await;
    screenshot(&c, "e2e-call-report.png").await;
    // Where each answer was is a position in the call; Space plays the selected answer, its
    // button turns to Stop, and Space again stops it.
    let info = js(&c, "return document.querySelector('#report-body .report-row[data-index=\"1\"] .report-info').textContent").await;
    assert!(info.as_str().unwrap().starts_with("at 0:"), "{info}");
    let play_button = "return document.querySelector('#report-body .report-row[data-index=\"1\"] .report-play').textContent";
    assert_eq!(js(&c, play_button).await, "▶ Play");
    press_space(&c).await;
    wait_for(&c, "the playing state", 5, &format!("{play_button} === '■ Stop'")).await;
    press_space(&c).await;
    wait_for(&c, "the stopped state", 5, &format!("{play_button} === '▶ Play'")).await;

    // The database: one finished rehearsal, its WAV as long as the session, one take per
    // question and probe with its markers on the take's boundaries.
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let (session, status, wav_path, rate): (i64, String, String, f64) = db
        .query_row("SELECT id, status, wav_path, sample_rate FROM sessions WHERE kind = 'rehearsal'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(status, "finished");
    let mut st = db.prepare("SELECT kind, sample_offset, take_id FROM markers WHERE session_id = ?1 ORDER BY id").unwrap();
    let markers: Vec<(String, i64, Option<i64>)> =
        st.query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let at = |kind: &str| markers.iter().find(|m| m.0 == kind).map(|m| m.1 as f64 / rate).unwrap();
    let duration = at("session_end") - at("session_start");
    assert!((duration - SHORT_SECS).abs() <= 0.2, "session lasted {duration} s, planned {SHORT_SECS}");
    let wav = data.join(&wav_path);
    let wav_secs = wav_stats(&wav).seconds;
    assert!((wav_secs - duration).abs() <= 0.2, "session WAV {wav_secs} s, session {duration} s");
    let wall = call_started.elapsed().as_secs_f64();
    assert!(wall >= duration - 0.5, "the window showed the report after {wall} s, before the {duration} s session ended");
    let starts: Vec<&(String, i64, Option<i64>)> = markers.iter().filter(|m| m.0 == "question_start" || m.0 == "probe_start").collect();
    assert_eq!(starts.len(), 4, "3 questions and 1 probe: {markers:?}");
    let takes: i64 = db.query_row("SELECT count(*) FROM takes WHERE session_id = ?1", [session], |r| r.get(0)).unwrap();
    assert_eq!(takes, 4, "one take per question and probe");
    for s in &starts {
        let take = s.2.expect("the start marker points at its take");
        let end_kind = if s.0 == "probe_start" { "probe_end" } else { "question_end" };
        let end = markers.iter().find(|m| m.0 == end_kind && m.2 == Some(take)).expect("end marker");
        let span = (end.1 - s.1) as f64 / rate;
        let file: String = db.query_row("SELECT file_path FROM takes WHERE id = ?1", [take], |r| r.get(0)).unwrap();
        let secs = wav_stats(&data.join(file)).seconds;
        assert!((secs - span).abs() <= 0.1, "take {take} lasts {secs} s, its markers span {span} s");
    }
    let rated: Option<i64> = db.query_row("SELECT rating FROM takes WHERE id = ?1", [starts[1].2.unwrap()], |r| r.get(0)).unwrap();
    assert_eq!(rated, Some(3), "the rating given in the report is stored on the second answer's take");

    // The interviewers were heard on the speaker, B at a higher pitch than A.
    let (mon, mon_rate) = samples(&monitor);
    let shift = call_started.duration_since(monitor_from).as_secs_f64();
    let mut pitch = std::collections::BTreeMap::<&str, Vec<f64>>::new();
    let speakers = ["A", "B", "A"]; // intro by A, technical by B, principles start with A
    for (s, who) in starts.iter().take(3).zip(speakers) {
        let from = ((s.1 as f64 / rate + shift - 0.5).max(0.0) * mon_rate as f64) as usize;
        let to = (((s.1 as f64 / rate + shift + 3.0) * mon_rate as f64) as usize).min(mon.len());
        let (f0, voiced) = median_pitch(&mon[from..to], mon_rate);
        println!("{who}: f0 {f0:.0} Hz, {voiced} voiced frames");
        assert!(voiced >= 10, "interviewer {who} is heard ({voiced} voiced frames)");
        pitch.entry(who).or_default().push(f0);
    }
    let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    assert!(mean(&pitch["B"]) > mean(&pitch["A"]) * 1.3, "B speaks higher than A: {pitch:?}");
    c.close().await.unwrap();
}

/// Opens the pre-flight (C) and selects the compressed template; returns once its plan
/// and checks are shown.
async fn open_short_template(c: &Client) {
    press(c, 'c').await;
    wait_for(
        c,
        "the pre-flight",
        5,
        "return !document.getElementById('call-preflight').hidden && document.querySelectorAll('#tpl-list li').length >= 2",
    )
    .await;
    for _ in 0..5 {
        if js(c, "return document.querySelector('#tpl-list [aria-selected=true]').dataset.template").await == "test-short" {
            break;
        }
        press(c, ARROW_DOWN).await;
    }
    wait_for(c, "the compressed template's checks", 5, "return document.getElementById('tpl-outline').textContent.includes('Principles')")
        .await;
}

/// Opens the pre-flight and starts the compressed template's call.
async fn start_short_call(c: &Client) {
    open_short_template(c).await;
    press(c, ENTER).await;
    wait_for(c, "the call to start recording", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_app_mid_call_recovers_the_session_and_its_markers_at_the_next_start() {
    let _s = serial();
    let (_tmp, mic, data, env) = call_setup("First I would look at the alert log and recent changes");

    let (driver, c) = launch(&env).await;
    start_short_call(&c).await;
    // Into the second segment (the first lasts 6 s), then kill the app.
    wait_for(&c, "the technical segment", 15, "return document.getElementById('call-segment').textContent.includes('Technical')").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let before: i64 = db.query_row("SELECT count(*) FROM markers", [], |r| r.get(0)).unwrap();
    let pids = pids_of(&bin("rehearse"), &format!("REHEARSE_DATA_DIR={}", data.display()));
    assert_eq!(pids.len(), 1, "exactly one app process for this test: {pids:?}");
    assert!(Command::new("kill").args(["-KILL", &pids[0].to_string()]).status().unwrap().success());
    drop(c);
    drop(driver);
    assert!(before >= 5, "session, segment and question markers were stored while the call ran ({before})");

    let (_driver, c) = launch(&env).await;
    wait_for(&c, "the recovery notice", 30, "return !document.getElementById('warning-banner').hidden").await;
    let notice = js(&c, "return document.getElementById('warning-text').textContent").await;
    assert!(notice.as_str().unwrap().contains("Recovered the mock call"), "notice: {notice}");
    screenshot(&c, "e2e-call-recovered.png").await;
    let (id, status, wav_path): (i64, String, String) = db
        .query_row("SELECT id, status, wav_path FROM sessions WHERE kind = 'rehearsal'", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!(status, "recovered");
    let mut st = db.prepare("SELECT kind, sample_offset, take_id FROM markers WHERE session_id = ?1 ORDER BY id").unwrap();
    let markers: Vec<(String, i64, Option<i64>)> =
        st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    assert!(markers.len() as i64 >= before, "the markers up to the kill are kept: {markers:?}");
    let wav = data.join(&wav_path);
    let secs = wav_stats(&wav).seconds;
    assert!(secs >= 7.0, "the session WAV keeps what was recorded before the kill ({secs} s)");
    assert!(sox_reads(&wav));
    // Every question asked before the kill has its take, the open one cut to the end.
    let asked = markers.iter().filter(|m| m.0 == "question_start").count();
    assert_eq!(asked, 2, "intro and the technical question: {markers:?}");
    for m in markers.iter().filter(|m| m.0 == "question_start") {
        let take = m.2.expect("a take for every question asked");
        let file: String = db.query_row("SELECT file_path FROM takes WHERE id = ?1", [take], |r| r.get(0)).unwrap();
        assert!(wav_stats(&data.join(file)).seconds > 0.5);
    }
    mic.stop_feed();
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_edited_in_the_window_is_checked_like_an_import_a_bad_edit_changes_nothing_and_ctrl_enter_saves_a_good_one() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = Command::new(bin("rehearse-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args(["template", "import"])
        .arg(rehearsal_fixture())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let env = vec![data_env(&data)];
    let stored = || -> String {
        let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
        db.query_row("SELECT body_toml FROM templates WHERE id = 'test-short'", [], |r| r.get(0)).unwrap()
    };
    let before = stored();

    let (_driver, c) = launch(&env).await;
    open_short_template(&c).await;
    press(&c, 't').await;
    wait_for(
        &c,
        "the editor with the template",
        5,
        "return !document.getElementById('tpl-editor').hidden && document.getElementById('tpl-text').value.includes('test-short')",
    )
    .await;

    // A negative length: refused with a message naming the field; nothing stored changes.
    js(&c, "const t = document.getElementById('tpl-text'); t.value = t.value.replace('length_secs = 6', 'length_secs = -6'); return true")
        .await;
    click(&c, "#tpl-save").await;
    wait_for(&c, "the error", 5, "return document.getElementById('tpl-editor-error').textContent.includes('length_secs')").await;
    screenshot(&c, "e2e-template-editor-error.png").await;
    assert!(!js(&c, "return document.getElementById('tpl-editor').hidden").await.as_bool().unwrap(), "the editor stays open");
    assert_eq!(stored(), before, "a bad edit changes nothing");

    // A good edit, saved from the keyboard (Ctrl+Enter in the text): the intro segment 9 s long.
    js(
        &c,
        "const t = document.getElementById('tpl-text'); t.value = t.value.replace('length_secs = -6', 'length_secs = 9'); t.focus(); return true",
    )
    .await;
    press_chord(&c, CONTROL, ENTER).await;
    wait_for(&c, "the editor to close", 5, "return document.getElementById('tpl-editor').hidden").await;
    wait_for(&c, "the new outline", 5, "return document.getElementById('tpl-outline').textContent.includes('Intro 0:09')").await;
    assert!(stored().contains("length_secs = 9"), "{}", stored());
    c.close().await.unwrap();
}

/// A marker as stored: kind, sample offset, take id.
type StoredMarker = (String, i64, Option<i64>);

/// The markers of the one rehearsal in `data`, its WAV (relative path) and its sample rate.
fn session_markers(data: &std::path::Path) -> (Vec<StoredMarker>, String, f64) {
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let (session, wav_path, rate): (i64, String, f64) = db
        .query_row("SELECT id, wav_path, sample_rate FROM sessions WHERE kind = 'rehearsal'", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    let mut st = db.prepare("SELECT kind, sample_offset, take_id FROM markers WHERE session_id = ?1 ORDER BY id").unwrap();
    let markers = st.query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    (markers, wav_path, rate)
}

fn setting(data: &std::path::Path, key: &str) -> Option<String> {
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    db.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).ok()
}

/// Root mean square of `x[from..to]` (seconds at `rate`).
fn rms(x: &[f64], rate: u32, from: f64, to: f64) -> f64 {
    let (a, b) = ((from.max(0.0) * rate as f64) as usize, ((to * rate as f64) as usize).min(x.len()));
    assert!(a < b, "{from}-{to} s is outside the {} s recording", x.len() as f64 / rate as f64);
    (x[a..b].iter().map(|v| v * v).sum::<f64>() / (b - a) as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_paused_mid_answer_freezes_its_clocks_records_nothing_and_resumes_into_the_same_take() {
    let _s = serial();
    let (_tmp, mic, data, env) = call_setup("I would check the alert log first, then recent changes");

    let (_driver, c) = launch(&env).await;
    open_short_template(&c).await;
    // Off by default; P in the pre-flight turns it on, and it is remembered.
    assert_eq!(js(&c, "return document.getElementById('call-allow-pause').checked").await, false);
    press(&c, 'p').await;
    wait_for(&c, "pausing allowed", 5, "return document.getElementById('call-allow-pause').checked").await;
    let stored_by = Instant::now() + Duration::from_secs(5);
    while setting(&data, "call_allow_pause").as_deref() != Some("true") {
        assert!(Instant::now() < stored_by, "the setting was not stored: {:?}", setting(&data, "call_allow_pause"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&c, "e2e-call-preflight-pause.png").await;
    press(&c, ENTER).await;
    wait_for(&c, "the call to start recording", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
    let call_started = Instant::now();
    wait_for(&c, "the pause button", 5, "return !document.getElementById('call-pause').hidden").await;

    // Mid-answer to the principles question (its answer clock runs; the segment leaves room
    // after it), pause for 2 s.
    wait_for(&c, "the principles question", 30, "return document.getElementById('call-segment').textContent.includes('Principles') && document.getElementById('caption').textContent.includes('customer')").await;
    wait_for(&c, "its answer clock", 15, "return document.getElementById('answer-left').textContent !== ''").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    press(&c, 'p').await;
    wait_for(
        &c,
        "the paused screen",
        5,
        "return document.getElementById('call-screen').dataset.paused === 'true' && !document.getElementById('call-paused').hidden",
    )
    .await;
    let paused_at = Instant::now();
    let frozen = "return [document.getElementById('call-clock').textContent, document.getElementById('call-segment-left').textContent, document.getElementById('answer-left').textContent].join('|')";
    let clocks = js(&c, frozen).await;
    assert_eq!(js(&c, "return document.getElementById('call-rec').dataset.state").await, "paused");
    assert_eq!(js(&c, "return document.querySelector('#call-paused h2').textContent").await, "Paused");
    assert_eq!(js(&c, "return document.getElementById('call-pause-label').textContent").await, "Resume");
    screenshot(&c, "e2e-call-paused.png").await;
    // Space does not move on while paused.
    press_space(&c).await;
    tokio::time::sleep(Duration::from_millis(2000).saturating_sub(paused_at.elapsed())).await;
    assert_eq!(js(&c, frozen).await, clocks, "every clock stood still for 2 s");
    press(&c, 'p').await;
    wait_for(
        &c,
        "the call to resume",
        5,
        "return document.getElementById('call-screen').dataset.paused === 'false' && document.getElementById('call-paused').hidden",
    )
    .await;
    let paused_for = paused_at.elapsed().as_secs_f64();
    assert_eq!(js(&c, "return document.getElementById('call-rec').dataset.state").await, "recording");
    wait_for(
        &c,
        "the clock to run again",
        3,
        &format!("return document.getElementById('call-clock').textContent !== {:?}", clocks.as_str().unwrap().split('|').next().unwrap()),
    )
    .await;

    wait_for(&c, "the report", 45, "return !document.getElementById('call-report').hidden").await;
    mic.stop_feed();
    let line = js(&c, "return document.getElementById('report-line').textContent").await;
    assert!(line.as_str().unwrap().starts_with("Finished"), "{line}");
    wait_for(
        &c,
        "four answers in the report",
        5,
        "return document.querySelectorAll('#report-body .report-row[data-take-id]').length === 4",
    )
    .await;
    let wall = call_started.elapsed().as_secs_f64();

    // One pause and one resume, at the same frame, inside the principles question's take.
    let (markers, wav_path, rate) = session_markers(&data);
    let of = |kind: &str| markers.iter().filter(|m| m.0 == kind).collect::<Vec<_>>();
    let (pause, resume) = (of("pause"), of("resume"));
    assert_eq!((pause.len(), resume.len()), (1, 1), "{markers:?}");
    assert_eq!(pause[0].1, resume[0].1, "the resume is at the pause's frame");
    let (q_start, q_end) = (of("question_start")[2], of("question_end")[2]);
    assert!(q_start.1 < pause[0].1 && pause[0].1 < q_end.1, "paused inside the principles question: {markers:?}");
    assert!((q_end.1 - pause[0].1) as f64 / rate > 0.3, "Space while paused did not end the answer at the resume: {markers:?}");
    // The session lasted its planned length on the recording's clock (the pause excluded),
    // the WAV as long as the session, the wall clock as long as both.
    let duration = (of("session_end")[0].1 - of("session_start")[0].1) as f64 / rate;
    assert!((duration - SHORT_SECS).abs() <= 0.2, "session lasted {duration} s, planned {SHORT_SECS}");
    let wav_secs = wav_stats(&data.join(&wav_path)).seconds;
    assert!((wav_secs - duration).abs() <= 0.2, "session WAV {wav_secs} s, session {duration} s");
    assert!(wall >= duration + paused_for - 0.5, "the call took {wall} s: {duration} s recorded + {paused_for} s paused");
    // The paused take is one piece: as long as its markers' span, speech on both sides of
    // the seam (no silence put in for the pause).
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let file: String = db
        .query_row("SELECT file_path FROM takes WHERE id = ?1", [q_start.2.expect("the principles question's take")], |r| r.get(0))
        .unwrap();
    let take = data.join(file);
    let span = (q_end.1 - q_start.1) as f64 / rate;
    let secs = wav_stats(&take).seconds;
    assert!((secs - span).abs() <= 0.1, "the paused take lasts {secs} s, its markers span {span} s");
    let (x, x_rate) = samples(&take);
    let seam = (pause[0].1 - q_start.1) as f64 / rate;
    let (before, after) = (rms(&x, x_rate, seam - 0.25, seam), rms(&x, x_rate, seam, seam + 0.25));
    println!("the paused take: {secs:.2} s, seam at {seam:.2} s, rms {before:.4} before and {after:.4} after it");
    // The mic's noise floor alone is about 0.0009 RMS (speech gaps can fall on the seam);
    // digital silence put in for the pause would be 0.
    assert!(before > 0.0004 && after > 0.0004, "the microphone's signal runs on at the seam ({before}, {after})");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_setting_a_call_has_no_pause_button_and_p_changes_nothing_shown_in_korean() {
    let _s = serial();
    let (_tmp, mic, data, env) = call_setup("First I would look at the alert log and recent changes");

    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await;
    wait_for(&c, "the Korean UI", 5, "return document.documentElement.lang === 'ko'").await;
    open_short_template(&c).await;
    assert_eq!(js(&c, "return document.getElementById('call-allow-pause').checked").await, false, "pausing is off by default");
    assert_eq!(js(&c, "return document.querySelector('[data-i18n=\"call.allowPause\"]').textContent").await, "면접 일시정지 허용");
    press(&c, ENTER).await;
    wait_for(&c, "the call to start recording", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
    assert_eq!(js(&c, "return document.getElementById('call-pause').hidden").await, true, "no pause button");
    wait_for(&c, "interviewer A to ask", 10, "return document.getElementById('tile-a').dataset.speaking === 'true' && document.getElementById('caption').textContent.length > 10").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let clock = js(&c, "return document.getElementById('call-clock').textContent").await;
    press(&c, 'p').await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(js(&c, "return document.getElementById('call-screen').dataset.paused").await, "false");
    assert_eq!(js(&c, "return document.getElementById('call-paused').hidden").await, true);
    assert_eq!(js(&c, "return document.getElementById('call-rec').dataset.state").await, "recording");
    assert_ne!(js(&c, "return document.getElementById('call-clock').textContent").await, clock, "the clock runs on after P");
    assert_eq!(
        js(&c, "return document.getElementById('warning-banner').hidden && document.getElementById('error-banner').hidden").await,
        true,
        "P is not even sent"
    );
    screenshot(&c, "e2e-call-ko.png").await;

    wait_for(&c, "the report", 45, "return !document.getElementById('call-report').hidden").await;
    mic.stop_feed();
    wait_for(
        &c,
        "four answers in the report",
        5,
        "return document.querySelectorAll('#report-body .report-row[data-take-id]').length === 4",
    )
    .await;
    let line = js(&c, "return document.getElementById('report-line').textContent").await;
    assert!(line.as_str().unwrap().starts_with("완료"), "{line}");
    wait_for(
        &c,
        "the metrics",
        10,
        "return document.querySelector('#report-body .report-row[data-index=\"0\"] .report-info').textContent.includes('첫 단어')",
    )
    .await;
    screenshot(&c, "e2e-call-report-ko.png").await;

    let (markers, wav_path, rate) = session_markers(&data);
    assert!(!markers.iter().any(|m| m.0 == "pause" || m.0 == "resume"), "{markers:?}");
    let at = |kind: &str| markers.iter().find(|m| m.0 == kind).map(|m| m.1 as f64 / rate).unwrap();
    let duration = at("session_end") - at("session_start");
    assert!((duration - SHORT_SECS).abs() <= 0.2, "session lasted {duration} s, planned {SHORT_SECS}");
    assert!((wav_stats(&data.join(&wav_path)).seconds - duration).abs() <= 0.2);
    assert_eq!(setting(&data, "call_allow_pause"), None, "the setting was never written");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sound_server_killed_mid_call_ends_the_call_keeps_what_was_said_and_says_so_in_korean() {
    let _s = serial();
    let (_tmp, mic, data, env) = call_setup("First I would look at the alert log and recent changes");

    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await;
    wait_for(&c, "the Korean UI", 5, "return document.documentElement.lang === 'ko'").await;
    start_short_call(&c).await;
    // Into the technical question's answer (the intro segment lasts 6 s), then kill the server.
    wait_for(&c, "the technical segment", 15, "return document.getElementById('call-segment').textContent.includes('Technical')").await;
    wait_for(&c, "its answer clock", 15, "return document.getElementById('answer-left').textContent !== ''").await;
    // The answer clock says what it counts.
    assert_eq!(
        js(&c, "const l = document.getElementById('answer-left-label'); return l.hidden ? null : l.textContent").await,
        "남은 답변 시간"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    mic.kill_server();
    answers_within(&c, 2.0, "right after the sound server died mid-call").await;
    // The call ends on its own and says why, in Korean (the engine's English line stays out).
    wait_for(&c, "the lost-microphone notice", 10, "return !document.getElementById('error-banner').hidden").await;
    let text = js(&c, "return document.getElementById('error-text').textContent").await.as_str().unwrap().to_string();
    assert!(text.contains("마이크나 사운드 서버가 끊겨 통화가 끝났습니다"), "notice: {text}");
    assert!(!text.chars().any(|ch| ch.is_ascii_alphabetic()), "English in the Korean notice: {text}");
    wait_for(&c, "the report", 15, "return !document.getElementById('call-report').hidden").await;
    answers_within(&c, 2.0, "on the report after the loss").await;
    screenshot(&c, "e2e-call-server-killed-ko.png").await;
    // What was said up to the loss is kept: the session WAV and a take for each question asked.
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let (status, wav_path): (String, String) =
        db.query_row("SELECT status, wav_path FROM sessions WHERE kind = 'rehearsal'", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_ne!(status, "running", "the session was finished");
    let secs = wav_stats(&data.join(&wav_path)).seconds;
    assert!(secs >= 7.0, "the session WAV keeps the call up to the loss ({secs} s)");
    let takes: i64 = db.query_row("SELECT count(*) FROM takes", [], |r| r.get(0)).unwrap();
    assert!(takes >= 2, "the intro's and the technical question's takes are kept ({takes})");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_voice_engine_the_korean_pre_flight_says_the_voices_are_unavailable_in_korean_only() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    // The voice engine is a program that is not there.
    env.push(("REHEARSE_ESPEAK".to_string(), tmp.path().join("no-espeak-ng").display().to_string()));
    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await; // 한국어
    wait_for(&c, "the Korean window", 5, "return document.documentElement.lang === 'ko'").await;
    press(&c, 'c').await;
    let voices = "document.querySelector('#preflight-checks > :first-child')";
    wait_for(&c, "the voices' check", 10, &format!("return ({voices}?.textContent ?? '').includes('면접관 목소리를 쓸 수 없습니다')"))
        .await;
    let text = js(&c, &format!("return {voices}.textContent")).await;
    let text = text.as_str().unwrap();
    assert!(!text.chars().any(|ch| ch.is_ascii_alphabetic()), "no English in the Korean line: {text}");
    assert!(!text.contains('✓'), "no tick for voices that cannot speak: {text}");
    assert_eq!(js(&c, &format!("return {voices}.dataset.ok")).await, "false", "marked as failed");
    screenshot(&c, "e2e-call-no-voices-ko.png").await;
    c.close().await.unwrap();
}
