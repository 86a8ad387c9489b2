//! The files of one take (or one session recording), named in one place. A take is
//! `takes/<id>.wav`; while it is written it is `<id>.wav.partial`; its waveform peaks are
//! `<id>.peaks` (`<id>.peaks.partial` while written) and its sidecar, enough to index it
//! without the database, `<id>.json`. A file recovery cannot use is renamed `*.damaged`.
//! Core derives these paths here and hands them to the audio crate's writers.

use std::path::{Path, PathBuf};

/// The relative path of a new take whose name is `id` (generated, never user text).
pub fn take_file(id: &str) -> String {
    format!("takes/{id}.wav")
}

/// `x.wav` → `x.wav.partial`: where a WAV is while it is written.
pub fn partial_of(path: &Path) -> PathBuf {
    suffixed(path, ".partial")
}

/// `x.wav` → `x.peaks`: the take's waveform peaks.
pub fn peaks_of(wav: &Path) -> PathBuf {
    wav.with_extension("peaks")
}

/// `x.wav` → `x.peaks.partial`: the peaks while they are written.
pub fn peaks_partial_of(wav: &Path) -> PathBuf {
    wav.with_extension("peaks.partial")
}

/// `x.wav` and `x.wav.partial` → `x.json`: the take's sidecar.
pub fn sidecar_of(wav: &Path) -> PathBuf {
    let mut p = wav.to_path_buf();
    while p.extension().is_some() {
        p.set_extension("");
    }
    p.with_extension("json")
}

/// `x` → `x.damaged`: a file kept aside because it cannot be used.
pub fn damaged_of(path: &Path) -> PathBuf {
    suffixed(path, ".damaged")
}

/// Every file a take's recording may leave beside (and under) its WAV's name: what goes
/// when a plan is abandoned or a take deleted.
pub fn take_files(wav: &Path) -> [PathBuf; 5] {
    [partial_of(wav), wav.to_path_buf(), peaks_of(wav), peaks_partial_of(wav), sidecar_of(wav)]
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_takes_files_share_its_name_and_the_partial_shares_its_sidecar() {
        let wav = Path::new("/d/takes/0193ab.wav");
        assert_eq!(take_file("0193ab"), "takes/0193ab.wav");
        assert_eq!(partial_of(wav), Path::new("/d/takes/0193ab.wav.partial"));
        assert_eq!(peaks_of(wav), Path::new("/d/takes/0193ab.peaks"));
        assert_eq!(peaks_partial_of(wav), Path::new("/d/takes/0193ab.peaks.partial"));
        assert_eq!(sidecar_of(wav), Path::new("/d/takes/0193ab.json"));
        assert_eq!(sidecar_of(&partial_of(wav)), sidecar_of(wav));
        assert_eq!(damaged_of(&partial_of(wav)), Path::new("/d/takes/0193ab.wav.partial.damaged"));
    }
}
