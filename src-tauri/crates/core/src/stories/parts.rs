//! Time in each part of a telling: where a take of a story reached its task, its action and
//! its result, from the take's transcript (words with times), and how much of the take each
//! part (situation, task, action, result) filled: "70% of the time in the situation, result
//! reached at 1:45 of 2:00". A boundary the user set (moved by keyboard in review) wins
//! over the one found.
//!
//! How a boundary is found, scanning the tokens in time order from the previous boundary:
//! the first cue phrase of the part ("my task", "so I", "as a result"; Korean "제 역할",
//! "그래서", "결과적으로" …), or the first of two words within [`WINDOW`] tokens that are
//! written only in that part of the story (its own vocabulary, at least four letters or two
//! Hangul syllables, not in the other parts). A part whose first sign comes after a later
//! part's first sign is taken as skipped (no boundary): the telling went on to the later one.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::StoryFields;
use crate::error::{CoreError, Result};
use crate::library::Library;
use crate::model::TakeId;
use crate::transcript::Transcript;
use crate::transcript_analysis::{hangul_syllables, transcript_tokens, Token};

/// The parts with a boundary (the situation starts the take).
pub const BOUNDARY_PARTS: [&str; 3] = ["task", "action", "result"];
/// Two words of a part's own vocabulary at most this many tokens apart mark it.
pub const WINDOW: usize = 8;

/// Where a part began in a take.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartBoundary {
    /// "task", "action" or "result".
    pub part: String,
    /// ms from the take's start; None when the telling never reached it (or skipped it).
    pub at_ms: Option<u64>,
    /// "found" (from the transcript), "set" (by the user) or "none".
    pub source: String,
    /// The words where it was found ("as a result"), for a found boundary.
    pub cue: Option<String>,
}

/// One part's share of the take.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartTime {
    /// "situation", "task", "action" or "result".
    pub part: String,
    pub start_ms: u64,
    pub ms: u64,
    /// Of the take's length, 0..=1.
    pub share: f64,
}

/// A take's time in each part.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeInParts {
    pub take_id: TakeId,
    pub duration_ms: u64,
    /// Task, action, result, in that order.
    pub boundaries: Vec<PartBoundary>,
    /// Situation, task, action, result, in that order (a part not reached has 0 ms).
    pub parts: Vec<PartTime>,
    /// The part that filled most of the take.
    pub longest: String,
    /// When the result was reached, if it was.
    pub result_at_ms: Option<u64>,
}

/// Cue phrases (folded tokens) of each part, English and Korean.
fn cues(part: &str) -> &'static [&'static [&'static str]] {
    match part {
        "task" => &[
            &["my", "task"],
            &["the", "task"],
            &["my", "job"],
            &["my", "goal"],
            &["the", "goal"],
            &["my", "role"],
            &["i", "was", "responsible"],
            &["i", "needed", "to"],
            &["i", "had", "to"],
            &["i", "was", "asked"],
            &["제", "역할은"],
            &["제", "목표는"],
            &["제", "과제는"],
            &["제가", "맡은"],
            &["목표는"],
            &["과제는"],
        ],
        "action" => &[
            &["so", "i"],
            &["i", "decided"],
            &["first", "i"],
            &["i", "started"],
            &["i", "began"],
            &["what", "i", "did"],
            &["my", "approach"],
            &["그래서", "저는"],
            &["그래서", "제가"],
            &["먼저"],
            &["우선"],
        ],
        "result" => &[
            &["as", "a", "result"],
            &["the", "result"],
            &["in", "the", "end"],
            &["the", "outcome"],
            &["in", "the", "result"],
            &["since", "then"],
            &["finally"],
            &["결과적으로"],
            &["그", "결과"],
            &["결과는"],
            &["결국"],
            &["마침내"],
        ],
        _ => &[],
    }
}

const STOPWORDS: [&str; 24] = [
    "that", "this", "with", "from", "they", "them", "their", "there", "were", "have", "been", "what", "when", "which", "would", "could",
    "about", "into", "then", "than", "also", "because", "after", "before",
];

/// The folded words of a text.
fn words_of(text: &str) -> Vec<String> {
    let t = Transcript {
        language: String::new(),
        model: crate::transcript::ModelIdentity { name: String::new(), sha256: String::new() },
        segments: vec![crate::transcript::Segment { start_ms: 0, end_ms: 0, text: text.to_string(), words: vec![] }],
    };
    transcript_tokens(&t).into_iter().map(|k| k.norm).collect()
}

fn distinctive(word: &str) -> bool {
    let hangul = hangul_syllables(word);
    (if hangul > 0 { hangul >= 2 } else { word.chars().count() >= 4 }) && !STOPWORDS.contains(&word)
}

/// Each boundary part's own vocabulary: words written in it and in no other part.
fn vocabularies(f: &StoryFields) -> BTreeMap<&'static str, HashSet<String>> {
    let texts = [("situation", &f.situation), ("task", &f.task), ("action", &f.action), ("result", &f.result)];
    let sets: Vec<(&str, HashSet<String>)> =
        texts.iter().map(|(p, t)| (*p, words_of(t).into_iter().filter(|w| distinctive(w)).collect())).collect();
    BTreeMap::from_iter(BOUNDARY_PARTS.map(|part| {
        let own = sets.iter().find(|(p, _)| *p == part).map(|(_, s)| s.clone()).unwrap_or_default();
        let others: HashSet<&String> = sets.iter().filter(|(p, _)| *p != part).flat_map(|(_, s)| s.iter()).collect();
        (part, own.into_iter().filter(|w| !others.contains(w)).collect())
    }))
}

/// The first sign of `part` at or after token `from`: (token index, the words).
fn first_sign(tokens: &[Token], from: usize, part: &str, vocabulary: &HashSet<String>) -> Option<(usize, String)> {
    for i in from..tokens.len() {
        for cue in cues(part) {
            if tokens.len() - i >= cue.len() && cue.iter().enumerate().all(|(k, w)| tokens[i + k].norm == *w) {
                let said: Vec<&str> = tokens[i..i + cue.len()].iter().map(|t| t.raw.as_str()).collect();
                return Some((i, said.join(" ")));
            }
        }
        if vocabulary.contains(&tokens[i].norm) {
            let end = (i + 1 + WINDOW).min(tokens.len());
            if let Some(j) = (i + 1..end).find(|&j| vocabulary.contains(&tokens[j].norm) && tokens[j].norm != tokens[i].norm) {
                return Some((i, format!("{} … {}", tokens[i].raw, tokens[j].raw)));
            }
        }
    }
    None
}

/// The boundaries found in a transcript of a telling of the story written as `fields`.
pub fn found_boundaries(fields: &StoryFields, transcript: &Transcript) -> Vec<PartBoundary> {
    let tokens = transcript_tokens(transcript);
    let vocab = vocabularies(fields);
    let mut from = 0;
    let mut out = Vec::with_capacity(3);
    for (k, part) in BOUNDARY_PARTS.iter().enumerate() {
        let mine = first_sign(&tokens, from, part, &vocab[part]);
        let later_first = BOUNDARY_PARTS[k + 1..].iter().filter_map(|p| first_sign(&tokens, from, p, &vocab[p]).map(|s| s.0)).min();
        match mine {
            Some((i, cue)) if later_first.is_none_or(|l| l >= i) => {
                out.push(PartBoundary { part: part.to_string(), at_ms: Some(tokens[i].start_ms), source: "found".into(), cue: Some(cue) });
                from = i + 1;
            }
            _ => out.push(PartBoundary { part: part.to_string(), at_ms: None, source: "none".into(), cue: None }),
        }
    }
    out
}

/// The time in each part from the boundaries (task, action, result; user-set ones already
/// applied) and the take's length. A boundary before an earlier one counts from it.
pub fn time_in_parts(take_id: TakeId, duration_ms: u64, boundaries: Vec<PartBoundary>) -> TimeInParts {
    let mut starts: Vec<(&str, Option<u64>)> = vec![("situation", Some(0))];
    let mut last = 0;
    for b in &boundaries {
        let at = b.at_ms.map(|a| a.clamp(last, duration_ms));
        if let Some(a) = at {
            last = a;
        }
        starts.push((BOUNDARY_PARTS.iter().find(|p| **p == b.part).copied().unwrap_or("task"), at));
    }
    let mut parts = Vec::with_capacity(4);
    for (k, (part, start)) in starts.iter().enumerate() {
        let start_ms = start.unwrap_or_else(|| starts[k + 1..].iter().find_map(|s| s.1).unwrap_or(duration_ms));
        let end = starts[k + 1..].iter().find_map(|s| s.1).unwrap_or(duration_ms);
        let ms = if start.is_some() { end.saturating_sub(start_ms) } else { 0 };
        let share = if duration_ms == 0 { 0.0 } else { ms as f64 / duration_ms as f64 };
        parts.push(PartTime { part: part.to_string(), start_ms, ms, share });
    }
    let longest = parts.iter().fold(&parts[0], |best, p| if p.ms > best.ms { p } else { best }).part.clone();
    let result_at_ms = starts.get(3).and_then(|s| s.1);
    TimeInParts { take_id, duration_ms, boundaries, parts, longest, result_at_ms }
}

impl Library {
    /// A take's time in each part: the boundaries found in its transcript (none without
    /// one), those the user set winning. The take must tell a story.
    pub fn take_time_in_parts(&self, take: TakeId) -> Result<TimeInParts> {
        let t = self.take(take)?;
        let story = self.story_of_take(take)?.ok_or_else(|| not_a_story(take))?;
        let fields = self.story_summary(story)?.fields;
        let transcript = self.storage_ref().transcript(take)?.filter(|s| s.status == "done");
        let mut boundaries = match &transcript {
            Some(s) => found_boundaries(&fields, &s.transcript),
            None => {
                BOUNDARY_PARTS.iter().map(|p| PartBoundary { part: p.to_string(), at_ms: None, source: "none".into(), cue: None }).collect()
            }
        };
        for (part, at) in self.storage_ref().take_part_boundaries(take)? {
            if let Some(b) = boundaries.iter_mut().find(|b| b.part == part) {
                *b = PartBoundary { part, at_ms: Some(at), source: "set".into(), cue: None };
            }
        }
        Ok(time_in_parts(take, t.duration_ms, boundaries))
    }

    /// Sets where a part of a story's take began (ms from its start), or clears the user's
    /// setting (None: the found boundary is used again).
    pub fn set_take_part_boundary(&mut self, take: TakeId, part: &str, at_ms: Option<u64>) -> Result<TimeInParts> {
        let t = self.take(take)?;
        self.story_of_take(take)?.ok_or_else(|| not_a_story(take))?;
        if !BOUNDARY_PARTS.contains(&part) {
            return Err(CoreError::InvalidStory { what: "part".into(), message: format!("\"{part}\" is not one of task, action, result") });
        }
        if let Some(at) = at_ms.filter(|a| *a > t.duration_ms) {
            return Err(CoreError::InvalidStory {
                what: format!("the {part} boundary"),
                message: format!("{at} ms is beyond the end of take {take} ({} ms)", t.duration_ms),
            });
        }
        self.storage().set_take_part_boundary(take, part, at_ms)?;
        self.take_time_in_parts(take)
    }
}

fn not_a_story(take: TakeId) -> CoreError {
    CoreError::InvalidStory {
        what: format!("take {take}"),
        message: "tells no story (link it first: `rehearse-cli story link TAKE_ID STORY_ID`)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::tests::story;
    use crate::transcript_analysis::test_transcripts::timed;

    fn fields() -> StoryFields {
        let mut f = story("Batch", &["ownership"]);
        f.situation = "The nightly batch of a customer failed with ORA-01555 every night.".into();
        f.task = "I owned the fix before the quarter closed.".into();
        f.action = "I split the long query into chunks and sized the undo tablespace.".into();
        f.result = "No failure in 90 days and the customer renewed.".into();
        f
    }

    /// Words one a second from 0 (each 0.8 s long).
    fn said(text: &str) -> Transcript {
        let words: Vec<(u64, u64, &str)> = text.split(' ').enumerate().map(|(i, w)| (i as u64 * 1000, i as u64 * 1000 + 800, w)).collect();
        timed("en", &words)
    }

    fn at(b: &[PartBoundary]) -> Vec<Option<u64>> {
        b.iter().map(|b| b.at_ms).collect()
    }

    #[test]
    fn cue_phrases_mark_where_the_task_the_action_and_the_result_begin() {
        let t = said("Our nightly batch failed every night. My task was to fix it. So I split the query. As a result it ran.");
        let b = found_boundaries(&fields(), &t);
        assert_eq!(at(&b), [Some(6000), Some(12_000), Some(17_000)]);
        assert_eq!(b.iter().map(|b| b.cue.as_deref().unwrap_or("")).collect::<Vec<_>>(), ["My task", "So I", "As a result"]);
        let parts = time_in_parts(TakeId(1), 20_000, b);
        assert_eq!(
            parts.parts.iter().map(|p| (p.part.as_str(), p.ms)).collect::<Vec<_>>(),
            [("situation", 6000), ("task", 6000), ("action", 5000), ("result", 3000)]
        );
        assert_eq!((parts.longest.as_str(), parts.result_at_ms), ("situation", Some(17_000)), "a tie goes to the earlier part");
        assert!((parts.parts[0].share - 0.3).abs() < 1e-9);
    }

    #[test]
    fn the_storys_own_words_mark_a_part_when_no_cue_phrase_is_said() {
        // No cue phrase: "chunks … undo" are the action's own words, "renewed … failure" the result's.
        let t = said(
            "The batch kept failing. We cut the work into chunks and grew the undo space. The customer renewed with no failure since.",
        );
        let b = found_boundaries(&fields(), &t);
        assert_eq!(b[0], PartBoundary { part: "task".into(), at_ms: None, source: "none".into(), cue: None }, "never told");
        assert_eq!((b[1].at_ms, b[1].cue.as_deref()), (Some(9000), Some("chunks … undo")));
        assert_eq!((b[2].at_ms, b[2].cue.as_deref()), (Some(17_000), Some("renewed … failure")));
        let p = time_in_parts(TakeId(1), 24_000, b);
        assert_eq!(p.parts.iter().map(|p| p.ms).collect::<Vec<_>>(), [9000, 0, 8000, 7000]);
        assert_eq!(p.parts[1].start_ms, 9000, "a part not reached sits where the next one starts");
    }

    #[test]
    fn a_telling_that_never_reaches_the_result_has_most_of_its_time_in_the_situation() {
        let t = said("It was a long night and the batch failed again and again and again and I was tired. My job was the fix.");
        let b = found_boundaries(&fields(), &t);
        assert_eq!(at(&b), [Some(18_000), None, None]);
        let p = time_in_parts(TakeId(1), 22_000, b);
        assert_eq!((p.longest.as_str(), p.result_at_ms), ("situation", None));
        assert_eq!(p.parts.iter().map(|p| p.ms).collect::<Vec<_>>(), [18_000, 4000, 0, 0]);
    }

    #[test]
    fn a_part_whose_first_sign_comes_after_a_later_parts_is_taken_as_skipped() {
        // "So I" (action) comes before the only task cue: the task was skipped.
        let t = said("The batch failed. So I split it. My goal had been speed. As a result it ran.");
        let b = found_boundaries(&fields(), &t);
        assert_eq!(at(&b), [None, Some(3000), Some(12_000)]);
    }

    #[test]
    fn korean_cue_phrases_are_found_too() {
        let t = timed(
            "ko",
            &[
                (0, 900, "야간"),
                (1000, 1900, "배치가"),
                (2000, 2900, "실패했습니다."),
                (3000, 3900, "제"),
                (4000, 4900, "역할은"),
                (5000, 5900, "복구였습니다."),
                (6000, 6900, "그래서"),
                (7000, 7900, "저는"),
                (8000, 8900, "쿼리를"),
                (9000, 9900, "나눴습니다."),
                (10_000, 10_900, "결과적으로"),
                (11_000, 11_900, "장애가"),
                (12_000, 12_900, "없었습니다."),
            ],
        );
        assert_eq!(at(&found_boundaries(&fields(), &t)), [Some(3000), Some(6000), Some(10_000)]);
    }

    #[test]
    fn a_boundary_the_user_set_wins_and_clearing_it_brings_the_found_one_back() {
        let (_d, mut lib) = Library::open_temp();
        let s = lib.add_story(fields()).expect("story");
        let take = lib.commit_test_take("lp.outside-your-role", None, 48_000 * 20);
        let plain = lib.commit_test_take("lp.outside-your-role", None, 48_000);
        assert!(lib.take_time_in_parts(take).expect_err("no story").to_string().contains("tells no story"));
        lib.link_take(take, Some(s.id)).expect("link");
        // No transcript yet: nothing found, all the time in the situation.
        let p = lib.take_time_in_parts(take).expect("parts");
        assert_eq!((p.duration_ms, at(&p.boundaries), p.parts[0].ms), (20_000, vec![None, None, None], 20_000));
        let t = said("Our nightly batch failed every night. My task was to fix it. So I split the query. As a result it ran.");
        let file = crate::storage::transcripts::FileIdentity { bytes: 3, mtime_ms: 0, sha256: "x".into() };
        lib.storage().save_transcript(take, &t, &file, "2026-01-01T00:00:00.000Z").expect("transcript");
        assert_eq!(at(&lib.take_time_in_parts(take).expect("parts").boundaries), [Some(6000), Some(12_000), Some(17_000)]);
        let p = lib.set_take_part_boundary(take, "result", Some(14_500)).expect("set");
        assert_eq!(p.boundaries[2], PartBoundary { part: "result".into(), at_ms: Some(14_500), source: "set".into(), cue: None });
        assert_eq!((p.parts[2].ms, p.parts[3].ms, p.result_at_ms), (2500, 5500, Some(14_500)));
        assert_eq!(lib.take_time_in_parts(take).expect("again").result_at_ms, Some(14_500), "kept");
        for (part, at, needle) in [("result", Some(20_001), "beyond the end"), ("ending", Some(1), "not one of task")] {
            let e = lib.set_take_part_boundary(take, part, at).expect_err("refused");
            assert!(e.to_string().contains(needle), "{e}");
        }
        assert!(lib.set_take_part_boundary(plain, "task", Some(0)).is_err(), "a take of no story");
        assert_eq!(lib.take_time_in_parts(take).expect("unchanged").result_at_ms, Some(14_500));
        let p = lib.set_take_part_boundary(take, "result", None).expect("clear");
        assert_eq!((p.result_at_ms, p.boundaries[2].source.as_str()), (Some(17_000), "found"));
        lib.delete_take(take).expect("delete");
        assert!(lib.storage_ref().take_part_boundaries(take).expect("gone").is_empty());
    }
}
