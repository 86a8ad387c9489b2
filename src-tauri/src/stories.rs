//! Thin commands of the Stories screen and of the story pick in practice (core `stories`).

use rehearse_core::settings::Setting;
use rehearse_core::stories::{StoryGrid, TimeInParts};
use rehearse_core::{ComparableTakes, QuestionId, Story, StoryDetail, StoryDraft, StoryFields, StoryId, TakeId};
use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub fn list_stories(state: State<'_, AppState>) -> CmdResult<Vec<Story>> {
    Ok(state.library()?.stories()?)
}

#[tauri::command]
#[specta::specta]
pub fn story_detail(state: State<'_, AppState>, id: i64) -> CmdResult<StoryDetail> {
    Ok(state.library()?.story(StoryId(id))?)
}

/// Adds (no id) or edits a story based on the revision the editor opened; its draft goes.
#[tauri::command]
#[specta::specta]
pub fn save_story(state: State<'_, AppState>, id: Option<i64>, opened: Option<i64>, fields: StoryFields) -> CmdResult<Story> {
    let mut lib = state.library()?;
    let story = match id {
        None => lib.add_story(fields)?,
        Some(id) => lib.edit_story(StoryId(id), opened, fields)?,
    };
    lib.discard_story_draft(id.map(StoryId))?;
    Ok(story)
}

#[tauri::command]
#[specta::specta]
pub fn delete_story(state: State<'_, AppState>, id: i64) -> CmdResult<()> {
    Ok(state.library()?.delete_story(StoryId(id))?)
}

#[tauri::command]
#[specta::specta]
pub fn story_grid(state: State<'_, AppState>) -> CmdResult<StoryGrid> {
    Ok(state.library()?.story_grid()?)
}

#[tauri::command]
#[specta::specta]
pub fn save_story_draft(
    state: State<'_, AppState>,
    story_id: Option<i64>,
    base_revision: Option<i64>,
    body: serde_json::Value,
) -> CmdResult<StoryDraft> {
    Ok(state.library()?.save_story_draft(story_id.map(StoryId), base_revision, &body)?)
}

#[tauri::command]
#[specta::specta]
pub fn story_drafts(state: State<'_, AppState>) -> CmdResult<Vec<StoryDraft>> {
    Ok(state.library()?.story_drafts()?)
}

#[tauri::command]
#[specta::specta]
pub fn discard_story_draft(state: State<'_, AppState>, story_id: Option<i64>) -> CmdResult<()> {
    Ok(state.library()?.discard_story_draft(story_id.map(StoryId))?)
}

/// What the think time offers for a question: its stories, best fit first, and whether
/// the picked one's cue card shows.
#[derive(Serialize, specta::Type)]
pub struct StoryPick {
    stories: Vec<Story>,
    show_cue_card: bool,
}

#[tauri::command]
#[specta::specta]
pub fn story_pick(state: State<'_, AppState>, question_id: String) -> CmdResult<StoryPick> {
    let lib = state.library()?;
    let show_cue_card = lib.is_on(Setting::StoryCueCard)?;
    Ok(StoryPick { stories: lib.stories_for_question(&QuestionId(question_id))?, show_cue_card })
}

/// What a mock call offers when a question is asked: for a behavioural question its
/// stories, best fit first (none for another question), and whether the picked one's cue
/// card shows (setting `story_cue_card_call`, off unless "true").
#[tauri::command]
#[specta::specta]
pub fn story_call_pick(state: State<'_, AppState>, question_id: String) -> CmdResult<StoryPick> {
    let lib = state.library()?;
    let id = QuestionId(question_id);
    let show_cue_card = lib.is_on(Setting::StoryCueCardCall)?;
    let behavioural = lib.question(&id)?.category == rehearse_core::progress::BEHAVIOURAL;
    Ok(StoryPick { stories: if behavioural { lib.stories_for_question(&id)? } else { vec![] }, show_cue_card })
}

/// The story picked (None: no story) for the question being asked in mock call `session_id`:
/// stored at once, so the question's take is linked to it even if the call is cut short.
#[tauri::command]
#[specta::specta]
pub fn pick_call_story(state: State<'_, AppState>, session_id: i64, question_id: String, story_id: Option<i64>) -> CmdResult<()> {
    Ok(state.library()?.pick_call_story(session_id, &QuestionId(question_id), story_id.map(StoryId))?)
}

/// Whether the picked story's cue card shows in a mock call's pick moment.
#[tauri::command]
#[specta::specta]
pub fn story_call_cue_card(state: State<'_, AppState>) -> CmdResult<bool> {
    Ok(state.library()?.is_on(Setting::StoryCueCardCall)?)
}

/// Whether the picked story's cue card shows during the think time.
#[tauri::command]
#[specta::specta]
pub fn story_cue_card(state: State<'_, AppState>) -> CmdResult<bool> {
    Ok(state.library()?.is_on(Setting::StoryCueCard)?)
}

#[tauri::command]
#[specta::specta]
pub fn link_story_take(state: State<'_, AppState>, take_id: i64, story_id: Option<i64>) -> CmdResult<()> {
    Ok(state.library()?.link_take(TakeId(take_id), story_id.map(StoryId))?)
}

/// Time in each part of a take of a story (None when the take tells no story).
#[tauri::command]
#[specta::specta]
pub fn story_take_parts(state: State<'_, AppState>, take_id: i64) -> CmdResult<Option<TimeInParts>> {
    let lib = state.library()?;
    if lib.story_of_take(TakeId(take_id))?.is_none() {
        return Ok(None);
    }
    Ok(Some(lib.take_time_in_parts(TakeId(take_id))?))
}

/// Moves where a part of a story's take began (ms), or (None) goes back to the one found.
#[tauri::command]
#[specta::specta]
pub fn set_story_take_part(state: State<'_, AppState>, take_id: i64, part: String, at_ms: Option<u32>) -> CmdResult<TimeInParts> {
    Ok(state.library()?.set_take_part_boundary(TakeId(take_id), &part, at_ms.map(u64::from))?)
}

/// The takes review's A/B compare offers beside a take: its story's other tellings (across
/// questions), else the other takes of its question.
#[tauri::command]
#[specta::specta]
pub fn comparable_takes(state: State<'_, AppState>, take_id: i64) -> CmdResult<ComparableTakes> {
    Ok(state.library()?.comparable_takes(TakeId(take_id))?)
}
