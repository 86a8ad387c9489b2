//! bench-asr: loads a Whisper model and transcribes WAV files, printing one JSON object per file
//! with the times measured in process (run by scripts/bench-asr.sh under /usr/bin/time -v).
//!
//! usage: bench-asr [--model PATH] [--threads N] [--no-filler-prompt] LANG WAV...

use std::path::PathBuf;
use std::time::Instant;

use rehearse_speech::{default_model_path, read_wav_mono, Recognizer};

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut model = default_model_path();
    let mut threads = 2;
    let mut prompt = true;
    let mut rest = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--model" => model = args.next().map(PathBuf::from),
            "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(2),
            "--no-filler-prompt" => prompt = false,
            _ => rest.push(a),
        }
    }
    if rest.len() < 2 {
        eprintln!("usage: bench-asr [--model PATH] [--threads N] [--no-filler-prompt] LANG WAV...");
        std::process::exit(2);
    }
    let Some(model) = model else {
        eprintln!("bench-asr: no data folder for the default model");
        std::process::exit(1);
    };
    let language = rest.remove(0);
    let t = Instant::now();
    let mut r = match Recognizer::load(&model) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench-asr: {e}");
            std::process::exit(1);
        }
    };
    let load_s = t.elapsed().as_secs_f64();
    r.set_threads(threads);
    r.set_filler_prompt(prompt);
    for wav in rest {
        let path = PathBuf::from(&wav);
        let audio_s = match read_wav_mono(&path) {
            Ok((s, rate)) => s.len() as f64 / rate as f64,
            Err(e) => {
                eprintln!("bench-asr: {e}");
                std::process::exit(1);
            }
        };
        let t = Instant::now();
        let result = r.transcribe_wav(&path, &language, &mut |_| true);
        let secs = t.elapsed().as_secs_f64();
        match result {
            Ok(tr) => println!(
                "{{\"file\":{},\"audio_s\":{audio_s:.3},\"load_s\":{load_s:.3},\"transcribe_s\":{secs:.3},\"rtf\":{:.4},\"text\":{}}}",
                json_str(&wav),
                secs / audio_s,
                json_str(&tr.text())
            ),
            Err(e) => {
                eprintln!("bench-asr: {wav}: {e}");
                std::process::exit(1);
            }
        }
    }
}
