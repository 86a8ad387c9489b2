//! Crash recovery: takes left behind by a crash, a kill or a full disk are repaired and
//! indexed. Nothing is deleted: a file that cannot be used is renamed `*.damaged` and
//! reported, so it is looked at once and kept.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::library::{Library, PlannedTake, Sidecar};
use crate::model::{QuestionId, Take};
use crate::storage::takes::NewTake;
use crate::wav_repair::{inspect_wav, repair_wav, Repair};

/// What a recovery pass did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Default, Clone, Serialize)]
pub struct RecoveryReport {
    /// Takes that were indexed again (status "recovered").
    pub recovered: Vec<Take>,
    /// Files that could not be used, with the reason; renamed to `*.damaged`, not deleted.
    pub damaged: Vec<DamagedFile>,
    /// Partial files still being written by a running recorder (left alone).
    pub in_use: usize,
    /// Rehearsal sessions left running by a crash or a kill, kept with their markers.
    pub sessions: Vec<RecoveredSession>,
    /// Recordings that ended before their first sample (killed while the microphone
    /// opened): a WAV with no samples or a sidecar with no WAV. Not takes: removed.
    #[serde(default)]
    pub empty: Vec<String>,
}

/// A rehearsal session whose recorder died: its WAV repaired, its open questions, probes
/// and segments closed at the end of what reached the disk, its takes cut.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RecoveredSession {
    pub session_id: i64,
    /// "recovered", or "failed" when no audio reached the disk.
    pub status: String,
    pub seconds: f64,
    /// Markers set before the kill.
    pub markers: usize,
    /// Takes cut now (those cut before the kill are kept as they are).
    pub takes: usize,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct DamagedFile {
    pub file: String,
    pub reason: String,
}

impl RecoveryReport {
    pub fn is_empty(&self) -> bool {
        self.recovered.is_empty() && self.damaged.is_empty() && self.sessions.is_empty() && self.empty.is_empty()
    }

    /// One line for a person, e.g. "recovered 2 takes (4.1 s); 1 damaged file kept as takes/x.wav.damaged".
    pub fn summary(&self) -> String {
        let secs: f64 = self.recovered.iter().map(|t| t.duration_ms as f64 / 1000.0).sum();
        let mut parts = vec![];
        for s in &self.sessions {
            parts.push(format!(
                "rehearsal session {} {} ({:.1} s of audio, {} markers, {} takes cut)",
                s.session_id, s.status, s.seconds, s.markers, s.takes
            ));
        }
        if !self.recovered.is_empty() {
            parts.push(format!("recovered {} take(s) ({secs:.1} s of audio)", self.recovered.len()));
        }
        for d in &self.damaged {
            parts.push(format!("damaged file kept as {}: {}", d.file, d.reason));
        }
        if !self.empty.is_empty() {
            parts.push(format!(
                "removed {} recording(s) stopped before their first sample (no audio): {}",
                self.empty.len(),
                self.empty.join(", ")
            ));
        }
        if parts.is_empty() {
            "nothing to recover".into()
        } else {
            parts.join("; ")
        }
    }
}

enum Kind {
    Partial,
    Finished,
}

impl Library {
    /// Repairs and indexes every take file that the database does not know, and every
    /// partial file that no running recorder holds. One process at a time: another one
    /// recovering is waited for (and what it recovered is then not found again); while an
    /// import or export of everything runs, nothing is done (the next start recovers).
    pub fn recover(&mut self) -> Result<RecoveryReport> {
        if self.read_only().is_some() {
            return Ok(RecoveryReport::default()); // nothing can be repaired; the next writable start does it
        }
        let Some(_alone) = self.data_dir().lock_for_recovery()? else { return Ok(RecoveryReport::default()) };
        let dir = self.data_dir().takes_dir();
        let mut report = RecoveryReport { sessions: self.recover_sessions()?, ..Default::default() };
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(&dir).map_err(|e| CoreError::io("list", &dir, e))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let kind = if name.ends_with(".wav.partial") {
                Kind::Partial
            } else if name.ends_with(".wav") {
                Kind::Finished
            } else {
                continue;
            };
            if let Kind::Partial = kind {
                if in_use(&path) {
                    report.in_use += 1;
                    continue;
                }
            }
            let final_path = match kind {
                Kind::Partial => path.with_extension(""), // x.wav.partial -> x.wav
                Kind::Finished => path.clone(),
            };
            let relative = format!("takes/{}", final_path.file_name().and_then(|n| n.to_str()).unwrap_or_default());
            if crate::paths::check_stored_path(&relative).is_err() {
                continue; // a name Rehearse never writes: left alone, never indexed
            }
            if let Kind::Finished = kind {
                if self.storage().take_by_file(&relative)?.is_some() {
                    continue; // indexed and finished: nothing to do
                }
            }
            if holds_no_samples(&path, matches!(kind, Kind::Partial)) && self.storage().take_by_file(&relative)?.is_none() {
                remove_take_files(&final_path);
                report.empty.push(relative);
                continue;
            }
            // The reason the recorder noted when it could not index the take (a full disk).
            let reason = read_sidecar(&final_path).and_then(|s| s.stop_reason).unwrap_or_else(|| "crash".into());
            match self.recover_file(&path, &final_path, &relative, &reason)? {
                Ok(take) => report.recovered.push(take),
                Err(reason) => report.damaged.push(DamagedFile { file: mark_damaged(&path), reason }),
            }
        }
        report.empty.extend(remove_orphan_sidecars(&dir));
        Ok(report)
    }

    /// Indexes a take whose recorder could not finalize it (a full disk): its partial file
    /// is repaired to what reached the disk.
    pub fn recover_planned(&mut self, planned: &PlannedTake, stop_reason: &str) -> Result<Take> {
        // Not at the same time as another process's recovery, which may find this file too.
        let _alone = self.data_dir().wait_recovery_lock()?;
        let partial = partial_of(&planned.path);
        let source = if partial.exists() { partial } else { planned.path.clone() };
        self.recover_file(&source, &planned.path, &planned.relative_path, stop_reason)?
            .map_err(|reason| CoreError::Unrecoverable { file: planned.relative_path.clone(), reason })
    }

    /// Repairs one file and indexes it. The inner error is why the file cannot be used.
    fn recover_file(
        &mut self,
        path: &Path,
        final_path: &Path,
        relative: &str,
        stop_reason: &str,
    ) -> Result<std::result::Result<Take, String>> {
        // Waveform peaks the recorder left unfinished (`x.peaks.partial`) are a cache that
        // cannot vouch for the repaired WAV; the audio crate rebuilds them on first view.
        let _ = std::fs::remove_file(crate::datadir::layout::peaks_partial_of(final_path));
        let repair = repair_wav(path).map_err(|e| CoreError::io("repair", path, e))?;
        let (format, frames) = match repair {
            Repair::Unchanged { format, frames } | Repair::Repaired { format, frames, .. } => (format, frames),
            Repair::Damaged { reason } => return Ok(Err(reason)),
        };
        let sidecar_path = Sidecar::path_for(final_path);
        let sidecar: Sidecar = match std::fs::read(&sidecar_path).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
            Some(s) => s,
            None => return Ok(Err(format!("its sidecar {} is missing or unreadable, so its question is unknown", sidecar_path.display()))),
        };
        let question = QuestionId(sidecar.question_id.clone());
        if self.question(&question).is_err() {
            return Ok(Err(format!("its question \"{question}\" is not in any deck")));
        }
        if path != final_path {
            std::fs::rename(path, final_path).map_err(|e| CoreError::io("rename", path, e))?;
            sync_dir(final_path);
        }
        if let Some(existing) = self.storage().take_by_file(relative)? {
            // Indexed before the crash but never finalized: fix its bookkeeping.
            self.storage().set_take_status(existing.id, "recovered", format.duration_ms(frames))?;
            return Ok(Ok(self.take(existing.id)?));
        }
        let take = self.storage().insert_take(&NewTake {
            question_id: &question,
            started_at: &sidecar.started_at,
            duration_ms: format.duration_ms(frames),
            sample_rate: format.sample_rate,
            channels: format.channels,
            file_path: relative,
            dropped_frames: 0,
            device: sidecar.device.as_deref().unwrap_or(""),
            status: "recovered",
            stop_reason: Some(stop_reason),
            session_id: sidecar.session_id,
            start_delay_ms: None,
        })?;
        Ok(Ok(take))
    }

    /// Checks the files of indexed takes: a take whose WAV is missing or unreadable is
    /// marked "damaged"; one whose header was wrong is repaired. Returns how many changed.
    pub fn check_take_files(&mut self) -> Result<usize> {
        let mut changed = 0;
        for take in self.takes(None)? {
            // A stored path outside takes/ (a database from before paths were checked) is
            // never opened: the take counts as damaged, its row kept.
            let path = self.take_path(&take);
            let status = match path.as_deref().map(inspect_wav) {
                Ok(Ok(Repair::Unchanged { .. })) => None,
                Ok(Ok(Repair::Repaired { .. })) => match path.as_deref().map(repair_wav) {
                    Ok(Ok(Repair::Repaired { format, frames, .. })) => Some(("recovered", format.duration_ms(frames))),
                    _ => Some(("damaged", take.duration_ms)),
                },
                _ => Some(("damaged", take.duration_ms)),
            };
            if let Some((status, ms)) = status {
                if status != take.status || ms != take.duration_ms {
                    self.storage().set_take_status(take.id, status, ms)?;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}

impl Library {
    /// Rehearsal sessions still marked running whose WAV no recorder holds: the WAV is
    /// repaired to what reached the disk, markers up to the kill are kept, what was open
    /// (question, probe, segment, session) is closed at the end of the audio, and the takes
    /// not cut yet are cut (the one in progress up to the end of the file).
    pub fn recover_sessions(&mut self) -> Result<Vec<RecoveredSession>> {
        use crate::rehearsal::take_spans;
        let mut out = vec![];
        for s in self.rehearsals()?.into_iter().filter(|s| s.status == "running") {
            let Ok(path) = self.data_dir().stored_file(&s.wav_path) else { continue }; // never touched
            let partial = partial_of(&path);
            if partial.exists() && in_use(&partial) {
                continue;
            }
            // As for takes: unfinished waveform peaks are a cache, rebuilt on first view.
            let _ = std::fs::remove_file(crate::datadir::layout::peaks_partial_of(&path));
            let source = if partial.exists() { partial } else { path.clone() };
            let repaired = if source.exists() { repair_wav(&source).ok() } else { None };
            let (rate, frames) = match repaired {
                Some(Repair::Unchanged { format, frames } | Repair::Repaired { format, frames, .. }) => (format.sample_rate, frames),
                _ => {
                    let markers = self.markers(s.id)?.len();
                    self.finish_rehearsal(s.id, 0, s.sample_rate, "failed")?;
                    out.push(RecoveredSession { session_id: s.id, status: "failed".into(), seconds: 0.0, markers, takes: 0 });
                    continue;
                }
            };
            if source != path {
                std::fs::rename(&source, &path).map_err(|e| CoreError::io("rename", &source, e))?;
                sync_dir(&path);
            }
            let mut before = self.markers(s.id)?;
            let set_before_kill = before.len();
            if before.is_empty() {
                // Killed before its first marker: the session still starts at its first sample.
                self.add_marker(s.id, crate::rehearsal::MarkerKind::SessionStart, "recovered", None, 0)?;
                before = self.markers(s.id)?;
            }
            // Close what the kill left open, innermost first, at the end of the audio.
            let mut open: Vec<&crate::rehearsal::Marker> = vec![];
            for m in &before {
                if m.kind.end().is_some() {
                    open.push(m);
                } else if let Some(i) = open.iter().rposition(|o| o.kind.end() == Some(m.kind)) {
                    open.remove(i);
                }
            }
            for m in open.iter().rev() {
                if let Some(end) = m.kind.end() {
                    self.add_marker(s.id, end, "recovered", m.question_id.as_deref(), frames.max(m.sample_offset))?;
                }
            }
            let session = crate::rehearsal::RehearsalSession { sample_rate: rate, ..s.clone() };
            let mut takes = 0;
            for span in take_spans(&self.markers(s.id)?).into_iter().filter(|sp| sp.take_id.is_none()) {
                let end = span.end.unwrap_or(frames).min(frames);
                if span.start >= end {
                    continue;
                }
                if self.cut_span(&session, &span, end, "", "recovered")?.is_some() {
                    takes += 1;
                }
            }
            self.finish_rehearsal(s.id, frames, rate, "recovered")?;
            // The markers also go into the WAV; a file that cannot take them still plays.
            let _ = self.write_wav_cues(&self.rehearsal(s.id)?);
            out.push(RecoveredSession {
                session_id: s.id,
                status: "recovered".into(),
                seconds: frames as f64 / rate.max(1) as f64,
                markers: set_before_kill,
                takes,
            });
        }
        Ok(out)
    }
}

fn read_sidecar(wav: &Path) -> Option<Sidecar> {
    std::fs::read(Sidecar::path_for(wav)).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// True for a take file that cannot hold a sample: a partial one no longer than a WAV
/// header (the recorder writes the header before any sample), or any with a valid header
/// and no data. Such a file is what a recording killed before its first buffer leaves.
fn holds_no_samples(path: &Path, partial: bool) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if partial && meta.len() <= 44 {
        return true;
    }
    matches!(crate::wav_repair::inspect_wav(path), Ok(Repair::Unchanged { frames: 0, .. } | Repair::Repaired { frames: 0, .. }))
}

/// Removes every file of a take that is not one: WAV (final, partial), peaks, sidecar.
fn remove_take_files(final_path: &Path) {
    for f in crate::datadir::layout::take_files(final_path) {
        let _ = std::fs::remove_file(f);
    }
}

/// Sidecars whose WAV was never created (a recorder killed while its microphone opened)
/// and that no starting recorder holds: removed; returns their names.
fn remove_orphan_sidecars(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut removed = vec![];
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for path in names {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(stem) = name.strip_suffix(".json").or_else(|| name.strip_suffix(".json.tmp")) else { continue };
        if stem.contains('.') {
            continue; // not a take's sidecar (x.json only)
        }
        let wav = dir.join(format!("{stem}.wav"));
        let mut variants = [wav.clone(), partial_of(&wav)].into_iter().flat_map(|w| [crate::datadir::layout::damaged_of(&w), w]);
        if variants.any(|p| p.exists()) {
            continue;
        }
        // Only a sidecar that names this very WAV (or a half-written one) is a take's.
        let ours = match std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok()) {
            Some(s) => s.file == format!("takes/{stem}.wav"),
            None => true,
        };
        if ours && !in_use(&path) && std::fs::remove_file(&path).is_ok() {
            removed.push(format!("takes/{name}"));
        }
    }
    removed
}

/// A partial file that a running recorder still holds (its exclusive lock).
fn in_use(path: &Path) -> bool {
    match std::fs::File::open(path) {
        Ok(f) => match f.try_lock() {
            Ok(()) => {
                let _ = f.unlock();
                false
            }
            Err(std::fs::TryLockError::WouldBlock) => true,
            Err(_) => false,
        },
        Err(_) => false,
    }
}

/// Renames an unusable file to `<name>.damaged` (never deletes it); returns the new name.
fn mark_damaged(path: &Path) -> String {
    let target = crate::datadir::layout::damaged_of(path);
    let shown = format!("takes/{}", target.file_name().and_then(|n| n.to_str()).unwrap_or_default());
    match std::fs::rename(path, &target) {
        Ok(()) => shown,
        Err(_) => path.display().to_string(),
    }
}

pub(crate) use crate::datadir::layout::partial_of;

use crate::datadir::files::sync_parent as sync_dir;
