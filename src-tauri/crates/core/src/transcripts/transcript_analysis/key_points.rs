//! Key points heard: where a key point's terms were said.
//!
//! A term is tokenised and folded like the transcript (case, full-width forms and NFC/NFD
//! do not matter) and matched on the tokens with the separators between them removed, so
//! "UNDO_RETENTION", "undo retention" and "undoretention" are one term, a multi-word term
//! matches across word and segment boundaries, and Korean spacing ("언두 테이블스페이스" /
//! "언두테이블스페이스") does not matter. A match starts at the start of a token and ends at
//! the end of one, or is followed by:
//! - in any language, a Korean particle or copula ending (언두를, 언두에서, 언두입니다,
//!   UNDO_RETENTION을), with an optional plural 들 before it (트랜잭션들을), or a 하다 ending
//!   after a noun (커밋했고, 재시도합니다);
//! - after a Latin letter, an English plural "s" / "es" (deadlocks, indexes).

use serde::{Deserialize, Serialize};

use super::tokens::Token;

/// Endings after a Korean noun that still say the noun: particles, copula, 하다 forms.
/// Longest first is not needed: an ending must reach the end of the token exactly.
const KO_ENDINGS: &[&str] = &[
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "에",
    "에서",
    "에서는",
    "에서도",
    "에게",
    "으로",
    "로",
    "으로는",
    "로는",
    "와",
    "과",
    "의",
    "도",
    "만",
    "까지",
    "부터",
    "이나",
    "나",
    "이랑",
    "랑",
    "처럼",
    "보다",
    "이라",
    "라",
    "이라는",
    "라는",
    "이라고",
    "라고",
    "이란",
    "란",
    "이고",
    "고",
    "이며",
    "며",
    "이다",
    "다",
    "입니다",
    "이에요",
    "예요",
    "이죠",
    "죠",
    "인",
    "인데",
    "이라서",
    "라서",
    "에는",
    "에도",
    "으로도",
    "로도",
    "하고",
    "하는",
    "하면",
    "하여",
    "해서",
    "해야",
    "했고",
    "했다",
    "했습니다",
    "합니다",
    "한",
    "할",
    "하죠",
    "해요",
    "되고",
    "되는",
    "되면",
    "된",
    "될",
    "됩니다",
    "됐고",
    "되어",
    "돼서",
];

/// A key point to listen for: its text (for the report) and its terms.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPointTerms {
    /// The key point's position in the question's list (what the rubric stores).
    pub index: u32,
    pub text: String,
    pub terms: Vec<String>,
}

/// Whether a key point was heard, and when first.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPointHeard {
    pub index: u32,
    pub text: String,
    pub heard: bool,
    /// The start of the first term said, from the start of the take.
    pub first_at_ms: Option<u64>,
    /// The term heard first, as the deck spells it.
    pub term: Option<String>,
    /// Every time a term of this key point was heard.
    pub hits_ms: Vec<u64>,
}

/// The transcript's tokens joined without separators, and where each token starts in it.
struct Compact {
    text: String,
    /// (byte offset in `text` of each token's start, its end); parallel to the tokens.
    bounds: Vec<(usize, usize)>,
}

fn compact(tokens: &[Token]) -> Compact {
    let mut text = String::new();
    let mut bounds = Vec::with_capacity(tokens.len());
    for t in tokens {
        let start = text.len();
        text.push_str(&t.norm.replace('\'', ""));
        bounds.push((start, text.len()));
    }
    Compact { text, bounds }
}

pub use crate::fold::term_key;

fn ending_ok(rest: &str, after_latin: bool) -> bool {
    if rest.is_empty() {
        return true;
    }
    let rest_ko = rest.strip_prefix('들').unwrap_or(rest);
    if rest_ko.is_empty() || KO_ENDINGS.contains(&rest_ko) {
        return true;
    }
    after_latin && matches!(rest, "s" | "es")
}

/// Every start time at which `term` was said.
fn hits(c: &Compact, tokens: &[Token], term: &str) -> Vec<u64> {
    let key = term_key(term);
    if key.is_empty() {
        return vec![];
    }
    let after_latin = key.chars().last().is_some_and(|ch| ch.is_ascii_alphabetic());
    let mut out = Vec::new();
    for (ti, &(start, _)) in c.bounds.iter().enumerate() {
        if !c.text[start..].starts_with(&key) {
            continue;
        }
        let end = start + key.len();
        // The token the match ends in, and what is left of it.
        let Some(last) = c.bounds[ti..].iter().position(|&(a, b)| a < end && end <= b).map(|p| ti + p) else {
            continue;
        };
        let rest = &c.text[end..c.bounds[last].1];
        if ending_ok(rest, after_latin) {
            out.push(tokens[ti].start_ms);
        }
    }
    out
}

/// For each key point, whether any of its terms was said and when first.
pub fn heard(tokens: &[Token], key_points: &[KeyPointTerms]) -> Vec<KeyPointHeard> {
    let c = compact(tokens);
    key_points
        .iter()
        .map(|kp| {
            let mut all: Vec<(u64, &String)> =
                kp.terms.iter().flat_map(|t| hits(&c, tokens, t).into_iter().map(move |ms| (ms, t))).collect();
            all.sort_by_key(|&(ms, _)| ms);
            let mut hits_ms: Vec<u64> = all.iter().map(|&(ms, _)| ms).collect();
            hits_ms.dedup();
            KeyPointHeard {
                index: kp.index,
                text: kp.text.clone(),
                heard: !all.is_empty(),
                first_at_ms: all.first().map(|&(ms, _)| ms),
                term: all.first().map(|&(_, t)| t.clone()),
                hits_ms,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tests::{plain, timed};
    use super::super::tokens::tokens;
    use super::*;

    fn kp(terms: &[&str]) -> Vec<KeyPointTerms> {
        vec![KeyPointTerms { index: 0, text: "point".into(), terms: terms.iter().map(|s| s.to_string()).collect() }]
    }

    fn heard_in(language: &str, text: &str, terms: &[&str]) -> bool {
        heard(&tokens(&plain(language, &[(0, 10_000, text)])), &kp(terms))[0].heard
    }

    #[test]
    fn terms_match_whatever_the_case_width_or_separator() {
        for said in ["raise undo retention", "raise UNDO_RETENTION", "ＵＮＤＯ＿ＲＥＴＥＮＴＩＯＮ up", "Undo-Retention", "undoretention"]
        {
            assert!(heard_in("en", said, &["UNDO_RETENTION"]), "{said}");
        }
        assert!(heard_in("en", "the ora 01555 error", &["ORA-01555"]));
        assert!(!heard_in("en", "the undo tablespace", &["undo retention"]));
    }

    #[test]
    fn a_term_never_matches_inside_a_longer_word() {
        assert!(!heard_in("en", "we redo the scan", &["undo"]));
        assert!(!heard_in("en", "locking rows", &["lock"]));
        assert!(heard_in("en", "two deadlocks and indexes", &["deadlock"]));
        assert!(heard_in("en", "missing indexes", &["index"]));
    }

    #[test]
    fn korean_terms_match_with_particles_and_endings_after_them() {
        for said in [
            "언두를 늘렸습니다",
            "언두에서 읽습니다",
            "언두가 부족",
            "언두입니다",
            "언두 테이블스페이스의 크기",
            "UNDO_RETENTION을 늘리고",
            "트랜잭션들을 재시도합니다",
        ] {
            assert!(heard_in("ko", said, &["언두", "UNDO_RETENTION", "트랜잭션"]), "{said}");
        }
        assert!(heard_in("ko", "커밋했고", &["커밋"]));
        assert!(!heard_in("ko", "언두리 마을", &["언두"]), "리 is not a particle");
    }

    #[test]
    fn korean_spacing_and_nfd_do_not_matter() {
        assert!(heard_in("ko", "언두테이블스페이스를 키웠고", &["언두 테이블스페이스"]));
        assert!(heard_in("ko", "언두 테이블스페이스를 키웠고", &["언두테이블스페이스"]));
        let nfd_said: String = unicode_normalization::UnicodeNormalization::nfd("교착 상태가").collect();
        assert!(heard_in("ko", &nfd_said, &["교착 상태"]));
        let nfd_term: String = unicode_normalization::UnicodeNormalization::nfd("교착 상태").collect();
        assert!(heard_in("ko", "교착 상태가", &[&nfd_term]));
    }

    #[test]
    fn a_multi_word_term_matches_across_segments_and_gives_the_time_of_its_first_word() {
        let t = plain("en", &[(0, 2000, "we had to raise undo"), (42_000, 44_000, "retention and wait")]);
        let h = &heard(&tokens(&t), &kp(&["undo retention"]))[0];
        assert!(h.heard);
        assert_eq!(h.term.as_deref(), Some("undo retention"));
        assert!(h.first_at_ms.expect("time") < 2000, "{h:?}");
    }

    #[test]
    fn the_first_hit_of_any_term_is_the_time_heard() {
        let t = timed(
            "en",
            &[(1000, 1400, "snapshot"), (1400, 1800, "too"), (1800, 2200, "old"), (42_000, 42_500, "undo"), (42_500, 43_000, "retention")],
        );
        let points = vec![
            KeyPointTerms { index: 0, text: "undo".into(), terms: vec!["undo retention".into(), "snapshot too old".into()] },
            KeyPointTerms { index: 1, text: "never".into(), terms: vec!["RETENTION GUARANTEE".into()] },
        ];
        let h = heard(&tokens(&t), &points);
        assert_eq!((h[0].first_at_ms, h[0].term.as_deref()), (Some(1000), Some("snapshot too old")));
        assert_eq!(h[0].hits_ms, [1000, 42_000]);
        assert!(!h[1].heard && h[1].first_at_ms.is_none());
    }

    #[test]
    fn a_term_of_punctuation_only_never_matches() {
        assert!(!heard_in("en", "anything", &["--"]));
    }
}
