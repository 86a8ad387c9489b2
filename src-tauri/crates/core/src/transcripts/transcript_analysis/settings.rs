//! The target pace bands, kept as settings (`pace_band_en`, `pace_band_ko`, each
//! "MIN-MAX" in the language's unit). Defaults and their sources: README.md, "What a
//! transcript gives you".

use serde::Serialize;

use super::pace::PaceBand;
use crate::error::Result;
use crate::library::Library;
use crate::settings::Setting;

/// Setting: English target pace, words per minute, "MIN-MAX".
pub const PACE_BAND_EN: &str = Setting::PaceBandEn.key();
/// Setting: Korean target pace, Hangul syllables per minute, "MIN-MAX".
pub const PACE_BAND_KO: &str = Setting::PaceBandKo.key();

/// The target pace per language.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaceBands {
    /// Words per minute.
    pub en: PaceBand,
    /// Hangul syllables per minute.
    pub ko: PaceBand,
}

impl Default for PaceBands {
    fn default() -> Self {
        PaceBands { en: PaceBand { min: 120.0, max: 160.0 }, ko: PaceBand { min: 240.0, max: 300.0 } }
    }
}

impl PaceBands {
    /// The band for a transcript's language (other languages count words, as English).
    pub fn for_language(&self, language: &str) -> PaceBand {
        if language == "ko" {
            self.ko
        } else {
            self.en
        }
    }
}

/// Parses "MIN-MAX" (spaces allowed; whole or decimal numbers), min < max, both in 1..=1000.
pub fn parse_band(value: &str) -> Option<PaceBand> {
    crate::settings::pace_band(value).map(|(min, max)| PaceBand { min, max })
}

impl Library {
    /// The target pace bands: the settings where set (and well formed), else the defaults.
    pub fn pace_bands(&self) -> Result<PaceBands> {
        let d = PaceBands::default();
        let read = |key: &str, default: PaceBand| -> Result<PaceBand> {
            Ok(self.setting(key)?.as_deref().and_then(parse_band).unwrap_or(default))
        };
        Ok(PaceBands { en: read(PACE_BAND_EN, d.en)?, ko: read(PACE_BAND_KO, d.ko)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_bands_default_then_follow_the_settings() {
        let (_dir, mut lib) = Library::open_temp();
        assert_eq!(lib.pace_bands().expect("read"), PaceBands::default());
        lib.set_setting(PACE_BAND_EN, Some("110 - 150")).expect("set");
        lib.set_setting(PACE_BAND_KO, Some("200-280.5")).expect("set");
        let b = lib.pace_bands().expect("read");
        assert_eq!((b.en, b.ko), (PaceBand { min: 110.0, max: 150.0 }, PaceBand { min: 200.0, max: 280.5 }));
        lib.set_setting(PACE_BAND_EN, None).expect("unset");
        assert_eq!(lib.pace_bands().expect("read").en, PaceBands::default().en);
    }

    #[test]
    fn a_malformed_pace_band_is_refused_and_nothing_changes() {
        let (_dir, mut lib) = Library::open_temp();
        lib.set_setting(PACE_BAND_KO, Some("250-320")).expect("set");
        for bad in ["fast", "160-120", "0-100", "100-100", "100-5000", "nan-200", "120", "-5-100", "120-inf"] {
            let err = lib.set_setting(PACE_BAND_KO, Some(bad)).expect_err(bad);
            assert_eq!(err.kind(), "invalid_setting", "{bad}");
            assert!(err.to_string().contains("pace_band_ko") && err.to_string().contains("nothing was changed"), "{err}");
        }
        assert_eq!(lib.setting(PACE_BAND_KO).expect("get").as_deref(), Some("250-320"));
    }
}
