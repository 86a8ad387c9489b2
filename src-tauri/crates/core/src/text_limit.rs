//! One length limit for every text Rehearse stores (deck and template texts, names,
//! descriptions, categories, tags, notes, bookmark notes, rubrics, settings), checked in
//! one place: the validation of decks and templates and the storage methods that write
//! free text both call `check`, which walks every string of the value as it is stored.

use serde::Serialize;

use crate::error::{CoreError, Result};

/// Longest text kept, in characters (defined beside the error that names it).
pub use crate::error::MAX_TEXT_CHARS;

/// The first string in `value` longer than MAX_TEXT_CHARS: where it is (e.g.
/// `questions[3].category`, `deck.name.ko`) and how many characters it has.
pub(crate) fn too_long(value: &impl Serialize) -> Option<(String, usize)> {
    let v = serde_json::to_value(value).ok()?;
    walk(&v, String::new())
}

fn walk(v: &serde_json::Value, at: String) -> Option<(String, usize)> {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let n = s.chars().count();
            (n > MAX_TEXT_CHARS).then_some((at, n))
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| walk(x, format!("{at}[{}]", i + 1))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let key = crate::error::echo(k);
            walk(x, if at.is_empty() { key.into_owned() } else { format!("{at}.{key}") })
        }),
        _ => None,
    }
}

/// Refuses `value` if any text in it is too long; `what` names it ("the note", "deck d").
pub(crate) fn check(what: &str, value: &impl Serialize) -> Result<()> {
    match too_long(value) {
        None => Ok(()),
        Some((field, chars)) => {
            Err(CoreError::TextTooLong { what: if field.is_empty() { what.to_string() } else { format!("{what}: {field}") }, chars })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_text_over_the_limit_is_found_wherever_it_is_nested() {
        let ok = serde_json::json!({ "a": ["x", { "b": "y".repeat(MAX_TEXT_CHARS) }] });
        assert_eq!(too_long(&ok), None);
        let bad = serde_json::json!({ "a": ["x", { "b": "가".repeat(MAX_TEXT_CHARS + 1) }] });
        assert_eq!(too_long(&bad), Some(("a[2].b".to_string(), MAX_TEXT_CHARS + 1)));
        let err = check("the note", &"n".repeat(10 << 20)).expect_err("refused");
        assert_eq!(err.kind(), "text_too_long");
        assert!(err.to_string().len() < 200, "{err}");
    }
}
