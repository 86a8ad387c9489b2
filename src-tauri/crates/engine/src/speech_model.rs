//! rehearse-speech's recognizer as the transcription worker's [`Hear`], and where the model
//! is: a path given (CLI `--model`), else the `speech_model` setting (a bigger Whisper model
//! the user already has), else the one set-up installed.

use std::path::{Path, PathBuf};

use rehearse_core::transcript::{ModelIdentity, Segment, Transcript, Word};
use rehearse_speech::{Recognizer, SpeechError};

use crate::transcribe::{Hear, HearError};

/// The setting naming a Whisper model file (ggml) to use instead of the installed one.
pub const SPEECH_MODEL_SETTING: rehearse_core::settings::Setting = rehearse_core::settings::Setting::SpeechModel;

/// The model file to load: `given`, else the setting's, else the installed default.
pub fn model_path(given: Option<&Path>, setting: Option<&str>) -> Option<PathBuf> {
    given
        .map(Path::to_path_buf)
        .or_else(|| setting.map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from))
        .or_else(rehearse_speech::default_model_path)
}

/// The command the package installs beside the app and the CLI to install the speech models.
pub const PACKAGED_INSTALLER: &str = "rehearse-install-models";

/// The one command that installs the speech models for a program in `exe_dir`: the
/// package's [`PACKAGED_INSTALLER`] when it sits there (an installed package), else the
/// repository's script (a build from a clone, run from the repository folder).
pub fn install_command(exe_dir: Option<&Path>) -> &'static str {
    match exe_dir {
        Some(d) if d.join(PACKAGED_INSTALLER).is_file() => PACKAGED_INSTALLER,
        _ => "bash scripts/install-models.sh",
    }
}

/// Why transcription is off, for each front end to say in its own words: the CLI prints
/// `reason` (one English line), the window its own sentence for `kind` in the user's
/// language, with the model's path and the install command filled in.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelOff {
    /// `no_data_dir` (nowhere to look for the model), `no_model` (no file at `path`) or
    /// `bad_model` (a file at `path` that is not a usable model).
    pub kind: &'static str,
    pub path: Option<String>,
    /// What is wrong with a damaged model, as the engine said it (English).
    pub detail: Option<String>,
    /// The one command that installs the speech models.
    pub install: String,
    /// The whole reason as one English line.
    pub reason: String,
}

impl std::fmt::Display for ModelOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Loads the model; the error says why transcription is off and, when the model is missing
/// or damaged, the command that installs it.
pub fn load_model(path: Option<PathBuf>) -> Result<Box<dyn Hear>, ModelOff> {
    let exe = std::env::current_exe().ok();
    let install = install_command(exe.as_deref().and_then(Path::parent)).to_string();
    let Some(path) = path else {
        let reason = "transcription is off: no data folder to find the speech model in".to_string();
        return Err(ModelOff { kind: "no_data_dir", path: None, detail: None, install, reason });
    };
    match Recognizer::load(&path) {
        Ok(r) => Ok(Box::new(Model(r))),
        Err(e) => {
            let reason = format!("transcription is off: {e} (install it with `{install}`, or choose another model)");
            let (kind, detail) = match e {
                SpeechError::ModelDamaged { why, .. } => ("bad_model", Some(why)),
                SpeechError::ModelMissing { .. } => ("no_model", None),
                other => ("bad_model", Some(other.to_string())),
            };
            Err(ModelOff { kind, path: Some(path.display().to_string()), detail, install, reason })
        }
    }
}

struct Model(Recognizer);

impl Hear for Model {
    fn identity(&self) -> ModelIdentity {
        let info = self.0.identity();
        ModelIdentity { name: info.name, sha256: info.sha256 }
    }

    fn set_threads(&mut self, threads: usize) {
        self.0.set_threads(threads);
    }

    fn hear(&mut self, wav: &Path, language: &str, progress: &mut dyn FnMut(f32) -> bool) -> Result<Transcript, HearError> {
        match self.0.transcribe_wav(wav, language, progress) {
            Ok(t) => Ok(Transcript {
                language: t.language,
                model: self.identity(),
                segments: t
                    .segments
                    .into_iter()
                    .map(|s| Segment {
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        text: s.text,
                        words: s.words.into_iter().map(|w| Word { start_ms: w.start_ms, end_ms: w.end_ms, text: w.text }).collect(),
                    })
                    .collect(),
            }),
            Err(SpeechError::Cancelled) => Err(HearError::Cancelled),
            Err(e) => Err(HearError::Failed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_command_is_the_packaged_one_beside_an_installed_program_else_the_repository_script() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(install_command(Some(dir.path())), "bash scripts/install-models.sh");
        assert_eq!(install_command(None), "bash scripts/install-models.sh");
        std::fs::write(dir.path().join(PACKAGED_INSTALLER), "#!/bin/sh\n").expect("write");
        assert_eq!(install_command(Some(dir.path())), PACKAGED_INSTALLER);
    }

    #[test]
    fn a_missing_model_turns_transcription_off_naming_the_install_command() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("ggml-base.bin");
        let Err(e) = load_model(Some(missing.clone())) else { panic!("a missing model loaded") };
        assert!(e.reason.starts_with("transcription is off: no speech model at "), "{e}");
        assert!(e.reason.contains("install it with `bash scripts/install-models.sh`"), "{e}");
        // The window words it itself: what, where and the command, apart.
        assert_eq!((e.kind, e.path.as_deref(), e.install.as_str()), ("no_model", missing.to_str(), "bash scripts/install-models.sh"));
        std::fs::write(&missing, b"not a model").expect("write");
        let Err(e) = load_model(Some(missing.clone())) else { panic!("a damaged model loaded") };
        assert_eq!(e.kind, "bad_model", "{e}");
        assert!(e.detail.is_some(), "{e:?}");
        let Err(e) = load_model(None) else { panic!("loaded without a data folder") };
        assert_eq!((e.kind, e.path), ("no_data_dir", None));
    }
}
