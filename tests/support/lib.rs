//! Shared helpers for the integration and end-to-end tests: the built binaries, a private
//! virtual microphone (PulseAudio null sink fed with espeak-ng speech), WAV checks.
#![allow(clippy::unwrap_used)]

pub mod archives;
pub mod big_library;
pub mod window;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

/// Tests that use audio timing or a window run one at a time within a test binary.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Where screenshots and other evidence of a run are kept.
pub fn artifacts_dir() -> PathBuf {
    let d = repo_root().join("test-artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A binary of the workspace, built by `cargo build --workspace` before the tests run.
pub fn bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"));
    let p = target.join("debug").join(name);
    assert!(p.exists(), "{} is missing: run `cargo build --workspace` first (scripts/test.sh does)", p.display());
    p
}

/// A private PulseAudio daemon with a virtual microphone and a virtual speaker
/// (tests/support/virtual-mic.sh). Stopped when dropped.
pub struct VirtualMic {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl VirtualMic {
    pub fn start(state_dir: &Path) -> Self {
        let dir = state_dir.to_path_buf();
        let out = Self::script(&dir, &["start"]);
        assert!(out.status.success(), "virtual mic did not start: {}", String::from_utf8_lossy(&out.stderr));
        let env_line = String::from_utf8_lossy(&Self::script(&dir, &["env"]).stdout).to_string();
        let env = env_line
            .trim()
            .trim_start_matches("export ")
            .split_whitespace()
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect();
        VirtualMic { dir, env }
    }

    fn script(dir: &Path, args: &[&str]) -> Output {
        Command::new("bash")
            .arg(repo_root().join("tests/support/virtual-mic.sh"))
            .args(args)
            .env("VMIC_DIR", dir)
            .stdin(Stdio::null())
            .output()
            .expect("run virtual-mic.sh")
    }

    /// Environment that makes cpal (ALSA "default") reach this daemon.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    pub fn apply(&self, cmd: &mut Command) {
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
    }

    pub fn feed_loop(&self, wav: &Path) {
        assert!(Self::script(&self.dir, &["feed", wav.to_str().unwrap(), "--loop"]).status.success());
    }

    pub fn feed_wait(&self, wav: &Path) {
        assert!(Self::script(&self.dir, &["feed-wait", wav.to_str().unwrap()]).status.success());
    }

    pub fn stop_feed(&self) {
        Self::script(&self.dir, &["stop-feed"]);
    }

    /// Removes the virtual microphone from the sound server, as when a USB microphone is
    /// unplugged: PulseAudio silently moves the recording stream to another source.
    pub fn unplug_mic(&self) {
        let mut c = Command::new("pactl");
        c.args(["unload-module", "module-remap-source"]);
        self.apply(&mut c);
        let out = c.output().unwrap();
        assert!(out.status.success(), "pactl unload-module failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Freezes the sound server (SIGSTOP) for `d`, as a badly overloaded machine would.
    pub fn freeze_server(&self, d: std::time::Duration) {
        let pid = std::fs::read_to_string(self.dir.join("pulse.pid")).unwrap().trim().to_string();
        assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
        std::thread::sleep(d);
        assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    }

    /// Kills the sound server outright (SIGKILL), as a crashing PulseAudio/PipeWire daemon
    /// or a restart does: ALSA's pulse plugin then hangs in the clients' audio threads.
    pub fn kill_server(&self) {
        let pid = std::fs::read_to_string(self.dir.join("pulse.pid")).unwrap().trim().to_string();
        assert!(Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
    }

    /// Records what applications played to the default output for `secs` seconds.
    pub fn speaker_record_cmd(&self, out: &Path, secs: u32) -> Command {
        let mut c = Command::new("bash");
        c.arg(repo_root().join("tests/support/virtual-mic.sh"))
            .args(["speaker-record", out.to_str().unwrap(), &secs.to_string()])
            .env("VMIC_DIR", &self.dir);
        c
    }
}

impl Drop for VirtualMic {
    fn drop(&mut self) {
        Self::script(&self.dir, &["stop"]);
    }
}

/// Environment under which no sound server answers: ALSA "default" is the PulseAudio
/// plugin pointed at a socket that does not exist, as on a machine with no microphone.
pub fn no_microphone_env(dir: &Path) -> Vec<(String, String)> {
    let conf = dir.join("asound.conf");
    std::fs::write(&conf, "pcm.!default { type pulse }\nctl.!default { type pulse }\n").unwrap();
    vec![
        ("PULSE_SERVER".into(), format!("unix:{}/no-such-socket", dir.display())),
        ("ALSA_CONFIG_PATH".into(), format!("/usr/share/alsa/alsa.conf:{}", conf.display())),
    ]
}

/// Speaks `text` with espeak-ng and returns (original, 48 kHz mono copy).
pub fn speech(dir: &Path, text: &str) -> (PathBuf, PathBuf) {
    let raw = dir.join("speech.wav");
    let at48 = dir.join("speech48.wav");
    assert!(Command::new("espeak-ng").arg("-w").arg(&raw).arg(text).status().unwrap().success());
    assert!(Command::new("sox").arg(&raw).args(["-r", "48000", "-c", "1"]).arg(&at48).status().unwrap().success());
    (raw, at48)
}

/// Speaks `text` with espeak-ng's American voice at 140 words a minute with a short gap
/// between words (what the transcription tests say: clearer to a speech model than the
/// default voice and rate) and returns the WAV.
pub fn clear_speech(dir: &Path, text: &str) -> PathBuf {
    let raw = dir.join("clear-speech.wav");
    let ok = Command::new("espeak-ng").args(["-v", "en-us", "-s", "140", "-g", "4", "-w"]).arg(&raw).arg(text).status().unwrap();
    assert!(ok.success(), "espeak-ng");
    raw
}

/// Does `rec` contain `reference`? Envelope correlation by tests/support/wavcompare.py.
pub fn wavcompare(reference: &Path, rec: &Path, min_corr: f64) -> (bool, String) {
    let out = Command::new("python3")
        .arg(repo_root().join("tests/support/wavcompare.py"))
        .arg(reference)
        .arg(rec)
        .args(["--min-corr", &min_corr.to_string()])
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

pub struct WavStats {
    pub seconds: f64,
    pub rms: f64,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Reads every sample (an unreadable or truncated file fails the test).
pub fn wav_stats(path: &Path) -> WavStats {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = r.spec();
    let samples: Vec<i16> = r.samples::<i16>().collect::<Result<_, _>>().unwrap();
    let sum: f64 = samples.iter().map(|&s| (s as f64 / 32768.0).powi(2)).sum();
    WavStats {
        seconds: samples.len() as f64 / spec.channels as f64 / spec.sample_rate as f64,
        rms: (sum / samples.len().max(1) as f64).sqrt(),
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    }
}

/// Rows of the takes table, read straight from the SQLite file.
pub fn db_takes(data_dir: &Path) -> Vec<(i64, String, i64, String)> {
    let c = rusqlite::Connection::open(data_dir.join("rehearse.db")).unwrap();
    let mut st = c.prepare("SELECT id, question_id, duration_ms, file_path FROM takes ORDER BY id").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}

/// A child process whose stderr lines are collected with the time each arrived.
pub struct Watched {
    pub child: std::process::Child,
    lines: std::sync::mpsc::Receiver<(std::time::Instant, String)>,
    pub seen: Vec<(std::time::Instant, String)>,
}

impl Watched {
    pub fn spawn(mut cmd: Command) -> Self {
        use std::io::BufRead;
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send((std::time::Instant::now(), line));
            }
        });
        Watched { child, lines, seen: vec![] }
    }

    /// Waits for a stderr line containing `needle`; returns when it arrived.
    pub fn wait_line(&mut self, needle: &str, timeout: std::time::Duration) -> Option<std::time::Instant> {
        let deadline = std::time::Instant::now() + timeout;
        if let Some((t, _)) = self.seen.iter().find(|(_, l)| l.contains(needle)) {
            return Some(*t);
        }
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok((t, l)) => {
                    let hit = l.contains(needle);
                    self.seen.push((t, l));
                    if hit {
                        return Some(t);
                    }
                }
                Err(_) => return None,
            }
        }
        None
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status();
    }

    /// Waits for exit; returns the status and all stderr text.
    /// Runs a `rehearse-cli record ... --json` command: once its capture has started (its
    /// "recording from" line; a loaded machine may take seconds to get there) and `lead`
    /// more has passed, `feed` plays into the microphone; returns the JSON it printed.
    pub fn record_fed(cmd: Command, lead: std::time::Duration, feed: impl FnOnce()) -> serde_json::Value {
        let mut child = Watched::spawn(cmd);
        let mut stdout = child.child.stdout.take().unwrap();
        assert!(child.wait_line("recording from", std::time::Duration::from_secs(30)).is_some(), "recording did not start");
        std::thread::sleep(lead);
        feed();
        let (status, stderr) = child.finish();
        assert!(status.success(), "record failed: {stderr}");
        let mut json = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut json).unwrap();
        serde_json::from_str(&json).unwrap()
    }

    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        while let Ok(l) = self.lines.recv_timeout(std::time::Duration::from_millis(200)) {
            self.seen.push(l);
        }
        let text = self.seen.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join("\n");
        (status, text)
    }
}

/// `sox FILE -n stat` succeeds: an independent reader accepts the WAV.
pub fn sox_reads(path: &Path) -> bool {
    Command::new("sox").arg(path).args(["-n", "stat"]).output().map(|o| o.status.success()).unwrap_or(false)
}

/// SQLite's own integrity check of the database file.
pub fn db_integrity(data_dir: &Path) -> String {
    let c = rusqlite::Connection::open(data_dir.join("rehearse.db")).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// Processes running `exe` whose environment contains `marker` (e.g. their data folder).
pub fn pids_of(exe: &Path, marker: &str) -> Vec<u32> {
    let exe = std::fs::canonicalize(exe).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() == Some(exe.as_path()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).map(|env| String::from_utf8_lossy(&env).contains(marker)).unwrap_or(false)
        })
        .collect()
}

/// espeak-ng speech with a faint noise floor, as a real microphone always has: its digital
/// silence between repetitions would otherwise look like a vanished microphone.
pub fn noisy_speech(dir: &Path, text: &str) -> PathBuf {
    let (_, at48) = speech(dir, text);
    let secs = wav_stats(&at48).seconds + 0.5;
    let noise = dir.join("noise.wav");
    let out = dir.join("noisy-speech.wav");
    let sox = |args: &[&str]| assert!(Command::new("sox").args(args).status().unwrap().success(), "sox {args:?}");
    sox(&["-n", "-r", "48000", "-c", "1", "-b", "16", noise.to_str().unwrap(), "synth", &secs.to_string(), "whitenoise", "vol", "0.003"]);
    sox(&["-m", at48.to_str().unwrap(), noise.to_str().unwrap(), out.to_str().unwrap()]);
    out
}

/// Mono samples of a 16-bit WAV as f64 in [-1, 1], and its rate.
pub fn samples(path: &Path) -> (Vec<f64>, u32) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let all: Vec<i16> = r.samples::<i16>().collect::<Result<_, _>>().unwrap();
    let ch = spec.channels as usize;
    (all.chunks(ch).map(|f| f.iter().map(|&s| s as f64 / 32768.0).sum::<f64>() / ch as f64).collect(), spec.sample_rate)
}

/// Median fundamental frequency of the voiced 40 ms frames of `x` (autocorrelation,
/// 60-400 Hz), and how many frames were voiced.
pub fn median_pitch(x: &[f64], rate: u32) -> (f64, usize) {
    let n = (rate as f64 * 0.04) as usize;
    let (lo, hi) = ((rate / 400) as usize, (rate / 60) as usize);
    let mut f0s = vec![];
    for frame in x.chunks_exact(n) {
        let energy: f64 = frame.iter().map(|s| s * s).sum();
        if (energy / n as f64).sqrt() < 0.01 {
            continue;
        }
        let (mut best, mut best_lag) = (0.0, 0);
        for lag in lo..hi.min(n - 1) {
            let c: f64 = frame[..n - lag].iter().zip(&frame[lag..]).map(|(a, b)| a * b).sum();
            if c > best {
                best = c;
                best_lag = lag;
            }
        }
        if best_lag > 0 && best / energy > 0.3 {
            f0s.push(rate as f64 / best_lag as f64);
        }
    }
    f0s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (f0s.get(f0s.len() / 2).copied().unwrap_or(0.0), f0s.len())
}

/// The compressed rehearsal template (the default template's shape, in seconds: 29 s).
pub fn rehearsal_fixture() -> PathBuf {
    repo_root().join("tests/fixtures/rehearsal-short.toml")
}

/// The day `days` from today (local time) as YYYY-MM-DD: interview dates in tests must lie
/// ahead, and not more than two years ahead, whenever the tests run.
pub fn day_from_today(days: i64) -> String {
    let out = Command::new("date").arg("-d").arg(format!("{days} days")).arg("+%F").output().expect("date runs");
    assert!(out.status.success(), "date -d: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}

/// A transcript stored as the transcription worker stores it, into the library at `data`:
/// one English segment, its words at the given times (ms), each 250 ms long.
pub fn write_transcript(data: &Path, take: i64, words: &[(u64, &str)]) {
    use rehearse_core::transcript::{ModelIdentity, Segment, Transcript, Word};
    let mut lib = rehearse_core::Library::open(rehearse_core::DataDir::new(data)).unwrap();
    let id = rehearse_core::TakeId(take);
    let words: Vec<Word> = words.iter().map(|(at, w)| Word { start_ms: *at, end_ms: at + 250, text: (*w).into() }).collect();
    let text = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let end = words.last().map_or(0, |w| w.end_ms);
    let t = Transcript {
        language: "en".into(),
        model: ModelIdentity { name: "whisper-base".into(), sha256: "ab".into() },
        segments: vec![Segment { start_ms: 0, end_ms: end, text, words }],
    };
    let file = lib.take_file_identity(id).unwrap();
    lib.save_transcript(id, &t, &file).unwrap();
}
