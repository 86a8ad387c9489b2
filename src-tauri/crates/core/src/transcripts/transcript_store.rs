//! Transcripts kept per take (schema v9): what the transcription worker stores and what
//! review, reports and the CLI read. A transcript remembers the WAV it heard (size and
//! modification time) and the model (name and sha256): [`Library::transcript_state`] says
//! whether it still describes the take as it is now, for that model.

use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::TakeId;
use crate::storage::transcripts::{FileIdentity, StoredTranscript};
use crate::time_fmt::now_rfc3339;
use crate::transcript::{ModelIdentity, Transcript};

/// The languages a take can be answered and transcribed in.
pub const LANGUAGES: [&str; 2] = ["en", "ko"];

/// Where a take stands with its transcript.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TranscriptState {
    /// Not transcribed yet (or its transcription was interrupted): the worker will do it.
    Pending,
    /// Transcribed from the file as it is now, by this model.
    Current,
    /// Transcribed, but from another version of the file or by another model: done again on request.
    Outdated { reason: String },
    /// The model could not transcribe it: done again on request.
    Failed { reason: String },
}

/// Size and modification time (ms since the epoch) of a file.
fn stat(path: &std::path::Path) -> Result<(u64, i64)> {
    let meta = std::fs::metadata(path).map_err(|e| CoreError::io("read", path, e))?;
    let mtime_ms =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_millis() as i64).unwrap_or(0);
    Ok((meta.len(), mtime_ms))
}

/// The identity of a file as it is now on disk (reads it whole, streamed, for its hash).
pub fn file_identity(path: &std::path::Path) -> Result<FileIdentity> {
    use sha2::{Digest, Sha256};
    let (bytes, mtime_ms) = stat(path)?;
    let mut f = std::fs::File::open(path).map_err(|e| CoreError::io("read", path, e))?;
    let mut hash = Sha256::new();
    std::io::copy(&mut f, &mut hash).map_err(|e| CoreError::io("read", path, e))?;
    let sha256 = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(FileIdentity { bytes, mtime_ms, sha256 })
}

/// Whether the file at `path` is still the one `known` describes: same size, and the same
/// modification time or else the same content.
fn same_file(path: &std::path::Path, known: &FileIdentity) -> bool {
    match stat(path) {
        Ok((bytes, _)) if bytes != known.bytes => false,
        Ok((_, mtime)) if mtime == known.mtime_ms => true,
        Ok(_) => file_identity(path).is_ok_and(|now| now.sha256 == known.sha256),
        Err(_) => false,
    }
}

impl Library {
    /// A take's stored transcript, if it has one (done or failed).
    pub fn transcript(&self, id: TakeId) -> Result<Option<StoredTranscript>> {
        self.storage_ref().take(id)?;
        self.storage_ref().transcript(id)
    }

    /// The identity of a take's WAV as it is now.
    pub fn take_file_identity(&self, id: TakeId) -> Result<FileIdentity> {
        let take = self.storage_ref().take(id)?;
        file_identity(&self.take_path(&take)?)
    }

    /// Stores what the model heard in a take, made from the file whose identity is `file`
    /// (read before the model read the file: a take rewritten meanwhile shows as outdated).
    pub fn save_transcript(&mut self, id: TakeId, t: &Transcript, file: &FileIdentity) -> Result<()> {
        self.storage().save_transcript(id, t, file, &now_rfc3339())
    }

    /// Records why a take could not be transcribed.
    pub fn save_transcript_failure(
        &mut self,
        id: TakeId,
        language: &str,
        model: &ModelIdentity,
        file: &FileIdentity,
        reason: &str,
    ) -> Result<()> {
        self.storage().save_transcript_failure(id, language, model, file, &now_rfc3339(), reason)
    }

    /// Corrects the language a take was answered in; its next transcription uses it.
    pub fn set_take_language(&mut self, id: TakeId, language: &str) -> Result<crate::model::Take> {
        if !LANGUAGES.contains(&language) {
            return Err(CoreError::UnknownLanguage(language.to_string()));
        }
        self.storage().set_take_language(id, language)?;
        self.storage_ref().take(id)
    }

    /// Corrects the language a take was answered in and, when its transcript was heard in
    /// another language, makes it pending again (the background worker hears it anew in the
    /// new language). Returns the take and whether it is pending now.
    pub fn retranscribe_in(&mut self, id: TakeId, language: &str) -> Result<(crate::model::Take, bool)> {
        if !LANGUAGES.contains(&language) {
            return Err(CoreError::UnknownLanguage(language.to_string()));
        }
        let dropped = self.storage().set_take_language_pending(id, language)?;
        let pending = dropped || self.storage_ref().transcript(id)?.is_none();
        Ok((self.storage_ref().take(id)?, pending))
    }

    /// Asks for a take to be transcribed again (an outdated or failed transcript, on the
    /// user's request): its transcript is dropped and the background worker hears it anew,
    /// oldest pending first. The take itself is untouched.
    pub fn transcribe_again(&mut self, id: TakeId) -> Result<()> {
        self.storage().drop_transcript(id)
    }

    /// Whether a take's transcript describes its file as it is now, heard by `model` in the
    /// take's language (`None`: no model installed, only the file and language are compared).
    pub fn transcript_state(&self, id: TakeId, model: Option<&ModelIdentity>) -> Result<TranscriptState> {
        let take = self.storage_ref().take(id)?;
        let Some(stored) = self.storage_ref().transcript(id)? else { return Ok(TranscriptState::Pending) };
        if let Some(reason) = stored.failure.clone().filter(|_| stored.status == "failed") {
            return Ok(TranscriptState::Failed { reason });
        }
        let reason = if !same_file(&self.take_path(&take)?, &stored.file) {
            Some("the take's file changed since it was transcribed".to_string())
        } else if model.is_some_and(|m| m.sha256 != stored.transcript.model.sha256) {
            Some(format!("it was transcribed by another model ({})", stored.transcript.model.name))
        } else if stored.transcript.language != take.language {
            Some(format!("it was transcribed as {} and the take is now {}", stored.transcript.language, take.language))
        } else {
            None
        };
        Ok(match reason {
            Some(reason) => TranscriptState::Outdated { reason },
            None => TranscriptState::Current,
        })
    }

    /// Takes not transcribed yet, oldest first (at most `limit`).
    pub fn takes_pending_transcription(&self, limit: u32) -> Result<Vec<TakeId>> {
        self.storage_ref().takes_pending_transcription(limit)
    }

    /// How many takes are not transcribed yet.
    pub fn pending_transcription_count(&self) -> Result<u64> {
        self.storage_ref().pending_transcription_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Segment;

    fn said(text: &str, sha: &str) -> Transcript {
        Transcript {
            language: "en".into(),
            model: ModelIdentity { name: "whisper-base".into(), sha256: sha.into() },
            segments: vec![Segment { start_ms: 0, end_ms: 900, text: text.into(), words: vec![] }],
        }
    }

    #[test]
    fn a_transcript_is_current_until_the_file_the_model_or_the_language_changes() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        let model = ModelIdentity { name: "whisper-base".into(), sha256: "aa".into() };
        assert_eq!(lib.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Pending);
        let file = lib.take_file_identity(id).expect("identity");
        lib.save_transcript(id, &said("hello", "aa"), &file).expect("save");
        assert_eq!(lib.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Current);
        assert_eq!(lib.transcript_state(id, None).expect("state"), TranscriptState::Current);
        let other = ModelIdentity { name: "whisper-small".into(), sha256: "bb".into() };
        assert!(
            matches!(lib.transcript_state(id, Some(&other)).expect("state"), TranscriptState::Outdated { reason } if reason.contains("whisper-base"))
        );
        lib.set_take_language(id, "ko").expect("ko");
        assert!(
            matches!(lib.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Outdated { reason } if reason.contains("now ko"))
        );
        lib.set_take_language(id, "en").expect("en");
        let path = lib.take_path(&lib.take(id).expect("take")).expect("path");
        // The same bytes written again (as an import does): a new time, the same content.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, std::fs::read(&path).expect("read")).expect("same again");
        assert_ne!(lib.take_file_identity(id).expect("identity").mtime_ms, file.mtime_ms);
        assert_eq!(lib.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Current);
        // Other content of the same size.
        std::fs::write(&path, b"WAV").expect("rewrite");
        assert!(
            matches!(lib.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Outdated { reason } if reason.contains("file changed"))
        );
        std::fs::write(&path, b"a longer placeholder than before").expect("rewrite");
        assert!(
            matches!(lib.transcript_state(id, Some(&model)).expect("state"), TranscriptState::Outdated { reason } if reason.contains("file changed"))
        );
    }

    #[test]
    fn transcribing_again_drops_the_transcript_so_the_take_is_pending_and_keeps_the_take() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        let file = lib.take_file_identity(id).expect("identity");
        lib.save_transcript(id, &said("hello", "aa"), &file).expect("save");
        assert!(lib.takes_pending_transcription(10).expect("pending").is_empty());
        lib.transcribe_again(id).expect("again");
        assert_eq!(lib.transcript_state(id, None).expect("state"), TranscriptState::Pending);
        assert_eq!(lib.takes_pending_transcription(10).expect("pending"), vec![id]);
        assert!(lib.take_path(&lib.take(id).expect("the take is kept")).expect("path").exists());
        assert_eq!(lib.transcribe_again(TakeId(999)).expect_err("unknown").kind(), "unknown_take");
    }

    #[test]
    fn a_take_corrected_to_another_language_is_pending_again_and_the_same_language_keeps_its_transcript() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        let file = lib.take_file_identity(id).expect("identity");
        lib.save_transcript(id, &said("hello", "aa"), &file).expect("save");
        let (take, pending) = lib.retranscribe_in(id, "en").expect("same");
        assert_eq!((take.language.as_str(), pending), ("en", false));
        assert!(lib.transcript(id).expect("read").is_some(), "kept");
        let (take, pending) = lib.retranscribe_in(id, "ko").expect("ko");
        assert_eq!((take.language.as_str(), pending), ("ko", true));
        assert!(lib.transcript(id).expect("read").is_none());
        assert_eq!(lib.takes_pending_transcription(10).expect("pending"), vec![id]);
        assert_eq!(lib.retranscribe_in(id, "fr").expect_err("fr").kind(), "unknown_language");
        assert_eq!(lib.take(id).expect("take").language, "ko", "nothing changed");
    }

    #[test]
    fn a_language_other_than_english_or_korean_is_refused_naming_it_and_nothing_changes() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        let e = lib.set_take_language(id, "fr").expect_err("refused");
        assert_eq!(e.kind(), "unknown_language");
        assert!(e.to_string().contains("\"fr\""), "{e}");
        assert_eq!(lib.take(id).expect("take").language, "en");
        assert_eq!(lib.set_take_language(crate::model::TakeId(999), "ko").expect_err("unknown").kind(), "unknown_take");
    }
}
