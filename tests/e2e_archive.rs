//! End to end in the real window: an archive whose checksums are all correct but whose
//! database names a take file outside the data folder is dropped on the review screen of
//! an empty library. It is refused with the message shown, the library stays empty, the
//! data folder's logical content is unchanged and the file outside is untouched; the
//! genuine archive then imports.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::process::Command;

use rehearse_tests::archives::*;
use rehearse_tests::window::*;
use rehearse_tests::*;

/// The event Tauri sends the webview when a file is dropped from the desktop (WebDriver
/// cannot drag from outside the page).
fn drop_file_js(path: &std::path::Path) -> String {
    let p = serde_json::to_string(&path.display().to_string()).unwrap();
    format!(
        "window.__TAURI_INTERNALS__.invoke('plugin:event|emit', {{ event: 'tauri://drag-drop', payload: {{ paths: [{p}], position: {{ x: 200, y: 200 }} }} }});
         return true;"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_archive_dropped_on_the_window_is_refused_with_the_message_shown_and_nothing_changed() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("source");
    synthetic_library(&src, &[("db.deadlock", 0.5), ("db.ora-01555", 0.5)]);
    let good = tmp.path().join("good.zip");
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&src).args(["export", "--all"]).arg(&good).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let outside = tmp.path().join("other");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("x.wav"), b"not the library's").unwrap();
    let mut f = Forge::open(&good);
    f.edit_db("UPDATE takes SET file_path = '../other/x.wav' WHERE id = 1");
    let hostile = f.write(&tmp.path().join("hostile.zip"));

    let fresh = tmp.path().join("fresh");
    let mut env = no_microphone_env(tmp.path());
    env.push(data_env(&fresh));
    let (_driver, c) = launch(&env).await;
    let before = content(&fresh);
    press(&c, 'r').await;
    wait_for(&c, "the empty review screen", 5, "return !document.getElementById('review-view').hidden").await;
    js(&c, &drop_file_js(&hostile)).await;
    wait_for(&c, "the refusal", 20, "return !document.getElementById('error-banner').hidden").await;
    let text = js(&c, "return document.getElementById('error-text').textContent").await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("../other/x.wav") && text.contains("not inside the data folder") && text.contains("nothing was changed"),
        "{text}"
    );
    // Seen, not merely present: the banner is what is on top at its own centre (the review
    // screen covers the whole window).
    let on_top = js(&c, "const r = document.getElementById('error-banner').getBoundingClientRect(); const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return r.height > 0 && document.getElementById('error-banner').contains(e)").await;
    assert_eq!(on_top, true, "the refusal is hidden behind the review screen");
    screenshot(&c, "e2e-hostile-archive-refused.png").await;
    wait_for(&c, "the modal closed", 5, "return document.getElementById('busy').hidden").await;
    assert_eq!(js(&c, "return document.querySelectorAll('#lib-list .lib-row').length").await, 0);
    assert_eq!(content(&fresh), before, "the refused import changed the data folder");
    assert_eq!(std::fs::read(outside.join("x.wav")).unwrap(), b"not the library's");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);

    // The genuine archive imports into the same window afterwards.
    js(&c, &drop_file_js(&good)).await;
    wait_for(&c, "the imported takes listed", 20, "return document.querySelectorAll('#lib-list .lib-row').length === 2").await;
    c.close().await.unwrap();
}
