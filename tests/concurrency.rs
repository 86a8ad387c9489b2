//! Several processes on one data folder at once, for real: CLI processes started together
//! on new folders, a recording against an import or export of everything running in
//! another process (both ways), and several starts racing to recover what a crash left.
//! Real binaries, real SQLite files, the virtual microphone.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rehearse_tests::big_library::long_takes_archive;
use rehearse_tests::*;

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

fn spawn(mut c: Command) -> Child {
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

fn text(o: &Output) -> String {
    format!("status {:?}, stdout: {}, stderr: {}", o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Starts every command at the same moment (as far as a test can) and waits for them all.
fn together(cmds: Vec<Command>) -> Vec<Output> {
    let children: Vec<Child> = cmds.into_iter().map(spawn).collect();
    children.into_iter().map(|c| c.wait_with_output().unwrap()).collect()
}

/// Names in a folder that start with `prefix` (e.g. the staging folder of an import).
fn has_entry(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok()).any(|e| e.file_name().to_string_lossy().starts_with(prefix))).unwrap_or(false)
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// A virtual microphone speaking in a loop.
fn speaking_mic(tmp: &Path) -> VirtualMic {
    let mic = VirtualMic::start(&tmp.join("vmic"));
    let (raw, _) = speech(tmp, "The replica fell behind while the batch job held its locks.");
    mic.feed_loop(&raw);
    mic
}

fn record(data: &Path, mic: &VirtualMic, seconds: Option<&str>) -> Command {
    let mut c = cli(data);
    c.args(["record", "--question", "db.deadlock"]);
    if let Some(s) = seconds {
        c.args(["--seconds", s]);
    }
    mic.apply(&mut c);
    c
}

#[test]
fn processes_opening_one_new_data_folder_at_the_same_moment_all_succeed() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    // Before: one of each pair died with "table decks already exists" (20 of 20 pairs).
    for round in 0..12 {
        let data = tmp.path().join(format!("q{round}"));
        let outs = together(vec![
            {
                let mut c = cli(&data);
                c.arg("questions");
                c
            },
            {
                let mut c = cli(&data);
                c.arg("questions");
                c
            },
        ]);
        for o in &outs {
            assert!(o.status.success(), "round {round}: {}", text(o));
            assert!(String::from_utf8_lossy(&o.stdout).contains("db.deadlock"), "round {round}: the questions are listed: {}", text(o));
        }
    }
    // Two recordings into a new folder: both takes are recorded and indexed.
    let mic = speaking_mic(tmp.path());
    for round in 0..5 {
        let data = tmp.path().join(format!("r{round}"));
        let outs = together(vec![record(&data, &mic, Some("1")), record(&data, &mic, Some("1"))]);
        for o in &outs {
            assert!(o.status.success(), "round {round}: {}", text(o));
        }
        let rows = db_takes(&data);
        assert_eq!(rows.len(), 2, "round {round}: both takes are indexed: {rows:?}");
        assert_ne!(rows[0].3, rows[1].3);
    }
}

/// Rows of the takes table (id, question, duration, file).
type Rows = Vec<(i64, String, i64, String)>;

/// What an imported or exported library holds: its take rows and the files in `takes/`.
fn library_state(data: &Path) -> (Rows, Vec<String>) {
    (db_takes(data), file_names(&data.join("takes")))
}

#[test]
fn a_recording_is_refused_while_an_import_or_export_of_everything_runs_in_another_process() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = speaking_mic(tmp.path());
    // 12 takes of 60 s: about 70 MB, seconds to check and move in.
    let archive = long_takes_archive(tmp.path(), 12, 60);

    let data = tmp.path().join("restored");
    let mut import = cli(&data);
    import.args(["import", "--all"]).arg(&archive);
    let started = Instant::now();
    let mut import = spawn(import);
    wait_until("the import's staging folder", 60, || has_entry(&data, ".import-"));
    let refused = record(&data, &mic, Some("2")).output().unwrap();
    assert!(
        import.try_wait().unwrap().is_none(),
        "the import still ran while the recording was tried (it took {:?}): make the archive larger",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(!refused.status.success(), "the recording was refused: {}", text(&refused));
    assert!(stderr.contains("an import or export of everything is running") && stderr.contains("a recording cannot start"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    let out = import.wait_with_output().unwrap();
    assert!(out.status.success(), "the import went on: {}", text(&out));
    println!("import: {:?}", started.elapsed());
    let (rows, files) = library_state(&data);
    assert_eq!(rows.len(), 12, "exactly the archive's takes, none lost or added");
    assert_eq!(files.len(), 24, "each take's WAV and sidecar, nothing left by the refused recording: {files:?}");

    // An export of everything of that library, and a recording tried meanwhile.
    let mut export = cli(&data);
    export.args(["export", "--all"]).arg(tmp.path().join("again.zip"));
    let started = Instant::now();
    let mut export = spawn(export);
    wait_until("the export's staging folder", 60, || has_entry(&data, ".export-"));
    let refused = record(&data, &mic, Some("2")).output().unwrap();
    assert!(export.try_wait().unwrap().is_none(), "the export still ran while the recording was tried (it took {:?})", started.elapsed());
    let stderr = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(!refused.status.success() && stderr.contains("an import or export of everything is running"), "{}", text(&refused));
    let out = export.wait_with_output().unwrap();
    assert!(out.status.success(), "the export went on: {}", text(&out));
    println!("export: {:?}", started.elapsed());
    assert_eq!(library_state(&data), (rows, files), "the refused recording changed nothing");

    // Afterwards recording works again.
    let ok = record(&data, &mic, Some("1")).output().unwrap();
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(db_takes(&data).len(), 13);
}

#[test]
fn an_import_or_export_of_everything_is_refused_while_a_recording_runs_in_another_process() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = speaking_mic(tmp.path());
    let data = tmp.path().join("data");
    // An archive to import: one take of another library.
    let other = tmp.path().join("other");
    assert!(record(&other, &mic, Some("1")).output().unwrap().status.success());
    let archive = tmp.path().join("other.zip");
    assert!(cli(&other).args(["export", "--all"]).arg(&archive).output().unwrap().status.success());

    let mut rec = Watched::spawn(record(&data, &mic, None));
    let started = rec.wait_line("recording from", Duration::from_secs(20)).expect("recording started");
    let before = file_names(&data);
    let out_zip = tmp.path().join("during.zip");
    let export = cli(&data).args(["export", "--all"]).arg(&out_zip).output().unwrap();
    let stderr = String::from_utf8_lossy(&export.stderr).to_string();
    assert!(!export.status.success(), "the export was refused: {}", text(&export));
    assert!(
        stderr.contains("a recording") && stderr.contains("is running") && stderr.contains("an export of everything cannot start"),
        "{stderr}"
    );
    assert!(!out_zip.exists(), "no archive was written");
    let import = cli(&data).args(["import", "--all"]).arg(&archive).output().unwrap();
    let stderr = String::from_utf8_lossy(&import.stderr).to_string();
    assert!(!import.status.success() && stderr.contains("an import of everything cannot start"), "{}", text(&import));
    assert_eq!(file_names(&data), before, "nothing changed in the data folder");

    // A take stopped before half a second is not kept: let it run at least a second.
    std::thread::sleep(Duration::from_secs(1).saturating_sub(started.elapsed()));
    rec.signal("INT");
    let (status, stderr) = rec.finish();
    assert!(status.success(), "the recording went on and was saved: {stderr}");
    assert_eq!(db_takes(&data).len(), 1);
    let export = cli(&data).args(["export", "--all"]).arg(&out_zip).output().unwrap();
    assert!(export.status.success(), "once it ended, the export runs: {}", text(&export));
}

#[test]
fn several_processes_starting_after_a_crash_recover_each_left_take_exactly_once() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mic = speaking_mic(tmp.path());
    for round in 0..3 {
        let data = tmp.path().join(format!("data{round}"));
        // Three recordings killed mid-take leave three partial files.
        let mut recs: Vec<Watched> = (0..3).map(|_| Watched::spawn(record(&data, &mic, None))).collect();
        for r in &mut recs {
            r.wait_line("recording from", Duration::from_secs(20)).expect("recording started");
        }
        std::thread::sleep(Duration::from_millis(1500));
        for r in &recs {
            r.signal("KILL");
        }
        for r in recs {
            r.finish();
        }
        let partials = file_names(&data.join("takes")).into_iter().filter(|n| n.ends_with(".wav.partial")).count();
        assert_eq!(partials, 3, "round {round}: the kills left three partial takes");

        // Five starts at once, as after a reboot with the window and scripts starting.
        let cmds: Vec<Command> = (0..5)
            .map(|i| {
                let mut c = cli(&data);
                c.args(if i % 2 == 0 { vec!["takes"] } else { vec!["questions"] });
                c
            })
            .collect();
        let outs = together(cmds);
        let mut reports = vec![];
        for o in &outs {
            assert!(o.status.success(), "round {round}: {}", text(o));
            let stderr = String::from_utf8_lossy(&o.stderr).to_string();
            assert!(!stderr.contains("cannot") && !stderr.contains("UNIQUE"), "round {round}: {stderr}");
            if stderr.contains("recovered") {
                reports.push(stderr);
            }
        }
        assert_eq!(reports.len(), 1, "round {round}: exactly one process reports the recovery: {reports:?}");
        assert!(reports[0].contains("recovered 3 take(s)"), "round {round}: {}", reports[0]);
        let rows = db_takes(&data);
        assert_eq!(rows.len(), 3, "round {round}: one row per take: {rows:?}");
        let mut paths: Vec<&String> = rows.iter().map(|r| &r.3).collect();
        paths.dedup();
        assert_eq!(paths.len(), 3);
        let names = file_names(&data.join("takes"));
        assert!(!names.iter().any(|n| n.ends_with(".partial") || n.ends_with(".damaged")), "round {round}: {names:?}");
        for r in &rows {
            assert!(sox_reads(&data.join(&r.3)), "{}", r.3);
        }
    }
}
