//! The one loop over a running capture: the free recorder and the practice session in the
//! window, the mic check and rehearse-cli's `record` all watch their capture through
//! [`watch`], so a capture event means the same thing everywhere and a new one is handled
//! in one place. The front end only says what to show ([`Watched`]) and what ended the
//! take ([`Ended`]); saving or abandoning it stays with the caller.

use std::time::Duration;

use crossbeam_channel::{select, Receiver};
use rehearse_audio::{CaptureEvent, CaptureHandle, LevelUpdate, StopReason};

/// Something to show while the capture runs; it goes on after each of these.
#[derive(Debug, Clone)]
pub enum Watched {
    /// The first samples arrived: recording has really begun.
    Started { sample_rate: u32, device: String, first_sample_ms: u64 },
    /// The level meter (about 30 per second).
    Level(LevelUpdate),
    /// The input has stayed at the noise floor this long since the start.
    Silent { seconds: f64 },
    /// Free space is low: about this much recording time is left.
    DiskLow { seconds_left: u64 },
    /// A problem the device recovers from (an overrun, say).
    Warning { message: String },
}

/// Why the watch ended. The capture is still to be stopped by the caller (which finalizes
/// the file; what was written is kept in every case but a held capture never begun).
#[derive(Debug, Clone, PartialEq)]
pub enum Ended<S> {
    /// The time limit was reached, or the writer ended and closed its events.
    Limit,
    /// The capture ended by itself (microphone lost, disk full, size cap).
    Stopped { reason: StopReason, message: String },
    /// The caller's stop channel said so (a stop button, Ctrl-C, a session moving on).
    Asked(S),
    /// The stop channel closed: whoever could stop the take is gone, so it stops.
    Orphaned,
    /// Neither an event nor a level for the given time: the stream stopped answering.
    Stalled,
}

/// Watches `capture` until it ends or `stop` says so; `on` is called for each thing to show.
/// With `stall`, a capture silent on both channels that long ends as [`Ended::Stalled`].
/// Pass `crossbeam_channel::never()` when nothing but the capture ends it.
pub fn watch<S>(capture: &CaptureHandle, stop: &Receiver<S>, stall: Option<Duration>, mut on: impl FnMut(Watched)) -> Ended<S> {
    let patience = stall.unwrap_or(Duration::MAX);
    loop {
        select! {
            recv(capture.events()) -> event => match event {
                Ok(CaptureEvent::Started { sample_rate, device, first_sample_ms }) => {
                    on(Watched::Started { sample_rate, device, first_sample_ms })
                }
                Ok(CaptureEvent::LimitReached { .. }) | Err(_) => return Ended::Limit,
                Ok(CaptureEvent::Silent { seconds }) => on(Watched::Silent { seconds }),
                Ok(CaptureEvent::DiskSpaceLow { seconds_left }) => on(Watched::DiskLow { seconds_left }),
                Ok(CaptureEvent::Warning { message }) => on(Watched::Warning { message }),
                Ok(CaptureEvent::Stopped { reason, message }) => return Ended::Stopped { reason, message },
            },
            recv(capture.levels()) -> level => if let Ok(u) = level {
                on(Watched::Level(u))
            },
            recv(stop) -> asked => match asked {
                Ok(s) => return Ended::Asked(s),
                Err(_) => return Ended::Orphaned,
            },
            default(patience) => return Ended::Stalled,
        }
    }
}
