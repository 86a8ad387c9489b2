//! Timed video-call rehearsals, the part without audio: templates in the library (import,
//! export, built-ins), the plan of a session (which questions, who asks, which probes),
//! the session row and its markers (sample offsets into the one session WAV), and the
//! takes cut from that WAV for each question and probe. The driver that runs the clock,
//! the voices and the microphone lives in the rehearse-engine crate.
//!
//! Over 500 lines: the plan of a call and the takes cut from its session WAV share the markers and
//! are read together (about 530 lines of code, the rest tests).
//!
//! Length: the code is about 530 lines (templates, the plan, markers, the report rows) that
//! share the plan's types; the rest is its unit tests.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{echo, CoreError, Result};
use crate::library::{Library, RecordedTake};
pub use crate::model::markers::{Marker, MarkerKind, RehearsalSession, TemplateSummary};
use crate::model::{DeckId, QuestionId, Take};
use crate::session::PracticeOptions;
use crate::session_wav::read_layout;
use crate::storage::takes::NewTake;
use crate::template::{builtin_templates, parse_template, read_template_file, template_to_toml, FollowUpWhen, Speaker, TemplateFile};

/// Probes used when neither the question nor the template has enough (question-bank.md).
const DEFAULT_GENERAL_PROBES: [(&str, [&str; 6]); 2] = [
    (
        "en",
        [
            "What exactly did you do?",
            "What data did you look at?",
            "What was the measurable result?",
            "What pushback did you get?",
            "What would you do differently?",
            "Give me another example.",
        ],
    ),
    (
        "ko",
        [
            "구체적으로 본인은 무엇을 했나요?",
            "어떤 데이터를 보셨나요?",
            "측정 가능한 결과는 무엇이었나요?",
            "어떤 반대에 부딪혔나요?",
            "다시 한다면 무엇을 다르게 하겠습니까?",
            "다른 사례도 하나 들어 주세요.",
        ],
    ),
];

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct TemplateImportReport {
    pub template_id: String,
    /// False when an existing template was replaced.
    pub created: bool,
    pub segments: usize,
}

/// The setting ("true" or "false", unset: false) that lets calls be paused: a real call
/// has no pause button, so it is off unless the user turns it on.
pub const CALL_ALLOW_PAUSE: &str = crate::settings::Setting::CallAllowPause.key();

/// How a rehearsal is asked for.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RehearsalOptions {
    pub template_id: String,
    /// "en" or "ko": the language the interviewers speak.
    pub language: String,
    /// Seed for shuffled draws and the choice of general probes.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The session may be paused (off by default: a real call has no pause button).
    #[serde(default)]
    pub allow_pause: bool,
}

/// A session ready to run: every question drawn, every speaker and probe chosen.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalPlan {
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub segments: Vec<PlannedSegment>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct PlannedSegment {
    pub id: String,
    pub name: String,
    pub length_secs: u32,
    pub think_secs: u32,
    pub answer_secs: u32,
    pub probe_answer_secs: u32,
    pub questions: Vec<PlannedQuestion>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct PlannedQuestion {
    pub question_id: QuestionId,
    pub category: String,
    pub text: String,
    pub speaker: Speaker,
    pub probes: Vec<String>,
}

/// A question or probe as the markers describe it: the stretch of the session WAV that
/// becomes its take.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakeSpan {
    pub probe: bool,
    pub question_id: String,
    pub label: String,
    pub start_marker: i64,
    pub end_marker: Option<i64>,
    pub start: u64,
    /// None while it is still being asked or answered (or when the session was killed).
    pub end: Option<u64>,
    /// For a probe: the start marker of the question it follows.
    pub parent_marker: Option<i64>,
    /// The take already cut for it, if any.
    pub take_id: Option<i64>,
    /// Where its answer clock started (its `answer_start` marker); None when the asking
    /// took all its time, or for sessions recorded before these markers existed.
    pub answer_start: Option<u64>,
}

/// A session with everything recorded in it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalDetail {
    pub session: RehearsalSession,
    pub markers: Vec<Marker>,
    pub takes: Vec<Take>,
}

/// Pairs start and end markers into the spans of questions and probes, in order.
pub fn take_spans(markers: &[Marker]) -> Vec<TakeSpan> {
    let mut spans: Vec<TakeSpan> = vec![];
    let mut last_question: Option<i64> = None;
    for m in markers {
        match m.kind {
            MarkerKind::QuestionStart | MarkerKind::ProbeStart => {
                let probe = m.kind == MarkerKind::ProbeStart;
                if !probe {
                    last_question = Some(m.id);
                }
                spans.push(TakeSpan {
                    probe,
                    question_id: m.question_id.clone().unwrap_or_default(),
                    label: m.label.clone(),
                    start_marker: m.id,
                    end_marker: None,
                    start: m.sample_offset,
                    end: None,
                    parent_marker: if probe { last_question } else { None },
                    take_id: m.take_id,
                    answer_start: None,
                });
            }
            MarkerKind::AnswerStart => {
                if let Some(s) = spans.last_mut().filter(|s| s.end.is_none()) {
                    s.answer_start = Some(m.sample_offset.max(s.start));
                }
            }
            MarkerKind::QuestionEnd | MarkerKind::ProbeEnd => {
                let probe = m.kind == MarkerKind::ProbeEnd;
                if let Some(s) = spans.iter_mut().rev().find(|s| s.probe == probe && s.end.is_none()) {
                    s.end = Some(m.sample_offset.max(s.start));
                    s.end_marker = Some(m.id);
                }
            }
            _ => {}
        }
    }
    spans
}

pub(crate) use crate::datadir::layout::partial_of;

/// RFC 3339 `base` plus `ms`, in the stored format.
fn time_plus(base: &str, ms: u64) -> String {
    match time::OffsetDateTime::parse(base, &time::format_description::well_known::Rfc3339) {
        Ok(t) => crate::time_fmt::format_utc(t + time::Duration::milliseconds(ms as i64)),
        Err(_) => base.to_string(),
    }
}

/// One Fisher-Yates-free rotation: enough to vary general probes with the seed.
fn rotate<T: Clone>(items: &[T], by: u64) -> Vec<T> {
    if items.is_empty() {
        return vec![];
    }
    let k = (by % items.len() as u64) as usize;
    items[k..].iter().chain(&items[..k]).cloned().collect()
}

impl Library {
    pub fn templates(&self) -> Result<Vec<TemplateSummary>> {
        self.storage_ref().templates()
    }

    pub fn template(&self, id: &str) -> Result<TemplateFile> {
        self.storage_ref().template(id)?.ok_or_else(|| CoreError::InvalidTemplate {
            file: id.to_string(),
            message: "no template with this id (run `rehearse-cli template list`)".into(),
        })
    }

    /// Validates a template file against the library without changing anything.
    pub fn validate_template(&self, path: &Path) -> Result<TemplateFile> {
        let t = read_template_file(path)?;
        self.check_template(&path.display().to_string(), t)
    }

    /// Checks a template beyond its format: not a built-in id, and every draw finds questions.
    fn check_template(&self, file: &str, t: TemplateFile) -> Result<TemplateFile> {
        let file = file.to_string();
        let invalid = |message: String| CoreError::InvalidTemplate { file: file.clone(), message };
        if builtin_templates().iter().filter_map(|(f, s)| parse_template(f, s).ok()).any(|b| b.template.id == t.template.id) {
            return Err(invalid(format!("template.id \"{}\" is a built-in template; give your template another id", t.template.id)));
        }
        self.check_draws(&t).map_err(invalid)?;
        Ok(t)
    }

    /// Every segment must draw at least one question that exists.
    fn check_draws(&self, t: &TemplateFile) -> std::result::Result<(), String> {
        let decks = self.decks().map_err(|e| e.to_string())?;
        for (i, s) in t.segments.iter().enumerate() {
            let at = format!("segment {} (id {:?})", i + 1, echo(&s.id));
            for id in &s.questions.ids {
                if self.storage_ref().question(&QuestionId(id.clone())).map_err(|e| e.to_string())?.is_none() {
                    return Err(format!("{at}: question \"{}\" is not in any deck", echo(id)));
                }
            }
            if let Some(deck) = &s.questions.deck {
                if !decks.iter().any(|d| d.id.as_str() == deck) {
                    return Err(format!("{at}: questions.deck \"{}\" is not a deck (run `rehearse-cli deck list`)", echo(deck)));
                }
                let o = self.draw_options(s, deck, "en", None);
                if self.select_questions(&o).map_err(|e| e.to_string())?.is_empty() {
                    return Err(format!("{at}: no question of deck \"{}\" matches its category and tag", echo(deck)));
                }
            }
        }
        Ok(())
    }

    fn draw_options(&self, s: &crate::template::SegmentDef, deck: &str, language: &str, seed: Option<u64>) -> PracticeOptions {
        let q = &s.questions;
        PracticeOptions {
            deck_id: DeckId(deck.to_string()),
            category: q.category.clone(),
            tag: q.tag.clone(),
            count: q.count,
            order: q.order,
            language: language.to_string(),
            overtime: false,
            seed,
        }
    }

    /// Imports (or replaces) a template: validated in full, then written in one statement.
    pub fn import_template(&mut self, path: &Path) -> Result<TemplateImportReport> {
        let t = self.validate_template(path)?;
        let created = self.storage_ref().template(&t.template.id)?.is_none();
        self.storage().upsert_template(&t, false)?;
        Ok(TemplateImportReport { template_id: t.template.id.clone(), created, segments: t.segments.len() })
    }

    /// Imports (or replaces) a template given as text (the in-app editor), with the same
    /// validation as a file; `label` names it in errors.
    pub fn import_template_text(&mut self, label: &str, text: &str) -> Result<TemplateImportReport> {
        if text.len() as u64 > crate::deck::MAX_FILE_BYTES {
            return Err(CoreError::InvalidTemplate {
                file: label.to_string(),
                message: format!("is {} bytes; templates are limited to {} bytes", text.len(), crate::deck::MAX_FILE_BYTES),
            });
        }
        let t = self.check_template(label, crate::template::parse_template(label, text)?)?;
        let created = self.storage_ref().template(&t.template.id)?.is_none();
        self.storage().upsert_template(&t, false)?;
        Ok(TemplateImportReport { template_id: t.template.id.clone(), created, segments: t.segments.len() })
    }

    /// A template in the file format, for editing.
    pub fn template_text(&self, id: &str) -> Result<String> {
        Ok(template_to_toml(&self.template(id)?))
    }

    /// Writes a template in the file format (a temporary file, then a rename).
    pub fn export_template(&self, id: &str, path: &Path) -> Result<()> {
        let t = self.template(id)?;
        let text = format!(
            "# Rehearse rehearsal template \"{}\", exported {}\n{}",
            t.template.id,
            crate::time_fmt::now_rfc3339(),
            template_to_toml(&t)
        );
        // Through the exports' one check: only a regular file is replaced.
        let mut out = crate::datadir::files::AtomicFile::create(path, true)?;
        std::io::Write::write_all(out.file(), text.as_bytes()).map_err(|e| CoreError::io("write", path, e))?;
        out.commit().map(drop)
    }

    /// Draws the questions and probes of a session.
    pub fn plan_rehearsal(&self, o: &RehearsalOptions) -> Result<RehearsalPlan> {
        let t = self.template(&o.template_id)?;
        let lang = o.language.as_str();
        let seed = o.seed.unwrap_or_else(|| uuid::Uuid::now_v7().as_u64_pair().1);
        let general: Vec<String> = t
            .general_probes
            .get(lang)
            .cloned()
            .or_else(|| DEFAULT_GENERAL_PROBES.iter().find(|(l, _)| *l == lang).map(|(_, p)| p.iter().map(|s| s.to_string()).collect()))
            .unwrap_or_else(|| DEFAULT_GENERAL_PROBES[0].1.iter().map(|s| s.to_string()).collect());
        let invalid = |message: String| CoreError::InvalidTemplate { file: t.template.id.clone(), message };
        let mut segments = vec![];
        let mut asked = 0u64;
        for (i, s) in t.segments.iter().enumerate() {
            let questions = match &s.questions.deck {
                Some(deck) => self.select_questions(&self.draw_options(s, deck, lang, Some(seed.wrapping_add(i as u64))))?,
                None => s
                    .questions
                    .ids
                    .iter()
                    .map(|id| {
                        self.storage_ref()
                            .question(&QuestionId(id.clone()))?
                            .ok_or_else(|| invalid(format!("segment \"{}\": question \"{}\" is not in any deck", echo(&s.id), echo(id))))
                    })
                    .collect::<Result<Vec<_>>>()?,
            };
            let planned = questions
                .into_iter()
                .enumerate()
                .map(|(n, q)| {
                    let wants = match s.follow_ups.when {
                        FollowUpWhen::Never => false,
                        FollowUpWhen::Always => true,
                        FollowUpWhen::Behavioural => q.category == "behavioural",
                    };
                    let mut probes: Vec<String> = vec![];
                    if wants {
                        let own = q.probes.get(lang).or_else(|| q.probes.get("en")).cloned().unwrap_or_default();
                        for p in own.into_iter().chain(rotate(&general, seed.wrapping_add(asked))) {
                            if probes.len() as u32 >= s.follow_ups.count {
                                break;
                            }
                            if !probes.contains(&p) {
                                probes.push(p);
                            }
                        }
                    }
                    asked += 1;
                    PlannedQuestion {
                        text: q.text_in(lang).to_string(),
                        category: q.category.clone(),
                        question_id: q.id,
                        speaker: s.interviewer.speaker_for(n),
                        probes,
                    }
                })
                .collect();
            segments.push(PlannedSegment {
                id: s.id.clone(),
                name: s.name_in(lang).to_string(),
                length_secs: s.length_secs,
                think_secs: s.think_secs,
                answer_secs: s.answer_secs,
                probe_answer_secs: s.probe_answer_secs,
                questions: planned,
            });
        }
        Ok(RehearsalPlan {
            template_id: t.template.id.clone(),
            template_name: t.name_in(lang).to_string(),
            language: o.language.clone(),
            segments,
        })
    }

    /// Records a new session (status "running") and decides its WAV file:
    /// `sessions/<generated id>.wav`, never built from user text. Returns (id, absolute path).
    /// Like a take, refused while an import or export of everything runs; the data folder
    /// stays locked for it until it is finished or abandoned.
    pub fn start_rehearsal(&mut self, o: &RehearsalOptions) -> Result<(i64, PathBuf)> {
        self.template(&o.template_id)?;
        let hold = self.data_dir().lock_for_recording()?;
        let dir = self.data_dir().sessions_dir();
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::io("create", &dir, e))?;
        let relative = format!("sessions/{}.wav", uuid::Uuid::now_v7().simple());
        let options = serde_json::to_string(o).unwrap_or_default();
        let id = self.storage().insert_rehearsal(&o.template_id, &o.language, &options, &relative)?;
        self.hold_for_rehearsal(id, Some(hold));
        Ok((id, self.data_dir().stored_file(&relative)?))
    }

    /// Whether calls may be paused (the [`CALL_ALLOW_PAUSE`] setting; off unless set).
    pub fn call_allow_pause(&self) -> Result<bool> {
        self.is_on(crate::settings::Setting::CallAllowPause)
    }

    pub fn set_rehearsal_capture(&mut self, id: i64, sample_rate: u32) -> Result<()> {
        self.storage().set_rehearsal_capture(id, sample_rate)
    }

    /// Forgets a session that recorded nothing (the microphone could not be opened).
    pub fn abandon_rehearsal(&mut self, id: i64) -> Result<()> {
        let s = self.rehearsal(id)?;
        let path = self.data_dir().stored_file(&s.wav_path)?;
        for p in [partial_of(&path), path] {
            let _ = std::fs::remove_file(p);
        }
        self.hold_for_rehearsal(id, None);
        self.storage().delete_rehearsal(id)
    }

    pub fn finish_rehearsal(&mut self, id: i64, frames: u64, sample_rate: u32, status: &str) -> Result<()> {
        self.hold_for_rehearsal(id, None);
        self.storage().finish_rehearsal(id, frames, sample_rate, status)
    }

    pub fn add_marker(&mut self, session: i64, kind: MarkerKind, label: &str, question: Option<&str>, offset: u64) -> Result<Marker> {
        self.storage().insert_marker(session, kind, label, question, offset)
    }

    pub fn rehearsal(&self, id: i64) -> Result<RehearsalSession> {
        self.storage_ref().rehearsal(id)
    }

    pub fn rehearsals(&self) -> Result<Vec<RehearsalSession>> {
        self.storage_ref().rehearsals()
    }

    pub fn markers(&self, session: i64) -> Result<Vec<Marker>> {
        self.storage_ref().markers(session)
    }

    pub fn rehearsal_detail(&self, id: i64) -> Result<RehearsalDetail> {
        Ok(RehearsalDetail { session: self.rehearsal(id)?, markers: self.markers(id)?, takes: self.storage_ref().session_takes(id)? })
    }

    /// Absolute path of the session WAV (or of its partial file while it is written).
    pub fn rehearsal_wav(&self, s: &RehearsalSession) -> Result<PathBuf> {
        let path = self.data_dir().stored_file(&s.wav_path)?;
        let partial = partial_of(&path);
        Ok(if !path.exists() && partial.exists() { partial } else { path })
    }

    /// Cuts the take of one question or probe out of the session WAV (frames `span.start`
    /// to `end`), writes it like a practice take (partial name, finalize, sync, rename,
    /// sidecar) and indexes it linked to its session, markers and parent question.
    /// Returns None while those frames have not reached the disk yet.
    pub fn cut_span(&mut self, s: &RehearsalSession, span: &TakeSpan, end: u64, device: &str, status: &str) -> Result<Option<Take>> {
        let source = self.rehearsal_wav(s)?;
        // The recorder renames its partial file when it finishes: a file gone between
        // choosing and opening it is simply not ready yet.
        let mut f = match std::fs::File::open(&source) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io("read", &source, e)),
        };
        let layout = read_layout(&mut f, &source).map_err(|e| CoreError::io("read", &source, e))?;
        if layout.frames_on_disk < end {
            return Ok(None);
        }
        let start = span.start.min(end);
        let mut plan = self.plan_take_in(&QuestionId(span.question_id.clone()), Some(s.id))?;
        plan.started_at = time_plus(&s.started_at, start * 1000 / layout.sample_rate.max(1) as u64);
        self.note_capture(&plan, device, layout.sample_rate)?;
        let partial = partial_of(&plan.path);
        let written = (|| -> std::io::Result<()> {
            f.seek(SeekFrom::Start(layout.data_offset + start * layout.block_align as u64))?;
            let mut bytes = vec![0u8; ((end - start) * layout.block_align as u64) as usize];
            f.read_exact(&mut bytes)?;
            let samples: Vec<i16> = bytes.chunks_exact(2).map(|pair| i16::from_le_bytes([pair[0], pair[1]])).collect();
            // The writer of every take (partial name, header, peaks, finalize, sync, rename).
            let mut w =
                rehearse_audio::TakeWriter::create(&plan.path, layout.sample_rate, layout.channels).map_err(std::io::Error::other)?;
            w.write(&samples).map_err(std::io::Error::other)?;
            w.finish().map_err(std::io::Error::other)?;
            Ok(())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            self.abandon_take(&plan);
            return Err(CoreError::io("cut a take from", &source, e));
        }
        let rec = RecordedTake {
            frames: end - start,
            sample_rate: layout.sample_rate,
            channels: layout.channels,
            dropped_frames: 0,
            device: device.to_string(),
            stop_reason: None,
            start_delay_ms: None,
            finalized: true,
        };
        let parent = match span.parent_marker {
            Some(m) => self.storage_ref().marker_take(m)?,
            None => None,
        };
        let markers: Vec<i64> = std::iter::once(span.start_marker).chain(span.end_marker).collect();
        let take = self.storage().insert_linked_take(
            &NewTake {
                question_id: &plan.question_id,
                started_at: &plan.started_at,
                duration_ms: rec.frames * 1000 / rec.sample_rate.max(1) as u64,
                sample_rate: rec.sample_rate,
                channels: rec.channels,
                file_path: &plan.relative_path,
                dropped_frames: 0,
                device,
                status,
                stop_reason: None,
                session_id: Some(s.id),
                start_delay_ms: None,
            },
            parent,
            span.probe.then_some(span.label.as_str()),
            &markers,
        )?;
        Ok(Some(take))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINE: &str = r#"format = 1
[template]
id = "mine"
name = { en = "Mine", ko = "내 템플릿 🎤" }

[[segments]]
id = "tech"
name = { en = "Tech", ko = "기술" }
interviewer = "B"
length_secs = 30
answer_secs = 10
follow_ups = { count = 1, when = "always" }
questions = { ids = ["db.deadlock", "db.ora-01555"] }

[[segments]]
id = "lp"
name = { en = "Principles" }
interviewer = "AB"
length_secs = 60
answer_secs = 20
probe_answer_secs = 5
follow_ups = { count = 2, when = "behavioural" }
questions = { deck = "leadership", category = "behavioural", count = 3, order = "shuffled" }
"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn the_builtin_template_is_loaded_and_plans_the_one_hour_call() {
        let (_d, lib) = Library::open_temp();
        let list = lib.templates().expect("list");
        assert_eq!(list.iter().map(|t| (t.id.as_str(), t.builtin)).collect::<Vec<_>>(), [("default", true)]);
        let plan = lib
            .plan_rehearsal(&RehearsalOptions { template_id: "default".into(), language: "ko".into(), seed: Some(1), allow_pause: false })
            .expect("plan");
        assert_eq!(plan.segments.len(), 5);
        assert_eq!(plan.segments[0].questions[0].question_id.as_str(), "call.intro");
        let lp = &plan.segments[3];
        assert_eq!(lp.questions.len(), 3);
        assert_eq!(lp.questions.iter().map(|q| q.speaker).collect::<Vec<_>>(), [Speaker::A, Speaker::B, Speaker::A]);
        assert!(lp.questions.iter().all(|q| q.probes.len() == 2 && q.category == "behavioural"));
        assert!(plan.segments[1].questions.iter().all(|q| q.probes.len() == 1 && q.speaker == Speaker::A));
        assert!(plan.segments[2].questions.iter().all(|q| q.speaker == Speaker::B));
        assert!(lp.questions[0].text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "Korean text");
    }

    #[test]
    fn an_exported_template_reimports_to_the_same_content() {
        let (dir, mut lib) = Library::open_temp();
        let file = write(dir.path(), "mine.toml", MINE);
        let r = lib.import_template(&file).expect("import");
        assert!(r.created && r.segments == 2);
        let out = dir.path().join("out.toml");
        lib.export_template("mine", &out).expect("export");
        assert_eq!(read_template_file(&out).expect("parses"), read_template_file(&file).expect("original"));
        let again = lib.import_template(&out).expect("re-import");
        assert!(!again.created);
        assert_eq!(lib.templates().expect("list").len(), 2);
    }

    #[test]
    fn a_bad_template_import_changes_nothing_and_names_the_problem() {
        let (dir, mut lib) = Library::open_temp();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("unknown-q.toml", MINE.replace("db.ora-01555", "db.nope").into_bytes(), "question \"db.nope\" is not in any deck"),
            ("unknown-deck.toml", MINE.replace("deck = \"leadership\"", "deck = \"nope\"").into_bytes(), "\"nope\" is not a deck"),
            ("empty-draw.toml", MINE.replace("category = \"behavioural\"", "category = \"none\"").into_bytes(), "no question of deck"),
            ("builtin.toml", MINE.replace("id = \"mine\"", "id = \"default\"").into_bytes(), "built-in"),
            ("latin1.toml", b"format = 1\n# caf\xe9\n".to_vec(), "line 2: not valid UTF-8"),
            ("neg.toml", MINE.replace("length_secs = 30", "length_secs = -30").into_bytes(), "length_secs"),
            ("slash.toml", MINE.replace("id = \"tech\"", "id = \"a/b\"").into_bytes(), "segment 1"),
        ];
        for (name, bytes, expect) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).expect("write");
            let err = lib.import_template(&p).expect_err(name);
            assert_eq!(err.kind(), "invalid_template");
            let err = err.to_string();
            assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        }
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 41 << 20]).expect("write");
        assert!(lib.import_template(&big).expect_err("big").to_string().contains("template files are limited to 40 MB"));
        assert_eq!(lib.templates().expect("list").len(), 1, "nothing was added");
        assert_eq!(lib.template("nope").expect_err("unknown").kind(), "invalid_template");
    }

    #[test]
    fn a_template_edited_as_text_is_validated_like_a_file_and_a_bad_edit_changes_nothing() {
        let (_dir, mut lib) = Library::open_temp();
        let r = lib.import_template_text("the template editor", MINE).expect("import");
        assert!(r.created && r.template_id == "mine");
        let text = lib.template_text("mine").expect("text");
        let edited = text.replace("length_secs = 30", "length_secs = 45");
        assert_ne!(edited, text, "the edit changes the segment length");
        let again = lib.import_template_text("the template editor", &edited).expect("save the edit");
        assert!(!again.created);
        assert_eq!(lib.template("mine").expect("stored").segments[0].length_secs, 45);
        for (bad, expect) in [
            (edited.replace("length_secs = 45", "length_secs = -1"), "length_secs"),
            (edited.replace("db.ora-01555", "db.nope"), "question \"db.nope\" is not in any deck"),
            ("this is not toml".to_string(), "the template editor"),
            (edited.replace("id = \"mine\"", "id = \"default\""), "built-in"),
        ] {
            let err = lib.import_template_text("the template editor", &bad).expect_err(expect);
            assert!(err.to_string().contains("the template editor") && err.to_string().contains(expect), "{err}");
        }
        assert_eq!(lib.template("mine").expect("unchanged").segments[0].length_secs, 45, "a bad edit changes nothing");
        assert_eq!(lib.templates().expect("list").len(), 2);
    }

    fn marker(lib: &mut Library, s: i64, kind: MarkerKind, label: &str, q: Option<&str>, at: u64) -> Marker {
        lib.add_marker(s, kind, label, q, at).expect("marker")
    }

    /// A session WAV of `frames` at 8 kHz whose sample n is n % 1000, left as a crash
    /// leaves it: under its partial name with header sizes 0.
    fn killed_session_wav(path: &Path, frames: u32) {
        let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(partial_of(path), spec).expect("create");
        (0..frames).for_each(|i| w.write_sample((i % 1000) as i16).expect("sample"));
        w.finalize().expect("finalize");
        let mut bytes = std::fs::read(partial_of(path)).expect("read");
        bytes[4..8].copy_from_slice(&0u32.to_le_bytes());
        bytes[40..44].copy_from_slice(&0u32.to_le_bytes());
        std::fs::write(partial_of(path), bytes).expect("write");
    }

    #[test]
    fn a_killed_session_is_recovered_with_its_markers_and_takes_cut_to_the_sample() {
        let (_d, mut lib) = Library::open_temp();
        let o = RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: Some(3), allow_pause: false };
        let (id, wav) = lib.start_rehearsal(&o).expect("start");
        lib.set_rehearsal_capture(id, 8000).expect("capture");
        marker(&mut lib, id, MarkerKind::SessionStart, "call", None, 0);
        marker(&mut lib, id, MarkerKind::SegmentStart, "Technical", None, 0);
        marker(&mut lib, id, MarkerKind::QuestionStart, "Deadlock?", Some("db.deadlock"), 100);
        marker(&mut lib, id, MarkerKind::QuestionEnd, "", Some("db.deadlock"), 4100);
        marker(&mut lib, id, MarkerKind::ProbeStart, "What exactly did you do?", Some("db.deadlock"), 4100);
        // killed here, 2.5 s into the session, while the probe was being answered
        killed_session_wav(&wav, 20_000);
        let report = lib.recover().expect("recover");
        assert_eq!(report.sessions.len(), 1, "{report:?}");
        assert_eq!((report.sessions[0].markers, report.sessions[0].takes), (5, 2));
        assert!(report.recovered.is_empty(), "cut takes are not indexed as ordinary leftovers");
        let d = lib.rehearsal_detail(id).expect("detail");
        assert_eq!((d.session.status.as_str(), d.session.frames), ("recovered", Some(20_000)));
        assert!(wav.exists() && !partial_of(&wav).exists());
        let kinds: Vec<&str> = d.markers.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["session_start", "segment_start", "question_start", "question_end", "probe_start", "probe_end", "segment_end", "session_end"]
        );
        assert!(d.markers[5..].iter().all(|m| m.sample_offset == 20_000 && m.label == "recovered"));
        let (q, p) = (&d.takes[0], &d.takes[1]);
        assert_eq!((q.duration_ms, q.parent_take_id, q.probe.as_deref()), (500, None, None));
        assert_eq!((p.duration_ms, p.parent_take_id, p.probe.as_deref()), (1987, Some(q.id.0), Some("What exactly did you do?")));
        assert_eq!(d.markers[2].take_id, Some(q.id.0));
        assert_eq!(d.markers[4].take_id, Some(p.id.0));
        let mut r = hound::WavReader::open(lib.take_path(q).expect("path")).expect("take");
        let samples: Vec<i16> = r.samples::<i16>().collect::<std::result::Result<_, _>>().expect("samples");
        assert_eq!(samples.len(), 4000);
        assert_eq!((samples[0], samples[3999]), (100, (4099 % 1000) as i16), "exact sample range");
        // The markers are in the WAV too, and every reader still sees the same samples.
        let (offsets, labels) = wav_cue_points(&wav);
        assert_eq!(offsets, d.markers.iter().map(|m| m.sample_offset as u32).collect::<Vec<_>>());
        assert_eq!(labels[2], "question_start: Deadlock?");
        assert_eq!(hound::WavReader::open(&wav).expect("wav").duration(), 20_000);
        // A second pass finds nothing left to do.
        assert!(lib.recover().expect("again").is_empty());
        assert_eq!(lib.write_wav_cues(&lib.rehearsal(id).expect("s")).expect("once"), 0, "cue points are written once");
    }

    #[test]
    fn a_story_picked_in_a_call_links_the_questions_take_even_when_the_call_is_killed_before_the_cut() {
        let (_d, mut lib) = Library::open_temp();
        let story = lib.add_story(crate::stories::tests::story("Batch", &["ownership"])).expect("story");
        let other = lib.add_story(crate::stories::tests::story("Other", &["ownership"])).expect("story");
        let o = RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: Some(3), allow_pause: false };
        let (id, wav) = lib.start_rehearsal(&o).expect("start");
        lib.set_rehearsal_capture(id, 8000).expect("capture");
        marker(&mut lib, id, MarkerKind::SessionStart, "call", None, 0);
        marker(&mut lib, id, MarkerKind::SegmentStart, "Principles", None, 0);
        let q = QuestionId("lp.unhappy-customer".into());
        // Not asked yet: nothing to pick for.
        assert_eq!(lib.pick_call_story(id, &q, Some(story.id)).expect_err("not asked").kind(), "unknown_question");
        marker(&mut lib, id, MarkerKind::QuestionStart, "An unhappy customer?", Some(&q.0), 100);
        lib.pick_call_story(id, &q, Some(other.id)).expect("pick");
        lib.pick_call_story(id, &q, Some(story.id)).expect("pick again: the last pick counts");
        marker(&mut lib, id, MarkerKind::ProbeStart, "What exactly did you do?", Some(&q.0), 4100);
        // killed here, during the probe: neither take was cut
        killed_session_wav(&wav, 20_000);
        lib.recover().expect("recover");
        let d = lib.rehearsal_detail(id).expect("detail");
        let (question, probe) = (&d.takes[0], &d.takes[1]);
        assert_eq!(lib.story_of_take(question.id).expect("link"), Some(story.id), "the recovered take tells the picked story");
        assert_eq!(lib.story_of_take(probe.id).expect("link"), None, "the probe's take tells no story of its own");
        // A pick made after the take was cut (the answer ended within the pick's seconds)
        // links the take itself; 0 (no story) unlinks it.
        lib.pick_call_story(id, &q, Some(other.id)).expect("pick after the cut");
        assert_eq!(lib.story_of_take(question.id).expect("link"), Some(other.id));
        lib.pick_call_story(id, &q, None).expect("no story");
        assert_eq!(lib.story_of_take(question.id).expect("link"), None);
        assert_eq!(lib.pick_call_story(id, &q, Some(crate::model::stories::StoryId(999))).expect_err("unknown").kind(), "unknown_story");
        assert_eq!(lib.pick_call_story(999, &q, None).expect_err("unknown").kind(), "unknown_rehearsal");
    }

    #[test]
    fn a_cut_take_is_written_by_the_audio_crates_take_writer_byte_for_byte_with_its_peaks() {
        let (d, mut lib) = Library::open_temp();
        let o = RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: Some(3), allow_pause: false };
        let (id, wav) = lib.start_rehearsal(&o).expect("start");
        lib.set_rehearsal_capture(id, 8000).expect("capture");
        marker(&mut lib, id, MarkerKind::SessionStart, "call", None, 0);
        marker(&mut lib, id, MarkerKind::SegmentStart, "Technical", None, 0);
        marker(&mut lib, id, MarkerKind::QuestionStart, "Deadlock?", Some("db.deadlock"), 100);
        marker(&mut lib, id, MarkerKind::QuestionEnd, "", Some("db.deadlock"), 4100);
        killed_session_wav(&wav, 20_000);
        lib.recover().expect("recover");
        let take = lib.rehearsal_detail(id).expect("detail").takes[0].clone();
        let path = lib.take_path(&take).expect("path");
        // What the writer of every other take writes for the same samples (frames 100..4100).
        let reference = d.path().join("reference.wav");
        let mut w = rehearse_audio::TakeWriter::create(&reference, 8000, 1).expect("writer");
        w.write(&(100..4100).map(|i| (i % 1000) as i16).collect::<Vec<_>>()).expect("write");
        w.finish().expect("finish");
        let (cut, want) = (std::fs::read(&path).expect("cut"), std::fs::read(&reference).expect("reference"));
        assert_eq!(cut.len(), 44 + 8000, "a 44-byte header and 4000 16-bit samples");
        assert_eq!(cut[..44], want[..44], "the same header");
        assert_eq!(cut, want, "the same bytes");
        // Like every take, it has its waveform peaks beside it, the writer's own.
        let peaks = std::fs::read(rehearse_audio::peaks_path_for(&path)).expect("the cut take's peaks");
        assert_eq!(peaks, std::fs::read(rehearse_audio::peaks_path_for(&reference)).expect("reference peaks"));
    }

    #[test]
    fn pause_and_resume_markers_are_read_back_by_name_and_a_session_killed_while_paused_is_recovered() {
        let (_d, mut lib) = Library::open_temp();
        let o = RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: None, allow_pause: true };
        let (id, wav) = lib.start_rehearsal(&o).expect("start");
        lib.set_rehearsal_capture(id, 8000).expect("capture");
        marker(&mut lib, id, MarkerKind::SessionStart, "call", None, 0);
        marker(&mut lib, id, MarkerKind::SegmentStart, "Technical", None, 0);
        marker(&mut lib, id, MarkerKind::QuestionStart, "Deadlock?", Some("db.deadlock"), 100);
        marker(&mut lib, id, MarkerKind::Pause, "", None, 3000);
        marker(&mut lib, id, MarkerKind::Resume, "", None, 3000);
        marker(&mut lib, id, MarkerKind::QuestionEnd, "", Some("db.deadlock"), 5000);
        marker(&mut lib, id, MarkerKind::QuestionStart, "Why?", Some("db.ora-01555"), 5000);
        marker(&mut lib, id, MarkerKind::Pause, "", None, 9000);
        // killed here, while paused: the WAV ends where the pause began
        killed_session_wav(&wav, 9000);
        let report = lib.recover().expect("recover");
        assert_eq!((report.sessions[0].markers, report.sessions[0].takes), (8, 2), "{report:?}");
        let d = lib.rehearsal_detail(id).expect("detail");
        let kinds: Vec<(&str, u64)> = d.markers.iter().map(|m| (m.kind.as_str(), m.sample_offset)).collect();
        assert_eq!(
            kinds,
            [
                ("session_start", 0),
                ("segment_start", 0),
                ("question_start", 100),
                ("pause", 3000),
                ("resume", 3000),
                ("question_end", 5000),
                ("question_start", 5000),
                ("pause", 9000),
                ("question_end", 9000),
                ("segment_end", 9000),
                ("session_end", 9000),
            ]
        );
        // The takes span the seam: one piece of the WAV each.
        assert_eq!(d.takes.iter().map(|t| t.duration_ms).collect::<Vec<_>>(), [612, 500]);
        let (offsets, labels) = wav_cue_points(&wav);
        assert_eq!(offsets[3..5], [3000, 3000]);
        assert_eq!(labels[3..5], ["pause", "resume"]);
    }

    #[test]
    fn pausing_calls_is_off_until_the_setting_is_true_and_a_bad_value_changes_nothing() {
        let (_d, mut lib) = Library::open_temp();
        assert!(!lib.call_allow_pause().expect("read"), "off by default");
        lib.set_setting(CALL_ALLOW_PAUSE, Some("true")).expect("on");
        assert!(lib.call_allow_pause().expect("read"));
        let err = lib.set_setting(CALL_ALLOW_PAUSE, Some("yes")).expect_err("not a boolean");
        assert_eq!(err.kind(), "invalid_setting");
        assert!(err.to_string().contains("call_allow_pause") && err.to_string().contains("\"yes\""), "{err}");
        assert!(lib.call_allow_pause().expect("read"), "the refused value changed nothing");
        lib.set_setting(CALL_ALLOW_PAUSE, Some("false")).expect("off");
        assert!(!lib.call_allow_pause().expect("read"));
        lib.set_setting(CALL_ALLOW_PAUSE, None).expect("unset");
        assert!(!lib.call_allow_pause().expect("read"));
    }

    /// The `cue ` offsets and `labl` texts of a WAV, read chunk by chunk.
    fn wav_cue_points(path: &Path) -> (Vec<u32>, Vec<String>) {
        let b = std::fs::read(path).expect("read");
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        assert_eq!(u32_at(4) as usize + 8, b.len(), "RIFF size covers the file");
        let (mut offsets, mut labels, mut pos) = (vec![], vec![], 12);
        while pos + 8 <= b.len() {
            let (id, size) = (&b[pos..pos + 4], u32_at(pos + 4) as usize);
            if id == b"cue " {
                offsets = (0..u32_at(pos + 8) as usize).map(|i| u32_at(pos + 12 + 24 * i + 20)).collect();
            } else if id == b"LIST" && &b[pos + 8..pos + 12] == b"adtl" {
                let mut p = pos + 12;
                while p < pos + 8 + size {
                    let n = u32_at(p + 4) as usize;
                    labels.push(String::from_utf8_lossy(&b[p + 12..p + 8 + n - 1]).to_string());
                    p += 8 + n + (n & 1);
                }
            }
            pos += 8 + size + (size & 1);
        }
        (offsets, labels)
    }

    #[test]
    fn a_session_killed_before_its_first_marker_is_still_a_whole_session() {
        let (_d, mut lib) = Library::open_temp();
        let o = RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: None, allow_pause: false };
        let (id, wav) = lib.start_rehearsal(&o).expect("start");
        killed_session_wav(&wav, 4000);
        let report = lib.recover().expect("recover");
        assert_eq!((report.sessions[0].markers, report.sessions[0].takes), (0, 0));
        let m = lib.markers(id).expect("markers");
        assert_eq!(
            m.iter().map(|m| (m.kind, m.sample_offset)).collect::<Vec<_>>(),
            [(MarkerKind::SessionStart, 0), (MarkerKind::SessionEnd, 4000)]
        );
    }

    #[test]
    fn a_session_that_never_recorded_is_marked_failed() {
        let (_d, mut lib) = Library::open_temp();
        let o = RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: None, allow_pause: false };
        let (id, _) = lib.start_rehearsal(&o).expect("start");
        let report = lib.recover().expect("recover");
        assert_eq!(report.sessions[0].status, "failed");
        assert_eq!(lib.rehearsal(id).expect("s").status, "failed");
    }

    #[test]
    fn take_spans_pair_questions_and_probes_and_leave_the_open_one_open() {
        let (_d, mut lib) = Library::open_temp();
        let (id, _) = lib
            .start_rehearsal(&RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: None, allow_pause: false })
            .expect("start");
        let q = marker(&mut lib, id, MarkerKind::QuestionStart, "Q", Some("db.deadlock"), 10);
        marker(&mut lib, id, MarkerKind::QuestionEnd, "", Some("db.deadlock"), 20);
        marker(&mut lib, id, MarkerKind::ProbeStart, "P", Some("db.deadlock"), 20);
        let spans = take_spans(&lib.markers(id).expect("markers"));
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].start, spans[0].end), (10, Some(20)));
        assert_eq!((spans[1].probe, spans[1].end, spans[1].parent_marker), (true, None, Some(q.id)));
    }

    #[test]
    fn the_cue_sheet_has_a_track_per_question_and_probe_in_cd_frames() {
        let (_d, mut lib) = Library::open_temp();
        let (id, _) = lib
            .start_rehearsal(&RehearsalOptions { template_id: "default".into(), language: "en".into(), seed: None, allow_pause: false })
            .expect("start");
        lib.set_rehearsal_capture(id, 48_000).expect("rate");
        marker(&mut lib, id, MarkerKind::SegmentStart, "Intro", None, 0);
        marker(&mut lib, id, MarkerKind::QuestionStart, "Tell me \"about\" yourself", Some("call.intro"), 48_000 * 61 + 24_000);
        marker(&mut lib, id, MarkerKind::ProbeStart, "Why now?", Some("call.intro"), 48_000 * 125);
        let cue = lib.cue_sheet(id).expect("cue");
        assert!(cue.contains("FILE \""), "{cue}");
        assert!(cue.contains("TRACK 01 AUDIO\n    TITLE \"Intro: Tell me 'about' yourself\""), "{cue}");
        assert!(cue.contains("INDEX 01 01:01:37"), "{cue}");
        assert!(cue.contains("TRACK 02 AUDIO") && cue.contains("INDEX 01 02:05:00"), "{cue}");
    }
}
