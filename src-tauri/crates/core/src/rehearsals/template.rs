//! The rehearsal template format (TOML). See README.md, "Rehearsal templates".
//!
//! A template is a timed video call: segments, each with its interviewer (A, B, or both
//! taking turns), its length, the questions it draws, think time, answer limit and
//! follow-up policy. Parsing is strict like the deck format (unknown fields refused) and
//! errors name the file, the segment and the field.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::deck::{check_text, is_valid_id, MAX_ANSWER_SECS, MAX_FILE_BYTES, MAX_LIST_ITEMS, MAX_THINK_SECS};
use crate::error::{echo, CoreError, Result};
use crate::model::Order;

pub const TEMPLATE_FORMAT_VERSION: u32 = 1;
/// Longest segment: two hours.
pub const MAX_SEGMENT_SECS: u32 = 7200;
/// Most segments in a template.
pub const MAX_SEGMENTS: usize = 50;
/// Most follow-up probes after one answer.
pub const MAX_FOLLOW_UPS: u32 = 3;
/// Most fixed question ids in one segment.
pub const MAX_SEGMENT_IDS: usize = 200;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    pub format: u32,
    pub template: TemplateMeta,
    /// Probes used when a question has none of its own (or too few), per language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub general_probes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub segments: Vec<SegmentDef>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateMeta {
    pub id: String,
    pub name: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub description: BTreeMap<String, String>,
}

/// Who asks the segment's questions. `AB`: A and B take turns, A first.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interviewer {
    A,
    B,
    AB,
}

/// One of the two voices.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Speaker {
    A,
    B,
}

impl Speaker {
    pub fn as_str(&self) -> &'static str {
        match self {
            Speaker::A => "A",
            Speaker::B => "B",
        }
    }
}

impl Interviewer {
    /// Who asks the `n`th question (0-based) of the segment.
    pub fn speaker_for(&self, n: usize) -> Speaker {
        match self {
            Interviewer::A => Speaker::A,
            Interviewer::B => Speaker::B,
            Interviewer::AB if n.is_multiple_of(2) => Speaker::A,
            Interviewer::AB => Speaker::B,
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpWhen {
    #[default]
    Never,
    /// After answers to behavioural questions only.
    Behavioural,
    Always,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FollowUps {
    /// Probes after each answer (the question's own first, then the general list).
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub when: FollowUpWhen,
}

/// Which questions a segment asks: fixed ids, or a draw from a deck.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct QuestionDraw {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deck: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// How many to draw (0: all that match).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub count: usize,
    #[serde(default, skip_serializing_if = "is_in_order")]
    pub order: Order,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_in_order(o: &Order) -> bool {
    *o == Order::InOrder
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDef {
    pub id: String,
    pub name: BTreeMap<String, String>,
    pub interviewer: Interviewer,
    pub length_secs: u32,
    #[serde(default)]
    pub think_secs: u32,
    pub answer_secs: u32,
    #[serde(default = "default_probe_answer_secs")]
    pub probe_answer_secs: u32,
    #[serde(default)]
    pub follow_ups: FollowUps,
    pub questions: QuestionDraw,
}

fn default_probe_answer_secs() -> u32 {
    90
}

/// Parses and validates a template. `file` names the source in error messages.
pub fn parse_template(file: &str, text: &str) -> Result<TemplateFile> {
    let invalid = |message: String| CoreError::InvalidTemplate { file: file.to_string(), message };
    if text.starts_with('\u{feff}') {
        return Err(invalid("starts with a byte-order mark (BOM); save it as UTF-8 without BOM".into()));
    }
    let t: TemplateFile = toml::from_str(text).map_err(|e| invalid(crate::deck::toml_error(text, &e)))?;
    validate(&t).map_err(invalid)?;
    Ok(t)
}

fn validate(t: &TemplateFile) -> std::result::Result<(), String> {
    if t.format != TEMPLATE_FORMAT_VERSION {
        return Err(format!("format = {} is not supported (this version reads format {TEMPLATE_FORMAT_VERSION})", t.format));
    }
    if !is_valid_id(&t.template.id) {
        return Err(format!("template.id {:?} must be lowercase letters, digits, '.' or '-' (no '/' or '..')", echo(&t.template.id)));
    }
    check_names("template", "name", &t.template.name, true)?;
    check_names("template", "description", &t.template.description, false)?;
    check_lists("template", "general_probes", &t.general_probes)?;
    if t.segments.is_empty() {
        return Err("the template has no segments".into());
    }
    if t.segments.len() > MAX_SEGMENTS {
        return Err(format!("the template has {} segments (at most {MAX_SEGMENTS})", t.segments.len()));
    }
    let mut seen = HashSet::new();
    for (i, s) in t.segments.iter().enumerate() {
        let at = format!("segment {} (id {:?})", i + 1, echo(&s.id));
        if !is_valid_id(&s.id) {
            return Err(format!("{at}: id must be lowercase letters, digits, '.' or '-' (no '/' or '..')"));
        }
        if !seen.insert(s.id.as_str()) {
            return Err(format!("{at}: duplicate id"));
        }
        check_names(&at, "name", &s.name, true)?;
        if s.length_secs == 0 || s.length_secs > MAX_SEGMENT_SECS {
            return Err(format!("{at}: length_secs = {} must be between 1 and {MAX_SEGMENT_SECS}", s.length_secs));
        }
        if s.think_secs > MAX_THINK_SECS {
            return Err(format!("{at}: think_secs = {} must be at most {MAX_THINK_SECS}", s.think_secs));
        }
        for (field, v) in [("answer_secs", s.answer_secs), ("probe_answer_secs", s.probe_answer_secs)] {
            if v == 0 || v > MAX_ANSWER_SECS {
                return Err(format!("{at}: {field} = {v} must be between 1 and {MAX_ANSWER_SECS}"));
            }
        }
        if s.follow_ups.count > MAX_FOLLOW_UPS {
            return Err(format!("{at}: follow_ups.count = {} must be at most {MAX_FOLLOW_UPS}", s.follow_ups.count));
        }
        if s.follow_ups.count > 0 && s.follow_ups.when == FollowUpWhen::Never {
            return Err(format!(
                "{at}: follow_ups.count = {} but follow_ups.when is \"never\" (use \"behavioural\" or \"always\")",
                s.follow_ups.count
            ));
        }
        let q = &s.questions;
        match (&q.deck, q.ids.is_empty()) {
            (None, true) => return Err(format!("{at}: questions needs a deck to draw from or a list of ids")),
            (Some(_), false) => return Err(format!("{at}: questions has both a deck and ids; give one of them")),
            (Some(deck), true) => {
                if !is_valid_id(deck) {
                    return Err(format!("{at}: questions.deck {:?} is not a valid deck id", echo(deck)));
                }
            }
            (None, false) => {
                if q.category.is_some() || q.tag.is_some() || q.count != 0 || q.order != Order::InOrder {
                    return Err(format!("{at}: questions.ids cannot be combined with category, tag, count or order"));
                }
                if q.ids.len() > MAX_SEGMENT_IDS {
                    return Err(format!("{at}: questions.ids has {} ids (at most {MAX_SEGMENT_IDS})", q.ids.len()));
                }
                let mut ids = HashSet::new();
                for id in &q.ids {
                    if !is_valid_id(id) {
                        return Err(format!("{at}: questions.ids has {:?}, which is not a valid question id", echo(id)));
                    }
                    if !ids.insert(id) {
                        return Err(format!("{at}: questions.ids lists {:?} twice", echo(id)));
                    }
                }
            }
        }
        for (field, v) in [("category", &q.category), ("tag", &q.tag)] {
            if v.as_ref().is_some_and(|v| v.trim().is_empty() || v.chars().count() > 100) {
                return Err(format!("{at}: questions.{field} must be 1 to 100 characters"));
            }
        }
        if q.count > 1000 {
            return Err(format!("{at}: questions.count = {} must be at most 1000", q.count));
        }
    }
    // Every other text (descriptions, probes, names) under the one limit of stored texts.
    if let Some((field, chars)) = crate::text_limit::too_long(t) {
        return Err(format!("{field} is {chars} characters long (at most {})", crate::text_limit::MAX_TEXT_CHARS));
    }
    Ok(())
}

fn check_names(at: &str, field: &str, map: &BTreeMap<String, String>, required: bool) -> std::result::Result<(), String> {
    if required && map.is_empty() {
        return Err(format!("{at}: {field} needs a text in at least one language (e.g. {field} = {{ en = \"...\" }})"));
    }
    for (lang, text) in map {
        check_lang(at, field, lang)?;
        check_text(at, &format!("{field}.{lang}"), text)?;
    }
    Ok(())
}

fn check_lists(at: &str, field: &str, map: &BTreeMap<String, Vec<String>>) -> std::result::Result<(), String> {
    for (lang, items) in map {
        check_lang(at, field, lang)?;
        if items.len() > MAX_LIST_ITEMS {
            return Err(format!("{at}: {field}.{lang} has {} items (at most {MAX_LIST_ITEMS})", items.len()));
        }
        for (j, item) in items.iter().enumerate() {
            check_text(at, &format!("{field}.{lang}[{}]", j + 1), item)?;
        }
    }
    Ok(())
}

fn check_lang(at: &str, field: &str, lang: &str) -> std::result::Result<(), String> {
    let ok = (2..=8).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("{at}: {field} has the language key {:?}; use a language code such as \"en\" or \"ko\"", echo(lang)))
    }
}

/// Reads and validates a template file: size, UTF-8, syntax, then content.
pub fn read_template_file(path: &std::path::Path) -> Result<TemplateFile> {
    let file = path.display().to_string();
    let text = crate::deck::read_limited_text(path, MAX_FILE_BYTES, "template files")
        .map_err(|message| CoreError::InvalidTemplate { file: file.clone(), message })?;
    parse_template(&file, &text)
}

/// Serializes a template to the file format (what `template export` writes).
pub fn template_to_toml(t: &TemplateFile) -> String {
    toml::to_string(t).unwrap_or_default()
}

/// The templates shipped in `assets/templates/`, compiled in.
pub fn builtin_templates() -> [(&'static str, &'static str); 1] {
    [("assets/templates/default.toml", include_str!("../../../../../assets/templates/default.toml"))]
}

impl TemplateFile {
    /// The template's name in `lang`, falling back to English, then to any language.
    pub fn name_in(&self, lang: &str) -> &str {
        text_in(&self.template.name, lang)
    }

    /// Total planned length in seconds.
    pub fn length_secs(&self) -> u64 {
        self.segments.iter().map(|s| s.length_secs as u64).sum()
    }
}

impl SegmentDef {
    pub fn name_in(&self, lang: &str) -> &str {
        text_in(&self.name, lang)
    }
}

pub(crate) fn text_in<'a>(map: &'a BTreeMap<String, String>, lang: &str) -> &'a str {
    map.get(lang).or_else(|| map.get("en")).or_else(|| map.values().next()).map(String::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const MINIMAL: &str = r#"
format = 1
[template]
id = "t"
name = { en = "T" }
[[segments]]
id = "one"
name = { en = "One" }
interviewer = "AB"
length_secs = 60
answer_secs = 20
follow_ups = { count = 2, when = "behavioural" }
questions = { deck = "leadership", count = 2 }
"#;

    #[test]
    fn a_minimal_template_parses_with_defaults() {
        let t = parse_template("t.toml", MINIMAL).expect("valid");
        let s = &t.segments[0];
        assert_eq!((s.think_secs, s.probe_answer_secs), (0, 90));
        assert_eq!(s.follow_ups, FollowUps { count: 2, when: FollowUpWhen::Behavioural });
        assert_eq!((s.interviewer.speaker_for(0), s.interviewer.speaker_for(1)), (Speaker::A, Speaker::B));
    }

    #[test]
    fn the_builtin_default_follows_the_question_bank() {
        let (file, text) = builtin_templates()[0];
        let t = parse_template(file, text).expect("valid");
        let shape: Vec<(&str, Interviewer, u32)> = t.segments.iter().map(|s| (s.id.as_str(), s.interviewer, s.length_secs / 60)).collect();
        assert_eq!(
            shape,
            [
                ("intro", Interviewer::A, 3),
                ("technical-1", Interviewer::A, 20),
                ("technical-2", Interviewer::B, 17),
                ("principles", Interviewer::AB, 15),
                ("reverse-qa", Interviewer::A, 5)
            ]
        );
        assert!(t.segments.iter().all(|s| s.think_secs == 0), "think time 0 s in a live call");
        // Named "One-hour video call" (1시간): its parts add up to exactly an hour.
        assert_eq!(t.name_in("en"), "One-hour video call");
        assert_eq!(t.length_secs(), 3600, "the one-hour call lasts an hour");
        assert_eq!(t.general_probes["en"].len(), t.general_probes["ko"].len());
    }

    #[test]
    fn an_exported_template_parses_back_to_the_same_value() {
        let (file, text) = builtin_templates()[0];
        let t = parse_template(file, text).expect("valid");
        assert_eq!(parse_template("again.toml", &template_to_toml(&t)).expect("round trip"), t);
    }

    #[test]
    fn bad_templates_are_refused_naming_the_segment_and_field() {
        let cases: Vec<(String, &str)> = vec![
            (MINIMAL.replace("length_secs = 60", "length_secs = 0"), "segment 1 (id \"one\"): length_secs = 0"),
            (MINIMAL.replace("length_secs = 60", "length_secs = -3"), "line 10 (length_secs = -3)"),
            (MINIMAL.replace("answer_secs = 20", "answer_secs = nan"), "answer_secs"),
            (MINIMAL.replace("answer_secs = 20", "answer_secs = 99999"), "answer_secs = 99999 must be between 1 and 3600"),
            (MINIMAL.replace("interviewer = \"AB\"", "interviewer = \"C\""), "line 9"),
            (MINIMAL.replace("id = \"one\"", "id = \"../one\""), "segment 1"),
            (MINIMAL.replace("id = \"t\"", "id = \"a/b\""), "template.id"),
            (MINIMAL.replace("count = 2, when", "count = 4, when"), "follow_ups.count = 4"),
            (MINIMAL.replace("when = \"behavioural\"", "when = \"never\""), "follow_ups.when is \"never\""),
            (MINIMAL.replace("deck = \"leadership\", count = 2", "count = 2"), "needs a deck"),
            (MINIMAL.replace("deck = \"leadership\", count = 2", "deck = \"x\", ids = [\"a\"]"), "both a deck and ids"),
            (MINIMAL.replace("deck = \"leadership\", count = 2", "ids = [\"a\", \"a\"]"), "lists \"a\" twice"),
            (MINIMAL.replace("deck = \"leadership\", count = 2", "ids = [\"a\"], count = 1"), "cannot be combined"),
            (MINIMAL.replace("name = { en = \"One\" }", "name = { en = \"  \" }"), "name.en is empty"),
            (MINIMAL.replace("name = { en = \"One\" }", "name = {}"), "name needs a text"),
            (format!("{MINIMAL}colour = 1\n"), "colour"),
            (format!("\u{feff}{MINIMAL}"), "BOM"),
            (MINIMAL.replace("format = 1", "format = 2"), "format = 2 is not supported"),
            (MINIMAL.replace("name = { en = \"One\" }", &format!("name = {{ en = \"{}\" }}", "x".repeat(5000))), "5000 characters"),
        ];
        for (text, expect) in cases {
            let e = parse_template("bad.toml", &text).expect_err(expect).to_string();
            assert!(e.starts_with("template bad.toml: ") && e.contains(expect), "{expect}: {e}");
        }
        let dup = format!("{MINIMAL}{}", &MINIMAL[MINIMAL.find("[[segments]]").expect("seg")..]);
        assert!(parse_template("d.toml", &dup).expect_err("dup").to_string().contains("segment 2 (id \"one\"): duplicate id"));
    }
}
