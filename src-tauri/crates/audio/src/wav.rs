//! Durable WAV writing for takes: written under a partial name, header flushed about twice
//! a second, data synced about once a second, then finalized, synced and renamed. The
//! take's waveform peaks are written alongside (see [`crate::peaks`]): appended with each
//! write, flushed with the header, renamed with the take.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::AudioError;
use crate::peaks::PeaksWriter;

/// Stored takes are 16-bit PCM: the plain 44-byte header every player reads.
pub const TAKE_BITS_PER_SAMPLE: u16 = 16;
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const SYNC_EVERY: Duration = Duration::from_millis(1000);

/// `takes/abc.wav` is written as `takes/abc.wav.partial` until it is finalized.
pub fn partial_path_for(final_path: &Path) -> PathBuf {
    let mut s = final_path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

pub struct TakeWriter {
    writer: hound::WavWriter<BufWriter<File>>,
    file: File,
    partial: PathBuf,
    final_path: PathBuf,
    frames: u64,
    last_flush: Instant,
    last_sync: Instant,
    /// `None` once writing peaks failed: the take goes on, its peaks get built on first view.
    peaks: Option<PeaksWriter>,
}

impl TakeWriter {
    /// Creates `final_path.partial` with a valid (empty) header.
    pub fn create(final_path: &Path, sample_rate: u32, channels: u16) -> Result<Self, AudioError> {
        let partial = partial_path_for(final_path);
        let file = File::create_new(&partial).map_err(|e| AudioError::io("create", &partial, e))?;
        // Held while writing: crash recovery in another process skips a locked (live) file.
        file.try_lock().map_err(|e| AudioError::io("lock", &partial, std::io::Error::other(e.to_string())))?;
        let sync_handle = file.try_clone().map_err(|e| AudioError::io("open", &partial, e))?;
        let spec = hound::WavSpec { channels, sample_rate, bits_per_sample: TAKE_BITS_PER_SAMPLE, sample_format: hound::SampleFormat::Int };
        let mut writer = hound::WavWriter::new(BufWriter::new(file), spec).map_err(|e| AudioError::wav("write header of", &partial, e))?;
        // Put the header on disk now: a take killed in its first half second is then an
        // empty but valid WAV, not a zero-length file.
        writer.flush().map_err(|e| AudioError::wav("write header of", &partial, e))?;
        let peaks = PeaksWriter::create(final_path, sample_rate, channels).ok();
        let now = Instant::now();
        Ok(TakeWriter {
            writer,
            file: sync_handle,
            partial,
            final_path: final_path.to_path_buf(),
            frames: 0,
            last_flush: now,
            last_sync: now,
            peaks,
        })
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    /// Appends interleaved samples (whole frames) and keeps the file crash-safe on schedule.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), AudioError> {
        if !samples.is_empty() {
            let mut w = self.writer.get_i16_writer(samples.len() as u32);
            for &s in samples {
                w.write_sample(s);
            }
            w.flush().map_err(|e| AudioError::wav("write", &self.partial, e))?;
            self.frames += (samples.len() / self.writer.spec().channels as usize) as u64;
            if let Some(p) = &mut self.peaks {
                p.push(samples);
            }
        }
        self.maybe_flush()
    }

    /// Patches the header sizes (hound `flush`) and, less often, forces data to disk.
    pub fn maybe_flush(&mut self) -> Result<(), AudioError> {
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.force_flush()?;
        }
        Ok(())
    }

    /// Flushes now: the WAV header and the peaks so far; data synced if due.
    pub(crate) fn force_flush(&mut self) -> Result<(), AudioError> {
        self.writer.flush().map_err(|e| AudioError::wav("flush", &self.partial, e))?;
        self.last_flush = Instant::now();
        if let Some(p) = &mut self.peaks {
            if p.flush().is_err() {
                if let Some(p) = self.peaks.take() {
                    p.discard();
                }
            }
        }
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.file.sync_data().map_err(|e| AudioError::io("sync", &self.partial, e))?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Finalizes the header, syncs, renames to the final name and syncs the directory.
    /// Returns the final path and the number of frames.
    pub fn finish(self) -> Result<(PathBuf, u64), AudioError> {
        let TakeWriter { writer, file, partial, final_path, frames, peaks, .. } = self;
        let done = (|| {
            writer.finalize().map_err(|e| AudioError::wav("finalize", &partial, e))?;
            file.sync_all().map_err(|e| AudioError::io("sync", &partial, e))?;
            std::fs::rename(&partial, &final_path).map_err(|e| AudioError::io("rename", &partial, e))
        })();
        // The peaks follow the WAV: renamed with a finished take, dropped with one left for
        // recovery (which cannot vouch for them). Not synced: they can always be rebuilt.
        if let Some(p) = peaks {
            if done.is_ok() {
                if p.finish(frames).is_err() {
                    // The overview is built from the WAV on first view instead.
                    let _ = std::fs::remove_file(crate::wav::partial_path_for(&crate::peaks::peaks_path_for(&final_path)));
                }
            } else {
                p.discard();
            }
        }
        done?;
        if let Some(dir) = final_path.parent() {
            // Make the rename itself durable (a no-op error on platforms without dir fsync).
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok((final_path, frames))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_take_is_renamed_and_readable_with_its_exact_samples() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        let mut w = TakeWriter::create(&path, 16_000, 1).expect("create");
        assert!(partial_path_for(&path).exists());
        let samples: Vec<i16> = (0..16_000).map(|i| (i % 200) as i16 * 100).collect();
        w.write(&samples).expect("write");
        let (final_path, frames) = w.finish().expect("finish");
        assert_eq!(final_path, path);
        assert_eq!(frames, 16_000);
        assert!(!partial_path_for(&path).exists());
        let mut r = hound::WavReader::open(&path).expect("open");
        assert_eq!(r.spec().sample_rate, 16_000);
        assert_eq!(r.spec().bits_per_sample, 16);
        let back: Vec<i16> = r.samples::<i16>().collect::<Result<_, _>>().expect("samples");
        assert_eq!(back, samples);
    }

    #[test]
    fn a_partial_file_has_a_valid_header_after_each_flush() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        let mut w = TakeWriter::create(&path, 8_000, 1).expect("create");
        w.write(&[1000i16; 8_000]).expect("write");
        std::thread::sleep(FLUSH_EVERY + Duration::from_millis(20));
        w.write(&[]).expect("flush on schedule");
        // Read the partial file while the writer is still open, as a crash would leave it.
        let r = hound::WavReader::open(partial_path_for(&path)).expect("partial readable");
        assert_eq!(r.duration(), 8_000);
        drop(w);
    }
}
