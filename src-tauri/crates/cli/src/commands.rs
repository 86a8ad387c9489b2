//! The subcommands. Errors are turned into one readable line here.
//!
//! Length: one short function per subcommand (arguments to one core or engine call, errors to
//! one line); they share the output helpers.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossbeam_channel::{select, Receiver};
use rehearse_audio::{InputChoice, OutputChoice, PeaksSource, PlaybackControl, PlaybackEvent, PlaybackRequest};
use rehearse_core::analysis::{wav_skippable_silences, Span};
use rehearse_core::{echo, DataDir, DeckId, Library, QuestionId, TakeId};
use rehearse_engine::capture_watch::Watched;
use rehearse_engine::{Shelf, TakeEnd, TakeObserver, TakeRecorder, TakeSpec, TakeStarted};

pub(crate) type Outcome = Result<(), String>;

/// Opens the library and, as at every start, recovers takes left behind by a crash.
pub(crate) fn open(data_dir: Option<PathBuf>) -> Result<Library, String> {
    let dir = DataDir::resolve(data_dir.as_deref()).map_err(|e| e.to_string())?;
    let mut lib = Library::open(dir).map_err(|e| e.to_string())?;
    if !lib.leftovers().removed.is_empty() {
        eprintln!("{}", lib.leftovers().summary());
    }
    let report = lib.recover().map_err(|e| e.to_string())?;
    if !report.is_empty() {
        eprintln!("{}", report.summary());
    }
    Ok(lib)
}

/// Prints a line to stdout. A closed pipe (`rehearse-cli takes | head`) ends quietly.
pub(crate) fn say(line: impl std::fmt::Display) -> Outcome {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{line}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Outcome {
    say(serde_json::to_string_pretty(v).map_err(|e| e.to_string())?)
}

pub fn devices(outputs: bool, json: bool) -> Outcome {
    let devices = if outputs { rehearse_audio::output_devices() } else { rehearse_audio::input_devices() }.map_err(|e| e.to_string())?;
    if json {
        return print_json(&devices);
    }
    if devices.is_empty() {
        return Err(format!("no {} devices found", if outputs { "output" } else { "input" }));
    }
    for d in devices {
        say(format!("{} {}  [{}]  {}", if d.is_default { "*" } else { " " }, d.name, d.id, d.config))?;
    }
    Ok(())
}

pub fn questions(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let qs = lib.questions().map_err(|e| e.to_string())?;
    if json {
        return print_json(&qs);
    }
    for q in qs {
        say(format!("{:<32} {:>4}s  {}", q.id, q.answer_secs, q.text_in("en")))?;
    }
    Ok(())
}

/// What ended a command from outside: Ctrl-C (the user), or SIGTERM/SIGHUP (the system:
/// a shutdown, a closed terminal, `kill`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Interrupted,
    Terminated,
}

pub(crate) fn ctrl_c() -> Result<Receiver<Stop>, String> {
    let (tx, rx) = crossbeam_channel::bounded(2);
    let int_tx = tx.clone();
    ctrlc::set_handler(move || {
        let _ = int_tx.try_send(Stop::Interrupted);
    })
    .map_err(|e| format!("cannot watch for Ctrl-C: {e}"))?;
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]).map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
        std::thread::Builder::new()
            .name("rehearse-cli-signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    let _ = tx.try_send(Stop::Terminated);
                }
            })
            .map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
    }
    #[cfg(not(unix))]
    drop(tx);
    Ok(rx)
}

/// The warnings a capture gives while it runs, as `record` and `practice` print them.
#[derive(Default)]
pub(crate) struct Notices {
    disk_warned: bool,
}

impl Notices {
    pub(crate) fn seen(&mut self, seen: &Watched) {
        match seen {
            Watched::Silent { seconds } => {
                eprintln!("warning: no input: the microphone has been silent for {seconds:.0} s (still recording)")
            }
            Watched::DiskLow { seconds_left } => {
                if !self.disk_warned {
                    eprintln!("warning: disk space is low: about {seconds_left} s of recording left");
                }
                self.disk_warned = true;
            }
            Watched::Warning { message } => eprintln!("warning: {message}"),
            Watched::Level(_) | Watched::Started { .. } => {}
        }
    }
}

/// A take recorded by [`capture_take`] and how its recording ended.
pub(crate) struct Captured {
    pub take: rehearse_core::Take,
    pub path: PathBuf,
    pub first_sample_ms: Option<u64>,
    pub dropped_frames: u64,
    /// Why it stopped by itself (microphone lost, disk full …).
    pub failure: Option<String>,
    /// Ended by SIGTERM or SIGHUP.
    pub terminated: bool,
    /// Ended by the user's Ctrl-C.
    pub interrupted: bool,
}

fn check_seconds(seconds: Option<f64>) -> Outcome {
    if let Some(s) = seconds {
        let min = rehearse_core::MIN_TAKE_MS as f64 / 1000.0;
        if !(s.is_finite() && s >= min) {
            return Err(format!("--seconds must be at least {min} (a shorter take is not kept), not {s}"));
        }
    }
    Ok(())
}

/// Records one take of `question` (for `seconds`, or until Ctrl-C) and indexes it, through
/// the engine's take lifecycle (the window's and `practice`'s): this side only prints what
/// the take's observer hears and turns a signal into a stop.
pub(crate) fn capture_take(
    lib: &Arc<Mutex<Library>>,
    question: &str,
    seconds: Option<f64>,
    device: Option<String>,
    session: Option<i64>,
    interrupted: &Receiver<Stop>,
) -> Result<Captured, String> {
    let plan = lib.library().map_err(|e| e.to_string())?.plan_take_in(&QuestionId::from(question), session).map_err(|e| e.to_string())?;
    let (ended_tx, ended_rx) = crossbeam_channel::bounded(1);
    let printer = Printer { seconds, notices: Notices::default(), first_sample_ms: None, ended: ended_tx };
    let spec = TakeSpec { plan: plan.clone(), input: InputChoice::from(device), max_seconds: seconds, scheduled: None, hold: false };
    let recorder = match TakeRecorder::start(lib.clone(), spec, printer) {
        Ok(r) => r,
        Err(e) => {
            lib.library().map_err(|e| e.to_string())?.abandon_take(&plan);
            return Err(e.to_string());
        }
    };
    let signal = select! {
        recv(interrupted) -> stop => stop.ok(),
        recv(recorder.done()) -> _ => None,
    };
    // Ended by the system rather than the user: the take is labelled so (and kept even if short).
    let terminated = signal == Some(Stop::Terminated);
    let saved = recorder.stop_as(terminated.then_some("terminated"));
    let Ended { failure, first_sample_ms } = ended_rx.try_recv().unwrap_or(Ended { failure: None, first_sample_ms: None });
    let take = saved.map_err(|e| match (&failure, e.kind()) {
        (_, "too_short" | "still_saving") => e.to_string(),
        (Some(m), _) => format!(
            "{m}; the take could not be indexed ({e}); it is kept at {} and will be recovered at the next start",
            plan.path.display()
        ),
        (None, _) => {
            format!("the take could not be indexed ({e}); it is kept at {} and will be recovered at the next start", plan.path.display())
        }
    })?;
    let path = lib.library().map_err(|e| e.to_string())?.take_path(&take).map_err(|e| e.to_string())?;
    if take.dropped_frames > 0 {
        eprintln!("warning: {} frames were dropped because the disk could not keep up", take.dropped_frames);
    }
    Ok(Captured {
        dropped_frames: take.dropped_frames,
        take,
        path,
        first_sample_ms,
        failure,
        terminated,
        interrupted: signal == Some(Stop::Interrupted),
    })
}

/// What `record` prints of a take while it is recorded (on stderr), and how it ended.
struct Printer {
    seconds: Option<f64>,
    notices: Notices,
    first_sample_ms: Option<u64>,
    ended: crossbeam_channel::Sender<Ended>,
}

/// What ended a take by itself (microphone lost, disk full …), and when its first samples came.
struct Ended {
    failure: Option<String>,
    first_sample_ms: Option<u64>,
}

impl TakeObserver for Printer {
    fn started(&mut self, s: &TakeStarted) {
        let until = match self.seconds {
            Some(secs) => format!(" for {secs} s"),
            None => " until Ctrl-C".into(),
        };
        eprintln!("recording from {} at {} Hz{until} (first samples after {} ms)", s.device, s.sample_rate, s.first_sample_ms);
        self.first_sample_ms = Some(s.first_sample_ms);
    }

    fn seen(&mut self, seen: Watched) {
        self.notices.seen(&seen);
    }

    fn ended(&mut self, end: TakeEnd<'_>) {
        let failure = end.failure.map(|(_, message)| message);
        if let Some(m) = &failure {
            eprintln!("stopped: {m}");
        }
        let _ = self.ended.try_send(Ended { failure, first_sample_ms: self.first_sample_ms });
    }
}

/// How a capture's end is reported: an early stop or a signal is an error naming the take kept.
pub(crate) fn capture_outcome(c: &Captured) -> Outcome {
    match &c.failure {
        Some(m) => Err(format!("recording stopped early: {m} (the take so far was saved as take {})", c.take.id)),
        None if c.terminated => Err(format!("recording stopped by a termination signal (the take so far was saved as take {})", c.take.id)),
        None => Ok(()),
    }
}

pub fn record(
    data_dir: Option<PathBuf>,
    question: &str,
    seconds: Option<f64>,
    device: Option<String>,
    session: Option<i64>,
    json: bool,
) -> Outcome {
    check_seconds(seconds)?;
    let lib = open(data_dir)?;
    if let Some(id) = session {
        lib.session_info(id).map_err(|e| e.to_string())?;
    }
    let interrupted = ctrl_c()?;
    let c = capture_take(&Arc::new(Mutex::new(lib)), question, seconds, device, session, &interrupted)?;
    if json {
        print_json(&serde_json::json!({
            "take": c.take,
            "path": c.path,
            "first_sample_ms": c.first_sample_ms,
            "dropped_frames": c.dropped_frames,
        }))?;
    } else {
        say(format!("take {}  {}  {:.2} s", c.take.id, c.path.display(), c.take.duration_ms as f64 / 1000.0))?;
    }
    capture_outcome(&c)
}

pub fn takes(data_dir: Option<PathBuf>, question: Option<&str>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let q = question.map(QuestionId::from);
    let takes = lib.takes(q.as_ref()).map_err(|e| e.to_string())?;
    if json {
        return print_json(&takes);
    }
    for t in takes {
        let rating = t.rating.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
        say(format!(
            "{:>5}  {}  {:<28} {:>7.2} s  rating {}  {}",
            t.id,
            t.started_at,
            t.question_id,
            t.duration_ms as f64 / 1000.0,
            rating,
            t.file_path
        ))?;
    }
    Ok(())
}

pub struct PlayOptions {
    pub speed: f32,
    pub from_ms: u64,
    pub device: Option<String>,
    /// Commands from stdin, events as JSON lines on stdout.
    pub control: bool,
    /// Leave out the take's long silences.
    pub skip_silences: bool,
}

pub fn play(data_dir: Option<PathBuf>, take: i64, opts: PlayOptions) -> Outcome {
    let PlayOptions { speed, from_ms, device, control, skip_silences } = opts;
    rehearse_audio::check_speed(speed).map_err(|e| format!("--speed: {e}"))?;
    let lib = open(data_dir)?;
    let take = lib.take(TakeId(take)).map_err(|e| e.to_string())?;
    if from_ms > take.duration_ms {
        return Err(format!("--from-ms {from_ms} is past the end of take {} ({} ms long)", take.id, take.duration_ms));
    }
    let path = lib.take_path(&take).map_err(|e| e.to_string())?;
    let skip = if skip_silences { wav_skippable_silences(&path).map_err(|e| e.to_string())? } else { vec![] };
    if skip_silences {
        let spans: Vec<String> =
            skip.iter().map(|s| format!("{:.2}-{:.2} s", s.start_ms as f64 / 1000.0, s.end_ms as f64 / 1000.0)).collect();
        let total = skip.iter().map(Span::len_ms).sum::<u64>() as f64 / 1000.0;
        eprintln!("skipping {} silences ({total:.2} s): {}", skip.len(), if spans.is_empty() { "none".into() } else { spans.join(", ") });
    }
    let interrupted = ctrl_c()?;
    let skip = skip.iter().map(Span::range).collect();
    let req = PlaybackRequest { output: OutputChoice::from(device), start_ms: from_ms, speed, skip, ..PlaybackRequest::new(path) };
    let handle = rehearse_audio::play(req).map_err(|e| e.to_string())?;
    eprintln!(
        "playing take {} ({:.2} s) at {speed}x from {:.2} s on {}",
        take.id,
        handle.duration_ms() as f64 / 1000.0,
        from_ms as f64 / 1000.0,
        handle.device()
    );
    if control {
        let ctl = handle.control();
        // Ends with standard input; playback goes on to its end (or a `stop`).
        std::thread::Builder::new()
            .name("rehearse-cli-control".into())
            .spawn(move || {
                for line in std::io::stdin().lines().map_while(Result::ok) {
                    if let Err(e) = control_line(&ctl, line.trim()) {
                        eprintln!("warning: {e}");
                    }
                }
            })
            .map_err(|e| format!("cannot read commands: {e}"))?;
    }
    let mut failure = None;
    loop {
        select! {
            recv(handle.events()) -> ev => {
                let Ok(ev) = ev else { break };
                if control {
                    say(serde_json::to_string(&ev).map_err(|e| e.to_string())?)?;
                }
                match ev {
                    PlaybackEvent::Failed { message, .. } => failure = Some(message),
                    PlaybackEvent::Finished { position_ms, .. } => {
                        eprintln!("stopped at {:.2} s", position_ms as f64 / 1000.0);
                        break;
                    }
                    PlaybackEvent::Progress { .. } => {}
                }
            },
            recv(interrupted) -> _ => handle.control().stop(),
        }
    }
    handle.wait();
    match failure {
        Some(m) => Err(format!("playback failed: {m}")),
        None => Ok(()),
    }
}

/// One command of `play --control`.
fn control_line(ctl: &PlaybackControl, line: &str) -> Result<(), String> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (None, ..) => Ok(()),
        (Some("pause"), None, _) => {
            ctl.pause();
            Ok(())
        }
        (Some("resume"), None, _) => {
            ctl.resume();
            Ok(())
        }
        (Some("stop"), None, _) => {
            ctl.stop();
            Ok(())
        }
        (Some("seek"), Some(ms), None) => {
            ms.parse().map(|ms| ctl.seek(ms)).map_err(|_| format!("seek takes milliseconds, not \"{}\"", echo(ms)))
        }
        (Some("speed"), Some(x), None) => {
            let x: f32 = x.parse().map_err(|_| format!("speed takes a number, not \"{}\"", echo(x)))?;
            ctl.set_speed(x).map_err(|e| e.to_string())
        }
        _ => Err(format!("unknown command \"{}\" (pause, resume, seek MS, speed X, stop)", echo(line))),
    }
}

pub fn peaks(data_dir: Option<PathBuf>, take: i64, width: usize, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let take = lib.take(TakeId(take)).map_err(|e| e.to_string())?;
    let ov = rehearse_audio::overview(&lib.take_path(&take).map_err(|e| e.to_string())?, width).map_err(|e| {
        if e.kind() == "invalid_request" {
            format!("--width: {e}")
        } else {
            e.to_string()
        }
    })?;
    if json {
        return print_json(&serde_json::json!({
            "take": take.id,
            "duration_ms": ov.duration_ms,
            "sample_rate": ov.sample_rate,
            "width": width,
            "source": ov.source,
            "peaks": ov.columns,
        }));
    }
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let line: String = ov.columns.iter().map(|&(mn, mx)| BARS[((mx.max(-mn).clamp(0.0, 1.0) * 7.0).round()) as usize]).collect();
    let source = match ov.source {
        PeaksSource::File => "from its peaks file",
        PeaksSource::Built => "built from the WAV",
    };
    say(format!("take {}  {:.2} s  {} Hz  {width} columns {source}", take.id, ov.duration_ms as f64 / 1000.0, ov.sample_rate))?;
    say(line)
}

pub fn recover(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let dir = DataDir::resolve(data_dir.as_deref()).map_err(|e| e.to_string())?;
    let mut lib = Library::open(dir).map_err(|e| e.to_string())?;
    if let Some(e) = lib.read_only() {
        return Err(e.to_string());
    }
    if !lib.leftovers().removed.is_empty() {
        eprintln!("{}", lib.leftovers().summary());
    }
    let report = lib.recover().map_err(|e| e.to_string())?;
    let checked = lib.check_take_files().map_err(|e| e.to_string())?;
    if json {
        return print_json(&serde_json::json!({ "report": report, "rechecked": checked }));
    }
    say(report.summary())?;
    for t in &report.recovered {
        say(format!("  take {}  {}  {:.2} s  {}", t.id, t.question_id, t.duration_ms as f64 / 1000.0, t.file_path))?;
    }
    if report.in_use > 0 {
        say(format!("{} take(s) are being recorded right now and were left alone", report.in_use))?;
    }
    if checked > 0 {
        say(format!("{checked} indexed take(s) had damaged files and were re-checked"))?;
    }
    Ok(())
}

pub fn delete(data_dir: Option<PathBuf>, take: i64) -> Outcome {
    let mut lib = open(data_dir)?;
    lib.delete_take(TakeId(take)).map_err(|e| e.to_string())?;
    say(format!("deleted take {take}"))?;
    Ok(())
}

pub fn deck_validate(data_dir: Option<PathBuf>, file: &std::path::Path) -> Outcome {
    let lib = open(data_dir)?;
    let deck = lib.validate_deck(file).map_err(|e| e.to_string())?;
    say(format!("{}: deck \"{}\" is valid ({} questions)", file.display(), deck.deck.id, deck.questions.len()))
}

pub fn deck_import(data_dir: Option<PathBuf>, file: &std::path::Path) -> Outcome {
    let mut lib = open(data_dir)?;
    let r = lib.import_deck(file).map_err(|e| e.to_string())?;
    say(format!("imported deck \"{}\": {} added, {} updated, {} retired", r.deck_id, r.added, r.updated, r.retired))
}

pub fn deck_export(data_dir: Option<PathBuf>, deck: &str, file: &std::path::Path) -> Outcome {
    let lib = open(data_dir)?;
    lib.export_deck(&DeckId::from(deck), file).map_err(|e| e.to_string())?;
    say(format!("exported deck \"{deck}\" to {}", file.display()))
}

pub fn deck_list(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let decks = lib.decks().map_err(|e| e.to_string())?;
    if json {
        return print_json(&decks);
    }
    for d in decks {
        let name = d.name.get("en").or_else(|| d.name.values().next()).cloned().unwrap_or_default();
        say(format!(
            "{:<20} {:>6} questions  [{}]{}  {}",
            d.id,
            d.questions,
            d.languages.join(", "),
            if d.builtin { " built-in" } else { "" },
            name
        ))?;
    }
    Ok(())
}

pub fn rate(data_dir: Option<PathBuf>, take: i64, rating: Option<Option<u8>>, note: Option<String>) -> Outcome {
    if rating.is_none() && note.is_none() {
        return Err("give --rating and/or --note".into());
    }
    let mut lib = open(data_dir)?;
    let mut t = lib.take(TakeId(take)).map_err(|e| e.to_string())?;
    if let Some(r) = rating {
        t = lib.rate_take(TakeId(take), r).map_err(|e| e.to_string())?;
    }
    if let Some(n) = note {
        t = lib.set_note(TakeId(take), &n).map_err(|e| e.to_string())?;
    }
    say(rated_line(&lib, &t)?)
}

/// "take 7 rated good; db.deadlock next due 2026-…": a rating and the schedule it gave.
pub(crate) fn rated_line(lib: &Library, t: &rehearse_core::Take) -> Result<String, String> {
    let next = lib.schedule_of(&t.question_id).map_err(|e| e.to_string())?;
    Ok(format!(
        "take {} rated {}; {} next due {}",
        t.id,
        t.rating.map(|r| ["again", "hard", "good", "easy"][(r - 1) as usize]).unwrap_or("-"),
        t.question_id,
        next.map(|s| s.due_at).unwrap_or_else(|| "-".into())
    ))
}

pub fn due(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let due = lib.due().map_err(|e| e.to_string())?;
    if json {
        return print_json(&due);
    }
    if due.is_empty() {
        return say("nothing is due");
    }
    for d in due {
        say(format!(
            "{:<32} due {}  reviews {}  agains {}{}",
            d.question_id,
            d.due_at,
            d.reviews,
            d.agains,
            if d.leech { "  LEECH: rework this answer" } else { "" }
        ))?;
    }
    Ok(())
}

pub fn metrics(data_dir: Option<PathBuf>, take: i64, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let m = lib.take_metrics(TakeId(take)).map_err(|e| e.to_string())?;
    if json {
        return print_json(&m);
    }
    say(format!(
        "duration {} ms, first word at {}, speaking {} ms, silence {} ms, long pauses {:?}, peak {:.1} dBFS, rms {:.1} dBFS, clipped {}",
        m.duration_ms,
        m.time_to_first_word_ms.map(|v| format!("{v} ms")).unwrap_or_else(|| "-".into()),
        m.speaking_ms,
        m.silence_ms,
        m.long_pauses,
        m.peak_dbfs,
        m.rms_dbfs,
        m.clipped_samples
    ))
}

pub fn sessions(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let list = lib.sessions().map_err(|e| e.to_string())?;
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        return say("no sessions yet");
    }
    for s in list {
        say(format!(
            "{:>5}  {}  {:<16} {}  {} question(s), {} take(s){}",
            s.id,
            s.started_at,
            s.deck_id.as_deref().unwrap_or("-"),
            s.language,
            s.questions,
            s.takes,
            if s.ended_at.is_none() { "  (not ended)" } else { "" }
        ))?;
    }
    Ok(())
}

/// The core's message, with the flag that gets past it here (the core says what happened;
/// which option to use is the CLI's to say).
fn with_hint(e: rehearse_core::CoreError) -> String {
    match e.kind() {
        "destination_exists" => format!("{e} (to replace a file: --overwrite)"),
        "library_not_empty" => format!("{e} (e.g. --data-dir NEW_DIR)"),
        _ => e.to_string(),
    }
}

pub fn export_all(data_dir: Option<PathBuf>, file: &std::path::Path, overwrite: bool, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let r = lib.export_all(file, overwrite).map_err(with_hint)?;
    if json {
        return print_json(&r);
    }
    for m in &r.missing {
        eprintln!("warning: {m} is indexed but its file is missing; the archive has the row only");
    }
    for s in &r.skipped {
        eprintln!("note: takes/{s} was left out (a recording in progress, a temporary file, or a file no take refers to)");
    }
    say(format!("exported {} take(s), {} file(s), {:.1} MB to {}", r.takes, r.files + 1, r.bytes as f64 / 1e6, r.path.display()))
}

/// Opens the data folder for an import: no crash recovery first (an empty folder has
/// nothing to recover, and a non-empty one is refused anyway).
pub fn import_all(data_dir: Option<PathBuf>, file: &std::path::Path, json: bool) -> Outcome {
    let dir = DataDir::resolve(data_dir.as_deref()).map_err(|e| e.to_string())?;
    let (_lib, r) = Library::open_importing(dir.clone(), file).map_err(with_hint)?;
    if json {
        return print_json(&r);
    }
    say(format!("imported {} take(s), {} file(s), {:.1} MB into {}", r.takes, r.files, r.bytes as f64 / 1e6, dir.root().display()))
}

pub fn export_take(data_dir: Option<PathBuf>, take: i64, file: &std::path::Path, overwrite: bool, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let path = lib.export_take(TakeId(take), file, overwrite).map_err(with_hint)?;
    if json {
        return print_json(&serde_json::json!({ "take": take, "path": path }));
    }
    say(format!("exported take {take} to {}", path.display()))
}

pub fn export_session(data_dir: Option<PathBuf>, session: i64, file: &std::path::Path, overwrite: bool, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let r = lib.export_session(session, file, overwrite).map_err(with_hint)?;
    if json {
        return print_json(&r);
    }
    for (id, why) in &r.missing {
        eprintln!("warning: take {id} was left out: {why}");
    }
    for why in &r.warnings {
        eprintln!("warning: {why}");
    }
    // The files besides the takes: report.html, and a rehearsal's session.wav and session.cue.
    let others = r.files.get(r.takes..).unwrap_or_default().join(", ");
    say(format!("exported session {session}: {} take(s), {others} to {} ({})", r.takes, r.path.display(), r.format))
}
