//! A library of long takes, and its archive: what makes an import or an export of
//! everything take seconds, as a real one of many answers does (no test-only slowdown).
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bin;

/// Writes `n` takes of `secs` seconds each (48 kHz mono 16-bit, a tone) with their
/// sidecars into `data/takes/` and lets `rehearse-cli recover` index them, as it does
/// with what a crash left. Returns the data folder's size in bytes.
pub fn long_takes(data: &Path, n: usize, secs: u32) -> u64 {
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).arg("questions").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rate = 48_000u32;
    let bytes = rate * 2 * secs;
    // One second of a 440 Hz tone, repeated.
    let second: Vec<u8> =
        (0..rate).flat_map(|i| (((i as f64 * 440.0 * std::f64::consts::TAU / rate as f64).sin() * 6000.0) as i16).to_le_bytes()).collect();
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(36 + bytes).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes()); // PCM
    header.extend_from_slice(&1u16.to_le_bytes()); // mono
    header.extend_from_slice(&rate.to_le_bytes());
    header.extend_from_slice(&(rate * 2).to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&16u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&bytes.to_le_bytes());
    let takes = data.join("takes");
    for i in 0..n {
        let stem = format!("0190000000007000800000000000{i:04}");
        let mut f = std::io::BufWriter::new(std::fs::File::create(takes.join(format!("{stem}.wav"))).unwrap());
        f.write_all(&header).unwrap();
        for _ in 0..secs {
            f.write_all(&second).unwrap();
        }
        f.flush().unwrap();
        let sidecar = format!(
            r#"{{"question_id":"db.deadlock","started_at":"2026-11-25T10:{:02}:{:02}.000Z","file":"takes/{stem}.wav","device":"test","sample_rate":{rate}}}"#,
            i / 60,
            i % 60
        );
        std::fs::write(takes.join(format!("{stem}.json")), sidecar).unwrap();
    }
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).arg("recover").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: i64 =
        rusqlite::Connection::open(data.join("rehearse.db")).unwrap().query_row("SELECT COUNT(*) FROM takes", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, n as i64, "every long take is indexed");
    std::fs::read_dir(&takes).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
}

/// A library of `n` takes of `secs` seconds built in `dir/source`, exported to
/// `dir/big.zip` by `rehearse-cli export --all`.
pub fn long_takes_archive(dir: &Path, n: usize, secs: u32) -> PathBuf {
    let source = dir.join("source");
    long_takes(&source, n, secs);
    let archive = dir.join("big.zip");
    let out = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&source).args(["export", "--all"]).arg(&archive).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    archive
}
