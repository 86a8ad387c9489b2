//! The library: the data folder, its database and the take files, kept consistent.
//! Both front ends go through it: plan a take (a generated file name), let the audio
//! crate record it, then commit it (the row is written only after the WAV is final).
//!
//! Over 500 lines for its tests: the take lifecycle (plan, note, commit or save, abandon, delete)
//! is one piece of about 450 lines.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::data_lock::FolderLock;
use crate::datadir::layout;
use crate::deck::{builtin_decks, parse_deck};
use crate::error::{CoreError, Result};
use crate::model::{Question, QuestionId, Take, TakeId};
use crate::paths::DataDir;
use crate::settings::Setting;
use crate::storage::takes::NewTake;
use crate::storage::{Access, Storage};
use crate::template::{builtin_templates, parse_template};
use crate::time_fmt::now_rfc3339;

/// A take stopped by the user shorter than this is not kept (see [`Library::save_take`]):
/// no answer is said in under half a second, and quick key presses make such takes.
pub const MIN_TAKE_MS: u64 = 500;

pub struct Library {
    dir: DataDir,
    db: Storage,
    /// What opening removed of killed imports' and exports' leftovers.
    leftovers: crate::leftovers::Leftovers,
    /// The folder lock of the rehearsal this library records, while it runs (session id).
    rehearsal_hold: Option<(i64, FolderLock)>,
}

/// Where a new take will be written, decided before recording starts.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct PlannedTake {
    pub question_id: QuestionId,
    pub started_at: String,
    /// Relative to the data folder, e.g. `takes/0193...-....wav`. Never built from user text.
    pub relative_path: String,
    pub path: PathBuf,
    pub session_id: Option<i64>,
    /// The sidecar, held locked while the plan lives: recovery in another process then
    /// knows it belongs to a recording that is starting, not to one killed before its first
    /// sample (whose orphan sidecar it removes).
    #[serde(skip)]
    #[allow(dead_code)] // held for its lock, never read
    pub(crate) claim: Option<std::sync::Arc<std::fs::File>>,
    /// The data folder's lock, shared with other recordings, held for as long as the plan
    /// (or a clone) lives: no import or export of everything can begin meanwhile.
    #[serde(skip)]
    _hold: Arc<FolderLock>,
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
    /// Why the recording ended by itself (disk full, terminated), noted when the take could
    /// not be indexed at once: recovery then labels it so, not as a crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

impl Sidecar {
    pub(crate) fn path_for(wav: &std::path::Path) -> PathBuf {
        crate::datadir::layout::sidecar_of(wav)
    }

    /// Written to a temporary name and renamed, so a crash never leaves half a sidecar.
    pub(crate) fn write(&self, wav: &std::path::Path) -> Result<()> {
        self.write_claimed(wav).map(drop)
    }

    /// As [`write`](Self::write), locked before it gets its name: returns the open, locked file.
    pub(crate) fn write_claimed(&self, wav: &std::path::Path) -> Result<std::fs::File> {
        use std::io::Write;
        let path = Self::path_for(wav);
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(self).unwrap_or_default();
        let mut f = std::fs::File::create(&tmp).map_err(|e| CoreError::io("write", &tmp, e))?;
        let _ = f.try_lock();
        f.write_all(&body).map_err(|e| CoreError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| CoreError::io("rename", &tmp, e))?;
        Ok(f)
    }

    /// Writes in place over the old sidecar, for when a full disk refuses a new file: a
    /// sidecar is far smaller than the block it already has. JSON ignores trailing spaces.
    pub(crate) fn overwrite(&self, wav: &std::path::Path) -> Result<()> {
        use std::io::{Seek, Write};
        let path = Self::path_for(wav);
        let mut body = serde_json::to_vec_pretty(self).unwrap_or_default();
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).map_err(|e| CoreError::io("open", &path, e))?;
        let old = f.metadata().map(|m| m.len()).unwrap_or(0) as usize;
        body.resize(body.len().max(old), b' ');
        f.seek(std::io::SeekFrom::Start(0))
            .and_then(|_| f.write_all(&body))
            .and_then(|_| f.sync_data())
            .map_err(|e| CoreError::io("write", &path, e))
    }
}

impl Library {
    /// Opens the data folder (creating it), the database, and loads the built-in decks.
    /// A folder or database that cannot be written, or a full disk, is opened for reading
    /// only (`read_only` says why; writes are refused naming it). Nothing is written when
    /// nothing changed: the built-in decks and templates are compared with what is stored.
    pub fn open(dir: DataDir) -> Result<Self> {
        let read_only = dir.ensure()?;
        // Before the database opens: an import killed mid-swap may have left it aside
        // (nothing can be cleaned in a folder that cannot be written).
        let leftovers = if read_only.is_none() { crate::leftovers::clean(dir.root(), &dir.db_path()) } else { Default::default() };
        let db = match read_only {
            None => Storage::open(&dir.db_path())?,
            Some((path, reason)) => Storage::open_read_only(&dir.db_path(), Access::ReadOnly { path, reason })?,
        };
        let mut lib = Library { dir, db, leftovers, rehearsal_hold: None };
        if lib.read_only().is_none() {
            lib.load_builtin_decks()?;
            lib.load_builtin_templates()?;
        }
        Ok(lib)
    }

    /// Why the library can only be read (a read-only folder or file, a full disk): the
    /// error a change would get. None when it can be written.
    pub fn read_only(&self) -> Option<CoreError> {
        self.db.access().refusal()
    }

    pub(crate) fn load_builtin_decks(&mut self) -> Result<()> {
        let stored = self.db.decks()?;
        for (file, text) in builtin_decks() {
            let deck = parse_deck(file, text)?;
            let id = crate::model::DeckId(deck.deck.id.clone());
            let builtin = stored.iter().any(|d| d.id == id && d.builtin);
            if builtin && self.db.deck_file(&id)?.as_ref() == Some(&deck) {
                continue; // unchanged: a start writes nothing
            }
            self.db.upsert_deck(&deck, true)?;
        }
        Ok(())
    }

    /// The built-in rehearsal templates, stored when they are not yet or have changed.
    pub(crate) fn load_builtin_templates(&mut self) -> Result<()> {
        for (file, text) in builtin_templates() {
            let t = parse_template(file, text)?;
            if !self.db.template_is_stored(&t, true)? {
                self.db.upsert_template(&t, true)?;
            }
        }
        Ok(())
    }

    pub(crate) fn storage(&mut self) -> &mut Storage {
        &mut self.db
    }

    pub(crate) fn storage_ref(&self) -> &Storage {
        &self.db
    }

    /// Keeps (Some) or releases (None) the data folder's lock for rehearsal `id`.
    pub(crate) fn hold_for_rehearsal(&mut self, id: i64, hold: Option<FolderLock>) {
        match hold {
            Some(h) => self.rehearsal_hold = Some((id, h)),
            None if self.rehearsal_hold.as_ref().is_some_and(|(held, _)| *held == id) => self.rehearsal_hold = None,
            None => {}
        }
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

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.db.setting(key)
    }

    /// A known setting's stored value (None: unset).
    pub fn get(&self, setting: Setting) -> Result<Option<String>> {
        self.db.setting(setting.key())
    }

    /// A switch's value, its default while unset; a value that is not "true" reads as off.
    pub fn is_on(&self, setting: Setting) -> Result<bool> {
        let default = setting.switch_default().unwrap_or(false);
        Ok(self.get(setting)?.map_or(default, |v| v == "true"))
    }

    /// Stores a known setting, checked as [`Library::set_setting`] does.
    pub fn set(&mut self, setting: Setting, value: Option<&str>) -> Result<()> {
        self.set_setting(setting.key(), value)
    }

    /// Stores a setting (None removes it). A known key's value is checked first
    /// ([`Setting::check`]); a malformed one is refused naming it, and nothing changes.
    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        match Setting::from_key(key) {
            // The date's range (not passed, not absurdly far ahead) depends on today: one rule
            // for the window's setting and the CLI's `interview-date`.
            Some(Setting::InterviewDate) => self.set_interview_date(value).map(|_| ()),
            Some(setting) => {
                let value = setting.check(value)?;
                self.db.set_setting(key, value.as_deref())
            }
            None => self.db.set_setting(key, value),
        }
    }

    /// What opening removed of the staging folders and temporary files that killed
    /// imports and exports left (empty when there were none).
    pub fn leftovers(&self) -> &crate::leftovers::Leftovers {
        &self.leftovers
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
    /// Refused while an import or export of everything runs in the data folder.
    pub fn plan_take_in(&self, question: &QuestionId, session_id: Option<i64>) -> Result<PlannedTake> {
        self.question(question)?;
        let hold = Arc::new(self.dir.lock_for_recording()?);
        let name = uuid::Uuid::now_v7().simple().to_string();
        let relative_path = layout::take_file(&name);
        let path = self.dir.stored_file(&relative_path)?;
        let started_at = now_rfc3339();
        let claim = Sidecar {
            question_id: question.to_string(),
            started_at: started_at.clone(),
            file: relative_path.clone(),
            device: None,
            sample_rate: None,
            session_id,
            stop_reason: None,
        }
        .write_claimed(&path)?;
        let claim = Some(std::sync::Arc::new(claim));
        Ok(PlannedTake { question_id: question.clone(), started_at, relative_path, path, session_id, claim, _hold: hold })
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
            stop_reason: None,
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
    ///
    /// Every take of the window (free recording, practice) and of the CLI comes through
    /// here, so the rule for what is not a take lives here: a take with no samples is never
    /// kept, and one stopped by the user (or its time limit) before [`MIN_TAKE_MS`] is junk
    /// from a quick key press. Both are discarded with their files and no row, and the
    /// error says so ([`CoreError::TooShort`]). A take that ended by itself (microphone
    /// lost, disk full) keeps whatever audio it has.
    pub fn save_take(&mut self, planned: &PlannedTake, rec: &RecordedTake) -> Result<Take> {
        let ms = rec.frames * 1000 / rec.sample_rate.max(1) as u64;
        // (An unfinalized file is judged by what reached the disk, in recover_planned.)
        if rec.finalized && (rec.frames == 0 || (rec.stop_reason.is_none() && ms < MIN_TAKE_MS)) {
            self.abandon_take(planned);
            return Err(CoreError::TooShort { ms, min_ms: MIN_TAKE_MS });
        }
        let saved = if rec.finalized {
            self.commit_take(planned, rec)
        } else {
            self.recover_planned(planned, rec.stop_reason.as_deref().unwrap_or("write_failed"))
        };
        if let (Err(_), Some(reason)) = (&saved, &rec.stop_reason) {
            // Not indexed (a full disk refuses the database too): the file is recovered at a
            // later start, and is to be labelled with why it stopped, not as a crash.
            self.note_stop_reason(planned, rec, reason);
        }
        saved
    }

    fn note_stop_reason(&self, planned: &PlannedTake, rec: &RecordedTake, reason: &str) {
        let sidecar = Sidecar {
            question_id: planned.question_id.to_string(),
            started_at: planned.started_at.clone(),
            file: planned.relative_path.clone(),
            device: Some(rec.device.clone()),
            sample_rate: Some(rec.sample_rate),
            session_id: planned.session_id,
            stop_reason: Some(reason.to_string()),
        };
        if sidecar.write(&planned.path).is_err() {
            let _ = std::fs::remove_file(Sidecar::path_for(&planned.path).with_extension("json.tmp"));
            let _ = sidecar.overwrite(&planned.path);
        }
    }

    /// Forgets a plan that recorded nothing (the microphone could not be opened, the take
    /// ended before it began, or it is too short to keep): its sidecar, WAV (finished or
    /// partial) and waveform peaks go. No row refers to them.
    pub fn abandon_take(&self, planned: &PlannedTake) {
        for f in layout::take_files(&planned.path) {
            let _ = std::fs::remove_file(f);
        }
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

    /// Where a take's WAV is, once its stored path is found inside `takes/` or `sessions/`
    /// (see `paths::check_stored_path`); every file operation on a take starts here.
    pub fn take_path(&self, take: &Take) -> Result<PathBuf> {
        self.dir.stored_file(&take.file_path)
    }

    /// Deletes a take: its row first, then its WAV, sidecar and waveform peaks.
    /// On a full disk, where SQLite has no room even for the delete (its -shm file, a few
    /// pages of WAL), the take's files go first, freeing what they held, then its row.
    pub fn delete_take(&mut self, id: TakeId) -> Result<()> {
        // The path is checked before the row goes: a take whose stored path points outside
        // the data folder is refused whole, its row and every file left as they are.
        self.take_path(&self.db.take(id)?)?;
        let take = match self.db.delete_take(id) {
            Err(e) if self.no_room(&e) => self.delete_take_on_full_disk(id)?,
            other => other?,
        };
        self.remove_take_files(&take)
    }

    fn no_room(&self, e: &CoreError) -> bool {
        match e {
            CoreError::DiskFull { .. } => true,
            CoreError::Sql(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) || crate::storage::disk_is_full(&self.dir.db_path())
            }
            _ => false,
        }
    }

    fn delete_take_on_full_disk(&mut self, id: TakeId) -> Result<Take> {
        let take = self.db.take(id)?;
        self.remove_take_files(&take)?;
        if self.db.access() != &Access::ReadWrite {
            // Opened for reading because the disk was full: there may be room now.
            if let Ok(db) = Storage::open(&self.dir.db_path()) {
                self.db = db;
            }
        }
        self.db.delete_take(id).map_err(|e| CoreError::DeleteIncomplete { take: id.0, reason: e.to_string() })
    }

    fn remove_take_files(&self, take: &Take) -> Result<()> {
        let path = self.take_path(take)?;
        for p in [path.clone(), layout::sidecar_of(&path), layout::peaks_of(&path)] {
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

    #[test]
    fn a_switch_reads_its_default_until_set_and_refuses_anything_but_true_or_false() {
        let (_tmp, mut lib) = Library::open_temp();
        assert!(lib.is_on(Setting::StoryCueCard).expect("read"), "the think-time cue card is on by default");
        assert!(!lib.is_on(Setting::StoryCueCardCall).expect("read"), "the call's cue card is off by default");
        lib.set(Setting::StoryCueCardCall, Some("true")).expect("on");
        lib.set(Setting::StoryCueCard, Some("false")).expect("off");
        assert!(lib.is_on(Setting::StoryCueCardCall).expect("read"));
        assert!(!lib.is_on(Setting::StoryCueCard).expect("read"));
        let e = lib.set(Setting::StoryCueCardCall, Some("yes")).expect_err("not a switch value");
        assert_eq!(e.kind(), "invalid_setting");
        assert!(lib.is_on(Setting::StoryCueCardCall).expect("read"), "a refused value changes nothing");
        lib.set(Setting::StoryCueCardCall, None).expect("unset");
        assert!(!lib.is_on(Setting::StoryCueCardCall).expect("read"), "unset reads the default again");
    }

    fn lib() -> (tempfile::TempDir, Library) {
        Library::open_temp()
    }

    fn recorded(frames: u64) -> RecordedTake {
        RecordedTake {
            frames,
            sample_rate: 48_000,
            channels: 1,
            dropped_frames: 0,
            device: "test".into(),
            stop_reason: None,
            start_delay_ms: None,
            finalized: true,
        }
    }

    #[test]
    fn a_take_stopped_before_half_a_second_or_with_no_samples_is_not_kept() {
        let (_d, mut lib) = lib();
        for (frames, reason) in [(0, None), (0, Some("mic_lost")), (23_999, None)] {
            let plan = lib.plan_take(&QuestionId::from("db.deadlock")).expect("plan");
            std::fs::write(&plan.path, b"wav").expect("file");
            let rec = RecordedTake { stop_reason: reason.map(str::to_string), ..recorded(frames) };
            let err = lib.save_take(&plan, &rec).expect_err("not kept");
            assert_eq!(err.kind(), "too_short", "{err}");
            assert!(err.to_string().starts_with("too short, not kept"), "{err}");
            assert!(!plan.path.exists() && !Sidecar::path_for(&plan.path).exists(), "its files go");
        }
        assert!(lib.takes(None).expect("takes").is_empty());
        // Half a second is kept; so is a shorter take that ended by itself, with its audio.
        for (frames, reason) in [(24_000, None), (1_440, Some("mic_lost"))] {
            let plan = lib.plan_take(&QuestionId::from("db.deadlock")).expect("plan");
            std::fs::write(&plan.path, b"wav").expect("file");
            let rec = RecordedTake { stop_reason: reason.map(str::to_string), ..recorded(frames) };
            lib.save_take(&plan, &rec).expect("kept");
        }
        assert_eq!(lib.takes(None).expect("takes").len(), 2);
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
