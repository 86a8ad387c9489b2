//! The interviewers' voices: an offline text-to-speech seam. On Linux the baseline is the
//! espeak-ng program (`-w` writes a WAV); A and B differ in voice variant and pitch. When no
//! engine is present the session runs silently and the reason is reported once.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use rehearse_core::template::Speaker;

/// Something that turns a question into speech.
pub trait Voice: Send {
    /// Ok when `lang` can be spoken; otherwise why not, in words a user can act on.
    fn available(&self, lang: &str) -> Result<(), String>;
    /// Writes `text`, spoken by `speaker` in `lang`, to `out` as a 16-bit PCM WAV.
    fn synthesize(&self, text: &str, lang: &str, speaker: Speaker, out: &Path) -> Result<(), String>;
}

/// espeak-ng run as a process. `REHEARSE_ESPEAK` names another program (or a missing one,
/// to rehearse without voices).
pub struct EspeakNg {
    program: OsString,
}

/// The platform's voice: espeak-ng.
pub fn default_voice() -> Box<dyn Voice> {
    Box::new(EspeakNg::new())
}

impl Default for EspeakNg {
    fn default() -> Self {
        Self::new()
    }
}

impl EspeakNg {
    pub fn new() -> Self {
        EspeakNg { program: std::env::var_os("REHEARSE_ESPEAK").filter(|p| !p.is_empty()).unwrap_or_else(|| "espeak-ng".into()) }
    }

    /// Voice, variant, pitch (0-99) and speed (words a minute): A is a low male voice,
    /// B a high female one, so that the two interviewers are told apart at once. Amplitude:
    /// espeak-ng's default (100) drives its Korean voice to full scale (peaks at -0.02 dBFS
    /// over the Korean deck questions, measured with `sox … stats`); 60 leaves at least
    /// 3 dB of headroom (worst peak -3.4 dBFS), so nothing clips on the way out.
    fn args(lang: &str, speaker: Speaker) -> Vec<String> {
        let (variant, pitch, speed) = match speaker {
            Speaker::A => ("m3", 30, 170),
            Speaker::B => ("f2", 75, 175),
        };
        let amplitude = if lang == "ko" || lang.starts_with("ko-") { 60 } else { 100 };
        ["-b", "1", "-v", &format!("{lang}+{variant}"), "-p", &pitch.to_string(), "-s", &speed.to_string(), "-a", &amplitude.to_string()]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }
}

impl Voice for EspeakNg {
    fn available(&self, lang: &str) -> Result<(), String> {
        let name = self.program.to_string_lossy().to_string();
        let out = Command::new(&self.program)
            .arg(format!("--voices={lang}"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("the speech engine {name} cannot be run ({e}); install espeak-ng to hear the interviewers"))?;
        if !out.status.success() {
            return Err(format!("the speech engine {name} failed ({}); install espeak-ng to hear the interviewers", out.status));
        }
        // Lines after the header: "Pty Language Age/Gender VoiceName File ...".
        let listed = String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .any(|l| l.split_whitespace().nth(1).is_some_and(|code| code == lang || code.starts_with(&format!("{lang}-"))));
        if listed {
            Ok(())
        } else {
            Err(format!("the speech engine {name} has no voice for language \"{lang}\""))
        }
    }

    fn synthesize(&self, text: &str, lang: &str, speaker: Speaker, out: &Path) -> Result<(), String> {
        // The text goes through stdin, never the command line (a question may start with '-').
        let mut child = Command::new(&self.program)
            .args(Self::args(lang, speaker))
            .arg("-w")
            .arg(out)
            .arg("--stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.program.to_string_lossy()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(text.as_bytes()).map_err(|e| format!("cannot pass the text to the speech engine: {e}"))?;
        }
        let done = child.wait_with_output().map_err(|e| format!("the speech engine failed: {e}"))?;
        if !done.status.success() {
            return Err(format!("the speech engine failed ({}): {}", done.status, String::from_utf8_lossy(&done.stderr).trim()));
        }
        match std::fs::metadata(out) {
            Ok(m) if m.len() > 44 => Ok(()),
            _ => Err("the speech engine wrote no audio".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn espeak_present() -> bool {
        Command::new("espeak-ng").arg("--version").output().is_ok_and(|o| o.status.success())
    }

    #[test]
    fn a_missing_engine_says_so_and_what_to_install() {
        let v = EspeakNg { program: "/nonexistent/espeak-ng".into() };
        let e = v.available("en").expect_err("missing");
        assert!(e.contains("/nonexistent/espeak-ng") && e.contains("install espeak-ng"), "{e}");
    }

    #[test]
    fn a_and_b_speak_english_and_korean_with_different_voices() {
        if !espeak_present() {
            eprintln!("espeak-ng is not installed: scripts/test.sh installs it");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let v = EspeakNg::new();
        for lang in ["en", "ko"] {
            v.available(lang).expect("voice present");
            let (a, b) = (dir.path().join(format!("a-{lang}.wav")), dir.path().join(format!("b-{lang}.wav")));
            let text = if lang == "ko" { "자기소개를 해 주세요" } else { "-v Tell me about yourself" };
            v.synthesize(text, lang, Speaker::A, &a).expect("A");
            v.synthesize(text, lang, Speaker::B, &b).expect("B");
            assert_ne!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
        }
        assert!(v.available("xx-none").is_err());
    }

    /// The loudest sample of a 16-bit PCM WAV, in dBFS.
    fn peak_dbfs(path: &Path) -> f64 {
        let bytes = std::fs::read(path).expect("wav");
        let data = bytes.windows(4).position(|w| w == b"data").expect("data chunk") + 8;
        let peak = bytes[data..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]).unsigned_abs()).max().unwrap_or(0);
        20.0 * (f64::from(peak.max(1)) / 32768.0).log10()
    }

    #[test]
    fn the_korean_interviewers_leave_at_least_3_db_of_headroom() {
        if !espeak_present() {
            eprintln!("espeak-ng is not installed: scripts/test.sh installs it");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let v = EspeakNg::new();
        // Questions of the built-in decks that reached full scale at espeak-ng's default amplitude.
        let texts = [
            "자기소개를 해 주세요.",
            "격리 수준 네 가지를 설명하고, 각각이 막아 주는 이상 현상을 말씀해 주세요.",
            "ORA-01555 오류가 무엇이며, 어떻게 해결하고 예방하는지 설명해 주세요.",
            "기대를 넘어서는 결과를 낸 경험을 말씀해 주세요.",
        ];
        for (i, text) in texts.iter().enumerate() {
            for speaker in [Speaker::A, Speaker::B] {
                let out = dir.path().join(format!("ko-{i}-{speaker:?}.wav"));
                v.synthesize(text, "ko", speaker, &out).expect("speech");
                let peak = peak_dbfs(&out);
                assert!(peak <= -3.0, "{speaker:?} peaks at {peak:.2} dBFS on \"{text}\"");
                assert!(peak >= -12.0, "{speaker:?} is not made too quiet: {peak:.2} dBFS");
            }
        }
    }
}
