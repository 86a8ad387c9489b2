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
    println!("kept {:.2} s, status {}", st.seconds, takes[0]["status"]);
    assert!(st.seconds > 1.0 && st.rms > 0.02, "kept {:.2} s, rms {}", st.seconds, st.rms);
    assert!(sox_reads(&path));
}
