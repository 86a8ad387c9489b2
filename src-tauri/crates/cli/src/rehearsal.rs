//! Rehearsal subcommands: templates, the headless rehearsal, sessions and cue sheets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::select;
use rehearse_audio::InputChoice;
use rehearse_core::rehearsal::RehearsalOptions;
use rehearse_engine::{default_voice, Command, RehearsalEvent, RehearsalRequest};

use crate::commands::{ctrl_c, open, print_json, say, Outcome};

pub fn template_validate(data_dir: Option<PathBuf>, file: &Path) -> Outcome {
    let lib = open(data_dir)?;
    let t = lib.validate_template(file).map_err(|e| e.to_string())?;
    say(format!(
        "{}: template \"{}\" is valid ({} segments, {} min)",
        file.display(),
        t.template.id,
        t.segments.len(),
        t.length_secs().div_ceil(60)
    ))
}

pub fn template_import(data_dir: Option<PathBuf>, file: &Path) -> Outcome {
    let mut lib = open(data_dir)?;
    let r = lib.import_template(file).map_err(|e| e.to_string())?;
    say(format!("imported template \"{}\" ({} segments{})", r.template_id, r.segments, if r.created { "" } else { ", replaced" }))
}

pub fn template_export(data_dir: Option<PathBuf>, id: &str, file: &Path) -> Outcome {
    let lib = open(data_dir)?;
    lib.export_template(id, file).map_err(|e| e.to_string())?;
    say(format!("exported template \"{id}\" to {}", file.display()))
}

pub fn template_list(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let list = lib.templates().map_err(|e| e.to_string())?;
    if json {
        return print_json(&list);
    }
    for t in list {
        let name = t.name.get("en").or_else(|| t.name.values().next()).cloned().unwrap_or_default();
        say(format!(
            "{:<20} {:>2} segments {:>4} min{}  {}",
            t.id,
            t.segments,
            t.length_secs.div_ceil(60),
            if t.builtin { "  built-in" } else { "" },
            name
        ))?;
    }
    Ok(())
}

pub struct RehearseArgs {
    pub template: String,
    pub json: bool,
    pub no_voice: bool,
    pub language: String,
    pub seed: Option<u64>,
    pub device: Option<String>,
    pub allow_pause: bool,
}

fn json_line<T: serde::Serialize>(v: &T) -> Outcome {
    say(serde_json::to_string(v).map_err(|e| e.to_string())?)
}

pub fn rehearse(data_dir: Option<PathBuf>, a: RehearseArgs) -> Outcome {
    if !matches!(a.language.as_str(), "en" | "ko") {
        return Err(format!("--language \"{}\" is not en or ko", rehearse_core::echo(&a.language)));
    }
    let lib = open(data_dir)?;
    let interrupted = ctrl_c()?;
    // Enter acts as Space: each line on stdin is "next", except "p", which pauses or resumes
    // (refused by the engine without --allow-pause). End of input changes nothing.
    let (enter_tx, mut enter) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            let pause = line.trim().eq_ignore_ascii_case("p");
            line.clear();
            if enter_tx.send(pause).is_err() {
                break;
            }
        }
    });
    let req = RehearsalRequest {
        options: RehearsalOptions {
            template_id: a.template.clone(),
            language: a.language.clone(),
            seed: a.seed,
            allow_pause: a.allow_pause,
        },
        input: InputChoice::from(a.device),
        output: rehearse_audio::OutputChoice::Default,
        voice: if a.no_voice { None } else { Some(default_voice()) },
    };
    let handle = rehearse_engine::start(lib, req).map_err(|e| e.to_string())?;
    let mut warnings = vec![];
    let mut paused = false;
    loop {
        select! {
            recv(handle.events()) -> ev => match ev {
                Ok(RehearsalEvent::Level { .. }) => {}
                Ok(ev) => {
                    if a.json {
                        json_line(&ev)?;
                    } else {
                        print_event(&ev)?;
                    }
                    match ev {
                        RehearsalEvent::Warning { message, .. } => warnings.push(message),
                        RehearsalEvent::Silent { seconds } => warnings.push(silent_line(seconds)),
                        RehearsalEvent::Paused { .. } => paused = true,
                        RehearsalEvent::Resumed { .. } => paused = false,
                        RehearsalEvent::Finished { .. } => break,
                        _ => {}
                    }
                }
                Err(_) => break,
            },
            recv(enter) -> m => match m {
                Ok(true) => handle.send(if paused { Command::Resume } else { Command::Pause }),
                Ok(false) => handle.send(Command::Next),
                Err(_) => enter = crossbeam_channel::never(),
            },
            recv(interrupted) -> _ => handle.send(Command::End),
            default(Duration::from_secs(1)) => {}
        }
    }
    let summary = handle.wait().map_err(|e| e.to_string())?;
    if !matches!(summary.status.as_str(), "finished" | "ended") {
        return Err(format!(
            "the recording stopped by itself ({}): {}; the session so far was saved as session {}",
            summary.status,
            warnings.last().cloned().unwrap_or_default(),
            summary.session_id
        ));
    }
    Ok(())
}

fn print_event(ev: &RehearsalEvent) -> Outcome {
    match ev {
        RehearsalEvent::VoiceUnavailable { reason } => {
            eprintln!("warning: no interviewer voices: {reason}");
            Ok(())
        }
        RehearsalEvent::Started { session_id, sample_rate, device, wav_path, length_secs, allow_pause } => {
            let pause = if *allow_pause { ", p + Enter = pause/resume" } else { "" };
            eprintln!(
                "rehearsal session {session_id}: recording from {device} at {sample_rate} Hz to {} ({length_secs} s planned); Enter = next question{pause}, Ctrl-C = end",
                wav_path.display()
            );
            Ok(())
        }
        RehearsalEvent::Paused { seconds, .. } => {
            eprintln!("paused at {seconds:.3} s: nothing is recorded, the clock stands still; p + Enter resumes");
            Ok(())
        }
        RehearsalEvent::Resumed { seconds, paused_secs, .. } => {
            eprintln!("resumed at {seconds:.3} s after {paused_secs:.1} s");
            Ok(())
        }
        RehearsalEvent::Marker { kind, label, speaker, sample_offset, seconds, .. } => say(format!(
            "{seconds:>9.3} s  {sample_offset:>10}  {:<15} {}{}",
            kind.as_str(),
            speaker.map(|s| format!("[{}] ", s.as_str())).unwrap_or_default(),
            label
        )),
        RehearsalEvent::Prompt { .. } | RehearsalEvent::Level { .. } | RehearsalEvent::Deadline { .. } => Ok(()),
        RehearsalEvent::TakeSaved { take_id, question_id, probe, duration_ms, .. } => say(format!(
            "             take {take_id}  {question_id}{}  {:.2} s",
            if probe.is_some() { " (probe)" } else { "" },
            *duration_ms as f64 / 1000.0
        )),
        RehearsalEvent::Warning { message, .. } => {
            eprintln!("warning: {message}");
            Ok(())
        }
        RehearsalEvent::Silent { seconds } => {
            eprintln!("warning: {}", silent_line(*seconds));
            Ok(())
        }
        RehearsalEvent::Finished { summary } => say(format!(
            "session {} {}: {:.2} s, {} markers, {} takes, {}",
            summary.session_id,
            summary.status,
            summary.seconds,
            summary.markers,
            summary.takes,
            summary.wav_path.display()
        )),
    }
}

fn silent_line(seconds: f64) -> String {
    format!("no input: the microphone has been silent for {seconds:.0} s (still recording)")
}

pub fn session_list(data_dir: Option<PathBuf>, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let list = lib.rehearsals().map_err(|e| e.to_string())?;
    if json {
        return print_json(&list);
    }
    for s in list {
        let secs = s.frames.map(|f| f as f64 / s.sample_rate.max(1) as f64).unwrap_or(0.0);
        say(format!("{:>5}  {}  {:<16} {:<10} {:>8.2} s  {}", s.id, s.started_at, s.template_id, s.status, secs, s.wav_path))?;
    }
    Ok(())
}

pub fn session_show(data_dir: Option<PathBuf>, id: i64, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let d = lib.rehearsal_detail(id).map_err(|e| e.to_string())?;
    if json {
        return print_json(&d);
    }
    let rate = d.session.sample_rate.max(1) as f64;
    say(format!("session {}  template {}  {}  {}", d.session.id, d.session.template_id, d.session.status, d.session.wav_path))?;
    for m in &d.markers {
        say(format!("{:>9.3} s  {:<15} {}", m.sample_offset as f64 / rate, m.kind.as_str(), m.label))?;
    }
    for t in &d.takes {
        say(format!(
            "take {}  {}  {:.2} s{}",
            t.id,
            t.question_id,
            t.duration_ms as f64 / 1000.0,
            t.probe.as_ref().map(|p| format!("  probe: {p}")).unwrap_or_default()
        ))?;
    }
    Ok(())
}

pub fn session_cue(data_dir: Option<PathBuf>, id: i64, file: &Path) -> Outcome {
    let lib = open(data_dir)?;
    lib.write_cue_sheet(id, file).map_err(|e| e.to_string())?;
    say(format!("wrote the cue sheet of session {id} to {}", file.display()))
}
