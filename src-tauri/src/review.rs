//! Thin commands of the review screen: the library query, a take's review (rubric,
//! bookmarks, re-rates, metrics), progress, waveform peaks, playback with seek and speed,
//! and exports. Everything is decided in rehearse-core and rehearse-audio.

use std::path::Path;

use rehearse_audio::PlaybackRequest;
use rehearse_core::analysis::{wav_skippable_silences, Span, SpeechMetrics};
use rehearse_core::{
    ArchiveReport, Bookmark, ExportReport, Library, PrincipleRow, ProgressPoint, ProgressScope, Question, Readiness, Rerate,
    RerateCandidate, Rubric, Take, TakeId, TakePage, TakeQuery,
};
use rehearse_engine::Activity;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use crate::error::{CmdResult, CommandError};
use crate::state::{lock, AppState};

#[tauri::command]
#[specta::specta]
pub fn library_query(state: State<'_, AppState>, query: TakeQuery) -> CmdResult<TakePage> {
    Ok(state.library()?.query_takes(&query)?)
}

/// Everything the detail pane shows about one take.
#[derive(Serialize, specta::Type)]
pub struct TakeReview {
    take: Take,
    question: Question,
    /// None when the audio cannot be read (a damaged take); the rest still shows.
    metrics: Option<SpeechMetrics>,
    bookmarks: Vec<Bookmark>,
    rerates: Vec<Rerate>,
}

#[tauri::command]
#[specta::specta]
pub fn take_review(state: State<'_, AppState>, take_id: i64) -> CmdResult<TakeReview> {
    let lib = state.library()?;
    let id = TakeId(take_id);
    let take = lib.take(id)?;
    let question = lib.question(&take.question_id)?;
    Ok(TakeReview { metrics: lib.take_metrics(id).ok(), bookmarks: lib.bookmarks(id)?, rerates: lib.rerates(id)?, question, take })
}

#[tauri::command]
#[specta::specta]
pub fn set_rubric(state: State<'_, AppState>, take_id: i64, rubric: Rubric) -> CmdResult<Take> {
    Ok(state.library()?.set_rubric(TakeId(take_id), &rubric)?)
}

#[tauri::command]
#[specta::specta]
pub fn set_note(state: State<'_, AppState>, take_id: i64, note: String) -> CmdResult<Take> {
    Ok(state.library()?.set_note(TakeId(take_id), &note)?)
}

#[tauri::command]
#[specta::specta]
pub fn add_bookmark(state: State<'_, AppState>, take_id: i64, at_ms: u64, note: String) -> CmdResult<Bookmark> {
    Ok(state.library()?.add_bookmark(TakeId(take_id), at_ms, &note)?)
}

#[tauri::command]
#[specta::specta]
pub fn delete_bookmark(state: State<'_, AppState>, id: i64) -> CmdResult<()> {
    Ok(state.library()?.delete_bookmark(id)?)
}

#[tauri::command]
#[specta::specta]
pub fn rerate_candidates(state: State<'_, AppState>, limit: usize) -> CmdResult<Vec<RerateCandidate>> {
    Ok(state.library()?.rerate_candidates(limit)?)
}

#[tauri::command]
#[specta::specta]
pub fn blind_rerate(state: State<'_, AppState>, take_id: i64, rating: u8) -> CmdResult<Rerate> {
    Ok(state.library()?.blind_rerate(TakeId(take_id), rating)?)
}

#[tauri::command]
#[specta::specta]
pub fn readiness(state: State<'_, AppState>) -> CmdResult<Readiness> {
    Ok(state.library()?.readiness(time::OffsetDateTime::now_utc())?)
}

#[tauri::command]
#[specta::specta]
pub fn principle_grid(state: State<'_, AppState>) -> CmdResult<Vec<PrincipleRow>> {
    Ok(state.library()?.principle_grid()?)
}

#[tauri::command]
#[specta::specta]
pub fn progress(state: State<'_, AppState>, scope: ProgressScope) -> CmdResult<Vec<ProgressPoint>> {
    Ok(state.library()?.progress(&scope)?)
}

/// Waveform overview: `width` columns of (min, max) in -1..1, from the take's peaks file
/// (written while recording; built once from the WAV when missing).
#[tauri::command]
#[specta::specta]
pub fn take_peaks(state: State<'_, AppState>, take_id: i64, width: usize) -> CmdResult<Vec<(f32, f32)>> {
    let path = {
        let lib = state.library()?;
        lib.take_path(&lib.take(TakeId(take_id))?)?
    };
    Ok(rehearse_audio::peaks_for(&path, width.clamp(1, 10_000))?)
}

/// Plays a take from a position at a speed (0.75-2, pitch kept), leaving out its long
/// silences when asked; replaces any playback. Off the main thread: finding the silences
/// reads the whole take (about 30 ms a minute of audio).
#[tauri::command(async)]
#[specta::specta]
pub fn play_take_at(
    app: AppHandle,
    state: State<'_, AppState>,
    take_id: i64,
    from_ms: u64,
    speed: f32,
    skip_silences: bool,
) -> CmdResult<u64> {
    let (path, output) = {
        let lib = state.library()?;
        (lib.take_path(&lib.take(TakeId(take_id))?)?, crate::miccheck::resolve_output(&lib)?)
    };
    let skip = if skip_silences { wav_skippable_silences(&path)?.iter().map(Span::range).collect() } else { vec![] };
    let req = PlaybackRequest { path, output, start_ms: from_ms, speed, skip };
    crate::commands::start_playback(app, &state, take_id, req)
}

/// The silences "skip silences" leaves out of a take (shaded on its waveform). Off the
/// main thread, as it reads the whole take.
#[tauri::command(async)]
#[specta::specta]
pub fn take_silences(state: State<'_, AppState>, take_id: i64) -> CmdResult<Vec<Span>> {
    let path = {
        let lib = state.library()?;
        lib.take_path(&lib.take(TakeId(take_id))?)?
    };
    Ok(wav_skippable_silences(&path)?)
}

#[derive(Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    Pause(()),
    Resume(()),
    Seek(u64),
    Speed(f32),
}

#[tauri::command]
#[specta::specta]
pub fn playback_control(state: State<'_, AppState>, control: Control) -> CmdResult<()> {
    let slot = lock(&state.playback);
    let h = slot.as_ref().ok_or_else(|| CommandError::new("not_playing", "nothing is playing"))?;
    match control {
        Control::Pause(()) => h.pause(),
        Control::Resume(()) => h.resume(),
        Control::Seek(ms) => h.seek(ms),
        Control::Speed(s) => h.set_speed(s)?,
    }
    Ok(())
}

// The save dialog has already asked before replacing a file, so exports may overwrite.

#[tauri::command]
#[specta::specta]
pub fn export_take(state: State<'_, AppState>, take_id: i64, path: String) -> CmdResult<String> {
    Ok(state.library()?.export_take(TakeId(take_id), Path::new(&path), true)?.display().to_string())
}

#[tauri::command]
#[specta::specta]
pub fn export_session(state: State<'_, AppState>, session_id: i64, path: String) -> CmdResult<ExportReport> {
    Ok(state.library()?.export_session(session_id, Path::new(&path), true)?)
}

/// Progress of a long export or import, as the event "archive".
#[derive(Clone, Serialize, specta::Type)]
pub struct ArchiveProgress {
    op: &'static str,
    done: u64,
    total: u64,
}

/// Passes progress on at most every 100 ms (and always the last step).
fn archive_progress<'a>(app: &'a AppHandle, op: &'static str) -> impl FnMut(u64, u64) + 'a {
    let mut last = std::time::Instant::now() - std::time::Duration::from_secs(1);
    move |done, total| {
        if done == total || last.elapsed() >= std::time::Duration::from_millis(100) {
            last = std::time::Instant::now();
            crate::events::ARCHIVE.emit(app, &ArchiveProgress { op, done, total });
        }
    }
}

/// Writes everything to one archive. Runs off the main thread on a library of its own (the
/// database is in WAL mode), so the window stays responsive and other commands are not
/// held up by a long copy.
#[tauri::command(async)]
#[specta::specta]
pub fn export_all(app: AppHandle, state: State<'_, AppState>, path: String) -> CmdResult<ArchiveReport> {
    let _running = state.begin(Activity::Export)?;
    let dir = state.library()?.data_dir().clone();
    let lib = Library::open(dir)?;
    Ok(lib.export_all_with_progress(Path::new(&path), true, archive_progress(&app, "export"))?)
}

/// Restores an archive into this (empty) library: all or nothing.
#[tauri::command(async)]
#[specta::specta]
pub fn import_all(app: AppHandle, state: State<'_, AppState>, path: String) -> CmdResult<ArchiveReport> {
    // Refused while anything else runs in this window (a practice session and a call
    // between their takes too), and nothing else starts until the import is done.
    let _running = state.begin(Activity::Import)?;
    // The core's import then holds the data folder alone until its swap is done.
    let mut lib = state.library()?;
    // No other connection may stay open on the database file the import moves away.
    if !crate::metrics::close(&app, std::time::Duration::from_secs(30)) {
        return Err(CommandError::new("busy", "speech metrics are being measured; try again in a moment"));
    }
    crate::transcripts::stop(&app);
    let report = lib.import_all_with_progress(Path::new(&path), archive_progress(&app, "import"));
    drop(lib);
    crate::metrics::poke(&app);
    crate::transcripts::start(&app);
    Ok(report?)
}
