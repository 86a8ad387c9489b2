//! Every setting the library keeps, in one place: its key in the `settings` table and the
//! rule its value must follow. Front ends still name a setting by its key (the window
//! sends strings); [`Setting::check`] is the one check a value passes before it is stored,
//! so no feature validates keys of its own. Keys not listed here (a front end's own
//! preference) are stored as given, as before.

use crate::error::{CoreError, Result};

/// The largest pace a band may name (no one speaks 1000 words or syllables a minute).
const MAX_PACE: f64 = 1000.0;

/// A known setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The interface language ("en" or "ko"), the window's.
    UiLanguage,
    /// The interview date, YYYY-MM-DD.
    InterviewDate,
    /// "true" or "false" (unset: false): whether calls may be paused.
    CallAllowPause,
    /// English target pace, words per minute, "MIN-MAX".
    PaceBandEn,
    /// Korean target pace, Hangul syllables per minute, "MIN-MAX".
    PaceBandKo,
    /// The chosen microphone's name.
    InputDevice,
    /// The chosen speaker's name.
    OutputDevice,
    /// The speech model file chosen for transcription.
    SpeechModel,
    /// "true" or "false": playback skips long silences.
    SkipSilences,
    /// "true" once the first-launch welcome was finished or skipped in this data folder.
    WelcomeSeen,
    /// The number of questions the last practice session asked for (1-1000): the next
    /// setup starts from it.
    PracticeCount,
    /// "true" or "false" (unset: true): the picked story's cue card shows during the think time.
    StoryCueCard,
    /// "true" or "false" (unset: false, as in a real call): the picked story's cue card shows
    /// in a mock call's pick moment.
    StoryCueCardCall,
}

impl Setting {
    pub const ALL: [Setting; 13] = [
        Setting::UiLanguage,
        Setting::InterviewDate,
        Setting::CallAllowPause,
        Setting::PaceBandEn,
        Setting::PaceBandKo,
        Setting::InputDevice,
        Setting::OutputDevice,
        Setting::SpeechModel,
        Setting::SkipSilences,
        Setting::WelcomeSeen,
        Setting::PracticeCount,
        Setting::StoryCueCard,
        Setting::StoryCueCardCall,
    ];

    /// Its key in the `settings` table.
    pub const fn key(self) -> &'static str {
        match self {
            Setting::UiLanguage => "ui_language",
            Setting::InterviewDate => "interview_date",
            Setting::CallAllowPause => "call_allow_pause",
            Setting::PaceBandEn => "pace_band_en",
            Setting::PaceBandKo => "pace_band_ko",
            Setting::InputDevice => "input_device",
            Setting::OutputDevice => "output_device",
            Setting::SpeechModel => "speech_model",
            Setting::SkipSilences => "skip_silences",
            Setting::WelcomeSeen => "welcome_seen",
            Setting::PracticeCount => "practice_count",
            Setting::StoryCueCard => "story_cue_card",
            Setting::StoryCueCardCall => "story_cue_card_call",
        }
    }

    /// A switch's value while it is unset (None: not a switch).
    pub const fn switch_default(self) -> Option<bool> {
        match self {
            Setting::CallAllowPause | Setting::SkipSilences | Setting::WelcomeSeen | Setting::StoryCueCardCall => Some(false),
            Setting::StoryCueCard => Some(true),
            _ => None,
        }
    }

    pub fn from_key(key: &str) -> Option<Setting> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The value as it is to be stored (None removes the setting), or an error naming the
    /// setting and what it expects: the interview date (stored trimmed), the switches
    /// ("true" or "false"), the practice count and the pace bands.
    pub fn check(self, value: Option<&str>) -> Result<Option<String>> {
        let Some(v) = value else { return Ok(None) };
        let refuse = |expected: &'static str| CoreError::InvalidSetting { key: self.key(), value: v.to_string(), expected };
        match self {
            Setting::InterviewDate => Ok(Some(crate::time_fmt::parse_day("interview date", v.trim())?.to_string())),
            _ if self.switch_default().is_some() && !matches!(v, "true" | "false") => Err(refuse("it is true or false")),
            Setting::PracticeCount if !v.parse::<u32>().is_ok_and(|n| (1..=1000).contains(&n)) => {
                Err(refuse("it is a whole number of questions from 1 to 1000"))
            }
            Setting::PaceBandEn | Setting::PaceBandKo if pace_band(v).is_none() => {
                Err(refuse("it is MIN-MAX per minute, e.g. 120-160, with 1 <= MIN < MAX <= 1000"))
            }
            _ => Ok(Some(v.to_string())),
        }
    }
}

/// The interface language the desktop asks for ("ko" or "en"), from the POSIX variables in
/// their order of precedence (LANGUAGE's first entry, LC_ALL, LC_MESSAGES, LANG); None when
/// none names a language (unset, "C", "POSIX"). The window's own guess (WebKitGTK's
/// `navigator.language`) is "en-US" whenever the named locale is not installed, so a Korean
/// desktop without the compiled ko_KR locale would be greeted in English.
pub fn system_language(var: impl Fn(&str) -> Option<String>) -> Option<&'static str> {
    for name in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
        let Some(value) = var(name) else { continue };
        let first = value.split(':').next().unwrap_or("").trim();
        let code = first.split(['_', '.', '@', '-']).next().unwrap_or("").to_ascii_lowercase();
        match code.as_str() {
            "" | "c" | "posix" => continue,
            "ko" => return Some("ko"),
            _ => return Some("en"),
        }
    }
    None
}

/// Parses "MIN-MAX" (spaces allowed; whole or decimal numbers), min < max, both in 1..=1000.
pub fn pace_band(value: &str) -> Option<(f64, f64)> {
    let (a, b) = value.split_once('-')?;
    let min: f64 = a.trim().parse().ok()?;
    let max: f64 = b.trim().parse().ok()?;
    (min.is_finite() && max.is_finite() && min >= 1.0 && max <= MAX_PACE && min < max).then_some((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_found_by_its_own_key_and_no_two_share_one() {
        for s in Setting::ALL {
            assert_eq!(Setting::from_key(s.key()), Some(s));
        }
        let mut keys: Vec<&str> = Setting::ALL.iter().map(|s| s.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Setting::ALL.len());
        assert_eq!(Setting::from_key("nope"), None);
    }

    #[test]
    fn the_system_language_follows_posix_precedence_and_ignores_c() {
        let env =
            |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        assert_eq!(system_language(env(&[("LANG", "ko_KR.UTF-8")])), Some("ko"));
        assert_eq!(system_language(env(&[("LANGUAGE", "ko:en"), ("LANG", "en_US.UTF-8")])), Some("ko"));
        assert_eq!(system_language(env(&[("LC_ALL", "C"), ("LANG", "ko_KR.UTF-8")])), Some("ko"));
        assert_eq!(system_language(env(&[("LC_ALL", "de_DE.UTF-8"), ("LANG", "ko_KR.UTF-8")])), Some("en"));
        assert_eq!(system_language(env(&[("LANG", "C.UTF-8")])), None);
        assert_eq!(system_language(env(&[])), None);
    }

    #[test]
    fn each_checked_setting_refuses_a_malformed_value_naming_its_key() {
        for (s, bad) in [
            (Setting::InterviewDate, "soon"),
            (Setting::CallAllowPause, "yes"),
            (Setting::WelcomeSeen, "seen"),
            (Setting::StoryCueCardCall, "on"),
            (Setting::SkipSilences, "1"),
            (Setting::PracticeCount, "0"),
            (Setting::PracticeCount, "five"),
            (Setting::PaceBandKo, "160-120"),
        ] {
            let e = s.check(Some(bad)).expect_err(bad);
            assert!(matches!(e.kind(), "invalid_setting" | "invalid_date"), "{e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert_eq!(Setting::InterviewDate.check(Some(" 2026-12-03 ")).expect("ok").as_deref(), Some("2026-12-03"));
        assert_eq!(Setting::UiLanguage.check(Some("ko")).expect("ok").as_deref(), Some("ko"));
        assert_eq!(Setting::PaceBandEn.check(None).expect("unset"), None);
        assert_eq!(Setting::WelcomeSeen.check(Some("true")).expect("ok").as_deref(), Some("true"));
    }
}
