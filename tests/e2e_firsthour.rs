//! End to end in the real window: what a new user met in the first hour (issue 14's
//! walk-through), each as the test that would have caught it. Xvfb + tauri-driver, the app
//! as built, the virtual microphone (fed with espeak-ng speech, or left silent), a real
//! SQLite file.
//!
//! Length: one test per thing a new user met in the first hour, sharing the window's set-up.
#![allow(clippy::unwrap_used)]
// One app and one sound server at a time: each test holds the serial lock for its whole
// run; every test has its own runtime, so the guard held across awaits cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rehearse_tests::window::*;
use rehearse_tests::*;

/// One technical question with a short think time and an answer limit of `answer` seconds.
fn deck(answer: u32) -> String {
    format!(
        r#"format = 1
[deck]
id = "fh"
name = {{ en = "First hour", ko = "첫 시간" }}
languages = ["en", "ko"]

[[questions]]
id = "fh.isolation"
category = "technical"
think_secs = 1
answer_secs = {answer}
retakes = 2
text = {{ en = "Name the four isolation levels.", ko = "네 가지 격리 수준을 말해 보세요." }}
key_points.en = ["Read uncommitted", "Read committed", "Repeatable read", "Serializable"]
key_points.ko = ["커밋되지 않은 읽기", "커밋된 읽기", "반복 가능한 읽기", "직렬화 가능"]
"#
    )
}

fn cli(data: &Path, args: &[&str]) {
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap();
    assert!(out.status.success(), "rehearse-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A data folder with the one-question deck imported, and the window's environment for it.
fn practice_setup(tmp: &Path, mic: &VirtualMic, answer: u32) -> (PathBuf, Vec<(String, String)>) {
    let data = tmp.join("data");
    let file = tmp.join("fh.toml");
    std::fs::write(&file, deck(answer)).unwrap();
    cli(&data, &["deck", "import", file.to_str().unwrap()]);
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    (data, env)
}

fn phase_is(p: &str) -> String {
    format!("return document.getElementById('s-phase').dataset.phase === '{p}'")
}

/// Opens practice on the imported deck (listed last) and starts it.
async fn start_practice(c: &Client) {
    press(c, 's').await;
    wait_for(c, "the practice setup", 5, "return !document.getElementById('practice-setup').hidden").await;
    press(c, END).await;
    wait_for(c, "the fh deck", 5, "return document.querySelector('#deck-list [aria-selected=true]').dataset.deck === 'fh'").await;
    press(c, ENTER).await;
    wait_for(c, "think time", 5, &phase_is("think")).await;
}

/// True when the element is shown and is what the user sees at its centre (not covered).
fn on_top(id: &str) -> String {
    format!(
        "const el = document.getElementById('{id}'); if (!el || el.hidden) return false;
         const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) return false;
         const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
         return el.contains(hit);"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muted_microphone_is_shown_on_top_of_the_practice_session_and_gone_once_recording_ends() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic")); // nothing fed: a muted microphone
    let (_data, env) = practice_setup(tmp.path(), &mic, 6);
    let (_driver, c) = launch(&env).await;

    start_practice(&c).await;
    wait_for(&c, "the answer", 5, &phase_is("answer")).await;
    assert_eq!(js(&c, "return document.getElementById('s-silent').hidden").await, true, "no warning before 3 s of silence");
    wait_for(&c, "the no-input warning, visible on top of the session", 6, &on_top("s-silent")).await;
    let text = js(&c, "return document.getElementById('s-silent').textContent").await;
    assert!(text.as_str().unwrap().contains("No input"), "{text}");
    assert_eq!(js(&c, "return document.getElementById('error-banner').hidden").await, true, "not in the main window's banner");
    screenshot(&c, "e2e-fh-silent-en.png").await;
    wait_for(&c, "the automatic stop", 6, &phase_is("review")).await;
    assert_eq!(js(&c, "return document.getElementById('s-silent').hidden").await, true, "gone when recording ends");
    press(&c, ESCAPE).await;
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    press(&c, ENTER).await;
    wait_for(&c, "the main window", 5, "return document.getElementById('practice-view').hidden").await;
    assert_eq!(
        js(&c, "return [document.getElementById('error-banner').hidden, document.getElementById('warning-banner').hidden]").await,
        serde_json::json!([true, true]),
        "nothing stale on the main screen"
    );

    // The same in Korean.
    press(&c, 'l').await;
    start_practice(&c).await;
    wait_for(&c, "the answer", 5, &phase_is("answer")).await;
    wait_for(&c, "the Korean no-input warning", 6, &on_top("s-silent")).await;
    let text = js(&c, "return document.getElementById('s-silent').textContent").await;
    assert!(text.as_str().unwrap().contains("입력 없음"), "{text}");
    screenshot(&c, "e2e-fh-silent-ko.png").await;
    wait_for(&c, "the automatic stop", 6, &phase_is("review")).await;
    assert_eq!(js(&c, "return document.getElementById('s-silent').hidden").await, true);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_during_a_practice_answer_asks_first_and_a_second_esc_keeps_the_answer_and_ends() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Read committed is the default in Oracle and PostgreSQL");
    mic.feed_loop(&speech_raw);
    let (data, env) = practice_setup(tmp.path(), &mic, 30);
    let (_driver, c) = launch(&env).await;

    start_practice(&c).await; // the think time is 1 s
    wait_for(&c, "the answer", 5, &phase_is("answer")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the question", 2, "return document.getElementById('s-hint').dataset.armed === 'true'").await;
    let hint = js(&c, "return document.getElementById('s-hint').textContent").await;
    assert!(hint.as_str().unwrap().contains("Esc again"), "{hint}");
    screenshot(&c, "e2e-fh-esc-en.png").await;
    // One Esc alone ends nothing: after 3 s the question goes away and recording goes on.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    assert_eq!(js(&c, "return document.getElementById('s-phase').dataset.phase").await, "answer");
    assert_eq!(js(&c, "return document.getElementById('s-hint').dataset.armed").await, "false");
    assert!(db_takes(&data).is_empty(), "still recording");
    // Two Esc within 3 s: the answer is kept and the session ends.
    press(&c, ESCAPE).await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    let takes = db_takes(&data);
    assert_eq!(takes.len(), 1, "the answer is kept: {takes:?}");
    assert!(takes[0].2 >= 5000, "the whole answer so far is kept: {} ms", takes[0].2);
    press(&c, ENTER).await;

    // In Korean the question is asked in Korean.
    press(&c, 'l').await;
    start_practice(&c).await;
    wait_for(&c, "the answer", 5, &phase_is("answer")).await;
    // Some speech first: an answer stopped before any was heard is not a take.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the question", 2, "return document.getElementById('s-hint').dataset.armed === 'true'").await;
    let hint = js(&c, "return document.getElementById('s-hint').textContent").await;
    assert!(hint.as_str().unwrap().contains("Esc를 한 번 더"), "{hint}");
    screenshot(&c, "e2e-fh-esc-ko.png").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    assert_eq!(db_takes(&data).len(), 2);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_take_is_heard_in_the_rating_step_with_p_or_space_as_in_review() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Serializable prevents every anomaly");
    mic.feed_loop(&speech_raw);
    let (data, env) = practice_setup(tmp.path(), &mic, 3);
    let (_driver, c) = launch(&env).await;

    start_practice(&c).await;
    wait_for(&c, "the automatic stop", 10, &phase_is("review")).await;
    mic.stop_feed();
    assert_eq!(js(&c, "return document.getElementById('s-play').disabled").await, false);
    press(&c, 'p').await;
    wait_for(&c, "playback", 5, "return document.getElementById('s-play').dataset.playing === 'true'").await;
    screenshot(&c, "e2e-fh-practice-play-en.png").await;
    wait_for(&c, "the 3 s take to play to its end", 8, "return document.getElementById('s-play').dataset.playing === 'false'").await;
    press_space(&c).await; // Space plays, as in review
    wait_for(&c, "playback by Space", 5, "return document.getElementById('s-play').dataset.playing === 'true'").await;
    press_space(&c).await; // and stops
    wait_for(&c, "stopped by Space", 5, "return document.getElementById('s-play').dataset.playing === 'false'").await;
    assert_eq!(js(&c, "return document.getElementById('s-phase').dataset.phase").await, "review", "Space did not move on");
    press(&c, '3').await;
    wait_for(
        &c,
        "the rating",
        5,
        "return document.querySelector('#s-review .rate-btn[data-rating=\"3\"]').getAttribute('aria-pressed') === 'true'",
    )
    .await;
    press(&c, ENTER).await;
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    assert_eq!(db_takes(&data).len(), 1);
    press(&c, ENTER).await;

    press(&c, 'l').await;
    mic.feed_loop(&speech_raw);
    start_practice(&c).await;
    wait_for(&c, "the automatic stop", 10, &phase_is("review")).await;
    assert_eq!(js(&c, "return document.querySelector('#s-play span').textContent").await, "내 답변 듣기");
    screenshot(&c, "e2e-fh-practice-play-ko.png").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blind_re_rate_after_a_practice_session_starts_with_nothing_selected_and_rates_only_itself() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "I owned the outage review and published it the next morning.");
    mic.feed_loop(&speech_raw);
    let (data, env) = practice_setup(tmp.path(), &mic, 3);
    // An older take rated Hard more than a day ago: the one blind re-rate offers.
    let mut rec = Command::new(bin("rehearse-cli"));
    rec.arg("--data-dir").arg(&data).args(["record", "--question", "lp.unhappy-customer", "--seconds", "2"]);
    mic.apply(&mut rec);
    assert!(rec.output().unwrap().status.success());
    cli(&data, &["rate", "1", "--rating", "hard"]);
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    db.execute("UPDATE takes SET started_at = '2026-01-02T10:00:00.000Z', rated_at = '2026-01-02T10:05:00.000Z'", []).unwrap();
    drop(db);
    let (_driver, c) = launch(&env).await;

    // A practice take rated Good: the practice screen's Good button is pressed.
    start_practice(&c).await;
    wait_for(&c, "the automatic stop", 10, &phase_is("review")).await;
    press(&c, '3').await;
    wait_for(
        &c,
        "the rating",
        5,
        "return document.querySelector('#s-review .rate-btn[data-rating=\"3\"]').getAttribute('aria-pressed') === 'true'",
    )
    .await;
    press(&c, ENTER).await;
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    press(&c, ENTER).await;

    press(&c, 'r').await;
    wait_for(&c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    press(&c, 'x').await;
    wait_for(&c, "blind re-rate", 5, "return !document.getElementById('blind').hidden").await;
    let pressed = "return [...document.querySelectorAll('#blind .rate-btn')].filter(b => b.getAttribute('aria-pressed') === 'true').map(b => b.dataset.rating)";
    assert_eq!(js(&c, pressed).await, serde_json::json!([]), "a blind re-rate starts with nothing selected");
    screenshot(&c, "e2e-fh-blind-en.png").await;
    click(&c, "#blind .rate-btn[data-rating='2']").await;
    wait_for(&c, "the blind result", 5, "return !document.getElementById('blind-result').hidden").await;
    assert_eq!(js(&c, pressed).await, serde_json::json!(["2"]));
    // The click rated the blind take only: the practice take keeps its Good.
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let practice: Option<i64> = db.query_row("SELECT rating FROM takes WHERE question_id = 'fh.isolation'", [], |r| r.get(0)).unwrap();
    assert_eq!(practice, Some(3), "the blind screen's button did not rate the practice take");
    let rerate: (i64, Option<i64>) =
        db.query_row("SELECT rating, previous_rating FROM rerates", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(rerate, (2, Some(2)));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shortcut_list_fits_a_760_px_window_scrolls_to_its_last_row_and_lists_each_key_once() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (_driver, c) = launch(&[data_env(&data)]).await;
    // No raw data path or question id on the main screen: they are in the list's about line.
    let main = js(&c, "return document.getElementById('app').innerText").await;
    assert!(!main.as_str().unwrap().contains(&data.display().to_string()), "the data path is not on the main screen");
    assert_eq!(js(&c, "return document.getElementById('question-id').textContent").await, "");
    let height = js(&c, "return window.innerHeight").await.as_i64().unwrap();
    assert!(height <= 760, "the default window is at most 760 px tall ({height})");
    for (lang, shot) in [("en", "e2e-fh-help-en.png"), ("ko", "e2e-fh-help-ko.png")] {
        if lang == "ko" {
            press(&c, 'l').await;
        }
        press(&c, '?').await;
        wait_for(&c, "the shortcut list", 5, "return !document.getElementById('help').hidden").await;
        let inside = "const h = window.innerHeight;
             const t = document.getElementById('help-title').getBoundingClientRect();
             const b = document.getElementById('help-close').getBoundingClientRect();
             return t.top >= 0 && b.bottom <= h && b.height > 0";
        assert_eq!(js(&c, inside).await, true, "{lang}: title and Close are inside the window");
        let about = js(&c, "return document.getElementById('help-about').textContent").await;
        assert!(about.as_str().unwrap().contains(&data.display().to_string()), "{lang}: the about line names the data folder: {about}");
        let scrolls = js(&c, "const s = document.getElementById('help-scroll'); return s.scrollHeight > s.clientHeight").await;
        assert_eq!(scrolls, true, "{lang}: the rows are taller than the window allows, so they scroll");
        screenshot(&c, shot).await;
        press(&c, END).await;
        let last_visible = "const s = document.getElementById('help-scroll').getBoundingClientRect();
             const rows = document.querySelectorAll('#help-table tr'); const r = rows[rows.length - 1].getBoundingClientRect();
             return r.bottom <= s.bottom + 1 && r.top >= s.top";
        wait_for(&c, "the last row scrolled into view by End", 3, last_visible).await;
        let keys = js(&c, "return [...document.querySelectorAll('#help-table tr td:first-child')].map(td => td.textContent)").await;
        let keys: Vec<String> = serde_json::from_value(keys).unwrap();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "{lang}: a key is listed twice: {keys:?}");
        press(&c, ESCAPE).await;
        wait_for(&c, "the list to close", 3, "return document.getElementById('help').hidden").await;
    }
    c.close().await.unwrap();
}

fn stored_date(data: &Path) -> Option<String> {
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    db.query_row("SELECT value FROM settings WHERE key = 'interview_date'", [], |r| r.get(0)).ok()
}

/// Types `text` into the (emptied) interview date field and presses Enter.
async fn type_date(c: &Client, text: &str) {
    // Emptied from the page: WebDriver's clear() fires a change, and an empty field saved is "no date".
    js(c, "document.getElementById('pg-date').value = ''; return true").await;
    let field = c.find(fantoccini::Locator::Id("pg-date")).await.unwrap();
    field.send_keys(text).await.unwrap();
    press(c, ENTER).await;
}

async fn open_progress(c: &Client) {
    press(c, 'r').await;
    wait_for(c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    press(c, 'g').await;
    wait_for(c, "the progress view", 5, "return !document.getElementById('progress').hidden").await;
    press(c, 'd').await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interview_date_is_typed_and_a_passed_or_absurd_date_is_refused_with_a_message() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (_driver, c) = launch(&[data_env(&data)]).await;
    let in_30_days = "const d = new Date(Date.now() + 30 * 86400000); const p = n => String(n).padStart(2, '0');
         return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`";
    let soon = js(&c, in_30_days).await.as_str().unwrap().to_string();
    let error_line = "return document.getElementById('pg-date-error').textContent";

    open_progress(&c).await;
    type_date(&c, "0001-01-01").await;
    wait_for(&c, "the refusal", 5, "return document.getElementById('pg-date-error').textContent.length > 0").await;
    let msg = js(&c, error_line).await;
    assert!(msg.as_str().unwrap().contains("already passed"), "{msg}");
    assert_eq!(stored_date(&data), None, "a passed date is not saved");
    assert_eq!(js(&c, "return document.getElementById('pg-countdown').textContent").await, "No interview date set");
    screenshot(&c, "e2e-fh-date-refused-en.png").await;
    type_date(&c, "next week").await;
    wait_for(&c, "the format message", 5, "return document.getElementById('pg-date-error').textContent.includes('YYYY-MM-DD')").await;
    type_date(&c, &soon).await;
    wait_for(&c, "the countdown", 5, "return document.getElementById('pg-countdown').textContent.includes('30 days')").await;
    assert_eq!(stored_date(&data).as_deref(), Some(soon.as_str()), "typed digits are taken");
    screenshot(&c, "e2e-fh-date-en.png").await;
    press(&c, ESCAPE).await; // closes progress (and leaves the date field)
    press(&c, ESCAPE).await; // closes review
    wait_for(&c, "the main screen", 5, "return document.getElementById('review-view').hidden").await;

    // Korean: a date absurdly far ahead is refused in Korean; the Korean spelling is taken.
    press(&c, 'l').await;
    wait_for(&c, "the Korean UI", 5, "return document.documentElement.lang === 'ko'").await;
    open_progress(&c).await;
    type_date(&c, "2926-01-01").await;
    wait_for(&c, "the refusal", 5, "return document.getElementById('pg-date-error').textContent.includes('2년')").await;
    assert_eq!(stored_date(&data).as_deref(), Some(soon.as_str()), "unchanged by a refused date");
    screenshot(&c, "e2e-fh-date-refused-ko.png").await;
    let korean = soon.replacen('-', ". ", 2) + ".";
    type_date(&c, &korean).await;
    wait_for(&c, "the saved line", 5, "return document.getElementById('pg-date-error').textContent.includes('저장')").await;
    assert_eq!(stored_date(&data).as_deref(), Some(soon.as_str()));
    assert!(js(&c, "return document.getElementById('pg-countdown').textContent").await.as_str().unwrap().contains("면접까지 30일"));
    c.close().await.unwrap();
}

/// A call whose intro leaves time after its one answer, then a technical part.
const LONG_INTRO: &str = r#"format = 1
[template]
id = "fh-call"
name = { en = "First-hour call (test)", ko = "첫 시간 면접 (테스트)" }

[[segments]]
id = "intro"
name = { en = "Intro", ko = "소개" }
interviewer = "A"
length_secs = 60
answer_secs = 30
questions = { ids = ["call.intro"] }

[[segments]]
id = "technical"
name = { en = "Technical", ko = "기술" }
interviewer = "B"
length_secs = 30
answer_secs = 10
questions = { ids = ["db.deadlock"] }
"#;

/// Opens the pre-flight and starts the long-intro call; returns once A has asked and the
/// answer clock runs.
async fn start_long_intro_call(c: &Client) {
    press(c, 'c').await;
    wait_for(
        c,
        "the pre-flight",
        5,
        "return !document.getElementById('call-preflight').hidden && document.querySelectorAll('#tpl-list li').length >= 2",
    )
    .await;
    for _ in 0..6 {
        if js(c, "return document.querySelector('#tpl-list [aria-selected=true]').dataset.template").await == "fh-call" {
            break;
        }
        press(c, ARROW_DOWN).await;
    }
    assert_eq!(js(c, "return document.querySelector('#tpl-list [aria-selected=true]').dataset.template").await, "fh-call");
    press(c, ENTER).await;
    wait_for(c, "the call to record", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
    wait_for(c, "the answer clock after A asked", 20, "return document.getElementById('answer-left').textContent !== ''").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn space_on_the_call_intro_ends_the_answer_says_when_the_next_part_starts_and_the_report_times_the_first_word_from_the_answer_clock()
{
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let answer = noisy_speech(tmp.path(), "I am a database engineer with ten years of experience");
    let data = tmp.path().join("data");
    let file = tmp.path().join("fh-call.toml");
    std::fs::write(&file, LONG_INTRO).unwrap();
    cli(&data, &["template", "import", file.to_str().unwrap()]);
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    let (_driver, c) = launch(&env).await;

    start_long_intro_call(&c).await;
    // Item 1 on the call screen: the muted microphone is told there, in the UI language,
    // and the warning goes once sound comes.
    wait_for(&c, "the no-input warning on the call screen", 8, &on_top("call-silent")).await;
    let text = js(&c, "return document.getElementById('call-silent').textContent").await;
    assert!(text.as_str().unwrap().starts_with("No input"), "{text}");
    assert_eq!(js(&c, "return document.getElementById('error-banner').hidden").await, true, "not the main window's banner");
    screenshot(&c, "e2e-fh-call-silent-en.png").await;
    // Silent while A asks; the candidate starts speaking once the answer clock runs.
    mic.feed_loop(&answer);
    wait_for(&c, "the warning to go with the voice", 5, "return document.getElementById('call-silent').hidden").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    press_space(&c).await;
    wait_for(&c, "the answer to end", 3, "return document.getElementById('caption').dataset.between === 'true'").await;
    // No live-looking answer countdown: it is gone, and the caption tells the wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(js(&c, "return document.getElementById('answer-left').textContent").await, "");
    let caption = js(&c, "return document.getElementById('caption').textContent").await.as_str().unwrap().to_string();
    assert!(caption.starts_with("Answer ended: the next part starts in 0:"), "{caption}");
    assert_eq!(js(&c, "return document.getElementById('call-segment').textContent").await, "Intro");
    screenshot(&c, "e2e-fh-call-between-en.png").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later = js(&c, "return document.getElementById('caption').textContent").await.as_str().unwrap().to_string();
    assert_ne!(later, caption, "the time to the next part counts down");
    press_space(&c).await; // goes on now
    wait_for(&c, "the technical part", 5, "return document.getElementById('call-segment').textContent === 'Technical'").await;
    wait_for(&c, "B's question", 10, "return document.getElementById('caption').dataset.between === 'false'").await;
    press(&c, ESCAPE).await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the report", 15, "return !document.getElementById('call-report').hidden").await;
    // Item 3: the report's time to first word runs from the answer clock. The take itself
    // starts with A asking (seconds of it), so its own figure is that much larger.
    wait_for(
        &c,
        "the intro's speech figures",
        20,
        "return (document.querySelector('.report-row[data-take-id] .report-info')?.textContent ?? '').includes('first word')",
    )
    .await;
    let figures = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const row = document.querySelector('.report-row[data-take-id]');
             window.__TAURI_INTERNALS__.invoke('take_metrics', { takeId: Number(row.dataset.takeId) })
               .then(m => done([row.querySelector('.report-info').textContent, m.time_to_first_word_ms]), e => done([String(e), null]));",
            vec![],
        )
        .await
        .unwrap();
    let info = figures[0].as_str().unwrap().to_string();
    let in_take = figures[1].as_f64().unwrap_or_else(|| panic!("the take holds speech: {figures}")) / 1000.0;
    let shown: f64 = info.split("first word ").nth(1).and_then(|r| r.split(" s").next()).and_then(|n| n.parse().ok()).unwrap();
    screenshot(&c, "e2e-fh-call-report-en.png").await;
    assert!(shown <= 2.0, "first word {shown} s after the answer clock (spoken from its start): {info}");
    assert!(in_take - shown >= 1.5, "the asking ({in_take} s into the take) is not counted: report says {shown} s");
    press(&c, ESCAPE).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('call-view').hidden").await;

    // In Korean.
    press(&c, 'l').await;
    start_long_intro_call(&c).await;
    press_space(&c).await;
    wait_for(&c, "the answer to end", 3, "return document.getElementById('caption').dataset.between === 'true'").await;
    wait_for(&c, "the Korean wait line", 2, "return document.getElementById('caption').textContent.startsWith('답변 끝: 0:')").await;
    assert_eq!(
        js(&c, "return [document.getElementById('call-silent').hidden, document.getElementById('error-banner').hidden]").await,
        serde_json::json!([true, true]),
        "nothing stale from the first call"
    );
    screenshot(&c, "e2e-fh-call-between-ko.png").await;
    press(&c, ESCAPE).await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the report", 15, "return !document.getElementById('call-report').hidden").await;
    c.close().await.unwrap();
}

/// The pre-flight's voice and microphone lines (the first and the third), as data-ok values.
async fn preflight_marks(c: &Client) -> (String, String) {
    let v = js(c, "const li = document.querySelectorAll('#preflight-checks li'); return [li[0].dataset.ok, li[2].dataset.ok]").await;
    (v[0].as_str().unwrap().to_string(), v[1].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_pre_flight_shows_a_tick_for_microphone_and_voices_only_after_really_trying_them() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    // No sound server at all: nothing may be called ready.
    let data = tmp.path().join("data");
    let mut env = no_microphone_env(tmp.path());
    env.push(data_env(&data));
    let (driver, c) = launch(&env).await;
    press(&c, 'c').await;
    wait_for(&c, "the pre-flight checks", 10, "return document.querySelectorAll('#preflight-checks li').length === 3").await;
    let marks = preflight_marks(&c).await;
    assert!(marks.0 != "true" && marks.1 != "true", "nothing checked yet, nothing ticked: {marks:?}");
    screenshot(&c, "e2e-fh-preflight-unchecked-en.png").await;
    press(&c, 'v').await; // the voices cannot be played without a sound server
    wait_for(&c, "the voice test to fail", 30, "return document.querySelector('#preflight-checks li').dataset.ok === 'false'").await;
    press(&c, 'm').await;
    wait_for(&c, "the mic panel", 5, "return !document.getElementById('mic-panel').hidden").await;
    click(&c, "#mic-test-btn").await;
    wait_for(&c, "the mic test to fail", 20, "return document.getElementById('mic-status').dataset.phase === 'failed'").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the microphone line to say so", 5, "return document.querySelectorAll('#preflight-checks li')[2].dataset.ok === 'false'")
        .await;
    screenshot(&c, "e2e-fh-preflight-failed-en.png").await;
    c.close().await.unwrap();
    drop(driver);

    // With a microphone that hears speech and a speaker: ticks after M and V, in Korean.
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Testing one two three");
    mic.feed_loop(&speech_raw);
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await;
    press(&c, 'c').await;
    wait_for(&c, "the pre-flight checks", 10, "return document.querySelectorAll('#preflight-checks li').length === 3").await;
    assert_eq!(preflight_marks(&c).await, ("unchecked".to_string(), "unchecked".to_string()));
    let line = js(&c, "return document.querySelectorAll('#preflight-checks li')[2].textContent").await;
    assert!(line.as_str().unwrap().contains("아직 확인하지 않음"), "{line}");
    press(&c, 'm').await;
    wait_for(&c, "the mic panel", 5, "return !document.getElementById('mic-panel').hidden").await;
    click(&c, "#mic-test-btn").await;
    wait_for(&c, "the 3 s test and its playback", 20, "return document.getElementById('mic-status').dataset.phase === 'done'").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the microphone tick", 5, "return document.querySelectorAll('#preflight-checks li')[2].dataset.ok === 'true'").await;
    press(&c, 'v').await;
    wait_for(&c, "the voices tick after playing them", 60, "return document.querySelector('#preflight-checks li').dataset.ok === 'true'")
        .await;
    screenshot(&c, "e2e-fh-preflight-checked-ko.png").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_recovery_the_banner_links_to_the_question_of_the_recovered_take() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Long running queries need old undo to stay around");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (driver, c) = launch(&env).await;
    press(&c, 'l').await; // remembered: the next start is in Korean
    click(&c, ".question-item[data-id='db.mvcc-mechanisms']").await;
    press_space(&c).await;
    wait_for(&c, "the recording state", 10, "return document.getElementById('rec-state').dataset.state === 'recording'").await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let pids = pids_of(&bin("rehearse"), &format!("REHEARSE_DATA_DIR={}", data.display()));
    assert_eq!(pids.len(), 1, "exactly one app process for this test: {pids:?}");
    assert!(Command::new("kill").args(["-KILL", &pids[0].to_string()]).status().unwrap().success());
    drop(c);
    drop(driver);

    let (_driver, c) = launch(&env).await;
    wait_for(&c, "the recovery notice", 30, "return !document.getElementById('warning-banner').hidden").await;
    let link =
        js(&c, "return [...document.querySelectorAll('#warning-links .banner-link')].map(b => [b.dataset.question, b.textContent])").await;
    let link: Vec<(String, String)> = serde_json::from_value(link).unwrap();
    assert_eq!(link.len(), 1, "{link:?}");
    assert_eq!(link[0].0, "db.mvcc-mechanisms");
    assert!(link[0].1.starts_with("이 질문으로: ") && link[0].1.contains("MVCC"), "{link:?}");
    screenshot(&c, "e2e-fh-recovered-ko.png").await;
    // Elsewhere first, then the link brings the question and its recovered take back.
    click(&c, ".question-item[data-id='db.deadlock']").await;
    wait_for(&c, "another question", 5, "return document.querySelector('.question-item[aria-selected=true]').dataset.id === 'db.deadlock'")
        .await;
    click(&c, "#warning-links .banner-link").await;
    wait_for(
        &c,
        "the linked question",
        5,
        "return document.querySelector('.question-item[aria-selected=true]').dataset.id === 'db.mvcc-mechanisms'",
    )
    .await;
    wait_for(&c, "its recovered take", 10, "return document.querySelectorAll('#takes .take-badge').length === 1").await;
    // Korean units beside it: seconds as 초.
    let dur = js(&c, "return document.querySelector('#takes .take-duration').textContent").await;
    assert!(dur.as_str().unwrap().ends_with('초'), "{dur}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_korean_deck_headings_deck_meta_and_the_chart_selector_show_names_not_ids() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (_driver, c) = launch(&[data_env(&data)]).await;
    press(&c, 'l').await;
    let headings = js(&c, "return [...document.querySelectorAll('#question-list .deck-heading')].map(h => h.textContent)").await;
    assert_eq!(headings, serde_json::json!(["데이터베이스", "리더십 원칙", "화상 면접"]), "deck names, not ids");
    screenshot(&c, "e2e-fh-main-ko.png").await;
    press(&c, 's').await;
    wait_for(&c, "the practice setup", 5, "return !document.getElementById('practice-setup').hidden").await;
    let meta = js(&c, "return document.querySelector('#deck-list .deck-meta').textContent").await;
    assert!(meta.as_str().unwrap().starts_with("질문 ") && !meta.as_str().unwrap().contains("databases"), "{meta}");
    press(&c, ESCAPE).await;
    open_progress(&c).await;
    let scopes = js(
        &c,
        "return [...document.querySelectorAll('#pg-scope optgroup')].slice(0, 2).flatMap(g => [...g.querySelectorAll('option')].map(o => o.textContent))",
    )
    .await;
    let scopes: Vec<String> = serde_json::from_value(scopes).unwrap();
    assert!(scopes.contains(&"데이터베이스".to_string()) && scopes.contains(&"고객 집착".to_string()), "{scopes:?}");
    assert!(scopes.iter().all(|s| !s.contains('-') && s != "databases"), "no deck id or tag shown: {scopes:?}");
    screenshot(&c, "e2e-fh-progress-ko.png").await;
    c.close().await.unwrap();
}
