//! Offline speech recognition for Rehearse: a take's WAV in, timed segments and words out.
//!
//! In process, on the CPU, with no network: whisper.cpp (through whisper-rs) runs a Whisper
//! model in ggml format that `scripts/setup.sh` installed (multilingual Whisper base), or a
//! bigger one the user points at. Silero VAD (run here, before Whisper) cuts the take into
//! stretches of speech of at most ~28 s, which keeps Whisper from writing text into long
//! silences and lets a long take be transcribed piece by piece with progress and cancel.
//!
//! No Tauri, no SQL, no rehearse-core: the engine's transcription worker maps
//! [`Transcription`] onto `rehearse_core::transcript`.

mod audio;
mod model;
pub mod score;

use std::path::{Path, PathBuf};

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState, WhisperVadContext, WhisperVadContextParams,
    WhisperVadParams,
};

pub use audio::{read_wav_mono, to_model_rate, MODEL_RATE};
pub use model::{default_model_path, models_dir, ModelInfo, BASE_FILE, VAD_FILE};

/// Why speech recognition could not run or did not finish. Each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// No model file where one was looked for.
    #[error("no speech model at {}", path.display())]
    ModelMissing { path: PathBuf },
    /// A model file is there but unusable: truncated, wrong checksum, wrong format.
    #[error("the speech model {} is damaged: {why}", path.display())]
    ModelDamaged { path: PathBuf, why: String },
    /// The audio could not be read.
    #[error("cannot read the audio {}: {why}", path.display())]
    Audio { path: PathBuf, why: String },
    /// The engine failed (or wrote nothing for a long stretch of speech).
    #[error("speech recognition failed: {why}")]
    Engine { why: String },
    /// The progress callback asked to stop.
    #[error("transcription cancelled")]
    Cancelled,
}

/// Where a model is: a Whisper ggml file, or a folder holding `ggml-base.bin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    pub path: PathBuf,
}

impl ModelSpec {
    /// The model file this spec names (a folder means its `ggml-base.bin`).
    pub fn model_file(&self) -> PathBuf {
        if self.path.is_dir() {
            self.path.join(BASE_FILE)
        } else {
            self.path.clone()
        }
    }
}

/// A take's transcript as the model wrote it. Times are from the start of the audio.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcription {
    /// The language the model was told to hear ("en", "ko").
    pub language: String,
    pub segments: Vec<Seg>,
}

impl Transcription {
    /// The whole text, segments joined by single spaces.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.text.trim()).filter(|t| !t.is_empty()).collect();
        parts.join(" ")
    }

    /// How many words the segments hold.
    pub fn word_count(&self) -> usize {
        self.segments.iter().map(|s| s.text.split_whitespace().count()).sum()
    }
}

/// A stretch of speech written as one piece of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Seg {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// The words with their own times (from Whisper's token timestamps); for Korean a "word" is
    /// a space-separated eojeol.
    pub words: Vec<W>,
}

/// One word and when it was said.
#[derive(Debug, Clone, PartialEq)]
pub struct W {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// The longest stretch handed to Whisper at once: under its 30 s window, so each piece is
/// decoded in one pass with no cut inside it.
const MAX_CHUNK_MS: u64 = 28_000;
/// Speech stretches closer than this are decoded together (context helps); longer pauses are
/// cut out, so Whisper never sees a long silence.
const JOIN_GAP_MS: u64 = 1_500;
/// Audio kept around each stretch of speech VAD found.
const PAD_MS: u64 = 200;

/// A loaded model, ready to transcribe. Loading takes a fraction of a second; keep one per
/// worker thread and reuse it.
pub struct Recognizer {
    info: ModelInfo,
    ctx: WhisperContext,
    state: WhisperState,
    vad: WhisperVadContext,
    threads: usize,
    initial_prompt: bool,
}

impl std::fmt::Debug for Recognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recognizer").field("info", &self.info).field("threads", &self.threads).finish()
    }
}

impl Recognizer {
    /// Loads a Whisper model (a ggml file, or a folder holding `ggml-base.bin`) and the Silero
    /// VAD model (beside it, else in [`models_dir`]). The model set-up installs is checked
    /// against its pinned size and sha256; any model's whole file layout is checked before
    /// whisper.cpp reads it, so a damaged file is refused with a reason, never a crash.
    pub fn load(path: &Path) -> Result<Recognizer, SpeechError> {
        let file = ModelSpec { path: path.to_path_buf() }.model_file();
        let info = model::verify_whisper(&file)?;
        let vad_path = model::vad_path_for(&file);
        model::verify_vad(&vad_path)?;
        // whisper.cpp's own logging goes to the `log` facade (silent here) instead of stderr.
        whisper_rs::install_logging_hooks();
        let file_str =
            file.to_str().ok_or_else(|| SpeechError::ModelDamaged { path: file.clone(), why: "its path is not UTF-8".into() })?;
        let ctx = WhisperContext::new_with_params(file_str, WhisperContextParameters::default())
            .map_err(|e| SpeechError::ModelDamaged { path: file.clone(), why: format!("whisper.cpp could not load it ({e})") })?;
        let state = ctx.create_state().map_err(|e| SpeechError::Engine { why: format!("no decoder state: {e}") })?;
        let vad_str =
            vad_path.to_str().ok_or_else(|| SpeechError::ModelDamaged { path: vad_path.clone(), why: "its path is not UTF-8".into() })?;
        let mut vad_params = WhisperVadContextParams::new();
        vad_params.set_n_threads(1);
        let vad = WhisperVadContext::new(vad_str, vad_params).map_err(|e| SpeechError::ModelDamaged {
            path: vad_path.clone(),
            why: format!("whisper.cpp could not load the VAD model ({e})"),
        })?;
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(4);
        Ok(Recognizer { info, ctx, state, vad, threads, initial_prompt: true })
    }

    /// Loads the model set-up installed (see [`default_model_path`]).
    pub fn load_default() -> Result<Recognizer, SpeechError> {
        let path =
            default_model_path().ok_or_else(|| SpeechError::ModelMissing { path: PathBuf::from("rehearse/models").join(BASE_FILE) })?;
        Recognizer::load(&path)
    }

    /// The model's name and sha256 (stored beside each transcript).
    pub fn identity(&self) -> ModelInfo {
        self.info.clone()
    }

    /// CPU threads Whisper uses (default: the machine's cores, at most 4).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Whether decoding starts from a short disfluent prompt ("Um, uh, hmm." / "음, 어, 그.")
    /// that keeps more filler words in the text (on by default; see BENCHMARKS.md).
    pub fn set_filler_prompt(&mut self, on: bool) {
        self.initial_prompt = on;
    }

    /// Transcribes a WAV file (any rate, any channel count; resampled to 16 kHz mono).
    /// `progress` gets the share done (0..=1) and returns false to cancel.
    pub fn transcribe_wav(
        &mut self,
        wav: &Path,
        language: &str,
        progress: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Transcription, SpeechError> {
        let (samples, rate) = read_wav_mono(wav)?;
        let samples = to_model_rate(&samples, rate)?;
        self.transcribe(&samples, language, progress)
    }

    /// Transcribes 16 kHz mono samples in `language` (a Whisper language code: "en", "ko", …;
    /// always given, never detected). `progress` gets the share done and returns false to cancel.
    pub fn transcribe(
        &mut self,
        samples_16k_mono: &[f32],
        language: &str,
        progress: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Transcription, SpeechError> {
        if whisper_rs::get_lang_id(language).is_none() {
            return Err(SpeechError::Engine { why: format!("unknown language {language:?}") });
        }
        if language != "en" && !self.ctx.is_multilingual() {
            return Err(SpeechError::Engine { why: format!("the model {} is English-only and cannot hear {language:?}", self.info.name) });
        }
        let mut out = Transcription { language: language.to_string(), segments: Vec::new() };
        if !progress(0.0) {
            return Err(SpeechError::Cancelled);
        }
        let total_ms = samples_to_ms(samples_16k_mono.len());
        if total_ms < 300 {
            return Ok(out);
        }
        let speech = self.speech_stretches(samples_16k_mono)?;
        let chunks = join_stretches(&speech, total_ms);
        let speech_ms: u64 = chunks.iter().map(|(a, b)| b - a).sum();
        let mut done_ms = 0u64;
        for &(start_ms, end_ms) in &chunks {
            let from = ms_to_samples(start_ms).min(samples_16k_mono.len());
            let to = ms_to_samples(end_ms).min(samples_16k_mono.len());
            let segs = self.decode(&samples_16k_mono[from..to], language, start_ms)?;
            out.segments.extend(segs);
            done_ms += end_ms - start_ms;
            if !progress(if speech_ms == 0 { 1.0 } else { done_ms as f32 / speech_ms as f32 }) {
                return Err(SpeechError::Cancelled);
            }
        }
        drop_repeats(&mut out.segments);
        // A long stretch of speech that came out as (almost) nothing is a failed decode, not
        // a transcript: at least one word per 10 s of speech.
        let words = out.word_count() as u64;
        if speech_ms >= 10_000 && words * 10_000 < speech_ms {
            return Err(SpeechError::Engine {
                why: format!("heard {:.0} s of speech but wrote only {words} words", speech_ms as f64 / 1000.0),
            });
        }
        Ok(out)
    }

    /// Stretches of speech (ms from the start) that Silero VAD found.
    fn speech_stretches(&mut self, samples: &[f32]) -> Result<Vec<(u64, u64)>, SpeechError> {
        let mut params = WhisperVadParams::new();
        params.set_threshold(0.5);
        params.set_min_speech_duration(250);
        params.set_min_silence_duration(300);
        params.set_max_speech_duration((MAX_CHUNK_MS - 2 * PAD_MS) as f32 / 1000.0);
        params.set_speech_pad(0);
        let segments = self
            .vad
            .segments_from_samples(params, samples)
            .map_err(|e| SpeechError::Engine { why: format!("voice activity detection failed: {e}") })?;
        // VAD times are in centiseconds.
        Ok(segments.map(|s| ((s.start.max(0.0) * 10.0) as u64, (s.end.max(0.0) * 10.0) as u64)).filter(|(a, b)| b > a).collect())
    }

    /// Decodes one piece of audio that starts `offset_ms` into the take.
    fn decode(&mut self, samples: &[f32], language: &str, offset_ms: u64) -> Result<Vec<Seg>, SpeechError> {
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 5 });
        params.set_n_threads(self.threads as i32);
        params.set_language(Some(language));
        params.set_translate(false);
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_suppress_nst(true);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        // Hallucination guards as in Whisper's reference decoder: fall back to sampling at
        // rising temperatures when the text is repetitive (entropy) or unlikely (logprob), and
        // skip a window the model itself rates as silence.
        params.set_temperature(0.0);
        params.set_temperature_inc(0.2);
        params.set_entropy_thold(2.4);
        params.set_logprob_thold(-1.0);
        params.set_no_speech_thold(0.6);
        let prompt = filler_prompt(language);
        if self.initial_prompt {
            if let Some(p) = prompt {
                params.set_initial_prompt(p);
            }
        }
        self.state.full(params, samples).map_err(|e| SpeechError::Engine { why: format!("whisper.cpp: {e}") })?;
        let eot = self.ctx.token_eot();
        let mut segs = Vec::new();
        for segment in self.state.as_iter() {
            let seg_start = offset_ms + (segment.start_timestamp().max(0) as u64) * 10;
            let seg_end = (offset_ms + (segment.end_timestamp().max(0) as u64) * 10).max(seg_start);
            let mut words: Vec<(Vec<u8>, u64, u64)> = Vec::new();
            let mut text_bytes = Vec::new();
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else { continue };
                if token.token_id() >= eot {
                    continue;
                }
                let Ok(bytes) = token.to_bytes() else { continue };
                let data = token.token_data();
                let t0 = (offset_ms + data.t0.max(0) as u64 * 10).clamp(seg_start, seg_end);
                let t1 = (offset_ms + data.t1.max(0) as u64 * 10).clamp(t0, seg_end);
                text_bytes.extend_from_slice(bytes);
                match words.last_mut() {
                    Some(w) if !bytes.starts_with(b" ") => {
                        w.0.extend_from_slice(bytes);
                        w.2 = t1;
                    }
                    _ => words.push((bytes.to_vec(), t0, t1)),
                }
            }
            let text = String::from_utf8_lossy(&text_bytes).trim().to_string();
            if text.is_empty() {
                continue;
            }
            let words = words
                .into_iter()
                .map(|(b, start_ms, end_ms)| W { start_ms, end_ms, text: String::from_utf8_lossy(&b).trim().to_string() })
                .filter(|w| w.text.chars().any(char::is_alphanumeric))
                .collect();
            segs.push(Seg { start_ms: seg_start, end_ms: seg_end, text, words });
        }
        Ok(segs)
    }
}

/// A short prompt written disfluently: Whisper copies the prompt's style, so it keeps more of
/// the fillers it otherwise drops. Kept short (long prompts hurt accuracy).
fn filler_prompt(language: &str) -> Option<&'static str> {
    match language {
        "en" => Some("Um, uh, hmm."),
        "ko" => Some("음, 어, 그."),
        _ => None,
    }
}

fn samples_to_ms(n: usize) -> u64 {
    n as u64 * 1000 / MODEL_RATE as u64
}

fn ms_to_samples(ms: u64) -> usize {
    (ms * MODEL_RATE as u64 / 1000) as usize
}

/// Pads each stretch of speech, joins stretches with short pauses between them while the
/// result stays under [`MAX_CHUNK_MS`], and clamps to the audio.
fn join_stretches(speech: &[(u64, u64)], total_ms: u64) -> Vec<(u64, u64)> {
    let mut chunks: Vec<(u64, u64)> = Vec::new();
    for &(a, b) in speech {
        let a = a.saturating_sub(PAD_MS);
        let b = (b + PAD_MS).min(total_ms);
        if b <= a {
            continue;
        }
        match chunks.last_mut() {
            Some(last) if a <= last.1 + JOIN_GAP_MS && b - last.0 <= MAX_CHUNK_MS => last.1 = last.1.max(b),
            Some(last) if a < last.1 => {
                // Overlapping pads but too long to join: start where the last one ended.
                let start = last.1;
                if b > start {
                    chunks.push((start, b));
                }
            }
            _ => chunks.push((a, b)),
        }
    }
    chunks
}

/// Drops a segment that repeats the one before it word for word (a known Whisper loop).
fn drop_repeats(segments: &mut Vec<Seg>) {
    segments.dedup_by(|later, earlier| later.text == earlier.text && later.text.chars().count() > 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_are_padded_joined_across_short_pauses_and_kept_under_the_window() {
        let chunks = join_stretches(&[(1_000, 3_000), (3_500, 6_000), (10_000, 12_000)], 60_000);
        assert_eq!(chunks, vec![(800, 6_200), (9_800, 12_200)]);
        // Joining would pass 28 s: a new chunk starts.
        let chunks = join_stretches(&[(0, 20_000), (20_500, 30_000)], 60_000);
        assert_eq!(chunks, vec![(0, 20_200), (20_300, 30_200)]);
        // Clamped to the audio's end.
        assert_eq!(join_stretches(&[(9_900, 10_000)], 10_000), vec![(9_700, 10_000)]);
    }

    #[test]
    fn a_recognizer_can_move_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<Recognizer>();
        send::<SpeechError>();
    }

    #[test]
    fn repeated_segments_are_dropped() {
        let seg = |t: &str| Seg { start_ms: 0, end_ms: 1, text: t.into(), words: vec![] };
        let mut s = vec![seg("Thank you."), seg("Thank you."), seg("Bye."), seg("Thank you.")];
        drop_repeats(&mut s);
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Thank you.", "Bye.", "Thank you."]);
    }

    #[test]
    fn error_messages_are_one_line() {
        let errs = [
            SpeechError::ModelMissing { path: "/m/ggml-base.bin".into() },
            SpeechError::ModelDamaged { path: "/m/ggml-base.bin".into(), why: "truncated".into() },
            SpeechError::Audio { path: "/t.wav".into(), why: "no such file".into() },
            SpeechError::Engine { why: "x".into() },
            SpeechError::Cancelled,
        ];
        for e in errs {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        assert_eq!(
            SpeechError::ModelDamaged { path: "/m/ggml-base.bin".into(), why: "truncated".into() }.to_string(),
            "the speech model /m/ggml-base.bin is damaged: truncated"
        );
    }
}
