//! "I" against "we": first-person singular and plural words, for behavioural answers
//! (the rubric's "I, not we").
//!
//! English: whole tokens I, me, my, mine, myself and their contractions (I'm, I've, I'd,
//! I'll) against we, us, our, ours, ourselves (we're, we've, we'd, we'll). "US" written in
//! capitals is the country, not "us".
//! Korean: an eojeol that is 저 or 나 followed by a particle (저는, 제가, 저의, 저를, 나는,
//! 내가 …) or is 제 / 내 alone ("my"), against an eojeol starting with 우리 or 저희 (우리는,
//! 우리 팀, 저희가). 저 alone is not counted: it is also "that" and a filler.

use serde::Serialize;

use super::tokens::Token;

const EN_I: [&str; 9] = ["i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"];
const EN_WE: [&str; 9] = ["we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"];
/// Particles that may follow 저 / 나 in a first-person eojeol.
const KO_PARTICLES: [&str; 14] = ["는", "도", "를", "의", "에게", "에게는", "한테", "한테는", "만", "로서", "로서는", "로선", "랑", "와"];
const KO_I_WORDS: [&str; 4] = ["제가", "내가", "제", "내"];
const KO_WE_PREFIXES: [&str; 2] = ["우리", "저희"];

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pronouns {
    /// First person singular said.
    pub i: usize,
    /// First person plural said.
    pub we: usize,
    /// i / (i + we); none when neither was said.
    pub i_share: Option<f64>,
}

fn korean_i(word: &str) -> bool {
    KO_I_WORDS.contains(&word) || ["저", "나"].iter().any(|stem| word.strip_prefix(stem).is_some_and(|rest| KO_PARTICLES.contains(&rest)))
}

pub fn count(language: &str, tokens: &[Token]) -> Pronouns {
    let (mut i, mut we) = (0, 0);
    for t in tokens {
        let w = t.norm.as_str();
        if language == "ko" {
            if korean_i(w) {
                i += 1;
            } else if KO_WE_PREFIXES.iter().any(|p| w.starts_with(p)) {
                we += 1;
            }
        } else if EN_I.contains(&w) {
            i += 1;
        } else if EN_WE.contains(&w) && t.raw != "US" {
            we += 1;
        }
    }
    Pronouns { i, we, i_share: (i + we > 0).then(|| i as f64 / (i + we) as f64) }
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tests::plain;
    use super::super::tokens::tokens;
    use super::*;

    fn of(language: &str, text: &str) -> (usize, usize) {
        let p = count(language, &tokens(&plain(language, &[(0, 5000, text)])));
        (p.i, p.we)
    }

    #[test]
    fn english_counts_whole_words_and_contractions() {
        assert_eq!(of("en", "I think we fixed it; I'm sure my team and I've seen our logs. We're done, it's ours."), (4, 4));
        assert_eq!(of("en", "Item images mine?"), (1, 0), "only whole words: 'mine' counts, 'Item' does not");
        assert_eq!(of("en", "Usually the US region helps us"), (0, 1));
    }

    #[test]
    fn korean_counts_pronoun_eojeol_with_particles() {
        assert_eq!(of("ko", "저는 제가 만든 쿼리를 제 방식으로 고쳤고 저희 팀과 우리는 함께 나는 내가"), (5, 2));
        assert_eq!(of("ko", "저 서버의 제품 제안을 내용대로 나누었다"), (0, 0), "저 alone, 제품, 제안, 내용, 나누었다 are not pronouns");
    }

    #[test]
    fn the_share_of_i_is_given_only_when_either_was_said() {
        let p = count("en", &tokens(&plain("en", &[(0, 1000, "I did it and we shipped it, I think")])));
        assert_eq!((p.i, p.we), (2, 1));
        assert!((p.i_share.expect("share") - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(count("en", &tokens(&plain("en", &[(0, 1000, "It worked")]))).i_share, None);
    }
}
