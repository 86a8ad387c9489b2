//! From a transcript to timed tokens: the one tokenisation every analysis shares.
//!
//! Text is folded before it is compared: NFKC (full-width forms become ASCII, compatibility
//! characters their plain forms, and decomposed Hangul (NFD) is composed again), then
//! lowercased. A token is a run of letters and digits (an apostrophe between two of them
//! stays inside, so "I'm" and "don't" are one token); everything else separates tokens. A
//! Korean eojeol with its particles ("언두를") is one token.
//!
//! Times: a segment whose engine gave word times lends each word's times to the tokens in
//! it. A segment without words spreads its time over its tokens in proportion to where they
//! stand in its text (a linear guess, marked untimed so no pause is read from it).

use unicode_normalization::UnicodeNormalization;

use crate::transcript::Transcript;

/// What follows a token before the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// A comma, dash, ellipsis (a hesitation, not the end of a sentence), semicolon or colon.
    Mark,
    /// A full stop or an exclamation mark.
    Stop,
    /// A question mark.
    Question,
    /// Silence: the end of a segment, or a gap of at least [`PAUSE_GAP_MS`] between timed words.
    Gap,
}

/// A gap between two timed words at least this long is a pause.
pub const PAUSE_GAP_MS: u64 = 300;

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Folded (NFKC, lowercase): what analyses compare.
    pub norm: String,
    /// As the transcript wrote it (NFC): what reports show.
    pub raw: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Which segment it came from.
    pub segment: usize,
    /// Whether its times are the engine's word times (not spread over a segment).
    pub timed: bool,
    pub pause_after: Option<Pause>,
}

pub use crate::fold::fold;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}')
}

/// Splits (NFC) text into tokens: (raw, folded, byte range in `text`, punctuation after it).
fn split(text: &str) -> Vec<(String, String, usize, usize, Option<Pause>)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out: Vec<(String, String, usize, usize, Option<Pause>)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if !is_word_char(c) {
            if let Some(last) = out.last_mut() {
                // Full-width punctuation folds to ASCII first.
                let folded = fold(&c.to_string());
                let ellipsis = folded == "..." || (c == '.' && chars.get(i + 1).is_some_and(|&(_, n)| n == '.'));
                let mark = match folded.chars().next().unwrap_or(c) {
                    _ if ellipsis => Some(Pause::Mark),
                    ',' | '-' | '\u{2013}' | '\u{2014}' | ';' | ':' | '\u{3001}' => Some(Pause::Mark),
                    '.' | '!' | '\u{3002}' => Some(Pause::Stop),
                    '?' => Some(Pause::Question),
                    _ => None,
                };
                // A question mark wins over other marks ("so...?"); otherwise the first mark stays.
                if mark == Some(Pause::Question) || last.4.is_none() {
                    last.4 = mark.or(last.4);
                }
            }
            i += 1;
            continue;
        }
        let mut raw = String::new();
        let start = at;
        let mut end = at;
        while i < chars.len() {
            let (at, c) = chars[i];
            let inner_apostrophe = is_apostrophe(c) && !raw.is_empty() && chars.get(i + 1).is_some_and(|&(_, n)| is_word_char(n));
            if is_word_char(c) || inner_apostrophe {
                raw.push(c);
            } else {
                break;
            }
            end = at + c.len_utf8();
            i += 1;
        }
        let norm: String = fold(&raw).chars().map(|c| if is_apostrophe(c) { '\'' } else { c }).collect();
        out.push((raw, norm, start, end, None));
    }
    out
}

/// The transcript's tokens in time order.
pub fn tokens(transcript: &Transcript) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    for (si, seg) in transcript.segments.iter().enumerate() {
        let first = out.len();
        let words: Vec<_> = seg.words.iter().filter(|w| !w.text.trim().is_empty()).collect();
        if words.is_empty() {
            let text: String = seg.text.nfc().collect();
            let len = text.len().max(1) as u64;
            let span = seg.end_ms.saturating_sub(seg.start_ms);
            for (raw, norm, a, b, pause) in split(&text) {
                let start_ms = seg.start_ms + span * a as u64 / len;
                let end_ms = (seg.start_ms + span * b as u64 / len).max(start_ms);
                out.push(Token { norm, raw, start_ms, end_ms, segment: si, timed: false, pause_after: pause });
            }
        } else {
            for (wi, w) in words.iter().enumerate() {
                let text: String = w.text.nfc().collect();
                let (start_ms, end_ms) = (w.start_ms.max(seg.start_ms), w.end_ms.max(w.start_ms));
                let next_start = words.get(wi + 1).map(|n| n.start_ms);
                let parts = split(&text);
                let n = parts.len();
                for (pi, (raw, norm, _, _, pause)) in parts.into_iter().enumerate() {
                    let mut pause_after = pause;
                    if pi + 1 == n && pause_after.is_none() {
                        if let Some(next) = next_start {
                            if next.saturating_sub(end_ms) >= PAUSE_GAP_MS {
                                pause_after = Some(Pause::Gap);
                            }
                        }
                    }
                    out.push(Token { norm, raw, start_ms, end_ms, segment: si, timed: true, pause_after });
                }
            }
        }
        // The end of a segment is a pause, whatever punctuation it has.
        if out.len() > first {
            let last = out.last_mut().expect("non-empty");
            last.pause_after = last.pause_after.or(Some(Pause::Gap));
        }
    }
    out
}

/// Stretches of speech: the union of the segments that have text, in time order.
/// Speaking time is their total length (pauses between segments excluded, pauses inside a
/// segment included: segments are cut at pauses by the speech pipeline's VAD).
pub fn speech_spans(transcript: &Transcript) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = transcript
        .segments
        .iter()
        .filter(|s| s.text.chars().any(char::is_alphanumeric) && s.end_ms > s.start_ms)
        .map(|s| (s.start_ms, s.end_ms))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Hangul syllables (U+AC00..=U+D7A3) in a folded token.
pub fn hangul_syllables(text: &str) -> usize {
    text.chars().filter(|c| ('\u{ac00}'..='\u{d7a3}').contains(c)).count()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transcript::{ModelIdentity, Segment, Word};

    /// A transcript of segments without word times.
    pub fn plain(language: &str, segments: &[(u64, u64, &str)]) -> Transcript {
        Transcript {
            language: language.into(),
            model: ModelIdentity { name: "test".into(), sha256: "0".into() },
            segments: segments.iter().map(|&(a, b, t)| Segment { start_ms: a, end_ms: b, text: t.into(), words: vec![] }).collect(),
        }
    }

    /// A transcript of one segment whose words carry times.
    pub fn timed(language: &str, words: &[(u64, u64, &str)]) -> Transcript {
        let text = words.iter().map(|w| w.2).collect::<Vec<_>>().join(" ");
        let seg = Segment {
            start_ms: words.first().map_or(0, |w| w.0),
            end_ms: words.last().map_or(0, |w| w.1),
            text,
            words: words.iter().map(|&(a, b, t)| Word { start_ms: a, end_ms: b, text: t.into() }).collect(),
        };
        Transcript { language: language.into(), model: ModelIdentity { name: "test".into(), sha256: "0".into() }, segments: vec![seg] }
    }

    #[test]
    fn folding_makes_full_width_nfd_and_case_alike() {
        assert_eq!(fold("ＵＮＤＯ＿ＲＥＴＥＮＴＩＯＮ"), "undo_retention");
        assert_eq!(fold("\u{1112}\u{1161}\u{11ab}"), "한");
        assert_eq!(fold("Ａｂｃ１２３"), "abc123");
    }

    #[test]
    fn tokens_keep_inner_apostrophes_and_read_punctuation_as_pauses() {
        let t = plain("en", &[(0, 4000, "I'm sure, like... it’s fine? Yes.")]);
        let toks = tokens(&t);
        let norms: Vec<&str> = toks.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(norms, ["i'm", "sure", "like", "it's", "fine", "yes"]);
        let pauses: Vec<_> = toks.iter().map(|t| t.pause_after).collect();
        assert_eq!(pauses, [None, Some(Pause::Mark), Some(Pause::Mark), None, Some(Pause::Question), Some(Pause::Stop)]);
        assert_eq!(toks[0].raw, "I'm");
    }

    #[test]
    fn untimed_segments_spread_their_time_over_their_tokens() {
        let t = plain("en", &[(1000, 2000, "aaaa bbbb")]);
        let toks = tokens(&t);
        assert_eq!((toks[0].start_ms, toks[1].start_ms), (1000, 1555));
        assert!(!toks[0].timed);
        assert_eq!(toks[1].pause_after, Some(Pause::Gap), "a segment ends in a pause");
    }

    #[test]
    fn a_gap_between_timed_words_is_a_pause() {
        let t = timed("en", &[(0, 200, "like"), (600, 800, "this"), (850, 900, "one")]);
        let toks = tokens(&t);
        assert_eq!(toks[0].pause_after, Some(Pause::Gap));
        assert_eq!(toks[1].pause_after, None);
    }

    #[test]
    fn speech_spans_merge_overlaps_and_skip_empty_segments() {
        let t = plain("en", &[(0, 1000, "a"), (800, 1500, "b"), (2000, 2500, " "), (3000, 4000, "c")]);
        assert_eq!(speech_spans(&t), [(0, 1500), (3000, 4000)]);
    }
}
