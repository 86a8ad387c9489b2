//! Waveform overviews ("peaks") of takes: `takes/<id>.peaks` beside `takes/<id>.wav`.
//!
//! The capture writer appends peaks while it records (see [`PeaksWriter`], driven by
//! [`crate::TakeWriter`]), so the overview of a finished take is one small file read. A
//! take without a usable peaks file (recovered after a crash, written by an older version,
//! damaged) gets one built from its WAV on first view, streaming the WAV in flat memory.
//! The peaks file is a cache: it is never trusted when it disagrees with the WAV, and
//! failing to write it never fails the caller.
//!
//! # File format (version 1), all integers little-endian
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `RHPK` |
//! | 4 | 2 | format version (1) |
//! | 6 | 2 | reserved (0) |
//! | 8 | 4 | sample rate of the WAV (Hz) |
//! | 12 | 4 | frames per bucket (the rate / 100: 100 buckets per second) |
//! | 16 | 8 | frames of the WAV covered |
//! | 24 | 4 × n | n buckets, each `min: i16, max: i16` of the mono signal |
//!
//! n = ceil(frames / frames per bucket); the last bucket may cover fewer frames. A file
//! being written by a recorder (`<id>.peaks.partial`) holds only whole buckets, and its
//! header counts only those. One hour at 48 kHz is 360,000 buckets: 1.4 MB.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::AudioError;

const MAGIC: &[u8; 4] = b"RHPK";
pub const PEAKS_FORMAT_VERSION: u16 = 1;
/// Buckets per second of audio.
pub const PEAKS_PER_SECOND: u32 = 100;
const HEADER_LEN: u64 = 24;
const BUCKET_LEN: u64 = 4;
/// Widest overview a caller may ask for (a 16k-pixel display is still under it).
pub const MAX_WIDTH: usize = 100_000;

/// `takes/abc.wav` -> `takes/abc.peaks`.
pub fn peaks_path_for(wav: &Path) -> PathBuf {
    wav.with_extension("peaks")
}

fn frames_per_bucket(rate: u32) -> u32 {
    (rate / PEAKS_PER_SECOND).max(1)
}

/// The peaks of one take: min/max of the mono signal per bucket of `frames_per_bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peaks {
    pub sample_rate: u32,
    pub frames_per_bucket: u32,
    /// Frames of the WAV these peaks cover.
    pub frames: u64,
    pub buckets: Vec<(i16, i16)>,
}

/// Where the peaks of a [`load_or_build`] call came from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeaksSource {
    /// The take's peaks file (written while recording, or built earlier).
    File,
    /// Built from the WAV now, because the peaks file was missing, stale or damaged.
    Built,
}

/// A take's overview at a given width, for a front end to draw.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub duration_ms: u64,
    pub sample_rate: u32,
    pub source: PeaksSource,
    /// `(min, max)` per column, normalized to -1..1.
    pub columns: Vec<(f32, f32)>,
}

impl Peaks {
    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / self.sample_rate.max(1) as u64
    }

    /// Reduces the buckets to `width` columns of `(min, max)` normalized to -1..1. Each
    /// column covers an equal share of the take; when there are fewer buckets than
    /// columns, neighbouring columns repeat a bucket. An empty take gives flat columns.
    pub fn columns(&self, width: usize) -> Vec<(f32, f32)> {
        let n = self.buckets.len();
        if n == 0 {
            return vec![(0.0, 0.0); width];
        }
        let norm = |s: i16| s as f32 / 32768.0;
        (0..width)
            .map(|i| {
                let lo = i * n / width;
                let hi = ((i + 1) * n / width).max(lo + 1).min(n);
                let (mn, mx) = self.buckets[lo..hi].iter().fold((i16::MAX, i16::MIN), |(a, b), &(mn, mx)| (a.min(mn), b.max(mx)));
                (norm(mn), norm(mx))
            })
            .collect()
    }

    fn expected_buckets(frames: u64, fpb: u32) -> u64 {
        frames.div_ceil(fpb.max(1) as u64)
    }

    fn header(&self) -> [u8; HEADER_LEN as usize] {
        header_bytes(self.sample_rate, self.frames_per_bucket, self.frames)
    }

    /// Reads a peaks file; `None` when it is not a complete, consistent version-1 file.
    fn read(path: &Path) -> Option<Peaks> {
        let mut f = File::open(path).ok()?;
        let len = f.metadata().ok()?.len();
        let mut h = [0u8; HEADER_LEN as usize];
        f.read_exact(&mut h).ok()?;
        if &h[0..4] != MAGIC || u16::from_le_bytes([h[4], h[5]]) != PEAKS_FORMAT_VERSION {
            return None;
        }
        let sample_rate = u32::from_le_bytes(h[8..12].try_into().ok()?);
        let frames_per_bucket = u32::from_le_bytes(h[12..16].try_into().ok()?);
        let frames = u64::from_le_bytes(h[16..24].try_into().ok()?);
        if sample_rate == 0 || frames_per_bucket != self::frames_per_bucket(sample_rate) {
            return None;
        }
        let n = Self::expected_buckets(frames, frames_per_bucket);
        if len != HEADER_LEN + n * BUCKET_LEN {
            return None;
        }
        let mut raw = Vec::with_capacity((n * BUCKET_LEN) as usize);
        f.read_to_end(&mut raw).ok()?;
        let buckets = raw.chunks_exact(4).map(|b| (i16::from_le_bytes([b[0], b[1]]), i16::from_le_bytes([b[2], b[3]]))).collect::<Vec<_>>();
        if buckets.iter().any(|&(mn, mx)| mn > mx) {
            return None;
        }
        Some(Peaks { sample_rate, frames_per_bucket, frames, buckets })
    }

    /// Writes the peaks file atomically (a temporary name, then a rename).
    fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = temp_name(path);
        let result = (|| {
            let mut w = BufWriter::new(File::create(&tmp)?);
            w.write_all(&self.header())?;
            for &(mn, mx) in &self.buckets {
                w.write_all(&mn.to_le_bytes())?;
                w.write_all(&mx.to_le_bytes())?;
            }
            w.into_inner().map_err(|e| e.into_error())?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

fn header_bytes(rate: u32, fpb: u32, frames: u64) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..4].copy_from_slice(MAGIC);
    h[4..6].copy_from_slice(&PEAKS_FORMAT_VERSION.to_le_bytes());
    h[8..12].copy_from_slice(&rate.to_le_bytes());
    h[12..16].copy_from_slice(&fpb.to_le_bytes());
    h[16..24].copy_from_slice(&frames.to_le_bytes());
    h
}

/// A name no other writer uses at the same time (two viewers may build the same peaks).
fn temp_name(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{}-{}.tmp", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    PathBuf::from(s)
}

/// Min/max accumulator of one bucket after another (shared by the recorder and the builder).
struct Accumulator {
    fpb: u32,
    in_bucket: u32,
    min: i16,
    max: i16,
}

impl Accumulator {
    fn new(fpb: u32) -> Self {
        Accumulator { fpb, in_bucket: 0, min: i16::MAX, max: i16::MIN }
    }

    #[inline]
    fn push(&mut self, s: i16, done: &mut Vec<(i16, i16)>) {
        self.min = self.min.min(s);
        self.max = self.max.max(s);
        self.in_bucket += 1;
        if self.in_bucket == self.fpb {
            done.push((self.min, self.max));
            self.in_bucket = 0;
            self.min = i16::MAX;
            self.max = i16::MIN;
        }
    }

    /// The unfinished last bucket, if any.
    fn tail(&self) -> Option<(i16, i16)> {
        (self.in_bucket > 0).then_some((self.min, self.max))
    }
}

/// Builds the peaks of a WAV by streaming its data (any channel count, 16-bit PCM), in
/// flat memory. A file shorter than its header claims gives the peaks of what is there.
pub fn build_from_wav(wav: &Path) -> Result<Peaks, AudioError> {
    let reader = hound::WavReader::open(wav).map_err(|e| AudioError::wav("open", wav, e))?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(AudioError::UnsupportedTake(format!(
            "{} is {}-bit {:?} (takes are 16-bit PCM)",
            wav.display(),
            spec.bits_per_sample,
            spec.sample_format
        )));
    }
    let channels = spec.channels.max(1) as usize;
    let claimed_bytes = reader.len() as u64 * 2;
    // hound has parsed the header; the inner reader stands at the first sample. Reading the
    // data in large blocks is ~10x faster than hound's per-sample iterator.
    let mut data = reader.into_inner().take(claimed_bytes);
    let fpb = frames_per_bucket(spec.sample_rate);
    let mut acc = Accumulator::new(fpb);
    let mut buckets = Vec::with_capacity(1024);
    let mut block = vec![0u8; 1 << 16];
    let frame_bytes = 2 * channels;
    let mut carry = 0usize; // bytes of an incomplete frame left at the start of `block`
    let mut frames = 0u64;
    loop {
        let n = match data.read(&mut block[carry..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(AudioError::io("read", wav, e)),
        };
        let avail = carry + n;
        let whole = avail - avail % frame_bytes;
        for frame in block[..whole].chunks_exact(frame_bytes) {
            let s = if channels == 1 {
                i16::from_le_bytes([frame[0], frame[1]])
            } else {
                let sum: i32 = frame.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]) as i32).sum();
                (sum / channels as i32) as i16
            };
            acc.push(s, &mut buckets);
        }
        frames += (whole / frame_bytes) as u64;
        block.copy_within(whole..avail, 0);
        carry = avail - whole;
    }
    buckets.extend(acc.tail());
    Ok(Peaks { sample_rate: spec.sample_rate, frames_per_bucket: fpb, frames, buckets })
}

/// The take's peaks: from its peaks file when that matches the WAV (same rate, same frame
/// count), else built from the WAV and saved for next time. Stray recorder leftovers
/// (`<id>.peaks.partial` of a take that was recovered) are removed then.
pub fn load_or_build(wav: &Path) -> Result<(Peaks, PeaksSource), AudioError> {
    let header = hound::WavReader::open(wav).map_err(|e| AudioError::wav("open", wav, e))?;
    let (rate, frames) = (header.spec().sample_rate, header.duration() as u64);
    drop(header);
    let path = peaks_path_for(wav);
    if let Some(p) = Peaks::read(&path) {
        if p.sample_rate == rate && p.frames == frames {
            return Ok((p, PeaksSource::File));
        }
    }
    let peaks = build_from_wav(wav)?;
    // A cache: a read-only folder or a full disk costs the next viewer a rebuild, nothing more.
    let _ = peaks.write(&path);
    let _ = std::fs::remove_file(crate::wav::partial_path_for(&path));
    Ok((peaks, PeaksSource::Built))
}

fn check_width(width: usize) -> Result<(), AudioError> {
    if width == 0 || width > MAX_WIDTH {
        return Err(AudioError::InvalidRequest(format!("the overview width must be 1 to {MAX_WIDTH} columns, not {width}")));
    }
    Ok(())
}

/// `(min, max)` per column, normalized to -1..1, of the take at `wav`, in `width` columns.
pub fn peaks_for(wav: &Path, width: usize) -> Result<Vec<(f32, f32)>, AudioError> {
    Ok(overview(wav, width)?.columns)
}

/// The take's overview in `width` columns, with its duration and where the peaks came from.
pub fn overview(wav: &Path, width: usize) -> Result<Overview, AudioError> {
    check_width(width)?;
    let (peaks, source) = load_or_build(wav)?;
    Ok(Overview { duration_ms: peaks.duration_ms(), sample_rate: peaks.sample_rate, source, columns: peaks.columns(width) })
}

/// Peaks written while recording, beside the WAV's partial file: whole buckets are appended
/// on each flush and the header is patched to count them, so a crash leaves a valid (if
/// short) file. The recorder's writer thread drives it; nothing here runs in the callback.
pub(crate) struct PeaksWriter {
    file: BufWriter<File>,
    partial: PathBuf,
    final_path: PathBuf,
    rate: u32,
    acc: Accumulator,
    pending: Vec<(i16, i16)>,
    written_buckets: u64,
    channels: usize,
    in_frame: usize,
    frame_sum: i32,
}

impl PeaksWriter {
    /// Starts `<wav final name minus .wav>.peaks.partial` (replacing a leftover of a crash).
    pub(crate) fn create(final_wav: &Path, rate: u32, channels: u16) -> std::io::Result<Self> {
        let final_path = peaks_path_for(final_wav);
        let partial = crate::wav::partial_path_for(&final_path);
        let mut file = BufWriter::new(File::create(&partial)?);
        let fpb = frames_per_bucket(rate);
        file.write_all(&header_bytes(rate, fpb, 0))?;
        Ok(PeaksWriter {
            file,
            partial,
            final_path,
            rate,
            acc: Accumulator::new(fpb),
            pending: Vec::with_capacity(128),
            written_buckets: 0,
            channels: channels.max(1) as usize,
            in_frame: 0,
            frame_sum: 0,
        })
    }

    /// Takes interleaved samples as they are written to the WAV.
    pub(crate) fn push(&mut self, samples: &[i16]) {
        if self.channels == 1 {
            for &s in samples {
                self.acc.push(s, &mut self.pending);
            }
            return;
        }
        for &s in samples {
            self.frame_sum += s as i32;
            self.in_frame += 1;
            if self.in_frame == self.channels {
                let mono = (self.frame_sum / self.channels as i32) as i16;
                self.acc.push(mono, &mut self.pending);
                self.in_frame = 0;
                self.frame_sum = 0;
            }
        }
    }

    fn append_pending(&mut self) -> std::io::Result<()> {
        for &(mn, mx) in &self.pending {
            self.file.write_all(&mn.to_le_bytes())?;
            self.file.write_all(&mx.to_le_bytes())?;
        }
        self.written_buckets += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    fn patch_header(&mut self, frames: u64) -> std::io::Result<()> {
        let fpb = self.acc.fpb;
        let f = self.file.get_mut();
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&header_bytes(self.rate, fpb, frames))?;
        f.seek(SeekFrom::End(0))?;
        Ok(())
    }

    /// Appends the whole buckets so far and counts them in the header (with the WAV's flush).
    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.append_pending()?;
        self.file.flush()?;
        let frames = self.written_buckets * self.acc.fpb as u64;
        self.patch_header(frames)
    }

    /// Writes the last (possibly short) bucket, the final header, and renames to `.peaks`.
    /// `frames` is the WAV's frame count, which the peaks then match exactly.
    pub(crate) fn finish(mut self, frames: u64) -> std::io::Result<PathBuf> {
        let tail = self.acc.tail();
        self.pending.extend(tail);
        self.append_pending()?;
        self.file.flush()?;
        self.patch_header(frames)?;
        self.file.flush()?;
        std::fs::rename(&self.partial, &self.final_path)?;
        Ok(self.final_path)
    }

    /// Gives up (a write failed): the partial file goes; the peaks are built on first view.
    pub(crate) fn discard(self) {
        let PeaksWriter { file, partial, .. } = self;
        drop(file);
        let _ = std::fs::remove_file(partial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
        let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(path, spec).expect("create");
        for &s in samples {
            w.write_sample(s).expect("write");
        }
        w.finalize().expect("finalize");
    }

    /// One second at 8 kHz: bucket k (80 frames) swings between -k*100 and +k*300.
    fn ramp_signal() -> Vec<i16> {
        (0..8000)
            .map(|i| {
                let k = (i / 80) as i16;
                if i % 2 == 0 {
                    -k * 100
                } else {
                    k * 300
                }
            })
            .collect()
    }

    #[test]
    fn a_known_signal_gives_its_exact_min_and_max_per_bucket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        write_wav(&wav, 8000, 1, &ramp_signal());
        let p = build_from_wav(&wav).expect("build");
        assert_eq!((p.sample_rate, p.frames_per_bucket, p.frames, p.buckets.len()), (8000, 80, 8000, 100));
        for (k, &b) in p.buckets.iter().enumerate() {
            assert_eq!(b, (-(k as i16) * 100, k as i16 * 300), "bucket {k}");
        }
        // Reduced to 10 columns: column c spans buckets 10c..=10c+9; both extremes grow
        // with k, so both come from its last bucket.
        let cols = p.columns(10);
        assert_eq!(cols.len(), 10);
        for (c, &(mn, mx)) in cols.iter().enumerate() {
            let last = (10 * c + 9) as f32;
            assert_eq!(mn, -last * 100.0 / 32768.0);
            assert_eq!(mx, last * 300.0 / 32768.0);
        }
    }

    #[test]
    fn full_scale_is_normalized_to_minus_one_and_almost_one() {
        let p = Peaks { sample_rate: 100, frames_per_bucket: 1, frames: 2, buckets: vec![(i16::MIN, 0), (0, i16::MAX)] };
        assert_eq!(p.columns(1), vec![(-1.0, 32767.0 / 32768.0)]);
        // More columns than buckets: each column shows the bucket under it.
        assert_eq!(p.columns(4), vec![(-1.0, 0.0), (-1.0, 0.0), (0.0, 32767.0 / 32768.0), (0.0, 32767.0 / 32768.0)]);
    }

    #[test]
    fn stereo_is_mixed_down_and_a_short_last_bucket_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        // 85 stereo frames at 8 kHz: one whole bucket of 80 and a tail of 5.
        let mut s = Vec::new();
        for i in 0..85 {
            s.extend_from_slice(&[1000, if i == 84 { -3000 } else { 3000 }]);
        }
        write_wav(&wav, 8000, 2, &s);
        let p = build_from_wav(&wav).expect("build");
        assert_eq!(p.frames, 85);
        assert_eq!(p.buckets, vec![(2000, 2000), (-1000, 2000)]);
    }

    #[test]
    fn peaks_written_while_recording_equal_peaks_rebuilt_from_the_final_wav() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        let mut w = crate::TakeWriter::create(&wav, 16_000, 1).expect("create");
        let partial = crate::wav::partial_path_for(&peaks_path_for(&wav));
        assert!(partial.exists(), "peaks are written beside the partial WAV");
        // Uneven blocks with a flush in between, as the capture writer delivers them.
        let signal: Vec<i16> = (0..40_123).map(|i| ((i as f32 * 0.013).sin() * (i % 7000) as f32) as i16).collect();
        for (n, chunk) in signal.chunks(1234).enumerate() {
            w.write(chunk).expect("write");
            if n == 10 {
                w.force_flush().expect("flush");
                let mid = Peaks::read(&partial).expect("a flushed partial peaks file is valid");
                assert_eq!(mid.frames % 160, 0, "only whole buckets are counted while recording");
                assert!(mid.frames > 0);
            }
        }
        w.finish().expect("finish");
        assert!(!partial.exists());
        let recorded = Peaks::read(&peaks_path_for(&wav)).expect("finished peaks file");
        let rebuilt = build_from_wav(&wav).expect("rebuild");
        assert_eq!(recorded, rebuilt);
        assert_eq!(recorded.frames, 40_123);
        assert_eq!(load_or_build(&wav).expect("load").1, PeaksSource::File);
    }

    #[test]
    fn missing_stale_and_corrupt_peaks_files_are_rebuilt_without_panicking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        write_wav(&wav, 8000, 1, &ramp_signal());
        let path = peaks_path_for(&wav);
        let good = build_from_wav(&wav).expect("build");

        // Missing: built and saved.
        let (p, src) = load_or_build(&wav).expect("missing");
        assert_eq!((p.clone(), src), (good.clone(), PeaksSource::Built));
        assert!(path.exists());
        assert_eq!(load_or_build(&wav).expect("cached").1, PeaksSource::File);

        // Stale: the WAV changed length since (e.g. a recovered take was repaired).
        let mut stale = good.clone();
        stale.frames = 4000;
        stale.buckets.truncate(50);
        stale.write(&path).expect("write stale");
        assert_eq!(load_or_build(&wav).expect("stale"), (good.clone(), PeaksSource::Built));

        // A different rate with the same frame count is stale too.
        let mut other_rate = good.clone();
        other_rate.sample_rate = 16_000;
        other_rate.frames_per_bucket = 160;
        other_rate.write(&path).expect("write");
        assert_eq!(load_or_build(&wav).expect("rate").1, PeaksSource::Built);

        // Corrupt: garbage, truncation, a wrong version, min > max, an empty file.
        let bytes = std::fs::read(&path).expect("read");
        let mut wrong_version = bytes.clone();
        wrong_version[4] = 9;
        let mut inverted = bytes.clone();
        inverted[24..28].copy_from_slice(&[0x10, 0, 0, 0]); // min 16 > max 0 of bucket 0
        let corruptions: Vec<Vec<u8>> = vec![
            b"not a peaks file at all".to_vec(),
            bytes[..bytes.len() - 3].to_vec(),
            bytes[..10].to_vec(),
            wrong_version,
            inverted,
            Vec::new(),
            [bytes.clone(), vec![0; 4]].concat(),
        ];
        for (i, c) in corruptions.into_iter().enumerate() {
            std::fs::write(&path, c).expect("write corrupt");
            let (p, src) = load_or_build(&wav).unwrap_or_else(|e| panic!("corruption {i}: {e}"));
            assert_eq!((p, src), (good.clone(), PeaksSource::Built), "corruption {i}");
            assert_eq!(std::fs::read(&path).expect("rewritten"), bytes, "corruption {i} repaired on disk");
        }
    }

    #[test]
    fn a_leftover_partial_peaks_file_of_a_recovered_take_is_cleaned_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        write_wav(&wav, 8000, 1, &ramp_signal());
        let leftover = crate::wav::partial_path_for(&peaks_path_for(&wav));
        std::fs::write(&leftover, b"RHPK").expect("leftover");
        assert_eq!(load_or_build(&wav).expect("load").1, PeaksSource::Built);
        assert!(!leftover.exists());
    }

    #[test]
    fn bad_widths_and_bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        write_wav(&wav, 8000, 1, &ramp_signal());
        assert!(peaks_for(&wav, 0).expect_err("zero").to_string().contains("width"));
        assert!(peaks_for(&wav, MAX_WIDTH + 1).is_err());
        assert_eq!(peaks_for(&wav, 3).expect("ok").len(), 3);
        let missing = dir.path().join("none.wav");
        assert!(peaks_for(&missing, 10).expect_err("missing").to_string().contains("none.wav"));
        let junk = dir.path().join("junk.wav");
        std::fs::write(&junk, b"RIFF0000WAVEjunk").expect("junk");
        assert!(peaks_for(&junk, 10).is_err());
    }

    #[test]
    fn a_wav_shorter_than_its_header_claims_gives_the_peaks_of_what_is_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        write_wav(&wav, 8000, 1, &ramp_signal());
        let f = std::fs::OpenOptions::new().write(true).open(&wav).expect("open");
        f.set_len(44 + 2 * 4000 + 1).expect("truncate"); // half the data and an odd byte
        let p = build_from_wav(&wav).expect("build");
        assert_eq!(p.frames, 4000);
        assert_eq!(p.buckets.len(), 50);
        // The header still claims 8000 frames: the rebuilt peaks never match it, so a
        // viewer rebuilds each time rather than trusting stale data (cheap for a damaged file).
        assert_eq!(load_or_build(&wav).expect("load").1, PeaksSource::Built);
    }

    #[test]
    fn an_empty_take_has_flat_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("t.wav");
        write_wav(&wav, 48_000, 1, &[]);
        assert_eq!(peaks_for(&wav, 4).expect("empty"), vec![(0.0, 0.0); 4]);
    }
}
