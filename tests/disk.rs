//! A full disk, for real: the data folder on a small tmpfs mounted by the test (root).
//! The take stops, stays valid and is kept; the message says how much was saved; the
//! database stays consistent.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rehearse_tests::*;

/// A tmpfs of `size` mounted for the test's lifetime.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(at).output().unwrap();
        assert!(
            out.status.success(),
            "cannot mount a small tmpfs (needs root and mount permission): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { dir: at.to_path_buf() }
    }

    fn free_bytes(&self) -> u64 {
        let out = Command::new("df").args(["--output=avail", "-B1"]).arg(&self.dir).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn cli(data: &Path) -> Command {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data);
    c
}

fn one_error_line(stderr: &str) -> String {
    let ours: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rehearse-cli: ")).collect();
    assert_eq!(ours.len(), 1, "one error line expected: {stderr}");
    ours[0].to_string()
}

#[test]
fn recording_is_refused_up_front_when_free_space_is_below_the_floor() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "8m");
    let data = disk.dir.join("data");
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let mut c = cli(&data);
    c.args(["record", "--question", "db.deadlock", "--seconds", "2"]).env("REHEARSE_MIN_FREE_MB", "20");
    mic.apply(&mut c);
    let out = c.output().unwrap();
    assert!(!out.status.success());
    let line = one_error_line(&String::from_utf8_lossy(&out.stderr));
    assert!(line.contains("not enough free disk space") && line.contains("20 MB"), "{line}");
    assert!(db_takes(&data).is_empty());
    assert!(std::fs::read_dir(data.join("takes")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains(".wav")));
}

#[test]
fn a_take_stops_cleanly_at_the_free_space_floor_and_is_kept() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "4m");
    let data = disk.dir.join("data");
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "The fast recovery area is full");
    assert!(cli(&data).arg("questions").output().unwrap().status.success());
    // Leave about 0.5 MB above a 3 MB floor: ~5 s of 48 kHz mono.
    let floor = 3u64 << 20;
    let filler = disk.dir.join("filler");
    let fill = disk.free_bytes().saturating_sub(floor + (512 << 10));
    std::fs::write(&filler, vec![0u8; fill as usize]).unwrap();
    mic.feed_loop(&speech_raw);
    let mut c = cli(&data);
    c.args(["record", "--question", "db.storage-archive-full", "--seconds", "60", "--json"]).env("REHEARSE_MIN_FREE_MB", "3");
    mic.apply(&mut c);
    let mut w = Watched::spawn(c);
    assert!(w.wait_line("disk is almost full", Duration::from_secs(30)).is_some(), "the disk-low stop is announced");
    let mut child = w.child;
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert!(!status.success(), "an early stop is an error exit");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["take"]["stop_reason"], "disk_low");
    let st = wav_stats(Path::new(v["path"].as_str().unwrap()));
    println!("kept {:.2} s before the floor", st.seconds);
    assert!(st.seconds > 2.0 && st.rms > 0.02, "kept {:.2} s, rms {}", st.seconds, st.rms);
    assert_eq!(db_integrity(&data), "ok");
    assert_eq!(db_takes(&data).len(), 1);
}

#[test]
fn a_write_error_on_a_full_disk_keeps_the_audio_written_before_it() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "3m");
    let data = disk.dir.join("data");
    let mic = VirtualMic::start(&tmp.path().join("vmic"));
    let (speech_raw, _) = speech(tmp.path(), "Archive logs fill the disk");
    assert!(cli(&data).arg("questions").output().unwrap().status.success());
    // No floor: recording runs into ENOSPC after ~400 kB (~4 s).
    let filler = disk.dir.join("filler");
    let fill = disk.free_bytes().saturating_sub(400 << 10);
    std::fs::write(&filler, vec![0u8; fill as usize]).unwrap();
    mic.feed_loop(&speech_raw);
    let mut c = cli(&data);
    c.args(["record", "--question", "db.storage-archive-full", "--seconds", "60"]).env("REHEARSE_MIN_FREE_MB", "0");
    mic.apply(&mut c);
    let w = Watched::spawn(c);
    let (status, stderr) = w.finish();
    println!("{stderr}");
    assert!(!status.success(), "the failure is reported");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("No space left on device") || stderr.contains("disk"), "the message names the cause: {stderr}");
    assert!(stderr.contains("saved"), "the message says how much was saved: {stderr}");
    assert_eq!(db_integrity(&data), "ok", "the database is consistent");
    // The take is kept: indexed now, or (if even the index could not be written) at the
    // next start once there is room again.
    std::fs::remove_file(&filler).unwrap();
    let out = cli(&data).args(["takes", "--json"]).output().unwrap();
    let takes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let takes = takes.as_array().unwrap();
    assert_eq!(takes.len(), 1, "{takes:?}");
    let path = data.join(takes[0]["file_path"].as_str().unwrap());
    let st = wav_stats(&path);
    println!("kept {:.2} s, status {}, stopped by {}", st.seconds, takes[0]["status"], takes[0]["stop_reason"]);
    // Labelled with why it stopped, also when it could only be indexed at the next start.
    assert!(matches!(takes[0]["stop_reason"].as_str(), Some("write_failed" | "disk_low")), "{}", takes[0]);
    assert!(st.seconds > 1.0 && st.rms > 0.02, "kept {:.2} s, rms {}", st.seconds, st.rms);
    assert!(sox_reads(&path));
}

/// Two takes of 1 s and 3 s, as a recorder leaves them: a WAV under `takes/` and its row.
fn two_takes(data: &Path) {
    assert!(cli(data).arg("questions").output().unwrap().status.success());
    let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    for (i, secs) in [(1, 1u32), (2, 3)] {
        let rel = format!("takes/t{i}.wav");
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(data.join(&rel), spec).unwrap();
        (0..48_000 * secs).for_each(|n| w.write_sample(((n % 96) as i16 - 48) * 100).unwrap());
        w.finalize().unwrap();
        c.execute(
            "INSERT INTO takes (question_id, started_at, duration_ms, sample_rate, channels, file_path) VALUES ('db.deadlock', ?1, ?2, 48000, 1, ?3)",
            rusqlite::params![format!("2026-03-0{i}T10:00:00.000Z"), secs * 1000, rel],
        )
        .unwrap();
    }
}

fn takes_json(data: &Path) -> Vec<serde_json::Value> {
    let out = cli(data).args(["takes", "--json"]).output().unwrap();
    assert!(out.status.success(), "takes: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

#[test]
fn a_start_writes_nothing_to_the_database_when_nothing_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    two_takes(&data);
    let before = std::fs::read(data.join("rehearse.db")).unwrap();
    for args in [&["takes"][..], &["questions"], &["deck", "list"], &["template", "list"], &["library"]] {
        let out = cli(&data).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::read(data.join("rehearse.db")).unwrap() == before, "{args:?} changed the database file");
    }
}

#[test]
fn on_a_full_disk_reading_commands_and_export_work_and_delete_frees_space() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "3m");
    let data = disk.dir.join("data");
    two_takes(&data);
    // Fill the disk for real, to the last byte.
    let mut filler = std::fs::File::create(disk.dir.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    drop(filler);
    assert_eq!(disk.free_bytes(), 0);
    let before = std::fs::read(data.join("rehearse.db")).unwrap();

    assert_eq!(takes_json(&data).len(), 2, "takes lists the library on a full disk");
    assert!(cli(&data).arg("questions").output().unwrap().status.success());
    let out_file = tmp.path().join("saved.wav");
    let out = cli(&data).args(["export", "--take", "2"]).arg(&out_file).output().unwrap();
    assert!(out.status.success(), "export: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&out_file).unwrap(), std::fs::read(data.join("takes/t2.wav")).unwrap());
    assert!(std::fs::read(data.join("rehearse.db")).unwrap() == before, "reading changed the database");

    // A change other than deleting is refused, in one line that says why.
    let out = cli(&data).args(["rate", "1", "--rating", "good"]).output().unwrap();
    assert!(!out.status.success());
    let line = one_error_line(&String::from_utf8_lossy(&out.stderr));
    assert!(line.contains("full") && line.contains(&data.display().to_string()), "{line}");

    // Deleting works, and frees the space.
    let out = cli(&data).args(["delete", "1"]).output().unwrap();
    assert!(out.status.success(), "delete on a full disk: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!data.join("takes/t1.wav").exists());
    assert!(disk.free_bytes() > 0);
    let left = takes_json(&data);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["id"], 2);
    assert_eq!(db_integrity(&data), "ok");
}

/// A read-only data folder: a small tmpfs remounted read-only (which stops root too).
#[test]
fn a_read_only_folder_can_be_read_and_exported_and_a_change_names_it() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "8m");
    let data = disk.dir.join("data");
    two_takes(&data);
    let before = std::fs::read(data.join("rehearse.db")).unwrap();
    let ro = Command::new("mount").args(["-o", "remount,ro"]).arg(&disk.dir).status().unwrap();
    assert!(ro.success(), "remount read-only");

    assert_eq!(takes_json(&data).len(), 2);
    assert!(cli(&data).arg("questions").output().unwrap().status.success());
    let out_file = tmp.path().join("t1.wav");
    let out = cli(&data).args(["export", "--take", "1"]).arg(&out_file).output().unwrap();
    assert!(out.status.success(), "export: {}", String::from_utf8_lossy(&out.stderr));
    let day = day_from_today(30);
    for args in [&["rate", "1", "--rating", "good"][..], &["interview-date", &day], &["delete", "1"], &["recover"]] {
        let out = cli(&data).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let line = one_error_line(&String::from_utf8_lossy(&out.stderr));
        assert!(line.contains("read-only") && line.contains(&data.display().to_string()), "{args:?}: {line}");
        assert!(!line.contains("damaged"), "{line}");
    }
    assert!(std::fs::read(data.join("rehearse.db")).unwrap() == before);
    assert!(Command::new("mount").args(["-o", "remount,rw"]).arg(&disk.dir).status().unwrap().success());
}

/// `chattr +i`: the database file cannot be written, even by root; its folder can.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_database_file_can_be_read_and_a_change_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    two_takes(&data);
    let db = data.join("rehearse.db");
    let before = std::fs::read(&db).unwrap();
    assert!(Command::new("chattr").arg("+i").arg(&db).status().unwrap().success(), "chattr +i");
    let _guard = Immutable(db.clone());
    assert_eq!(takes_json(&data).len(), 2);
    let out = cli(&data).args(["rate", "2", "--note", "better"]).output().unwrap();
    let line = one_error_line(&String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success());
    assert!(line.contains("read-only") && line.contains(&db.display().to_string()), "{line}");
    assert!(std::fs::read(&db).unwrap() == before);
}
