//! End to end in the real window: events Rust sends during a take reach the page and are
//! shown in the user's language (ui/src/bindings.ts lists them; each has a listener).
//! Run under a display (`xvfb-run -a cargo test`, as scripts/test.sh does); mounting the
//! small disk needs root, as tests/disk.rs.
#![allow(clippy::unwrap_used)]
// Each test holds the serial lock for its whole run on purpose (one app, one sound server
// at a time); every test has its own runtime, so the guard held across awaits cannot
// deadlock.
#![allow(clippy::await_holding_lock)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rehearse_tests::window::*;
use rehearse_tests::*;

const END: char = '\u{E010}';
const ENTER: char = '\u{E007}';
const ESCAPE: char = '\u{E00C}';

/// A tmpfs of a given size, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(at).output().unwrap();
        assert!(out.status.success(), "cannot mount a small tmpfs (needs root): {}", String::from_utf8_lossy(&out.stderr));
        SmallDisk(at.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

const DECK: &str = r#"format = 1
[deck]
id = "e2e"
name = { en = "E2E deck", ko = "E2E 덱" }
languages = ["en", "ko"]

[[questions]]
id = "e2e.isolation"
category = "technical"
think_secs = 1
answer_secs = 3
retakes = 2
text = { en = "Name the four isolation levels.", ko = "네 가지 격리 수준을 말해 보세요." }
key_points.en = ["Read uncommitted", "Serializable"]
key_points.ko = ["커밋되지 않은 읽기", "직렬화 가능"]
"#;

fn phase_is(p: &str) -> String {
    format!("return document.getElementById('s-phase').dataset.phase === '{p}'")
}

async fn text_of(c: &Client, id: &str) -> String {
    js(c, &format!("return document.getElementById('{id}').textContent")).await.as_str().unwrap_or_default().to_string()
}

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// Runs the one-question session to its review and returns (banner text, saved text).
async fn practise_once(c: &Client, banner_has: &str, saved_has: &str) -> (String, String) {
    press(c, 's').await;
    wait_for(c, "the practice setup", 5, "return !document.getElementById('practice-setup').hidden").await;
    press(c, END).await; // the imported deck is listed last
    wait_for(c, "the e2e deck", 5, "return document.querySelector('#deck-list [aria-selected=true]').dataset.deck === 'e2e'").await;
    press(c, ENTER).await;
    wait_for(c, "the answer", 8, &phase_is("answer")).await;
    // practice-disk-low: checked every second while recording.
    wait_for(
        c,
        "the low-disk message",
        5,
        &format!("return !document.getElementById('error-banner').hidden && document.getElementById('error-text').textContent.includes('{banner_has}')"),
    )
    .await;
    // practice-finished: the take is on disk, with its length.
    wait_for(c, "the saved message", 8, &format!("return document.getElementById('s-saved').textContent.includes('{saved_has}')")).await;
    wait_for(c, "the review", 5, &phase_is("review")).await;
    (text_of(c, "error-text").await, text_of(c, "s-saved").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_disk_and_the_saved_answer_during_practice_are_shown_in_english_and_korean() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    // 64 MB of disk with a 40 MB floor: about 4 minutes of audio left, under the 10-minute
    // warning line, far above the floor that would stop the take.
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "64m");
    let data = disk.0.join("data");
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Read committed is the default in Oracle and PostgreSQL");
    mic.feed_loop(&speech_raw);
    let deck = tmp.path().join("e2e.toml");
    std::fs::write(&deck, DECK).unwrap();
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).args(["deck", "import"]).arg(&deck).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut env = mic.env().to_vec();
    env.push(data_env(&data));
    env.push(("REHEARSE_MIN_FREE_MB".into(), "40".into()));

    let (_driver, c) = launch(&env).await;
    let (banner, saved) = practise_once(&c, "Disk space is low", "Saved: 0:0").await;
    println!("en: {banner} | {saved}");
    assert!(banner.contains("of recording left"), "{banner}");
    screenshot(&c, "e2e-practice-disk-low-en.png").await;
    press(&c, ESCAPE).await; // end the session
    wait_for(&c, "the summary", 5, "return !document.getElementById('practice-summary').hidden").await;
    click(&c, "#sum-close").await;

    click(&c, "#lang-ko").await;
    wait_for(&c, "the Korean UI", 5, "return document.documentElement.lang === 'ko'").await;
    let (banner, saved) = practise_once(&c, "디스크 공간이 부족합니다", "저장됨").await;
    println!("ko: {banner} | {saved}");
    assert!(has_hangul(&banner) && !banner.contains("Disk"), "{banner}");
    assert!(has_hangul(&saved) && !saved.contains("Saved"), "{saved}");
    screenshot(&c, "e2e-practice-disk-low-ko.png").await;
    assert_eq!(db_takes(&data).len(), 2, "both answers are kept");
    c.close().await.unwrap();
    drop(disk);
}

/// Korean text with no English sentence: Hangul, and no Latin letters but the app's name.
fn is_korean_only(s: &str) -> bool {
    let rest = s.replace("rehearse-cli", "").replace("Rehearse", "");
    has_hangul(&rest) && !rest.chars().any(|c| c.is_ascii_alphabetic())
}

fn drop_file_js(path: &Path) -> String {
    let p = serde_json::to_string(&path.display().to_string()).unwrap();
    format!(
        "window.__TAURI_INTERNALS__.invoke('plugin:event|emit', {{ event: 'tauri://drag-drop', payload: {{ paths: [{p}], position: {{ x: 200, y: 200 }} }} }});
         return true;"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_in_the_korean_window_is_worded_in_korean_from_its_kind() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bad = tmp.path().join("not-an-archive.zip");
    std::fs::write(&bad, "this is not a zip file").unwrap();
    let mut env = no_microphone_env(tmp.path());
    env.push(data_env(&data));

    let (_driver, c) = launch(&env).await;
    wait_for(&c, "the question list", 10, "return document.querySelectorAll('.question-item').length > 0").await;
    js(&c, &drop_file_js(&bad)).await;
    wait_for(&c, "the refusal", 10, "return !document.getElementById('error-banner').hidden").await;
    let en = text_of(&c, "error-text").await;
    println!("en: {en}");
    assert!(en.contains("not-an-archive.zip"), "in English Rust's message names the file: {en}");
    click(&c, "#error-close").await;

    click(&c, "#lang-ko").await;
    wait_for(&c, "the Korean UI", 5, "return document.documentElement.lang === 'ko'").await;
    js(&c, &drop_file_js(&bad)).await;
    wait_for(
        &c,
        "the refusal in Korean",
        10,
        "return !document.getElementById('error-banner').hidden && /[가-힣]/.test(document.getElementById('error-text').textContent)",
    )
    .await;
    let ko = text_of(&c, "error-text").await;
    println!("ko: {ko}");
    // The file's own name is the one Latin word it may hold.
    assert!(ko.starts_with("not-an-archive.zip"), "the message names the file: {ko}");
    assert!(is_korean_only(&ko.replace("not-an-archive.zip", "")), "an English sentence in the Korean window: {ko}");
    assert!(ko.contains("보관 파일"), "the message for bad_archive: {ko}");
    screenshot(&c, "e2e-error-ko.png").await;
    assert!(!data.join("takes").exists() || std::fs::read_dir(data.join("takes")).unwrap().next().is_none(), "nothing imported");
    c.close().await.unwrap();
}
