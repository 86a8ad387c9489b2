//! Measures the speech of takes in the background (rehearse-core's `measure_pending`), so
//! the progress charts can show time to first word and long pauses without reading WAVs.
//! One thread with a library of its own on the same folder; poked at start (takes from
//! before schema v7, recovered takes) and whenever a take is saved. It reports
//! `{done, total}` as the event "metrics"; the progress view redraws when it is done.

use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};
use rehearse_core::{DataDir, Library};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

pub const EV_METRICS: &str = "metrics";

/// How often progress is passed on while measuring.
const REPORT_EVERY: Duration = Duration::from_millis(250);

pub struct MetricsWorker {
    tx: Sender<()>,
}

#[derive(Debug, Clone, Serialize)]
struct MetricsProgress {
    done: u64,
    total: u64,
    /// Takes whose file could not be measured (missing or unreadable) in this pass.
    failed: usize,
    finished: bool,
}

impl MetricsWorker {
    pub fn spawn(app: AppHandle, dir: DataDir) -> Self {
        let (tx, rx) = unbounded();
        let spawned = std::thread::Builder::new().name("rehearse-metrics".into()).spawn(move || run(app, dir, rx));
        if let Err(e) = spawned {
            eprintln!("rehearse: speech metrics will not be measured in the background: {e}");
        }
        MetricsWorker { tx }
    }
}

/// Asks the worker to measure whatever is not measured yet (no effect before it exists).
pub fn poke(app: &AppHandle) {
    if let Some(w) = app.try_state::<MetricsWorker>() {
        let _ = w.tx.send(());
    }
}

fn run(app: AppHandle, dir: DataDir, rx: Receiver<()>) {
    let mut lib: Option<Library> = None;
    while rx.recv().is_ok() {
        while rx.try_recv().is_ok() {}
        if lib.is_none() {
            match Library::open(dir.clone()) {
                Ok(l) => lib = Some(l),
                Err(e) => {
                    eprintln!("rehearse: speech metrics: {e}");
                    continue;
                }
            }
        }
        let Some(l) = lib.as_ref() else { continue };
        let mut last = Instant::now() - REPORT_EVERY;
        let mut latest = (0, 0);
        let measured = l.measure_pending(|done, total| {
            latest = (done, total);
            if last.elapsed() >= REPORT_EVERY {
                last = Instant::now();
                let _ = app.emit(EV_METRICS, MetricsProgress { done, total, failed: 0, finished: false });
            }
        });
        match measured {
            Ok(failed) => {
                for (id, why) in &failed {
                    eprintln!("rehearse: take {id} has no speech metrics: {why}");
                }
                if latest.1 > 0 {
                    let _ = app.emit(EV_METRICS, MetricsProgress { done: latest.0, total: latest.1, failed: failed.len(), finished: true });
                }
            }
            Err(e) => eprintln!("rehearse: speech metrics: {e}"),
        }
    }
}
