//! The library: the data folder, its database and the take files, kept consistent.
//! Both front ends go through it: plan a take (a generated file name), let the audio
//! crate record it, then commit it (the row is written only after the WAV is final).

use std::path::PathBuf;

use serde::Serialize;

use crate::deck::{builtin_decks, parse_deck};
use crate::error::{CoreError, Result};
use crate::model::{Question, QuestionId, Take, TakeId};
use crate::paths::DataDir;
use crate::storage::takes::NewTake;
use crate::storage::Storage;
use crate::time_fmt::now_rfc3339;

pub struct Library {
    dir: DataDir,
    db: Storage,
}

/// Where a new take will be written, decided before recording starts.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedTake {
    pub question_id: QuestionId,
    pub started_at: String,
    /// Relative to the data folder, e.g. `takes/0193...-....wav`. Never built from user text.
    pub relative_path: String,
    pub path: PathBuf,
    pub session_id: Option<i64>,
}

/// What the recorder reports about a finished take.
#[derive(Debug, Clone)]
pub struct RecordedTake {
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: u16,
    pub dropped_frames: u64,
    pub device: String,
    /// Why recording ended by itself (mic_lost, write_failed, disk_low, size_cap), if it did.
    pub stop_reason: Option<String>,
    /// For automatic starts: ms from the scheduled start to the first sample.
    pub start_delay_ms: Option<i64>,
    /// False when the recorder could not finalize the file (a full disk): it is left
    /// under its partial name and is indexed by repairing it.
    pub finalized: bool,
}

/// The small JSON file beside each take: enough to re-index the WAV without the database.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Sidecar {
    pub question_id: String,
    pub started_at: String,
    pub file: String,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub sample_rate: Option<u32>,
    #[serde(default)]
    pub session_id: Option<i64>,
}

impl Sidecar {
    pub(crate) fn path_for(wav: &std::path::Path) -> PathBuf {
        let mut p = wav.to_path_buf();
        // takes/x.wav and takes/x.wav.partial share takes/x.json
        while p.extension().is_some() {
            p.set_extension("");
        }
        p.with_extension("json")
    }

    /// Written to a temporary name and renamed, so a crash never leaves half a sidecar.
    pub(crate) fn write(&self, wav: &std::path::Path) -> Result<()> {
        let path = Self::path_for(wav);
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(self).unwrap_or_default();
        std::fs::write(&tmp, body).map_err(|e| CoreError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| CoreError::io("rename", &tmp, e))
    }
}

impl Library {
    /// Opens the data folder (creating it), the database, and loads the built-in decks.
    pub fn open(dir: DataDir) -> Result<Self> {
        dir.ensure()?;
        let db = Storage::open(&dir.db_path())?;
        let mut lib = Library { dir, db };
        lib.load_builtin_decks()?;
        lib.load_builtin_templates()?;
        Ok(lib)
    }

    pub(crate) fn load_builtin_decks(&mut self) -> Result<()> {
        for (file, text) in builtin_decks() {
            let deck = parse_deck(file, text)?;
            self.db.upsert_deck(&deck, true)?;
        }
        Ok(())
    }

    pub(crate) fn storage(&mut self) -> &mut Storage {
        &mut self.db
    }

    pub(crate) fn storage_ref(&self) -> &Storage {
        &self.db
    }

    /// Puts another database in place of the open one (an archive import closes the live
    /// file while it moves files) and returns the one it replaced.
    pub(crate) fn replace_storage(&mut self, db: Storage) -> Storage {
        std::mem::replace(&mut self.db, db)
    }

    /// Replaces a take's free-text notes.
    pub fn set_note(&mut self, id: TakeId, notes: &str) -> Result<Take> {
        self.db.set_note(id, notes)?;
        self.db.take(id)
    }

    /// Sets (or clears) a take's self-rating: 1 Again, 2 Hard, 3 Good, 4 Easy.
    pub fn rate_take(&mut self, id: TakeId, rating: Option<u8>) -> Result<Take> {
        if let Some(r) = rating {
            if !(1..=4).contains(&r) {
                return Err(CoreError::InvalidRating(r));
            }
        }
        self.db.set_rating(id, rating)?;
        let take = self.db.take(id)?;
        self.db.reschedule(&take.question_id)?;
        Ok(take)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.db.setting(key)
    }

    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        if key == crate::progress::INTERVIEW_DATE {
            return self.set_interview_date(value).map(drop);
        }
        if key == crate::rehearsal::CALL_ALLOW_PAUSE {
            if let Some(v) = value.filter(|v| !matches!(*v, "true" | "false")) {
                let expected = "it is true or false";
                return Err(crate::error::CoreError::InvalidSetting { key: crate::rehearsal::CALL_ALLOW_PAUSE, value: v.to_string(), expected });
            }
        }
        self.db.set_setting(key, value)
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    pub fn questions(&self) -> Result<Vec<Question>> {
        self.db.questions(None)
    }

    pub fn question(&self, id: &QuestionId) -> Result<Question> {
        self.db.question(id)?.ok_or_else(|| CoreError::UnknownQuestion(id.to_string()))
    }

    /// Chooses a fresh file for a take of `question` and writes its sidecar (the facts
    /// needed to re-index the WAV if the database is lost).
    pub fn plan_take(&self, question: &QuestionId) -> Result<PlannedTake> {
        self.plan_take_in(question, None)
    }

    /// Plans a take that belongs to a practice session.
    pub fn plan_take_in(&self, question: &QuestionId, session_id: Option<i64>) -> Result<PlannedTake> {
        self.question(question)?;
        let name = uuid::Uuid::now_v7().simple().to_string();
        let relative_path = format!("takes/{name}.wav");
        let path = self.dir.take_file(&relative_path);
        let started_at = now_rfc3339();
        Sidecar {
            question_id: question.to_string(),
            started_at: started_at.clone(),
            file: relative_path.clone(),
            device: None,
            sample_rate: None,
            session_id,
        }
        .write(&path)?;
        Ok(PlannedTake { question_id: question.clone(), started_at, relative_path, path, session_id })
    }

    /// Adds the device and format to a take's sidecar once the microphone is open.
    pub fn note_capture(&self, planned: &PlannedTake, device: &str, sample_rate: u32) -> Result<()> {
        Sidecar {
            question_id: planned.question_id.to_string(),
            started_at: planned.started_at.clone(),
            file: planned.relative_path.clone(),
            device: Some(device.to_string()),
            sample_rate: Some(sample_rate),
            session_id: planned.session_id,
        }
        .write(&planned.path)
    }

    /// Indexes a finished take. Call only after the WAV was finalized, synced and renamed.
    pub fn commit_take(&mut self, planned: &PlannedTake, rec: &RecordedTake) -> Result<Take> {
        self.db.insert_take(&NewTake {
            question_id: &planned.question_id,
            started_at: &planned.started_at,
            duration_ms: rec.frames * 1000 / rec.sample_rate.max(1) as u64,
            sample_rate: rec.sample_rate,
            channels: rec.channels,
            file_path: &planned.relative_path,
            dropped_frames: rec.dropped_frames,
            device: &rec.device,
            status: "ok",
            stop_reason: rec.stop_reason.as_deref(),
            session_id: planned.session_id,
            start_delay_ms: rec.start_delay_ms,
        })
    }

    /// Indexes what a recording left: the finished take, or, when the recorder could not
    /// finalize it, the partial file repaired to what reached the disk.
    pub fn save_take(&mut self, planned: &PlannedTake, rec: &RecordedTake) -> Result<Take> {
        if rec.finalized {
            self.commit_take(planned, rec)
        } else {
            self.recover_planned(planned, rec.stop_reason.as_deref().unwrap_or("write_failed"))
        }
    }

    /// Forgets a plan that recorded nothing (the microphone could not be opened).
    pub fn abandon_take(&self, planned: &PlannedTake) {
        let _ = std::fs::remove_file(Sidecar::path_for(&planned.path));
    }

    pub fn takes(&self, question: Option<&QuestionId>) -> Result<Vec<Take>> {
        if let Some(q) = question {
            self.question(q)?;
        }
        self.db.takes(question)
    }

    pub fn take(&self, id: TakeId) -> Result<Take> {
        self.db.take(id)
    }

    pub fn take_path(&self, take: &Take) -> PathBuf {
        self.dir.take_file(&take.file_path)
    }

    /// Deletes a take: its row first, then its WAV, sidecar and waveform peaks.
    pub fn delete_take(&mut self, id: TakeId) -> Result<()> {
        let take = self.db.delete_take(id)?;
        let path = self.take_path(&take);
        for p in [path.clone(), Sidecar::path_for(&path), path.with_extension("peaks")] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CoreError::io("delete", p, e)),
            }
        }
        Ok(())
    }
}

/// For tests across the crate.
#[cfg(test)]
impl Library {
    /// A library in a fresh temporary folder (kept as long as the TempDir lives).
    pub(crate) fn open_temp() -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = Library::open(DataDir::new(dir.path().join("data"))).expect("open");
        (dir, lib)
    }

    /// A take of `frames` at 48 kHz whose file is a placeholder.
    pub(crate) fn commit_test_take(&mut self, question: &str, session: Option<i64>, frames: u64) -> TakeId {
        let plan = self.plan_take_in(&QuestionId::from(question), session).expect("plan");
        std::fs::write(&plan.path, b"wav").expect("placeholder file");
        let rec = RecordedTake {
            frames,
            sample_rate: 48_000,
            channels: 1,
            dropped_frames: 0,
            device: "test".into(),
            stop_reason: None,
            start_delay_ms: Some(12),
            finalized: true,
        };
        self.commit_take(&plan, &rec).expect("commit").id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib() -> (tempfile::TempDir, Library) {
        Library::open_temp()
    }

    fn recorded(frames: u64) -> RecordedTake {
        RecordedTake { frames, sample_rate: 48_000, channels: 1, dropped_frames: 0, device: "test".into(), stop_reason: None, start_delay_ms: None, finalized: true }
    }

    #[test]
    fn opening_loads_the_builtin_decks_once_even_when_opened_twice() {
        let (dir, lib) = lib();
        let n = lib.questions().expect("list").len();
        assert!(n >= 9, "{n}");
        drop(lib);
        let again = Library::open(DataDir::new(dir.path().join("data"))).expect("reopen");
        assert_eq!(again.questions().expect("list").len(), n);
    }

    #[test]
    fn a_committed_take_is_listed_under_its_question_with_duration_from_samples() {
        let (_d, mut lib) = lib();
        let q = QuestionId::from("db.ora-01555");
        let plan = lib.plan_take(&q).expect("plan");
        assert!(plan.relative_path.starts_with("takes/") && plan.relative_path.ends_with(".wav"));
        std::fs::write(&plan.path, b"wav").expect("fake file");
        let take = lib.commit_take(&plan, &recorded(144_000)).expect("commit");
        assert_eq!(take.duration_ms, 3000);
        assert_eq!(take.rating, None);
        assert_eq!(lib.takes(Some(&q)).expect("list"), vec![take.clone()]);
        assert!(lib.takes(Some(&"db.deadlock".into())).expect("list").is_empty());
    }

    #[test]
    fn an_unfinalized_take_is_saved_by_repairing_its_partial_file() {
        let (_d, mut lib) = lib();
        let plan = lib.plan_take(&"db.deadlock".into()).expect("plan");
        // What a recorder leaves when the disk filled up: header sizes still 0.
        let mut wav = Vec::new();
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::new(std::io::Cursor::new(&mut wav), spec).expect("writer");
        (0..48_000).for_each(|i| w.write_sample((i % 100) as i16).expect("sample"));
        w.finalize().expect("finalize");
        wav[4..8].copy_from_slice(&0u32.to_le_bytes());
        wav[40..44].copy_from_slice(&0u32.to_le_bytes());
        let mut partial = plan.path.clone().into_os_string();
        partial.push(".partial");
        std::fs::write(&partial, &wav).expect("partial");
        // The recorder's unfinished waveform peaks cannot vouch for the repaired WAV.
        let peaks_partial = plan.path.with_extension("peaks.partial");
        std::fs::write(&peaks_partial, b"RHPK").expect("peaks partial");
        let rec = RecordedTake { stop_reason: Some("write_failed".into()), finalized: false, ..recorded(0) };
        let take = lib.save_take(&plan, &rec).expect("saved");
        assert_eq!((take.status.as_str(), take.duration_ms, take.stop_reason.as_deref()), ("recovered", 1000, Some("write_failed")));
        assert!(plan.path.exists() && !std::path::Path::new(&partial).exists());
        assert!(!peaks_partial.exists());
    }

    #[test]
    fn deleting_a_take_removes_its_row_and_files() {
        let (_d, mut lib) = lib();
        let plan = lib.plan_take(&"db.deadlock".into()).expect("plan");
        std::fs::write(&plan.path, b"wav").expect("fake file");
        std::fs::write(plan.path.with_extension("peaks"), b"peaks").expect("fake peaks");
        let take = lib.commit_take(&plan, &recorded(48_000)).expect("commit");
        lib.delete_take(take.id).expect("delete");
        assert!(!plan.path.exists());
        assert!(!plan.path.with_extension("json").exists());
        assert!(!plan.path.with_extension("peaks").exists());
        assert_eq!(lib.delete_take(take.id).err().map(|e| e.kind()), Some("unknown_take"));
    }

    #[test]
    fn an_unknown_question_is_an_error_naming_it_and_writes_nothing() {
        let (_dir, lib) = lib();
        let err = lib.plan_take(&"nope".into()).expect_err("error");
        assert_eq!(err.kind(), "unknown_question");
        assert!(err.to_string().contains("\"nope\""));
        assert_eq!(std::fs::read_dir(lib.data_dir().takes_dir()).expect("dir").count(), 0);
    }
}
