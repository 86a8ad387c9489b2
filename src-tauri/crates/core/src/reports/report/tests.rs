//! Tests of the reports: built from a real library, rendered, escaped; shared with the
//! export tests (`recorded_rehearsal`).

use super::*;
use crate::model::TakeId;
use crate::reports::html::*;
use crate::reports::labels::*;
use crate::session::{Order, PracticeOptions};
use rusqlite::params;

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
    let order: Vec<Row> =
        r.questions.iter().map(|q| (q.number, q.id.to_string(), q.takes.iter().map(|t| (t.number, t.take.id.0)).collect())).collect();
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
    let o =
        crate::rehearsal::RehearsalOptions { template_id: "report-test".into(), language: lang.into(), seed: Some(1), allow_pause: false };
    let (id, wav) = lib.start_rehearsal(&o).expect("start");
    lib.set_rehearsal_capture(id, CALL_RATE).expect("capture");
    let spec = hound::WavSpec { channels: 1, sample_rate: CALL_RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
    let speech = [(1.0, 3.0), (4.2, 5.0), (7.5, 9.5), (11.5, 12.5)];
    for n in 0..f(13.0) {
        let t = n as f64 / CALL_RATE as f64;
        let v =
            if speech.iter().any(|&(a, b)| t >= a && t < b) { ((t * 2.0 * std::f64::consts::PI * 220.0).sin() * 8000.0) as i16 } else { 0 };
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

#[test]
fn a_call_answers_time_to_first_word_runs_from_the_answer_clock_not_from_the_question() {
    let (_d, mut lib) = Library::open_temp();
    let (id, takes) = recorded_rehearsal_marked(&mut lib, "en", true);
    let r = lib.rehearsal_report(id).expect("report");
    let answers: Vec<&CallAnswer> = r.segments.iter().flat_map(|s| &s.answers).collect();
    let in_take: Vec<Option<u64>> =
        answers.iter().map(|a| a.take.as_ref().and_then(|t| t.metrics.as_ref()).and_then(|m| m.time_to_first_word_ms)).collect();
    let first: Vec<Option<u64>> = answers.iter().map(|a| a.first_word_ms).collect();
    // Speech from 1.0 s, the answer clock at 0.5 s: 0.5 s after the clock, not 1.0 s.
    let (q1, asked) = (in_take[0].expect("speech in take 1"), 500);
    assert!((900..=1100).contains(&q1), "the take's own figure counts from the question: {q1}");
    assert_eq!(first[0], Some(q1 - asked));
    // Speech at 4.2 s while the question was asked until 6.0 s: 0, not a time before the clock.
    assert_eq!(first[1], Some(0));
    // The probe holds no speech; the last answer (no clock: nothing was asked aloud) as measured.
    assert_eq!((first[2], first[3]), (None, in_take[3]));
    let html = render_rehearsal_html(&r);
    let div = answer_div(&html, takes[0]);
    assert!(div.contains(&format!("<dd>{}</dd>", secs(q1 - asked))), "{div}");
    assert!(!div.contains(&format!("<dd>{}</dd>", secs(q1))), "the asking is not counted: {div}");
}

/// The `<div class="answer …">` of the take, up to its end.
fn answer_div(html: &str, take: TakeId) -> &str {
    let at = html.find(&format!("data-take=\"{take}\"")).expect("answer of the take");
    let start = html[..at].rfind("<div class=\"answer").expect("div");
    let end = html[at..].find("\n</div>\n").expect("end") + at;
    &html[start..end]
}

fn said(lib: &mut Library, id: TakeId, lang: &str, text: &str) {
    use crate::transcript::{ModelIdentity, Segment, Transcript};
    let t = Transcript {
        language: lang.into(),
        model: ModelIdentity { name: "m".into(), sha256: "0".into() },
        segments: vec![
            Segment { start_ms: 0, end_ms: 900, text: "  ".into(), words: vec![] },
            Segment { start_ms: 65_400, end_ms: 70_000, text: text.into(), words: vec![] },
        ],
    };
    let file = lib.take_file_identity(id).expect("identity");
    lib.save_transcript(id, &t, &file).expect("transcript");
}

#[test]
fn session_and_call_reports_show_what_was_said_with_times_escaped_and_in_the_report_language() {
    let (_d, mut lib) = Library::open_temp();
    let s = lib.start_session(options("ko")).expect("session");
    let heard = lib.commit_test_take(s.questions[0].id.as_str(), Some(s.id), 48_000);
    let silent = lib.commit_test_take(s.questions[1].id.as_str(), Some(s.id), 48_000);
    said(&mut lib, heard, "ko", "언두 보존 <b>기간</b>을 늘렸습니다");
    let r = lib.session_report(s.id).expect("report");
    let takes: Vec<&ReportTake> = r.questions.iter().flat_map(|q| &q.takes).collect();
    assert_eq!(takes.iter().map(|t| (t.take.id, t.transcript.is_some())).collect::<Vec<_>>(), [(heard, true), (silent, false)]);
    let html = render_html(&r, "ko");
    assert!(html.contains("<dt>말한 내용</dt><dd class=\"transcript\" lang=\"ko\">"), "{html}");
    assert!(
        html.contains("<p data-start-ms=\"65400\"><span class=\"note\">1:05</span> 언두 보존 &lt;b&gt;기간&lt;/b&gt;을 늘렸습니다</p>"),
        "{html}"
    );
    assert!(!html.contains("data-start-ms=\"0\""), "an empty segment is left out: {html}");
    assert_eq!(html.matches("class=\"transcript\"").count(), 1, "only the transcribed take: {html}");
    assert!(render_html(&r, "en").contains("<dt>What was said</dt>"));

    let (id, call_takes) = recorded_rehearsal(&mut lib, "en");
    said(&mut lib, call_takes[0], "en", "I raised undo retention");
    let html = render_rehearsal_html(&lib.rehearsal_report(id).expect("report"));
    let answer = answer_div(&html, call_takes[0]);
    assert!(answer.contains("<dt>What was said</dt>") && answer.contains("1:05</span> I raised undo retention</p>"), "{answer}");
    // Each answer's figures beside its transcript: pace with its band, fillers, I/we.
    assert!(answer.contains("<dt>Pace</dt><dd class=\"pace\">4 words · ") && answer.contains("wpm (target 120–160 wpm"), "{answer}");
    assert!(answer.contains("<dt>Fillers</dt><dd class=\"fillers\">none</dd>") && answer.contains("I 1 · we 0"), "{answer}");
    let html = render_html(&lib.session_report(s.id).expect("report"), "ko");
    assert!(html.contains("<dt>말 빠르기</dt>") && html.contains("음절/분") && html.contains("<dt>군말</dt>"), "{html}");
}

#[test]
fn a_rehearsal_report_lists_segments_answers_time_used_against_limits_and_markers() {
    let (_d, mut lib) = Library::open_temp();
    let (id, takes) = recorded_rehearsal(&mut lib, "en");
    lib.rate_take(takes[1], Some(2)).expect("rate");
    lib.set_note(takes[1], "<script>alert(1)</script> & more").expect("note");
    lib.storage()
        .conn_mut()
        .execute("UPDATE takes SET rubric_json = ?2 WHERE id = ?1", params![takes[1].0, r#"{"star":"<i>yes</i>"}"#])
        .expect("rubric");
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
    assert!(
        over.starts_with("<div class=\"answer over-limit\"") && over.contains("<dd class=\"over\">5.3 s of 4.0 s · ⚠ over the limit</dd>"),
        "{over}"
    );
    assert_eq!(html.matches("over the limit").count(), 1, "{html}");
    assert!(answer_div(&html, takes[0]).contains("<dd>2.0 s of 3.0 s</dd>"), "{html}");
    // The probe is indented under its question, and heard no speech.
    let probe = answer_div(&html, takes[2]);
    assert!(
        probe.starts_with("<div class=\"answer probe\"") && probe.contains("<dd>0.0 s of 2.0 s</dd>") && probe.contains("no speech heard"),
        "{probe}"
    );
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
    for label in [
        "사용 시간",
        "제한 시간 초과",
        "사용자가 종료",
        "면접관: A와 B",
        "<h2>1. 기술 &lt;b&gt;</h2>",
        "추가 질문",
        "마커",
        "첫 단어",
        "어려움",
    ] {
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
