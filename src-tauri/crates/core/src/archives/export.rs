//! Exporting a take (its WAV, bit for bit) or a session (its WAVs and an HTML report, as
//! a folder or a zip). Everything is written under a temporary name beside the
//! destination, synced, then renamed, so a failure never leaves half a file under the
//! name asked for; an existing destination is refused unless overwriting was asked for.
//!
//! Over 500 lines for its tests: the exports are about 300 lines; the rest tests them on real
//! files.
//!
//! Length: the code is under 500 lines; the rest is its unit tests, kept beside the code they
//! prove.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

// The file-writing primitives moved to `datadir::files`; their old paths here stay valid
// (compatibility paths for code not yet moved).
#[allow(unused_imports)]
pub(crate) use crate::datadir::files::{check_parent, copy_stream, refuse_existing, sync_parent, temp_beside, AtomicFile, COPY_BUF};
use crate::error::{CoreError, Result};
use crate::leftovers::Staging;
use crate::library::Library;
use crate::model::{Take, TakeId};
use crate::rehearsal::RehearsalSession;
use crate::report::{render_html, render_rehearsal_html};
use crate::session_wav::read_layout;

/// What a session export wrote.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub path: PathBuf,
    /// "zip" or "folder".
    pub format: String,
    /// Files written, report.html included, in order.
    pub files: Vec<String>,
    pub takes: usize,
    pub bytes: u64,
    /// Takes whose audio could not be included (missing or damaged file), with why.
    pub missing: Vec<(TakeId, String)>,
    /// Anything else left out, with why (a rehearsal's missing session recording).
    pub warnings: Vec<String>,
}

/// A readable, safe file-name part from anything: ASCII letters, digits, '.', '-' and '_'
/// are kept, everything else becomes '-', no leading dot, no "..", at most 64 characters.
pub fn sanitize_name(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect();
    while out.contains("..") {
        out = out.replace("..", ".");
    }
    let out: String = out.trim_matches(|c| c == '.' || c == '-').chars().take(64).collect();
    let out = out.trim_end_matches(['.', '-']).to_string();
    if out.is_empty() {
        "take".into()
    } else {
        out
    }
}

impl Library {
    /// Notes an export's temporary file beside its destination in a locked staging folder
    /// (`.export-XXXXXX`), so that the next start removes it if this process is killed.
    /// Only a clean-up aid: a data folder that cannot be written (read-only, or a full disk,
    /// where exporting a take is how the user saves it) exports without it.
    pub(crate) fn track_partial(&self, partial: &Path) -> Option<Staging> {
        let staging = Staging::new(self.data_dir().root(), ".export-").ok()?;
        staging.note_partial(partial).ok()?;
        Some(staging)
    }

    /// Why a take's audio cannot be used as it is (missing, damaged, shorter than its
    /// header says), or None when it is a sound WAV.
    pub(crate) fn take_source_problem(&self, take: &Take) -> Option<String> {
        let path = match self.take_path(take) {
            Ok(p) => p,
            Err(e) => return Some(e.to_string()),
        };
        if take.status == "damaged" {
            return Some(format!(
                "take {} is marked damaged (its file {} could not be read; run `rehearse-cli recover`)",
                take.id,
                path.display()
            ));
        }
        let meta = match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Some(format!("the file of take {} ({}) is not a regular file", take.id, path.display())),
            Err(e) => return Some(format!("the file of take {} ({}) cannot be read: {e}", take.id, path.display())),
        };
        let reader = match hound::WavReader::open(&path) {
            Ok(r) => r,
            Err(e) => return Some(format!("the file of take {} ({}) is not a readable WAV: {e}", take.id, path.display())),
        };
        let spec = reader.spec();
        let data_bytes = reader.len() as u64 * (spec.bits_per_sample as u64).div_ceil(8);
        if data_bytes > meta.len() {
            return Some(format!(
                "the file of take {} ({}) is shorter than its header says ({} of at least {data_bytes} bytes): run `rehearse-cli recover`",
                take.id,
                path.display(),
                meta.len()
            ));
        }
        None
    }

    /// Copies a take's WAV, bit for bit, to `dest` (a file name, or an existing folder to
    /// put `take-<id>-<question>.wav` in). Returns the path written.
    pub fn export_take(&self, id: TakeId, dest: &Path, overwrite: bool) -> Result<PathBuf> {
        let take = self.take(id)?;
        if let Some(problem) = self.take_source_problem(&take) {
            return Err(CoreError::Unrecoverable { file: take.file_path.clone(), reason: problem });
        }
        let dest = if dest.is_dir() {
            dest.join(format!("take-{}-{}.wav", take.id, sanitize_name(take.question_id.as_str())))
        } else {
            dest.to_path_buf()
        };
        let src_path = self.take_path(&take)?;
        let mut src = File::open(&src_path).map_err(|e| CoreError::io("read", &src_path, e))?;
        let expected = src.metadata().map_err(|e| CoreError::io("read", &src_path, e))?.len();
        let mut out = AtomicFile::create(&dest, overwrite)?;
        let _staging = self.track_partial(out.temp_path());
        // std::io::copy between files uses the kernel's copy where it can (copy_file_range).
        let n = std::io::copy(&mut src, out.file()).map_err(|e| CoreError::io("write", &dest, e))?;
        if n != expected {
            return Err(CoreError::io("copy", &src_path, std::io::Error::other(format!("copied {n} of {expected} bytes"))));
        }
        out.commit()
    }

    /// Exports a session: every take's WAV (named `NN-<question>-takeK.wav`) and
    /// `report.html`, into a new zip (a `dest` ending in `.zip`) or a new folder. A
    /// rehearsal also gets its session recording (`session.wav`, bit for bit), its cue
    /// sheet (`session.cue`) and the rehearsal report (segments, questions and probes,
    /// time used against each answer limit, markers linked into the recording).
    pub fn export_session(&self, session_id: i64, dest: &Path, overwrite: bool) -> Result<ExportReport> {
        let mut report = self.session_report(session_id)?;
        let mut files: Vec<(String, PathBuf)> = vec![];
        let mut missing = vec![];
        for q in &mut report.questions {
            for t in &mut q.takes {
                if let Some(p) = self.take_source_problem(&t.take) {
                    t.problem = Some(p.clone());
                    missing.push((t.take.id, p));
                    continue;
                }
                let name = format!("{:02}-{}-take{}.wav", q.number, sanitize_name(q.id.as_str()), t.number);
                t.audio = Some(name.clone());
                files.push((name, self.take_path(&t.take)?));
            }
        }
        let takes = files.len();
        let mut texts: Vec<(String, String)> = vec![];
        let mut warnings = vec![];
        let html = if report.session.kind == "rehearsal" {
            let detail = self.rehearsal_detail(session_id)?;
            let wav = self.data_dir().stored_file(&detail.session.wav_path)?;
            let problem = self.session_wav_problem(&detail.session, &wav);
            let mut call = self.rehearsal_report_from(detail, report);
            match problem {
                None => {
                    files.push((SESSION_WAV.into(), wav));
                    call.session_audio = Some(SESSION_WAV.into());
                }
                Some(p) => {
                    warnings.push(p.clone());
                    call.session_audio_problem = Some(p);
                }
            }
            texts.push(("session.cue".into(), self.cue_sheet_naming(session_id, Some(SESSION_WAV))?));
            render_rehearsal_html(&call)
        } else {
            render_html(&report, &report.session.language)
        };
        texts.push(("report.html".into(), html));
        let is_zip = dest.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        let bytes = if is_zip {
            write_session_zip(dest, overwrite, &files, &texts, |p| self.track_partial(p))?
        } else {
            write_session_folder(dest, &files, &texts, |p| self.track_partial(p))?
        };
        let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).chain(texts.iter().map(|(n, _)| n.clone())).collect();
        Ok(ExportReport {
            path: dest.to_path_buf(),
            format: if is_zip { "zip" } else { "folder" }.into(),
            takes,
            files: names,
            bytes,
            missing,
            warnings,
        })
    }

    /// Why a rehearsal's session WAV cannot be exported, or None when it is a sound WAV.
    fn session_wav_problem(&self, s: &RehearsalSession, wav: &Path) -> Option<String> {
        if s.wav_path.is_empty() {
            return Some(format!("session {} has no recording", s.id));
        }
        let unfinished =
            if s.status == "running" { " (the session is still running or was not recovered: run `rehearse-cli recover`)" } else { "" };
        let mut f = match File::open(wav) {
            Ok(f) => f,
            Err(e) => return Some(format!("the recording of session {} ({}) cannot be read: {e}{unfinished}", s.id, wav.display())),
        };
        match f.metadata() {
            Ok(m) if m.is_file() => {}
            _ => return Some(format!("the recording of session {} ({}) is not a regular file", s.id, wav.display())),
        }
        match read_layout(&mut f, wav) {
            Ok(_) => None,
            Err(e) => Some(format!("the recording of session {} ({}) is not a readable WAV: {e}", s.id, wav.display())),
        }
    }
}

/// The session recording's name inside an export.
const SESSION_WAV: &str = "session.wav";

/// Writes `files` (copied from disk) then `texts` into a new zip.
fn write_session_zip(
    dest: &Path,
    overwrite: bool,
    files: &[(String, PathBuf)],
    texts: &[(String, String)],
    track: impl Fn(&Path) -> Option<Staging>,
) -> Result<u64> {
    use zip::write::SimpleFileOptions;
    let mut out = AtomicFile::create(dest, overwrite)?;
    let _staging = track(out.temp_path());
    let file = out.file().try_clone().map_err(|e| CoreError::io("write", dest, e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::with_capacity(COPY_BUF, file));
    let zerr = |e: zip::result::ZipError| CoreError::io("write", dest, std::io::Error::other(e));
    // PCM barely compresses: WAVs are stored, which keeps exports fast.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).unix_permissions(0o644);
    let mut bytes = 0;
    for (name, src) in files {
        let mut f = File::open(src).map_err(|e| CoreError::io("read", src, e))?;
        let size = f.metadata().map_err(|e| CoreError::io("read", src, e))?.len();
        zip.start_file(name.as_str(), stored.large_file(size >= u32::MAX as u64)).map_err(zerr)?;
        bytes += copy_stream(&mut f, &mut zip, |_| {}).map_err(|e| CoreError::io("write", dest, e))?;
    }
    for (name, text) in texts {
        zip.start_file(name.as_str(), SimpleFileOptions::default().unix_permissions(0o644)).map_err(zerr)?;
        zip.write_all(text.as_bytes()).map_err(|e| CoreError::io("write", dest, e))?;
        bytes += text.len() as u64;
    }
    let buf = zip.finish().map_err(zerr)?;
    buf.into_inner().map_err(|e| CoreError::io("write", dest, e.into_error()))?;
    out.commit()?;
    Ok(bytes)
}

/// A new folder, built under a temporary name beside `dest` and renamed into place.
fn write_session_folder(
    dest: &Path,
    files: &[(String, PathBuf)],
    texts: &[(String, String)],
    track: impl Fn(&Path) -> Option<Staging>,
) -> Result<u64> {
    check_parent(dest)?;
    if std::fs::symlink_metadata(dest).is_ok() {
        return Err(CoreError::DestinationExists { path: dest.to_path_buf() });
    }
    let tmp = temp_beside(dest);
    let _staging = track(&tmp);
    std::fs::create_dir(&tmp).map_err(|e| CoreError::io("create folder", dest, e))?;
    let result = (|| {
        let mut bytes = 0;
        for (name, src) in files {
            let to = tmp.join(name);
            let mut out = File::create(&to).map_err(|e| CoreError::io("write", &to, e))?;
            let mut f = File::open(src).map_err(|e| CoreError::io("read", src, e))?;
            bytes += std::io::copy(&mut f, &mut out).map_err(|e| CoreError::io("write", &to, e))?;
            out.sync_all().map_err(|e| CoreError::io("write", &to, e))?;
        }
        for (name, text) in texts {
            let to = tmp.join(name);
            let mut out = File::create(&to).map_err(|e| CoreError::io("write", &to, e))?;
            out.write_all(text.as_bytes()).and_then(|_| out.sync_all()).map_err(|e| CoreError::io("write", &to, e))?;
            bytes += text.len() as u64;
        }
        if let Ok(d) = File::open(&tmp) {
            let _ = d.sync_all();
        }
        if std::fs::symlink_metadata(dest).is_ok() {
            return Err(CoreError::DestinationExists { path: dest.to_path_buf() });
        }
        std::fs::rename(&tmp, dest).map_err(|e| CoreError::io("write", dest, e))?;
        sync_parent(dest);
        Ok(bytes)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Order, PracticeOptions};
    use std::io::Read;

    /// A real 16-bit WAV with a tone, in place of the take's placeholder file.
    fn write_wav(path: &Path, frames: u32) {
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(path, spec).expect("wav");
        for i in 0..frames {
            w.write_sample(((i as f64 * 0.05).sin() * 9000.0) as i16).expect("sample");
        }
        w.finalize().expect("finalize");
    }

    fn take_with_wav(lib: &mut Library, q: &str, session: Option<i64>, frames: u32) -> TakeId {
        let id = lib.commit_test_take(q, session, frames as u64);
        let path = lib.take_path(&lib.take(id).expect("take")).expect("path");
        write_wav(&path, frames);
        id
    }

    #[test]
    fn names_are_sanitized_never_raw_user_text() {
        assert_eq!(sanitize_name("db.ora-01555"), "db.ora-01555");
        assert_eq!(sanitize_name("../../etc/passwd"), "etc-passwd");
        assert_eq!(sanitize_name("a/b\\c:d*e"), "a-b-c-d-e");
        assert_eq!(sanitize_name("..."), "take");
        assert_eq!(sanitize_name("질문 🎤"), "take");
        assert!(sanitize_name(&"x".repeat(300)).len() <= 64);
        assert!(!sanitize_name(".hidden..x").starts_with('.') && !sanitize_name(".hidden..x").contains(".."));
    }

    #[test]
    fn a_take_is_exported_bit_for_bit_to_odd_names_and_not_over_an_existing_file() {
        let (dir, mut lib) = Library::open_temp();
        let id = take_with_wav(&mut lib, "db.deadlock", None, 30_000);
        let src = std::fs::read(lib.take_path(&lib.take(id).expect("take")).expect("path")).expect("src");
        for name in ["my answer.wav", "면접 답변.wav", "🎤 take.wav"] {
            let dest = dir.path().join(name);
            assert_eq!(lib.export_take(id, &dest, false).expect("export"), dest);
            assert_eq!(std::fs::read(&dest).expect("read"), src, "{name}");
        }
        // Refused without the flag (the file is untouched), replaced with it.
        let dest = dir.path().join("my answer.wav");
        std::fs::write(&dest, b"precious").expect("write");
        let err = lib.export_take(id, &dest, false).expect_err("exists");
        assert_eq!(err.kind(), "destination_exists");
        assert!(err.to_string().contains("my answer.wav"), "{err}");
        assert_eq!(std::fs::read(&dest).expect("read"), b"precious");
        lib.export_take(id, &dest, true).expect("overwrite");
        assert_eq!(std::fs::read(&dest).expect("read"), src);
        // A folder gets a readable file name inside it.
        let p = lib.export_take(id, dir.path(), false).expect("into folder");
        assert_eq!(p.file_name().and_then(|n| n.to_str()), Some(format!("take-{id}-db.deadlock.wav").as_str()));
        // No temporary files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn exporting_an_unknown_missing_or_damaged_take_or_to_an_unwritable_place_is_a_clear_error() {
        let (dir, mut lib) = Library::open_temp();
        let dest = dir.path().join("out.wav");
        assert_eq!(lib.export_take(TakeId(999), &dest, false).expect_err("unknown").kind(), "unknown_take");
        let id = take_with_wav(&mut lib, "db.deadlock", None, 30_000);
        let path = lib.take_path(&lib.take(id).expect("take")).expect("path");
        // Truncated: shorter than the header says.
        let full = std::fs::read(&path).expect("read");
        std::fs::write(&path, &full[..full.len() / 2]).expect("truncate");
        let err = lib.export_take(id, &dest, false).expect_err("damaged");
        assert!(err.to_string().contains("shorter than its header says"), "{err}");
        std::fs::remove_file(&path).expect("remove");
        let err = lib.export_take(id, &dest, false).expect_err("missing");
        assert!(err.to_string().contains("cannot be read"), "{err}");
        assert!(!dest.exists());
        std::fs::write(&path, &full).expect("restore");
        let err = lib.export_take(id, &dir.path().join("no-such-folder/out.wav"), false).expect_err("no folder");
        assert!(err.to_string().contains("no-such-folder"), "{err}");
        assert_eq!(err.kind(), "io");
    }

    fn session_with_takes(lib: &mut Library) -> (i64, Vec<TakeId>) {
        let opts = PracticeOptions {
            deck_id: "databases".into(),
            category: None,
            tag: None,
            count: 2,
            order: Order::InOrder,
            language: "en".into(),
            overtime: false,
            seed: None,
        };
        let s = lib.start_session(opts).expect("session");
        let (q1, q2) = (s.questions[0].id.to_string(), s.questions[1].id.to_string());
        let ids = vec![
            take_with_wav(lib, &q1, Some(s.id), 24_000),
            take_with_wav(lib, &q1, Some(s.id), 12_000),
            take_with_wav(lib, &q2, Some(s.id), 6_000),
        ];
        lib.set_note(ids[0], "<script>alert(1)</script>").expect("note");
        (s.id, ids)
    }

    #[test]
    fn a_session_exports_to_a_zip_with_its_wavs_and_an_escaped_report() {
        let (dir, mut lib) = Library::open_temp();
        let (sid, ids) = session_with_takes(&mut lib);
        let q1 = lib.take(ids[0]).expect("t").question_id;
        let dest = dir.path().join("세션 export.zip");
        let r = lib.export_session(sid, &dest, false).expect("export");
        assert_eq!((r.takes, r.format.as_str(), r.missing.len()), (3, "zip", 0));
        let mut zip = zip::ZipArchive::new(File::open(&dest).expect("open")).expect("zip");
        let mut names: Vec<String> = zip.file_names().map(String::from).collect();
        names.sort();
        let q2 = lib.take(ids[2]).expect("t").question_id;
        assert_eq!(
            names,
            vec![format!("01-{q1}-take1.wav"), format!("01-{q1}-take2.wav"), format!("02-{q2}-take1.wav"), "report.html".into()]
        );
        let mut wav = vec![];
        zip.by_name(&format!("01-{q1}-take2.wav")).expect("entry").read_to_end(&mut wav).expect("read");
        assert_eq!(wav, std::fs::read(lib.take_path(&lib.take(ids[1]).expect("t")).expect("path")).expect("src"));
        let mut html = String::new();
        zip.by_name("report.html").expect("report").read_to_string(&mut html).expect("read");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script"), "{html}");
        assert!(html.contains(&format!("src=\"01-{q1}-take1.wav\"")), "{html}");
        assert!(html.contains("first word at"), "metrics missing: {html}");
        // Again: refused, nothing changed.
        let before = std::fs::read(&dest).expect("read");
        assert_eq!(lib.export_session(sid, &dest, false).expect_err("exists").kind(), "destination_exists");
        assert_eq!(std::fs::read(&dest).expect("read"), before);
    }

    #[test]
    fn a_session_exports_to_a_new_folder_and_notes_a_missing_take() {
        let (dir, mut lib) = Library::open_temp();
        let (sid, ids) = session_with_takes(&mut lib);
        std::fs::remove_file(lib.take_path(&lib.take(ids[2]).expect("t")).expect("path")).expect("remove");
        let dest = dir.path().join("session one");
        let r = lib.export_session(sid, &dest, false).expect("export");
        assert_eq!((r.takes, r.format.as_str()), (2, "folder"));
        assert_eq!(r.missing.iter().map(|m| m.0).collect::<Vec<_>>(), vec![ids[2]]);
        let mut names: Vec<String> =
            std::fs::read_dir(&dest).expect("dir").map(|e| e.expect("e").file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        let html = std::fs::read_to_string(dest.join("report.html")).expect("html");
        assert!(html.contains("Audio not available"), "{html}");
        assert_eq!(lib.export_session(sid, &dest, false).expect_err("exists").kind(), "destination_exists");
        assert_eq!(lib.export_session(77, &dir.path().join("x.zip"), false).expect_err("unknown").kind(), "unknown_session");
        assert!(!dir.path().join("x.zip").exists());
    }

    fn zip_names(path: &Path) -> Vec<String> {
        let zip = zip::ZipArchive::new(File::open(path).expect("open")).expect("zip");
        zip.file_names().map(String::from).collect()
    }

    fn zip_entry(path: &Path, name: &str) -> Vec<u8> {
        let mut zip = zip::ZipArchive::new(File::open(path).expect("open")).expect("zip");
        let mut out = vec![];
        zip.by_name(name).expect("entry").read_to_end(&mut out).expect("read");
        out
    }

    #[test]
    fn a_rehearsal_exports_its_recording_cue_sheet_takes_and_a_rehearsal_report() {
        let (dir, mut lib) = Library::open_temp();
        let (id, takes) = crate::report::tests::recorded_rehearsal(&mut lib, "en");
        lib.set_note(takes[0], "<img src=x onerror=alert(1)> http://example.com").expect("note");
        let dest = dir.path().join("call export.zip");
        let r = lib.export_session(id, &dest, false).expect("export");
        let want: Vec<String> = [
            "01-db.deadlock-take1.wav",
            "02-db.ora-01555-take1.wav",
            "02-db.ora-01555-take2.wav",
            "03-call.intro-take1.wav",
            "session.wav",
            "session.cue",
            "report.html",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!((r.files.clone(), r.takes, r.format.as_str(), r.missing.len(), r.warnings.len()), (want.clone(), 4, "zip", 0, 0));
        let mut names = zip_names(&dest);
        names.sort();
        let mut sorted = want.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // The session recording bit for bit (cue chunks included), every take as it is.
        let s = lib.rehearsal(id).expect("session");
        let source = std::fs::read(lib.data_dir().stored_file(&s.wav_path).expect("path")).expect("session wav");
        assert_eq!(zip_entry(&dest, "session.wav"), source);
        assert_eq!(
            zip_entry(&dest, "02-db.ora-01555-take2.wav"),
            std::fs::read(lib.take_path(&lib.take(takes[2]).expect("t")).expect("path")).expect("take")
        );
        let cue = String::from_utf8(zip_entry(&dest, "session.cue")).expect("utf-8");
        assert_eq!(
            cue,
            lib.cue_sheet(id).expect("cue").replace(
                &format!("FILE \"{}\"", Path::new(&s.wav_path).file_name().and_then(|n| n.to_str()).expect("name")),
                "FILE \"session.wav\""
            )
        );
        assert_eq!(cue.matches("TRACK ").count(), 4, "{cue}");
        let html = String::from_utf8(zip_entry(&dest, "report.html")).expect("utf-8");
        // Every marker's time links into the recording at its second.
        for m in lib.markers(id).expect("markers") {
            let ms = m.sample_offset * 1000 / crate::report::tests::CALL_RATE as u64;
            let link =
                format!("<a class=\"at\" href=\"session.wav#t={}.{:03}\">0:00:{:02}.{:03}</a>", ms / 1000, ms % 1000, ms / 1000, ms % 1000);
            assert!(html.contains(&link), "{link}: {html}");
        }
        assert!(html.contains("<audio controls preload=\"none\" src=\"session.wav\"></audio>"), "{html}");
        for name in &want[..4] {
            assert!(html.contains(&format!("src=\"{name}\"")), "{name}: {html}");
        }
        assert!(
            html.contains("<h2>1. Tech &lt;b&gt;</h2>") && html.contains("<h2>2. Principles</h2>") && html.contains("over the limit"),
            "{html}"
        );
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("<img") && !lower.contains("<link"), "{html}");
        // The only network address is the user's own note, as text (`http-equiv` is the
        // page's own Content-Security-Policy, which forbids any network use).
        assert_eq!(
            (lower.matches("http:").count(), lower.matches("https:").count(), lower.matches("src=\"http").count()),
            (1, 0, 0),
            "{html}"
        );
    }

    #[test]
    fn a_rehearsal_without_its_recording_still_exports_the_rest_and_says_so() {
        let (dir, mut lib) = Library::open_temp();
        let (id, _) = crate::report::tests::recorded_rehearsal(&mut lib, "ko");
        let s = lib.rehearsal(id).expect("session");
        std::fs::remove_file(lib.data_dir().stored_file(&s.wav_path).expect("path")).expect("remove");
        let dest = dir.path().join("세션");
        let r = lib.export_session(id, &dest, false).expect("export");
        assert_eq!(r.files.iter().filter(|n| n.ends_with("-take1.wav") || n.ends_with("-take2.wav")).count(), 4);
        assert!(!r.files.contains(&"session.wav".to_string()) && r.files.contains(&"session.cue".to_string()), "{:?}", r.files);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains(&s.wav_path), "{:?}", r.warnings);
        let mut on_disk: Vec<String> =
            std::fs::read_dir(&dest).expect("dir").map(|e| e.expect("e").file_name().to_string_lossy().into_owned()).collect();
        on_disk.sort();
        let mut listed = r.files.clone();
        listed.sort();
        assert_eq!(on_disk, listed);
        let html = std::fs::read_to_string(dest.join("report.html")).expect("html");
        assert!(html.contains("세션 녹음 없음") && html.contains("<html lang=\"ko\">"), "{html}");
        assert!(!html.contains("session.wav#t="), "no links to a recording that is not there: {html}");
        assert!(html.contains("<td class=\"t\">0:00:09.500</td>"), "{html}");
    }
}
