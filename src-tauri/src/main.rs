//! Rehearse desktop shell: wiring only. State, thin commands, and events to the UI;
//! everything else lives in rehearse-core and rehearse-audio.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod call;
mod commands;
mod error;
mod events;
mod metrics;
mod miccheck;
mod practice;
mod recorder;
mod review;
mod state;
mod stories;
mod transcripts;

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
            // Takes not transcribed yet (also those a crash or kill interrupted) are
            // transcribed in the background, oldest first.
            app.manage(transcripts::Transcription::default());
            transcripts::start(app.handle());
            Ok(())
        })
        .invoke_handler(bindings::builder().invoke_handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("rehearse: cannot start the window: {e}");
        std::process::exit(1);
    }
}
