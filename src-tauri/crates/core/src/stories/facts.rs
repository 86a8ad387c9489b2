//! Facts that changed between tellings: the numbers a story's takes said (team sizes,
//! durations, counts of customers, servers, tickets …), grouped by what they count, compared
//! with each other and with the story's written result and numbers. "team of 5" in one take
//! and "8 people" in another are both a count of people and differ: listed with where each
//! was said. English and Korean (digits with a counter, "5명", "90일"; native numerals before
//! a counter, "다섯 명"). Names are not compared (a transcript spells them too unreliably).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Story, StoryId};
use crate::error::Result;
use crate::library::Library;
use crate::model::{Take, TakeId};
use crate::transcript::Transcript;
use crate::transcript_analysis::{transcript_tokens, Token};

/// One number said or written, and what it counts.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// What it counts: people, days, weeks, months, years, hours, minutes, seconds, ms,
    /// percent, customers, servers, databases, tickets, times.
    pub kind: String,
    pub value: u64,
    /// The words as said or written ("team of 5", "8 people").
    pub said: String,
    /// The take that said it; None for the story's written text.
    pub take_id: Option<TakeId>,
    /// Where in the take (ms from its start).
    pub at_ms: Option<u64>,
}

/// A kind of fact with more than one value among the written story and its tellings.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactChange {
    pub kind: String,
    /// Every occurrence, the written ones first, then by take and time.
    pub facts: Vec<Fact>,
}

/// The kind a unit word (folded) counts, if it is one we compare.
fn kind_of(unit: &str) -> Option<&'static str> {
    let u = unit.trim_end_matches('s');
    Some(match u {
        "people" | "person" | "engineer" | "member" | "developer" | "dba" | "teammate" | "colleague" | "명" | "사람" => "people",
        "day" | "일" => "days",
        "week" | "주" => "weeks",
        "month" | "개월" | "달" => "months",
        "year" | "년" => "years",
        "hour" | "시간" => "hours",
        "minute" | "min" | "분" => "minutes",
        "second" | "sec" | "초" => "seconds",
        "m" | "millisecond" | "밀리초" => "ms",
        "percent" | "퍼센트" | "프로" => "percent",
        "customer" | "client" | "고객" | "고객사" => "customers",
        "server" | "instance" | "서버" | "인스턴스" | "대" => "servers",
        "database" | "db" | "데이터베이스" => "databases",
        "ticket" | "case" | "incident" | "티켓" | "케이스" | "건" => "tickets",
        "time" | "번" | "회" => "times",
        _ => return None,
    })
}

/// As `kind_of`, also for a Korean word with a particle after its counter ("명이", "일간").
fn kind_of_word(word: &str) -> Option<&'static str> {
    kind_of(word).or_else(|| {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        if !chars.first().is_some_and(|(_, c)| ('\u{ac00}'..='\u{d7a3}').contains(c)) {
            return None;
        }
        (1..chars.len()).rev().find_map(|n| kind_of(&word[..chars[n].0]))
    })
}

fn number_word(w: &str) -> Option<u64> {
    const EN: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    const KO: [&str; 11] = ["", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열"];
    if let Some(i) = EN.iter().position(|x| *x == w) {
        return Some(i as u64);
    }
    match w {
        "thirty" => return Some(30),
        "forty" => return Some(40),
        "fifty" => return Some(50),
        "hundred" => return Some(100),
        _ => {}
    }
    KO.iter().position(|x| !x.is_empty() && *x == w).map(|i| i as u64)
}

/// A token that is a number: (value, the unit glued to it, as in "5명" or "900ms").
fn number(tok: &str) -> Option<(u64, &str)> {
    let digits = tok.char_indices().take_while(|(_, c)| c.is_ascii_digit()).last().map(|(i, c)| i + c.len_utf8());
    match digits {
        Some(end) => tok[..end].parse().ok().map(|v| (v, &tok[end..])),
        None => number_word(tok).map(|v| (v, "")),
    }
}

/// The facts in a sequence of (folded word, raw word, time) in order.
fn facts_in(words: &[(String, String, Option<u64>)], take_id: Option<TakeId>) -> Vec<Fact> {
    let mut out = vec![];
    for (i, (norm, raw, at)) in words.iter().enumerate() {
        let Some((value, glued)) = number(norm) else { continue };
        let next = words.get(i + 1);
        let (kind, said) = if let Some(k) = kind_of_word(glued).filter(|_| !glued.is_empty()) {
            (k, raw.clone())
        } else if let Some(k) = next.and_then(|n| kind_of_word(&n.0)) {
            (k, format!("{raw} {}", next.map(|n| n.1.as_str()).unwrap_or("")))
        } else if i >= 2 && words[i - 1].0 == "of" && matches!(words[i - 2].0.as_str(), "team" | "group") {
            ("people", format!("{} of {raw}", words[i - 2].1))
        } else if glued.is_empty() && next.is_some_and(|n| n.0 == "팀" || n.0 == "팀원") {
            ("people", format!("{raw} {}", next.map(|n| n.1.as_str()).unwrap_or("")))
        } else {
            continue;
        };
        out.push(Fact { kind: kind.to_string(), value, said, take_id, at_ms: *at });
    }
    out
}

fn text_words(text: &str) -> Vec<(String, String, Option<u64>)> {
    let t = Transcript {
        language: String::new(),
        model: crate::transcript::ModelIdentity { name: String::new(), sha256: String::new() },
        segments: vec![crate::transcript::Segment { start_ms: 0, end_ms: 0, text: text.to_string(), words: vec![] }],
    };
    transcript_tokens(&t).into_iter().map(|k| (k.norm, k.raw, None)).collect()
}

fn token_words(tokens: &[Token]) -> Vec<(String, String, Option<u64>)> {
    tokens.iter().map(|k| (k.norm.clone(), k.raw.clone(), Some(k.start_ms))).collect()
}

/// The kinds of fact with differing values: `written` (the result and numbers as written)
/// against each telling's transcript, and the tellings against each other.
pub fn changed_facts(written: &[&str], tellings: &[(TakeId, &Transcript)]) -> Vec<FactChange> {
    let mut all: Vec<Fact> = written.iter().flat_map(|w| facts_in(&text_words(w), None)).collect();
    for (take, t) in tellings {
        all.extend(facts_in(&token_words(&transcript_tokens(t)), Some(*take)));
    }
    let mut by_kind: BTreeMap<String, Vec<Fact>> = BTreeMap::new();
    for f in all {
        by_kind.entry(f.kind.clone()).or_default().push(f);
    }
    by_kind
        .into_iter()
        .filter(|(_, facts)| facts.iter().any(|f| f.value != facts[0].value))
        .map(|(kind, facts)| FactChange { kind, facts })
        .collect()
}

impl Library {
    /// Facts that changed between a story's transcribed tellings and its written result.
    pub fn story_fact_changes(&self, id: StoryId) -> Result<Vec<FactChange>> {
        Ok(self.story(id)?.fact_changes)
    }

    /// As `story_fact_changes`, for a story and its linked takes (newest first) at hand.
    pub(crate) fn fact_changes_of(&self, story: &Story, linked_takes: &[Take]) -> Result<Vec<FactChange>> {
        let mut transcripts = vec![];
        for take in linked_takes.iter().rev() {
            if let Some(t) = self.storage_ref().transcript(take.id)?.filter(|t| t.status == "done") {
                transcripts.push((take.id, t.transcript));
            }
        }
        let f = &story.fields;
        let mut written: Vec<&str> = vec![&f.result];
        written.extend(f.numbers.iter().map(String::as_str));
        let tellings: Vec<(TakeId, &Transcript)> = transcripts.iter().map(|(id, t)| (*id, t)).collect();
        Ok(changed_facts(&written, &tellings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript_analysis::test_transcripts::{plain, timed};

    fn kinds(changes: &[FactChange]) -> Vec<&str> {
        changes.iter().map(|c| c.kind.as_str()).collect()
    }

    #[test]
    fn a_team_of_5_and_8_people_are_a_changed_fact_with_the_times_they_were_said() {
        let a =
            timed("en", &[(0, 300, "I"), (300, 600, "led"), (600, 800, "a"), (800, 1100, "team"), (1100, 1300, "of"), (1300, 1600, "5")]);
        let b = timed("en", &[(0, 400, "We"), (400, 700, "were"), (2000, 2300, "8"), (2300, 2800, "people.")]);
        let changes = changed_facts(&["Kept 3 customers"], &[(TakeId(1), &a), (TakeId(2), &b)]);
        assert_eq!(kinds(&changes), ["people"]);
        let facts = &changes[0].facts;
        assert_eq!(
            facts.iter().map(|f| (f.value, f.said.as_str(), f.take_id, f.at_ms)).collect::<Vec<_>>(),
            [(5, "team of 5", Some(TakeId(1)), Some(1300)), (8, "8 people", Some(TakeId(2)), Some(2000))]
        );
    }

    #[test]
    fn a_telling_that_differs_from_the_written_result_is_listed_and_agreeing_ones_are_not() {
        let same = plain("en", &[(0, 4000, "Latency fell to 120 ms and we kept three customers.")]);
        let changes = changed_facts(&["p95 latency 900 ms → 120 ms", "3 customers retained"], &[(TakeId(7), &same)]);
        assert_eq!(kinds(&changes), ["ms"], "900 and 120 are both written: the written text itself has two latencies");
        let other = plain("en", &[(0, 4000, "We kept four customers over 90 days.")]);
        let changes = changed_facts(&["3 customers retained in 90 days"], &[(TakeId(8), &other)]);
        assert_eq!(kinds(&changes), ["customers"]);
        assert_eq!(changes[0].facts[0].take_id, None, "the written fact first");
        assert_eq!((changes[0].facts[1].value, changes[0].facts[1].said.as_str()), (4, "four customers"));
        assert!(changed_facts(&["3 customers"], &[(TakeId(9), &plain("en", &[(0, 1000, "three customers")]))]).is_empty());
    }

    #[test]
    fn korean_counters_and_native_numerals_are_compared_too() {
        let a = plain("ko", &[(0, 3000, "저는 5명 팀을 이끌었고 90일 동안 장애가 없었습니다.")]);
        let b = plain("ko", &[(0, 3000, "여덟 명이 함께 했고 90일 동안 문제가 없었습니다.")]);
        let changes = changed_facts(&[], &[(TakeId(1), &a), (TakeId(2), &b)]);
        assert_eq!(kinds(&changes), ["people"], "90일 agrees; 5명 and 여덟 명 differ");
        assert_eq!(changes[0].facts.iter().map(|f| f.value).collect::<Vec<_>>(), [5, 8]);
    }

    #[test]
    fn a_storys_fact_changes_come_from_its_linked_transcribed_takes() {
        use crate::stories::tests::story;
        let (_d, mut lib) = Library::open_temp();
        let mut f = story("Team", &["ownership"]);
        f.result = "My team of 5 shipped in 3 weeks.".into();
        f.numbers = vec!["3 weeks".into()];
        let s = lib.add_story(f).expect("add");
        let take = lib.commit_test_take("lp.outside-your-role", None, 48_000);
        lib.link_take(take, Some(s.id)).expect("link");
        let t = plain("en", &[(0, 5000, "The six engineers shipped it in 3 weeks.")]);
        let file = crate::storage::transcripts::FileIdentity { bytes: 3, mtime_ms: 0, sha256: "x".into() };
        lib.storage().save_transcript(take, &t, &file, "2026-01-01T00:00:00.000Z").expect("transcript");
        let changes = lib.story_fact_changes(s.id).expect("facts");
        assert_eq!(kinds(&changes), ["people"]);
        assert_eq!(changes[0].facts.iter().map(|f| (f.value, f.take_id)).collect::<Vec<_>>(), [(5, None), (6, Some(take))]);
    }
}
