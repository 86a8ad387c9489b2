//! The release package, installed as a user installs it: `apt-get install ./rehearse_*.deb`
//! (built by scripts/package.sh), the INSTALLED `/usr/bin/rehearse` driven in the real window
//! (Xvfb, tauri-driver, the virtual microphone), the installed `rehearse-cli`, a reinstall over
//! itself and a removal, with the data folder kept throughout; the desktop entry through
//! `desktop-file-validate`, the package through `lintian`.
//!
//! It installs and removes a system package, so it is ignored by a plain `cargo test`:
//! scripts/test.sh runs it after scripts/package.sh, as root (or with password-less sudo):
//! `xvfb-run -a cargo test -p rehearse-tests --test package -- --ignored`.
//! The package is `$REHEARSE_DEB`, else the newest `target/package/rehearse_*.deb`.
#![allow(clippy::unwrap_used)]
#![allow(clippy::await_holding_lock)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use rehearse_tests::window::*;
use rehearse_tests::*;

const APP: &str = "/usr/bin/rehearse";
const CLI: &str = "/usr/bin/rehearse-cli";
const ENTRY: &str = "/usr/share/applications/Rehearse.desktop";
/// The ceiling for the package (the speech model stays outside it).
const MAX_DEB_BYTES: u64 = 15 * 1024 * 1024;

fn deb() -> PathBuf {
    if let Some(p) = std::env::var_os("REHEARSE_DEB") {
        return std::fs::canonicalize(p).unwrap();
    }
    let dir = repo_root().join("target/package");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `bash scripts/package.sh` first)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("rehearse_") && p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    debs.pop().unwrap_or_else(|| panic!("no rehearse_*.deb in {} (run `bash scripts/package.sh` first)", dir.display()))
}

/// Runs a command as root: directly when the test is root, else through `sudo -n`.
fn as_root(args: &[&str]) -> Output {
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut cmd = if root { Command::new(args[0]) } else { Command::new("sudo") };
    if !root {
        cmd.arg("-n").arg(args[0]);
    }
    let out = cmd.args(&args[1..]).env("DEBIAN_FRONTEND", "noninteractive").output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

fn apt(args: &[&str]) -> String {
    let mut all = vec!["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"];
    all.extend_from_slice(args);
    String::from_utf8_lossy(&as_root(&all).stdout).into_owned()
}

fn installed() -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "rehearse"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// The installed CLI's `takes --json` over the data folder under `xdg` (`$XDG_DATA_HOME`).
fn cli_takes(xdg: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(CLI).args(["takes", "--json"]).env("XDG_DATA_HOME", xdg).env_remove("REHEARSE_DATA_DIR").output().unwrap();
    assert!(out.status.success(), "rehearse-cli takes: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

/// Every file of the data folder with its bytes (the speech model folder is empty here).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if !p.to_string_lossy().contains("-wal") && !p.to_string_lossy().contains("-shm") {
                files.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn dpkg_field(deb: &Path, field: &str) -> String {
    let out = Command::new("dpkg-deb").arg("-f").arg(deb).arg(field).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
#[ignore = "installs the .deb system-wide: scripts/test.sh runs it after scripts/package.sh"]
fn the_package_is_small_declares_its_dependencies_and_passes_desktop_file_validate_and_lintian() {
    let deb = deb();
    let size = std::fs::metadata(&deb).unwrap().len();
    println!("package: {} ({:.1} MB)", deb.display(), size as f64 / 1048576.0);
    assert!(size <= MAX_DEB_BYTES, "the package is {size} bytes, over 15 MB");
    assert_eq!(dpkg_field(&deb, "Package"), "rehearse");
    let depends = dpkg_field(&deb, "Depends");
    for d in ["libwebkit2gtk-4.1-0", "libasound2", "espeak-ng"] {
        assert!(depends.split(", ").any(|x| x == d), "Depends lacks {d}: {depends}");
    }
    let contents = String::from_utf8_lossy(&Command::new("dpkg-deb").arg("-c").arg(&deb).output().unwrap().stdout).into_owned();
    // dpkg-deb lists a path as "./usr/…" or "usr/…", depending on how the tar was written.
    let in_package = |f: &str| {
        let f = f.trim_start_matches("./");
        contents.lines().filter_map(|l| l.split_whitespace().last()).any(|p| p.trim_start_matches("./") == f)
    };
    for f in [
        "./usr/bin/rehearse",
        "./usr/bin/rehearse-cli",
        "./usr/bin/rehearse-install-models",
        "./usr/share/applications/Rehearse.desktop",
        "./usr/share/doc/rehearse/copyright",
        "./usr/share/doc/rehearse/changelog.gz",
    ] {
        assert!(in_package(f), "{f} is not in the package:\n{contents}");
    }
    for size in ["32x32", "48x48", "64x64", "128x128", "256x256"] {
        let icon = format!("./usr/share/icons/hicolor/{size}/apps/rehearse.png");
        assert!(in_package(&icon), "no {size} icon in the package");
    }
    assert!(!contents.contains("ggml-"), "a speech model is in the package:\n{contents}");

    // Every library the two programs load directly is owned by a declared dependency or by one
    // of theirs, so `apt install` of the package alone brings everything they need.
    let x = tempfile::tempdir().unwrap();
    assert!(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(x.path()).status().unwrap().success());
    let mut closure = String::new();
    for d in depends.split(", ") {
        let name = d.split_whitespace().next().unwrap();
        let out = Command::new("apt-cache")
            .args([
                "depends",
                "--recurse",
                "--no-recommends",
                "--no-suggests",
                "--no-conflicts",
                "--no-breaks",
                "--no-replaces",
                "--no-enhances",
                name,
            ])
            .output()
            .unwrap();
        closure.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let closure: std::collections::BTreeSet<&str> =
        closure.lines().map(|l| l.trim().trim_start_matches("Depends:").trim_start_matches("PreDepends:").trim()).collect();
    for bin in ["usr/bin/rehearse", "usr/bin/rehearse-cli"] {
        let dump = Command::new("objdump").arg("-p").arg(x.path().join(bin)).output().unwrap();
        for lib in String::from_utf8_lossy(&dump.stdout).lines().filter_map(|l| l.trim().strip_prefix("NEEDED")).map(str::trim) {
            let owner = Command::new("dpkg").args(["-S", &format!("*/{lib}")]).output().unwrap();
            let owner = String::from_utf8_lossy(&owner.stdout);
            let pkgs: Vec<&str> = owner.lines().filter_map(|l| l.split(':').next()).collect();
            assert!(pkgs.iter().any(|p| closure.contains(p)), "{bin} needs {lib} (from {pkgs:?}), which no declared dependency brings");
        }
    }

    // The desktop entry as it is in the package.
    let entry = x.path().join(ENTRY.trim_start_matches('/'));
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.lines().any(|l| l == "Categories=Education;"), "{text}");
    assert!(text.lines().any(|l| l == "Exec=rehearse"), "{text}");
    assert!(text.lines().any(|l| l == "Icon=rehearse"), "{text}");
    let v = Command::new("desktop-file-validate").arg(&entry).output().expect("desktop-file-validate (scripts/setup.sh test installs it)");
    let said = format!("{}{}", String::from_utf8_lossy(&v.stdout), String::from_utf8_lossy(&v.stderr));
    assert!(v.status.success() && said.trim().is_empty(), "desktop-file-validate: {said}");

    let l = Command::new("lintian").arg("--no-tag-display-limit").arg(&deb).output().expect("lintian (scripts/setup.sh test installs it)");
    let said = String::from_utf8_lossy(&l.stdout).into_owned();
    println!("lintian:\n{said}");
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}", errors.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "installs the .deb system-wide: scripts/test.sh runs it after scripts/package.sh"]
async fn the_installed_app_records_a_take_that_survives_a_reinstall_and_the_removal_of_the_package() {
    let _s = serial();
    let deb = deb();
    let deb_arg = deb.display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let xdg = tmp.path().join("xdg");
    let data = xdg.join("rehearse");
    let no_models = tmp.path().join("no-models");
    std::fs::create_dir_all(&no_models).unwrap();

    if installed() {
        apt(&["remove", "rehearse"]);
    }
    let said = apt(&["install", &deb_arg]);
    assert!(installed(), "not installed after apt-get install: {said}");
    for f in [APP, CLI, "/usr/bin/rehearse-install-models", ENTRY] {
        assert!(Path::new(f).is_file(), "{f} is not installed");
    }

    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Snapshot too old happens when undo is overwritten");
    mic.feed_loop(&speech_raw);
    let mut env = mic.env().to_vec();
    env.push(("XDG_DATA_HOME".into(), xdg.display().to_string()));
    env.push(("REHEARSE_MODELS_DIR".into(), no_models.display().to_string()));

    // The installed window app records a take into $XDG_DATA_HOME/rehearse.
    let (driver, c) = launch_app(Path::new(APP), &env).await;
    assert_eq!(pids_of(Path::new(APP), &xdg.display().to_string()).len(), 1, "the window is not the installed {APP}");
    click(&c, ".question-item[data-id='db.ora-01555']").await;
    wait_for(&c, "the question to show", 5, "return document.getElementById('question-text').textContent.includes('ORA-01555')").await;
    press_space(&c).await;
    wait_for(&c, "the recording state", 10, "return document.getElementById('rec-state').dataset.state === 'recording'").await;
    wait_for(&c, "the level meter to move with the voice", 5, "return parseFloat(document.getElementById('meter-rms').style.width) > 10")
        .await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    click(&c, "#record-btn").await;
    wait_for(&c, "the take to be listed", 10, "return document.querySelectorAll('#takes .take').length === 1").await;
    screenshot(&c, "package-installed-window.png").await;

    // No speech model: review says transcription is off and names the packaged command.
    press(&c, 'r').await;
    wait_for(&c, "the review screen", 5, "return !document.getElementById('review-view').hidden").await;
    wait_for(
        &c,
        "the missing model and its install command",
        10,
        "return document.getElementById('transcribe-status').textContent.includes('rehearse-install-models')",
    )
    .await;
    let status = js(&c, "return document.getElementById('transcribe-status').textContent").await;
    println!("transcription status: {status}");
    screenshot(&c, "package-no-model.png").await;
    c.close().await.unwrap();
    drop(driver);

    // The installed CLI finds it, and the files are in $XDG_DATA_HOME/rehearse.
    let takes = cli_takes(&xdg);
    assert_eq!(takes.len(), 1, "{takes:?}");
    assert_eq!(takes[0]["question_id"], "db.ora-01555");
    let wav = data.join(takes[0]["file_path"].as_str().unwrap());
    assert!(wav.is_file(), "{} is missing", wav.display());
    let st = wav_stats(&wav);
    assert!(st.seconds > 1.5 && st.rms > 0.03, "the take: {} s, rms {}", st.seconds, st.rms);
    assert!(data.join("rehearse.db").is_file());
    let before = snapshot(&data);

    // The same package again, over itself: the take is still there, in the CLI and the window.
    let said = apt(&["install", "--reinstall", &deb_arg]);
    assert!(said.contains("over (") && installed(), "not reinstalled over itself: {said}");
    assert_eq!(snapshot(&data), before, "the reinstall changed the data folder");
    assert_eq!(cli_takes(&xdg).len(), 1);
    let (driver, c) = launch_app(Path::new(APP), &env).await;
    click(&c, ".question-item[data-id='db.ora-01555']").await;
    wait_for(&c, "the take after the reinstall", 10, "return document.querySelectorAll('#takes .take').length === 1").await;
    c.close().await.unwrap();
    drop(driver);
    mic.stop_feed();
    let before = snapshot(&data);

    // Removed: the programs are gone, the data folder is as it was.
    apt(&["remove", "rehearse"]);
    assert!(!installed());
    for f in [APP, CLI, ENTRY] {
        assert!(!Path::new(f).exists(), "{f} is still there after apt-get remove");
    }
    assert_eq!(snapshot(&data), before, "removing the package changed the data folder");
    assert_eq!(db_takes(&data).len(), 1);
}
