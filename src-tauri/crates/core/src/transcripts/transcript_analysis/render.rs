//! The report as plain text, for `rehearse-cli transcript` (the window draws its own).

use std::fmt::Write;

use super::pace::PaceVerdict;
use super::TranscriptReport;

/// m:ss from milliseconds ("0:42", "12:05").
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

fn one(v: f64) -> String {
    format!("{v:.1}")
}

/// The figures of a report, one topic a line, times as m:ss from the start of the take.
pub fn render_text(r: &TranscriptReport) -> String {
    let mut o = String::new();
    let unit = r.pace.unit_label;
    let _ = writeln!(o, "language {}: {} words, {} speaking", r.language, r.words, clock(r.speaking_ms));
    let band = format!("target {:.0}-{:.0} {unit}", r.pace.band.min, r.pace.band.max);
    match (r.pace.per_minute, r.pace.verdict) {
        (Some(v), Some(verdict)) => {
            let word = match verdict {
                PaceVerdict::Slow => "slower than the target",
                PaceVerdict::InBand => "within the target",
                PaceVerdict::Fast => "faster than the target",
            };
            let _ = writeln!(o, "pace: {v:.0} {unit} ({band}: {word})");
        }
        _ => {
            let _ = writeln!(o, "pace: too little speech to measure ({band})");
        }
    }
    let series: Vec<String> = r
        .pace
        .series
        .iter()
        .map(|p| format!("{} {}", clock(p.start_ms), p.per_minute.map_or("-".to_string(), |v| format!("{v:.0}"))))
        .collect();
    if !series.is_empty() {
        let _ = writeln!(o, "pace every 10 s ({unit}): {}", series.join(", "));
    }
    let f = &r.fillers;
    let rates = match (f.per_minute, f.per_100_words) {
        (Some(m), Some(w)) => format!(" ({} a minute, {} per 100 words)", one(m), one(w)),
        _ => String::new(),
    };
    let counts: Vec<String> = f.counts.iter().map(|(form, n)| format!("\"{form}\" x{n}")).collect();
    let _ =
        writeln!(o, "fillers: {}{rates}{}", f.total, if counts.is_empty() { String::new() } else { format!(": {}", counts.join(", ")) });
    if !f.occurrences.is_empty() {
        let at: Vec<String> = f.occurrences.iter().map(|x| format!("{} {}", clock(x.start_ms), x.text)).collect();
        let _ = writeln!(o, "  at {}", at.join(", "));
    }
    let p = &r.pronouns;
    let share = p.i_share.map_or(String::new(), |s| format!(" ({:.0}% I)", s * 100.0));
    let _ = writeln!(o, "I vs we: I {}, we {}{share}", p.i, p.we);
    if !r.key_points.is_empty() {
        let heard = r.key_points.iter().filter(|k| k.heard).count();
        let before = r.words_before_first_key_point.map_or(String::new(), |n| format!(", {n} words"));
        let first = match (r.first_key_point_ms, r.share_before_first_key_point) {
            (Some(at), Some(share)) => format!("; first at {}{before} and {:.0}% of the answer before it", clock(at), share * 100.0),
            (Some(at), None) => format!("; first at {}{before} before it", clock(at)),
            _ => String::new(),
        };
        let _ = writeln!(o, "key points heard (suggestions to confirm): {heard} of {}{first}", r.key_points.len());
        for k in &r.key_points {
            let mark = match (k.first_at_ms, &k.term) {
                (Some(at), Some(term)) => format!("heard at {} (\"{term}\")", clock(at)),
                _ => "not heard".to_string(),
            };
            let _ = writeln!(o, "  {} {}: {mark}", k.index, k.text);
        }
    }
    o
}

/// The figures for a report page (`<dt>`/`<dd>` pairs inside a `<dl>`), labels in English
/// or Korean (`ko`): pace against its band, fillers with their times, I/we, key points heard
/// (suggestions) and the time to the first one.
pub fn figures_html(r: &TranscriptReport, ko: bool) -> String {
    let esc = |s: &str| html_escape::encode_text(s).to_string();
    let mut h = String::new();
    let pick = |en: &'static str, k: &'static str| if ko { k } else { en };
    let unit = match r.pace.unit {
        super::PaceUnit::WordsPerMinute => pick("wpm", "단어/분"),
        super::PaceUnit::SyllablesPerMinute => pick("syllables/min", "음절/분"),
    };
    let band = format!("{:.0}–{:.0} {unit}", r.pace.band.min, r.pace.band.max);
    let pace = match (r.pace.per_minute, r.pace.verdict) {
        (Some(v), Some(verdict)) => {
            let word = match verdict {
                PaceVerdict::Slow => pick("slower than the target", "목표보다 느림"),
                PaceVerdict::InBand => pick("within the target", "목표 범위 안"),
                PaceVerdict::Fast => pick("faster than the target", "목표보다 빠름"),
            };
            format!("{v:.0} {unit} ({} {band}: {word})", pick("target", "목표"))
        }
        _ => format!("{} ({} {band})", pick("too little speech to measure", "말이 너무 짧아 잴 수 없음"), pick("target", "목표")),
    };
    let words = if ko { format!("{}어절", r.words) } else { format!("{} words", r.words) };
    let _ = writeln!(h, "<dt>{}</dt><dd class=\"pace\">{words} · {pace}</dd>", pick("Pace", "말 빠르기"));
    let f = &r.fillers;
    let fillers = if f.total == 0 {
        pick("none", "없음").to_string()
    } else {
        let rates = match (f.per_minute, f.per_100_words) {
            (Some(m), Some(w)) if ko => format!("분당 {}개, 100어절당 {}개", one(m), one(w)),
            (Some(m), Some(w)) => format!("{} a minute, {} per 100 words", one(m), one(w)),
            _ => String::new(),
        };
        let at: Vec<String> = f.occurrences.iter().map(|x| format!("{} {}", clock(x.start_ms), esc(&x.text))).collect();
        format!("{} · {rates} · {}", f.total, at.join(", "))
    };
    let _ = writeln!(h, "<dt>{}</dt><dd class=\"fillers\">{fillers}</dd>", pick("Fillers", "군말"));
    let p = &r.pronouns;
    let share =
        p.i_share.map_or(String::new(), |s| if ko { format!(" (나 {:.0}%)", s * 100.0) } else { format!(" ({:.0}% I)", s * 100.0) });
    let _ = writeln!(
        h,
        "<dt>{}</dt><dd class=\"pronouns\">{} {} · {} {}{share}</dd>",
        pick("I vs we", "나 대 우리"),
        pick("I", "나"),
        p.i,
        pick("we", "우리"),
        p.we
    );
    if !r.key_points.is_empty() {
        let items: Vec<String> = r
            .key_points
            .iter()
            .map(|k| match k.first_at_ms {
                Some(at) if ko => format!("{} — {}에 들림", esc(&k.text), clock(at)),
                Some(at) => format!("{} — heard at {}", esc(&k.text), clock(at)),
                None => format!("{} — {}", esc(&k.text), pick("not heard", "들리지 않음")),
            })
            .collect();
        let first = match (r.first_key_point_ms, r.words_before_first_key_point, r.share_before_first_key_point) {
            (Some(at), Some(n), Some(s)) if ko => format!("<br>첫 핵심 포인트 {}: 그 전에 {n}어절, 답변의 {:.0}%", clock(at), s * 100.0),
            (Some(at), Some(n), Some(s)) => {
                format!("<br>first key point at {}: {n} words and {:.0}% of the answer before it", clock(at), s * 100.0)
            }
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<dt>{}</dt><dd class=\"heard\">{}{first}</dd>",
            pick("Key points heard (to confirm)", "들린 핵심 포인트 (확인 필요)"),
            items.join("<br>")
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tests::plain;
    use super::super::{analyze, KeyPointTerms, PaceBands};
    use super::*;

    #[test]
    fn the_text_report_names_the_unit_the_band_fillers_and_key_points_with_times() {
        let t = plain("en", &[(2000, 12_000, "Um, so I raised undo retention, you know, and we waited for the long query to finish")]);
        let points = vec![
            KeyPointTerms { index: 0, text: "Raise UNDO_RETENTION".into(), terms: vec!["undo retention".into()] },
            KeyPointTerms { index: 1, text: "Avoid fetch across commit".into(), terms: vec!["fetch across commit".into()] },
        ];
        let text = render_text(&analyze(&t, &points, &PaceBands::default()));
        assert!(text.contains("pace: 102 wpm (target 120-160 wpm: slower than the target)"), "{text}");
        assert!(text.contains("fillers: 2 (12.0 a minute, 11.8 per 100 words): \"um\" x1, \"you know\" x1"), "{text}");
        assert!(text.contains("I vs we: I 1, we 1 (50% I)"), "{text}");
        assert!(
            text.contains("key points heard (suggestions to confirm): 1 of 2; first at 0:03, 4 words and 19% of the answer before it"),
            "{text}"
        );
        assert!(text.contains("0 Raise UNDO_RETENTION: heard at 0:03 (\"undo retention\")"), "{text}");
        assert!(text.contains("1 Avoid fetch across commit: not heard"), "{text}");
        assert_eq!(clock(754_999), "12:34");
    }

    #[test]
    fn the_report_figures_are_in_the_page_language_with_times_and_escaped() {
        let t = plain("ko", &[(1000, 9000, "음 저는 먼저 <언두>를 늘렸고 우리 팀이 확인했습니다")]);
        let points = vec![KeyPointTerms { index: 0, text: "언두 & 보존".into(), terms: vec!["언두".into()] }];
        let r = analyze(&t, &points, &PaceBands::default());
        let ko = figures_html(&r, true);
        assert!(ko.contains("<dt>말 빠르기</dt>") && ko.contains("음절/분") && ko.contains("목표 240–300"), "{ko}");
        assert!(ko.contains("<dt>군말</dt><dd class=\"fillers\">1 · ") && ko.contains("0:01 음"), "{ko}");
        assert!(ko.contains("나 1 · 우리 1"), "{ko}");
        assert!(ko.contains("언두 &amp; 보존 — 0:0") && ko.contains("에 들림"), "{ko}");
        assert!(!ko.contains("<언두>"), "escaped: {ko}");
        let en = figures_html(&r, false);
        assert!(en.contains("<dt>Pace</dt>") && en.contains("syllables/min") && en.contains("heard at 0:0"), "{en}");
    }
}
