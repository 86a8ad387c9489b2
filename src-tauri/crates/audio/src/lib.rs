//! rehearse-audio: microphone capture, playback (pause, seek, pitch-kept speed), WAV
//! writing, waveform peaks and level meters.
//!
//! Without its default feature `devices` (cpal: devices, capture, playback) it is the WAV
//! writer, peaks and meters only, which rehearse-core uses for the takes it cuts.
//!
//! No Tauri and no SQL here: the desktop shell and the CLI drive the same code.
//! Every `cpal::Stream` is created, played and dropped by one thread that owns it;
//! the audio callbacks only convert samples and hand them over a lock-free ring.

#[cfg(feature = "devices")]
mod capture;
#[cfg(feature = "devices")]
mod convert;
#[cfg(feature = "devices")]
mod devices;
mod error;
mod meter;
pub mod peaks;
#[cfg(feature = "devices")]
mod playback;
#[cfg(feature = "devices")]
mod stretch;
#[cfg(feature = "devices")]
mod thread;
mod wav;

#[cfg(feature = "devices")]
pub use capture::{
    start_capture, CaptureEvent, CaptureHandle, CaptureRequest, CaptureStarter, CaptureSummary, InputChoice, LevelUpdate, StopReason,
    DEFAULT_MAX_BYTES, DEFAULT_MIN_FREE_BYTES, PAUSE_ACK_WITHIN,
};
#[cfg(feature = "devices")]
pub use devices::{input_devices, output_devices, InputDevice, OutputDevice};
pub use error::AudioError;
pub use meter::{Level, Meter, FLOOR_DBFS};
pub use peaks::{overview, peaks_for, peaks_path_for, Overview, Peaks, PeaksSource};
#[cfg(feature = "devices")]
pub use playback::{play, play_file, OutputChoice, PlaybackControl, PlaybackEvent, PlaybackHandle, PlaybackRequest};
#[cfg(feature = "devices")]
pub use stretch::{check_speed, MAX_SPEED, MIN_SPEED};
pub use wav::{partial_path_for, TakeWriter, TAKE_BITS_PER_SAMPLE};
