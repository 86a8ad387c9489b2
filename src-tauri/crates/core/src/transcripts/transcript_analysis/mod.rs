//! What a transcript gives the user: pace against a target band, filler words with their
//! times, "I" against "we", the key points heard (with the time each was first heard), and
//! how long the answer ran before its first key point. Pure functions over
//! [`crate::transcript::Transcript`]: no SQL, no model, no audio.
//!
//! One entry point, [`analyze`], returns a [`TranscriptReport`] (serde-serializable: the
//! CLI's `--json` and the window show it as it is). The key points it listens for come from
//! the take's question ([`crate::Question::key_points_to_hear`]); the pace bands from the
//! settings ([`crate::Library::pace_bands`]). Heard key points are suggestions the user
//! confirms, never ticked on their own.
//!
//! Definitions (README.md, "What a transcript gives you"):
//! - speaking time: the total length of the transcript's segments that have text, overlaps
//!   merged (pauses between segments are not speaking time);
//! - words: tokens (runs of letters and digits; a Korean eojeol is one); pace counts words
//!   for English, Hangul syllables for Korean;
//! - times are from the start of the take.

mod fillers;
mod key_points;
mod pace;
mod pronouns;
mod render;
mod settings;
mod tokens;
// The story bank compares the numbers of a story's tellings over the same tokens.
#[cfg(test)]
pub(crate) use tokens::tests as test_transcripts;
pub(crate) use tokens::{hangul_syllables, tokens as transcript_tokens, Token};

use serde::Serialize;

use crate::transcript::Transcript;

pub use fillers::{Filler, Fillers};
pub use key_points::{term_key, KeyPointHeard, KeyPointTerms};
pub use pace::{Pace, PaceBand, PacePoint, PaceUnit, PaceVerdict, MIN_SPEAKING_MS, WINDOW_MS};
pub use pronouns::Pronouns;
pub use render::{clock, figures_html, render_text};
pub use settings::{parse_band, PaceBands, PACE_BAND_EN, PACE_BAND_KO};
pub use tokens::fold;

/// Everything [`analyze`] finds in one take's transcript.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptReport {
    pub language: String,
    /// Words said (Korean: eojeol), fillers included.
    pub words: usize,
    /// Total length of the speech spans.
    pub speaking_ms: u64,
    /// The first and last moments of speech, if anything was said.
    pub speech_start_ms: Option<u64>,
    pub speech_end_ms: Option<u64>,
    pub pace: Pace,
    pub fillers: Fillers,
    pub pronouns: Pronouns,
    pub key_points: Vec<KeyPointHeard>,
    /// When the first key point was first heard (from the start of the take).
    pub first_key_point_ms: Option<u64>,
    /// The share (0..=1) of the answer's time, from its first to its last word, said
    /// before the first key point: a rambling start shows as a large share.
    pub share_before_first_key_point: Option<f64>,
    /// Words said before the first key point was heard (fillers included).
    pub words_before_first_key_point: Option<usize>,
}

pub use crate::model::metrics::SpeechFigures;

impl From<&TranscriptReport> for SpeechFigures {
    fn from(r: &TranscriptReport) -> Self {
        SpeechFigures {
            language: r.language.clone(),
            pace_unit: r.pace.unit,
            pace_per_minute: r.pace.per_minute,
            fillers_per_minute: r.fillers.per_minute,
        }
    }
}

/// Analyses one transcript. `key_points` are the question's key points with their terms
/// (empty: none is listened for); `bands` the target pace per language.
pub fn analyze(transcript: &Transcript, key_points: &[KeyPointTerms], bands: &PaceBands) -> TranscriptReport {
    let language = transcript.language.as_str();
    let toks = tokens::tokens(transcript);
    let spans = tokens::speech_spans(transcript);
    let pace = pace::pace(language, &toks, &spans, bands.for_language(language));
    let speaking_ms = pace.speaking_ms;
    let words = toks.len();
    let fillers = fillers::summarize(fillers::find(language, &toks), words, speaking_ms);
    let pronouns = pronouns::count(language, &toks);
    let heard = key_points::heard(&toks, key_points);
    let first_key_point_ms = heard.iter().filter_map(|k| k.first_at_ms).min();
    let speech_start_ms = spans.first().map(|s| s.0).into_iter().chain(toks.first().map(|t| t.start_ms)).min();
    let speech_end_ms = spans.last().map(|s| s.1).into_iter().chain(toks.last().map(|t| t.end_ms)).max();
    let share_before_first_key_point = match (first_key_point_ms, speech_start_ms, speech_end_ms) {
        (Some(at), Some(a), Some(b)) if b > a => Some((at.saturating_sub(a) as f64 / (b - a) as f64).clamp(0.0, 1.0)),
        _ => None,
    };
    let words_before_first_key_point = first_key_point_ms.map(|at| toks.iter().filter(|t| t.start_ms < at).count());
    TranscriptReport {
        language: language.to_string(),
        words,
        speaking_ms,
        speech_start_ms,
        speech_end_ms,
        pace,
        fillers,
        pronouns,
        key_points: heard,
        first_key_point_ms,
        share_before_first_key_point,
        words_before_first_key_point,
    }
}

impl crate::Library {
    /// [`analyze`] for a take's transcript: the key points of `question` in the
    /// transcript's language (with the terms of every language) and the pace bands of the
    /// settings. The one call a front end needs.
    pub fn analyze_transcript(&self, question: &crate::QuestionId, transcript: &Transcript) -> crate::Result<TranscriptReport> {
        let q = self.question(question)?;
        Ok(analyze(transcript, &q.key_points_to_hear(&transcript.language), &self.pace_bands()?))
    }

    /// The analyses of a take's transcript, if it has one that was heard (none while it is
    /// pending or when the model failed on it). A take whose question is no longer in the
    /// library is analysed without key points.
    pub fn take_transcript_report(&self, id: crate::TakeId) -> crate::Result<Option<TranscriptReport>> {
        let Some(stored) = self.transcript(id)?.filter(|s| s.status == "done") else { return Ok(None) };
        let take = self.take(id)?;
        match self.analyze_transcript(&take.question_id, &stored.transcript) {
            Err(e) if e.kind() == "unknown_question" => Ok(Some(analyze(&stored.transcript, &[], &self.pace_bands()?))),
            r => r.map(Some),
        }
    }
}

/// Matching key points is this module's rule; the question only holds its texts and terms.
impl crate::model::Question {
    /// The key points to listen for in a take in `lang`: each key point's text in `lang`
    /// (falling back to English, then any language, as the rubric shows them) with the terms
    /// of every language for it (a Korean answer often says the English term), without
    /// repeats. Key points are matched by position across languages, as the rubric stores them.
    pub fn key_points_to_hear(&self, lang: &str) -> Vec<KeyPointTerms> {
        let texts = self
            .key_points
            .get(lang)
            .or_else(|| self.key_points.get("en"))
            .or_else(|| self.key_points.values().next())
            .cloned()
            .unwrap_or_default();
        // The take's own language first, so its terms are named when two match at once.
        let mut langs: Vec<&String> = self.key_point_terms.keys().collect();
        langs.sort_by_key(|l| l.as_str() != lang);
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let mut terms: Vec<String> = Vec::new();
                for l in &langs {
                    for t in self.key_point_terms[*l].get(i).into_iter().flatten() {
                        if !terms.iter().any(|s| term_key(s) == term_key(t)) {
                            terms.push(t.clone());
                        }
                    }
                }
                KeyPointTerms { index: i as u32, text, terms }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::tokens::tests::plain;
    use super::*;

    #[test]
    fn a_korean_answer_reports_pace_in_syllables_fillers_pronouns_and_key_points() {
        let t = plain(
            "ko",
            &[
                (1000, 5000, "음 저는 그... 먼저 장애 범위를 확인했습니다"),
                (6000, 11_000, "그리고 저희 팀과 alert log를 봤고 UNDO_RETENTION을 늘렸습니다"),
            ],
        );
        let points = vec![
            KeyPointTerms { index: 0, text: "범위".into(), terms: vec!["범위".into(), "scope".into()] },
            KeyPointTerms { index: 1, text: "undo".into(), terms: vec!["undo retention".into(), "언두".into()] },
            KeyPointTerms { index: 2, text: "없음".into(), terms: vec!["failover".into()] },
        ];
        let r = analyze(&t, &points, &PaceBands::default());
        assert_eq!(r.pace.unit, PaceUnit::SyllablesPerMinute);
        assert_eq!(r.speaking_ms, 9000);
        assert_eq!(r.fillers.counts.get("음"), Some(&1));
        assert_eq!(r.fillers.counts.get("그"), Some(&1));
        assert_eq!((r.pronouns.i, r.pronouns.we), (1, 1));
        assert!(r.key_points[0].heard && r.key_points[1].heard && !r.key_points[2].heard);
        let first = r.first_key_point_ms.expect("heard");
        assert!((1000..5000).contains(&first), "{first}");
        let share = r.share_before_first_key_point.expect("share");
        assert!(share > 0.0 && share < 0.4, "{share}");
        assert_eq!(r.words_before_first_key_point, Some(5), "음 저는 그 먼저 장애, then 범위를");
        let json = serde_json::to_value(&r).expect("serializes");
        assert_eq!(json["pace"]["unit"], "syllables_per_minute");
        assert_eq!(json["pace"]["unit_label"], "syllables/min");
    }

    #[test]
    fn the_built_in_ora_01555_key_points_are_heard_in_english_and_korean_answers() {
        let (_dir, lib) = crate::Library::open_temp();
        let q = lib.question(&"db.ora-01555".into()).expect("built-in question");
        let en =
            plain("en", &[(0, 20_000, "So the query needs a consistent read, but the undo was overwritten. I'd raise UNDO_RETENTION.")]);
        let r = analyze(&en, &q.key_points_to_hear("en"), &PaceBands::default());
        let heard: Vec<u32> = r.key_points.iter().filter(|k| k.heard).map(|k| k.index).collect();
        assert_eq!(heard, [0, 1, 2], "{:?}", r.key_points);
        let ko = plain("ko", &[(0, 20_000, "장시간 쿼리가 읽어야 할 언두가 덮어써져서 일관된 읽기를 못 합니다. 언두 보존 시간을 늘리고 커서 루프 안에서 커밋하지 않습니다.")]);
        let r = analyze(&ko, &q.key_points_to_hear("ko"), &PaceBands::default());
        let heard: Vec<u32> = r.key_points.iter().filter(|k| k.heard).map(|k| k.index).collect();
        assert_eq!(heard, [0, 1, 2, 4], "{:?}", r.key_points);
        assert_eq!(r.first_key_point_ms, Some(0));
    }

    #[test]
    fn a_library_analyses_a_transcript_with_its_question_and_the_pace_settings() {
        let (_dir, mut lib) = crate::Library::open_temp();
        lib.set_setting(PACE_BAND_EN, Some("100-110")).expect("set");
        let t = plain("en", &[(0, 6000, "We hit a deadlock, so I added an index and a retry on error")]);
        let r = lib.analyze_transcript(&"db.deadlock".into(), &t).expect("analysed");
        assert_eq!((r.pace.band.min, r.pace.band.max), (100.0, 110.0));
        assert_eq!((r.pace.per_minute, r.pace.verdict), (Some(140.0), Some(PaceVerdict::Fast)), "14 words in 6 s");
        assert!(r.key_points[0].heard && r.key_points[5].heard, "{:?}", r.key_points);
        assert_eq!(lib.analyze_transcript(&"no.such".into(), &t).expect_err("unknown").kind(), "unknown_question");
    }

    #[test]
    fn progress_points_carry_pace_and_fillers_per_minute_of_transcribed_takes() {
        use crate::transcript::{ModelIdentity, Segment};
        let (_dir, mut lib) = crate::Library::open_temp();
        let heard = lib.commit_test_take("db.deadlock", None, 48_000);
        let pending = lib.commit_test_take("db.deadlock", None, 48_000);
        let t = Transcript {
            language: "en".into(),
            model: ModelIdentity { name: "m".into(), sha256: "0".into() },
            segments: vec![Segment {
                start_ms: 0,
                end_ms: 6000,
                text: "Um, we hit a deadlock, so I added an index, uh, and a retry".into(),
                words: vec![],
            }],
        };
        let file = lib.take_file_identity(heard).expect("identity");
        lib.save_transcript(heard, &t, &file).expect("save");
        let points = lib.progress(&crate::ProgressScope::Question("db.deadlock".into())).expect("progress");
        let by_take: Vec<(crate::TakeId, Option<SpeechFigures>)> = points.iter().map(|p| (p.take_id, p.speech.clone())).collect();
        let fig = by_take.iter().find(|(id, _)| *id == heard).and_then(|(_, f)| f.clone()).expect("figures of the heard take");
        assert_eq!((fig.pace_unit, fig.pace_per_minute, fig.fillers_per_minute), (PaceUnit::WordsPerMinute, Some(140.0), Some(20.0)));
        assert!(by_take.iter().any(|(id, f)| *id == pending && f.is_none()), "not transcribed: no figures");
    }

    #[test]
    fn an_empty_transcript_gives_no_figures_and_no_panic() {
        let r = analyze(&plain("en", &[]), &[], &PaceBands::default());
        assert_eq!((r.words, r.speaking_ms, r.pace.per_minute, r.fillers.per_minute), (0, 0, None, None));
        assert_eq!((r.first_key_point_ms, r.share_before_first_key_point, r.pronouns.i_share), (None, None, None));
        assert_eq!(r.words_before_first_key_point, None);
        assert!(r.pace.series.is_empty());
    }
}
