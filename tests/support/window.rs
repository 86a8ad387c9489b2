//! Driving the real Tauri window: tauri-driver + WebKitWebDriver through fantoccini.
//! Shared by every end-to-end test file.
#![allow(clippy::unwrap_used)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};

use crate::{artifacts_dir, bin};

pub use fantoccini::Client;

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then also stops WebKitWebDriver (an orphan
        // would keep the test's output pipe open).
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts tauri-driver with the app's environment, then a WebDriver session on the app.
/// A first launch in a data folder shows the welcome: it is skipped with Esc, as a user
/// who knows the app would (the welcome's own test uses [`launch_keeping_welcome`]).
pub async fn launch(env: &[(String, String)]) -> (Driver, Client) {
    launch_app(&bin("rehearse"), env).await
}

/// As [`launch`], on the window app at `app` (e.g. the installed `/usr/bin/rehearse`).
pub async fn launch_app(app: &Path, env: &[(String, String)]) -> (Driver, Client) {
    let (driver, client) = launch_app_keeping_welcome(app, env).await;
    if js(&client, WELCOME_OPEN).await == serde_json::Value::Bool(true) {
        press(&client, ESCAPE).await;
        wait_for(&client, "the welcome to close on Esc", 5, &format!("return !({})", WELCOME_OPEN.trim_start_matches("return "))).await;
    }
    (driver, client)
}

/// True while the first-launch welcome is shown.
pub const WELCOME_OPEN: &str = "return document.getElementById('welcome')?.hidden === false";

/// As [`launch`], leaving the first-launch welcome (if any) open.
pub async fn launch_keeping_welcome(env: &[(String, String)]) -> (Driver, Client) {
    launch_app_keeping_welcome(&bin("rehearse"), env).await
}

async fn launch_app_keeping_welcome(app: &Path, env: &[(String, String)]) -> (Driver, Client) {
    assert!(std::env::var_os("DISPLAY").is_some(), "no X display: run under xvfb-run (scripts/test.sh does)");
    let port = free_port();
    let native = free_port();
    let mut cmd = Command::new("tauri-driver");
    cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let driver = Driver(cmd.spawn().expect("tauri-driver on PATH (cargo install tauri-driver --version '^2' --locked)"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    // tauri-driver listens before the WebKitWebDriver it starts does, and drops a session
    // request that comes in between (hyper's IncompleteMessage): ask again for a while.
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => break c,
            Err(e) => {
                assert!(Instant::now() < deadline, "no WebDriver session after 30 s: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = client.execute("return [document.body.dataset.ready === 'true', document.body.dataset.startError || '']", vec![]).await;
        if let Ok(serde_json::Value::Array(v)) = &state {
            let error = v.get(1).and_then(|e| e.as_str()).unwrap_or_default();
            assert!(error.is_empty(), "the window failed to start: {error}");
            if v.first().and_then(|r| r.as_bool()) == Some(true) {
                break;
            }
        }
        assert!(Instant::now() < deadline, "timed out after 60 s waiting for the window to be ready (last answer: {state:?})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, client)
}

/// Polls a JavaScript condition until it returns true. On a timeout the window is saved as
/// `timeout-<what>.png` and the failure quotes the screen's banners and language, so a CI
/// failure shows what the window showed instead.
pub async fn wait_for(c: &Client, what: &str, secs: u64, js: &str) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if c.execute(js, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        if Instant::now() >= deadline {
            let name: String = what.chars().map(|ch| if ch.is_alphanumeric() { ch } else { '-' }).collect();
            if let Ok(png) = c.screenshot().await {
                let _ = std::fs::write(artifacts_dir().join(format!("timeout-{name}.png")), png);
            }
            let seen = c
                .execute(
                    "const txt = id => { const e = document.getElementById(id); return e && !e.hidden ? e.textContent.trim() : null; };
                     return JSON.stringify({ lang: document.documentElement.lang, screen: document.body.dataset.screen ?? null,
                       focus: document.activeElement ? document.activeElement.id : null,
                       error: txt('error-banner'), warning: txt('warning-banner') })",
                    vec![],
                )
                .await
                .ok();
            panic!("timed out after {secs} s waiting for {what} (the window: {})", seen.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Saves a PNG of the window after two paints (a screenshot right after a DOM change
/// would show the previous frame).
pub async fn screenshot(c: &Client, name: &str) {
    c.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await
    .unwrap();
    let path = artifacts_dir().join(name);
    std::fs::write(&path, c.screenshot().await.unwrap()).unwrap();
    println!("screenshot: {}", path.display());
}

/// Presses one key on the keyboard (WebDriver key codes for Enter, Escape, End …).
pub async fn press(c: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

/// Holds `modifier` (CONTROL …) while pressing `key`.
pub async fn press_chord(c: &Client, modifier: char, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: modifier })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: modifier });
    c.perform_actions(keys).await.unwrap();
}

pub const TAB: char = '\u{E004}';
pub const CONTROL: char = '\u{E009}';
pub const ENTER: char = '\u{E007}';
pub const ESCAPE: char = '\u{E00C}';
pub const END: char = '\u{E010}';
pub const ARROW_DOWN: char = '\u{E015}';
pub const ARROW_UP: char = '\u{E013}';

pub async fn press_space(c: &Client) {
    press(c, ' ').await;
}

/// Clicks the element `css` finds. An element the UI re-rendered between finding and
/// clicking (a stale reference) is found again, for up to 5 s.
pub async fn click(c: &Client, css: &str) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let e = c.find(Locator::Css(css)).await.unwrap();
        match e.click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(w))
                if w.error == fantoccini::error::ErrorStatus::StaleElementReference && std::time::Instant::now() < until =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("click {css}: {e}"),
        }
    }
}

pub fn data_env(data: &Path) -> (String, String) {
    ("REHEARSE_DATA_DIR".into(), data.display().to_string())
}

/// A WebDriver round trip to the page, timed: the window answers while the page's JS runs.
pub async fn answers_within(c: &Client, secs: f64, what: &str) {
    let t = Instant::now();
    let v = tokio::time::timeout(Duration::from_secs_f64(secs * 3.0), js(c, "return document.body.dataset.ready")).await;
    let took = t.elapsed().as_secs_f64();
    assert!(v.is_ok() && took <= secs, "the window did not answer within {secs} s {what} (took {took:.2} s)");
}

/// Screenshots at the default size and at the minimum window size (800×560), then back;
/// `fits` (a script) must hold at the minimum size.
pub async fn shots(c: &Client, name: &str, fits: Option<&str>) {
    screenshot(c, &format!("{name}.png")).await;
    let before = c.get_window_rect().await.unwrap();
    if c.set_window_rect(0, 0, 800, 560).await.is_ok() {
        tokio::time::sleep(Duration::from_millis(400)).await;
        if let Some(fits) = fits {
            assert_eq!(js(c, fits).await, true, "{name}: fits the minimum window");
        }
        screenshot(c, &format!("{name}-min.png")).await;
        let _ = c.set_window_rect(before.0 as u32, before.1 as u32, before.2 as u32, before.3 as u32).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}
