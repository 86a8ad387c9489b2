//! The end of a take's capture, the same for every front end (the window's recorder and
//! practice session, rehearse-cli's `record`): the audio crate's summary becomes the row
//! the core commits, its duration counted in samples written, never in wall time.

use rehearse_audio::CaptureSummary;
use rehearse_core::RecordedTake;

/// What the core is told about a capture that has been stopped. `otherwise` is the stop
/// reason when the capture did not end by itself but something outside ended it (the CLI
/// killed by the system: "terminated"); a capture that ended by itself keeps its own.
pub fn recorded(s: &CaptureSummary, otherwise: Option<&str>, start_delay_ms: Option<i64>) -> RecordedTake {
    RecordedTake {
        frames: s.frames,
        sample_rate: s.sample_rate,
        channels: s.channels,
        dropped_frames: s.dropped_frames,
        device: s.device.clone(),
        stop_reason: s.stopped.map(|r| r.as_str()).or(otherwise).map(str::to_string),
        start_delay_ms,
        finalized: s.finalized,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rehearse_audio::StopReason;

    fn summary(stopped: Option<StopReason>) -> CaptureSummary {
        CaptureSummary {
            path: "takes/x.wav".into(),
            frames: 72_000,
            sample_rate: 48_000,
            channels: 1,
            dropped_frames: 3,
            device: "Virtual Mic".into(),
            first_sample_ms: Some(40),
            stopped,
            finalized: false,
        }
    }

    #[test]
    fn a_capture_that_ended_by_itself_keeps_its_own_reason_over_the_callers() {
        let r = recorded(&summary(Some(StopReason::MicLost)), Some("terminated"), Some(12));
        assert_eq!(r.stop_reason.as_deref(), Some("mic_lost"));
        assert_eq!((r.frames, r.sample_rate, r.channels, r.dropped_frames), (72_000, 48_000, 1, 3));
        assert_eq!((r.device.as_str(), r.start_delay_ms, r.finalized), ("Virtual Mic", Some(12), false));
    }

    #[test]
    fn a_capture_ended_from_outside_takes_the_callers_reason_or_none() {
        assert_eq!(recorded(&summary(None), Some("terminated"), None).stop_reason.as_deref(), Some("terminated"));
        assert_eq!(recorded(&summary(None), None, None).stop_reason, None);
    }
}
