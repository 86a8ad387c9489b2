//! The transcripts tables (schema v9): one row per transcribed take (done or failed), its
//! segments and words, and the trigram full-text index over its text (kept by triggers).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::Storage;
use crate::error::{CoreError, Result};
use crate::model::TakeId;
use crate::transcript::{ModelIdentity, Segment, Transcript, Word};

/// What identifies the WAV a transcript was made from: a take rewritten since (repaired,
/// replaced) has another size or content. The modification time lets an unchanged file be
/// recognised without reading it; the content hash recognises it after an import (which
/// writes the files anew).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileIdentity {
    pub bytes: u64,
    /// Modification time, ms since the Unix epoch.
    pub mtime_ms: i64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

/// A take's stored transcript, or why it could not be made.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTranscript {
    pub take_id: TakeId,
    /// "done" or "failed".
    pub status: String,
    /// Why transcription failed (status "failed").
    pub failure: Option<String>,
    pub file: FileIdentity,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Language and model always; segments empty when it failed.
    pub transcript: Transcript,
}

/// Text as stored and searched: NFC, so Korean typed or imported decomposed (NFD) matches.
pub(crate) fn normalized(text: &str) -> String {
    text.nfc().collect()
}

/// A row of the transcripts table to write.
struct Head<'a> {
    status: &'a str,
    failure: Option<&'a str>,
    language: &'a str,
    model: &'a ModelIdentity,
    file: &'a FileIdentity,
    created_at: &'a str,
    text: &'a str,
}

fn write_head(tx: &rusqlite::Transaction<'_>, take: TakeId, h: &Head<'_>) -> Result<()> {
    // Deleting first (its trigger clears segments, words and the index entry) makes a
    // transcript made again replace every piece of the old one.
    tx.execute("DELETE FROM transcripts WHERE take_id = ?1", [take.0])?;
    let n = tx.execute(
        "INSERT INTO transcripts (take_id, status, failure, language, model_name, model_sha256, wav_bytes, wav_mtime_ms, wav_sha256, created_at, text)
         SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM takes WHERE id = ?1",
        params![
            take.0,
            h.status,
            h.failure,
            h.language,
            h.model.name,
            h.model.sha256,
            h.file.bytes as i64,
            h.file.mtime_ms,
            h.file.sha256,
            h.created_at,
            h.text
        ],
    )?;
    if n == 0 {
        return Err(CoreError::UnknownTake(take.0));
    }
    Ok(())
}

impl Storage {
    /// Stores a take's transcript, replacing any earlier one, in one transaction: a crash
    /// before the commit leaves the take as it was (not transcribed, or its old transcript).
    pub fn save_transcript(&mut self, take: TakeId, t: &Transcript, file: &FileIdentity, created_at: &str) -> Result<()> {
        let text = normalized(&t.text());
        self.transact(|tx| {
            let head = Head { status: "done", failure: None, language: &t.language, model: &t.model, file, created_at, text: &text };
            write_head(tx, take, &head)?;
            let mut seg_st = tx.prepare_cached(
                "INSERT INTO transcript_segments (take_id, position, start_ms, end_ms, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut word_st = tx.prepare_cached(
                "INSERT INTO transcript_words (take_id, segment, position, start_ms, end_ms, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, s) in t.segments.iter().enumerate() {
                let end = s.end_ms.max(s.start_ms);
                seg_st.execute(params![take.0, i as i64, s.start_ms as i64, end as i64, normalized(&s.text)])?;
                for (j, w) in s.words.iter().enumerate() {
                    let wend = w.end_ms.max(w.start_ms);
                    word_st.execute(params![take.0, i as i64, j as i64, w.start_ms as i64, wend as i64, normalized(&w.text)])?;
                }
            }
            Ok(())
        })
    }

    /// Records that a take could not be transcribed (why, with which model and file), so it
    /// is not tried again at every start; a request to transcribe it again replaces this.
    /// A transcript of the same file saved meanwhile (another process, a run that found
    /// the take pending before) is kept: a failure never replaces what was heard.
    pub fn save_transcript_failure(
        &mut self,
        take: TakeId,
        language: &str,
        model: &ModelIdentity,
        file: &FileIdentity,
        created_at: &str,
        reason: &str,
    ) -> Result<()> {
        self.transact(|tx| {
            let heard: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM transcripts WHERE take_id = ?1 AND status = 'done' AND wav_sha256 = ?2)",
                params![take.0, file.sha256],
                |r| r.get(0),
            )?;
            if heard {
                return Ok(());
            }
            let head = Head { status: "failed", failure: Some(reason), language, model, file, created_at, text: "" };
            write_head(tx, take, &head)
        })
    }

    /// A take's transcript as stored, if it has one.
    pub fn transcript(&self, take: TakeId) -> Result<Option<StoredTranscript>> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT status, failure, language, model_name, model_sha256, wav_bytes, wav_mtime_ms, wav_sha256, created_at FROM transcripts WHERE take_id = ?1",
            )?
            .query_row([take.0], |r| {
                Ok(StoredTranscript {
                    take_id: take,
                    status: r.get(0)?,
                    failure: r.get(1)?,
                    file: FileIdentity { bytes: r.get::<_, i64>(5)?.max(0) as u64, mtime_ms: r.get(6)?, sha256: r.get(7)? },
                    created_at: r.get(8)?,
                    transcript: Transcript { language: r.get(2)?, model: ModelIdentity { name: r.get(3)?, sha256: r.get(4)? }, segments: vec![] },
                })
            })
            .optional()?;
        let Some(mut head) = head else { return Ok(None) };
        let mut words: Vec<(usize, Word)> = {
            let mut st = self.conn.prepare_cached(
                "SELECT segment, start_ms, end_ms, text FROM transcript_words WHERE take_id = ?1 ORDER BY segment, position",
            )?;
            let rows = st.query_map([take.0], |r| {
                Ok((r.get::<_, i64>(0)?.max(0) as usize, Word { start_ms: ms(r.get(1)?), end_ms: ms(r.get(2)?), text: r.get(3)? }))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut st = self
            .conn
            .prepare_cached("SELECT position, start_ms, end_ms, text FROM transcript_segments WHERE take_id = ?1 ORDER BY position")?;
        let segs = st.query_map([take.0], |r| {
            Ok((
                r.get::<_, i64>(0)?.max(0) as usize,
                Segment { start_ms: ms(r.get(1)?), end_ms: ms(r.get(2)?), text: r.get(3)?, words: vec![] },
            ))
        })?;
        let segs: Vec<(usize, Segment)> = segs.collect::<rusqlite::Result<_>>()?;
        words.reverse();
        for (pos, mut seg) in segs {
            while words.last().is_some_and(|(s, _)| *s == pos) {
                if let Some((_, w)) = words.pop() {
                    seg.words.push(w);
                }
            }
            head.transcript.segments.push(seg);
        }
        Ok(Some(head))
    }

    /// Takes with no transcript yet (done or failed), oldest first; damaged takes have no
    /// audio to hear. A take whose transcription was interrupted has no row: it is here again.
    pub fn takes_pending_transcription(&self, limit: u32) -> Result<Vec<TakeId>> {
        let mut st = self.conn.prepare_cached(
            "SELECT t.id FROM takes t WHERE t.status != 'damaged'
               AND NOT EXISTS (SELECT 1 FROM transcripts x WHERE x.take_id = t.id)
             ORDER BY t.started_at, t.id LIMIT ?1",
        )?;
        let ids = st.query_map([i64::from(limit)], |r| r.get::<_, i64>(0).map(TakeId))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// How many takes [`Storage::takes_pending_transcription`] would give.
    pub fn pending_transcription_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM takes t WHERE t.status != 'damaged' AND NOT EXISTS (SELECT 1 FROM transcripts x WHERE x.take_id = t.id)",
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Sets the language a take was answered in ("en" or "ko").
    pub fn set_take_language(&mut self, take: TakeId, language: &str) -> Result<()> {
        let n = self.conn.execute("UPDATE takes SET language = ?2 WHERE id = ?1", params![take.0, language])?;
        if n == 0 {
            return Err(CoreError::UnknownTake(take.0));
        }
        Ok(())
    }

    /// Drops a take's transcript (done or failed), so the take is pending again. Errors if
    /// the take is unknown.
    pub fn drop_transcript(&mut self, take: TakeId) -> Result<()> {
        self.transact(|tx| {
            if tx.query_row("SELECT count(*) FROM takes WHERE id = ?1", [take.0], |r| r.get::<_, i64>(0))? == 0 {
                return Err(CoreError::UnknownTake(take.0));
            }
            tx.execute("DELETE FROM transcripts WHERE take_id = ?1", [take.0])?;
            Ok(())
        })
    }

    /// Sets a take's language and, when its transcript was heard in another language, drops
    /// that transcript so the take is pending again (one transaction).
    pub fn set_take_language_pending(&mut self, take: TakeId, language: &str) -> Result<bool> {
        self.transact(|tx| {
            if tx.execute("UPDATE takes SET language = ?2 WHERE id = ?1", params![take.0, language])? == 0 {
                return Err(CoreError::UnknownTake(take.0));
            }
            Ok(tx.execute("DELETE FROM transcripts WHERE take_id = ?1 AND language != ?2", params![take.0, language])? > 0)
        })
    }
}

fn ms(v: i64) -> u64 {
    v.max(0) as u64
}

/// The SQL condition (over takes aliased `t`, one parameter) that a take's transcript
/// contains the parameter's text, for the library query. The trigram index answers
/// searches of 3 characters or more; shorter ones (a 2-syllable Korean word) read the
/// transcripts' text instead. Case-insensitive either way; the text is NFC on both sides.
pub(crate) fn said_condition(needle: &str, param: &str) -> String {
    if needle.chars().count() >= 3 {
        format!("t.id IN (SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH {param})")
    } else {
        format!("t.id IN (SELECT take_id FROM transcripts WHERE instr(lower(text), lower({param})) > 0)")
    }
}

/// The parameter [`said_condition`] binds: an FTS5 phrase (quotes doubled) for the index,
/// the plain text for the short search.
pub(crate) fn said_parameter(needle: &str) -> String {
    let n = normalized(needle.trim());
    if n.chars().count() >= 3 {
        format!("\"{}\"", n.replace('"', "\"\""))
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Library;

    fn transcript(lang: &str, parts: &[(u64, u64, &str)]) -> Transcript {
        Transcript {
            language: lang.into(),
            model: ModelIdentity { name: "whisper-base".into(), sha256: "ab12".into() },
            segments: parts
                .iter()
                .map(|&(a, b, t)| Segment {
                    start_ms: a,
                    end_ms: b,
                    text: t.into(),
                    words: t
                        .split_whitespace()
                        .enumerate()
                        .map(|(i, w)| Word { start_ms: a + i as u64 * 100, end_ms: a + i as u64 * 100 + 90, text: w.into() })
                        .collect(),
                })
                .collect(),
        }
    }

    fn file() -> FileIdentity {
        FileIdentity { bytes: 1234, mtime_ms: 1_700_000_000_000, sha256: "cd34".into() }
    }

    fn search(lib: &Library, needle: &str) -> Vec<i64> {
        let sql = format!("SELECT t.id FROM takes t WHERE {} ORDER BY t.id", said_condition(needle, "?1"));
        let c = lib.storage_ref().conn_ref();
        let mut st = c.prepare(&sql).expect("prepare");
        let rows = st.query_map([said_parameter(needle)], |r| r.get(0)).expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("rows")
    }

    fn count(lib: &Library, table: &str) -> i64 {
        lib.storage_ref().conn_ref().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).expect("count")
    }

    #[test]
    fn a_saved_transcript_reads_back_with_segments_words_model_and_file() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        assert_eq!(lib.storage_ref().transcript(id).expect("read"), None);
        let t = transcript("en", &[(0, 1500, "I raised undo retention."), (1600, 3000, "Then it worked.")]);
        lib.storage().save_transcript(id, &t, &file(), "2026-03-01T10:00:00.000Z").expect("save");
        let back = lib.storage_ref().transcript(id).expect("read").expect("stored");
        assert_eq!(back.transcript, t);
        assert_eq!((back.status.as_str(), back.failure, back.file), ("done", None, file()));
    }

    #[test]
    fn transcribing_again_replaces_every_segment_word_and_index_entry() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        let db = lib.storage();
        db.save_transcript(id, &transcript("en", &[(0, 900, "snapshot too old"), (900, 2000, "one two three")]), &file(), "x")
            .expect("save");
        db.save_transcript(id, &transcript("en", &[(0, 700, "undo retention")]), &file(), "y").expect("again");
        let back = lib.storage_ref().transcript(id).expect("read").expect("stored");
        assert_eq!(back.transcript.segments.len(), 1);
        assert_eq!((count(&lib, "transcript_segments"), count(&lib, "transcript_words")), (1, 2));
        assert_eq!(search(&lib, "snapshot"), Vec::<i64>::new());
        assert_eq!(search(&lib, "retention"), vec![id.0]);
    }

    #[test]
    fn what_was_said_is_found_in_english_and_in_korean_without_spaces_case_and_nfd_insensitive() {
        let (_d, mut lib) = Library::open_temp();
        let en = lib.commit_test_take("db.ora-01555", None, 48_000);
        let ko = lib.commit_test_take("db.ora-01555", None, 48_000);
        let db = lib.storage();
        db.save_transcript(en, &transcript("en", &[(0, 900, "I Raised UNDO_RETENTION to an hour")]), &file(), "x").expect("en");
        db.save_transcript(ko, &transcript("ko", &[(0, 900, "언두리텐션을 늘렸습니다")]), &file(), "x").expect("ko");
        assert_eq!(search(&lib, "undo_retention"), vec![en.0]);
        assert_eq!(search(&lib, "raised undo"), vec![en.0]);
        // Inside a word with no spaces around it, and with a particle after it.
        assert_eq!(search(&lib, "리텐션"), vec![ko.0]);
        assert_eq!(search(&lib, "언두"), vec![ko.0], "two syllables: shorter than a trigram");
        let nfd: String = "늘렸습니다".nfd().collect();
        assert_ne!(nfd, "늘렸습니다");
        assert_eq!(search(&lib, &nfd), vec![ko.0]);
        assert_eq!(search(&lib, "\"quoted"), Vec::<i64>::new(), "a quote is text, not FTS syntax");
        assert_eq!(search(&lib, "hour"), vec![en.0]);
    }

    #[test]
    fn a_transcript_goes_with_its_take_on_every_delete_path_and_leaves_no_index_entry() {
        let (_d, mut lib) = Library::open_temp();
        let a = lib.commit_test_take("db.ora-01555", None, 48_000);
        let b = lib.commit_test_take("db.deadlock", None, 48_000);
        let c = lib.commit_test_take("db.deadlock", None, 48_000);
        for id in [a, b, c] {
            lib.storage().save_transcript(id, &transcript("en", &[(0, 900, "the deadlock graph showed it")]), &file(), "x").expect("save");
        }
        lib.delete_take(a).expect("delete");
        assert_eq!(search(&lib, "deadlock graph"), vec![b.0, c.0]);
        // A connection without foreign keys (another tool) deleting by SQL.
        let c2 = rusqlite::Connection::open(lib.storage_ref().path()).expect("open");
        c2.pragma_update(None, "foreign_keys", "OFF").expect("fk off");
        c2.execute("DELETE FROM takes WHERE id = ?1", [b.0]).expect("delete");
        drop(c2);
        assert_eq!(search(&lib, "deadlock graph"), vec![c.0]);
        assert_eq!((count(&lib, "transcripts"), count(&lib, "transcript_segments"), count(&lib, "transcript_words")), (1, 1, 5));
        let c3 = lib.storage_ref().conn_ref();
        c3.execute("INSERT INTO transcript_fts (transcript_fts) VALUES ('integrity-check')", []).expect("index matches its content");
    }

    #[test]
    fn a_failure_is_kept_with_its_reason_and_takes_the_take_off_the_pending_list() {
        let (_d, mut lib) = Library::open_temp();
        let first = lib.commit_test_take("db.ora-01555", None, 48_000);
        let second = lib.commit_test_take("db.deadlock", None, 48_000);
        assert_eq!(lib.storage_ref().takes_pending_transcription(10).expect("pending"), vec![first, second], "oldest first");
        let model = ModelIdentity { name: "m".into(), sha256: "0".into() };
        lib.storage().save_transcript_failure(first, "en", &model, &file(), "x", "the take file is missing").expect("fail");
        assert_eq!(lib.storage_ref().takes_pending_transcription(10).expect("pending"), vec![second]);
        assert_eq!(lib.storage_ref().pending_transcription_count().expect("count"), 1);
        let back = lib.storage_ref().transcript(first).expect("read").expect("row");
        assert_eq!((back.status.as_str(), back.failure.as_deref()), ("failed", Some("the take file is missing")));
        assert!(back.transcript.segments.is_empty());
    }

    #[test]
    fn a_failure_recorded_after_a_transcript_of_the_same_file_keeps_the_transcript() {
        let (_d, mut lib) = Library::open_temp();
        let id = lib.commit_test_take("db.ora-01555", None, 48_000);
        let t = transcript("en", &[(0, 900, "snapshot too old")]);
        lib.storage().save_transcript(id, &t, &file(), "x").expect("save");
        let model = ModelIdentity { name: "m".into(), sha256: "0".into() };
        lib.storage().save_transcript_failure(id, "en", &model, &file(), "y", "no speech model").expect("fail");
        let back = lib.storage_ref().transcript(id).expect("read").expect("row");
        assert_eq!((back.status.as_str(), back.transcript), ("done", t));
        // Another file (the take was repaired or replaced): the failure is recorded.
        let other = FileIdentity { sha256: "other".into(), ..file() };
        lib.storage().save_transcript_failure(id, "en", &model, &other, "z", "no speech model").expect("fail");
        assert_eq!(lib.storage_ref().transcript(id).expect("read").expect("row").status, "failed");
    }

    #[test]
    fn a_transcript_for_an_unknown_take_is_refused_and_nothing_is_written() {
        let (_d, mut lib) = Library::open_temp();
        let e = lib.storage().save_transcript(TakeId(77), &transcript("en", &[(0, 1, "x")]), &file(), "x").expect_err("unknown");
        assert_eq!(e.kind(), "unknown_take");
        assert_eq!((count(&lib, "transcripts"), count(&lib, "transcript_segments")), (0, 0));
    }

    #[test]
    fn a_take_has_its_sessions_language_else_the_interface_language_and_can_be_corrected() {
        let (_d, mut lib) = Library::open_temp();
        let single = lib.commit_test_take("db.ora-01555", None, 48_000);
        assert_eq!(lib.take(single).expect("take").language, "en");
        lib.set_setting("ui_language", Some("ko")).expect("ui ko");
        let single_ko = lib.commit_test_take("db.ora-01555", None, 48_000);
        assert_eq!(lib.take(single_ko).expect("take").language, "ko");
        lib.set_setting("ui_language", Some("en")).expect("ui en");
        let options = crate::session::PracticeOptions {
            deck_id: "databases".into(),
            category: None,
            tag: None,
            count: 1,
            order: crate::session::Order::InOrder,
            language: "ko".into(),
            overtime: false,
            seed: None,
        };
        let session = lib.start_session(options).expect("session");
        let in_session = lib.commit_test_take(session.questions[0].id.as_str(), Some(session.id), 48_000);
        assert_eq!(lib.take(in_session).expect("take").language, "ko");
        lib.storage().set_take_language(in_session, "en").expect("correct");
        assert_eq!(lib.take(in_session).expect("take").language, "en");
        let bad = lib.storage().set_take_language(in_session, "fr").expect_err("checked");
        assert_eq!(bad.kind(), "database");
    }
}
