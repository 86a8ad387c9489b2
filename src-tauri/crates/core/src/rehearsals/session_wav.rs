//! The session WAV: where its samples are while it is written and once finished, how it
//! is settled after a failed finish, trimmed to its end marker, and how its markers are
//! exported (a CD cue sheet, and `cue ` + `LIST`/`adtl` chunks inside the WAV).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::datadir::files::sync_parent as sync_dir;
use crate::datadir::layout::partial_of;
use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::markers::{MarkerKind, RehearsalSession};

/// Where the samples of a (possibly unfinished) WAV are: its layout and how many whole
/// frames are on disk right now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WavLayout {
    pub sample_rate: u32,
    pub channels: u16,
    pub block_align: u16,
    pub data_offset: u64,
    pub frames_on_disk: u64,
}

/// Reads the chunk list of a 16-bit PCM WAV. A partial file's header sizes are stale by
/// design: there, what is on disk after the `data` header counts. In a finished file the
/// `data` size counts (chunks such as `cue ` may follow the samples).
fn wav_layout(path: &Path) -> std::io::Result<WavLayout> {
    let mut f = std::fs::File::open(path)?;
    read_layout(&mut f, path)
}

pub(crate) fn read_layout(f: &mut std::fs::File, path: &Path) -> std::io::Result<WavLayout> {
    let live = path.extension().is_some_and(|e| e == "partial");
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {m}", path.display()));
    let len = f.metadata()?.len();
    let mut head = [0u8; 12];
    f.seek(SeekFrom::Start(0))?;
    f.read_exact(&mut head)?;
    if &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(bad("not a RIFF/WAVE file"));
    }
    let mut fmt: Option<(u16, u32, u16, u16)> = None;
    let mut pos = 12u64;
    for _ in 0..64 {
        let mut ch = [0u8; 8];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut ch)?;
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]) as u64;
        if &ch[0..4] == b"fmt " {
            let mut b = [0u8; 16];
            f.read_exact(&mut b)?;
            let tag = u16::from_le_bytes([b[0], b[1]]);
            let channels = u16::from_le_bytes([b[2], b[3]]);
            let rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            let align = u16::from_le_bytes([b[12], b[13]]);
            let bits = u16::from_le_bytes([b[14], b[15]]);
            if tag != 1 || bits != 16 || channels == 0 || align != 2 * channels || rate == 0 {
                return Err(bad("session recordings are 16-bit PCM"));
            }
            fmt = Some((tag, rate, channels, align));
        } else if &ch[0..4] == b"data" {
            let (_, sample_rate, channels, block_align) = fmt.ok_or_else(|| bad("data before fmt"))?;
            let data_offset = pos + 8;
            let on_disk = len.saturating_sub(data_offset);
            let bytes = if live || size == u32::MAX as u64 { on_disk } else { size.min(on_disk) };
            let frames_on_disk = bytes / block_align as u64;
            return Ok(WavLayout { sample_rate, channels, block_align, data_offset, frames_on_disk });
        }
        pos += 8 + size + (size & 1);
        if pos >= len {
            break;
        }
    }
    Err(bad("no data chunk"))
}

impl Library {
    /// A session WAV its recorder could not finalize (a full disk, a write error): its
    /// partial file is repaired to what reached the disk and given its final name.
    /// Returns the frames it holds.
    pub fn settle_rehearsal_wav(&self, s: &RehearsalSession) -> Result<u64> {
        let path = self.data_dir().stored_file(&s.wav_path)?;
        let partial = partial_of(&path);
        let source = if partial.exists() { partial } else { path.clone() };
        let frames = match crate::wav_repair::repair_wav(&source).map_err(|e| CoreError::io("repair", &source, e))? {
            crate::wav_repair::Repair::Unchanged { frames, .. } | crate::wav_repair::Repair::Repaired { frames, .. } => frames,
            crate::wav_repair::Repair::Damaged { reason } => return Err(CoreError::Unrecoverable { file: s.wav_path.clone(), reason }),
        };
        if source != path {
            std::fs::rename(&source, &path).map_err(|e| CoreError::io("rename", &source, e))?;
            sync_dir(&path);
        }
        Ok(frames)
    }

    /// Cuts the finished session WAV back to `frames` (the session's end marker): what the
    /// microphone delivered while the recorder was being stopped is after the session.
    /// Never lengthens; returns the frames the file now holds.
    pub fn trim_rehearsal_wav(&self, s: &RehearsalSession, frames: u64) -> Result<u64> {
        use std::io::Write;
        let path = self.data_dir().stored_file(&s.wav_path)?;
        let layout = wav_layout(&path).map_err(|e| CoreError::io("read", &path, e))?;
        if layout.frames_on_disk <= frames {
            return Ok(layout.frames_on_disk);
        }
        let data_len = frames * layout.block_align as u64;
        let io = |e| CoreError::io("trim", &path, e);
        let mut f = std::fs::OpenOptions::new().read(true).write(true).open(&path).map_err(io)?;
        f.set_len(layout.data_offset + data_len).map_err(io)?;
        f.seek(SeekFrom::Start(layout.data_offset - 4)).map_err(io)?;
        f.write_all(&(data_len as u32).to_le_bytes()).map_err(io)?;
        f.seek(SeekFrom::Start(4)).map_err(io)?;
        f.write_all(&((layout.data_offset + data_len - 8) as u32).to_le_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(frames)
    }

    /// Appends the session's markers to its finished WAV as a `cue ` chunk (one cue point
    /// per marker, at its sample offset) and a `LIST`/`adtl` chunk with a `labl` per point
    /// ("question_start: text"), so that audio editors show them. Done once: a file that
    /// already has cue points is left as it is. Returns how many points were written.
    pub fn write_wav_cues(&self, s: &RehearsalSession) -> Result<usize> {
        use std::io::Write;
        let path = self.data_dir().stored_file(&s.wav_path)?;
        let io = |e| CoreError::io("add cue points to", &path, e);
        let layout = wav_layout(&path).map_err(io)?;
        let data_end = layout.data_offset + layout.frames_on_disk * layout.block_align as u64;
        let mut f = std::fs::OpenOptions::new().read(true).write(true).open(&path).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        if len > data_end + (data_end & 1) {
            return Ok(0); // chunks already follow the samples
        }
        let markers = self.markers(s.id)?;
        let mut cue = Vec::with_capacity(12 + 24 * markers.len());
        cue.extend_from_slice(b"cue ");
        cue.extend_from_slice(&((4 + 24 * markers.len()) as u32).to_le_bytes());
        cue.extend_from_slice(&(markers.len() as u32).to_le_bytes());
        let mut adtl = b"adtl".to_vec();
        for (i, m) in markers.iter().enumerate() {
            let id = i as u32 + 1;
            let offset = m.sample_offset.min(u32::MAX as u64) as u32;
            for v in [id, offset] {
                cue.extend_from_slice(&v.to_le_bytes());
            }
            cue.extend_from_slice(b"data");
            for v in [0u32, 0, offset] {
                cue.extend_from_slice(&v.to_le_bytes());
            }
            let label: String = if m.label.is_empty() { m.kind.as_str().to_string() } else { format!("{}: {}", m.kind.as_str(), m.label) };
            // At most 1000 bytes, cut at a character boundary, NUL-terminated.
            let cut = label.char_indices().map(|(i, c)| i + c.len_utf8()).take_while(|&e| e <= 1000).last().unwrap_or(0);
            let text: Vec<u8> = label[..cut].bytes().chain(std::iter::once(0)).collect();
            adtl.extend_from_slice(b"labl");
            adtl.extend_from_slice(&((4 + text.len()) as u32).to_le_bytes());
            adtl.extend_from_slice(&id.to_le_bytes());
            adtl.extend_from_slice(&text);
            if text.len() % 2 == 1 {
                adtl.push(0);
            }
        }
        let mut tail = vec![0u8; (data_end & 1) as usize]; // the data chunk's pad byte
        tail.extend_from_slice(&cue);
        tail.extend_from_slice(b"LIST");
        tail.extend_from_slice(&(adtl.len() as u32).to_le_bytes());
        tail.extend_from_slice(&adtl);
        f.set_len(data_end).map_err(io)?;
        f.seek(SeekFrom::Start(data_end)).map_err(io)?;
        f.write_all(&tail).map_err(io)?;
        let riff = data_end + tail.len() as u64 - 8;
        f.seek(SeekFrom::Start(4)).map_err(io)?;
        f.write_all(&(riff.min(u32::MAX as u64) as u32).to_le_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(markers.len())
    }

    /// The session's markers as a CD cue sheet (INDEX mm:ss:ff, 75 frames a second): one
    /// track per question and probe, segments as REM lines.
    pub fn cue_sheet(&self, id: i64) -> Result<String> {
        self.cue_sheet_naming(id, None)
    }

    /// The cue sheet with its FILE line naming `file` (a copy of the WAV under another
    /// name, as in a session export) instead of the session's own file.
    pub fn cue_sheet_naming(&self, id: i64, file: Option<&str>) -> Result<String> {
        let s = self.rehearsal(id)?;
        let markers = self.markers(id)?;
        let rate = s.sample_rate.max(1) as u64;
        let file = match file {
            Some(f) => f.to_string(),
            None => Path::new(&s.wav_path).file_name().and_then(|n| n.to_str()).unwrap_or("session.wav").to_string(),
        };
        let quote = |t: &str| t.replace('"', "'").replace(['\n', '\r'], " ");
        let at = |offset: u64| {
            let cd = offset * 75 / rate;
            format!("{:02}:{:02}:{:02}", cd / 75 / 60, cd / 75 % 60, cd % 75)
        };
        let mut out = format!(
            "REM GENERATOR \"Rehearse\"\nREM SESSION {id}\nREM TEMPLATE \"{}\"\nTITLE \"Rehearsal {id} ({})\"\nFILE \"{}\" WAVE\n",
            quote(&s.template_id),
            quote(&s.started_at),
            quote(&file)
        );
        let mut segment = String::new();
        let mut track = 0;
        for m in &markers {
            match m.kind {
                MarkerKind::SegmentStart => segment = m.label.clone(),
                MarkerKind::QuestionStart | MarkerKind::ProbeStart => {
                    track += 1;
                    if track > 99 {
                        break; // the cue format has at most 99 tracks
                    }
                    let what = if m.kind == MarkerKind::ProbeStart { "Probe" } else { "Question" };
                    out += &format!("  TRACK {track:02} AUDIO\n    TITLE \"{}: {}\"\n", quote(&segment), quote(&m.label));
                    out += &format!("    REM {} {}\n", what.to_uppercase(), quote(m.question_id.as_deref().unwrap_or("")));
                    out += &format!("    INDEX 01 {}\n", at(m.sample_offset));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    pub fn write_cue_sheet(&self, id: i64, path: &Path) -> Result<()> {
        let text = self.cue_sheet(id)?;
        let tmp = path.with_extension("cue.tmp");
        std::fs::write(&tmp, text).map_err(|e| CoreError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| CoreError::io("rename", &tmp, e))
    }
}
