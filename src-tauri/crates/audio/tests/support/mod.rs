//! Helpers shared by the integration tests of rehearse-audio.

pub mod fake_device;
pub mod fake_speaker;
