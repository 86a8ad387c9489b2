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
use crate::storage::Storage;

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

    /// Everything a report of session `id` shows. Speech metrics are computed from each
    /// take's WAV; a missing or damaged file is noted on the take, not an error.
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
                None => match crate::analysis::wav_metrics(&self.take_path(&take)) {
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
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; media-src 'self' file:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        if lang == "ko" { "ko" } else { "en" },
        esc(&title),
        esc(&title)
    );
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
