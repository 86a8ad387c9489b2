//! WAV header repair for takes left behind by a crash.
//!
//! Takes are written as plain PCM WAV (`RIFF` / `fmt ` / `data`) under a `.wav.partial`
//! name, and the writer patches the header sizes every half second. After a crash or a
//! power loss the sizes in the header can be 0, stale (smaller than what is on disk),
//! too large (the tail never reached the disk) or `0xFFFFFFFF`. This module rewrites the
//! `data` and `RIFF` sizes to describe exactly the whole frames that are on disk.
//!
//! Rules:
//! - a file whose header already matches the data on disk is not written at all;
//! - a trailing partial frame is cut off (`set_len`), nothing else is ever removed;
//! - files are never deleted; anything that is not a usable WAV is reported as
//!   [`Repair::Damaged`] and left as it is;
//! - malformed content never panics and never is an `io::Error`: only real I/O failures are.
//!
//! Over 500 lines for its tests: the repair is about 360 lines; the rest tests it on every kind of
//! damaged header.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Smallest possible WAV: `RIFF` header (12) + `fmt ` chunk (8 + 16) + `data` header (8).
const MIN_WAV_LEN: u64 = 44;
/// Size field value written by streaming writers that do not know the final length.
const UNKNOWN_SIZE: u32 = u32::MAX;
/// Upper bound on chunks walked, so that a garbage file of tiny chunks is cut short.
const MAX_CHUNKS: usize = 1024;

/// The sample format found in the `fmt ` chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    /// `1` for integer PCM, `3` for IEEE float, `0xFFFE` for WAVE_FORMAT_EXTENSIBLE.
    pub format_tag: u16,
    /// Interleaved channels per frame.
    pub channels: u16,
    /// Frames per second.
    pub sample_rate: u32,
    /// Bits per sample (per channel).
    pub bits_per_sample: u16,
    /// Bytes per frame (all channels); never 0 in a format returned by this module.
    pub block_align: u16,
}

impl WavFormat {
    /// Whole frames in `bytes` of sample data (a trailing partial frame does not count).
    pub fn frames_for_bytes(&self, bytes: u64) -> u64 {
        bytes.checked_div(u64::from(self.block_align)).unwrap_or(0)
    }

    /// Duration of `frames` frames in milliseconds, rounded down (0 if the sample rate is 0).
    pub fn duration_ms(&self, frames: u64) -> u64 {
        let ms = u128::from(frames) * 1000;
        let ms = ms.checked_div(u128::from(self.sample_rate)).unwrap_or(0);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }
}

/// What [`inspect_wav`] found or [`repair_wav`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// Header already matched the data on disk; the file was not touched.
    Unchanged {
        /// The format from the `fmt ` chunk.
        format: WavFormat,
        /// Whole frames in the `data` chunk.
        frames: u64,
    },
    /// Header sizes were rewritten to match the data on disk (both directions).
    Repaired {
        /// The format from the `fmt ` chunk.
        format: WavFormat,
        /// Whole frames on disk, which the header now describes.
        frames: u64,
        /// Frames the header claimed before the repair (`data` size / `block_align`).
        header_frames: u64,
    },
    /// Not a usable WAV (zero length, too short, not RIFF/WAVE, no fmt or data chunk, bad fmt): left as is.
    Damaged {
        /// Why the file is not usable, for logs and the user.
        reason: String,
    },
}

/// Inspects `path` without modifying it (same classification as repair_wav would give, but Repaired means "would be repaired").
pub fn inspect_wav(path: &Path) -> io::Result<Repair> {
    let mut file = File::open(path)?;
    Ok(plan(&mut file)?.into_repair())
}

/// Repairs the header of `path` in place if needed (see rules), fsyncs, and reports what it did.
///
/// The file is opened for writing only when a repair is needed, so a consistent or
/// damaged file that is read-only is still classified without error.
pub fn repair_wav(path: &Path) -> io::Result<Repair> {
    let mut file = File::open(path)?;
    if let Plan::Done(repair) = plan(&mut file)? {
        return Ok(repair);
    }
    drop(file);

    // Plan again on the handle that writes, so the fix matches what that handle sees.
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    match plan(&mut file)? {
        Plan::Fix(fix) => {
            apply(&mut file, &fix)?;
            Ok(fix.repair)
        }
        Plan::Done(repair) => Ok(repair),
    }
}

/// The outcome of reading a file: either nothing to write, or the exact writes to make.
enum Plan {
    Done(Repair),
    Fix(Fix),
}

impl Plan {
    fn into_repair(self) -> Repair {
        match self {
            Plan::Done(repair) => repair,
            Plan::Fix(fix) => fix.repair,
        }
    }
}

/// Writes that bring a header in line with the data on disk.
struct Fix {
    /// The `Repaired` report.
    repair: Repair,
    /// Offset of the `data` chunk's size field.
    data_size_offset: u64,
    new_data_size: u32,
    new_riff_size: u32,
    /// Cut the file to this length (drops a trailing partial frame).
    truncate_to: Option<u64>,
}

fn apply(file: &mut File, fix: &Fix) -> io::Result<()> {
    if let Some(len) = fix.truncate_to {
        file.set_len(len)?;
    }
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&fix.new_riff_size.to_le_bytes())?;
    file.seek(SeekFrom::Start(fix.data_size_offset))?;
    file.write_all(&fix.new_data_size.to_le_bytes())?;
    file.sync_all()
}

fn damaged(reason: impl Into<String>) -> Plan {
    Plan::Done(Repair::Damaged { reason: reason.into() })
}

fn read_at<const N: usize>(file: &mut File, offset: u64) -> io::Result<[u8; N]> {
    let mut buf = [0u8; N];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// A chunk header: 4-byte id and little-endian size.
fn read_chunk_header(file: &mut File, offset: u64) -> io::Result<([u8; 4], u32)> {
    let [a, b, c, d, s0, s1, s2, s3] = read_at::<8>(file, offset)?;
    Ok(([a, b, c, d], u32::from_le_bytes([s0, s1, s2, s3])))
}

fn fourcc(id: &[u8; 4]) -> String {
    id.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '?' }).collect()
}

/// Offset just past a chunk whose header starts at `offset`, with the pad byte of an odd-sized body.
fn chunk_end(offset: u64, size: u32) -> Option<u64> {
    let size = u64::from(size);
    offset.checked_add(8)?.checked_add(size)?.checked_add(size & 1)
}

/// Reads the file and decides what, if anything, has to be written. Never writes.
fn plan(file: &mut File) -> io::Result<Plan> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let len = meta.len();
    if len == 0 {
        return Ok(damaged("empty file (0 bytes)"));
    }
    if len >= 12 {
        let [r0, r1, r2, r3, s0, s1, s2, s3, w0, w1, w2, w3] = read_at::<12>(file, 0)?;
        if [r0, r1, r2, r3] != *b"RIFF" || [w0, w1, w2, w3] != *b"WAVE" {
            return Ok(damaged("not a WAV file (no RIFF/WAVE header)"));
        }
        if len >= MIN_WAV_LEN {
            let riff_size = u32::from_le_bytes([s0, s1, s2, s3]);
            return plan_chunks(file, len, riff_size);
        }
    }
    Ok(damaged(format!("file too short for a WAV header ({len} bytes, at least {MIN_WAV_LEN} needed)")))
}

/// Walks the chunks after `RIFF....WAVE` up to the `data` chunk.
fn plan_chunks(file: &mut File, len: u64, riff_size: u32) -> io::Result<Plan> {
    let mut format: Option<WavFormat> = None;
    let mut pos: u64 = 12;
    // The previous chunk, to say which one ran past the end of the file.
    let mut previous: Option<([u8; 4], u64)> = None;
    for _ in 0..MAX_CHUNKS {
        let Some(body) = pos.checked_add(8).filter(|&body| body <= len) else {
            let missing = if format.is_some() { "no data chunk" } else { "no fmt chunk" };
            return Ok(damaged(match previous {
                Some((id, at)) if pos > len => {
                    format!("{missing} (chunk \"{}\" at offset {at} runs past the end of the file)", fourcc(&id))
                }
                _ => missing.to_string(),
            }));
        };
        let (id, size) = read_chunk_header(file, pos)?;
        previous = Some((id, pos));
        match &id {
            b"fmt " if format.is_none() => {
                if size < 16 {
                    return Ok(damaged(format!("fmt chunk too short ({size} bytes, 16 needed)")));
                }
                if body.checked_add(16).is_none_or(|end| end > len) {
                    return Ok(damaged("fmt chunk truncated (file ends inside it)"));
                }
                match parse_fmt(read_at::<16>(file, body)?) {
                    Ok(f) => format = Some(f),
                    Err(reason) => return Ok(damaged(reason)),
                }
            }
            b"data" => {
                let Some(format) = format else {
                    return Ok(damaged("no fmt chunk before the data chunk"));
                };
                return plan_data(file, len, riff_size, format, pos, size);
            }
            _ => {}
        }
        match chunk_end(pos, size) {
            Some(next) => pos = next,
            None => return Ok(damaged(format!("chunk at offset {pos} has an impossible size"))),
        }
    }
    Ok(damaged(format!("no data chunk in the first {MAX_CHUNKS} chunks")))
}

fn parse_fmt(body: [u8; 16]) -> Result<WavFormat, String> {
    let [t0, t1, c0, c1, r0, r1, r2, r3, _, _, _, _, a0, a1, b0, b1] = body;
    let format = WavFormat {
        format_tag: u16::from_le_bytes([t0, t1]),
        channels: u16::from_le_bytes([c0, c1]),
        sample_rate: u32::from_le_bytes([r0, r1, r2, r3]),
        block_align: u16::from_le_bytes([a0, a1]),
        bits_per_sample: u16::from_le_bytes([b0, b1]),
    };
    if format.block_align == 0 {
        return Err("block_align is 0".into());
    }
    if format.channels == 0 {
        return Err("channels is 0".into());
    }
    if format.sample_rate == 0 {
        return Err("sample_rate is 0".into());
    }
    Ok(format)
}

/// Decides about the `data` chunk whose header is at `pos` and claims `data_size` bytes.
fn plan_data(file: &mut File, len: u64, riff_size: u32, format: WavFormat, pos: u64, data_size: u32) -> io::Result<Plan> {
    // The caller checked pos + 8 <= len.
    let data_start = pos.saturating_add(8);
    let block = u64::from(format.block_align);
    if block == 0 {
        return Ok(damaged("block_align is 0"));
    }
    let header_frames = format.frames_for_bytes(u64::from(data_size));

    if data_size != UNKNOWN_SIZE && header_is_consistent(file, len, riff_size, data_start, data_size, block)? {
        return Ok(Plan::Done(Repair::Unchanged { format, frames: header_frames }));
    }

    // The data chunk is taken as the last chunk and made to cover the whole frames on disk.
    let on_disk = len.saturating_sub(data_start);
    let whole = on_disk - on_disk % block;
    // Both sizes must fit in u32: RIFF size = (data_start - 8) + data size.
    let Some(room) = u64::from(u32::MAX).checked_sub(pos) else {
        return Ok(damaged(format!("data chunk starts too far into the file (offset {pos})")));
    };
    let (target, truncate_to) = if whole <= room {
        let kept = data_start.saturating_add(whole);
        (whole, (kept < len).then_some(kept))
    } else {
        // More than 4 GiB of samples: describe as many whole frames as a WAV header can,
        // and keep the rest of the file (never throw recorded audio away).
        (room - room % block, None)
    };
    // RIFF size = file length - 8 = (data_start + target) - 8 = pos + target.
    let (Ok(new_data_size), Ok(new_riff_size)) = (u32::try_from(target), u32::try_from(pos.saturating_add(target))) else {
        return Ok(damaged("data too large for a WAV header"));
    };
    let frames = format.frames_for_bytes(target);
    if new_data_size == data_size && new_riff_size == riff_size && truncate_to.is_none() {
        return Ok(Plan::Done(Repair::Unchanged { format, frames }));
    }
    Ok(Plan::Fix(Fix {
        repair: Repair::Repaired { format, frames, header_frames },
        data_size_offset: pos.saturating_add(4),
        new_data_size,
        new_riff_size,
        truncate_to,
    }))
}

/// Whether the header sizes already describe the file: the data chunk holds whole frames
/// and fits on disk, the RIFF size covers the file, and whatever follows the data chunk
/// (if anything) is a well-formed sequence of chunks ending at the end of the file.
/// A missing pad byte after an odd-sized last chunk is tolerated.
fn header_is_consistent(file: &mut File, len: u64, riff_size: u32, data_start: u64, data_size: u32, block: u64) -> io::Result<bool> {
    let size = u64::from(data_size);
    if size % block != 0 {
        return Ok(false);
    }
    let Some(data_end) = data_start.checked_add(size) else { return Ok(false) };
    if data_end > len {
        return Ok(false);
    }
    let riff_end = u64::from(riff_size) + 8;
    let padded_end = data_end + (size & 1);
    if data_end == len {
        // Data is the last chunk; its pad byte (if any) may be missing.
        return Ok(riff_end == len || (padded_end > len && riff_end == padded_end));
    }
    if padded_end == len {
        return Ok(riff_end == len);
    }
    // Something follows the data chunk. Samples written after the last header update
    // would be found here too, so an empty data chunk never counts as consistent with
    // trailing bytes, and the rest must parse as chunks that end exactly at the file end.
    if size == 0 {
        return Ok(false);
    }
    let mut pos = padded_end;
    for _ in 0..MAX_CHUNKS {
        if pos.checked_add(8).is_none_or(|body| body > len) {
            return Ok(false);
        }
        let (id, chunk_size) = read_chunk_header(file, pos)?;
        if !id.iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
            return Ok(false);
        }
        let Some(next) = chunk_end(pos, chunk_size) else { return Ok(false) };
        let unpadded = next - u64::from(chunk_size & 1);
        if next == len || unpadded == len {
            return Ok(riff_end == len || riff_end == next);
        }
        if next > len {
            return Ok(false);
        }
        pos = next;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    const HEADER_LEN: usize = 44;

    /// A canonical 44-byte WAV header (as hound writes it) followed by `data`.
    fn wav(channels: u16, bits: u16, riff_size: u32, data_size: u32, data: &[u8]) -> Vec<u8> {
        wav_with_chunks(channels, bits, riff_size, data_size, &[], data)
    }

    /// A WAV with `extra` chunks between `fmt ` and `data`.
    fn wav_with_chunks(channels: u16, bits: u16, riff_size: u32, data_size: u32, extra: &[(&[u8; 4], &[u8])], data: &[u8]) -> Vec<u8> {
        let rate: u32 = 48_000;
        let block_align = channels * (bits / 8);
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&riff_size.to_le_bytes());
        v.extend_from_slice(b"WAVE");
        v.extend_from_slice(b"fmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
        v.extend_from_slice(&block_align.to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        for (id, body) in extra {
            v.extend_from_slice(*id);
            v.extend_from_slice(&(body.len() as u32).to_le_bytes());
            v.extend_from_slice(body);
            if body.len() % 2 == 1 {
                v.push(0);
            }
        }
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_size.to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    fn samples(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    fn u32_at(bytes: &[u8], offset: usize) -> u32 {
        u32::from_le_bytes(bytes[offset..offset + 4].try_into().expect("4 bytes"))
    }

    fn write_take(dir: &tempfile::TempDir, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join("take.wav.partial");
        fs::write(&path, bytes).expect("write take");
        path
    }

    fn format(channels: u16, bits: u16) -> WavFormat {
        WavFormat { format_tag: 1, channels, sample_rate: 48_000, bits_per_sample: bits, block_align: channels * (bits / 8) }
    }

    fn assert_damaged(result: Repair, needle: &str) {
        match result {
            Repair::Damaged { reason } => assert!(reason.contains(needle), "reason {reason:?}"),
            other => panic!("expected Damaged ({needle}), got {other:?}"),
        }
    }

    #[test]
    fn a_consistent_file_is_unchanged_byte_for_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = samples(4 * 100);
        let bytes = wav(2, 16, 36 + 400, 400, &data);
        let path = write_take(&dir, &bytes);

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Unchanged { format: format(2, 16), frames: 100 });
        assert_eq!(fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn a_consistent_read_only_file_is_classified_without_opening_it_for_writing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = wav(1, 16, 36 + 20, 20, &samples(20));
        let path = write_take(&dir, &bytes);
        let mut perms = fs::metadata(&path).expect("meta").permissions();
        perms.set_readonly(true);
        fs::set_permissions(&path, perms).expect("set read-only");

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Unchanged { format: format(1, 16), frames: 10 });
    }

    #[test]
    fn an_empty_recording_with_zero_sizes_and_no_samples_is_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = wav(1, 16, 36, 0, &[]);
        let path = write_take(&dir, &bytes);

        assert_eq!(repair_wav(&path).expect("repair"), Repair::Unchanged { format: format(1, 16), frames: 0 });
        assert_eq!(fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn zero_header_sizes_are_repaired_to_the_frames_on_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = samples(2 * 1000);
        let path = write_take(&dir, &wav(1, 16, 0, 0, &data));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(1, 16), frames: 1000, header_frames: 0 });
        let after = fs::read(&path).expect("read");
        assert_eq!(after.len(), HEADER_LEN + 2000);
        assert_eq!(u32_at(&after, 4), 36 + 2000);
        assert_eq!(u32_at(&after, 40), 2000);
        assert_eq!(&after[HEADER_LEN..], &data[..]);
    }

    #[test]
    fn a_header_never_patched_after_the_start_is_repaired() {
        // What the writer puts down before the first flush: RIFF size 36, data size 0.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_take(&dir, &wav(2, 16, 36, 0, &samples(4 * 50)));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(2, 16), frames: 50, header_frames: 0 });
        let after = fs::read(&path).expect("read");
        assert_eq!(u32_at(&after, 4), 36 + 200);
        assert_eq!(u32_at(&after, 40), 200);
    }

    #[test]
    fn a_stale_header_smaller_than_the_disk_is_grown() {
        // Samples written after the last header update (a SIGKILL between two flushes).
        let dir = tempfile::tempdir().expect("tempdir");
        let data = samples(2 * 300);
        let path = write_take(&dir, &wav(1, 16, 36 + 200, 200, &data));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(1, 16), frames: 300, header_frames: 100 });
        let after = fs::read(&path).expect("read");
        assert_eq!(u32_at(&after, 4), 36 + 600);
        assert_eq!(u32_at(&after, 40), 600);
        assert_eq!(&after[HEADER_LEN..], &data[..]);
    }

    #[test]
    fn a_header_larger_than_the_disk_is_clamped_down() {
        // Power loss: the header reached the disk, the last samples did not.
        let dir = tempfile::tempdir().expect("tempdir");
        let data = samples(4 * 10);
        let path = write_take(&dir, &wav(2, 16, 36 + 4000, 4000, &data));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(2, 16), frames: 10, header_frames: 1000 });
        let after = fs::read(&path).expect("read");
        assert_eq!(after.len(), HEADER_LEN + 40);
        assert_eq!(u32_at(&after, 4), 36 + 40);
        assert_eq!(u32_at(&after, 40), 40);
    }

    #[test]
    fn unknown_sizes_0xffffffff_are_repaired() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_take(&dir, &wav(1, 16, u32::MAX, u32::MAX, &samples(2 * 64)));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(1, 16), frames: 64, header_frames: u64::from(u32::MAX) / 2 });
        let after = fs::read(&path).expect("read");
        assert_eq!(u32_at(&after, 4), 36 + 128);
        assert_eq!(u32_at(&after, 40), 128);
    }

    #[test]
    fn a_trailing_partial_frame_is_truncated_to_whole_frames() {
        // Stereo 16-bit: 4 bytes a frame; 25 frames and 3 stray bytes.
        let dir = tempfile::tempdir().expect("tempdir");
        let data = samples(4 * 25 + 3);
        let path = write_take(&dir, &wav(2, 16, 36 + 40, 40, &data));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(2, 16), frames: 25, header_frames: 10 });
        let after = fs::read(&path).expect("read");
        assert_eq!(after.len(), HEADER_LEN + 100);
        assert_eq!(u32_at(&after, 4), 36 + 100);
        assert_eq!(u32_at(&after, 40), 100);
        assert_eq!(&after[HEADER_LEN..], &data[..100]);
    }

    #[test]
    fn a_partial_frame_after_a_correct_header_is_still_truncated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = samples(4 * 25 + 3);
        let path = write_take(&dir, &wav(2, 16, 36 + 100, 100, &data));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(2, 16), frames: 25, header_frames: 25 });
        assert_eq!(fs::metadata(&path).expect("meta").len(), (HEADER_LEN + 100) as u64);
    }

    #[test]
    fn a_stale_riff_size_alone_is_repaired() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_take(&dir, &wav(1, 16, 36, 20, &samples(20)));

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(1, 16), frames: 10, header_frames: 10 });
        assert_eq!(u32_at(&fs::read(&path).expect("read"), 4), 36 + 20);
    }

    #[test]
    fn a_repaired_file_is_unchanged_on_the_next_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_take(&dir, &wav(2, 16, 0, 0, &samples(4 * 30 + 1)));

        assert!(matches!(repair_wav(&path).expect("first"), Repair::Repaired { frames: 30, .. }));
        let once = fs::read(&path).expect("read");
        assert_eq!(repair_wav(&path).expect("second"), Repair::Unchanged { format: format(2, 16), frames: 30 });
        assert_eq!(fs::read(&path).expect("read"), once);
    }

    #[test]
    fn a_zero_length_file_is_damaged_and_stays_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_take(&dir, &[]);

        assert_damaged(repair_wav(&path).expect("repair"), "empty file (0 bytes)");
        assert_eq!(fs::metadata(&path).expect("meta").len(), 0);
    }

    #[test]
    fn garbage_bytes_are_damaged_and_left_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes: Vec<u8> = (0..500u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let path = write_take(&dir, &bytes);

        assert_damaged(repair_wav(&path).expect("repair"), "not a WAV file (no RIFF/WAVE header)");
        assert_eq!(fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn a_file_shorter_than_a_header_is_damaged_and_left_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        for cut in [1, 4, 11, 12, 30, 43] {
            let bytes = wav(1, 16, 36, 0, &[])[..cut].to_vec();
            let path = write_take(&dir, &bytes);
            assert_damaged(repair_wav(&path).expect("repair"), "too short");
            assert_eq!(fs::read(&path).expect("read"), bytes, "cut at {cut}");
        }
    }

    #[test]
    fn an_extra_chunk_before_data_is_skipped_and_the_right_sizes_are_patched() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Odd-sized LIST body: checks the pad byte is honoured while walking.
        let list: &[u8] = b"INFOISFT\x05\x00\x00\x00test\x00";
        let data = samples(2 * 40);
        let bytes = wav_with_chunks(1, 16, 0, 0, &[(b"LIST", list)], &data);
        let data_header = bytes.len() - data.len() - 8;
        let path = write_take(&dir, &bytes);

        let result = repair_wav(&path).expect("repair");
        assert_eq!(result, Repair::Repaired { format: format(1, 16), frames: 40, header_frames: 0 });
        let after = fs::read(&path).expect("read");
        assert_eq!(after.len(), bytes.len());
        assert_eq!(&after[data_header..data_header + 4], b"data");
        assert_eq!(u32_at(&after, data_header + 4), 80);
        assert_eq!(u32_at(&after, 4) as usize, bytes.len() - 8);
        // The LIST chunk itself is untouched.
        assert_eq!(&after[36..data_header], &bytes[36..data_header]);
    }

    #[test]
    fn a_consistent_chunk_after_data_is_left_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bytes = wav(1, 16, 0, 20, &samples(20));
        bytes.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
        let riff = (bytes.len() - 8) as u32;
        bytes[4..8].copy_from_slice(&riff.to_le_bytes());
        let path = write_take(&dir, &bytes);

        assert_eq!(repair_wav(&path).expect("repair"), Repair::Unchanged { format: format(1, 16), frames: 10 });
        assert_eq!(fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn an_odd_data_chunk_with_its_pad_byte_is_left_unchanged() {
        // 8-bit mono, 7 samples, then the pad byte the RIFF rules call for.
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bytes = wav(1, 8, 36 + 8, 7, &samples(7));
        bytes.push(0);
        let path = write_take(&dir, &bytes);

        assert_eq!(repair_wav(&path).expect("repair"), Repair::Unchanged { format: format(1, 8), frames: 7 });
        assert_eq!(fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn inspect_wav_never_modifies_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            wav(1, 16, 0, 0, &samples(100)),
            wav(2, 16, 36 + 4000, 4000, &samples(40)),
            wav(2, 16, u32::MAX, u32::MAX, &samples(4 * 9 + 3)),
            wav(1, 16, 36 + 20, 20, &samples(20)),
            b"RIFF\x00\x00\x00\x00WAVEjunk".to_vec(),
            Vec::new(),
        ];
        for bytes in cases {
            let path = write_take(&dir, &bytes);
            let inspected = inspect_wav(&path).expect("inspect");
            assert_eq!(inspect_wav(&path).expect("inspect again"), inspected);
            assert_eq!(fs::read(&path).expect("read"), bytes);
            // And it predicts what repair_wav does.
            assert_eq!(repair_wav(&path).expect("repair"), inspected);
        }
    }

    #[test]
    fn a_bad_fmt_chunk_is_damaged_with_a_specific_reason() {
        let dir = tempfile::tempdir().expect("tempdir");

        let mut short_fmt = wav(1, 16, 36, 0, &samples(10));
        short_fmt[16..20].copy_from_slice(&14u32.to_le_bytes());
        let path = write_take(&dir, &short_fmt);
        assert_damaged(repair_wav(&path).expect("repair"), "fmt chunk too short");
        assert_eq!(fs::read(&path).expect("read"), short_fmt);

        let mut zero_align = wav(1, 16, 36, 0, &samples(10));
        zero_align[32..34].copy_from_slice(&0u16.to_le_bytes());
        let path = write_take(&dir, &zero_align);
        assert_damaged(repair_wav(&path).expect("repair"), "block_align is 0");
        assert_eq!(fs::read(&path).expect("read"), zero_align);
    }

    #[test]
    fn missing_fmt_or_data_chunks_are_damaged() {
        let dir = tempfile::tempdir().expect("tempdir");

        let mut no_data = wav(1, 16, 36, 0, &[]);
        no_data[36..40].copy_from_slice(b"JUNK");
        no_data.extend_from_slice(&[0; 10]);
        let path = write_take(&dir, &no_data);
        assert_damaged(repair_wav(&path).expect("repair"), "no data chunk");
        assert_eq!(fs::read(&path).expect("read"), no_data);

        let mut no_fmt = wav(1, 16, 36, 0, &samples(10));
        no_fmt[12..16].copy_from_slice(b"JUNK");
        let path = write_take(&dir, &no_fmt);
        assert_damaged(repair_wav(&path).expect("repair"), "fmt chunk");
        assert_eq!(fs::read(&path).expect("read"), no_fmt);
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing.wav.partial");
        assert_eq!(repair_wav(&path).expect_err("missing").kind(), io::ErrorKind::NotFound);
        assert_eq!(inspect_wav(&path).expect_err("missing").kind(), io::ErrorKind::NotFound);
        assert!(!path.exists(), "nothing is created");
    }

    #[test]
    fn arbitrary_corruptions_never_panic_or_fail_with_io_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let broken = wav_with_chunks(2, 16, 0, 0, &[(b"LIST", b"INFO")], &samples(4 * 16 + 2));
        let consistent = wav(2, 16, 36 + 64, 64, &samples(64));
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..600 {
            let base = if round % 2 == 0 { &broken } else { &consistent };
            let mut bytes = base.clone();
            bytes.truncate(next() as usize % (base.len() + 1));
            for _ in 0..(next() % 6) {
                if bytes.is_empty() {
                    break;
                }
                let at = next() as usize % bytes.len();
                bytes[at] = next() as u8;
            }
            // Sometimes hit the size fields with extreme values.
            if round % 3 == 0 && bytes.len() >= 8 {
                let v = [0u32, 1, 0x7FFF_FFFF, u32::MAX][round % 4];
                bytes[4..8].copy_from_slice(&v.to_le_bytes());
            }
            let path = write_take(&dir, &bytes);
            let inspected = inspect_wav(&path).expect("inspect never fails on content");
            let repaired = repair_wav(&path).expect("repair never fails on content");
            assert_eq!(repaired, inspected, "round {round}");
            let after = fs::read(&path).expect("read");
            match repaired {
                Repair::Unchanged { .. } | Repair::Damaged { .. } => assert_eq!(after, bytes),
                Repair::Repaired { .. } => {
                    assert!(after.len() <= bytes.len(), "round {round}: never grows");
                    assert!(matches!(inspect_wav(&path).expect("inspect"), Repair::Unchanged { .. }));
                }
            }
        }
    }

    #[test]
    fn frames_and_duration_follow_the_format() {
        let f = format(2, 16);
        assert_eq!(f.frames_for_bytes(4 * 48_000 + 3), 48_000);
        assert_eq!(f.duration_ms(48_000), 1000);
        assert_eq!(f.duration_ms(24), 0);
        assert_eq!(f.duration_ms(u64::MAX), u64::MAX / 48);
        let broken = WavFormat { block_align: 0, sample_rate: 0, ..f };
        assert_eq!(broken.frames_for_bytes(100), 0);
        assert_eq!(broken.duration_ms(100), 0);
    }
}
