//! Rehearse desktop shell: wiring only. State, thin commands, and events to the UI;
//! everything else lives in rehearse-core and rehearse-audio.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod call;
mod commands;
mod error;
mod metrics;
mod miccheck;
mod practice;
mod recorder;
mod review;
mod state;

use tauri::Manager;

fn main() {
    let state = state::AppState::open();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            // Speech metrics are measured in the background, starting with any takes not
            // measured yet (from before they were kept, or recovered at this start).
            let dir = app.state::<state::AppState>().library().ok().map(|lib| lib.data_dir().clone());
            if let Some(dir) = dir {
                app.manage(metrics::MetricsWorker::spawn(app.handle().clone(), dir));
                metrics::poke(app.handle());
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
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
            practice::start_practice,
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
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("rehearse: cannot start the window: {e}");
        std::process::exit(1);
    }
}
