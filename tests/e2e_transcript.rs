//! End to end in the real window: what was said. A take of db.deadlock is recorded from
//! espeak-ng speech through the virtual microphone; the window's background worker
//! transcribes it with the installed Whisper model; review shows the transcript with its
//! figures, a click on a word plays from there, the key points the transcript heard are
//! suggested beside the rubric and confirmed with H (stored in SQLite), and the "what I
//! said" search finds the take. Screenshots in English and Korean.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::Command;

use rehearse_tests::window::*;
use rehearse_tests::*;

const SAID: &str = "A deadlock is a cycle of transactions waiting for each other. I would read the deadlock graph and fix the lock order.";

/// Records SAID through the virtual microphone as a take of db.deadlock.
fn record_spoken_take(tmp: &std::path::Path, mic: &VirtualMic, data: &std::path::Path) -> i64 {
    let raw = clear_speech(tmp, SAID);
    let secs = wav_stats(&raw).seconds + 1.5;
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data).args(["record", "--question", "db.deadlock", "--seconds", &format!("{secs:.1}"), "--json"]);
    mic.apply(&mut c);
    let child = c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    mic.feed_wait(&raw);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["take"]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_take_is_transcribed_in_the_window_words_seek_heard_key_points_are_confirmed_by_key_and_search_finds_it() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let id = record_spoken_take(tmp.path(), &mic, &data);
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    press(&c, 'r').await;
    wait_for(&c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    wait_for(
        &c,
        "the take's detail",
        10,
        &format!("return document.querySelector('#lib-list .lib-row[aria-selected=true]')?.dataset.takeId === '{id}'"),
    )
    .await;
    // The worker started with the window hears the take; the panel fills in when it is done.
    wait_for(&c, "the transcript", 480, "return document.querySelectorAll('#d-transcript-body .tr-word').length >= 15").await;
    let text = js(&c, "return document.getElementById('d-transcript-body').textContent").await;
    let text = text.as_str().unwrap().to_lowercase();
    // (espeak-ng's "deadlock" is heard as "bedlock" by Whisper base; the rest as said.)
    assert!(text.contains("transaction") && text.contains("waiting for each other"), "{text}");
    let figures = js(&c, "return document.getElementById('d-transcript-figures').textContent").await;
    let figures = figures.as_str().unwrap().to_string();
    assert!(figures.contains("wpm (target 120–160") && figures.contains("I 1 · we 0"), "{figures}");
    assert!(figures.contains("first key point at 0:0"), "{figures}");
    assert_eq!(js(&c, "return document.getElementById('r-i-we-count').textContent").await, "(I 1 · we 0 (100% I))");
    assert!(js(&c, "return document.querySelectorAll('#d-transcript-body .tr-heard').length").await.as_i64().unwrap() >= 2);

    // "heard at 0:0x" beside the key points heard, none of them ticked on its own.
    let suggested: Vec<i64> = js(&c, "return [...document.querySelectorAll('#d-keypoints .kp-suggest')].map(b => Number(b.dataset.index))")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(suggested.contains(&0) && suggested.contains(&1), "a cycle, each other (0) and waiting (1): {suggested:?}");
    assert_eq!(js(&c, "return document.querySelectorAll('#d-keypoints .kp-box:checked').length").await, 0, "nothing ticked silently");
    assert!(js(&c, "return document.querySelector('#d-keypoints .kp-suggest').textContent")
        .await
        .as_str()
        .unwrap()
        .starts_with("heard at 0:0"));

    // A click on a word plays from that word.
    let clicked_ms =
        js(&c, "const w = document.querySelectorAll('#d-transcript-body .tr-word')[12]; w.id = 'e2e-word'; return Number(w.dataset.ms)")
            .await
            .as_i64()
            .unwrap();
    assert!(clicked_ms >= 2000, "the 13th word starts after 2 s: {clicked_ms}");
    js(&c, "document.getElementById('e2e-word').scrollIntoView({ block: 'center' }); return true").await;
    click(&c, "#e2e-word").await;
    wait_for(&c, "playback from the word", 10, "return document.getElementById('d-play').dataset.playing === 'true'").await;
    let pos = js(&c, "return document.getElementById('d-position').textContent").await;
    let pos = pos.as_str().unwrap().split(' ').next().unwrap().to_string();
    let (m, s) = pos.split_once(':').unwrap();
    let pos_s = m.parse::<i64>().unwrap() * 60 + s.parse::<i64>().unwrap();
    assert!(pos_s >= clicked_ms / 1000 && pos_s <= clicked_ms / 1000 + 2, "position {pos} after a click on the word at {clicked_ms} ms");
    press_space(&c).await; // pause

    // H confirms every key point heard: ticked and stored.
    press(&c, 'h').await;
    wait_for(
        &c,
        "the confirmed key points",
        5,
        &format!("return document.querySelectorAll('#d-keypoints .kp-box:checked').length === {}", suggested.len()),
    )
    .await;
    wait_for(&c, "no suggestion left", 5, "return document.querySelectorAll('#d-keypoints .kp-suggest').length === 0").await;
    assert!(js(&c, "return document.querySelector('#d-keypoints .kp-heard').textContent")
        .await
        .as_str()
        .unwrap()
        .starts_with("heard at 0:0"));
    screenshot(&c, "e2e-transcript.png").await;
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let rubric: String = db.query_row("SELECT rubric_json FROM takes WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    let rubric: serde_json::Value = serde_json::from_str(&rubric).unwrap();
    let mut stored: Vec<i64> = rubric["key_points"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    stored.sort();
    let mut want = suggested.clone();
    want.sort();
    assert_eq!(stored, want, "{rubric}");
    let kept: i64 = db.query_row("SELECT count(*) FROM transcripts WHERE take_id = ?1 AND status = 'done'", [id], |r| r.get(0)).unwrap();
    assert_eq!(kept, 1);

    // "What I said" finds the take, and not for words never said.
    press(&c, 'w').await;
    c.active_element().await.unwrap().send_keys("each other").await.unwrap();
    wait_for(&c, "the take found by what was said", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 1").await;
    js(&c, "const s = document.getElementById('f-said'); s.value = ''; s.dispatchEvent(new Event('input')); return true").await;
    c.active_element().await.unwrap().send_keys("snapshot too old").await.unwrap();
    wait_for(&c, "nothing found", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 0").await;
    js(&c, "const s = document.getElementById('f-said'); s.value = ''; s.dispatchEvent(new Event('input')); return true").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the take listed again", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 1").await;

    // The speech settings (O): a malformed band is refused with the reason, nothing stored;
    // a new band changes the verdict at once.
    press(&c, 'o').await;
    wait_for(&c, "the speech settings", 5, "return !document.getElementById('speech-settings').hidden").await;
    assert_eq!(js(&c, "return document.getElementById('ss-band-en').value").await, "120-160");
    js(&c, "const b = document.getElementById('ss-band-en'); b.value = ''; b.focus(); return true").await;
    c.active_element().await.unwrap().send_keys("fast").await.unwrap();
    press(&c, ENTER).await;
    wait_for(&c, "the refusal", 5, "return document.getElementById('ss-error').textContent.includes('MIN-MAX')").await;
    let stored: i64 = db.query_row("SELECT count(*) FROM settings WHERE key = 'pace_band_en'", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, 0, "nothing stored");
    js(&c, "const b = document.getElementById('ss-band-en'); b.value = ''; b.focus(); return true").await;
    c.active_element().await.unwrap().send_keys("60-70").await.unwrap();
    press(&c, ENTER).await;
    wait_for(&c, "the dialog closed", 5, "return document.getElementById('speech-settings').hidden").await;
    wait_for(
        &c,
        "the new band",
        10,
        "return document.getElementById('d-transcript-figures').textContent.includes('(target 60–70: faster than the target)')",
    )
    .await;
    let band: String = db.query_row("SELECT value FROM settings WHERE key = 'pace_band_en'", [], |r| r.get(0)).unwrap();
    assert_eq!(band, "60-70");

    // The same in Korean: the figures, the heard marks and the I/we count.
    press(&c, ESCAPE).await;
    wait_for(&c, "the main window", 5, "return document.getElementById('review-view').hidden").await;
    press(&c, 'l').await;
    press(&c, 'r').await;
    wait_for(&c, "the Korean review screen", 5, "return document.querySelector('#review-view h1').textContent === '복습'").await;
    wait_for(&c, "the Korean figures", 10, "return document.getElementById('d-transcript-figures').textContent.includes('단어/분')").await;
    // The "Saved" flashed by H in English went with the English screen.
    assert_eq!(js(&c, "return document.getElementById('d-saved').textContent").await, "");
    let figures = js(&c, "return document.getElementById('d-transcript-figures').textContent").await;
    let figures = figures.as_str().unwrap().to_string();
    assert!(figures.contains("말 빠르기") && figures.contains("나 1 · 우리 0") && !figures.contains("wpm"), "{figures}");
    assert!(js(&c, "return document.querySelector('#d-keypoints .kp-heard').textContent").await.as_str().unwrap().ends_with("에 들림"));
    screenshot(&c, "e2e-transcript-ko.png").await;

    // The take's file no longer matches its transcript (as after an edit): review says so in
    // Korean with no command line to type, and Shift+T makes it again in the background.
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    db.execute("UPDATE transcripts SET wav_bytes = wav_bytes + 1 WHERE take_id = ?1", [id]).unwrap();
    press(&c, ESCAPE).await;
    wait_for(&c, "the main window", 5, "return document.getElementById('review-view').hidden").await;
    press(&c, 'r').await;
    let status = "return document.getElementById('d-transcript-status').textContent";
    wait_for(&c, "the outdated line", 10, &format!("{status}.includes('오래된 받아쓰기')")).await;
    let line = js(&c, status).await.as_str().unwrap().to_string();
    assert!(!line.contains("rehearse-cli") && !line.chars().any(|ch| ch.is_ascii_alphabetic()), "{line}");
    assert_eq!(js(&c, "return document.getElementById('d-transcribe-again').hidden").await, false);
    press(&c, 'T').await;
    wait_for(&c, "the take pending again", 10, "return document.getElementById('d-transcribe-again').hidden").await;
    wait_for(
        &c,
        "the transcript made again",
        480,
        &format!("{status} === '' && document.querySelectorAll('#d-transcript-body .tr-word').length >= 15"),
    )
    .await;
    let bytes: i64 = db.query_row("SELECT wav_bytes FROM transcripts WHERE take_id = ?1", [id], |r| r.get(0)).unwrap();
    let on_disk =
        std::fs::metadata(data.join(db.query_row("SELECT file_path FROM takes WHERE id = ?1", [id], |r| r.get::<_, String>(0)).unwrap()))
            .unwrap()
            .len();
    assert_eq!(bytes as u64, on_disk, "the new transcript describes the file as it is");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_speech_model_review_says_so_in_korean_with_the_path_and_the_install_command() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let missing = tmp.path().join("no-models").join("ggml-base.bin");
    let env = [data_env(&data), ("REHEARSE_MODEL".to_string(), missing.display().to_string())];
    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await; // 한국어
    wait_for(&c, "the Korean window", 5, "return document.documentElement.lang === 'ko'").await;
    press(&c, 'r').await;
    wait_for(&c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    let status = "return document.getElementById('transcribe-status').textContent";
    wait_for(&c, "the reason transcription is off", 20, &format!("{status}.includes('음성 모델이 없습니다')")).await;
    let said = js(&c, status).await.as_str().unwrap().to_string();
    assert!(said.contains(&missing.display().to_string()), "names where the model was looked for: {said}");
    assert!(said.contains("bash scripts/install-models.sh"), "names the command that installs it: {said}");
    assert!(!said.contains("transcription is off") && !said.contains("install it"), "no English left: {said}");
    screenshot(&c, "e2e-transcript-no-model-ko.png").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_that_cannot_be_transcribed_says_so_in_korean_with_the_reason_as_a_detail_and_shift_t_is_offered() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let data = tmp.path().join("data");
    let id = record_spoken_take(tmp.path(), &mic, &data);
    // Its WAV gone before the window starts: the worker cannot read it, keeps the failure
    // (and goes on), and review says so.
    let takes: serde_json::Value = serde_json::from_slice(
        &Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).args(["takes", "--json"]).output().unwrap().stdout,
    )
    .unwrap();
    std::fs::remove_file(data.join(takes[0]["file_path"].as_str().unwrap())).unwrap();
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await; // 한국어
    wait_for(&c, "the Korean window", 5, "return document.documentElement.lang === 'ko'").await;
    press(&c, 'r').await;
    wait_for(
        &c,
        "the take's detail",
        10,
        &format!("return document.querySelector('#lib-list .lib-row[aria-selected=true]')?.dataset.takeId === '{id}'"),
    )
    .await;
    let status = "document.getElementById('d-transcript-status')";
    wait_for(&c, "the failure", 120, &format!("return {status}.textContent.includes('받아쓰지 못했습니다')")).await;
    let text = js(&c, &format!("return {status}.textContent")).await;
    assert!(!text.as_str().unwrap().chars().any(|ch| ch.is_ascii_alphabetic()), "no English in the Korean sentence: {text}");
    let detail = js(&c, &format!("return {status}.title")).await;
    let wav = takes[0]["file_path"].as_str().unwrap();
    assert!(detail.as_str().unwrap().contains(wav), "the engine's reason, naming the file, is the detail: {detail}");
    assert_eq!(js(&c, "return document.getElementById('d-transcribe-again').hidden").await, false, "Shift+T is offered");
    screenshot(&c, "e2e-transcript-failed-ko.png").await;
    c.close().await.unwrap();
}
