//! The boundary between Rust and the page, generated: every command (name, arguments,
//! result), every type they carry and every event (events.rs) is written to
//! `ui/src/bindings.ts` by tauri-specta, so the TypeScript side cannot drift from Rust.
//!
//! The checked-in file is compared with a fresh generation by this module's test (run by
//! `cargo test`, so by scripts/test.sh and CI): a Rust change that alters the boundary
//! fails until the file is regenerated with
//! `REHEARSE_WRITE_BINDINGS=1 cargo test -p rehearse bindings`.

use tauri_specta::{collect_commands, Builder, ErrorHandlingMode};

use crate::{call, commands, miccheck, practice, review, stories, transcripts};

/// The commands, for the invoke handler and the bindings alike.
pub fn builder() -> Builder<tauri::Wry> {
    let b = Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::app_status,
            commands::list_questions,
            commands::list_takes,
            commands::start_recording,
            commands::stop_recording,
            commands::play_take,
            commands::stop_playback,
            commands::delete_take,
            miccheck::list_inputs,
            miccheck::set_input,
            miccheck::list_outputs,
            miccheck::set_output,
            miccheck::mic_check,
            miccheck::mic_listen,
            miccheck::mic_listen_stop,
            practice::start_practice,
            practice::start_story_drill,
            practice::practice_command,
            practice::rate_take,
            practice::mark_best,
            commands::list_decks,
            commands::import_deck,
            commands::export_deck,
            commands::set_setting,
            commands::take_metrics,
            commands::list_schedule,
            call::list_templates,
            call::import_template,
            call::export_template,
            call::template_text,
            call::save_template_text,
            call::call_preflight,
            call::test_voices,
            call::start_call,
            call::call_command,
            call::call_detail,
            call::call_report,
            review::library_query,
            review::take_review,
            review::set_rubric,
            review::set_note,
            review::add_bookmark,
            review::delete_bookmark,
            review::rerate_candidates,
            review::blind_rerate,
            review::readiness,
            review::principle_grid,
            review::progress,
            review::take_peaks,
            review::play_take_at,
            review::take_silences,
            review::playback_control,
            review::export_take,
            review::export_session,
            review::export_all,
            review::import_all,
            transcripts::take_transcript,
            transcripts::set_take_language,
            transcripts::transcribe_again,
            transcripts::speech_settings,
            transcripts::set_speech_settings,
            transcripts::transcription_status,
            stories::list_stories,
            stories::story_detail,
            stories::save_story,
            stories::delete_story,
            stories::story_grid,
            stories::save_story_draft,
            stories::story_drafts,
            stories::discard_story_draft,
            stories::story_pick,
            stories::story_call_pick,
            stories::pick_call_story,
            stories::story_call_cue_card,
            stories::story_cue_card,
            stories::link_story_take,
            stories::story_take_parts,
            stories::set_story_take_part,
            stories::comparable_takes,
        ])
        // Commands reject with the CommandError ({ kind, message }) as before: the page
        // catches it where it shows it.
        .error_handling(ErrorHandlingMode::Throw)
        // Ids, sizes and durations are i64/u64 in Rust and far below 2^53 in practice (a
        // take id, milliseconds of audio, bytes of a library): plain numbers in the page,
        // as the JSON already delivers them.
        .dangerously_cast_bigints_to_number()
        // One TypeScript type per Rust type (no separate serialize/deserialize shapes).
        .disable_serde_phases()
        .typ::<crate::error::CommandError>();
    crate::events::register_types(b)
}

/// The whole of `ui/src/bindings.ts`.
#[cfg(test)]
pub fn typescript() -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("bindings.ts");
    builder()
        .export(specta_typescript::Typescript::default().header("// Generated from Rust by src-tauri/src/bindings.rs: do not edit.\n// Regenerate: REHEARSE_WRITE_BINDINGS=1 cargo test -p rehearse bindings"), &path)
        .map_err(|e| e.to_string())?;
    let mut out = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    out.push_str(&events_typescript());
    Ok(out)
}

/// The event table as typed listeners: `events.captureWarning((p) => ...)`.
#[cfg(test)]
fn events_typescript() -> String {
    let mut out = String::from(
        "\n/** Every event the shell sends (src-tauri/src/events.rs), by its accessor: name and payload type. */\n\
         import { listen as __listen, type UnlistenFn as __UnlistenFn } from \"@tauri-apps/api/event\";\n\n\
         export const EVENT_NAMES = {\n",
    );
    for (name, _) in crate::events::ALL {
        out.push_str(&format!("\t{}: \"{name}\",\n", camel(name)));
    }
    out.push_str("} as const;\n\nexport const events = {\n");
    for (name, ty) in crate::events::ALL {
        out.push_str(&format!(
            "\t{}: (f: (payload: {ty}) => void): Promise<__UnlistenFn> => __listen<{ty}>(\"{name}\", (e) => f(e.payload)),\n",
            camel(name)
        ));
    }
    out.push_str("};\n");
    out
}

/// "capture-disk-low" -> "captureDiskLow".
#[cfg(test)]
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in bindings are what the Rust code generates now; with
    /// REHEARSE_WRITE_BINDINGS set, they are rewritten instead.
    #[test]
    fn bindings_ts_is_regenerated_from_the_rust_boundary() {
        let fresh = typescript().expect("the bindings generate");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
        if std::env::var_os("REHEARSE_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("ui/src/bindings.ts is writable");
            return;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == fresh,
            "ui/src/bindings.ts differs from what the Rust commands, types and events generate: \
             regenerate it with `REHEARSE_WRITE_BINDINGS=1 cargo test -p rehearse bindings` and commit it"
        );
    }

    #[test]
    fn every_event_has_one_name_and_a_camel_case_accessor() {
        let mut names: Vec<_> = crate::events::ALL.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), crate::events::ALL.len(), "an event name is listed twice");
        assert_eq!(camel("capture-disk-low"), "captureDiskLow");
        assert_eq!(camel("practice"), "practice");
    }
}
