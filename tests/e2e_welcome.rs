//! End to end in the real window: the first-launch welcome (issue 14) and the mic check's
//! live meter. Xvfb + tauri-driver, the app as built, the virtual microphone fed with
//! espeak-ng speech, a real SQLite file.
#![allow(clippy::unwrap_used)]
// One app and one sound server at a time (see e2e_firsthour.rs).
#![allow(clippy::await_holding_lock)]

use std::path::Path;

use rehearse_tests::window::*;
use rehearse_tests::*;

fn setting(data: &Path, key: &str) -> Option<String> {
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    db.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).ok()
}

/// Words of Latin letters in the welcome's visible text that are not names or keys.
const ENGLISH_WORDS: &str =
    "const allowed = new Set(['Rehearse', 'English', 'Esc', 'Enter', 'YYYY', 'MM', 'DD', 'S', 'R', 'C', 'G', 'L', 'M', 'W']);
     const text = document.getElementById('welcome').innerText;
     return (text.match(/[A-Za-z]+/g) || []).filter(w => !allowed.has(w));";

/// The dialog's title and its Start button are inside the window (nothing cut off).
const FITS: &str = "const h = window.innerHeight, w = window.innerWidth;
     const t = document.getElementById('welcome-title').getBoundingClientRect();
     const b = document.getElementById('welcome-start').getBoundingClientRect();
     return t.top >= 0 && b.bottom <= h && b.right <= w && b.height > 0";

/// The mic check's title and its test button are inside the window.
const MIC_FITS: &str = "const h = window.innerHeight;
     const t = document.getElementById('mic-title').getBoundingClientRect();
     const b = document.getElementById('mic-test-btn').getBoundingClientRect();
     return t.top >= 0 && b.bottom <= h && b.height > 0";

const LIVE_METER: &str = "const m = document.getElementById('mic-meter');
     return m.dataset.live === 'true' && parseFloat(document.getElementById('mic-meter-rms').style.width) > 10";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_welcome_greets_a_korean_user_once_esc_skips_it_and_question_mark_w_brings_it_back() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Testing one two three");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    // A Korean desktop: the system's language, nothing chosen in the app yet.
    env.push(("LANG".into(), "ko_KR.UTF-8".into()));
    env.push(("LANGUAGE".into(), "ko".into()));

    let (driver, c) = launch_keeping_welcome(&env).await;
    assert_eq!(js(&c, WELCOME_OPEN).await, true, "the welcome is shown on the first launch");
    assert_eq!(js(&c, "return document.getElementById('welcome-title').textContent").await, "Rehearse에 오신 것을 환영합니다");
    assert_eq!(js(&c, "return document.documentElement.lang").await, "ko");
    assert_eq!(js(&c, ENGLISH_WORDS).await, serde_json::json!([]), "no English left in the Korean welcome");
    let steps = js(&c, "return [...document.querySelectorAll('#welcome h3')].map(h => h.textContent)").await;
    assert_eq!(steps, serde_json::json!(["1. 언어", "2. 마이크", "3. 면접 날짜 (알고 있다면)", "4. 여기서 할 수 있는 것"]));
    assert_eq!(js(&c, "return document.querySelectorAll('#welcome-what dd').length").await, 4, "practice, review, mock call, progress");
    shots(&c, "e2e-welcome-ko", Some(FITS)).await;

    // The microphone step: M opens the mic check over the welcome; the meter moves at once.
    press(&c, 'm').await;
    wait_for(&c, "the mic check over the welcome", 5, "return !document.getElementById('mic-panel').hidden").await;
    wait_for(&c, "the live meter to move with no button pressed", 5, LIVE_METER).await;
    assert_eq!(js(&c, "return document.getElementById('mic-live').textContent").await, "실시간: 지금 막대가 목소리를 따라 움직입니다.");
    shots(&c, "e2e-welcome-mic-ko", Some(MIC_FITS)).await;
    click(&c, "#mic-test-btn").await;
    wait_for(&c, "the 3 s test heard back", 15, "return document.getElementById('mic-status').dataset.phase === 'done'").await;
    let status = js(&c, "return document.getElementById('mic-status').textContent").await;
    assert!(status.as_str().unwrap().starts_with("완료."), "{status}");
    wait_for(&c, "the live meter again after the test", 5, LIVE_METER).await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the mic check to close", 5, "return document.getElementById('mic-panel').hidden").await;
    assert_eq!(js(&c, WELCOME_OPEN).await, true, "Esc closed only the mic check, the welcome is still there");

    // The date step: D goes to the field; a passed date is refused in Korean, a good one saved.
    press(&c, 'd').await;
    wait_for(&c, "the date field focused", 3, "return document.activeElement.id === 'welcome-date'").await;
    c.find(fantoccini::Locator::Id("welcome-date")).await.unwrap().send_keys("2020-01-01").await.unwrap();
    press(&c, ENTER).await;
    wait_for(&c, "the refusal", 5, "return document.getElementById('welcome-date-msg').dataset.ok === 'false'").await;
    let msg = js(&c, "return document.getElementById('welcome-date-msg').textContent").await;
    assert!(msg.as_str().unwrap().contains("이미 지난 날짜"), "{msg}");
    assert_eq!(setting(&data, "interview_date"), None, "a passed date is not stored");
    let soon = js(
        &c,
        "const d = new Date(Date.now() + 30 * 86400000); const p = n => String(n).padStart(2, '0');
         return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`",
    )
    .await;
    let soon = soon.as_str().unwrap().to_string();
    let field = c.find(fantoccini::Locator::Id("welcome-date")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&soon).await.unwrap();
    press(&c, ENTER).await;
    wait_for(&c, "the date saved", 5, "return document.getElementById('welcome-date-msg').dataset.ok === 'true'").await;
    assert_eq!(setting(&data, "interview_date").as_deref(), Some(soon.as_str()));

    // Esc skips the rest, for good in this data folder.
    press(&c, ESCAPE).await;
    wait_for(&c, "the welcome to close", 5, &format!("return !({})", WELCOME_OPEN.trim_start_matches("return "))).await;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while setting(&data, "welcome_seen").as_deref() != Some("true") {
        assert!(std::time::Instant::now() < until, "welcome_seen was not stored");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(js(&c, "return document.getElementById('question-list').children.length > 0").await, true, "the main screen");
    c.close().await.unwrap();
    drop(driver);

    // The next launch goes straight to the main screen.
    let (_driver, c) = launch_keeping_welcome(&env).await;
    assert_eq!(js(&c, WELCOME_OPEN).await, false, "not shown again on the next launch");
    assert_eq!(js(&c, "return document.documentElement.lang").await, "ko");

    // ? then W shows it again; L switches it (and the app) to English; Enter finishes it.
    press(&c, '?').await;
    wait_for(&c, "the shortcut list", 5, "return !document.getElementById('help').hidden").await;
    assert_eq!(js(&c, "return document.getElementById('help-welcome').textContent").await, "환영 화면과 첫 단계 (W)");
    press(&c, 'w').await;
    wait_for(&c, "the welcome from the shortcut list", 5, WELCOME_OPEN).await;
    assert_eq!(js(&c, "return document.getElementById('help').hidden").await, true);
    assert_eq!(js(&c, "return document.getElementById('welcome-date').value").await, serde_json::json!(soon), "the saved date is shown");
    press(&c, 'l').await;
    wait_for(&c, "the English welcome", 5, "return document.getElementById('welcome-title').textContent === 'Welcome to Rehearse'").await;
    assert_eq!(js(&c, "return document.querySelector('.welcome-lang[data-lang=en]').getAttribute('aria-pressed')").await, "true");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while setting(&data, "ui_language").as_deref() != Some("en") {
        assert!(std::time::Instant::now() < until, "the chosen language was not stored");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    shots(&c, "e2e-welcome-en", Some(FITS)).await;
    press(&c, ENTER).await;
    wait_for(&c, "Enter to finish the welcome", 5, &format!("return !({})", WELCOME_OPEN.trim_start_matches("return "))).await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mic_checks_meter_moves_as_soon_as_the_check_opens_and_stops_listening_when_it_closes() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Testing one two three");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    press(&c, 'm').await;
    wait_for(&c, "the mic check panel", 5, "return !document.getElementById('mic-panel').hidden").await;
    wait_for(&c, "the meter to move before anything is pressed", 5, LIVE_METER).await;
    assert_eq!(js(&c, "return document.getElementById('mic-status').dataset.phase || ''").await, "", "no 3 s test was started");
    let dbfs = js(&c, "return document.querySelector('.mic-dbfs').textContent").await;
    assert!(dbfs.as_str().unwrap().contains("dBFS: decibels below the loudest"), "dBFS is explained: {dbfs}");
    shots(&c, "e2e-mic-live-en", Some(MIC_FITS)).await;
    assert!(data.join("mic-listen.wav.partial").exists() || data.join("mic-listen.wav").exists(), "the meter listens");
    press(&c, ESCAPE).await;
    wait_for(&c, "the panel to close", 5, "return document.getElementById('mic-panel').hidden").await;
    // Closing stops the listening (its scratch file removed) and a recording may start at once.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while data.join("mic-listen.wav.partial").exists() || data.join("mic-listen.wav").exists() {
        assert!(std::time::Instant::now() < until, "the meter's scratch file is still there after the panel closed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Again in Korean: the device list names devices and their formats in Korean, with
    // no ALSA or cpal English (the raw name stays in the option's tooltip).
    press(&c, 'l').await;
    wait_for(&c, "the Korean window", 5, "return document.documentElement.lang === 'ko'").await;
    press(&c, 'm').await;
    wait_for(&c, "the mic check panel again", 5, "return !document.getElementById('mic-panel').hidden").await;
    wait_for(&c, "the meter to move again", 5, LIVE_METER).await;
    let options = "return [...document.querySelectorAll('#input-select option, #output-select option')].map(o => o.textContent)";
    wait_for(&c, "both device lists", 10, &format!("{options}.length > 3")).await;
    let texts: Vec<String> = js(&c, options).await.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert!(texts.iter().any(|t| t.contains("채널, ") && t.contains("Hz")), "formats in Korean: {texts:?}");
    assert!(texts.iter().all(|t| !t.contains(" ch,") && !t.contains("unusable") && !t.contains("System default")), "{texts:?}");
    shots(&c, "e2e-mic-live-ko", Some(MIC_FITS)).await;
    press(&c, ESCAPE).await;
    // Straight from the open check to a recording: the listening never refuses it.
    press_space(&c).await;
    wait_for(&c, "recording", 5, "return document.body.dataset.recording === 'true'").await;
    assert_eq!(js(&c, "return document.getElementById('error-banner').hidden").await, true, "no busy error");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await; // long enough to be kept
    press_space(&c).await;
    wait_for(&c, "the take saved", 10, "return document.querySelectorAll('#takes .take').length === 1").await;
    c.close().await.unwrap();
}

/// Three technical questions with a 1 s think time; the first has a 3 s answer limit, the
/// others 8 s (room to stop them early on a loaded machine).
const TWO_QUESTIONS: &str = r#"format = 1
[deck]
id = "wf"
name = { en = "Finish", ko = "마무리" }
languages = ["en", "ko"]

[[questions]]
id = "wf.isolation"
category = "technical"
think_secs = 1
answer_secs = 3
text = { en = "Name the four isolation levels.", ko = "네 가지 격리 수준을 말해 보세요." }

[[questions]]
id = "wf.deadlock"
category = "technical"
think_secs = 1
answer_secs = 8
text = { en = "What is a deadlock?", ko = "교착 상태란 무엇인가요?" }

[[questions]]
id = "wf.mvcc"
category = "technical"
think_secs = 1
answer_secs = 3
text = { en = "What is MVCC?", ko = "MVCC란 무엇인가요?" }
"#;

fn rated(n: u8) -> String {
    format!("return document.querySelector('#s-review .rate-btn[data-rating=\"{n}\"]').getAttribute('aria-pressed') === 'true'")
}

fn phase_is(p: &str) -> String {
    format!("return document.getElementById('s-phase').dataset.phase === '{p}'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_korean_session_summary_plays_takes_marks_time_up_names_the_next_review_and_links_to_review() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Serializable prevents every anomaly");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let deck = tmp.path().join("wf.toml");
    std::fs::write(&deck, TWO_QUESTIONS).unwrap();
    let out = std::process::Command::new(bin("rehearse-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args(["deck", "import", deck.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (driver, c) = launch(&env).await;
    press(&c, 'l').await;
    wait_for(&c, "the Korean UI", 5, "return document.documentElement.lang === 'ko'").await;
    press(&c, 's').await;
    wait_for(&c, "the practice setup", 5, "return !document.getElementById('practice-setup').hidden").await;
    press(&c, END).await;
    wait_for(&c, "the wf deck", 5, "return document.querySelector('#deck-list [aria-selected=true]').dataset.deck === 'wf'").await;
    // Unchecked checkboxes are drawn as empty boxes (not WebKit's bullet-like default).
    let boxed = js(
        &c,
        "const s = getComputedStyle(document.getElementById('p-overtime'));
         return [s.appearance || s.webkitAppearance, s.borderTopStyle, parseFloat(s.borderTopWidth) >= 2, parseFloat(s.width) >= 14]",
    )
    .await;
    assert_eq!(boxed, serde_json::json!(["none", "solid", true, true]), "the overtime checkbox is an outlined box");
    let field = c.find(fantoccini::Locator::Id("p-count")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("2").await.unwrap();
    screenshot(&c, "e2e-welcome-setup-ko.png").await;
    press(&c, ENTER).await;

    // First question: runs to its 3 s limit (time up); second: stopped early by Space.
    wait_for(&c, "think time", 5, &phase_is("think")).await;
    wait_for(&c, "the automatic stop at the limit", 10, &phase_is("review")).await;
    assert_eq!(js(&c, "return document.getElementById('s-countdown').dataset.timeUp").await, "true");
    let cd = js(&c, "return document.getElementById('s-countdown').textContent").await;
    assert!(cd.as_str().unwrap().contains("시간 종료"), "{cd}");
    press(&c, '3').await;
    wait_for(&c, "the rating", 5, &rated(3)).await;
    press(&c, ENTER).await;
    wait_for(&c, "the second answer", 10, &phase_is("answer")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    press_space(&c).await;
    wait_for(&c, "the second take saved", 10, &phase_is("review")).await;
    let cd = js(&c, "return document.getElementById('s-countdown').textContent").await;
    assert_eq!(
        js(&c, "return document.getElementById('s-countdown').dataset.timeUp").await,
        "false",
        "stopped by the user: no mark ({cd})"
    );
    press(&c, '4').await;
    wait_for(&c, "the rating", 5, &rated(4)).await;
    press(&c, ENTER).await;
    wait_for(&c, "the summary", 10, "return !document.getElementById('practice-summary').hidden").await;

    assert_eq!(js(&c, "return document.querySelectorAll('#sum-rows .sum-play').length").await, 2, "a ▶ per take");
    assert_eq!(
        js(&c, "return [...document.querySelectorAll('#sum-rows tr')].map(r => r.querySelectorAll('.time-up').length)").await,
        serde_json::json!([1, 0]),
        "the take stopped at the limit is marked"
    );
    assert_eq!(js(&c, "return document.querySelector('#sum-rows .time-up').textContent").await, "시간 종료");
    wait_for(&c, "the next review days", 5, "return [...document.querySelectorAll('.sum-next')].every(c => c.textContent.includes('월'))")
        .await;
    assert_eq!(js(&c, "return document.querySelector('#practice-summary thead').innerText.includes('다음 복습')").await, true);
    shots(&c, "e2e-welcome-summary-ko", None).await;
    press_space(&c).await;
    wait_for(&c, "the first take playing", 5, "return document.querySelector('.sum-play').dataset.playing === 'true'").await;
    assert!(js(&c, "return document.querySelector('.sum-play').textContent").await.as_str().unwrap().starts_with('■'));
    wait_for(&c, "the 3 s take to play to its end", 8, "return document.querySelector('.sum-play').dataset.playing === 'false'").await;
    press(&c, 'r').await;
    wait_for(&c, "review, from the summary", 5, "return !document.getElementById('review-view').hidden").await;

    // Progress on the first day of principles: what to practise next, not a ⚠ on each one.
    press(&c, 'g').await;
    wait_for(&c, "the principle grid", 10, "return document.querySelectorAll('#pg-grid tr').length > 0").await;
    assert_eq!(js(&c, "return document.querySelectorAll('#pg-grid tr[data-weak=true]').length").await, 0, "no wall of warnings");
    assert_eq!(js(&c, "return document.querySelectorAll('#pg-grid tr[data-next=true]').length").await, 1, "one principle to practise next");
    let next = js(&c, "return document.getElementById('pg-next').textContent").await;
    assert!(next.as_str().unwrap().starts_with("아직 연습한 것이 없습니다. 다음 연습: "), "{next}");
    c.execute("const s = document.getElementById('pg-scope'); s.value = 'deck:wf'; s.dispatchEvent(new Event('change'));", vec![])
        .await
        .unwrap();
    wait_for(&c, "the charts of the wf deck", 15, "return document.querySelectorAll('#pg-charts .uplot').length >= 4").await;
    // At the minimum size nothing runs off the side: the charts go under the grid.
    shots(
        &c,
        "e2e-welcome-progress-ko",
        Some(
            "const p = document.getElementById('progress');
             const charts = [...document.querySelectorAll('#pg-charts .uplot')].map(e => e.getBoundingClientRect().right);
             return p.scrollWidth <= p.clientWidth + 1 && charts.length >= 4 && Math.max(...charts) <= window.innerWidth",
        ),
    )
    .await;
    c.close().await.unwrap();
    drop(driver);

    // The count asked for is remembered by the next launch's setup.
    let (_driver, c) = launch(&env).await;
    press(&c, 's').await;
    wait_for(&c, "the practice setup", 5, "return !document.getElementById('practice-setup').hidden").await;
    assert_eq!(js(&c, "return document.getElementById('p-count').value").await, "2", "the question count is remembered");
    c.close().await.unwrap();
}
