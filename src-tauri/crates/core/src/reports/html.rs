//! The reports as one self-contained HTML page each: inline CSS, no scripts, nothing
//! fetched from a network, every piece of user or deck text HTML-escaped.

use std::fmt::Write as _;

use super::labels::*;
use super::report::{CallAnswer, RehearsalReport, ReportQuestion, ReportTake, SessionReport};

pub(crate) const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans KR','Apple SD Gothic Neo',sans-serif;\
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

pub(crate) fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

/// `2026-11-25T03:14:01.849Z` as `2026-11-25 03:14:01 UTC`; anything else as it is.
pub(crate) fn when(t: &str) -> String {
    match (t.get(..10), t.get(10..11), t.get(11..19)) {
        (Some(d), Some("T"), Some(hms)) if t.ends_with('Z') => format!("{d} {hms} UTC"),
        _ => t.to_string(),
    }
}

pub(crate) fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// A rubric value as text: strings as they are, everything else as compact JSON.
pub(crate) fn rubric_value(v: &serde_json::Value) -> String {
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
    let deck = s
        .deck_id
        .as_deref()
        .map(|d| r.deck_name.get(&s.language).or_else(|| r.deck_name.get("en")).cloned().unwrap_or_else(|| d.to_string()));
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
    let _ = write!(
        h,
        "<footer>{} {} · Rehearse {}</footer>\n</body>\n</html>\n",
        l.generated,
        esc(&when(&r.generated_at)),
        env!("CARGO_PKG_VERSION")
    );
    h
}

pub(crate) fn render_question(h: &mut String, q: &ReportQuestion, lang: &str, l: &Labels) {
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

pub(crate) fn render_take(h: &mut String, t: &ReportTake, l: &Labels) {
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
pub(crate) fn render_rubric_and_bookmarks(h: &mut String, t: &ReportTake, l: &Labels) {
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
    render_transcript(h, t, l);
}

/// A take's transcript and its figures (the session and the call report).
fn render_transcript(h: &mut String, t: &ReportTake, l: &Labels) {
    if let Some(r) = &t.analysis {
        h.push_str(&crate::transcript_analysis::figures_html(r, l.language == KO.language));
    }
    if let Some(tr) = t.transcript.as_ref().filter(|tr| tr.segments.iter().any(|s| !s.text.trim().is_empty())) {
        let _ = write!(
            h,
            "<dt>{}</dt><dd class=\"transcript\" lang=\"{}\">",
            l.transcript,
            html_escape::encode_double_quoted_attribute(&tr.language)
        );
        for seg in tr.segments.iter().filter(|s| !s.text.trim().is_empty()) {
            let _ = write!(
                h,
                "<p data-start-ms=\"{}\"><span class=\"note\">{}</span> {}</p>",
                seg.start_ms,
                clock(seg.start_ms),
                esc(seg.text.trim())
            );
        }
        h.push_str("</dd>\n");
    }
}

/// A time in a take as m:ss.
pub(crate) fn clock(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)
}

// ---------- rehearsals (timed video calls) ----------

pub(crate) const CALL_CSS: &str = "section.seg{border:1px solid #d8dce4;border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}\
.seg-meta{color:#555;margin:0 0 .5rem}.seg-meta span{margin-right:1.2rem}\
.answer{border-top:1px solid #eceef3;padding:.7rem 0 .2rem}.answer h3{font-size:1rem;margin:0 0 .3rem}\
.answer.probe{margin-left:2rem}.who{display:inline-block;min-width:1.4rem;text-align:center;border-radius:4px;background:#e6e9f2;margin-right:.4rem}\
.over{color:#a32020;font-weight:600}.note{color:#777;font-size:.85rem}\
fieldset.rating{border:0;padding:0;margin:0}fieldset.rating label{margin-right:.8rem}\
table.markers{border-collapse:collapse;width:100%;font-size:.9rem}table.markers td,table.markers th{border-bottom:1px solid #eceef3;padding:.2rem .5rem;text-align:left}\
table.markers td.t{font-family:ui-monospace,monospace;white-space:nowrap}";

/// `h:mm:ss.mmm`, the time of a marker in the session.
pub(crate) fn clock_ms(ms: u64) -> String {
    format!("{}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// A length: tenths of a second under a minute, `m:ss` (or `h:mm:ss`) above.
pub(crate) fn length(ms: u64) -> String {
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

pub(crate) fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

/// The head of a report page: charset, a policy that allows no script and nothing from a
/// network, the styles.
pub(crate) fn page_head(h: &mut String, lang: &str, title: &str, css: &str) {
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
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<table class=\"markers\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        cl.markers, cl.time, cl.kind, cl.label
    );
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
    let _ = write!(
        h,
        "<footer>{} {} · Rehearse {}</footer>\n</body>\n</html>\n",
        l.generated,
        esc(&when(&r.generated_at)),
        env!("CARGO_PKG_VERSION")
    );
    h
}

pub(crate) fn render_answer(h: &mut String, a: &CallAnswer, at: &dyn Fn(u64) -> String, l: &Labels, cl: &CallLabels) {
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
            let first = a.first_word_ms.map(secs).unwrap_or_else(|| cl.no_speech.to_string());
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
        let _ =
            write!(h, "<label><input type=\"radio\" name=\"rating-{}\" value=\"{}\" disabled{checked}> {name}</label>", t.take.id, i + 1);
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
pub(crate) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
