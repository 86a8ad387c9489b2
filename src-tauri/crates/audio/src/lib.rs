//! rehearse-audio: microphone capture, playback (pause, seek, pitch-kept speed), WAV
//! writing, waveform peaks and level meters.
//!
//! No Tauri and no SQL here: the desktop shell and the CLI drive the same code.
//! Every `cpal::Stream` is created, played and dropped by one thread that owns it;
//! the audio callbacks only convert samples and hand them over a lock-free ring.

mod capture;
mod convert;
mod devices;
mod error;
mod meter;
pub mod peaks;
mod playback;
mod stretch;
mod thread;
mod wav;

pub use capture::{
    start_capture, CaptureEvent, CaptureHandle, CaptureRequest, CaptureStarter, CaptureSummary, InputChoice, LevelUpdate, StopReason,
    DEFAULT_MAX_BYTES, PAUSE_ACK_WITHIN, DEFAULT_MIN_FREE_BYTES,
};
pub use devices::{input_devices, output_devices, InputDevice, OutputDevice};
pub use error::AudioError;
pub use meter::{Level, Meter, FLOOR_DBFS};
pub use peaks::{overview, peaks_for, peaks_path_for, Overview, Peaks, PeaksSource};
pub use playback::{play, play_file, OutputChoice, PlaybackControl, PlaybackEvent, PlaybackHandle, PlaybackRequest};
pub use stretch::{check_speed, MAX_SPEED, MIN_SPEED};
pub use wav::{partial_path_for, TakeWriter, TAKE_BITS_PER_SAMPLE};
