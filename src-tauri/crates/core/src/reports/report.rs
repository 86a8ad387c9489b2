//! Reports of a practice session and of a rehearsal: the data, built from the library
//! (`SessionReport`, `RehearsalReport`), which any front end can render. The HTML page is
//! `reports::html` (re-exported here), its English and Korean labels `reports::labels`.
//! Every piece of user or deck text is HTML-escaped there.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::SpeechMetrics;
use crate::error::{CoreError, Result};
use crate::library::Library;
pub use crate::model::sessions::SessionInfo;
use crate::model::{QuestionId, Take};
use crate::rehearsal::{take_spans, Marker, MarkerKind, RehearsalDetail, RehearsalSession};
use crate::template::{Interviewer, SegmentDef, Speaker};

pub use super::html::{render_html, render_rehearsal_html};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub session: SessionInfo,
    /// The deck's name per language (empty when the session has no deck).
    pub deck_name: BTreeMap<String, String>,
    pub questions: Vec<ReportQuestion>,
    pub generated_at: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ReportQuestion {
    /// 1-based, in the order the session first asked it.
    pub number: usize,
    pub id: QuestionId,
    /// Text per language code.
    pub text: BTreeMap<String, String>,
    pub takes: Vec<ReportTake>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ReportTake {
    pub take: Take,
    /// 1-based within its question.
    pub number: usize,
    /// The take's rubric (takes.rubric_json) when it holds anything.
    pub rubric: Option<serde_json::Value>,
    pub bookmarks: Vec<ReportBookmark>,
    pub metrics: Option<SpeechMetrics>,
    /// Why the audio could not be measured or exported (missing or damaged file).
    pub problem: Option<String>,
    /// Relative link to the take's audio beside the report (set by the exporter).
    pub audio: Option<String>,
    /// What was said, when the take has been transcribed.
    pub transcript: Option<crate::transcript::Transcript>,
    /// Its figures (pace, fillers, I/we, key points heard), with the transcript.
    pub analysis: Option<crate::transcript_analysis::TranscriptReport>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportBookmark {
    pub at_ms: i64,
    pub note: String,
}

/// `{}` (the default) means no rubric; text that is not JSON is shown as it is.
fn parse_rubric(json: &str) -> Option<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) if m.is_empty() => None,
        Ok(serde_json::Value::Null) => None,
        Ok(v) => Some(v),
        Err(_) if json.trim().is_empty() => None,
        Err(_) => Some(serde_json::Value::String(json.to_string())),
    }
}

impl Library {
    /// Sessions, newest first, with how many questions were answered and takes recorded.
    pub fn sessions(&self) -> Result<Vec<SessionInfo>> {
        self.storage_ref().session_infos()
    }

    /// One session as listed; an unknown id is an error naming it.
    pub fn session_info(&self, id: i64) -> Result<SessionInfo> {
        self.storage_ref().session_info(id)?.ok_or(CoreError::UnknownSession(id))
    }

    /// Everything a report of session `id` shows. Speech metrics are each take's kept ones
    /// (measured from its WAV the first time); a missing or damaged file is noted on the
    /// take, not an error.
    pub fn session_report(&self, id: i64) -> Result<SessionReport> {
        let db = self.storage_ref();
        let session = self.session_info(id)?;
        let deck_name = match &session.deck_id {
            Some(d) => self.decks()?.into_iter().find(|s| s.id.as_str() == d).map(|s| s.name).unwrap_or_default(),
            None => BTreeMap::new(),
        };
        let mut questions: Vec<ReportQuestion> = vec![];
        for take in db.session_takes(id)? {
            let rubric = parse_rubric(&db.rubric_json(take.id.0)?);
            let bookmarks = db.bookmark_notes(take.id.0)?.into_iter().map(|(at_ms, note)| ReportBookmark { at_ms, note }).collect();
            let (metrics, problem) = match self.take_source_problem(&take) {
                Some(p) => (None, Some(p)),
                None => match self.take_metrics(take.id) {
                    Ok(m) => (Some(m), None),
                    Err(e) => (None, Some(e.to_string())),
                },
            };
            let idx = match questions.iter().position(|q| q.id == take.question_id) {
                Some(i) => i,
                None => {
                    let text = self.question(&take.question_id).map(|q| q.text).unwrap_or_default();
                    questions.push(ReportQuestion { number: questions.len() + 1, id: take.question_id.clone(), text, takes: vec![] });
                    questions.len() - 1
                }
            };
            let transcript = db.transcript(take.id)?.filter(|t| t.status == "done").map(|t| t.transcript);
            let q = &mut questions[idx];
            let number = q.takes.len() + 1;
            let analysis = self.take_transcript_report(take.id)?;
            q.takes.push(ReportTake { take, number, rubric, bookmarks, metrics, problem, audio: None, transcript, analysis });
        }
        Ok(SessionReport { session, deck_name, questions, generated_at: crate::time_fmt::now_rfc3339() })
    }
}

/// A rehearsal as its report shows it: the session, its segments in order with every
/// question and probe asked in them, and every marker. Built from `rehearsal_detail` (the
/// session, its markers and the takes cut from it), the takes as `session_report` gives
/// them (rating, rubric, notes, bookmarks, speech metrics, audio) and the session's
/// template (planned lengths, answer limits, interviewers).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalReport {
    pub session: RehearsalSession,
    pub markers: Vec<Marker>,
    /// The template's name as the session announced it (its session_start marker).
    pub template_name: String,
    /// The template's planned length; None when the template is gone or was changed since.
    pub planned_secs: Option<u64>,
    /// Length of the recording (None when nothing was recorded).
    pub recorded_ms: Option<u64>,
    pub segments: Vec<CallSegment>,
    /// Relative link to the session WAV beside the report (set by the exporter).
    pub session_audio: Option<String>,
    /// Why the session WAV is not available.
    pub session_audio_problem: Option<String>,
    pub generated_at: String,
    /// The session has `answer_start` markers (time used counts from them).
    pub answer_clocks: bool,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct CallSegment {
    pub name: String,
    /// "A", "B" or "AB" (from the template; None when it is gone or was changed since).
    pub interviewer: Option<String>,
    pub planned_secs: Option<u32>,
    /// Sample offsets into the session WAV.
    pub start: u64,
    pub end: Option<u64>,
    /// From its start to its end (or to the end of the recording when it was not closed).
    pub used_ms: u64,
    pub answers: Vec<CallAnswer>,
}

/// One question or probe as asked, and its answer.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct CallAnswer {
    pub probe: bool,
    pub question_id: String,
    /// The question or probe as asked (its marker's label).
    pub text: String,
    pub speaker: Option<Speaker>,
    pub start: u64,
    pub end: Option<u64>,
    /// The answer limit in seconds (the segment's answer_secs, or probe_answer_secs for
    /// a probe); None when the template is gone or was changed since.
    pub limit_secs: Option<u32>,
    /// Time used answering: from the answer clock's start (the `answer_start` marker: the
    /// interviewer finished asking) to the end of the answer; 0 when the asking took all
    /// the time. Sessions recorded before that marker existed count from the first word
    /// heard in the take (None when its audio could not be measured).
    pub used_ms: Option<u64>,
    /// More than half a second past the limit.
    pub over_limit: bool,
    /// Time to the first word, from the answer clock's start as time used is (the take's
    /// own figure counts from the question's start, the interviewer's asking included);
    /// 0 when the first word came while the question was asked. None: not measured yet,
    /// or no speech found.
    pub first_word_ms: Option<u64>,
    /// The take cut for it, as the practice report shows takes.
    pub take: Option<ReportTake>,
}

/// Slack before an answer counts as over its limit (the window uses the same).
const OVER_LIMIT_SLACK_MS: u64 = 500;

impl Library {
    /// Everything the report of rehearsal `id` shows; an unknown id (or a practice
    /// session) is an error naming it.
    pub fn rehearsal_report(&self, id: i64) -> Result<RehearsalReport> {
        self.session_info(id)?;
        let detail = self.rehearsal_detail(id)?;
        let report = self.session_report(id)?;
        Ok(self.rehearsal_report_from(detail, report))
    }

    /// Builds the rehearsal report from the session's detail and its takes as reported
    /// (the exporter sets their audio links first).
    pub(crate) fn rehearsal_report_from(&self, detail: RehearsalDetail, report: SessionReport) -> RehearsalReport {
        let s = &detail.session;
        let lang = s.language.as_str();
        let rate = s.sample_rate.max(1) as u64;
        let ms = |frames: u64| frames.saturating_mul(1000) / rate;
        let takes: BTreeMap<i64, ReportTake> = report.questions.into_iter().flat_map(|q| q.takes).map(|t| (t.take.id.0, t)).collect();
        let spans = take_spans(&detail.markers);
        // Sessions recorded since the engine marks where each answer clock starts.
        let answer_clocks = detail.markers.iter().any(|m| m.kind == MarkerKind::AnswerStart);
        let template = self.template(&s.template_id).ok();
        let recorded_end = s.frames.or_else(|| detail.markers.iter().map(|m| m.sample_offset).max());
        let mut template_matches = template.is_some();
        let mut segments: Vec<CallSegment> = vec![];
        let mut defs: Vec<Option<&SegmentDef>> = vec![];
        let mut asked_in_segment = 0usize;
        let mut speaker: Option<Speaker> = None;
        for m in &detail.markers {
            match m.kind {
                MarkerKind::SegmentStart => {
                    let def = template.as_ref().and_then(|t| t.segments.get(segments.len())).filter(|d| d.name_in(lang) == m.label);
                    template_matches &= def.is_some();
                    defs.push(def);
                    segments.push(CallSegment {
                        name: m.label.clone(),
                        interviewer: def.map(|d| interviewer_name(&d.interviewer).to_string()),
                        planned_secs: def.map(|d| d.length_secs),
                        start: m.sample_offset,
                        end: None,
                        used_ms: 0,
                        answers: vec![],
                    });
                    asked_in_segment = 0;
                    speaker = None;
                }
                MarkerKind::SegmentEnd => {
                    if let Some(seg) = segments.last_mut().filter(|s| s.end.is_none()) {
                        seg.end = Some(m.sample_offset.max(seg.start));
                    }
                }
                MarkerKind::QuestionStart | MarkerKind::ProbeStart => {
                    let Some(span) = spans.iter().find(|sp| sp.start_marker == m.id) else { continue };
                    if segments.is_empty() {
                        // Asked outside any segment (not something the engine does): kept under an unnamed one.
                        segments.push(CallSegment {
                            name: String::new(),
                            interviewer: None,
                            planned_secs: None,
                            start: m.sample_offset,
                            end: None,
                            used_ms: 0,
                            answers: vec![],
                        });
                        defs.push(None);
                    }
                    let def = defs.last().copied().flatten();
                    if !span.probe {
                        speaker = def.map(|d| d.interviewer.speaker_for(asked_in_segment));
                        asked_in_segment += 1;
                    }
                    let limit_secs = def.map(|d| if span.probe { d.probe_answer_secs } else { d.answer_secs });
                    let take = span.take_id.and_then(|id| takes.get(&id).cloned());
                    let span_ms = span.end.map(|e| ms(e - span.start)).or_else(|| take.as_ref().map(|t| t.take.duration_ms));
                    let used_ms = match (span.answer_start, span.end) {
                        (Some(a), Some(e)) => Some(ms(e.saturating_sub(a))),
                        (Some(a), None) => span_ms.map(|len| len.saturating_sub(ms(a - span.start))),
                        (None, _) if answer_clocks => Some(0),
                        (None, _) => match (span_ms, take.as_ref().and_then(|t| t.metrics.as_ref())) {
                            (Some(len), Some(metrics)) => Some(metrics.time_to_first_word_ms.map(|f| len.saturating_sub(f)).unwrap_or(0)),
                            _ => None,
                        },
                    };
                    let over_limit = matches!((used_ms, limit_secs), (Some(u), Some(l)) if u > l as u64 * 1000 + OVER_LIMIT_SLACK_MS);
                    let asking_ms = span.answer_start.map(|a| ms(a.saturating_sub(span.start))).unwrap_or(0);
                    let first_word_ms = take
                        .as_ref()
                        .and_then(|t| t.metrics.as_ref())
                        .and_then(|m| m.time_to_first_word_ms)
                        .map(|f| f.saturating_sub(asking_ms));
                    let answer = CallAnswer {
                        probe: span.probe,
                        question_id: span.question_id.clone(),
                        text: span.label.clone(),
                        speaker,
                        start: span.start,
                        end: span.end,
                        limit_secs,
                        used_ms,
                        over_limit,
                        first_word_ms,
                        take,
                    };
                    if let Some(seg) = segments.last_mut() {
                        seg.answers.push(answer);
                    }
                }
                _ => {}
            }
        }
        for seg in &mut segments {
            let end = seg.end.or(recorded_end).unwrap_or(seg.start).max(seg.start);
            seg.used_ms = ms(end - seg.start);
        }
        let template_name = detail
            .markers
            .iter()
            .find(|m| m.kind == MarkerKind::SessionStart && !m.label.is_empty())
            .map(|m| m.label.clone())
            .or_else(|| template.as_ref().map(|t| t.name_in(lang).to_string()))
            .unwrap_or_else(|| s.template_id.clone());
        RehearsalReport {
            planned_secs: template.as_ref().filter(|_| template_matches).map(|t| t.length_secs()),
            recorded_ms: s.frames.filter(|_| s.sample_rate > 0).map(ms),
            template_name,
            segments,
            session_audio: None,
            session_audio_problem: None,
            generated_at: report.generated_at,
            answer_clocks,
            session: detail.session,
            markers: detail.markers,
        }
    }
}

fn interviewer_name(i: &Interviewer) -> &'static str {
    match i {
        Interviewer::A => "A",
        Interviewer::B => "B",
        Interviewer::AB => "AB",
    }
}

#[cfg(test)]
pub(crate) mod tests;
