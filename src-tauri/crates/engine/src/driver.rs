//! The rehearsal driver. Time is counted in samples of the session recording: segment and
//! answer deadlines are sample offsets, and a deadline that passes is marked at its exact
//! offset (so segments tile the recording without gaps). Markers are written to the
//! database as they happen; each finished question or probe is cut from the recording as
//! soon as its samples are on disk.
//!
//! A session whose options allow it can be paused: the recording keeps nothing and its
//! clock stands still until it resumes (so every deadline simply moves on by the pause,
//! the answer being given stays one take, and the WAV still lasts as long as the session).
//! `pause` and `resume` markers mark the seam, both at the same frame.
//!
//! Length: one state machine over one sample clock (segments, voices, answer deadlines,
//! markers, pause, the cut of each answer); its states share the session's counters, so they
//! stay in one file.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender, TryRecvError};
use rehearse_audio::{
    play, start_capture, CaptureEvent, CaptureHandle, CaptureRequest, InputChoice, OutputChoice, PlaybackEvent, PlaybackHandle,
    PlaybackRequest,
};
use rehearse_core::rehearsal::{take_spans, MarkerKind, PlannedQuestion, RehearsalOptions, RehearsalPlan};
use rehearse_core::template::Speaker;
use rehearse_core::{DataDir, Library};
use serde::Serialize;

use crate::error::EngineError;
use crate::tts::Voice;

/// How often the driver looks at the clock, the keyboard and the microphone.
const TICK: Duration = Duration::from_millis(5);
/// How often finished takes are looked for on disk.
const CUT_EVERY: Duration = Duration::from_millis(200);
/// How often levels are passed on.
const LEVEL_EVERY: Duration = Duration::from_millis(100);

/// What a front end asks of a running rehearsal.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Space: the current answer is done, the next question (or probe) comes. With nothing
    /// left to ask in the segment, the next segment starts.
    Next,
    /// End the session now (everything recorded is kept), paused or not.
    End,
    /// Pause: nothing is recorded and the clock stops (an interviewer speaking stops too).
    /// Refused with a warning unless the options allow pausing; ignored while paused.
    Pause,
    /// Resume a paused session where it stopped; ignored when not paused.
    Resume,
}

pub struct RehearsalRequest {
    pub options: RehearsalOptions,
    pub input: InputChoice,
    /// Where the interviewers speak.
    pub output: OutputChoice,
    /// None: no voices (questions are shown only).
    pub voice: Option<Box<dyn Voice>>,
}

/// What happens, in order. Offsets are frames of the session WAV.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RehearsalEvent {
    /// No input: the microphone has delivered only silence for `seconds` (recording goes
    /// on). Its own event, so that each front end words it in its language.
    Silent {
        seconds: f64,
    },
    /// The voices cannot be used; the session runs with questions shown only.
    VoiceUnavailable {
        reason: String,
    },
    /// The microphone delivered its first samples: offset 0 of the session WAV.
    Started {
        session_id: i64,
        sample_rate: u32,
        device: String,
        wav_path: PathBuf,
        length_secs: u64,
        allow_pause: bool,
    },
    Marker {
        marker_id: i64,
        kind: MarkerKind,
        label: String,
        question_id: Option<String>,
        speaker: Option<Speaker>,
        segment: String,
        sample_offset: u64,
        seconds: f64,
    },
    /// When the current segment or answer ends by itself (a frame offset of the session
    /// WAV): front ends draw countdowns from it and the level events' `seconds`.
    Deadline {
        what: DeadlineKind,
        sample_offset: u64,
        seconds: f64,
    },
    /// A question or probe to show (and, with a voice, being spoken).
    Prompt {
        speaker: Speaker,
        question_id: String,
        text: String,
        probe: bool,
        answer_secs: u32,
    },
    Level {
        seconds: f64,
        peak_dbfs: f32,
        rms_dbfs: f32,
    },
    /// The session is paused at this offset: nothing is recorded and no deadline comes
    /// until it resumes (front ends freeze their clocks here).
    Paused {
        sample_offset: u64,
        seconds: f64,
    },
    /// It runs again from the same offset, after `paused_secs` of wall-clock time.
    Resumed {
        sample_offset: u64,
        seconds: f64,
        paused_secs: f64,
    },
    TakeSaved {
        take_id: i64,
        question_id: String,
        probe: Option<String>,
        parent_take_id: Option<i64>,
        duration_ms: u64,
    },
    /// Something went wrong but the call goes on (or, for `mic_stopped`, ended): `what` for
    /// front ends to word in the user's language, `message` the English line with the detail.
    Warning {
        what: CallWarning,
        message: String,
    },
    Finished {
        summary: RehearsalSummary,
    },
}

fn warning(what: CallWarning, message: impl Into<String>) -> RehearsalEvent {
    RehearsalEvent::Warning { what, message: message.into() }
}

/// What a call's warning is about.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallWarning {
    /// A marker (question, answer start, ...) could not be stored in the library.
    MarkerNotStored,
    /// An interviewer's voice could not be played (the question shows as text).
    VoiceCannotPlay,
    /// An interviewer's voice stopped part-way.
    VoiceStopped,
    /// The microphone reported a stream error; the recording goes on.
    MicProblem,
    /// The microphone or the sound server was lost: the call ended, what was heard is kept.
    MicStopped,
    /// Pause was asked for in a call that does not allow it.
    PauseNotAllowed,
    /// The markers could not be written into the session WAV (they are in the library).
    CuesNotWritten,
    /// A take could not be cut from the session recording.
    TakeNotCut,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Segment,
    Answer,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalSummary {
    pub session_id: i64,
    /// finished, ended (by the user), or why the recording stopped by itself: mic_lost,
    /// write_failed, disk_low, size_cap.
    pub status: String,
    pub frames: u64,
    pub sample_rate: u32,
    pub seconds: f64,
    pub markers: usize,
    pub takes: usize,
    pub wav_path: PathBuf,
}

pub struct RehearsalHandle {
    cmd: Sender<Command>,
    events: Receiver<RehearsalEvent>,
    thread: Option<JoinHandle<Result<RehearsalSummary, EngineError>>>,
    session_id: i64,
}

impl RehearsalHandle {
    pub fn session_id(&self) -> i64 {
        self.session_id
    }
    pub fn events(&self) -> &Receiver<RehearsalEvent> {
        &self.events
    }
    /// True once the session has ended (by its timers, an End command or a failure).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
    pub fn send(&self, c: Command) {
        let _ = self.cmd.send(c);
    }
    /// Waits for the session to end (by its timers or an End command).
    pub fn wait(mut self) -> Result<RehearsalSummary, EngineError> {
        self.thread.take().ok_or(EngineError::ThreadGone)?.join().map_err(|_| EngineError::ThreadGone)?
    }
}

impl Drop for RehearsalHandle {
    fn drop(&mut self) {
        let _ = self.cmd.send(Command::End);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Plans the session, prepares the voices, opens the microphone and starts the clock.
/// Returns once the recording runs, or with why it could not start (nothing is kept then).
pub fn start(mut lib: Library, req: RehearsalRequest) -> Result<RehearsalHandle, EngineError> {
    let plan = lib.plan_rehearsal(&req.options)?;
    let allow_pause = req.options.allow_pause;
    let (event_tx, events) = unbounded();
    let mut voices = prepare_voices(&plan, req.voice, &event_tx);
    voices.output = req.output.clone();
    let (session_id, wav) = lib.start_rehearsal(&req.options)?;
    let capture = match start_capture(CaptureRequest::new(req.input.clone(), wav.clone(), None)) {
        Ok(c) => c,
        Err(e) => {
            let _ = lib.abandon_rehearsal(session_id);
            return Err(e.into());
        }
    };
    let (cmd, cmd_rx) = unbounded();
    let (ready_tx, ready_rx) = bounded(1);
    let thread = std::thread::Builder::new()
        .name("rehearse-rehearsal".into())
        .spawn(move || {
            let mut d = Driver::new(lib, plan, session_id, wav, capture, voices, cmd_rx, event_tx);
            d.allow_pause = allow_pause;
            d.run(ready_tx)
        })
        .map_err(|e| EngineError::Thread("rehearsal", e.to_string()))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(RehearsalHandle { cmd, events, thread: Some(thread), session_id }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e),
            _ => Err(EngineError::ThreadGone),
        },
    }
}

/// Speech files, one per question and probe, synthesized before the clock starts (a live
/// call has no pause to wait for a synthesizer).
struct Voices {
    _dir: Option<tempfile::TempDir>,
    files: Vec<(VoiceKey, PathBuf)>,
    output: OutputChoice,
}

/// (segment, question, probe index or None for the question itself)
type VoiceKey = (usize, usize, Option<usize>);

impl Voices {
    fn get(&self, key: VoiceKey) -> Option<&PathBuf> {
        self.files.iter().find(|(k, _)| *k == key).map(|(_, p)| p)
    }
}

fn prepare_voices(plan: &RehearsalPlan, voice: Option<Box<dyn Voice>>, events: &Sender<RehearsalEvent>) -> Voices {
    let none = Voices { _dir: None, files: vec![], output: OutputChoice::Default };
    let Some(voice) = voice else { return none };
    if let Err(reason) = voice.available(&plan.language) {
        let _ = events.send(RehearsalEvent::VoiceUnavailable { reason: format!("{reason}; the questions are shown only") });
        return none;
    }
    let dir = match tempfile::Builder::new().prefix("rehearse-voices-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            let _ = events.send(RehearsalEvent::VoiceUnavailable {
                reason: format!("no temporary folder for the voices ({e}); the questions are shown only"),
            });
            return none;
        }
    };
    let mut files = vec![];
    for (si, s) in plan.segments.iter().enumerate() {
        for (qi, q) in s.questions.iter().enumerate() {
            let texts = std::iter::once((None, &q.text)).chain(q.probes.iter().enumerate().map(|(pi, p)| (Some(pi), p)));
            for (pi, text) in texts {
                let out = dir.path().join(format!("{si}-{qi}-{}.wav", pi.map(|p| p.to_string()).unwrap_or_else(|| "q".into())));
                match voice.synthesize(text, &plan.language, q.speaker, &out) {
                    Ok(()) => files.push(((si, qi, pi), out)),
                    Err(reason) => {
                        let _ = events.send(RehearsalEvent::VoiceUnavailable { reason: format!("{reason}; the questions are shown only") });
                        return none;
                    }
                }
            }
        }
    }
    Voices { _dir: Some(dir), files, output: OutputChoice::Default }
}

/// Why a wait ended.
enum Woke {
    Deadline(u64),
    Next(u64),
    End(u64),
    VoiceDone,
    /// The recording ended by itself (microphone lost, disk full): status, message.
    Stopped(u64, &'static str, String),
}

/// How an item (question or probe) ended, as far as the segment is concerned.
enum After {
    Continue,
    SegmentOver(u64),
    SessionOver(u64, &'static str),
}

struct Driver {
    lib: Library,
    plan: RehearsalPlan,
    session_id: i64,
    wav: PathBuf,
    capture: Option<CaptureHandle>,
    rate: u64,
    device: String,
    voices: Voices,
    cmd: Receiver<Command>,
    events: Sender<RehearsalEvent>,
    segment: String,
    cutter: Option<Cutter>,
    last_level: Instant,
    markers: usize,
    takes: usize,
    allow_pause: bool,
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    fn new(
        lib: Library,
        plan: RehearsalPlan,
        session_id: i64,
        wav: PathBuf,
        capture: CaptureHandle,
        voices: Voices,
        cmd: Receiver<Command>,
        events: Sender<RehearsalEvent>,
    ) -> Self {
        let rate = capture.sample_rate() as u64;
        let device = capture.device().to_string();
        Driver {
            lib,
            plan,
            session_id,
            wav,
            capture: Some(capture),
            rate,
            device,
            voices,
            cmd,
            events,
            segment: String::new(),
            cutter: None,
            last_level: Instant::now(),
            markers: 0,
            takes: 0,
            allow_pause: false,
        }
    }

    fn emit(&self, e: RehearsalEvent) {
        let _ = self.events.send(e);
    }

    fn now(&self) -> u64 {
        self.capture.as_ref().map(|c| c.frames_captured()).unwrap_or(0)
    }

    fn run(&mut self, ready: Sender<Result<(), EngineError>>) -> Result<RehearsalSummary, EngineError> {
        // The clock starts with the first samples: wait for them (the capture's own
        // watchdog reports a microphone that delivers nothing).
        let started = self.wait_first_samples();
        if let Err(e) = started {
            if let Some(c) = self.capture.take() {
                let _ = c.stop();
            }
            let _ = self.lib.abandon_rehearsal(self.session_id);
            let _ = ready.send(Err(e));
            return Err(EngineError::ThreadGone);
        }
        if let Err(e) = self.lib.set_rehearsal_capture(self.session_id, self.rate as u32) {
            let _ = ready.send(Err(e.into()));
            return Err(EngineError::ThreadGone);
        }
        match Cutter::spawn(self.lib.data_dir().clone(), self.session_id, self.device.clone(), self.events.clone()) {
            Ok(c) => self.cutter = Some(c),
            Err(e) => {
                if let Some(c) = self.capture.take() {
                    let _ = c.stop();
                }
                let _ = self.lib.abandon_rehearsal(self.session_id);
                let _ = ready.send(Err(e));
                return Err(EngineError::ThreadGone);
            }
        }
        let _ = ready.send(Ok(()));
        self.emit(RehearsalEvent::Started {
            session_id: self.session_id,
            sample_rate: self.rate as u32,
            device: self.device.clone(),
            wav_path: self.wav.clone(),
            length_secs: self.plan.segments.iter().map(|s| s.length_secs as u64).sum(),
            allow_pause: self.allow_pause,
        });
        let status = self.run_segments()?;
        self.finish(status)
    }

    fn wait_first_samples(&mut self) -> Result<(), EngineError> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let Some(c) = self.capture.as_ref() else { return Err(EngineError::ThreadGone) };
            while let Ok(ev) = c.events().try_recv() {
                match ev {
                    CaptureEvent::Started { .. } => return Ok(()),
                    CaptureEvent::Stopped { message, .. } => return Err(EngineError::Audio(rehearse_audio::AudioError::Stream(message))),
                    _ => {}
                }
            }
            if Instant::now() > deadline {
                return Err(EngineError::Audio(rehearse_audio::AudioError::Stream("the microphone delivered no audio within 5 s".into())));
            }
            std::thread::sleep(TICK);
        }
    }

    fn deadline(&self, what: DeadlineKind, at: u64) {
        self.emit(RehearsalEvent::Deadline { what, sample_offset: at, seconds: at as f64 / self.rate as f64 });
    }

    fn marker(&mut self, kind: MarkerKind, label: &str, question: Option<&str>, speaker: Option<Speaker>, at: u64) {
        match self.lib.add_marker(self.session_id, kind, label, question, at) {
            Ok(m) => {
                self.markers += 1;
                self.emit(RehearsalEvent::Marker {
                    marker_id: m.id,
                    kind,
                    label: label.to_string(),
                    question_id: question.map(str::to_string),
                    speaker,
                    segment: self.segment.clone(),
                    sample_offset: at,
                    seconds: at as f64 / self.rate as f64,
                });
            }
            Err(e) => self.emit(warning(CallWarning::MarkerNotStored, format!("a marker could not be stored: {e}"))),
        }
    }

    /// Runs every segment; returns the session's final status.
    fn run_segments(&mut self) -> Result<&'static str, EngineError> {
        let plan = self.plan.clone();
        // The session begins with the recording (frame 0), not when the setup after the
        // first samples is done: the WAV then spans exactly the session, and the first
        // segment keeps its planned length on the recording's clock.
        let start = 0;
        self.marker(MarkerKind::SessionStart, &plan.template_name, None, None, start);
        let mut seg_start = start;
        for (si, seg) in plan.segments.iter().enumerate() {
            self.segment = seg.name.clone();
            self.marker(MarkerKind::SegmentStart, &seg.name, None, None, seg_start);
            let seg_end = seg_start + seg.length_secs as u64 * self.rate;
            self.deadline(DeadlineKind::Segment, seg_end);
            let mut over: Option<u64> = None;
            'questions: for (qi, q) in seg.questions.iter().enumerate() {
                let items = std::iter::once(None).chain((0..q.probes.len()).map(Some));
                for pi in items {
                    let answer = if pi.is_some() { seg.probe_answer_secs } else { seg.answer_secs };
                    match self.ask(q, pi, (si, qi), seg.think_secs, answer, seg_end)? {
                        After::Continue => {}
                        After::SegmentOver(at) => {
                            over = Some(at);
                            break 'questions;
                        }
                        After::SessionOver(at, status) => {
                            self.marker(MarkerKind::SegmentEnd, &seg.name, None, None, at);
                            self.marker(MarkerKind::SessionEnd, &plan.template_name, None, None, at);
                            return Ok(status);
                        }
                    }
                }
            }
            let end = match over {
                Some(at) => at,
                // Nothing left to ask: the segment runs out its time (Space ends it now).
                None => match self.wait(seg_end, None)? {
                    Woke::Deadline(at) | Woke::Next(at) => at,
                    Woke::VoiceDone => seg_end,
                    Woke::End(at) => {
                        self.marker(MarkerKind::SegmentEnd, &seg.name, None, None, at);
                        self.marker(MarkerKind::SessionEnd, &plan.template_name, None, None, at);
                        return Ok("ended");
                    }
                    Woke::Stopped(at, status, message) => {
                        self.emit(warning(CallWarning::MicStopped, message));
                        self.marker(MarkerKind::SegmentEnd, &seg.name, None, None, at);
                        self.marker(MarkerKind::SessionEnd, &plan.template_name, None, None, at);
                        return Ok(status);
                    }
                },
            };
            self.marker(MarkerKind::SegmentEnd, &seg.name, None, None, end);
            seg_start = end;
        }
        self.marker(MarkerKind::SessionEnd, &plan.template_name, None, None, seg_start);
        Ok("finished")
    }

    /// Asks one question (pi None) or probe, waits for its answer, marks both ends.
    fn ask(
        &mut self,
        q: &PlannedQuestion,
        pi: Option<usize>,
        key: (usize, usize),
        think_secs: u32,
        answer_secs: u32,
        seg_end: u64,
    ) -> Result<After, EngineError> {
        let (start_kind, end_kind) = match pi {
            None => (MarkerKind::QuestionStart, MarkerKind::QuestionEnd),
            Some(_) => (MarkerKind::ProbeStart, MarkerKind::ProbeEnd),
        };
        let text = match pi {
            None => q.text.clone(),
            Some(i) => q.probes[i].clone(),
        };
        let qid = q.question_id.to_string();
        let start = self.now().min(seg_end);
        if start >= seg_end {
            return Ok(After::SegmentOver(seg_end));
        }
        self.marker(start_kind, &text, Some(&qid), Some(q.speaker), start);
        self.emit(RehearsalEvent::Prompt {
            speaker: q.speaker,
            question_id: qid.clone(),
            text: text.clone(),
            probe: pi.is_some(),
            answer_secs,
        });
        let end = |d: &mut Self, at: u64, after: After| -> Result<After, EngineError> {
            d.marker(end_kind, "", Some(&qid), Some(q.speaker), at);
            d.poke_cutter();
            Ok(after)
        };
        // The interviewer speaks; the microphone keeps recording (it is a call).
        let playing = match self.voices.get((key.0, key.1, pi)) {
            Some(file) => match play(PlaybackRequest { output: self.voices.output.clone(), ..PlaybackRequest::new(file) }) {
                Ok(h) => Some(h),
                Err(e) => {
                    self.emit(warning(CallWarning::VoiceCannotPlay, format!("the interviewer's voice cannot be played: {e}")));
                    None
                }
            },
            None => None,
        };
        if let Some(h) = playing {
            let woke = self.wait(seg_end, Some(&h))?;
            h.stop();
            match woke {
                Woke::VoiceDone => {}
                Woke::Deadline(at) => return end(self, at, After::SegmentOver(at)),
                Woke::Next(at) => return end(self, at, After::Continue),
                Woke::End(at) => return end(self, at, After::SessionOver(at, "ended")),
                Woke::Stopped(at, status, m) => {
                    self.emit(warning(CallWarning::MicStopped, m));
                    return end(self, at, After::SessionOver(at, status));
                }
            }
        }
        let answer_from = self.now() + think_secs as u64 * self.rate;
        let deadline = (answer_from + answer_secs as u64 * self.rate).min(seg_end);
        // Stored, so reports opened later (and the exported one) count time used from here.
        self.marker(MarkerKind::AnswerStart, "", Some(&qid), Some(q.speaker), answer_from.min(deadline));
        self.deadline(DeadlineKind::Answer, deadline);
        match self.wait(deadline, None)? {
            Woke::Deadline(at) if at >= seg_end => end(self, at, After::SegmentOver(at)),
            Woke::Deadline(at) | Woke::Next(at) => end(self, at, After::Continue),
            Woke::VoiceDone => end(self, deadline, After::Continue),
            Woke::End(at) => end(self, at, After::SessionOver(at, "ended")),
            Woke::Stopped(at, status, m) => {
                self.emit(warning(CallWarning::MicStopped, m));
                end(self, at, After::SessionOver(at, status))
            }
        }
    }

    /// Waits until the recording reaches `deadline` (a frame offset), a command comes, the
    /// voice finishes, or the microphone is lost. Meanwhile passes levels on and cuts takes.
    fn wait(&mut self, deadline: u64, voice: Option<&PlaybackHandle>) -> Result<Woke, EngineError> {
        loop {
            let now = self.now();
            if now >= deadline {
                return Ok(Woke::Deadline(deadline));
            }
            match self.cmd.try_recv() {
                Ok(Command::Next) => return Ok(Woke::Next(now)),
                Ok(Command::End) | Err(TryRecvError::Disconnected) => return Ok(Woke::End(now)),
                Ok(Command::Pause) => {
                    if let Some(woke) = self.pause(voice) {
                        return Ok(woke);
                    }
                    continue; // resumed: the clock is where it stopped
                }
                Ok(Command::Resume) | Err(TryRecvError::Empty) => {}
            }
            if let Some(v) = voice {
                while let Ok(ev) = v.events().try_recv() {
                    match ev {
                        PlaybackEvent::Finished { .. } => return Ok(Woke::VoiceDone),
                        PlaybackEvent::Failed { message, .. } => {
                            self.emit(warning(CallWarning::VoiceStopped, format!("the interviewer's voice stopped: {message}")));
                            return Ok(Woke::VoiceDone);
                        }
                        PlaybackEvent::Progress { .. } => {}
                    }
                }
            }
            if let Some(c) = self.capture.as_ref() {
                let mut lost = None;
                while let Ok(ev) = c.events().try_recv() {
                    match ev {
                        CaptureEvent::Stopped { reason, message } => lost = Some((reason.as_str(), message)),
                        CaptureEvent::Warning { message } => {
                            let _ = self.events.send(warning(CallWarning::MicProblem, message));
                        }
                        CaptureEvent::Silent { seconds } => {
                            let _ = self.events.send(RehearsalEvent::Silent { seconds });
                        }
                        _ => {}
                    }
                }
                if let Some((status, m)) = lost {
                    // What was captured is all in the file: the session ends where it does.
                    return Ok(Woke::Stopped(self.now(), status, m));
                }
                let mut last = None;
                while let Ok(l) = c.levels().try_recv() {
                    last = Some(l);
                }
                if let Some(l) = last.filter(|_| self.last_level.elapsed() >= LEVEL_EVERY) {
                    self.last_level = Instant::now();
                    let _ = self.events.send(RehearsalEvent::Level {
                        seconds: l.frames as f64 / self.rate as f64,
                        peak_dbfs: l.level.peak_dbfs,
                        rms_dbfs: l.level.rms_dbfs,
                    });
                }
            }
            std::thread::sleep(TICK);
        }
    }

    /// Pauses the session (if its options allow it) until Resume, End or the loss of the
    /// microphone. Returns None once resumed, or why the session ends.
    fn pause(&mut self, voice: Option<&PlaybackHandle>) -> Option<Woke> {
        if !self.allow_pause {
            self.emit(warning(
                CallWarning::PauseNotAllowed,
                "pausing is not allowed in this rehearsal (it can be allowed before the call starts)",
            ));
            return None;
        }
        let at = self.capture.as_ref()?.pause();
        let since = Instant::now();
        // An interviewer asking stops mid-sentence and goes on after the pause.
        if let Some(v) = voice {
            v.pause();
        }
        self.marker(MarkerKind::Pause, "", None, None, at);
        let seconds = at as f64 / self.rate as f64;
        self.emit(RehearsalEvent::Paused { sample_offset: at, seconds });
        loop {
            match self.cmd.recv_timeout(TICK) {
                Ok(Command::Resume) => break,
                Ok(Command::End) | Err(RecvTimeoutError::Disconnected) => return Some(Woke::End(at)),
                Ok(Command::Next | Command::Pause) | Err(RecvTimeoutError::Timeout) => {}
            }
            // The microphone is still watched while nothing is kept.
            let c = self.capture.as_ref()?;
            while c.levels().try_recv().is_ok() {}
            while let Ok(ev) = c.events().try_recv() {
                match ev {
                    CaptureEvent::Stopped { reason, message } => return Some(Woke::Stopped(at, reason.as_str(), message)),
                    CaptureEvent::Warning { message } => self.emit(warning(CallWarning::MicProblem, message)),
                    _ => {}
                }
            }
        }
        let from = self.capture.as_ref()?.resume();
        let paused_secs = since.elapsed().as_secs_f64();
        self.marker(MarkerKind::Resume, &format!("after {paused_secs:.1} s"), None, None, from);
        self.emit(RehearsalEvent::Resumed { sample_offset: from, seconds: from as f64 / self.rate as f64, paused_secs });
        if let Some(v) = voice {
            v.resume();
        }
        None
    }

    fn poke_cutter(&self) {
        if let Some(c) = &self.cutter {
            let _ = c.tx.send(CutMsg::Check);
        }
    }

    /// Stops the recording, cuts what is left, records the session's end.
    fn finish(&mut self, status: &'static str) -> Result<RehearsalSummary, EngineError> {
        let summary = match self.capture.take() {
            Some(c) => c.stop()?,
            None => return Err(EngineError::ThreadGone),
        };
        let status = match (summary.stopped, status) {
            (Some(reason), "finished") => reason.as_str(),
            _ => status,
        };
        let mut frames = summary.frames;
        if !summary.finalized {
            // A full disk or a write error: keep what reached the disk under the final name.
            frames = self.lib.settle_rehearsal_wav(&self.lib.rehearsal(self.session_id)?)?;
        }
        // The last takes are cut from the finished file; then the file is trimmed.
        if let Some(c) = self.cutter.take() {
            self.takes = c.finish();
        }
        if summary.finalized {
            let end = self.lib.markers(self.session_id)?.iter().rev().find(|m| m.kind == MarkerKind::SessionEnd).map(|m| m.sample_offset);
            if let Some(end) = end {
                frames = self.lib.trim_rehearsal_wav(&self.lib.rehearsal(self.session_id)?, end)?;
            }
        }
        self.lib.finish_rehearsal(self.session_id, frames, summary.sample_rate, status)?;
        if frames > 0 {
            if let Err(e) = self.lib.write_wav_cues(&self.lib.rehearsal(self.session_id)?) {
                self.emit(warning(CallWarning::CuesNotWritten, format!("the markers could not be added to the WAV: {e}")));
            }
        }
        let out = RehearsalSummary {
            session_id: self.session_id,
            status: status.to_string(),
            frames,
            sample_rate: summary.sample_rate,
            seconds: frames as f64 / summary.sample_rate.max(1) as f64,
            markers: self.markers,
            takes: self.takes,
            wav_path: summary.path.clone(),
        };
        self.emit(RehearsalEvent::Finished { summary: out.clone() });
        Ok(out)
    }
}

enum CutMsg {
    /// A question or probe ended: look for its samples on disk.
    Check,
    /// The recording is finished: cut everything left, then end.
    Finish,
}

/// Cuts takes on its own thread with its own database connection, so that reading and
/// writing a long answer never delays the clock, a key press or the next question.
struct Cutter {
    tx: Sender<CutMsg>,
    thread: JoinHandle<usize>,
}

impl Cutter {
    fn spawn(dir: DataDir, session_id: i64, device: String, events: Sender<RehearsalEvent>) -> Result<Self, EngineError> {
        let mut lib = Library::open(dir)?;
        let (tx, rx) = unbounded();
        let thread = std::thread::Builder::new()
            .name("rehearse-cutter".into())
            .spawn(move || {
                let mut takes = 0;
                loop {
                    let last = match rx.recv_timeout(CUT_EVERY) {
                        Ok(CutMsg::Check) | Err(RecvTimeoutError::Timeout) => false,
                        Ok(CutMsg::Finish) | Err(RecvTimeoutError::Disconnected) => true,
                    };
                    cut_ready(&mut lib, session_id, &device, &events, &mut takes);
                    if last {
                        return takes;
                    }
                }
            })
            .map_err(|e| EngineError::Thread("take cutter", e.to_string()))?;
        Ok(Cutter { tx, thread })
    }

    /// Cuts what is left and returns how many takes were cut in the session.
    fn finish(self) -> usize {
        let _ = self.tx.send(CutMsg::Finish);
        self.thread.join().unwrap_or(0)
    }
}

/// Cuts the takes of finished questions and probes whose samples are on disk, in order.
fn cut_ready(lib: &mut Library, session_id: i64, device: &str, events: &Sender<RehearsalEvent>, takes: &mut usize) {
    let (Ok(session), Ok(markers)) = (lib.rehearsal(session_id), lib.markers(session_id)) else { return };
    for span in take_spans(&markers).into_iter().filter(|s| s.take_id.is_none()) {
        let Some(end) = span.end else { continue };
        match lib.cut_span(&session, &span, end, device, "ok") {
            Ok(Some(t)) => {
                *takes += 1;
                let _ = events.send(RehearsalEvent::TakeSaved {
                    take_id: t.id.0,
                    question_id: t.question_id.to_string(),
                    probe: t.probe.clone(),
                    parent_take_id: t.parent_take_id,
                    duration_ms: t.duration_ms,
                });
            }
            Ok(None) => break, // not on disk yet; later spans are not either
            Err(e) => {
                let _ = events.send(warning(CallWarning::TakeNotCut, format!("a take could not be cut: {e}")));
                break;
            }
        }
    }
}
