//! The real playback engine (`play`) on a fake speaker (cpal's custom host) that keeps every
//! sample it was given: pause, resume, seek, speed changes and a start position are checked
//! sample by sample against the take, and a speaker that vanishes or stalls ends playback
//! with a failure. The takes hold a ramp that never touches zero (frame f holds 1 + f mod
//! 30000), so the silence the engine plays while paused is told apart from the take, and
//! every sample heard names the frame of the take it came from.

// One span to skip is written `vec![a..b]`, which is what is meant here.
#![allow(clippy::single_range_in_vec_init)]

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
    play(PlaybackRequest { output: OutputChoice::Device(speaker.device()), start_ms, speed, ..PlaybackRequest::new(path) }).expect("play")
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
            PlaybackEvent::Failed { kind, message } => Some(format!("{kind}: {message}")),
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
    let breaks: Vec<usize> =
        heard.windows(2).enumerate().filter(|(_, w)| frame_of(w[1]) != frame_of(w[0]) + 1).map(|(i, _)| i + 1).collect();
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
    assert!(f.iter().any(|m| m.starts_with("output_lost: ") && m.contains("went away") && m.contains("Fake speaker")), "{f:?}");
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
    assert!(f.iter().any(|m| m.starts_with("output_lost: ") && m.contains("stopped playing")), "{f:?}");
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

fn start_skipping(speaker: &FakeSpeaker, path: &Path, start_ms: u64, speed: f32, skip: Vec<std::ops::Range<u64>>) -> PlaybackHandle {
    play(PlaybackRequest { output: OutputChoice::Device(speaker.device()), start_ms, speed, skip, ..PlaybackRequest::new(path) })
        .expect("play")
}

/// What the speaker played from its first to its last take sample, silence inside kept.
fn played_through(speaker: &FakeSpeaker) -> Vec<i16> {
    let heard = speaker.heard();
    let (Some(a), Some(b)) = (heard.iter().position(|&s| s != 0), heard.iter().rposition(|&s| s != 0)) else { return vec![] };
    heard[a..=b].to_vec()
}

/// Positions reported while playing: none inside the skipped span (beyond one 10 ms device
/// buffer), and one step from before it to its end.
fn assert_positions_jump_over(events: &[PlaybackEvent], from_ms: u64, to_ms: u64) {
    let p: Vec<u64> = progress(events).into_iter().map(|(pos, _, _)| pos).collect();
    assert!(p.windows(2).all(|w| w[1] >= w[0]), "positions went back: {p:?}");
    assert!(!p.iter().any(|&pos| pos > from_ms + 10 && pos < to_ms), "a position inside the skipped {from_ms}-{to_ms} ms: {p:?}");
    assert!(p.windows(2).any(|w| w[0] <= from_ms + 10 && w[1] >= to_ms), "no jump over {from_ms}-{to_ms} ms: {p:?}");
}

#[test]
fn a_skipped_span_is_left_out_without_a_gap_and_the_positions_jump_over_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 1.2 s of sound, then the span to skip (1.2-3.6 s, a long silence in a real take), then 1.4 s.
    let (path, take) = write_take(dir.path(), 5.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let t = Instant::now();
    let events = finish(start_skipping(&speaker, &path, 0, 1.0, vec![1200..3600]));
    let took = t.elapsed();
    let played = played_through(&speaker);
    let (a, b) = (1200 * RATE as usize / 1000, 3600 * RATE as usize / 1000);
    // 2.6 s of sound, sample for sample, no silence where the span was.
    assert_eq!(played.len(), take.len() - (b - a), "{} frames played", played.len());
    assert!(played[..a] == take[..a], "the sound before the span was not played whole");
    assert!(played[a..] == take[b..], "the sound after the span did not follow at once (frame {a} of what was heard)");
    assert!(failures(&events).is_empty(), "{events:?}");
    // Playing took 2.6 s (plus the last device buffer and the stream's start), not 5 s.
    assert!(took >= Duration::from_millis(2500) && took <= Duration::from_millis(3300), "playback took {took:?}");
    assert_positions_jump_over(&events, 1200, 3600);
    assert_eq!(finished_at(&events), 5000);
}

#[test]
fn skipping_works_at_every_speed_and_the_rest_keeps_its_length() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 5.0, RATE);
    for speed in [0.75f32, 1.5, 2.0] {
        let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
        let events = finish(start_skipping(&speaker, &path, 0, speed, vec![1200..3600]));
        let played = played_through(&speaker);
        let want = (take.len() as f64 - 2.4 * RATE as f64) / speed as f64;
        assert!((played.len() as f64 / want - 1.0).abs() <= 0.02, "at {speed}x {} frames played, want {want} ± 2%", played.len());
        // No silence at the join: the stretched ramp never comes near zero.
        assert!(!played.contains(&0), "at {speed}x there is a gap in the sound");
        assert_positions_jump_over(&events, 1200, 3600);
        assert!(progress(&events).iter().all(|&(_, s, _)| s == speed));
        assert_eq!(finished_at(&events), 5000);
    }
}

#[test]
fn starting_or_seeking_into_a_skipped_span_lands_at_its_end_and_one_at_the_end_ends_playback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, take) = write_take(dir.path(), 4.0, RATE);
    let f = |ms: usize| ms * RATE as usize / 1000;
    // Spans in any order, overlapping ones joined: 500-1500 ms and 2500 ms to the end.
    let skip = vec![2500..4000, 500..1000, 800..1500];
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let events = finish(start_skipping(&speaker, &path, 700, 1.0, skip.clone()));
    assert!(played_through(&speaker) == take[f(1500)..f(2500)], "from 700 ms with 500-1500 skipped: not 1500-2500 ms");
    assert!(progress(&events)[0].0 >= 1500, "{:?}", progress(&events));
    assert_eq!(finished_at(&events), 4000, "the span at the end ends playback at the end");

    // A seek while playing into a span: the sound goes on from its end.
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    let h = start_skipping(&speaker, &path, 1500, 1.0, skip);
    std::thread::sleep(Duration::from_millis(300));
    h.seek(600);
    let events = finish(h);
    let heard = sound(&speaker); // a seek drops what was queued: the device may play silence meanwhile
    let jump = heard.windows(2).position(|w| w[1] != w[0] + 1).expect("a jump") + 1;
    assert_eq!(heard[jump], take[f(1500)], "the seek to 600 ms did not land at 1500 ms");
    assert!(heard[jump..] == take[f(1500)..f(2500)]);
    assert!(progress(&events).iter().all(|&(pos, _, _)| !(510..1500).contains(&pos)), "{:?}", progress(&events));
}

#[test]
fn a_span_to_skip_that_ends_before_it_starts_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = write_take(dir.path(), 1.0, RATE);
    let speaker = FakeSpeaker::new(1, RATE, SpeakerFault::None);
    #[allow(clippy::reversed_empty_ranges)]
    let err = play(PlaybackRequest { output: OutputChoice::Device(speaker.device()), skip: vec![900..300], ..PlaybackRequest::new(&path) })
        .err()
        .expect("refused");
    assert_eq!(err.kind(), "invalid_request");
    assert!(err.to_string().contains("900 to 300 ms"), "{err}");
    assert_eq!(speaker.streams_alive(), 0);
}
