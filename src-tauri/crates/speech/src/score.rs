//! How far a transcript is from what was said: word error rate (English) and character error
//! rate (Korean, where spacing varies), for tests and the benchmark.

/// Lower-case words with punctuation removed (apostrophes inside words kept).
pub fn normalize_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            let w: String = w.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect();
            w.trim_matches('\'').to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(x != y);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Word error rate of `hypothesis` against `reference`: (substitutions + deletions +
/// insertions) / reference words. 0.0 for two empty texts.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let r = normalize_words(reference);
    let h = normalize_words(hypothesis);
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f64 / r.len() as f64
}

/// Character error rate, spaces and punctuation ignored.
pub fn char_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let chars = |t: &str| -> Vec<char> { t.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect() };
    let r = chars(reference);
    let h = chars(hypothesis);
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f64 / r.len() as f64
}

/// Whether the text has Hangul syllables in it.
pub fn has_hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_error_rate_counts_substitutions_deletions_and_insertions() {
        assert_eq!(word_error_rate("It was the best of times.", "it was the best of times"), 0.0);
        assert!((word_error_rate("a b c d", "a x c") - 0.5).abs() < 1e-9);
        assert!((word_error_rate("a b", "a b c d") - 1.0).abs() < 1e-9);
        assert_eq!(word_error_rate("", ""), 0.0);
        assert_eq!(word_error_rate("Don't stop", "don't, stop!"), 0.0);
    }

    #[test]
    fn char_error_rate_ignores_spacing() {
        assert_eq!(char_error_rate("안녕하세요 저는", "안녕 하세요, 저는"), 0.0);
        assert!((char_error_rate("가나다라", "가나라") - 0.25).abs() < 1e-9);
        assert!(has_hangul("hello 세계") && !has_hangul("hello"));
    }
}
