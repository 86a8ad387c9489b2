use std::path::PathBuf;

/// Errors of the audio crate. Each names what failed and, where it helps, the device or file.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("no microphone found: {0}")]
    NoInputDevice(String),
    #[error("no audio output found: {0}")]
    NoOutputDevice(String),
    #[error("input device \"{0}\" not found (run `rehearse-cli devices` to list them)")]
    UnknownDevice(String),
    #[error("the microphone \"{device}\" cannot be used: {reason}")]
    DeviceUnusable { device: String, reason: String },
    #[error("output device \"{0}\" not found (run `rehearse-cli devices --outputs` to list them)")]
    UnknownOutputDevice(String),
    #[error("the audio output \"{device}\" cannot be used: {reason}")]
    OutputUnusable { device: String, reason: String },
    #[error("cannot play {0}")]
    UnsupportedTake(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the microphone delivers samples as {0}, which Rehearse cannot record")]
    UnsupportedFormat(String),
    #[error("the audio device failed: {0}")]
    Stream(String),
    /// The speaker went away or stopped taking samples mid-playback.
    #[error("the audio output \"{device}\" {how}")]
    OutputLost { device: String, how: &'static str },
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot {op} WAV file {path}: {source}")]
    Wav {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error("not enough free disk space to record in {path}: {free_mb} MB free, at least {needed_mb} MB are kept free")]
    DiskFull { path: PathBuf, free_mb: u64, needed_mb: u64 },
    #[error("the audio thread stopped unexpectedly")]
    ThreadGone,
}

impl AudioError {
    /// A stable, machine-readable kind for front ends to branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            AudioError::NoInputDevice(_) => "no_input_device",
            AudioError::NoOutputDevice(_) => "no_output_device",
            AudioError::UnknownDevice(_) => "unknown_device",
            AudioError::DeviceUnusable { .. } => "device_unusable",
            AudioError::UnknownOutputDevice(_) => "unknown_output_device",
            AudioError::OutputUnusable { .. } => "output_unusable",
            AudioError::UnsupportedTake(_) => "unsupported_format",
            AudioError::InvalidRequest(_) => "invalid_request",
            AudioError::UnsupportedFormat(_) => "unsupported_format",
            AudioError::Stream(_) => "stream",
            AudioError::OutputLost { .. } => "output_lost",
            AudioError::Io { .. } => "io",
            AudioError::Wav { .. } => "wav",
            AudioError::DiskFull { .. } => "disk_full",
            AudioError::ThreadGone => "internal",
        }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AudioError::Io { op, path: path.into(), source }
    }

    pub(crate) fn wav(op: &'static str, path: impl Into<PathBuf>, source: hound::Error) -> Self {
        match source {
            hound::Error::IoError(e) => AudioError::Io { op, path: path.into(), source: e },
            other => AudioError::Wav { op, path: path.into(), source: other },
        }
    }
}
