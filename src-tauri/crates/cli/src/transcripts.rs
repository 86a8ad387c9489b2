//! `transcribe` and `transcript`: what was said in a take, heard by the offline speech model
//! through the engine's transcription worker (the same code the window runs).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rehearse_core::storage::transcripts::StoredTranscript;
use rehearse_core::transcript_analysis::{render_text, TranscriptReport};
use rehearse_core::transcript_store::{TranscriptState, LANGUAGES};
use rehearse_core::{Library, TakeId};
use rehearse_engine::speech_model::{load_model, model_path, SPEECH_MODEL_SETTING};
use rehearse_engine::transcribe::{lower_this_thread_priority, transcribe_pending, transcribe_take, Hear};

use crate::commands::{open, print_json, say, Outcome};

/// The model named by `--model`, else the setting, else the installed one; why not, as one line.
fn model(lib: &Library, given: Option<PathBuf>) -> Result<Box<dyn Hear>, String> {
    let setting = lib.get(SPEECH_MODEL_SETTING).map_err(|e| e.to_string())?;
    load_model(model_path(given.as_deref(), setting.as_deref())).map_err(|off| off.reason)
}

pub fn transcribe(
    data_dir: Option<PathBuf>,
    take: Option<i64>,
    pending: bool,
    language: Option<String>,
    model_file: Option<PathBuf>,
    json: bool,
) -> Outcome {
    if let Some(l) = language.as_deref().filter(|l| !LANGUAGES.contains(l)) {
        return Err(format!("--language \"{l}\" is not en or ko"));
    }
    let mut lib = open(data_dir)?;
    match (take, pending) {
        (Some(_), true) => Err("give a TAKE_ID or --pending, not both".into()),
        (None, false) => Err("give a TAKE_ID to transcribe, or --pending for every take not transcribed yet".into()),
        (Some(id), false) => {
            // The take is checked before the model loads: an unknown take is named first.
            lib.take(TakeId(id)).map_err(|e| e.to_string())?;
            let mut m = model(&lib, model_file)?;
            lower_this_thread_priority();
            let stored =
                transcribe_take(&mut lib, m.as_mut(), TakeId(id), language.as_deref(), &mut |_| true).map_err(|e| e.to_string())?;
            if json {
                return print_json(&stored);
            }
            print_transcript(&stored)?;
            print_analysis(lib.take_transcript_report(TakeId(id)).map_err(|e| e.to_string())?.as_ref())
        }
        (None, true) => {
            if language.is_some() {
                return Err("--language applies to one take (TAKE_ID), not to --pending".into());
            }
            let mut m = model(&lib, model_file)?;
            lower_this_thread_priority();
            let cancel = Arc::new(AtomicBool::new(false));
            let c = cancel.clone();
            let _ = ctrlc::set_handler(move || c.store(true, Ordering::Relaxed));
            let mut last = (0, 0u64);
            let report = transcribe_pending(&mut lib, m.as_mut(), &cancel, &mut |p| {
                if (p.index, p.take_id.0 as u64) != (last.0, last.1) {
                    last = (p.index, p.take_id.0 as u64);
                    eprintln!("transcribing {} of {} (take {})", p.index, p.total, p.take_id);
                }
            })
            .map_err(|e| e.to_string())?;
            for (id, why) in &report.failed {
                eprintln!("warning: take {id}: {why}");
            }
            if json {
                return print_json(&report);
            }
            say(format!(
                "transcribed {} take(s){}{}",
                report.transcribed.len(),
                if report.failed.is_empty() { String::new() } else { format!(", {} failed", report.failed.len()) },
                if report.cancelled { "; interrupted: the rest stay pending" } else { "" }
            ))
        }
    }
}

pub fn transcript(data_dir: Option<PathBuf>, take: i64, json: bool) -> Outcome {
    let lib = open(data_dir)?;
    let id = TakeId(take);
    let stored = lib.transcript(id).map_err(|e| e.to_string())?;
    let state = lib.transcript_state(id, None).map_err(|e| e.to_string())?;
    let Some(stored) = stored else {
        return Err(format!("take {take} has not been transcribed yet (rehearse-cli transcribe {take})"));
    };
    let analysis = lib.take_transcript_report(id).map_err(|e| e.to_string())?;
    if json {
        return print_json(&serde_json::json!({
            "take_id": take,
            "status": stored.status,
            "failure": stored.failure,
            "state": state,
            "language": stored.transcript.language,
            "model": stored.transcript.model,
            "created_at": stored.created_at,
            "text": stored.transcript.text(),
            "segments": stored.transcript.segments,
            "analysis": analysis,
        }));
    }
    if let TranscriptState::Outdated { reason } = &state {
        eprintln!("note: this transcript is outdated: {reason}; `rehearse-cli transcribe {take}` makes it again");
    }
    print_transcript(&stored)?;
    print_analysis(analysis.as_ref())
}

/// The figures (pace against its band, fillers with times, I/we, key points heard) after the text.
fn print_analysis(r: Option<&TranscriptReport>) -> Outcome {
    match r {
        Some(r) => say(format!("\n{}", render_text(r).trim_end())),
        None => Ok(()),
    }
}

fn clock(ms: u64) -> String {
    format!("{}:{:02}.{}", ms / 60_000, ms / 1000 % 60, ms % 1000 / 100)
}

fn print_transcript(s: &StoredTranscript) -> Outcome {
    if let Some(why) = s.failure.as_deref().filter(|_| s.status == "failed") {
        return Err(format!("take {} could not be transcribed: {why}", s.take_id));
    }
    say(format!(
        "take {} · {} · {} ({})",
        s.take_id,
        s.transcript.language,
        s.transcript.model.name,
        &s.transcript.model.sha256.get(..12).unwrap_or("")
    ))?;
    for seg in &s.transcript.segments {
        say(format!("[{} - {}] {}", clock(seg.start_ms), clock(seg.end_ms), seg.text.trim()))?;
    }
    Ok(())
}
