//! Speech metrics kept once computed (schema v7 `take_metrics`). Measuring a take reads its
//! whole WAV (about 30 ms a minute of audio); charts over hundreds of takes cannot do that
//! on every draw, so each take is measured once and its row kept. A row remembers the size
//! of the file it was measured from: a take repaired or rewritten since is measured again.

use crate::analysis::{wav_metrics, SpeechMetrics};
use crate::error::{CoreError, Result};
use crate::library::Library;
pub use crate::model::metrics::PointMetrics;
use crate::model::TakeId;

fn file_size(path: &std::path::Path) -> Result<u64> {
    std::fs::metadata(path).map(|m| m.len()).map_err(|e| CoreError::io("read", path, e))
}

impl Library {
    /// Speech metrics of a take: the kept row when it was measured from the file as it is
    /// now, otherwise measured from the WAV (streamed) and kept.
    pub fn take_metrics(&self, id: TakeId) -> Result<SpeechMetrics> {
        let take = self.storage_ref().take(id)?;
        let path = self.take_path(&take)?;
        let size = file_size(&path)?;
        if let Some(m) = self.storage_ref().kept_metrics(id, size)? {
            return Ok(m);
        }
        let m = wav_metrics(&path)?;
        self.storage_ref().keep_metrics(id, size, &m)?;
        Ok(m)
    }

    /// Takes not measured yet, newest first (damaged takes have no audio to measure).
    pub fn takes_without_metrics(&self, limit: u32) -> Result<Vec<TakeId>> {
        self.storage_ref().takes_without_metrics(limit)
    }

    /// Measures every take not measured yet, newest first; `progress(done, total)` after
    /// each. Takes whose file cannot be measured (missing, unreadable) are skipped and
    /// returned with why, and are asked for again next time.
    pub fn measure_pending(&self, mut progress: impl FnMut(u64, u64)) -> Result<Vec<(TakeId, String)>> {
        let mut failed: Vec<(TakeId, String)> = Vec::new();
        let total = self.pending_metrics()?;
        let mut done = 0u64;
        loop {
            let batch = self.takes_without_metrics(64 + failed.len() as u32)?;
            let todo: Vec<TakeId> = batch.into_iter().filter(|id| !failed.iter().any(|(f, _)| f == id)).collect();
            if todo.is_empty() {
                break;
            }
            for id in todo {
                if let Err(e) = self.take_metrics(id) {
                    failed.push((id, e.to_string()));
                }
                done += 1;
                progress(done, total.max(done));
            }
        }
        Ok(failed)
    }

    /// How many takes are not measured yet.
    pub fn pending_metrics(&self) -> Result<u64> {
        self.storage_ref().pending_metrics()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::speech_metrics;
    use crate::library::RecordedTake;
    use crate::paths::DataDir;

    /// A take of `parts` (tone or silence, ms) at 16 kHz, committed through the library.
    fn take_of(lib: &mut Library, parts: &[(bool, u64)]) -> (TakeId, Vec<i16>) {
        let q = lib.questions().expect("questions")[0].id.clone();
        let planned = lib.plan_take(&q).expect("plan");
        let mut samples = vec![];
        for &(tone, ms) in parts {
            for n in 0..ms * 16 {
                samples.push(if tone { ((n as f64 * 0.1).sin() * 9000.0) as i16 } else { 0 });
            }
        }
        write_wav(&planned.path, &samples);
        let rec = RecordedTake {
            frames: samples.len() as u64,
            sample_rate: 16_000,
            channels: 1,
            dropped_frames: 0,
            device: "test".into(),
            stop_reason: None,
            start_delay_ms: None,
            finalized: true,
        };
        (lib.save_take(&planned, &rec).expect("save").id, samples)
    }

    fn write_wav(path: &std::path::Path, samples: &[i16]) {
        let spec = hound::WavSpec { channels: 1, sample_rate: 16_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(path, spec).expect("wav");
        samples.iter().for_each(|&s| w.write_sample(s).expect("sample"));
        w.finalize().expect("finalize");
    }

    fn rows(lib: &Library) -> i64 {
        lib.storage_ref().conn_ref().query_row("SELECT count(*) FROM take_metrics", [], |r| r.get(0)).expect("count")
    }

    #[test]
    fn metrics_are_measured_once_kept_and_measured_again_when_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(DataDir::new(dir.path().to_path_buf())).expect("open");
        let (id, samples) = take_of(&mut lib, &[(false, 800), (true, 1500), (false, 2500), (true, 700)]);
        assert_eq!((rows(&lib), lib.pending_metrics().expect("pending")), (0, 1));
        let first = lib.take_metrics(id).expect("metrics");
        assert_eq!(first, speech_metrics(&samples, 1, 16_000));
        assert_eq!((rows(&lib), lib.pending_metrics().expect("pending")), (1, 0));
        // The kept row is what is read: poison it and the poisoned value comes back.
        lib.storage_ref().conn_ref().execute("UPDATE take_metrics SET speaking_ms = 1", []).expect("poison");
        assert_eq!(lib.take_metrics(id).expect("kept").speaking_ms, 1);
        // A rewritten file (another size) is measured again.
        let take = lib.take(id).expect("take");
        let longer: Vec<i16> = samples.iter().copied().chain(std::iter::repeat_n(0, 16_000)).collect();
        write_wav(&lib.take_path(&take).expect("path"), &longer);
        let again = lib.take_metrics(id).expect("again");
        assert_eq!(again, speech_metrics(&longer, 1, 16_000));
        assert_eq!(rows(&lib), 1);
    }

    #[test]
    fn pending_takes_are_measured_newest_first_and_a_missing_file_is_reported_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(DataDir::new(dir.path().to_path_buf())).expect("open");
        let (a, _) = take_of(&mut lib, &[(true, 500)]);
        let (b, _) = take_of(&mut lib, &[(false, 2100), (true, 400)]);
        let (c, _) = take_of(&mut lib, &[(false, 300), (true, 900)]);
        assert_eq!(lib.takes_without_metrics(10).expect("pending"), vec![c, b, a]);
        std::fs::remove_file(lib.take_path(&lib.take(b).expect("b")).expect("path")).expect("rm");
        let mut seen = vec![];
        let failed = lib.measure_pending(|done, total| seen.push((done, total))).expect("measure");
        assert_eq!(seen, vec![(1, 3), (2, 3), (3, 3)]);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].0, b);
        assert!(failed[0].1.contains(&lib.take(b).expect("b").file_path), "{}", failed[0].1);
        assert_eq!(lib.takes_without_metrics(10).expect("pending"), vec![b]);
        assert_eq!(lib.take_metrics(c).expect("c").time_to_first_word_ms.map(|v| v.abs_diff(300) <= 50), Some(true));
    }

    #[test]
    fn progress_points_carry_the_kept_metrics_and_none_before_the_take_is_measured() {
        let (_d, mut lib) = Library::open_temp();
        let (id, _) = take_of(&mut lib, &[(false, 1200), (true, 800), (false, 2600), (true, 500)]);
        let scope = crate::progress::ProgressScope::Question(lib.take(id).expect("take").question_id);
        assert_eq!(lib.progress(&scope).expect("progress")[0].metrics, None);
        lib.measure_pending(|_, _| {}).expect("measure");
        let m = lib.progress(&scope).expect("progress")[0].metrics.clone().expect("measured");
        assert!(m.time_to_first_word_ms.is_some_and(|v| v.abs_diff(1200) <= 50), "{m:?}");
        assert_eq!(m.long_pauses, 1, "{m:?}");
        assert!(m.longest_pause_ms.abs_diff(2600) <= 50, "{m:?}");
        assert!(m.speaking_ms.abs_diff(1300) <= 50, "{m:?}");
    }

    #[test]
    fn metrics_of_an_unknown_take_name_it_and_keep_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = Library::open(DataDir::new(dir.path().to_path_buf())).expect("open");
        let e = lib.take_metrics(TakeId(4242)).expect_err("unknown");
        assert!(e.to_string().contains("4242"), "{e}");
        assert_eq!(rows(&lib), 0);
    }
}
