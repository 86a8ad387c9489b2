//! Filler words: the lists and context rules of `assets/fillers.toml` applied to timed
//! tokens; each occurrence with its time, counts per form, per minute and per 100 words.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::tokens::{Pause, Token};

const FILLERS_TOML: &str = include_str!("../../../../../../assets/fillers.toml");

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FillerFile {
    #[serde(default)]
    en: Vec<Rule>,
    #[serde(default)]
    ko: Vec<Rule>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    forms: Vec<String>,
    when: When,
    #[serde(default)]
    not_after: Vec<String>,
    #[serde(default)]
    not_before_question: bool,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum When {
    Always,
    PauseAfter,
    PauseOrRepeated,
}

fn parse_rules(text: &str) -> Result<FillerFile, String> {
    toml::from_str(text).map_err(|e| format!("assets/fillers.toml: {}", e.message()))
}

fn rules(language: &str) -> &'static [Rule] {
    static FILE: OnceLock<FillerFile> = OnceLock::new();
    // Compiled in and checked by a unit test (fillers_file_parses); never user input.
    let file = FILE.get_or_init(|| parse_rules(FILLERS_TOML).unwrap_or(FillerFile { en: vec![], ko: vec![] }));
    match language {
        "ko" => &file.ko,
        _ => &file.en,
    }
}

/// One filler said.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Filler {
    /// The list's form ("um", "you know", "그").
    pub form: String,
    /// As the transcript wrote it.
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fillers {
    pub total: usize,
    /// Occurrences per form, most frequent first is left to the reader: a sorted map.
    pub counts: BTreeMap<String, usize>,
    /// Per minute of speaking time; none without speech.
    pub per_minute: Option<f64>,
    /// Per 100 words (Korean: per 100 eojeol); none without words.
    pub per_100_words: Option<f64>,
    pub occurrences: Vec<Filler>,
}

fn matches_at(tokens: &[Token], i: usize, form: &[&str]) -> bool {
    form.len() <= tokens.len() - i && form.iter().zip(&tokens[i..]).all(|(f, t)| *f == t.norm)
}

/// Finds the fillers among `tokens` (`language` picks the list; others use English).
pub fn find(language: &str, tokens: &[Token]) -> Vec<Filler> {
    let rules = rules(language);
    let mut out = Vec::new();
    let mut i = 0;
    'tokens: while i < tokens.len() {
        for rule in rules {
            for form in &rule.forms {
                let words: Vec<&str> = form.split_whitespace().collect();
                if words.is_empty() || !matches_at(tokens, i, &words) {
                    continue;
                }
                let last = &tokens[i + words.len() - 1];
                let prev = i.checked_sub(1).map(|p| tokens[p].norm.as_str());
                if prev.is_some_and(|p| rule.not_after.iter().any(|n| n == p)) {
                    continue;
                }
                let paused = match last.pause_after {
                    Some(Pause::Question) => !rule.not_before_question,
                    Some(_) => true,
                    None => false,
                };
                let repeated = words.len() == 1 && tokens.get(i + 1).is_some_and(|n| n.norm == last.norm);
                let counted = match rule.when {
                    When::Always => true,
                    When::PauseAfter => paused,
                    When::PauseOrRepeated => paused || repeated,
                };
                if counted {
                    let text = tokens[i..i + words.len()].iter().map(|t| t.raw.as_str()).collect::<Vec<_>>().join(" ");
                    out.push(Filler { form: form.clone(), text, start_ms: tokens[i].start_ms, end_ms: last.end_ms });
                    i += words.len();
                    continue 'tokens;
                }
            }
        }
        i += 1;
    }
    out
}

pub fn summarize(occurrences: Vec<Filler>, words: usize, speaking_ms: u64) -> Fillers {
    let mut counts = BTreeMap::new();
    for f in &occurrences {
        *counts.entry(f.form.clone()).or_insert(0) += 1;
    }
    let total = occurrences.len();
    Fillers {
        total,
        counts,
        per_minute: (speaking_ms > 0).then(|| total as f64 * 60_000.0 / speaking_ms as f64),
        per_100_words: (words > 0).then(|| total as f64 * 100.0 / words as f64),
        occurrences,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tests::{plain, timed};
    use super::super::tokens::tokens;
    use super::*;

    fn forms(language: &str, text: &str) -> Vec<String> {
        find(language, &tokens(&plain(language, &[(0, 10_000, text)]))).into_iter().map(|f| f.form).collect()
    }

    #[test]
    fn fillers_file_parses_with_rules_for_both_languages() {
        let file = parse_rules(FILLERS_TOML).expect("valid");
        assert!(file.en.iter().any(|r| r.forms.contains(&"um".to_string())));
        assert!(file.ko.iter().any(|r| r.forms.contains(&"음".to_string())));
        assert!(parse_rules("[[en]]\nforms = [\"um\"]\nwhen = \"sometimes\"\n").is_err());
    }

    #[test]
    fn english_hesitations_count_anywhere_but_not_inside_words() {
        assert_eq!(forms("en", "Um, so I uh restarted it. Hmm. The umbrella error"), ["um", "uh", "hmm"]);
    }

    #[test]
    fn like_counts_only_as_a_discourse_marker() {
        assert_eq!(forms("en", "It was, like, really slow. Like, we had no index."), ["like", "like"]);
        for ordinary in [
            "I like databases.",
            "I would like to add one thing.",
            "It looks like a deadlock.",
            "Something like that happened.",
            "A query like this one is slow",
            "I'd like, to be honest, more time",
        ] {
            assert_eq!(forms("en", ordinary), Vec::<String>::new(), "{ordinary}");
        }
    }

    #[test]
    fn like_followed_by_silence_counts_when_words_are_timed() {
        let t = timed("en", &[(0, 300, "It"), (300, 600, "was"), (600, 900, "like"), (1500, 1800, "slow")]);
        assert_eq!(find("en", &tokens(&t)).iter().map(|f| (f.form.as_str(), f.start_ms)).collect::<Vec<_>>(), [("like", 600)]);
        let t = timed("en", &[(0, 300, "It"), (300, 600, "was"), (600, 900, "like"), (950, 1200, "slow")]);
        assert!(find("en", &tokens(&t)).is_empty(), "no pause after like: not counted");
    }

    #[test]
    fn you_know_and_i_mean_count_before_a_pause_only() {
        assert_eq!(forms("en", "You know, I fixed it. I mean, it worked."), ["you know", "i mean"]);
        assert_eq!(forms("en", "Do you know, it's fine"), Vec::<String>::new());
        assert_eq!(forms("en", "You know what I did? I mean it."), Vec::<String>::new());
    }

    #[test]
    fn kind_of_is_a_hedge_except_after_a_determiner() {
        assert_eq!(forms("en", "I kind of fixed it and sort of moved on"), ["kind of", "sort of"]);
        assert_eq!(forms("en", "What kind of index? A sort of B-tree. That kind of problem"), Vec::<String>::new());
    }

    #[test]
    fn korean_hesitation_sounds_count_as_eojeol_of_their_own() {
        assert_eq!(forms("ko", "음 저는 어 장애를 어떻게 처리했는지"), ["음", "어"]);
    }

    #[test]
    fn korean_ordinary_words_count_only_before_a_pause_or_repeated() {
        // Ordinary uses: demonstrative 그/저, humble 저는, 뭐 as "what", adverbs 약간/이제/막.
        for ordinary in
            ["그 사람이 저 서버를 봤습니다", "저는 뭐가 문제인지 알았습니다", "약간 느렸고 이제 끝났습니다", "막 시작했을 때", "뭐?"]
        {
            assert_eq!(forms("ko", ordinary), Vec::<String>::new(), "{ordinary}");
        }
        assert_eq!(forms("ko", "그... 인덱스를 만들었고, 이제, 뭐, 끝났습니다"), ["그", "이제", "뭐"]);
        assert_eq!(forms("ko", "그 그 서버가 약간 약간 느렸어요"), ["그", "약간"]);
    }

    #[test]
    fn a_korean_word_followed_by_silence_is_a_filler_only_when_the_words_are_timed() {
        let words = [(0, 300, "그"), (900, 1300, "인덱스를"), (1300, 1800, "만들었습니다")];
        let found = find("ko", &tokens(&timed("ko", &words)));
        assert_eq!(found.iter().map(|f| (f.form.as_str(), f.start_ms)).collect::<Vec<_>>(), [("그", 0)]);
        let close = [(0, 300, "그"), (320, 700, "인덱스를"), (700, 1200, "만들었습니다")];
        assert!(find("ko", &tokens(&timed("ko", &close))).is_empty(), "그 right before a noun is a determiner");
    }

    #[test]
    fn fillers_carry_their_times_and_summaries_their_rates() {
        let t = timed("en", &[(0, 200, "Um,"), (400, 700, "I"), (700, 1000, "kind"), (1000, 1200, "of"), (1200, 1600, "did")]);
        let found = find("en", &tokens(&t));
        assert_eq!(found.iter().map(|f| (f.start_ms, f.end_ms)).collect::<Vec<_>>(), [(0, 200), (700, 1200)]);
        assert_eq!(found[0].text, "Um");
        let s = summarize(found, 5, 30_000);
        assert_eq!((s.total, s.per_minute, s.per_100_words), (2, Some(4.0), Some(40.0)));
        assert_eq!(s.counts["kind of"], 1);
    }
}
