//! Waveform overview of a long take: with its peaks file (written while recording) and
//! without (built from the WAV). Run by `scripts/bench-peaks.sh` (release build).
//!
//! bench_peaks [DIR] [MINUTES]: writes a take of MINUTES (default 60) of 48 kHz mono through
//! the real take writer (which writes the peaks as the recorder does), then times
//! `overview(wav, 1000)` with the peaks file present and absent, and prints the figures.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use rehearse_audio::{overview, peaks_path_for, PeaksSource, TakeWriter};

const RATE: u32 = 48_000;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    format!("median {:.4} s, min {:.4} s, max {:.4} s ({} runs)", v[v.len() / 2], v[0], v[v.len() - 1], v.len())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let minutes: u64 = args.get(2).and_then(|m| m.parse().ok()).unwrap_or(60);
    let wav = dir.join("bench-take.wav");
    let _ = std::fs::remove_file(&wav);
    let _ = std::fs::remove_file(peaks_path_for(&wav));

    // Speech-like: bursts of a 180 Hz tone with harmonics and noise, pauses between them.
    let t0 = Instant::now();
    let mut w = TakeWriter::create(&wav, RATE, 1).unwrap();
    let mut block = vec![0i16; RATE as usize / 100];
    let mut seed = 0x2545_f491_u32;
    let mut n = 0u64;
    let mut writing = std::time::Duration::ZERO;
    for _ in 0..minutes * 60 * 100 {
        let loud = (n / (RATE as u64 * 3 / 2)) % 3 != 2;
        for s in block.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed % 200) as f32 - 100.0;
            let t = n as f32 / RATE as f32;
            let voice = if loud {
                8000.0 * (t * 180.0 * std::f32::consts::TAU).sin() + 3000.0 * (t * 540.0 * std::f32::consts::TAU).sin()
            } else {
                0.0
            };
            *s = (voice + noise) as i16;
            n += 1;
        }
        let t = Instant::now();
        w.write(&block).unwrap();
        writing += t.elapsed();
    }
    let t = Instant::now();
    let (_, frames) = w.finish().unwrap();
    writing += t.elapsed();
    let total_s = t0.elapsed().as_secs_f64();
    let wav_mb = std::fs::metadata(&wav).unwrap().len() as f64 / 1e6;
    let peaks_kb = std::fs::metadata(peaks_path_for(&wav)).unwrap().len() as f64 / 1e3;
    println!("take: {minutes} min, {frames} frames at {RATE} Hz, WAV {wav_mb:.1} MB, peaks file {peaks_kb:.1} kB");
    println!(
        "writing the take in 10 ms blocks (WAV + peaks, flushes and syncs, as the recorder's writer thread does): {:.2} s ({total_s:.2} s with making the signal)",
        writing.as_secs_f64()
    );
    let rss_before = status_kb("VmRSS:");

    // With the peaks file (as after any recording).
    let mut with_file = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let ov = overview(&wav, 1000).unwrap();
        with_file.push(t.elapsed().as_secs_f64());
        assert_eq!(ov.source, PeaksSource::File);
        assert_eq!(ov.columns.len(), 1000);
    }
    println!("overview, 1000 columns, peaks file present: {}", stats(with_file));

    // Without it (a recovered take, or one recorded before peaks existed): built from the WAV.
    let mut without = Vec::new();
    for _ in 0..3 {
        std::fs::remove_file(peaks_path_for(&wav)).unwrap();
        let t = Instant::now();
        let ov = overview(&wav, 1000).unwrap();
        without.push(t.elapsed().as_secs_f64());
        assert_eq!(ov.source, PeaksSource::Built);
    }
    println!("overview, 1000 columns, peaks file absent (built from the WAV, then saved): {}", stats(without));
    println!(
        "memory: VmRSS {:.1} MB before the overviews, {:.1} MB after; VmHWM {:.1} MB (whole run, WAV {wav_mb:.0} MB)",
        rss_before as f64 / 1e3,
        status_kb("VmRSS:") as f64 / 1e3,
        status_kb("VmHWM:") as f64 / 1e3
    );
    let _ = std::fs::remove_file(&wav);
    let _ = std::fs::remove_file(peaks_path_for(&wav));
}
