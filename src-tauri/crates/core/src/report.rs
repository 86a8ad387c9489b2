//! Session reports: what a session asked, what was recorded, how it was rated and
//! measured, built from the database (`SessionReport`) and rendered as one self-contained
//! HTML page (`render_html`: inline CSS, no scripts, nothing fetched from a network).
//! Every piece of user or deck text is HTML-escaped. Session exports use it; so can any
//! later kind of session (the model is not tied to practice sessions).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::analysis::SpeechMetrics;
use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::{QuestionId, Take};
use crate::rehearsal::{take_spans, Marker, MarkerKind, RehearsalDetail, RehearsalSession};
use crate::storage::Storage;
use crate::template::{Interviewer, SegmentDef, Speaker};

/// A session as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    pub id: i64,
    /// "practice" (the only kind so far).
    pub kind: String,
    pub deck_id: Option<String>,
    /// The language the questions were shown in.
    pub language: String,
    pub started_at: String,
    /// None while the session is open (or was never ended).
    pub ended_at: Option<String>,
    pub questions: usize,
    pub takes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub session: SessionInfo,
    /// The deck's name per language (empty when the session has no deck).
    pub deck_name: BTreeMap<String, String>,
    pub questions: Vec<ReportQuestion>,
    pub generated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportQuestion {
    /// 1-based, in the order the session first asked it.
    pub number: usize,
    pub id: QuestionId,
    /// Text per language code.
    pub text: BTreeMap<String, String>,
    pub takes: Vec<ReportTake>,
}

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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportBookmark {
    pub at_ms: i64,
    pub note: String,
}

impl Storage {
    fn session_info(&self, id: i64) -> Result<Option<SessionInfo>> {
        Ok(self
            .conn_ref()
            .query_row(&format!("{SESSION_SELECT} WHERE s.id = ?1"), [id], session_from_row)
            .optional()?)
    }

    fn session_infos(&self) -> Result<Vec<SessionInfo>> {
        let mut st = self.conn_ref().prepare_cached(&format!("{SESSION_SELECT} ORDER BY s.started_at DESC, s.id DESC"))?;
        let rows = st.query_map([], session_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn rubric_json(&self, take: i64) -> Result<String> {
        Ok(self.conn_ref().query_row("SELECT rubric_json FROM takes WHERE id = ?1", [take], |r| r.get(0))?)
    }

    fn bookmarks_of(&self, take: i64) -> Result<Vec<ReportBookmark>> {
        let mut st = self.conn_ref().prepare_cached("SELECT at_ms, note FROM bookmarks WHERE take_id = ?1 ORDER BY at_ms, id")?;
        let rows = st.query_map(params![take], |r| Ok(ReportBookmark { at_ms: r.get(0)?, note: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

const SESSION_SELECT: &str = "SELECT s.id, s.kind, s.deck_id, s.language, s.started_at, s.ended_at, \
     (SELECT COUNT(DISTINCT question_id) FROM takes t WHERE t.session_id = s.id), \
     (SELECT COUNT(*) FROM takes t WHERE t.session_id = s.id) FROM sessions s";

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionInfo> {
    Ok(SessionInfo {
        id: r.get(0)?,
        kind: r.get(1)?,
        deck_id: r.get(2)?,
        language: r.get(3)?,
        started_at: r.get(4)?,
        ended_at: r.get(5)?,
        questions: r.get::<_, i64>(6)?.max(0) as usize,
        takes: r.get::<_, i64>(7)?.max(0) as usize,
    })
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
            let bookmarks = db.bookmarks_of(take.id.0)?;
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
            let q = &mut questions[idx];
            let number = q.takes.len() + 1;
            q.takes.push(ReportTake { take, number, rubric, bookmarks, metrics, problem, audio: None });
        }
        Ok(SessionReport { session, deck_name, questions, generated_at: crate::time_fmt::now_rfc3339() })
    }
}

/// Labels of the report in English or Korean (anything else gets English).
struct Labels {
    title: &'static str,
    deck: &'static str,
    language: &'static str,
    started: &'static str,
    ended: &'static str,
    not_ended: &'static str,
    questions: &'static str,
    takes: &'static str,
    take: &'static str,
    duration: &'static str,
    rating: &'static str,
    ratings: [&'static str; 4],
    unrated: &'static str,
    best: &'static str,
    notes: &'static str,
    rubric: &'static str,
    bookmarks: &'static str,
    metrics: &'static str,
    first_word: &'static str,
    speaking: &'static str,
    silence: &'static str,
    long_pauses: &'static str,
    level: &'static str,
    none: &'static str,
    no_audio: &'static str,
    no_takes: &'static str,
    generated: &'static str,
}

const EN: Labels = Labels {
    title: "Rehearse session",
    deck: "Deck",
    language: "Language",
    started: "Started",
    ended: "Ended",
    not_ended: "not ended",
    questions: "questions",
    takes: "takes",
    take: "Take",
    duration: "Duration",
    rating: "Rating",
    ratings: ["Again", "Hard", "Good", "Easy"],
    unrated: "not rated",
    best: "best",
    notes: "Notes",
    rubric: "Rubric",
    bookmarks: "Bookmarks",
    metrics: "Speech",
    first_word: "first word at",
    speaking: "speaking",
    silence: "silence",
    long_pauses: "long pauses",
    level: "level",
    none: "none",
    no_audio: "Audio not available",
    no_takes: "No takes were recorded in this session.",
    generated: "Generated",
};

const KO: Labels = Labels {
    title: "Rehearse 세션",
    deck: "덱",
    language: "언어",
    started: "시작",
    ended: "종료",
    not_ended: "종료되지 않음",
    questions: "질문",
    takes: "녹음",
    take: "녹음",
    duration: "길이",
    rating: "평가",
    ratings: ["다시", "어려움", "보통", "쉬움"],
    unrated: "평가 안 함",
    best: "최고",
    notes: "메모",
    rubric: "루브릭",
    bookmarks: "북마크",
    metrics: "말하기",
    first_word: "첫 단어",
    speaking: "말한 시간",
    silence: "침묵",
    long_pauses: "긴 멈춤",
    level: "음량",
    none: "없음",
    no_audio: "오디오 없음",
    no_takes: "이 세션에는 녹음이 없습니다.",
    generated: "생성",
};

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans KR','Apple SD Gothic Neo',sans-serif;\
max-width:860px;margin:2rem auto;padding:0 1rem;color:#1d2330;background:#fff;line-height:1.5}\
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.15rem;margin:0 0 .3rem}\
.meta{color:#555;margin:0 0 1.5rem}.meta span{margin-right:1.2rem}\
section.q{border:1px solid #d8dce4;border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}\
.qid{color:#777;font-size:.85rem;font-family:ui-monospace,monospace}.other{color:#555;margin:.2rem 0 .6rem}\
.take{border-top:1px solid #eceef3;padding:.7rem 0 .2rem}.take h3{font-size:1rem;margin:0 0 .3rem}\
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.85rem;background:#eef1f6;margin-left:.4rem}\
.r1{background:#fde2e1}.r2{background:#fdf0d5}.r3{background:#dff3e4}.r4{background:#dcecfb}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.3rem 0}dt{color:#555}dd{margin:0}\
.notes{white-space:pre-wrap}audio{width:100%;margin:.3rem 0}.problem{color:#a32020}\
footer{color:#888;font-size:.8rem;margin-top:2rem}@media print{audio{display:none}}";

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

/// `2026-11-25T03:14:01.849Z` as `2026-11-25 03:14:01 UTC`; anything else as it is.
fn when(t: &str) -> String {
    match (t.get(..10), t.get(10..11), t.get(11..19)) {
        (Some(d), Some("T"), Some(hms)) if t.ends_with('Z') => format!("{d} {hms} UTC"),
        _ => t.to_string(),
    }
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// A rubric value as text: strings as they are, everything else as compact JSON.
fn rubric_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The report as one HTML page with labels in `lang` ("en" or "ko").
pub fn render_html(r: &SessionReport, lang: &str) -> String {
    let l = if lang == "ko" { &KO } else { &EN };
    let s = &r.session;
    let mut h = String::with_capacity(16 * 1024);
    let deck = s.deck_id.as_deref().map(|d| r.deck_name.get(&s.language).or_else(|| r.deck_name.get("en")).cloned().unwrap_or_else(|| d.to_string()));
    let title = format!("{} #{}{}", l.title, s.id, deck.as_deref().map(|d| format!(" — {d}")).unwrap_or_default());
    page_head(&mut h, lang, &title, CSS);
    let _ = write!(h, "<p class=\"meta\">");
    if let Some(d) = &deck {
        let _ = write!(h, "<span>{}: {}</span>", l.deck, esc(d));
    }
    let _ = writeln!(
        h,
        "<span>{}: {}</span><span>{}: {}</span><span>{}: {}</span><span>{} {}, {} {}</span></p>",
        l.language,
        esc(&s.language),
        l.started,
        esc(&when(&s.started_at)),
        l.ended,
        s.ended_at.as_deref().map(|t| esc(&when(t)).into_owned()).unwrap_or_else(|| l.not_ended.to_string()),
        r.questions.len(),
        l.questions,
        r.questions.iter().map(|q| q.takes.len()).sum::<usize>(),
        l.takes
    );
    if r.questions.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", l.no_takes);
    }
    for q in &r.questions {
        render_question(&mut h, q, &s.language, l);
    }
    let _ = write!(h, "<footer>{} {} · Rehearse {}</footer>\n</body>\n</html>\n", l.generated, esc(&when(&r.generated_at)), env!("CARGO_PKG_VERSION"));
    h
}

fn render_question(h: &mut String, q: &ReportQuestion, lang: &str, l: &Labels) {
    let main = q.text.get(lang).or_else(|| q.text.values().next()).map(String::as_str).unwrap_or("");
    let _ = write!(h, "<section class=\"q\">\n<h2>{}. {}</h2>\n<div class=\"qid\">{}</div>\n", q.number, esc(main), esc(q.id.as_str()));
    for (code, text) in q.text.iter().filter(|(c, _)| c.as_str() != lang) {
        let _ = writeln!(h, "<p class=\"other\" lang=\"{}\">{}</p>", html_escape::encode_double_quoted_attribute(code), esc(text));
    }
    for t in &q.takes {
        render_take(h, t, l);
    }
    h.push_str("</section>\n");
}

fn render_take(h: &mut String, t: &ReportTake, l: &Labels) {
    let take = &t.take;
    let _ = write!(h, "<div class=\"take\">\n<h3>{} {}", l.take, t.number);
    match take.rating {
        Some(r @ 1..=4) => {
            let _ = write!(h, "<span class=\"badge r{r}\">{}</span>", l.ratings[(r - 1) as usize]);
        }
        _ => {
            let _ = write!(h, "<span class=\"badge\">{}</span>", l.unrated);
        }
    }
    if take.best {
        let _ = write!(h, "<span class=\"badge\">★ {}</span>", l.best);
    }
    let _ = writeln!(h, "</h3>");
    match (&t.audio, &t.problem) {
        (Some(href), _) => {
            let _ = writeln!(h, "<audio controls preload=\"none\" src=\"{}\"></audio>", html_escape::encode_double_quoted_attribute(href));
        }
        (None, Some(p)) => {
            let _ = writeln!(h, "<p class=\"problem\">{}: {}</p>", l.no_audio, esc(p));
        }
        (None, None) => {}
    }
    h.push_str("<dl>\n");
    let _ = writeln!(h, "<dt>{}</dt><dd>{} · {}</dd>", l.duration, secs(take.duration_ms), esc(&when(&take.started_at)));
    let rating = take.rating.filter(|r| (1..=4).contains(r)).map(|r| l.ratings[(r - 1) as usize]).unwrap_or(l.unrated);
    let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", l.rating, rating);
    if !take.notes.is_empty() {
        let _ = writeln!(h, "<dt>{}</dt><dd class=\"notes\">{}</dd>", l.notes, esc(&take.notes));
    }
    render_rubric_and_bookmarks(h, t, l);
    if let Some(m) = &t.metrics {
        let pauses = if m.long_pauses.is_empty() {
            l.none.to_string()
        } else {
            m.long_pauses.iter().map(|&p| secs(p)).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            h,
            "<dt>{}</dt><dd>{} {} · {} {} · {} {} · {} {} · {} {:.1} dBFS</dd>",
            l.metrics,
            l.first_word,
            m.time_to_first_word_ms.map(secs).unwrap_or_else(|| l.none.to_string()),
            l.speaking,
            secs(m.speaking_ms),
            l.silence,
            secs(m.silence_ms),
            l.long_pauses,
            pauses,
            l.level,
            m.rms_dbfs
        );
    }
    h.push_str("</dl>\n</div>\n");
}

/// The rubric and bookmarks of a take as `<dt>`/`<dd>` rows (nothing when it has none).
fn render_rubric_and_bookmarks(h: &mut String, t: &ReportTake, l: &Labels) {
    if let Some(rubric) = &t.rubric {
        let _ = write!(h, "<dt>{}</dt><dd>", l.rubric);
        match rubric {
            serde_json::Value::Object(m) => {
                let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", esc(k), esc(&rubric_value(v)))).collect();
                h.push_str(&items.join("<br>"));
            }
            other => h.push_str(&esc(&rubric_value(other))),
        }
        h.push_str("</dd>\n");
    }
    if !t.bookmarks.is_empty() {
        let items: Vec<String> = t.bookmarks.iter().map(|b| format!("{} {}", secs(b.at_ms.max(0) as u64), esc(&b.note))).collect();
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", l.bookmarks, items.join("<br>"));
    }
}

// ---------- rehearsals (timed video calls) ----------

/// A rehearsal as its report shows it: the session, its segments in order with every
/// question and probe asked in them, and every marker. Built from `rehearsal_detail` (the
/// session, its markers and the takes cut from it), the takes as `session_report` gives
/// them (rating, rubric, notes, bookmarks, speech metrics, audio) and the session's
/// template (planned lengths, answer limits, interviewers).
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
                        segments.push(CallSegment { name: String::new(), interviewer: None, planned_secs: None, start: m.sample_offset, end: None, used_ms: 0, answers: vec![] });
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

/// Labels of the rehearsal report in English or Korean (shared ones come from `Labels`).
struct CallLabels {
    title: &'static str,
    date: &'static str,
    length: &'static str,
    planned: &'static str,
    recorded: &'static str,
    used_seg: &'static str,
    unknown: &'static str,
    status: &'static str,
    statuses: &'static [(&'static str, &'static str)],
    session_audio: &'static str,
    no_session_audio: &'static str,
    interviewers: &'static str,
    both: &'static str,
    used: &'static str,
    of: fn(&str, &str) -> String,
    no_limit: &'static str,
    over: &'static str,
    no_speech: &'static str,
    not_measured: &'static str,
    used_note: &'static str,
    used_note_old: &'static str,
    no_answer: &'static str,
    no_segments: &'static str,
    markers: &'static str,
    time: &'static str,
    kind: &'static str,
    label: &'static str,
    kinds: &'static [(&'static str, &'static str)],
}

const CALL_EN: CallLabels = CallLabels {
    title: "Rehearsal",
    date: "Date",
    length: "Length",
    planned: "planned",
    recorded: "recorded",
    used_seg: "used",
    unknown: "unknown",
    status: "Status",
    statuses: &[
        ("finished", "Finished"),
        ("ended", "Ended by the user"),
        ("recovered", "Recovered after a crash"),
        ("mic_lost", "Stopped: microphone lost"),
        ("disk_low", "Stopped: disk full"),
        ("write_failed", "Stopped: the recording could not be written"),
        ("size_cap", "Stopped: size limit"),
        ("failed", "Failed: nothing was recorded"),
        ("damaged", "The recording is damaged"),
        ("running", "Running (not finished)"),
    ],
    session_audio: "Session recording",
    no_session_audio: "Session recording not available",
    interviewers: "Interviewers",
    both: "A and B",
    used: "Time used",
    of: |used, limit| format!("{used} of {limit}"),
    no_limit: "no limit known",
    over: "over the limit",
    no_speech: "no speech heard",
    not_measured: "not measured",
    used_note: "Time used counts from when the interviewer finished asking to the end of the answer.",
    used_note_old: "Time used counts from your first word to the end of the answer (this session predates answer-clock markers).",
    no_answer: "No answer recorded",
    no_segments: "Nothing was asked in this session.",
    markers: "Markers",
    time: "Time",
    kind: "Kind",
    label: "Label",
    kinds: &[
        ("session_start", "session start"),
        ("session_end", "session end"),
        ("segment_start", "segment start"),
        ("segment_end", "segment end"),
        ("question_start", "question"),
        ("question_end", "answer end"),
        ("probe_start", "follow-up"),
        ("probe_end", "follow-up end"),
        ("pause", "paused"),
        ("resume", "resumed"),
        ("answer_start", "answer clock starts"),
    ],
};

const CALL_KO: CallLabels = CallLabels {
    title: "리허설",
    date: "날짜",
    length: "길이",
    planned: "계획",
    recorded: "녹음",
    used_seg: "사용",
    unknown: "알 수 없음",
    status: "상태",
    statuses: &[
        ("finished", "완료"),
        ("ended", "사용자가 종료"),
        ("recovered", "비정상 종료 후 복구됨"),
        ("mic_lost", "중단: 마이크 연결 끊김"),
        ("disk_low", "중단: 디스크 가득 참"),
        ("write_failed", "중단: 녹음을 저장할 수 없음"),
        ("size_cap", "중단: 크기 제한"),
        ("failed", "실패: 녹음되지 않음"),
        ("damaged", "녹음이 손상됨"),
        ("running", "진행 중 (끝나지 않음)"),
    ],
    session_audio: "세션 녹음",
    no_session_audio: "세션 녹음 없음",
    interviewers: "면접관",
    both: "A와 B",
    used: "사용 시간",
    of: |used, limit| format!("{limit} 중 {used}"),
    no_limit: "제한 시간 알 수 없음",
    over: "제한 시간 초과",
    no_speech: "말소리 없음",
    not_measured: "측정 안 됨",
    used_note: "사용 시간은 면접관이 질문을 마친 때부터 답변이 끝날 때까지입니다.",
    used_note_old: "사용 시간은 첫 단어부터 답변이 끝날 때까지입니다 (답변 시간 마커가 생기기 전의 세션).",
    no_answer: "녹음된 답변 없음",
    no_segments: "이 세션에서는 아무 질문도 하지 않았습니다.",
    markers: "마커",
    time: "시각",
    kind: "종류",
    label: "내용",
    kinds: &[
        ("session_start", "세션 시작"),
        ("session_end", "세션 끝"),
        ("segment_start", "구간 시작"),
        ("segment_end", "구간 끝"),
        ("question_start", "질문"),
        ("question_end", "답변 끝"),
        ("probe_start", "추가 질문"),
        ("probe_end", "추가 질문 끝"),
        ("pause", "일시 정지"),
        ("resume", "재개"),
        ("answer_start", "답변 시간 시작"),
    ],
};

const CALL_CSS: &str = "section.seg{border:1px solid #d8dce4;border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}\
.seg-meta{color:#555;margin:0 0 .5rem}.seg-meta span{margin-right:1.2rem}\
.answer{border-top:1px solid #eceef3;padding:.7rem 0 .2rem}.answer h3{font-size:1rem;margin:0 0 .3rem}\
.answer.probe{margin-left:2rem}.who{display:inline-block;min-width:1.4rem;text-align:center;border-radius:4px;background:#e6e9f2;margin-right:.4rem}\
.over{color:#a32020;font-weight:600}.note{color:#777;font-size:.85rem}\
fieldset.rating{border:0;padding:0;margin:0}fieldset.rating label{margin-right:.8rem}\
table.markers{border-collapse:collapse;width:100%;font-size:.9rem}table.markers td,table.markers th{border-bottom:1px solid #eceef3;padding:.2rem .5rem;text-align:left}\
table.markers td.t{font-family:ui-monospace,monospace;white-space:nowrap}";

/// `h:mm:ss.mmm`, the time of a marker in the session.
fn clock_ms(ms: u64) -> String {
    format!("{}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// A length: tenths of a second under a minute, `m:ss` (or `h:mm:ss`) above.
fn length(ms: u64) -> String {
    if ms < 60_000 {
        return secs(ms);
    }
    let s = (ms + 500) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A marker kind as shown: its label in `l`, or its own name for kinds this version does
/// not know (so kinds added later show by name).
fn kind_label(kind: &str, l: &CallLabels) -> String {
    l.kinds.iter().find(|(k, _)| *k == kind).map(|(_, v)| v.to_string()).unwrap_or_else(|| kind.replace('_', " "))
}

fn status_label(status: &str, l: &CallLabels) -> String {
    l.statuses.iter().find(|(k, _)| *k == status).map(|(_, v)| v.to_string()).unwrap_or_else(|| status.replace('_', " "))
}

fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

/// The head of a report page: charset, a policy that allows no script and nothing from a
/// network, the styles.
fn page_head(h: &mut String, lang: &str, title: &str, css: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; media-src 'self' file:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{css}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        if lang == "ko" { "ko" } else { "en" },
        esc(title),
        esc(title)
    );
}

/// The rehearsal report as one HTML page, labels in the session's language.
pub fn render_rehearsal_html(r: &RehearsalReport) -> String {
    let lang = if r.session.language == "ko" { "ko" } else { "en" };
    let (l, cl) = if lang == "ko" { (&KO, &CALL_KO) } else { (&EN, &CALL_EN) };
    let s = &r.session;
    let rate = s.sample_rate.max(1) as u64;
    let mut h = String::with_capacity(32 * 1024);
    let title = format!("{} #{} — {}", cl.title, s.id, r.template_name);
    page_head(&mut h, lang, &title, &format!("{CSS}{CALL_CSS}"));
    // A time in the session, linked into the session recording when it is there.
    let at = |frames: u64| -> String {
        let ms = frames.saturating_mul(1000) / rate;
        match &r.session_audio {
            // A media fragment: a browser plays the recording from there.
            Some(href) => format!("<a class=\"at\" href=\"{}#t={}.{:03}\">{}</a>", attr(href), ms / 1000, ms % 1000, clock_ms(ms)),
            None => clock_ms(ms),
        }
    };
    let planned = r.planned_secs.map(|p| length(p * 1000)).unwrap_or_else(|| cl.unknown.to_string());
    let recorded = r.recorded_ms.map(length).unwrap_or_else(|| cl.unknown.to_string());
    let _ = writeln!(
        h,
        "<p class=\"meta\"><span>{}: {}</span><span>{}: {} {} · {} {}</span><span>{}: {}</span><span>{}: {}</span></p>",
        cl.date,
        esc(&when(&s.started_at)),
        cl.length,
        planned,
        cl.planned,
        recorded,
        cl.recorded,
        cl.status,
        esc(&status_label(&s.status, cl)),
        l.language,
        esc(&s.language)
    );
    match (&r.session_audio, &r.session_audio_problem) {
        (Some(href), _) => {
            let _ = writeln!(h, "<p>{}</p>\n<audio controls preload=\"none\" src=\"{}\"></audio>", cl.session_audio, attr(href));
        }
        (None, Some(p)) => {
            let _ = writeln!(h, "<p class=\"problem\">{}: {}</p>", cl.no_session_audio, esc(p));
        }
        (None, None) => {}
    }
    if r.segments.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", cl.no_segments);
    } else {
        let note = if r.answer_clocks { cl.used_note } else { cl.used_note_old };
        let _ = writeln!(h, "<p class=\"note\">{}</p>", note);
    }
    for (i, seg) in r.segments.iter().enumerate() {
        let who = match seg.interviewer.as_deref() {
            Some("AB") => cl.both.to_string(),
            Some(x) => x.to_string(),
            None => cl.unknown.to_string(),
        };
        let planned = seg.planned_secs.map(|p| length(p as u64 * 1000)).unwrap_or_else(|| cl.unknown.to_string());
        let _ = writeln!(
            h,
            "<section class=\"seg\">\n<h2>{}. {}</h2>\n<p class=\"seg-meta\"><span>{}</span><span>{}: {}</span><span>{}: {} {} · {} {}</span></p>",
            i + 1,
            esc(&seg.name),
            at(seg.start),
            cl.interviewers,
            esc(&who),
            cl.length,
            planned,
            cl.planned,
            length(seg.used_ms),
            cl.used_seg
        );
        for a in &seg.answers {
            render_answer(&mut h, a, &at, l, cl);
        }
        h.push_str("</section>\n");
    }
    let _ = writeln!(h, "<h2>{}</h2>\n<table class=\"markers\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>", cl.markers, cl.time, cl.kind, cl.label);
    for m in &r.markers {
        let _ = writeln!(
            h,
            "<tr data-kind=\"{}\"><td class=\"t\">{}</td><td>{}</td><td>{}</td></tr>",
            attr(m.kind.as_str()),
            at(m.sample_offset),
            esc(&kind_label(m.kind.as_str(), cl)),
            esc(&m.label)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    let _ = write!(h, "<footer>{} {} · Rehearse {}</footer>\n</body>\n</html>\n", l.generated, esc(&when(&r.generated_at)), env!("CARGO_PKG_VERSION"));
    h
}

fn render_answer(h: &mut String, a: &CallAnswer, at: &dyn Fn(u64) -> String, l: &Labels, cl: &CallLabels) {
    let mut class = String::from("answer");
    if a.probe {
        class.push_str(" probe");
    }
    if a.over_limit {
        class.push_str(" over-limit");
    }
    let _ = write!(h, "<div class=\"{class}\"");
    if let Some(t) = &a.take {
        let _ = write!(h, " data-take=\"{}\"", t.take.id);
    }
    if let Some(u) = a.used_ms {
        let _ = write!(h, " data-used-ms=\"{u}\"");
    }
    if let Some(lim) = a.limit_secs {
        let _ = write!(h, " data-limit-ms=\"{}\"", lim as u64 * 1000);
    }
    let who = a.speaker.map(|s| s.as_str()).unwrap_or("?");
    let _ = writeln!(
        h,
        ">\n<h3><span class=\"who\">{who}</span>{}{} <span class=\"note\">{}</span></h3>\n<div class=\"qid\">{}</div>",
        if a.probe { "↳ " } else { "" },
        esc(&a.text),
        at(a.start),
        esc(&a.question_id)
    );
    let Some(t) = &a.take else {
        let _ = writeln!(h, "<p class=\"problem\">{}</p>\n</div>", cl.no_answer);
        return;
    };
    match (&t.audio, &t.problem) {
        (Some(href), _) => {
            let _ = writeln!(h, "<audio controls preload=\"none\" src=\"{}\"></audio>", attr(href));
        }
        (None, Some(p)) => {
            let _ = writeln!(h, "<p class=\"problem\">{}: {}</p>", l.no_audio, esc(p));
        }
        (None, None) => {}
    }
    h.push_str("<dl>\n");
    let used = a.used_ms.map(length).unwrap_or_else(|| cl.not_measured.to_string());
    let used = match a.limit_secs {
        Some(lim) => (cl.of)(&used, &length(lim as u64 * 1000)),
        None => format!("{used} ({})", cl.no_limit),
    };
    if a.over_limit {
        let _ = writeln!(h, "<dt>{}</dt><dd class=\"over\">{used} · ⚠ {}</dd>", cl.used, cl.over);
    } else {
        let _ = writeln!(h, "<dt>{}</dt><dd>{used}</dd>", cl.used);
    }
    match &t.metrics {
        Some(m) => {
            let first = m.time_to_first_word_ms.map(secs).unwrap_or_else(|| cl.no_speech.to_string());
            let _ = writeln!(h, "<dt>{}</dt><dd>{first}</dd>", capitalized(l.first_word));
            let pauses = if m.long_pauses.is_empty() {
                l.none.to_string()
            } else {
                format!("{}: {}", m.long_pauses.len(), m.long_pauses.iter().map(|&p| secs(p)).collect::<Vec<_>>().join(", "))
            };
            let _ = writeln!(h, "<dt>{}</dt><dd>{pauses}</dd>", capitalized(l.long_pauses));
        }
        None => {
            let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", capitalized(l.first_word), cl.not_measured);
        }
    }
    // The rating form, as it was filled in.
    let _ = write!(h, "<dt>{}</dt><dd><fieldset class=\"rating\" disabled>", l.rating);
    for (i, name) in l.ratings.iter().enumerate() {
        let checked = if t.take.rating == Some(i as u8 + 1) { " checked" } else { "" };
        let _ = write!(h, "<label><input type=\"radio\" name=\"rating-{}\" value=\"{}\" disabled{checked}> {name}</label>", t.take.id, i + 1);
    }
    if !t.take.rating.is_some_and(|r| (1..=4).contains(&r)) {
        let _ = write!(h, "<span class=\"note\">{}</span>", l.unrated);
    }
    h.push_str("</fieldset></dd>\n");
    if !t.take.notes.is_empty() {
        let _ = writeln!(h, "<dt>{}</dt><dd class=\"notes\">{}</dd>", l.notes, esc(&t.take.notes));
    }
    render_rubric_and_bookmarks(h, t, l);
    h.push_str("</dl>\n</div>\n");
}

/// "first word at" as a row title: "First word at".
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::TakeId;
    use crate::session::{Order, PracticeOptions};

    fn options(lang: &str) -> PracticeOptions {
        PracticeOptions {
            deck_id: "databases".into(),
            category: None,
            tag: None,
            count: 2,
            order: Order::InOrder,
            language: lang.into(),
            overtime: false,
            seed: None,
        }
    }

    #[test]
    fn a_report_groups_takes_by_question_in_the_order_they_were_asked() {
        let (_d, mut lib) = Library::open_temp();
        let s = lib.start_session(options("ko")).expect("session");
        let (q1, q2) = (s.questions[0].id.to_string(), s.questions[1].id.to_string());
        let a = lib.commit_test_take(&q2, Some(s.id), 48_000);
        let b = lib.commit_test_take(&q1, Some(s.id), 96_000);
        let c = lib.commit_test_take(&q2, Some(s.id), 144_000);
        lib.commit_test_take(&q1, None, 48_000); // not in the session
        let r = lib.session_report(s.id).expect("report");
        assert_eq!(r.session.language, "ko");
        assert_eq!((r.session.questions, r.session.takes), (2, 3));
        type Row = (usize, String, Vec<(usize, i64)>);
        let order: Vec<Row> = r
            .questions
            .iter()
            .map(|q| (q.number, q.id.to_string(), q.takes.iter().map(|t| (t.number, t.take.id.0)).collect()))
            .collect();
        assert_eq!(order, vec![(1, q2.clone(), vec![(1, a.0), (2, c.0)]), (2, q1.clone(), vec![(1, b.0)])]);
        assert!(r.questions[0].text.contains_key("en") && r.questions[0].text.contains_key("ko"));
        // The placeholder files are not WAVs: the problem is noted, not an error.
        assert!(r.questions[0].takes[0].problem.is_some() && r.questions[0].takes[0].metrics.is_none());
    }

    #[test]
    fn times_are_shown_readably() {
        assert_eq!(when("2026-11-25T03:14:01.849Z"), "2026-11-25 03:14:01 UTC");
        assert_eq!(when("yesterday"), "yesterday");
        assert_eq!(when("é"), "é");
    }

    #[test]
    fn an_unknown_session_is_an_error_naming_it() {
        let (_d, lib) = Library::open_temp();
        let err = lib.session_report(42).expect_err("unknown");
        assert_eq!(err.kind(), "unknown_session");
        assert!(err.to_string().contains("42"));
    }

    #[test]
    fn user_text_is_escaped_and_the_page_has_no_script_and_no_network_reference() {
        let (_d, mut lib) = Library::open_temp();
        let s = lib.start_session(options("en")).expect("session");
        let q = s.questions[0].id.to_string();
        let id = lib.commit_test_take(&q, Some(s.id), 48_000);
        lib.set_note(id, "<script>alert('x')</script> & \"quotes\"\nline two").expect("note");
        lib.storage()
            .conn_mut()
            .execute("UPDATE takes SET rubric_json = ?2 WHERE id = ?1", params![id.0, r#"{"star":true,"key_points":"2/3 <b>"}"#])
            .expect("rubric");
        lib.storage()
            .conn_mut()
            .execute("INSERT INTO bookmarks (take_id, at_ms, note, created_at) VALUES (?1, 1500, '<img src=x onerror=1>', 'now')", [id.0])
            .expect("bookmark");
        let mut r = lib.session_report(s.id).expect("report");
        r.questions[0].takes[0].audio = Some("01-x\"-take1.wav".into());
        let html = render_html(&r, "en");
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"quotes\""), "{html}");
        assert!(html.contains("key_points: 2/3 &lt;b&gt;") && html.contains("star: true"), "{html}");
        assert!(html.contains("1.5 s &lt;img src=x onerror=1&gt;"), "{html}");
        assert!(html.contains("src=\"01-x&quot;-take1.wav\""), "{html}");
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<link"), "{html}");
        assert!(html.contains(s.questions[0].text_in("en")) || html.contains(&*esc(s.questions[0].text_in("en"))));
    }

    #[test]
    fn an_empty_rubric_is_not_shown_and_korean_labels_are_used_for_korean() {
        assert_eq!(parse_rubric("{}"), None);
        assert_eq!(parse_rubric(""), None);
        assert_eq!(parse_rubric("not json"), Some(serde_json::Value::String("not json".into())));
        let (_d, mut lib) = Library::open_temp();
        let s = lib.start_session(options("ko")).expect("session");
        let q = s.questions[0].clone();
        let id = lib.commit_test_take(q.id.as_str(), Some(s.id), 48_000);
        lib.rate_take(id, Some(1)).expect("rate");
        let html = render_html(&lib.session_report(s.id).expect("report"), "ko");
        assert!(!html.contains("루브릭"), "empty rubric shown: {html}");
        assert!(html.contains("다시") && html.contains("<html lang=\"ko\">"), "{html}");
        // The question in the session language first, then in the other one.
        let ko = html.find(&*esc(q.text_in("ko"))).expect("korean text");
        let en = html.find(&*esc(q.text_in("en"))).expect("english text");
        assert!(ko < en);
    }

    #[test]
    fn sessions_are_listed_newest_first_with_their_counts() {
        let (_d, mut lib) = Library::open_temp();
        let a = lib.start_session(options("en")).expect("a");
        let b = lib.start_session(options("ko")).expect("b");
        lib.commit_test_take(a.questions[0].id.as_str(), Some(a.id), 48_000);
        lib.end_session(a.id).expect("end");
        let list = lib.sessions().expect("list");
        assert_eq!(list.iter().map(|s| s.id).collect::<Vec<_>>(), vec![b.id, a.id]);
        assert_eq!((list[1].takes, list[1].questions, list[1].ended_at.is_some()), (1, 1, true));
        assert_eq!((list[0].takes, list[0].ended_at.is_some()), (0, false));
    }

    // ---------- rehearsals ----------

    const CALL_TEMPLATE: &str = r#"format = 1
[template]
id = "report-test"
name = { en = "Report <test> & call", ko = "보고서 <테스트> 면접" }

[[segments]]
id = "tech"
name = { en = "Tech <b>", ko = "기술 <b>" }
interviewer = "B"
length_secs = 10
answer_secs = 3
questions = { ids = ["db.deadlock"] }

[[segments]]
id = "lp"
name = { en = "Principles", ko = "원칙" }
interviewer = "AB"
length_secs = 20
answer_secs = 4
probe_answer_secs = 2
follow_ups = { count = 1, when = "always" }
questions = { ids = ["db.ora-01555", "call.intro"] }
"#;

    pub(crate) const CALL_RATE: u32 = 8000;

    /// Frames of `secs` seconds at the test rate.
    fn f(secs: f64) -> u64 {
        (secs * CALL_RATE as f64).round() as u64
    }

    /// A rehearsal recorded the way the engine records one, without audio hardware: its
    /// markers through the core API, a real 13 s session WAV (tone where the candidate
    /// speaks), the takes cut from it, the session finished ("ended") with cue points in
    /// its WAV. Timeline (s): Tech 0-4 (question 0-3, speech 1-3); Principles 4-13
    /// (question 4-9.5, speech 4.2-5 and 7.5-9.5; probe 9.5-11, silent; question 11-13,
    /// speech 11.5-12.5). Returns (session id, the takes in asked order).
    pub(crate) fn recorded_rehearsal(lib: &mut Library, lang: &str) -> (i64, Vec<TakeId>) {
        recorded_rehearsal_marked(lib, lang, false)
    }

    /// With `answer_clocks`, the markers also say where each answer clock started, as the
    /// engine writes them now (0.5 s, 6.0 s and 10.0 s; the last question's asking took
    /// all its time); without, it is a session from before those markers.
    pub(crate) fn recorded_rehearsal_marked(lib: &mut Library, lang: &str, answer_clocks: bool) -> (i64, Vec<TakeId>) {
        if lib.template("report-test").is_err() {
            lib.import_template_text("test", CALL_TEMPLATE).expect("template");
        }
        let t = lib.template("report-test").expect("template");
        let (seg1, seg2) = (t.segments[0].name_in(lang).to_string(), t.segments[1].name_in(lang).to_string());
        let o = crate::rehearsal::RehearsalOptions { template_id: "report-test".into(), language: lang.into(), seed: Some(1), allow_pause: false };
        let (id, wav) = lib.start_rehearsal(&o).expect("start");
        lib.set_rehearsal_capture(id, CALL_RATE).expect("capture");
        let spec = hound::WavSpec { channels: 1, sample_rate: CALL_RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
        let speech = [(1.0, 3.0), (4.2, 5.0), (7.5, 9.5), (11.5, 12.5)];
        for n in 0..f(13.0) {
            let t = n as f64 / CALL_RATE as f64;
            let v = if speech.iter().any(|&(a, b)| t >= a && t < b) { ((t * 2.0 * std::f64::consts::PI * 220.0).sin() * 8000.0) as i16 } else { 0 };
            w.write_sample(v).expect("sample");
        }
        w.finalize().expect("finalize");
        let name = t.name_in(lang).to_string();
        let marks: Vec<(MarkerKind, &str, Option<&str>, f64)> = vec![
            (MarkerKind::SessionStart, &name, None, 0.0),
            (MarkerKind::SegmentStart, &seg1, None, 0.0),
            (MarkerKind::QuestionStart, "Why <deadlock> & \"locks\"?", Some("db.deadlock"), 0.0),
            (MarkerKind::QuestionEnd, "", Some("db.deadlock"), 3.0),
            (MarkerKind::SegmentEnd, &seg1, None, 4.0),
            (MarkerKind::SegmentStart, &seg2, None, 4.0),
            (MarkerKind::QuestionStart, "Snapshot too old?", Some("db.ora-01555"), 4.0),
            (MarkerKind::QuestionEnd, "", Some("db.ora-01555"), 9.5),
            (MarkerKind::ProbeStart, "What <exactly> did you do?", Some("db.ora-01555"), 9.5),
            (MarkerKind::ProbeEnd, "", Some("db.ora-01555"), 11.0),
            (MarkerKind::QuestionStart, "Introduce yourself", Some("call.intro"), 11.0),
            (MarkerKind::QuestionEnd, "", Some("call.intro"), 13.0),
            (MarkerKind::SegmentEnd, &seg2, None, 13.0),
            (MarkerKind::SessionEnd, &name, None, 13.0),
        ];
        let clocks = [("db.deadlock", 0.5), ("db.ora-01555", 6.0), ("db.ora-01555", 10.0)];
        let mut clocks = clocks.iter().filter(|_| answer_clocks);
        for (kind, label, q, at) in marks {
            if matches!(kind, MarkerKind::QuestionEnd | MarkerKind::ProbeEnd) {
                if let Some(&(cq, cat)) = clocks.next().filter(|&&(cq, _)| Some(cq) == q) {
                    lib.add_marker(id, MarkerKind::AnswerStart, "", Some(cq), f(cat)).expect("marker");
                }
            }
            lib.add_marker(id, kind, label, q, f(at)).expect("marker");
        }
        let s = lib.rehearsal(id).expect("session");
        let mut takes = vec![];
        for span in take_spans(&lib.markers(id).expect("markers")) {
            let end = span.end.expect("closed");
            takes.push(lib.cut_span(&s, &span, end, "test", "ok").expect("cut").expect("on disk").id);
        }
        lib.finish_rehearsal(id, f(13.0), CALL_RATE, "ended").expect("finish");
        lib.write_wav_cues(&lib.rehearsal(id).expect("session")).expect("cues");
        (id, takes)
    }

    #[test]
    fn time_used_runs_from_the_answer_clock_marker_and_is_zero_when_the_asking_took_all_the_time() {
        let (_d, mut lib) = Library::open_temp();
        let (id, _) = recorded_rehearsal_marked(&mut lib, "en", true);
        let r = lib.rehearsal_report(id).expect("report");
        let answers: Vec<&CallAnswer> = r.segments.iter().flat_map(|s| &s.answers).collect();
        let used: Vec<Option<u64>> = answers.iter().map(|a| a.used_ms).collect();
        // Answer clocks at 0.5, 6.0 and 10.0 s; ends at 3.0, 9.5, 11.0; the last never started.
        assert_eq!(used, [Some(2500), Some(3500), Some(1000), Some(0)]);
        let over: Vec<bool> = answers.iter().map(|a| a.over_limit).collect();
        assert_eq!(over, [false, false, false, false], "3.5 s of a 4 s limit is not over");
        let html = render_rehearsal_html(&r);
        assert!(html.contains("answer clock starts"), "the marker table names the new kind: {html}");
        assert!(!html.contains("first word to the end"), "the note says how time used is counted now: {html}");
    }

    /// The `<div class="answer …">` of the take, up to its end.
    fn answer_div(html: &str, take: TakeId) -> &str {
        let at = html.find(&format!("data-take=\"{take}\"")).expect("answer of the take");
        let start = html[..at].rfind("<div class=\"answer").expect("div");
        let end = html[at..].find("\n</div>\n").expect("end") + at;
        &html[start..end]
    }

    #[test]
    fn a_rehearsal_report_lists_segments_answers_time_used_against_limits_and_markers() {
        let (_d, mut lib) = Library::open_temp();
        let (id, takes) = recorded_rehearsal(&mut lib, "en");
        lib.rate_take(takes[1], Some(2)).expect("rate");
        lib.set_note(takes[1], "<script>alert(1)</script> & more").expect("note");
        lib.storage().conn_mut().execute("UPDATE takes SET rubric_json = ?2 WHERE id = ?1", params![takes[1].0, r#"{"star":"<i>yes</i>"}"#]).expect("rubric");
        let r = lib.rehearsal_report(id).expect("report");
        // The model: segments in order, with their answers, limits and speakers.
        assert_eq!(r.template_name, "Report <test> & call");
        assert_eq!((r.planned_secs, r.recorded_ms), (Some(30), Some(13_000)));
        type SegRow<'a> = (&'a str, Option<&'a str>, Option<u32>, u64, usize);
        let segs: Vec<SegRow> =
            r.segments.iter().map(|s| (s.name.as_str(), s.interviewer.as_deref(), s.planned_secs, s.used_ms, s.answers.len())).collect();
        assert_eq!(segs, [("Tech <b>", Some("B"), Some(10), 4000, 1), ("Principles", Some("AB"), Some(20), 9000, 3)]);
        let answers: Vec<&CallAnswer> = r.segments.iter().flat_map(|s| &s.answers).collect();
        type AnswerRow = (bool, Option<Speaker>, Option<u32>, bool, Option<TakeId>);
        let shape: Vec<AnswerRow> =
            answers.iter().map(|a| (a.probe, a.speaker, a.limit_secs, a.over_limit, a.take.as_ref().map(|t| t.take.id))).collect();
        assert_eq!(
            shape,
            [
                (false, Some(Speaker::B), Some(3), false, Some(takes[0])),
                (false, Some(Speaker::A), Some(4), true, Some(takes[1])),
                (true, Some(Speaker::A), Some(2), false, Some(takes[2])),
                (false, Some(Speaker::B), Some(4), false, Some(takes[3])),
            ]
        );
        // A session from before answer_start markers: time used runs from the first word to
        // the end of the answer.
        let used: Vec<u64> = answers.iter().map(|a| a.used_ms.expect("measured")).collect();
        for (got, want) in used.iter().zip([2000u64, 5300, 0, 1500]) {
            assert!(got.abs_diff(want) <= 30, "used {used:?}");
        }

        let html = render_rehearsal_html(&r);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
        assert!(html.contains("Rehearsal #") && html.contains("Report &lt;test&gt; &amp; call"), "{html}");
        assert!(html.contains("13.0 s recorded") && html.contains("30.0 s planned") && html.contains("Ended by the user"), "{html}");
        assert!(html.contains("<h2>1. Tech &lt;b&gt;</h2>") && html.contains("<h2>2. Principles</h2>"), "{html}");
        assert!(html.contains("Interviewers: B") && html.contains("Interviewers: A and B"), "{html}");
        assert!(html.contains("Length: 10.0 s planned · 4.0 s used") && html.contains("Length: 20.0 s planned · 9.0 s used"), "{html}");
        assert!(html.contains("Why &lt;deadlock&gt; &amp; \"locks\"?") && html.contains("What &lt;exactly&gt; did you do?"), "{html}");
        // Only the answer past its limit is marked, with its time against the limit.
        let over = answer_div(&html, takes[1]);
        assert!(over.starts_with("<div class=\"answer over-limit\"") && over.contains("<dd class=\"over\">5.3 s of 4.0 s · ⚠ over the limit</dd>"), "{over}");
        assert_eq!(html.matches("over the limit").count(), 1, "{html}");
        assert!(answer_div(&html, takes[0]).contains("<dd>2.0 s of 3.0 s</dd>"), "{html}");
        // The probe is indented under its question, and heard no speech.
        let probe = answer_div(&html, takes[2]);
        assert!(probe.starts_with("<div class=\"answer probe\"") && probe.contains("<dd>0.0 s of 2.0 s</dd>") && probe.contains("no speech heard"), "{probe}");
        assert!(html.find(&format!("data-take=\"{}\"", takes[1])) < html.find(&format!("data-take=\"{}\"", takes[2])));
        // First word, long pauses (count and lengths), the rating form, notes, rubric.
        assert!(over.contains("<dt>First word at</dt><dd>0.2 s</dd>") && over.contains("<dt>Long pauses</dt><dd>1: 2.5 s</dd>"), "{over}");
        assert!(over.contains("value=\"2\" disabled checked> Hard") && over.matches(" checked").count() == 1, "{over}");
        assert!(answer_div(&html, takes[0]).contains("not rated"), "{html}");
        assert!(over.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more") && over.contains("star: &lt;i&gt;yes&lt;/i&gt;"), "{over}");
        // Every marker, in a table (no links: the report was not exported with the recording).
        assert_eq!(html.matches("<tr data-kind=").count(), r.markers.len());
        assert!(html.contains("<td class=\"t\">0:00:09.500</td><td>follow-up</td>"), "{html}");
        assert!(!html.contains("session.wav"), "no recording beside this report: {html}");
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("http:") && !lower.contains("https:") && !lower.contains("<link"), "{html}");
    }

    #[test]
    fn a_korean_rehearsal_report_has_korean_labels() {
        let (_d, mut lib) = Library::open_temp();
        let (id, _) = recorded_rehearsal(&mut lib, "ko");
        let html = render_rehearsal_html(&lib.rehearsal_report(id).expect("report"));
        assert!(html.contains("<html lang=\"ko\">") && html.contains("리허설 #") && html.contains("보고서 &lt;테스트&gt; 면접"), "{html}");
        for label in ["사용 시간", "제한 시간 초과", "사용자가 종료", "면접관: A와 B", "<h2>1. 기술 &lt;b&gt;</h2>", "추가 질문", "마커", "첫 단어", "어려움"] {
            assert!(html.contains(label), "{label}: {html}");
        }
        assert!(!html.contains("over the limit") && !html.contains("Time used"), "{html}");
    }

    #[test]
    fn marker_kinds_show_by_name_and_a_changed_template_leaves_limits_unknown() {
        for l in [&CALL_EN, &CALL_KO] {
            for k in MarkerKind::ALL {
                assert!(l.kinds.iter().any(|(n, _)| *n == k.as_str()), "{} has a label", k.as_str());
            }
            // Kinds this version does not know show by their name.
            assert_eq!(kind_label("coffee_break", l), "coffee break");
            assert_eq!(kind_label("answer_clock_start", l), "answer clock start");
        }
        assert_eq!(status_label("disk_low", &CALL_EN), "Stopped: disk full");
        assert_eq!(status_label("some_new_status", &CALL_EN), "some new status");
        assert_eq!((clock_ms(3_723_004), clock_ms(0)), ("1:02:03.004".to_string(), "0:00:00.000".to_string()));
        assert_eq!((length(4_250), length(90_000), length(3_600_000)), ("4.2 s".to_string(), "1:30".to_string(), "1:00:00".to_string()));
        // The template renamed its second segment after the session: its limits are not guessed.
        let (_d, mut lib) = Library::open_temp();
        let (id, _) = recorded_rehearsal(&mut lib, "en");
        lib.import_template_text("edit", &CALL_TEMPLATE.replace("en = \"Principles\"", "en = \"Values\"")).expect("edit");
        let r = lib.rehearsal_report(id).expect("report");
        assert_eq!(r.planned_secs, None);
        assert_eq!(r.segments[0].answers[0].limit_secs, Some(3));
        assert!(r.segments[1].answers.iter().all(|a| a.limit_secs.is_none() && !a.over_limit && a.speaker.is_none()));
        let html = render_rehearsal_html(&r);
        assert!(html.contains("no limit known") && html.contains("unknown planned"), "{html}");
        // A practice session is not a rehearsal.
        let s = lib.start_session(options("en")).expect("practice");
        assert_eq!(lib.rehearsal_report(s.id).expect_err("practice").kind(), "unknown_rehearsal");
        assert_eq!(lib.rehearsal_report(999).expect_err("unknown").kind(), "unknown_session");
    }
}
