//! End to end in the real window: the review screen. Two takes of a behavioural question
//! are recorded from the virtual microphone; the user rates one by keyboard, ticks key
//! points and STAR parts, writes a note, bookmarks a moment, plays at 1.5x, turns on skip
//! silences, compares the two takes and opens the progress view. The SQLite file must hold
//! exactly that.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::Command;
use std::time::Duration;

use rehearse_tests::window::*;
use rehearse_tests::*;

const QUESTION: &str = "lp.unhappy-customer";

fn record_take(mic: &VirtualMic, data: &std::path::Path) {
    let mut cmd = Command::new(bin("rehearse-cli"));
    cmd.arg("--data-dir").arg(data).args(["record", "--question", QUESTION, "--seconds", "3"]);
    mic.apply(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A virtual microphone saying `text` in a loop, and two 3 s takes of it recorded into a
/// data folder (takes 1 and 2). Bound in this order, the mic is dropped before its folder.
fn two_takes(text: &str) -> (tempfile::TempDir, VirtualMic, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), text);
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    record_take(&mic, &data);
    record_take(&mic, &data);
    (tmp, mic, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_is_rated_scored_noted_bookmarked_and_compared_by_keyboard_and_the_database_holds_exactly_that() {
    let _s = serial();
    let (_tmp, mic, data) = two_takes("The customer was unhappy because the migration ran late. I called them the same day.");
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    press(&c, 'r').await;
    wait_for(&c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    wait_for(&c, "two takes listed", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    wait_for(
        &c,
        "the waveform",
        5,
        "return document.querySelector('#d-wave').shadowRoot !== null || document.querySelector('#d-wave div') !== null",
    )
    .await;
    let newest: i64 =
        js(&c, "return Number(document.querySelector('#lib-list .lib-row[aria-selected=true]').dataset.takeId)").await.as_i64().unwrap();

    // Search narrows the list, in English and in Korean.
    press(&c, '/').await;
    c.active_element().await.unwrap().send_keys("no such question").await.unwrap();
    wait_for(&c, "an empty search", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 0").await;
    js(&c, "const s = document.getElementById('f-search'); s.value = ''; s.dispatchEvent(new Event('input')); return true").await;
    c.active_element().await.unwrap().send_keys("불만").await.unwrap();
    wait_for(&c, "the Korean search", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    press(&c, ESCAPE).await; // leaves the search box
    wait_for(&c, "the detail", 5, &format!("return document.querySelector('#detail').hidden === false && document.querySelector('#lib-list .lib-row[aria-selected=true]').dataset.takeId === '{newest}'")).await;

    // Rate Good with the key 3.
    press(&c, '3').await;
    wait_for(
        &c,
        "the rating",
        5,
        "return document.querySelector('#d-rating .rate-btn[data-rating=\"3\"]').getAttribute('aria-pressed') === 'true'",
    )
    .await;

    // P focuses the first key point; Space ticks; arrows walk down the rubric.
    press(&c, 'p').await;
    press_space(&c).await;
    press(&c, ARROW_DOWN).await;
    press(&c, ARROW_DOWN).await;
    press_space(&c).await;
    let key_points = js(&c, "return document.querySelectorAll('#d-keypoints .kp-box').length").await.as_i64().unwrap();
    assert_eq!(key_points, 6);
    for _ in 0..(key_points - 2) {
        press(&c, ARROW_DOWN).await; // on to Situation, after the last key point
    }
    press_space(&c).await;
    wait_for(&c, "the situation box", 5, "return document.getElementById('r-situation').checked").await;
    press(&c, ESCAPE).await; // leaves the rubric

    // N opens the note; Escape leaves it and saves.
    press(&c, 'n').await;
    c.active_element().await.unwrap().send_keys("Say the number first: 2 hours to fix").await.unwrap();
    press(&c, ESCAPE).await;
    wait_for(&c, "the note to be saved", 5, "return document.getElementById('d-saved').textContent !== ''").await;

    // 1.5x, play, bookmark the moment.
    press(&c, ']').await; // 1.25x
    press(&c, ']').await; // 1.5x
    assert_eq!(js(&c, "return document.getElementById('d-speed').value").await, "1.5");
    press_space(&c).await;
    wait_for(&c, "playback to move", 5, "return document.getElementById('d-play').dataset.playing === 'true' && !document.getElementById('d-position').textContent.startsWith('0:00 ')").await;
    press_space(&c).await; // pause
    press(&c, 'b').await;
    wait_for(&c, "the bookmark form", 5, "return !document.getElementById('bm-form').hidden").await;
    c.active_element().await.unwrap().send_keys("good opening").await.unwrap();
    press(&c, ENTER).await;
    wait_for(&c, "the bookmark", 5, "return document.querySelectorAll('#d-bookmarks .bookmark').length === 1").await;
    screenshot(&c, "e2e-review.png").await;

    // S turns skip silences on; Space goes on playing from the paused place in that mode.
    let paused_at = js(&c, "return document.getElementById('d-position').textContent").await;
    press(&c, 's').await;
    wait_for(&c, "skip silences on", 5, "return document.getElementById('d-skip').checked").await;
    press_space(&c).await;
    wait_for(
        &c,
        "playback to go on with silences skipped",
        5,
        &format!("return document.getElementById('d-play').dataset.playing === 'true' && document.getElementById('d-position').textContent !== {paused_at}"),
    )
    .await;

    // C compares with the other take of the question; A plays the left one.
    press(&c, 'c').await;
    wait_for(
        &c,
        "the comparison",
        5,
        "return !document.getElementById('compare').hidden && document.getElementById('cmp-b-rating').textContent !== ''",
    )
    .await;
    assert_eq!(js(&c, "return document.getElementById('cmp-a-rating').textContent").await, "Good");
    assert_eq!(js(&c, "return document.getElementById('cmp-b-rating').textContent").await, "Not rated");
    assert!(js(&c, "return document.getElementById('cmp-a-notes').textContent").await.as_str().unwrap().contains("2 hours"));
    press(&c, 'a').await;
    wait_for(&c, "take A to play", 5, "return document.getElementById('cmp-a-play').dataset.playing === 'true'").await;
    press(&c, 'b').await;
    wait_for(&c, "take B to play instead", 5, "return document.getElementById('cmp-b-play').dataset.playing === 'true' && document.getElementById('cmp-a-play').dataset.playing === 'false'").await;
    screenshot(&c, "e2e-compare.png").await;
    press(&c, ESCAPE).await;

    // G: progress, with the 16 principles and this take counted under customer obsession.
    press(&c, 'g').await;
    wait_for(&c, "the principle grid", 5, "return document.querySelectorAll('#pg-grid tr').length === 16").await;
    wait_for(
        &c,
        "customer obsession counted",
        5,
        "return document.querySelector('#pg-grid tr[data-tag=\"customer-obsession\"] td:nth-child(3)').textContent === '2'",
    )
    .await;
    // Four charts: rating, length, and the speech metrics measured in the background.
    wait_for(&c, "four charts", 10, "return document.querySelectorAll('#pg-charts .uplot').length === 4").await;
    wait_for(&c, "every take measured", 20, "return document.getElementById('pg-measuring').hidden").await;
    let titles = js(&c, "return [...document.querySelectorAll('#pg-charts .u-title')].map(e => e.textContent).join('|')").await;
    assert_eq!(titles, "Rating (1 Again – 4 Easy)|Answer length|Time to first word|Long pauses (over 2 s)");
    screenshot(&c, "e2e-progress.png").await;
    js(&c, "document.querySelectorAll('#pg-charts .uplot')[2].scrollIntoView(); return true").await;
    screenshot(&c, "e2e-progress-speech.png").await;
    press(&c, ESCAPE).await;

    // The database holds exactly what was entered, and nothing on the other take.
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let (rating, notes, rubric): (Option<i64>, String, String) = db
        .query_row("SELECT rating, notes, rubric_json FROM takes WHERE id = ?1", [newest], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!(rating, Some(3));
    assert_eq!(notes, "Say the number first: 2 hours to fix");
    let rubric: serde_json::Value = serde_json::from_str(&rubric).unwrap();
    assert_eq!(rubric["key_points"], serde_json::json!([0, 2]), "{rubric}");
    // The app measured both takes' speech in the background and kept it.
    let measured: i64 = db.query_row("SELECT count(*) FROM take_metrics WHERE speaking_ms > 0", [], |r| r.get(0)).unwrap();
    assert_eq!(measured, 2, "both takes measured");
    assert_eq!(rubric["situation"], true, "{rubric}");
    for k in ["task", "action", "result", "i_not_we", "number"] {
        assert_eq!(rubric[k], false, "{k} in {rubric}");
    }
    let (other_rating, other_notes, other_rubric): (Option<i64>, String, String) = db
        .query_row("SELECT rating, notes, rubric_json FROM takes WHERE id != ?1", [newest], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!((other_rating, other_notes.as_str()), (None, ""));
    let other: serde_json::Value = serde_json::from_str(&other_rubric).unwrap();
    assert!(other.get("key_points").is_none_or(|k| k == &serde_json::json!([])), "{other}");
    let (bm_take, bm_at, bm_note): (i64, i64, String) =
        db.query_row("SELECT take_id, at_ms, note FROM bookmarks", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    assert_eq!((bm_take, bm_note.as_str()), (newest, "good opening"));
    assert!((1..=3000).contains(&bm_at), "bookmark at {bm_at} ms");
    let skip: String = db.query_row("SELECT value FROM settings WHERE key = 'skip_silences'", [], |r| r.get(0)).unwrap();
    assert_eq!(skip, "true", "skip silences is remembered");

    // The same screen in Korean.
    press(&c, ESCAPE).await;
    wait_for(&c, "the main window", 5, "return document.getElementById('review-view').hidden").await;
    press(&c, 'l').await;
    press(&c, 'r').await;
    wait_for(&c, "the Korean review screen", 5, "return document.querySelector('#review-view h1').textContent === '복습'").await;
    wait_for(&c, "the detail", 5, "return document.getElementById('d-question').textContent.includes('고객')").await;
    // At the minimum window size whole buttons wrap to a second row, never a word in one.
    shots(
        &c,
        "e2e-review-ko",
        Some(
            "const hs = [...document.querySelectorAll('.review-top button')].map(b => b.getBoundingClientRect().height);
             const h1 = document.querySelector('.review-top h1');
             return Math.max(...hs) <= Math.min(...hs) + 4 && h1.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(h1).fontSize)",
        ),
    )
    .await;

    // The date filters are typed (WebKitGTK's own date field shows mm/dd/yyyy whatever the
    // language): a Korean placeholder, a dotted Korean date read as a day, a wrong one
    // named in Korean and leaving the list as it was.
    assert_eq!(js(&c, "return document.getElementById('f-from').placeholder").await, "연도-월-일");
    let set_from = |v: &str| {
        format!("const f = document.getElementById('f-from'); f.value = {v:?}; f.dispatchEvent(new Event('change')); return true")
    };
    let tomorrow = day_from_today(1);
    js(&c, &set_from(&format!("{}. {}. {}.", &tomorrow[0..4], &tomorrow[5..7], &tomorrow[8..10]))).await;
    wait_for(&c, "no take from tomorrow on", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 0").await;
    assert_eq!(js(&c, "return document.getElementById('f-from').value").await, tomorrow, "the dotted date is written as a day");
    js(&c, &set_from("내일")).await;
    wait_for(&c, "both takes again", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    let error = js(&c, "return document.getElementById('f-day-error').textContent").await;
    let error = error.as_str().unwrap();
    assert!(error.starts_with("“내일”은(는) 날짜가 아닙니다.") && !error.contains("YYYY"), "{error}");
    assert_eq!(js(&c, "return document.getElementById('f-from').getAttribute('aria-invalid')").await, "true");
    screenshot(&c, "e2e-review-day-ko.png").await;
    js(&c, &set_from("")).await;
    wait_for(&c, "the error gone", 5, "return document.getElementById('f-day-error').textContent === ''").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blind_re_rating_hides_the_earlier_rating_until_the_new_one_is_given() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "I owned the outage review and published it the next morning.");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    record_take(&mic, &data);
    let rate = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).args(["rate", "1", "--rating", "hard"]).output().unwrap();
    assert!(rate.status.success(), "{}", String::from_utf8_lossy(&rate.stderr));
    // Only takes rated more than a day ago are offered: age this one.
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    db.execute("UPDATE takes SET started_at = '2026-01-02T10:00:00.000Z', rated_at = '2026-01-02T10:05:00.000Z'", []).unwrap();
    drop(db);
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    press(&c, 'r').await;
    wait_for(&c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    press(&c, 'x').await;
    wait_for(&c, "blind re-rate", 5, "return !document.getElementById('blind').hidden").await;
    assert_eq!(js(&c, "return document.getElementById('blind-result').hidden").await, true, "the earlier rating is hidden");
    assert_eq!(js(&c, "return document.getElementById('blind-then').textContent").await, "", "nothing shows the earlier rating yet");
    press(&c, '3').await;
    wait_for(&c, "both ratings", 5, "return !document.getElementById('blind-result').hidden").await;
    assert_eq!(js(&c, "return document.getElementById('blind-then').textContent").await, "Hard");
    assert_eq!(js(&c, "return document.getElementById('blind-now').textContent").await, "Good");
    screenshot(&c, "e2e-blind.png").await;
    let db = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let row: (i64, Option<i64>) = db.query_row("SELECT rating, previous_rating FROM rerates", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(row, (3, Some(2)));
    let own: Option<i64> = db.query_row("SELECT rating FROM takes", [], |r| r.get(0)).unwrap();
    assert_eq!(own, Some(2), "a blind re-rate does not change the take's own rating");
    std::thread::sleep(Duration::from_millis(100));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_draws_a_quiet_and_a_loud_take_to_the_same_height_and_tab_with_only_two_takes_says_so_in_korean() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (loud, _) = speech(tmp.path(), "The customer was unhappy because the migration ran late.");
    // The same words at a tenth of the level (-20 dB), as a microphone left far away records them.
    let quiet = tmp.path().join("quiet.wav");
    assert!(Command::new("sox").arg(&loud).arg(&quiet).args(["vol", "0.1"]).status().unwrap().success());
    let data = tmp.path().join("data");
    mic.feed_loop(&loud);
    record_take(&mic, &data);
    mic.stop_feed();
    mic.feed_loop(&quiet);
    record_take(&mic, &data);
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    press(&c, 'l').await; // 한국어
    wait_for(&c, "the Korean window", 5, "return document.documentElement.lang === 'ko'").await;
    press(&c, 'r').await;
    wait_for(&c, "two takes listed", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    wait_for(&c, "the detail", 5, "return document.querySelector('#detail').hidden === false").await;
    press(&c, 'c').await;
    let drawn = "return ['a', 'b'].map(s => document.getElementById(`cmp-${s}-wave`).dataset.drawnPeak).join(' ')";
    wait_for(&c, "both waveforms of the comparison", 10, &format!("{drawn}.split(' ').every(v => v !== 'undefined' && v !== '')")).await;
    assert_eq!(js(&c, drawn).await, "1.00 1.00", "each take is drawn to its own loudest moment");
    let gains = js(&c, "return ['a', 'b'].map(s => Number(document.getElementById(`cmp-${s}-wave`).dataset.gain))").await;
    let gains: Vec<f64> = gains.as_array().unwrap().iter().map(|g| g.as_f64().unwrap()).collect();
    let (low, high) = (gains[0].min(gains[1]), gains[0].max(gains[1]));
    assert!(high / low > 5.0, "the quiet take is scaled up about ten times more than the loud one: {gains:?}");

    // Tab with only these two takes answers, in Korean, inside the comparison.
    let b = js(&c, "return document.getElementById('cmp-b').dataset.takeId").await;
    press(&c, TAB).await;
    wait_for(&c, "Tab's answer", 5, "return document.getElementById('cmp-status').textContent.includes('A와 B뿐')").await;
    assert_eq!(js(&c, "return document.getElementById('cmp-b').dataset.takeId").await, b, "B stays");
    screenshot(&c, "e2e-compare-quiet-loud-ko.png").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the comparison closed", 5, "return document.getElementById('compare').hidden").await;
    std::thread::sleep(Duration::from_millis(100));
    c.close().await.unwrap();
}

/// Drops `path` on the window: the event Tauri sends the webview when a file is dropped
/// from the desktop (WebDriver cannot drag from outside the page). Also records what the
/// progress modal showed.
fn drop_file_js(path: &std::path::Path) -> String {
    let p = serde_json::to_string(&path.display().to_string()).unwrap();
    format!(
        "window.__busySeen = window.__busySeen || [];
         const busy = document.getElementById('busy');
         if (!window.__busyWatched) {{
           window.__busyWatched = true;
           new MutationObserver(() => window.__busySeen.push([busy.hidden, document.getElementById('busy-text').textContent]))
             .observe(busy, {{ attributes: true, subtree: true, childList: true, characterData: true }});
         }}
         window.__TAURI_INTERNALS__.invoke('plugin:event|emit', {{ event: 'tauri://drag-drop', payload: {{ paths: [{p}], position: {{ x: 200, y: 200 }} }} }});
         return true;"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_dropped_on_the_window_is_imported_into_an_empty_library_with_progress_and_refused_elsewhere() {
    let _s = serial();
    let (tmp, mic, data) = two_takes("I rebuilt the replica before the customer noticed anything.");
    let cli = |args: &[&str]| {
        let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    cli(&["rate", "2", "--rating", "good", "--note", "숫자 42"]);
    let archive = tmp.path().join("backup.zip");
    cli(&["export", "--all", archive.to_str().unwrap()]);

    // Into a library that has takes: refused, naming why, nothing changed.
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    let (driver, c) = launch(&env).await;
    press(&c, 'r').await;
    wait_for(&c, "two takes listed", 5, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    js(&c, &drop_file_js(&archive)).await;
    wait_for(&c, "the refusal", 10, "return !document.getElementById('error-banner').hidden").await;
    let text = js(&c, "return document.getElementById('error-text').textContent").await;
    assert!(text.as_str().unwrap().contains("empty data folder"), "{text}");
    assert_eq!(js(&c, "return document.querySelectorAll('#lib-list .lib-row').length").await, 2);
    c.close().await.unwrap();
    drop(driver);

    // Into an empty library in a new window: imported, with the progress modal.
    let fresh = tmp.path().join("fresh");
    let mut env = mic.env().to_vec();
    env.push(data_env(&fresh));
    let (_driver, c) = launch(&env).await;
    press(&c, 'r').await;
    wait_for(&c, "the empty review screen", 5, "return !document.getElementById('review-view').hidden").await;
    assert_eq!(js(&c, "return document.querySelectorAll('#lib-list .lib-row').length").await, 0);
    js(&c, &drop_file_js(&archive)).await;
    wait_for(&c, "the imported takes listed", 20, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    wait_for(&c, "the modal closed", 5, "return document.getElementById('busy').hidden").await;
    let seen = js(&c, "return JSON.stringify(window.__busySeen)").await;
    assert!(seen.as_str().unwrap().contains("(100%)"), "the progress modal reached 100 %: {seen}");
    screenshot(&c, "e2e-imported.png").await;
    c.close().await.unwrap();

    // The same takes, rating, note and bit-identical WAVs.
    let rows = |dir: &std::path::Path| -> Vec<(i64, Option<i64>, String, Vec<u8>)> {
        let db = rusqlite::Connection::open(dir.join("rehearse.db")).unwrap();
        let mut st = db.prepare("SELECT id, rating, notes, file_path FROM takes ORDER BY id").unwrap();
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .map(|(id, rating, notes, file): (i64, Option<i64>, String, String)| {
                (id, rating, notes, std::fs::read(dir.join(file)).unwrap())
            })
            .collect();
        v
    };
    let (a, b) = (rows(&data), rows(&fresh));
    assert_eq!(a.len(), 2);
    assert!(a == b, "the imported library differs from the exported one");
    assert_eq!((b[1].1, b[1].2.as_str()), (Some(3), "숫자 42"));
}
