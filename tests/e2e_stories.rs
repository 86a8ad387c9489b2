//! End to end in the real window: a story written by keyboard on the Stories screen (B),
//! the app killed mid-edit and the typed text found kept, the story mapped to two
//! principles and saved, a behavioural question practised choosing that story during the
//! think time (its take recorded from the virtual microphone, rated Good), and the grid
//! changed by it; screenshots in English and Korean. In a mock call, a story is picked for
//! the behavioural question (1) and its take linked, and a paused call holds the pick open.
//!
//! Length: the Stories screen's end-to-end tests share one launch of the real window and its
//! helpers.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::Command;
use std::time::Duration;

use fantoccini::Locator;
use rehearse_tests::window::*;
use rehearse_tests::*;

const DECK: &str = r#"format = 1
[deck]
id = "e2e-stories"
name = { en = "E2E stories", ko = "E2E 스토리" }
languages = ["en", "ko"]

[[questions]]
id = "e2e.unhappy"
category = "behavioural"
tags = ["customer-obsession"]
think_secs = 6
answer_secs = 2
retakes = 1
text = { en = "Tell me about a customer who became unhappy.", ko = "불만을 갖게 된 고객에 대해 말해 주세요." }
key_points.en = ["Situation", "Result with a number"]
key_points.ko = ["상황", "수치가 있는 결과"]
"#;

const TITLE: &str = "Nightly batch that kept failing";
const SITUATION: &str = "고객사 야간 배치가 ORA-01555로 매일 실패했습니다. The customer was furious.";

fn cli(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// A principle's row of the Progress table: "stories|stories rehearsed Good or better".
fn progress_row_js(tag: &str) -> String {
    format!("const r = document.querySelector('#pg-grid tr[data-tag=\"{tag}\"]'); return r ? r.children[3].textContent + '|' + r.children[4].textContent : null")
}

async fn readiness(c: &Client) -> String {
    js(c, "return document.getElementById('pg-principles').textContent").await.as_str().unwrap().to_string()
}

/// R opens review with the take `take` selected (↓ until it is).
async fn select_in_review(c: &Client, take: i64) {
    press(c, 'r').await;
    wait_for(
        c,
        "the review's takes",
        5,
        "return !document.getElementById('review-view').hidden && !!document.querySelector('#lib-list .lib-row[aria-selected=true]')",
    )
    .await;
    for _ in 0..5 {
        let sel = js(c, "return document.querySelector('#lib-list .lib-row[aria-selected=true]').dataset.takeId").await;
        if sel.as_str() == Some(take.to_string().as_str()) {
            return;
        }
        press(c, ARROW_DOWN).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("take {take} not found in review");
}

/// R opens review, G its Progress view (filled once its principle table has 16 rows).
async fn open_progress(c: &Client) {
    press(c, 'r').await;
    wait_for(c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    press(c, 'g').await;
    wait_for(c, "the progress table", 5, "return !document.getElementById('progress').hidden && document.querySelectorAll('#pg-grid tr').length === 16 && document.getElementById('pg-principles').textContent !== ''").await;
}

async fn close_progress(c: &Client) {
    press(c, ESCAPE).await;
    wait_for(c, "progress closed", 5, "return document.getElementById('progress').hidden").await;
    press(c, ESCAPE).await;
    wait_for(c, "the main screen", 5, "return document.getElementById('review-view').hidden").await;
}

fn grid_cell_js(tag: &str, col: usize) -> String {
    format!("const r = document.querySelector('#st-grid tr[data-tag=\"{tag}\"]'); return r ? r.children[{col}].textContent : null")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_written_by_keyboard_survives_a_kill_is_chosen_in_practice_and_changes_the_grid() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "The customer was unhappy until the batch ran again");
    mic.feed_loop(&speech_raw);
    let data = tmp.path().join("data");
    let deck = tmp.path().join("deck.toml");
    std::fs::write(&deck, DECK).unwrap();
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).args(["deck", "import"]).arg(&deck).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    // No speech model: the transcripts of this test are written into the library below, and
    // the transcription worker must not replace them.
    let no_models = tmp.path().join("no-models");
    std::fs::create_dir_all(&no_models).unwrap();
    env.push(("REHEARSE_MODELS_DIR".to_string(), no_models.display().to_string()));

    // B opens the Stories screen, N a new story; type, and kill the app before saving.
    let (driver, c) = launch(&env).await;
    press(&c, 'b').await;
    wait_for(&c, "the Stories screen", 5, "return !document.getElementById('stories-view').hidden").await;
    press(&c, 'n').await;
    wait_for(&c, "the editor", 5, "return !document.getElementById('st-editor').hidden && document.activeElement.id === 'st-title'").await;
    let active = c.active_element().await.unwrap();
    active.send_keys(TITLE).await.unwrap();
    type_into(&c, "#st-principles input[value='customer-obsession']", " ").await;
    type_into(&c, "#st-situation", SITUATION).await;
    wait_for(&c, "the draft kept", 5, "return document.getElementById('st-status').textContent.startsWith('Draft kept')").await;
    screenshot(&c, "e2e-stories-editor-en.png").await;
    let pids = pids_of(&bin("rehearse"), &format!("REHEARSE_DATA_DIR={}", data.display()));
    assert_eq!(pids.len(), 1, "exactly one app process for this test: {pids:?}");
    assert!(Command::new("kill").args(["-KILL", &pids[0].to_string()]).status().unwrap().success());
    drop(c);
    drop(driver);

    // The next start: B brings the editor back with the text as typed.
    let (_driver, c) = launch(&env).await;
    press(&c, 'b').await;
    wait_for(&c, "the restored editor", 5, "return !document.getElementById('st-editor').hidden").await;
    assert_eq!(js(&c, "return document.getElementById('st-title').value").await, TITLE);
    assert_eq!(js(&c, "return document.getElementById('st-situation').value").await, SITUATION);
    assert_eq!(js(&c, "return document.querySelector(\"#st-principles input[value='customer-obsession']\").checked").await, true);
    assert!(js(&c, "return document.getElementById('st-status').textContent").await.as_str().unwrap().contains("kept"));
    // A second principle, by keyboard; Esc saves and closes.
    type_into(&c, "#st-principles input[value='ownership']", " ").await;
    type_into(&c, "#st-result", "Zero failures in 90 days; the customer renewed.").await;
    type_into(&c, "#st-numbers", "0 failures in 90 days").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the saved story listed", 5, "return document.querySelectorAll('#st-list .story-item').length === 1").await;
    let stories = cli(&data, &["story", "list", "--json"]);
    assert_eq!(stories[0]["title"], TITLE);
    assert_eq!(stories[0]["situation"], SITUATION);
    assert_eq!(stories[0]["principles"], serde_json::json!(["customer-obsession", "ownership"]));
    assert_eq!(stories[0]["primary"], "customer-obsession");
    assert!(cli(&data, &["story", "show", "1", "--json"])["linked_takes"].as_array().unwrap().is_empty());

    // The grid: the story under both principles, primary marked, no good rehearsal yet.
    press(&c, 'g').await;
    wait_for(&c, "the grid", 5, "return !document.getElementById('st-grid').hidden").await;
    assert_eq!(js(&c, &grid_cell_js("customer-obsession", 1)).await, "●");
    assert_eq!(js(&c, &grid_cell_js("ownership", 1)).await, "○");
    assert_eq!(js(&c, &grid_cell_js("customer-obsession", 3)).await, "0");
    press(&c, ESCAPE).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('stories-view').hidden").await;

    // A second story for ownership, through the CLI, told once (a take from the virtual
    // microphone) and rated Good: ownership now has two stories, one rehearsed Good.
    let second = cli(&data, &["story", "add", "--title", "Migration weekend", "--principle", "ownership", "--json"]);
    let mut rec = Command::new(bin("rehearse-cli"));
    rec.arg("--data-dir").arg(&data).args(["record", "--question", "e2e.unhappy", "--seconds", "0.8", "--json"]);
    mic.apply(&mut rec);
    let out = rec.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let take = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["take"]["id"].as_i64().unwrap().to_string();
    let ok = |args: &[&str]| {
        let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    ok(&["rate", &take, "--rating", "good"]);
    ok(&["story", "link", &take, &second["id"].to_string()]);
    // Progress: per principle the stories and those rehearsed Good or better; readiness
    // still 0, as no principle has two stories rehearsed Good.
    open_progress(&c).await;
    assert_eq!(js(&c, &progress_row_js("ownership")).await, "2|1");
    assert_eq!(js(&c, &progress_row_js("customer-obsession")).await, "1|0");
    assert!(readiness(&c).await.starts_with("Principles with two or more stories rehearsed Good or better: 0 of 16"));
    close_progress(&c).await;

    // Practice the behavioural question; the think time offers the story: 1 picks it.
    press(&c, 's').await;
    wait_for(&c, "the practice setup", 5, "return !document.getElementById('practice-setup').hidden").await;
    press(&c, END).await;
    wait_for(&c, "the deck", 5, "return document.querySelector('#deck-list [aria-selected=true]').dataset.deck === 'e2e-stories'").await;
    press(&c, ENTER).await;
    wait_for(
        &c,
        "the story pick",
        5,
        "const b = document.getElementById('s-story'); return !!b && !b.hidden && b.textContent.includes('1  Nightly batch')",
    )
    .await;
    press(&c, '1').await;
    wait_for(&c, "the story picked", 2, "return document.getElementById('s-story').textContent.includes('Telling: Nightly batch')").await;
    screenshot(&c, "e2e-stories-pick-en.png").await;
    wait_for(&c, "the review", 15, "return document.getElementById('s-phase').dataset.phase === 'review'").await;
    press(&c, '3').await;
    wait_for(&c, "the rating", 5, "return document.querySelector('.rate-btn[data-rating=\"3\"]').getAttribute('aria-pressed') === 'true'")
        .await;
    wait_for(&c, "the link", 5, "return document.getElementById('s-story').textContent.includes('linked')").await;
    let shown = cli(&data, &["story", "show", "1", "--json"]);
    assert_eq!(shown["linked_takes"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(shown["linked_takes"][0]["rating"], 3);
    press(&c, ENTER).await;
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    press(&c, ENTER).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Progress after the story's take rated Good: ownership has two stories rehearsed Good,
    // so readiness counts one principle; customer obsession one of its one story.
    open_progress(&c).await;
    wait_for(&c, "ownership ready", 5, &format!("{} === '2|2'", progress_row_js("ownership").replacen("return ", "return (", 1) + ")"))
        .await;
    assert_eq!(js(&c, &progress_row_js("customer-obsession")).await, "1|1");
    let line = readiness(&c).await;
    assert!(line.starts_with("Principles with two or more stories rehearsed Good or better: 1 of 16"), "{line}");
    screenshot(&c, "e2e-stories-progress-en.png").await;
    close_progress(&c).await;

    // The grid now counts the good rehearsals (the last column; a column per story before it).
    // B and G come in one go, so G lands while the screen is still reading the stories: the
    // fresh grid must replace the one drawn from the last visit, not fall back to the list.
    let during_load = js(
        &c,
        "for (const key of ['b', 'g']) document.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true })); \
         return document.getElementById('stories-view').dataset.loading === 'true'",
    )
    .await;
    assert_eq!(during_load, true, "G was meant to arrive while the Stories screen loads");
    wait_for(
        &c,
        "the grid with the rehearsal",
        5,
        &format!("{} === '1'", grid_cell_js("customer-obsession", 4).replacen("return ", "return (", 1) + ")"),
    )
    .await;
    assert_eq!(js(&c, &grid_cell_js("ownership", 4)).await, "2");
    let q = js(&c, "return document.querySelector('#st-grid .story-questions').textContent").await;
    assert!(q.as_str().unwrap().contains("Nightly batch"), "the question now has a story: {q}");
    screenshot(&c, "e2e-stories-grid-en.png").await;
    let grid = cli(&data, &["story", "grid", "--json"]);
    let co = grid["principles"].as_array().unwrap().iter().find(|p| p["tag"] == "customer-obsession").unwrap().clone();
    assert_eq!((co["stories"].as_i64(), co["good_rehearsals"].as_i64()), (Some(1), Some(1)));
    let own = grid["principles"].as_array().unwrap().iter().find(|p| p["tag"] == "ownership").unwrap().clone();
    assert_eq!((own["stories"].as_i64(), own["good_rehearsals"].as_i64()), (Some(2), Some(2)));

    // The take of the story transcribed (written as the transcription worker writes it):
    // it says 60 days where the story says 90. The story's editor lists the change with
    // the take and the time it was said.
    let told = shown["linked_takes"][0]["id"].as_i64().unwrap();
    let said = [
        (0, "The"),
        (100, "batch"),
        (200, "failed."),
        (300, "My"),
        (350, "task"),
        (400, "was"),
        (450, "it."),
        (600, "So"),
        (650, "I"),
        (700, "fixed"),
        (750, "it"),
        (800, "in"),
        (900, "60"),
        (1000, "days."),
        (1800, "As"),
        (1850, "a"),
        (1900, "result"),
        (1950, "ran."),
    ];
    write_transcript(&data, told, &said);
    press(&c, 'g').await;
    wait_for(&c, "the list", 5, "return !document.getElementById('st-list').hidden").await;
    press(&c, ENTER).await;
    wait_for(&c, "the facts that changed", 5, "return !!document.querySelector('#st-facts li.fact-change[data-kind=\"days\"]')").await;
    let facts = js(&c, "return document.getElementById('st-facts').innerText").await;
    let facts = facts.as_str().unwrap();
    assert!(facts.contains("Facts that changed between tellings") && facts.contains("Days"), "{facts}");
    assert!(facts.contains("90 · “90 days” — written in the story"), "{facts}");
    assert!(facts.contains(&format!("60 · “60 days” — take {told} at 0:00 (")), "{facts}");
    assert_eq!(js(&c, "return document.querySelectorAll('#st-tellings .story-takes li').length").await, 1);
    js(&c, "document.getElementById('st-tellings').scrollIntoView(); return true").await;
    screenshot(&c, "e2e-stories-facts-en.png").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the list again", 5, "return !document.getElementById('st-list').hidden").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('stories-view').hidden").await;

    // Review of the story's take: time in each part from the transcript (task at 0.3 s,
    // action at 0.6 s, result at 1.8 s), a boundary moved by keyboard and kept.
    // Written again: without a model the transcription worker may have recorded this take as
    // not transcribable since (it does so once per take).
    write_transcript(&data, told, &said);
    select_in_review(&c, told).await;
    wait_for(
        &c,
        "the parts",
        5,
        "return !document.getElementById('d-parts').hidden && document.querySelectorAll('#d-parts-bar .parts-seg').length === 4",
    )
    .await;
    // The bar is drawn at once; its figures follow the take's transcript when it is read.
    wait_for(
        &c,
        "the parts from the transcript",
        8,
        "return document.getElementById('d-parts-summary').textContent.includes('result reached')",
    )
    .await;
    let summary = js(&c, "return document.getElementById('d-parts-summary').textContent").await;
    assert!(summary.as_str().unwrap().contains("of the time in the action, result reached at 0:01 of 0:0"), "{summary}");
    let seg = |part: &str| format!("return document.querySelector('#d-parts-bar .parts-seg[data-part=\"{part}\"]').dataset.ms");
    assert_eq!(js(&c, &seg("situation")).await, "300");
    assert_eq!(js(&c, &seg("action")).await, "1200");
    screenshot(&c, "e2e-stories-parts-en.png").await;
    press(&c, ',').await; // the result boundary (selected first), 1 s earlier
    wait_for(
        &c,
        "the result moved",
        5,
        "return document.querySelector('#d-parts .parts-bounds li[data-part=\"result\"]').dataset.source === 'set'",
    )
    .await;
    assert_eq!(js(&c, &seg("action")).await, "200");
    let summary = js(&c, "return document.getElementById('d-parts-summary').textContent").await;
    assert!(summary.as_str().unwrap().contains("result reached at 0:00 of 0:0"), "{summary}");
    let parts = cli(&data, &["story", "parts", &told.to_string(), "--json"]);
    assert_eq!((parts["boundaries"][2]["at_ms"].as_i64(), parts["boundaries"][2]["source"].as_str()), (Some(800), Some("set")));
    press(&c, 'u').await;
    wait_for(
        &c,
        "the result found again",
        5,
        "return document.querySelector('#d-parts .parts-bounds li[data-part=\"result\"]').dataset.source === 'found'",
    )
    .await;
    assert_eq!(cli(&data, &["story", "parts", &told.to_string(), "--json"])["boundaries"][2]["at_ms"].as_i64(), Some(1800));

    // A/B compare across questions: the story told again, to another question (a take from
    // the CLI, linked to it). C in review of the first telling offers that one beside it,
    // each side with the question it answered.
    let mut rec = Command::new(bin("rehearse-cli"));
    rec.arg("--data-dir").arg(&data).args(["record", "--question", "lp.drove-success", "--seconds", "0.8", "--json"]);
    mic.apply(&mut rec);
    let out = rec.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["take"]["id"].as_i64().unwrap();
    ok(&["story", "link", &again.to_string(), "1"]);
    press(&c, 'c').await;
    wait_for(
        &c,
        "the compare of two tellings",
        5,
        "const o = document.getElementById('compare'); return !o.hidden && o.dataset.acrossQuestions === 'true'",
    )
    .await;
    assert_eq!(js(&c, "return document.getElementById('cmp-a').dataset.takeId").await, told.to_string());
    assert_eq!(
        js(&c, "return document.getElementById('cmp-b').dataset.takeId").await,
        again.to_string(),
        "the other telling, not take 1 of the same question"
    );
    let head = js(&c, "return document.getElementById('cmp-question').textContent").await;
    assert_eq!(head.as_str().unwrap(), format!("Tellings of the story “{TITLE}”"));
    let b_question = js(&c, "return document.getElementById('cmp-b-question').textContent").await;
    assert!(b_question.as_str().unwrap().starts_with("Tell me about something you drove yourself"), "{b_question}");
    let a_question = js(&c, "return document.getElementById('cmp-a-question').textContent").await;
    assert!(a_question.as_str().unwrap().starts_with("Tell me about a customer who became unhappy"), "{a_question}");
    screenshot(&c, "e2e-stories-compare-en.png").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the compare closed", 5, "return document.getElementById('compare').hidden").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('review-view').hidden").await;
    press(&c, 'b').await;
    wait_for(&c, "the Stories screen", 5, "return !document.getElementById('stories-view').hidden").await;

    // Korean: the same screens.
    press(&c, ESCAPE).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('stories-view').hidden").await;
    press(&c, 'l').await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    press(&c, 'b').await;
    wait_for(&c, "the Korean list", 5, "return document.getElementById('st-heading').textContent === '내 스토리'").await;
    screenshot(&c, "e2e-stories-list-ko.png").await;
    press(&c, 'g').await;
    wait_for(&c, "the Korean grid", 5, "return document.getElementById('st-heading').textContent === '원칙별 현황'").await;
    let text = js(&c, "return document.getElementById('stories-view').innerText").await;
    for english in ["Principle", "Stories", "Good rehearsals", "Target", "Questions about", "no story"] {
        assert!(!text.as_str().unwrap().contains(english), "English left in the Korean grid: {english}");
    }
    screenshot(&c, "e2e-stories-grid-ko.png").await;
    press(&c, 'g').await;
    wait_for(&c, "the Korean list again", 5, "return !document.getElementById('st-list').hidden").await;
    press(&c, ENTER).await;
    wait_for(&c, "the Korean facts", 5, "return !!document.querySelector('#st-facts li.fact-change[data-kind=\"days\"]')").await;
    let facts = js(&c, "return document.getElementById('st-tellings').innerText").await;
    let facts = facts.as_str().unwrap();
    assert!(facts.contains("말할 때마다 달라진 사실") && facts.contains("일 수") && facts.contains("스토리에 적은 내용"), "{facts}");
    for english in ["Facts", "written", "take ", "Take ", "Days", "telling"] {
        assert!(!facts.contains(english), "English left in the Korean tellings: {english}: {facts}");
    }
    js(&c, "document.getElementById('st-tellings').scrollIntoView(); return true").await;
    screenshot(&c, "e2e-stories-facts-ko.png").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the Korean list closed editor", 5, "return !document.getElementById('st-list').hidden").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('stories-view').hidden").await;
    // Progress in Korean: the story columns and the readiness line.
    open_progress(&c).await;
    let text = js(&c, "return document.getElementById('progress').innerText").await;
    let text = text.as_str().unwrap();
    let line = readiness(&c).await;
    assert!(line.contains("좋음 이상으로 연습한 스토리가 두 개 이상인 원칙: 16개 중 1개"), "{line}");
    assert!(!text.contains("Stories") && !text.contains("Rehearsed"), "English left in Korean Progress: {text}");
    screenshot(&c, "e2e-stories-progress-ko.png").await;
    close_progress(&c).await;
    // A story drill (D on the Stories screen), in Korean: the first story, due first, is
    // told to one of its questions; the take, stopped with Space, is linked to that story
    // by the session itself (no pick, no link from the page).
    let linked = |title: &str| -> (String, usize) {
        let all = cli(&data, &["story", "list", "--json"]);
        let id = all.as_array().unwrap().iter().find(|s| s["title"] == title).unwrap()["id"].to_string();
        let n = cli(&data, &["story", "show", &id, "--json"])["linked_takes"].as_array().unwrap().len();
        (id, n)
    };
    press(&c, 'b').await;
    wait_for(&c, "the Korean stories", 5, "return !document.getElementById('stories-view').hidden").await;
    press(&c, 'd').await;
    wait_for(
        &c,
        "the drill's story",
        10,
        "const b = document.getElementById('s-story'); return document.getElementById('s-phase').dataset.phase === 'think' && !!b && !b.hidden && b.textContent.startsWith('스토리 연습: “')",
    )
    .await;
    let told = js(&c, "return document.querySelector('#s-story h3').textContent").await;
    let title = told.as_str().unwrap().trim_start_matches("스토리 연습: “").trim_end_matches("” 말하기").to_string();
    let (story_id, before) = linked(&title);
    let question = js(&c, "return document.getElementById('s-question').textContent").await;
    assert!(question.as_str().unwrap().chars().any(|ch| ('가'..='힣').contains(&ch)), "the drill asks in Korean: {question}");
    assert!(js(&c, "return document.querySelectorAll('#s-story .story-pick-list').length").await == 0, "a drill's story is not picked");
    screenshot(&c, "e2e-stories-drill-ko.png").await;
    press(&c, ' ').await;
    wait_for(&c, "the drill's answer", 10, "return document.getElementById('s-phase').dataset.phase === 'answer'").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    press(&c, ' ').await;
    wait_for(&c, "the drill's review", 15, "return document.getElementById('s-phase').dataset.phase === 'review'").await;
    let shown = cli(&data, &["story", "show", &story_id, "--json"]);
    assert_eq!(linked(&title).1, before + 1, "the drill's take is linked to \"{title}\": {shown}");
    let newest = cli(&data, &["takes", "--json"]).as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).max().unwrap();
    assert!(shown["linked_takes"].as_array().unwrap().iter().any(|t| t["id"] == newest), "{shown}");
    wait_for(&c, "the link told", 5, "return document.getElementById('s-story').textContent.includes('연결했습니다')").await;
    press(&c, ESCAPE).await;
    wait_for(&c, "the drill's summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    press(&c, ENTER).await;
    wait_for(&c, "the main screen", 5, "return document.getElementById('practice-view').hidden").await;
    // The keys pressed after the editor closed (S, R, G …) went to the screens, not into the
    // story's fields: its text is as typed.
    let shown = cli(&data, &["story", "show", "1", "--json"]);
    assert_eq!(shown["numbers"], serde_json::json!(["0 failures in 90 days"]));
    assert_eq!(shown["title"], TITLE);
    c.close().await.unwrap();
}

/// A mock call of the short template with one story for its behavioural question: the
/// window on the pre-flight (pausing allowed when `allow_pause`), the story's JSON.
struct CallWithStory {
    _tmp: tempfile::TempDir,
    mic: VirtualMic,
    data: std::path::PathBuf,
    story: serde_json::Value,
    _driver: Driver,
    c: Client,
}

async fn call_with_story(allow_pause: bool) -> CallWithStory {
    let tmp = tempfile::tempdir().unwrap();
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    mic.feed_loop(&noisy_speech(tmp.path(), "The customer was unhappy until the batch ran again"));
    let data = tmp.path().join("data");
    let out = Command::new(bin("rehearse-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args(["template", "import"])
        .arg(rehearsal_fixture())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let story = cli(
        &data,
        &[
            "story",
            "add",
            "--title",
            TITLE,
            "--principle",
            "customer-obsession",
            "--cue",
            "ORA-01555",
            "--cue",
            "undo",
            "--cue",
            "90 days",
            "--json",
        ],
    );
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    let no_models = tmp.path().join("no-models");
    std::fs::create_dir_all(&no_models).unwrap();
    env.push(("REHEARSE_MODELS_DIR".to_string(), no_models.display().to_string()));

    let (driver, c) = launch(&env).await;
    if allow_pause {
        // This call also shows the cue card in the pick moment: turned on from the Stories
        // screen (M), a switch the window stores as a typed setting.
        press(&c, 'b').await;
        wait_for(
            &c,
            "the Stories screen",
            5,
            "return document.body.dataset.screen === 'stories' && !document.getElementById('stories-view').dataset.loading",
        )
        .await;
        press(&c, 'm').await;
        wait_for(
            &c,
            "the call cue card turned on",
            5,
            "return document.getElementById('st-status').textContent.includes(\"mock call's pick moment\")",
        )
        .await;
        assert_eq!(js(&c, "return document.getElementById('st-status').dataset.kind").await, "", "turning it on is not refused");
        press(&c, ESCAPE).await;
    }
    press(&c, 'c').await;
    wait_for(
        &c,
        "the pre-flight",
        5,
        "return !document.getElementById('call-preflight').hidden && document.querySelectorAll('#tpl-list li').length >= 2",
    )
    .await;
    for _ in 0..5 {
        if js(&c, "return document.querySelector('#tpl-list [aria-selected=true]').dataset.template").await == "test-short" {
            break;
        }
        press(&c, ARROW_DOWN).await;
    }
    wait_for(&c, "the compressed template", 5, "return document.getElementById('tpl-outline').textContent.includes('Principles')").await;
    if allow_pause {
        press(&c, 'p').await;
        wait_for(&c, "pausing allowed", 5, "return document.getElementById('call-allow-pause').checked").await;
    }
    CallWithStory { _tmp: tmp, mic, data, story, _driver: driver, c }
}

const PICK_OPEN: &str =
    "const b = document.getElementById('call-story'); return !!b && !b.hidden && b.textContent.includes('1  Nightly batch')";

/// The call ran to its report; the question's take tells the story, the probe's does not.
async fn call_ends_with_the_take_linked(call: &CallWithStory) {
    let c = &call.c;
    wait_for(c, "the report", 40, "return !document.getElementById('call-report').hidden").await;
    call.mic.stop_feed();
    let shown = cli(&call.data, &["story", "show", &call.story["id"].to_string(), "--json"]);
    let linked = shown["linked_takes"].as_array().unwrap();
    assert_eq!(linked.len(), 1, "{shown}");
    assert_eq!(linked[0]["question_id"], "lp.unhappy-customer");
    assert!(linked[0]["probe"].is_null());
    let line = js(c, "return document.getElementById('report-line').textContent").await;
    assert!(line.as_str().unwrap().starts_with("Finished"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_mock_call_a_story_is_picked_with_1_while_the_behavioural_question_is_asked_and_its_take_is_linked() {
    let _s = serial();
    let call = call_with_story(false).await;
    let c = &call.c;
    press(c, ENTER).await;
    wait_for(c, "the call to start recording", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
    // The intro and technical questions offer no story.
    assert_eq!(js(c, "const b = document.getElementById('call-story'); return !b || b.hidden").await, true);
    wait_for(c, "the story pick of the behavioural question", 25, PICK_OPEN).await;
    press(c, '1').await;
    wait_for(c, "the story picked", 2, "return document.getElementById('call-story').textContent.includes('Telling: Nightly batch')").await;
    assert_eq!(js(c, "return !!document.querySelector('#call-story .story-cue-card')").await, false, "no cue card in a call by default");
    screenshot(c, "e2e-stories-call-pick-en.png").await;
    // Nothing stopped for the pick: the call ran to its end, the session finished.
    call_ends_with_the_take_linked(&call).await;
    call.c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_call_keeps_the_story_pick_open_past_its_seconds_and_a_pick_made_while_paused_is_linked() {
    let _s = serial();
    let call = call_with_story(true).await;
    let c = &call.c;
    press(c, ENTER).await;
    wait_for(c, "the call to start recording", 15, "return document.getElementById('call-rec').dataset.state === 'recording'").await;
    wait_for(c, "the story pick of the behavioural question", 25, PICK_OPEN).await;
    // The answer clock starts the pick's seconds; pause as soon as it does.
    wait_for(c, "its answer clock", 15, "return document.getElementById('answer-left').textContent !== ''").await;
    press(c, 'p').await;
    wait_for(c, "the paused screen", 5, "return document.getElementById('call-screen').dataset.paused === 'true'").await;
    // Paused for longer than the whole pick window: it is still open, and 1 still picks.
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(js(c, PICK_OPEN).await, true, "the pick window closed while the call was paused");
    press(c, '1').await;
    wait_for(c, "the story picked", 2, "return document.getElementById('call-story').textContent.includes('Telling: Nightly batch')").await;
    assert_eq!(js(c, "return !!document.querySelector('#call-story .story-cue-card')").await, true, "the cue card turned on shows");
    press(c, 'p').await;
    wait_for(c, "the call to resume", 5, "return document.getElementById('call-screen').dataset.paused === 'false'").await;
    // The window runs on for the seconds it had left, then closes.
    wait_for(
        c,
        "the pick window to close after the call resumed",
        15,
        "const b = document.getElementById('call-story'); return !b || b.hidden",
    )
    .await;
    call_ends_with_the_take_linked(&call).await;
    call.c.clone().close().await.unwrap();
}
