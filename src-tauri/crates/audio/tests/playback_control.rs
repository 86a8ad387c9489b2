//! The real playback engine (`play`) on a fake speaker (cpal's custom host) that keeps every
//! sample it was given: pause, resume, seek, speed changes and a start position are checked
//! sample by sample against the take, and a speaker that vanishes or stalls ends playback
//! with a failure. The takes hold a ramp that never touches zero (frame f holds 1 + f mod
//! 30000), so the silence the engine plays while paused is told apart from the take, and
//! every sample heard names the frame of the take it came from.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rehearse_audio::{play, OutputChoice, PlaybackEvent, PlaybackHandle, PlaybackRequest};
use support::fake_speaker::{FakeSpeaker, SpeakerFault};

const RATE: u32 = 8_000;

fn ramp(frame: u64) -> i16 {
    1 + (frame % 30_000) as i16
}

fn write_take(dir: &Path, seconds: f64, rate: u32) -> (PathBuf, Vec<i16>) {
    let path = dir.join("take.wav");
    let spec = hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(&path, spec).expect("create");
    let samples: Vec<i16> = (0..(seconds * rate as f64) as u64).map(ramp).collect();
    samples.iter().for_each(|&s| w.write_sample(s).expect("write"));
    w.finalize().expect("finalize");
    (path, samples)
}

fn start(speaker: &FakeSpeaker, path: &Path, start_ms: u64, speed: f32) -> PlaybackHandle {
    play(PlaybackRequest { output: OutputChoice::Device(speaker.device()), start_ms, speed, ..PlaybackRequest::new(path) })
        .expect("play")
}

/// Waits for the end and returns every event.
fn finish(h: PlaybackHandle) -> Vec<PlaybackEvent> {
    let events = h.events().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(e @ PlaybackEvent::Finished { .. }) => {
                seen.push(e);
                h.wait();
                return seen;
            }
            Ok(e) => seen.push(e),
            Err(_) => {}
        }
    }
    panic!("playback did not finish within 30 s; events: {seen:?}");
}

/// The take's samples as heard, silence (pauses, the start) left out.
fn sound(speaker: &FakeSpeaker) -> Vec<i16> {
    speaker.heard().into_iter().filter(|&s| s != 0).collect()
}

fn progress(events: &[PlaybackEvent]) -> Vec<(u64, f32, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            PlaybackEvent::Progress { position_ms, speed, paused, .. } => Some((*position_ms, *speed, *paused)),
            _ => None,
        })
        .collect()
}

fn finished_at(events: &[PlaybackEvent]) -> u64 {
    match events.last() {
        Some(PlaybackEvent::Finished { position_ms, .. }) => *position_ms,
        other => panic!("the last event is {other:?}"),
    }
}

fn failures(events: &[PlaybackEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            PlaybackEvent::Failed { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn at_normal_speed_every_sample_is_played_once_in_order_with_progress_twenty_times_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 2.0, RATE);
    let speaker = FakeSpeaker::new(2, RATE, SpeakerFault::None);
    let events = finish(start(&speaker, &path, 0, 1.0));
    assert!(sound(&speaker) == take, "the speaker did not get the take sample for sample");
    assert!(failures(&events).is_empty(), "{events:?}");
    assert_eq!(finished_at(&events), 2000);
    let p = progress(&events);
    assert!((30..=60).contains(&p.len()), "{} progress events for 2 s", p.len());
    assert!(p.windows(2).all(|w| w[1].0 >= w[0].0), "positions went back: {p:?}");
    assert!(p.iter().all(|&(_, speed, paused)| speed == 1.0 && !paused));
    assert_eq!(speaker.streams_alive(), 0, "the stream outlived the playback");
}

#[test]
fn playback_starts_at_the_requested_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 1.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let events = finish(start(&speaker, &path, 250, 1.0));
    assert!(sound(&speaker) == take[2000..], "playback from 250 ms did not start at frame 2000");
    assert!(progress(&events)[0].0 >= 250);
}

#[test]
fn pause_keeps_the_place_and_resume_goes_on_from_the_next_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 2.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let h = start(&speaker, &path, 0, 1.0);
    std::thread::sleep(Duration::from_millis(600));
    let control = h.control();
    std::thread::spawn(move || control.pause()).join().expect("pause from another thread");
    std::thread::sleep(Duration::from_millis(100));
    let at_pause = sound(&speaker).len();
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(sound(&speaker).len(), at_pause, "sound went on while paused");
    let heard_while_paused = speaker.heard().len();
    h.resume();
    let events = finish(h);
    assert!(sound(&speaker) == take, "samples were lost or repeated around the pause");
    // The pause reported where the sound stopped (to within one 10 ms device buffer).
    let paused: Vec<_> = progress(&events).into_iter().filter(|p| p.2).collect();
    assert_eq!(paused.len(), 1, "{paused:?}");
    let heard_ms = at_pause as u64 * 1000 / RATE as u64;
    assert!(paused[0].0.abs_diff(heard_ms) <= 20, "paused at {} ms, the sound stopped at {heard_ms} ms", paused[0].0);
    // Silence was played meanwhile: the device kept running.
    assert!(heard_while_paused - at_pause >= RATE as usize / 2, "no silence was played while paused");
    assert_eq!(finished_at(&events), 2000);
}

#[test]
fn a_seek_jumps_to_the_exact_sample_at_once_also_while_paused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 3.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let h = start(&speaker, &path, 0, 1.0);
    std::thread::sleep(Duration::from_millis(500));
    h.seek(2000);
    std::thread::sleep(Duration::from_millis(300));
    h.pause();
    std::thread::sleep(Duration::from_millis(100));
    h.seek(100);
    std::thread::sleep(Duration::from_millis(100));
    h.resume();
    let events = finish(h);
    let heard = sound(&speaker);
    // Three runs of consecutive frames: 0..k, 16000..m, 800..end.
    let frame_of = |s: i16| (s - 1) as usize;
    let breaks: Vec<usize> = heard.windows(2).enumerate().filter(|(_, w)| frame_of(w[1]) != frame_of(w[0]) + 1).map(|(i, _)| i + 1).collect();
    assert_eq!(breaks.len(), 2, "expected two jumps, found them at {breaks:?}");
    let (a, b) = (breaks[0], breaks[1]);
    assert!(heard[..a] == take[..a], "the start was not played in order");
    let k_ms = a as u64 * 1000 / RATE as u64;
    assert!((400..=800).contains(&k_ms), "the first seek acted after {k_ms} ms of sound, asked at 500 ms");
    assert_eq!(frame_of(heard[a]), 16_000, "the seek to 2000 ms did not land on frame 16000");
    assert_eq!(frame_of(heard[b]), 800, "the seek to 100 ms (while paused) did not land on frame 800");
    assert!(heard[b..] == take[800..], "after the last seek the take was not played to its end");
    // Progress reported the seek target while paused.
    assert!(progress(&events).iter().any(|&(pos, _, paused)| paused && pos == 100), "{:?}", progress(&events));
}

#[test]
fn changing_the_speed_while_playing_plays_the_rest_faster_from_where_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 4.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let h = start(&speaker, &path, 0, 1.0);
    std::thread::sleep(Duration::from_millis(1000));
    h.set_speed(2.0).expect("speed");
    assert!(h.set_speed(4.0).is_err(), "4x is out of range");
    let events = finish(h);
    let heard = sound(&speaker);
    // Up to the change the take came through untouched.
    let exact = heard.iter().zip(&take).take_while(|(a, b)| a == b).count();
    let changed_ms = exact as u64 * 1000 / RATE as u64;
    assert!((800..=1300).contains(&changed_ms), "the speed changed after {changed_ms} ms");
    // The rest, (4 s - change), lasted half as long.
    let rest = (heard.len() - exact) as f64;
    let want = (take.len() - exact) as f64 / 2.0;
    assert!((rest / want - 1.0).abs() <= 0.02, "the rest lasted {rest} frames, want {want} ± 2%");
    let p = progress(&events);
    assert!(p.last().is_some_and(|&(_, speed, _)| speed == 2.0), "{p:?}");
    assert!(p.windows(2).all(|w| w[1].0 + 20 >= w[0].0), "the position went back on a speed change: {p:?}");
    assert_eq!(finished_at(&events), 4000);
}

#[test]
fn a_take_at_another_rate_is_resampled_for_the_speaker_and_keeps_its_length() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 1.0, 16_000);
    let speaker = FakeSpeaker::new(2, 48_000, SpeakerFault::None);
    let events = finish(start(&speaker, &path, 0, 1.0));
    let heard = sound(&speaker);
    assert!(heard.len().abs_diff(take.len() * 3) <= 6, "{} frames at 48 kHz for {} at 16 kHz", heard.len(), take.len());
    // Linear interpolation between neighbours: every third sample is a take sample.
    assert_eq!(heard[300], take[100]);
    assert_eq!(finished_at(&events), 1000);
}

#[test]
fn a_speaker_that_goes_away_ends_playback_with_a_clear_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = write_take(dir.path(), 5.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::GoneAfter(RATE as u64 / 2));
    let t = Instant::now();
    let events = finish(start(&speaker, &path, 0, 1.0));
    assert!(t.elapsed() < Duration::from_secs(2), "took {:?}", t.elapsed());
    let f = failures(&events);
    assert!(f.iter().any(|m| m.contains("went away") && m.contains("Fake speaker")), "{f:?}");
    assert!(finished_at(&events) <= 600);
    assert_eq!(speaker.streams_alive(), 0);
}

#[test]
fn a_speaker_that_stops_asking_for_samples_ends_playback_with_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = write_take(dir.path(), 10.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::StallAfter(RATE as u64 / 2));
    let t = Instant::now();
    let events = finish(start(&speaker, &path, 0, 1.0));
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    let f = failures(&events);
    assert!(f.iter().any(|m| m.contains("stopped playing")), "{f:?}");
}

#[test]
fn stop_ends_playback_at_once_and_releases_the_speaker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = write_take(dir.path(), 5.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let h = start(&speaker, &path, 0, 1.5);
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    h.stop();
    assert!(t.elapsed() < Duration::from_millis(500), "stop took {:?}", t.elapsed());
    assert_eq!(speaker.streams_alive(), 0);
}
