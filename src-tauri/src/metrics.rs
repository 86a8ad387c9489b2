//! Measures the speech of takes in the background (rehearse-core's `measure_pending`), so
//! the progress charts can show time to first word and long pauses without reading WAVs.
//! One thread with a library of its own on the same folder; poked at start (takes from
//! before schema v7, recovered takes) and whenever a take is saved. It reports
//! `{done, total}` as the event "metrics"; the progress view redraws when it is done.

use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};
use rehearse_core::{DataDir, Library};
use serde::Serialize;
use tauri::{AppHandle, Manager};

/// How often progress is passed on while measuring.
const REPORT_EVERY: Duration = Duration::from_millis(250);

pub struct MetricsWorker {
    tx: Sender<Msg>,
}

enum Msg {
    /// Measure what is not measured yet.
    Poke,
    /// Close the worker's database connection and say so (an archive import is about to
    /// move the database file: a connection left open on the moved file would, when closed
    /// later, delete the new database's WAL file by its name). The next poke reopens it.
    Close(Sender<()>),
}

/// Background measuring of speech metrics (event "metrics").
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MetricsProgress {
    done: u64,
    total: u64,
    /// Takes whose file could not be measured (missing or unreadable) in this pass.
    failed: usize,
    finished: bool,
}

impl MetricsWorker {
    pub fn spawn(app: AppHandle, dir: DataDir) -> Self {
        let (tx, rx) = unbounded::<Msg>();
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
        let _ = w.tx.send(Msg::Poke);
    }
}

/// Closes the worker's connection to the database; false if it did not within `wait`
/// (it is measuring a long take).
pub fn close(app: &AppHandle, wait: Duration) -> bool {
    let Some(w) = app.try_state::<MetricsWorker>() else { return true };
    let (ack, done) = crossbeam_channel::bounded(1);
    w.tx.send(Msg::Close(ack)).is_ok() && done.recv_timeout(wait).is_ok()
}

fn run(app: AppHandle, dir: DataDir, rx: Receiver<Msg>) {
    let mut lib: Option<Library> = None;
    while let Ok(msg) = rx.recv() {
        let mut close = match msg {
            Msg::Poke => None,
            Msg::Close(ack) => Some(ack),
        };
        // Pokes that queued up meanwhile are one pass; a close among them wins.
        while let Ok(m) = rx.try_recv() {
            if let Msg::Close(ack) = m {
                close = Some(ack);
            }
        }
        if let Some(ack) = close {
            lib = None;
            let _ = ack.send(());
            continue;
        }
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
                crate::events::METRICS.emit(&app, &MetricsProgress { done, total, failed: 0, finished: false });
            }
        });
        match measured {
            Ok(failed) => {
                for (id, why) in &failed {
                    eprintln!("rehearse: take {id} has no speech metrics: {why}");
                }
                if latest.1 > 0 {
                    crate::events::METRICS
                        .emit(&app, &MetricsProgress { done: latest.0, total: latest.1, failed: failed.len(), finished: true });
                }
            }
            Err(e) => eprintln!("rehearse: speech metrics: {e}"),
        }
    }
}
