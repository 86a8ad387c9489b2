//! The real model on real speech: the Whisper base model and Silero VAD that
//! `scripts/setup.sh` installs, the two human read-speech clips it puts in the test-fixtures
//! cache (`scripts/setup.sh test`), and espeak-ng speech made here.

use std::path::{Path, PathBuf};
use std::process::Command;

use rehearse_speech::score::{has_hangul, word_error_rate};
use rehearse_speech::{default_model_path, Recognizer, SpeechError, BASE_FILE, VAD_FILE};

/// The opening of A Tale of Two Cities, as read in two_cities.wav.
const TWO_CITIES: &str = "It was the best of times, it was the worst of times, it was the age of wisdom, \
it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the \
season of Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair, \
we had everything before us, we had nothing before us, we were all going direct to Heaven, we were all \
going direct the other way";

fn model() -> PathBuf {
    let path = default_model_path().expect("a data folder");
    assert!(path.is_file(), "no model at {}: run scripts/setup.sh (it installs the speech model)", path.display());
    path
}

fn fixture(name: &str) -> PathBuf {
    let dir = std::env::var_os("REHEARSE_TEST_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("rehearse").join("test-fixtures")))
        .expect("a cache folder");
    let path = dir.join(name);
    assert!(path.is_file(), "no fixture {}: run scripts/setup.sh test", path.display());
    path
}

fn load() -> Recognizer {
    let mut r = Recognizer::load(&model()).unwrap_or_else(|e| panic!("{e}"));
    r.set_threads(2);
    r
}

fn espeak(dir: &Path, voice: &str, text: &str) -> PathBuf {
    let out = dir.join(format!("{voice}.wav"));
    let status = Command::new("espeak-ng").args(["-v", voice, "-s", "150", "-w"]).arg(&out).arg(text).status();
    assert!(status.is_ok_and(|s| s.success()), "espeak-ng failed (scripts/setup.sh installs it)");
    out
}

fn no_progress() -> impl FnMut(f32) -> bool {
    |_| true
}

#[test]
fn human_read_speech_at_48k_is_transcribed_within_5_percent_wer_with_timed_words() {
    let mut r = load();
    let mut seen = Vec::new();
    let t = r
        .transcribe_wav(&fixture("two_cities.wav"), "en", &mut |p| {
            seen.push(p);
            true
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let text = t.text();
    // The clip reads on past the reference (into "in short, the period…"): score the part the
    // reference covers, up to its last words.
    let cut = text.to_lowercase().find("other way").map(|i| i + "other way".len()).unwrap_or(text.len());
    let wer = word_error_rate(TWO_CITIES, &text[..cut]);
    assert!(wer <= 0.05, "WER {wer:.3}: {text}");
    assert_eq!(t.language, "en");
    assert_eq!(seen.first(), Some(&0.0));
    assert_eq!(seen.last(), Some(&1.0));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress goes forward: {seen:?}");
    // Words carry times inside their segment and the clip (44.4 s), in order.
    let words: Vec<_> = t.segments.iter().flat_map(|s| s.words.iter().map(move |w| (s, w))).collect();
    assert!(words.len() >= 100, "{} words", words.len());
    for (s, w) in &words {
        assert!(s.start_ms <= w.start_ms && w.start_ms <= w.end_ms && w.end_ms <= s.end_ms, "{w:?} in {s:?}");
        assert!(w.end_ms <= 44_500, "{w:?}");
    }
    assert!(words.windows(2).all(|p| p[0].1.start_ms <= p[1].1.start_ms), "words in time order");
    // "best" is said about a second in, not at 0 and not at the end.
    let best = words.iter().find(|(_, w)| w.text.to_lowercase().starts_with("best")).expect("the word best");
    assert!((300..3_000).contains(&best.1.start_ms), "{:?}", best.1);
}

#[test]
fn a_16k_clip_is_transcribed_as_it_is() {
    let mut r = load();
    let t = r.transcribe_wav(&fixture("beckett.wav"), "en", &mut no_progress()).unwrap_or_else(|e| panic!("{e}"));
    let text = t.text().to_lowercase();
    for w in ["ever tried", "ever failed", "no matter", "fail better"] {
        assert!(text.contains(w), "{w:?} missing: {text}");
    }
}

#[test]
fn espeak_korean_comes_out_as_hangul() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav =
        espeak(dir.path(), "ko", "안녕하세요. 저는 데이터베이스 관리자로 오 년 동안 일했습니다. 가장 어려웠던 문제는 성능이었습니다.");
    let mut r = load();
    let t = r.transcribe_wav(&wav, "ko", &mut no_progress()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.language, "ko");
    assert!(has_hangul(&t.text()), "no Hangul: {:?}", t.text());
}

#[test]
fn silence_gives_an_empty_transcript_not_invented_text() {
    let mut r = load();
    let silence = vec![0.0f32; 16_000 * 20];
    let t = r.transcribe(&silence, "en", &mut no_progress()).unwrap_or_else(|e| panic!("{e}"));
    assert!(t.segments.is_empty(), "{:?}", t.text());
    let noise: Vec<f32> = (0..16_000 * 5).map(|i| ((i * 7919 % 2001) as f32 / 1000.0 - 1.0) * 0.001).collect();
    let t = r.transcribe(&noise, "ko", &mut no_progress()).unwrap_or_else(|e| panic!("{e}"));
    assert!(t.segments.is_empty(), "{:?}", t.text());
}

#[test]
fn returning_false_from_progress_cancels() {
    let mut r = load();
    let mut calls = 0;
    let err = r
        .transcribe_wav(&fixture("two_cities.wav"), "en", &mut |p| {
            calls += 1;
            p < 0.1
        })
        .expect_err("cancelled");
    assert!(matches!(err, SpeechError::Cancelled), "{err}");
    assert_eq!(calls, 2, "stops at the first piece after the start");
}

#[test]
fn an_unknown_language_is_refused() {
    let mut r = load();
    let err = r.transcribe(&[0.0; 16_000], "xx", &mut no_progress()).expect_err("unknown");
    assert_eq!(err.to_string(), "speech recognition failed: unknown language \"xx\"");
}

#[test]
fn the_identity_is_the_installed_models_name_and_sha256() {
    let r = load();
    let id = r.identity();
    assert_eq!(id.name, "whisper-base");
    assert_eq!(id.sha256, "4e48ba977285e410ee5b81c709a2ee7a196789ce5ec87426923c2bd64f39d8c6");
    assert_eq!(id.bytes, 147_951_465);
}

/// A copy of the real model (and the VAD model beside it) in a fresh folder, changed by `damage`.
fn damaged_copy(dir: &Path, name: &str, damage: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(model()).expect("read model");
    damage(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    let vad = model().with_file_name(VAD_FILE);
    std::fs::copy(vad, dir.join(VAD_FILE)).expect("copy vad");
    path
}

fn one_line(err: &SpeechError) -> String {
    let s = err.to_string();
    assert!(!s.contains('\n'), "{s}");
    s
}

#[test]
fn damaged_models_are_refused_with_a_one_line_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();

    let err = Recognizer::load(&d.join("nothing-here.bin")).expect_err("missing");
    assert!(matches!(err, SpeechError::ModelMissing { .. }), "{err}");
    assert!(one_line(&err).starts_with("no speech model at "), "{err}");
    // A folder without the model names the file it looked for.
    let err = Recognizer::load(d).expect_err("empty folder");
    assert!(one_line(&err).ends_with(BASE_FILE), "{err}");

    // The installed file name, cut short: its pinned size says so.
    let sub = d.join("truncated");
    std::fs::create_dir(&sub).expect("mkdir");
    let p = damaged_copy(&sub, BASE_FILE, |b| b.truncate(b.len() / 2));
    let err = Recognizer::load(&p).expect_err("truncated");
    assert!(matches!(err, SpeechError::ModelDamaged { .. }), "{err}");
    assert!(one_line(&err).contains("truncated: 73975732 bytes, 147951465 expected"), "{err}");

    // Same size, one byte changed: the checksum says so.
    let sub = d.join("flipped");
    std::fs::create_dir(&sub).expect("mkdir");
    let p = damaged_copy(&sub, BASE_FILE, |b| {
        let mid = b.len() / 2;
        b[mid] ^= 0x55;
    });
    let err = Recognizer::load(&p).expect_err("wrong checksum");
    assert!(one_line(&err).contains("wrong checksum"), "{err}");

    // A user's model under another name, truncated: the layout check finds the cut.
    let sub = d.join("user");
    std::fs::create_dir(&sub).expect("mkdir");
    let p = damaged_copy(&sub, "ggml-small.bin", |b| b.truncate(b.len() - 1000));
    let err = Recognizer::load(&p).expect_err("user model truncated");
    assert!(one_line(&err).contains("truncated: ends inside the tensor"), "{err}");

    // Not a model at all: a WAV file renamed.
    let p = sub.join("ggml-medium.bin");
    std::fs::copy(fixture("beckett.wav"), &p).expect("copy");
    let err = Recognizer::load(&p).expect_err("wrong format");
    assert!(one_line(&err).contains("not a Whisper ggml model"), "{err}");

    // The same model under another name loads, and is known by its checksum.
    let sub = d.join("renamed");
    std::fs::create_dir(&sub).expect("mkdir");
    let p = damaged_copy(&sub, "my-model.bin", |_| {});
    let r = Recognizer::load(&p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.identity().name, "whisper-base");
}

#[test]
fn a_damaged_vad_model_beside_the_model_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = damaged_copy(dir.path(), "my-model.bin", |_| {});
    let vad = dir.path().join(VAD_FILE);
    let mut bytes = std::fs::read(&vad).expect("read vad");
    bytes.truncate(1000);
    std::fs::write(&vad, bytes).expect("write vad");
    let err = Recognizer::load(&p).expect_err("vad truncated");
    assert!(one_line(&err).contains(VAD_FILE) && err.to_string().contains("truncated"), "{err}");
}
