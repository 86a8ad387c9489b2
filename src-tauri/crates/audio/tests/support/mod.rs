//! Helpers shared by the integration tests of rehearse-audio.

pub mod fake_device;
