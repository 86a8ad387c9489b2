//! End to end in the real window: every screen, in English and in Korean, at the default
//! size and at the minimum window size (800×560). Each is photographed at both sizes into
//! test-artifacts/ (tour-<screen>-<lang>.png and -min.png, to be looked at), and at the
//! minimum size nothing may stick out of the window sideways: no horizontal scrolling, and
//! every visible heading, button and label inside the window's width.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::Command;

use rehearse_tests::window::*;
use rehearse_tests::*;

/// Nothing wider than the window: the page does not scroll sideways and every visible
/// heading, button and label lies inside the window's width; and a short heading or label
/// (up to 12 characters: "My stories", "내 스토리", "답변 언어") stays on one line. Returns true, or what is wrong.
const FITS_WIDTH: &str = "const w = window.innerWidth;
     if (document.documentElement.scrollWidth > w + 1) return `the page is ${document.documentElement.scrollWidth} px wide in ${w}`;
     const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
     const out = [...document.querySelectorAll('h1, h2, h3, button, label')].filter(e => {
       const r = e.getBoundingClientRect();
       return shown(e) && (r.left < -1 || r.right > w + 1);
     }).map(e => `${e.tagName} ${e.id || ''} \"${e.textContent.trim().slice(0, 30)}\" sticks out`);
     const wrapped = [...document.querySelectorAll('h1, h2, label > span')].filter(e => {
       const text = e.textContent.trim();
       const size = parseFloat(getComputedStyle(e).fontSize);
       return shown(e) && text.length > 0 && text.length <= 12 && e.getBoundingClientRect().height > size * 2;
     }).map(e => `${e.tagName} ${e.id || ''} \"${e.textContent.trim()}\" wraps`);
     const wrong = out.concat(wrapped);
     return wrong.length === 0 ? true : wrong.join(', ');";

fn record_take(mic: &VirtualMic, data: &std::path::Path, question: &str) {
    let mut cmd = Command::new(bin("rehearse-cli"));
    cmd.arg("--data-dir").arg(data).args(["record", "--question", question, "--seconds", "3"]);
    mic.apply(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Opens a screen with `key`, waits until `open` holds, photographs it at both sizes as
/// tour-`name`-`lang` and checks the minimum size.
async fn open_and_shoot(c: &Client, lang: &str, name: &str, key: char, open: &str) {
    press(c, key).await;
    wait_for(c, &format!("the {name} screen ({lang})"), 10, open).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // let late parts (charts, waveforms) draw
    shots(c, &format!("tour-{name}-{lang}"), Some(FITS_WIDTH)).await;
}

/// Leaves a screen with Esc (a few times, for screens that first leave a field) until `closed` holds.
async fn leave(c: &Client, name: &str, closed: &str) {
    for _ in 0..3 {
        if js(c, closed).await == serde_json::Value::Bool(true) {
            return;
        }
        press(c, ESCAPE).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    wait_for(c, &format!("the {name} screen to close"), 5, closed).await;
}

async fn visit(c: &Client, lang: &str, name: &str, key: char, open: &str, closed: &str) {
    open_and_shoot(c, lang, name, key, open).await;
    leave(c, name, closed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_in_english_and_korean_fits_the_minimum_window_and_is_photographed_at_both_sizes() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "I took ownership of the outage review and published it the next morning.");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    record_take(&mic, &data, "lp.unhappy-customer");
    record_take(&mic, &data, "lp.unhappy-customer");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    let main = "return document.getElementById('review-view').hidden && document.getElementById('practice-view').hidden && document.getElementById('call-view').hidden && document.getElementById('help').hidden && document.getElementById('mic-panel').hidden && (document.getElementById('stories-view')?.hidden ?? true)";
    for lang in ["en", "ko"] {
        if lang == "ko" {
            press(&c, 'l').await;
            wait_for(&c, "the Korean window", 5, "return document.documentElement.lang === 'ko'").await;
        }
        wait_for(&c, "the question screen", 5, main).await;
        shots(&c, &format!("tour-questions-{lang}"), Some(FITS_WIDTH)).await;
        visit(&c, lang, "help", '?', "return !document.getElementById('help').hidden", "return document.getElementById('help').hidden")
            .await;
        visit(
            &c,
            lang,
            "mic",
            'm',
            "return !document.getElementById('mic-panel').hidden",
            "return document.getElementById('mic-panel').hidden",
        )
        .await;
        visit(&c, lang, "practice", 's', "return !document.getElementById('practice-view').hidden", main).await;
        visit(&c, lang, "stories", 'b', "return document.getElementById('stories-view')?.hidden === false", main).await;
        visit(&c, lang, "call", 'c', "return !document.getElementById('call-view').hidden", main).await;
        // Review, and the screens inside it.
        press(&c, 'r').await;
        wait_for(
            &c,
            "the review list",
            10,
            "return document.querySelectorAll('#lib-list .lib-row').length === 2 && !document.getElementById('detail').hidden",
        )
        .await;
        wait_for(&c, "the waveform", 10, "return document.getElementById('d-wave').dataset.drawnPeak !== undefined").await;
        shots(&c, &format!("tour-review-{lang}"), Some(FITS_WIDTH)).await;
        let in_review = "return !document.getElementById('review-view').hidden && document.getElementById('compare').hidden && document.getElementById('progress').hidden";
        visit(
            &c,
            lang,
            "compare",
            'c',
            "return !document.getElementById('compare').hidden && document.getElementById('cmp-b-wave').dataset.drawnPeak !== undefined",
            in_review,
        )
        .await;
        let charts = "return !document.getElementById('progress').hidden && document.querySelectorAll('#pg-charts .uplot').length > 0";
        open_and_shoot(&c, lang, "progress", 'g', charts).await;
        // The charts' ticks as drawn: the unit on each value tick in the UI's language
        // (no label turned on its side), and no time written twice side by side.
        let ticks = js(&c, "return [...document.querySelectorAll('#pg-charts .uplot')].map(u => [u.querySelector('.u-title').textContent, u.dataset.xTicks, u.dataset.yTicks])").await;
        let second = if lang == "ko" { "초" } else { " s" };
        let mut lengths = 0;
        for chart in ticks.as_array().unwrap() {
            let (title, x, y) = (chart[0].as_str().unwrap(), chart[1].as_str().unwrap(), chart[2].as_str().unwrap());
            let xs: Vec<&str> = x.split('|').collect();
            assert!(xs.windows(2).all(|w| w[0].is_empty() || w[0] != w[1]), "{title}: a time written twice: {x}");
            if title == "Answer length" || title == "답변 길이" {
                lengths += 1;
                assert!(y.split('|').all(|t| t.ends_with(second)), "{title}: seconds on every tick: {y}");
            }
        }
        assert_eq!(lengths, 1, "the answer-length chart is drawn: {ticks}");
        leave(&c, "progress", in_review).await;
        press(&c, ESCAPE).await;
        wait_for(&c, "back from review", 5, main).await;
    }
    c.close().await.unwrap();
}
