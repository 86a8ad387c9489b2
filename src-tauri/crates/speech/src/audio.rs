//! A take's WAV file as the model hears it: mono f32 at 16 kHz.

use std::path::Path;

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::SpeechError;

/// The sample rate Whisper models expect.
pub const MODEL_RATE: u32 = 16_000;

fn audio_err(path: &Path, why: impl Into<String>) -> SpeechError {
    SpeechError::Audio { path: path.to_path_buf(), why: why.into() }
}

/// Reads a WAV file (16/24/32-bit integer or 32-bit float, any channel count) into mono f32 at
/// its own rate. A file that ends before its header says (a take repaired after a crash) gives
/// the samples that are there. Returns (samples, sample rate).
pub fn read_wav_mono(path: &Path) -> Result<(Vec<f32>, u32), SpeechError> {
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => audio_err(path, "no such file"),
        e => audio_err(path, format!("not a readable WAV file: {e}")),
    })?;
    let spec = reader.spec();
    let channels = spec.channels.max(1) as usize;
    if spec.sample_rate == 0 {
        return Err(audio_err(path, "WAV header says 0 Hz"));
    }
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader.into_samples::<f32>().map_while(Result::ok).collect(),
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader.into_samples::<i32>().map_while(Result::ok).map(|s| s as f32 * scale).collect()
        }
        (format, bits) => return Err(audio_err(path, format!("unsupported WAV sample format ({format:?}, {bits} bits)"))),
    };
    let mono = if channels == 1 {
        interleaved
    } else {
        interleaved.chunks_exact(channels).map(|f| f.iter().sum::<f32>() / channels as f32).collect()
    };
    Ok((mono, spec.sample_rate))
}

/// Resamples mono audio from `rate` to 16 kHz with rubato's FFT resampler (band-limited, the
/// startup delay trimmed, every input sample used). 16 kHz input is returned as it is.
pub fn to_model_rate(samples: &[f32], rate: u32) -> Result<Vec<f32>, SpeechError> {
    if rate == MODEL_RATE || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let engine = |e: String| SpeechError::Engine { why: format!("resampling {rate} Hz to 16 kHz: {e}") };
    let mut resampler =
        Fft::<f32>::new(rate as usize, MODEL_RATE as usize, 1024, 1, FixedSync::Input).map_err(|e| engine(e.to_string()))?;
    let input = InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| engine(e.to_string()))?;
    let out_len = resampler.process_all_needed_output_len(samples.len());
    let mut out = vec![0.0f32; out_len];
    let mut output = InterleavedSlice::new_mut(&mut out, 1, out_len).map_err(|e| engine(e.to_string()))?;
    let (_, produced) = resampler.process_all_into_buffer(&input, &mut output, samples.len(), None).map_err(|e| engine(e.to_string()))?;
    out.truncate(produced);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n).map(|i| (i as f32 / rate as f32 * hz * std::f32::consts::TAU).sin() * 0.5).collect()
    }

    #[test]
    fn resampling_48k_to_16k_keeps_the_length_and_the_tone() {
        let input = sine(48_000, 440.0, 2.0);
        let out = to_model_rate(&input, 48_000).expect("resample");
        assert!((out.len() as i64 - 32_000).abs() <= 2, "{} samples", out.len());
        // The tone is still there at the same frequency: count zero crossings (2 per period).
        let crossings = out.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
        assert!((crossings as i64 - 1760).abs() <= 4, "{crossings} crossings");
        let peak = out[1000..31_000].iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((peak - 0.5).abs() < 0.02, "peak {peak}");
    }

    #[test]
    fn a_tone_above_8khz_does_not_fold_back_into_the_speech_band() {
        let out = to_model_rate(&sine(48_000, 12_000.0, 1.0), 48_000).expect("resample");
        let rms = (out[500..15_500].iter().map(|s| s * s).sum::<f32>() / 15_000.0).sqrt();
        assert!(rms < 0.01, "aliased energy rms {rms}");
    }

    #[test]
    fn a_wav_that_ends_before_its_header_says_gives_the_samples_that_are_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("take.wav");
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        for i in 0..48_000 {
            w.write_sample(((i % 100) as i16 - 50) * 100).expect("write");
        }
        w.finalize().expect("finalize");
        // Cut the data short (as a crash leaves it): the header still says 48 000 samples.
        let len = std::fs::metadata(&path).expect("meta").len();
        let f = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
        f.set_len(len - 20_001).expect("truncate");
        let (samples, rate) = read_wav_mono(&path).expect("readable");
        assert_eq!(rate, 48_000);
        assert_eq!(samples.len(), 48_000 - 10_001);
    }

    #[test]
    fn stereo_is_mixed_down_and_bad_files_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stereo.wav");
        let spec = hound::WavSpec { channels: 2, sample_rate: 16_000, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        for _ in 0..100 {
            w.write_sample(0.5f32).expect("write");
            w.write_sample(-0.25f32).expect("write");
        }
        w.finalize().expect("finalize");
        let (samples, _) = read_wav_mono(&path).expect("readable");
        assert_eq!(samples.len(), 100);
        assert!((samples[0] - 0.125).abs() < 1e-6);

        let junk = dir.path().join("junk.wav");
        std::fs::write(&junk, b"not a wav").expect("write");
        let err = read_wav_mono(&junk).expect_err("junk");
        assert!(err.to_string().contains("not a readable WAV file"), "{err}");
        let err = read_wav_mono(&dir.path().join("gone.wav")).expect_err("missing");
        assert!(err.to_string().contains("no such file"), "{err}");
    }
}
