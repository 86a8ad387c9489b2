//! Device discovery. The audio host is chosen in one place (`host()`), the seam where a
//! platform-specific host (WASAPI, CoreAudio, PulseAudio) would be picked.

use cpal::traits::{DeviceTrait, HostTrait};
use serde::Serialize;

use crate::error::AudioError;

pub(crate) fn host() -> cpal::Host {
    cpal::default_host()
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct InputDevice {
    /// Human-readable name; also accepted by `--device`.
    pub name: String,
    /// Host-specific stable id; also accepted by `--device`.
    pub id: String,
    pub is_default: bool,
    /// e.g. "2 ch, 48000 Hz, f32", or why the device cannot be used (English, for the CLI).
    pub config: String,
    /// The default format's channels and rate, for a window to word in its own language;
    /// both None when the device cannot be used.
    pub channels: Option<u16>,
    pub sample_rate: Option<u32>,
}

fn device_id(d: &cpal::Device) -> String {
    d.id().map(|i| i.to_string()).unwrap_or_default()
}

/// Lists input devices; the default one is marked.
pub fn input_devices() -> Result<Vec<InputDevice>, AudioError> {
    let host = host();
    let default_id = host.default_input_device().map(|d| device_id(&d));
    let devices = host.input_devices().map_err(|e| AudioError::NoInputDevice(format!("cannot list input devices: {e}")))?;
    Ok(devices.map(|d| describe(&d, default_id.as_deref(), d.default_input_config())).collect())
}

fn describe(d: &cpal::Device, default_id: Option<&str>, config: Result<cpal::SupportedStreamConfig, cpal::Error>) -> InputDevice {
    let id = device_id(d);
    let (text, channels, sample_rate) = match config {
        Ok(c) => (format!("{} ch, {} Hz, {}", c.channels(), c.sample_rate(), c.sample_format()), Some(c.channels()), Some(c.sample_rate())),
        Err(e) => (format!("unusable: {e}"), None, None),
    };
    InputDevice { name: d.to_string(), is_default: Some(id.as_str()) == default_id, id, config: text, channels, sample_rate }
}

/// The input device named `wanted` (by name or id), or the default one.
pub(crate) fn find_input(wanted: Option<&str>) -> Result<cpal::Device, AudioError> {
    let host = host();
    match wanted {
        None => host.default_input_device().ok_or_else(|| AudioError::NoInputDevice("the system reports no default input device".into())),
        Some(name) => host
            .input_devices()
            .map_err(|e| AudioError::NoInputDevice(format!("cannot list input devices: {e}")))?
            .find(|d| d.to_string() == name || device_id(d) == name)
            .ok_or_else(|| AudioError::UnknownDevice(name.to_string())),
    }
}

/// An output device as listed for a device picker (same fields as [`InputDevice`]).
pub type OutputDevice = InputDevice;

/// Lists output devices; the default one is marked.
pub fn output_devices() -> Result<Vec<OutputDevice>, AudioError> {
    let host = host();
    let default_id = host.default_output_device().map(|d| device_id(&d));
    let devices = host.output_devices().map_err(|e| AudioError::NoOutputDevice(format!("cannot list output devices: {e}")))?;
    Ok(devices.map(|d| describe(&d, default_id.as_deref(), d.default_output_config())).collect())
}

/// The output device named `wanted` (by name or id), or the default one.
pub(crate) fn find_output(wanted: Option<&str>) -> Result<cpal::Device, AudioError> {
    let host = host();
    match wanted {
        None => {
            host.default_output_device().ok_or_else(|| AudioError::NoOutputDevice("the system reports no default output device".into()))
        }
        Some(name) => host
            .output_devices()
            .map_err(|e| AudioError::NoOutputDevice(format!("cannot list output devices: {e}")))?
            .find(|d| d.to_string() == name || device_id(d) == name)
            .ok_or_else(|| AudioError::UnknownOutputDevice(name.to_string())),
    }
}

/// A fixed buffer of about `ms` milliseconds that the device allows: the default buffer of
/// some hosts (PulseAudio through ALSA) is 2 s, which delays the first samples by as much.
pub(crate) fn fixed_buffer(range: &cpal::SupportedBufferSize, rate: u32, ms: u32) -> cpal::BufferSize {
    let want = (rate * ms / 1000).max(64);
    match *range {
        cpal::SupportedBufferSize::Range { min, max } => cpal::BufferSize::Fixed(want.clamp(min, max)),
        cpal::SupportedBufferSize::Unknown => cpal::BufferSize::Fixed(want),
    }
}

/// What the system says about where "default" capture goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// The default source's name (on Linux with a PulseAudio-compatible server).
    Source(String),
    /// The sound server refused the question: it is gone.
    Unreachable,
    /// No answer in time (a busy or stalled server), or no way to ask on this platform.
    Unknown,
}

/// Which physical source the system routes "default" capture to, where the platform can
/// tell: on Linux with a PulseAudio-compatible server (PulseAudio, PipeWire), the default
/// source's name (`pactl get-default-source`). Used to confirm a suspected loss: when a
/// microphone vanishes, the server silently moves the stream elsewhere and the default
/// source changes.
pub(crate) fn input_route() -> Route {
    if !cfg!(target_os = "linux") {
        return Route::Unknown;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let probe = std::thread::Builder::new().name("rehearse-route-probe".into()).spawn(move || {
        let out = std::process::Command::new("pactl")
            .arg("get-default-source")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        let _ = tx.send(match out {
            Ok(o) if o.status.success() => {
                let name = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if name.is_empty() {
                    Route::Unknown
                } else {
                    Route::Source(name)
                }
            }
            Ok(_) => Route::Unreachable,
            Err(_) => Route::Unknown, // no pactl on this system
        });
    });
    if probe.is_err() {
        return Route::Unknown;
    }
    // A sound server that does not answer quickly tells us nothing.
    rx.recv_timeout(std::time::Duration::from_millis(400)).unwrap_or(Route::Unknown)
}
