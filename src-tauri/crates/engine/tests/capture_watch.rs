//! The one capture-event loop (`capture_watch::watch`) over the real capture engine, driven
//! by the audio crate's fake microphones on cpal's custom host: what each way of ending a
//! take looks like to every front end that watches one.

#[path = "../../audio/tests/support/mod.rs"]
#[allow(dead_code)] // the fake speaker is not needed here
mod support;

use std::time::{Duration, Instant};

use cpal::SampleFormat;
use crossbeam_channel::{bounded, never};
use rehearse_audio::{start_capture, CaptureHandle, CaptureRequest, InputChoice, StopReason};
use rehearse_engine::capture_watch::{watch, Ended, Watched};
use support::fake_device::{FakeMic, Fault};

const RATE: u32 = 48_000;

fn start(mic: &FakeMic, dir: &tempfile::TempDir, max_seconds: Option<f64>) -> CaptureHandle {
    start_capture(CaptureRequest::new(InputChoice::Device(mic.device()), dir.path().join("take.wav"), max_seconds)).expect("start")
}

#[derive(Default)]
struct Seen {
    started: usize,
    levels: usize,
}

fn count(seen: &mut Seen) -> impl FnMut(Watched) + '_ {
    |w| match w {
        Watched::Started { sample_rate, .. } => {
            assert_eq!(sample_rate, RATE);
            seen.started += 1;
        }
        Watched::Level(_) => seen.levels += 1,
        _ => {}
    }
}

#[test]
fn a_take_that_reaches_its_time_limit_is_seen_starting_with_levels_and_ends_as_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mic = FakeMic::new(SampleFormat::I16, 1, RATE, Fault::None);
    let h = start(&mic, &dir, Some(0.5));
    let mut seen = Seen::default();
    let ended = watch(&h, &never::<()>(), None, count(&mut seen));
    assert_eq!(ended, Ended::Limit);
    assert_eq!(seen.started, 1);
    assert!(seen.levels >= 5, "{} level updates in 0.5 s (about 30 a second expected)", seen.levels);
    assert_eq!(h.stop().expect("stop").frames, RATE as u64 / 2);
}

#[test]
fn a_microphone_unplugged_mid_take_ends_the_watch_as_stopped_mic_lost_within_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mic = FakeMic::new(SampleFormat::F32, 2, RATE, Fault::DisconnectAfter(RATE as u64 * 3 / 10));
    let h = start(&mic, &dir, Some(20.0));
    let t0 = Instant::now();
    let ended = watch(&h, &never::<()>(), None, |_| {});
    assert!(matches!(ended, Ended::Stopped { reason: StopReason::MicLost, .. }), "{ended:?}");
    assert!(t0.elapsed() < Duration::from_millis(1300), "ended after {:?}", t0.elapsed());
    let kept = h.stop().expect("stop").frames as f64 / RATE as f64;
    assert!((kept - 0.3).abs() <= 0.05, "{kept:.3} s kept");
}

#[test]
fn a_stop_request_ends_the_watch_with_what_was_asked_and_the_audio_up_to_then_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mic = FakeMic::new(SampleFormat::I16, 1, RATE, Fault::None);
    let h = start(&mic, &dir, None);
    let (tx, rx) = bounded(1);
    let mut levels = 0;
    let ended = watch(&h, &rx, None, |w| {
        if let Watched::Level(u) = w {
            levels += 1;
            if u.frames >= RATE as u64 / 4 {
                let _ = tx.try_send("stop button");
            }
        }
    });
    assert_eq!(ended, Ended::Asked("stop button"));
    assert!(levels > 0);
    let kept = h.stop().expect("stop").frames;
    assert!(kept >= RATE as u64 / 4, "{kept} frames kept");
}

#[test]
fn a_stop_channel_whose_sender_is_gone_ends_the_watch_as_orphaned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mic = FakeMic::new(SampleFormat::I16, 1, RATE, Fault::None);
    let h = start(&mic, &dir, Some(20.0));
    let (tx, rx) = bounded::<()>(1);
    drop(tx);
    let t0 = Instant::now();
    assert_eq!(watch(&h, &rx, None, |_| {}), Ended::Orphaned);
    assert!(t0.elapsed() < Duration::from_secs(2));
    h.stop().expect("stop");
}

#[test]
fn a_capture_that_sends_nothing_for_the_patience_given_ends_as_stalled() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Hangs after 0.1 s: the audio crate's own watchdog ends it after 0.5 s more, so a
    // patience of 0.3 s without any event or level is reached first.
    let mic = FakeMic::new(SampleFormat::I16, 1, RATE, Fault::StallAfter(RATE as u64 / 10));
    let h = start(&mic, &dir, Some(20.0));
    let ended = watch(&h, &never::<()>(), Some(Duration::from_millis(300)), |_| {});
    assert_eq!(ended, Ended::Stalled);
    h.stop().expect("stop");
}
