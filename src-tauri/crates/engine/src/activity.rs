//! "May this start now?" answered in one place for one process: a recording, a practice
//! session, a mock call, a mic check, an import or an export of everything.
//!
//! One slot says what runs. [`ActivityState::begin`] takes the slot's lock for a moment,
//! looks and claims it; it never holds that lock while it takes another, so there is one
//! lock order whatever the front end does (this lock is always the innermost). What started
//! holds the [`Ticket`] for its whole life, on the thread that runs it: when the ticket is
//! dropped (the recording saved, the session ended, the thread gone, even by a panic), the
//! slot is free again without anyone having to remember to clear it.
//!
//! Across processes (the window and rehearse-cli on the same data folder) the core's data
//! folder lock still decides between a recording and an import or export of everything;
//! this state decides first, in-process, without touching the disk.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde::Serialize;

/// What may run in a process. One at a time: each of them uses the microphone or the
/// whole data folder (an import replaces the database every other one writes to).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Recording,
    Practice,
    Call,
    MicCheck,
    Import,
    Export,
}

impl Activity {
    pub const ALL: [Activity; 6] =
        [Activity::Recording, Activity::Practice, Activity::Call, Activity::MicCheck, Activity::Import, Activity::Export];

    /// How a sentence names it ("a recording is running").
    pub fn noun(self) -> &'static str {
        match self {
            Activity::Recording => "a recording",
            Activity::Practice => "a practice session",
            Activity::Call => "a mock call",
            Activity::MicCheck => "a mic check",
            Activity::Import => "an import of everything",
            Activity::Export => "an export of everything",
        }
    }

    /// The stable error kind of a start refused because this one runs (the UI words it in
    /// its own language from this kind).
    pub fn busy_kind(self) -> &'static str {
        match self {
            Activity::Recording => "busy_recording",
            Activity::Practice => "busy_practice",
            Activity::Call => "busy_call",
            Activity::MicCheck => "busy_mic_check",
            Activity::Import => "busy_import",
            Activity::Export => "busy_export",
        }
    }
}

/// May `wanted` start while `running` runs? The one table of the rule. Today nothing runs
/// beside anything else: two captures would fight over the microphone, and an import or
/// export of everything must see the data folder still. A pair that becomes allowed is
/// one arm here, and its test says why.
pub fn may_run_beside(running: Activity, wanted: Activity) -> bool {
    let _ = (running, wanted);
    false
}

/// A start refused because something else runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.sentence())]
pub struct Busy {
    pub running: Activity,
    pub wanted: Activity,
}

impl Busy {
    pub fn kind(&self) -> &'static str {
        self.running.busy_kind()
    }

    fn sentence(&self) -> String {
        if self.running == self.wanted {
            format!("{} is already running; nothing was changed", capital(self.running.noun()))
        } else {
            format!(
                "{} is running, so {} cannot start until it has finished; nothing was changed",
                capital(self.running.noun()),
                self.wanted.noun()
            )
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Held by whatever started, for as long as it runs. Dropping it ends the activity.
#[derive(Debug)]
pub struct Ticket {
    what: Activity,
    _alive: Arc<()>,
}

impl Ticket {
    pub fn activity(&self) -> Activity {
        self.what
    }
}

#[derive(Debug, Default)]
pub struct ActivityState {
    running: Mutex<Option<(Activity, Weak<()>)>>,
}

impl ActivityState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Claims the slot for `what`, or says what runs. Never waits for anything but this
    /// one short lock.
    pub fn begin(&self, what: Activity) -> Result<Ticket, Busy> {
        let mut slot = self.slot();
        if let Some(running) = live(&slot) {
            if !may_run_beside(running, what) {
                return Err(Busy { running, wanted: what });
            }
        }
        let alive = Arc::new(());
        *slot = Some((what, Arc::downgrade(&alive)));
        Ok(Ticket { what, _alive: alive })
    }

    /// What runs now, if anything.
    pub fn running(&self) -> Option<Activity> {
        live(&self.slot())
    }

    fn slot(&self) -> MutexGuard<'_, Option<(Activity, Weak<()>)>> {
        // A poisoned lock only means a thread panicked while looking; the slot is still valid.
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn live(slot: &Option<(Activity, Weak<()>)>) -> Option<Activity> {
    slot.as_ref().filter(|(_, alive)| alive.strong_count() > 0).map(|(what, _)| *what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Activity::*;

    fn refused(running: Activity, wanted: Activity) -> Busy {
        let state = ActivityState::new();
        let _held = state.begin(running).expect("the first start is allowed");
        let busy = state.begin(wanted).expect_err("the second start is refused");
        assert_eq!(state.running(), Some(running), "the refusal changed nothing");
        busy
    }

    #[test]
    fn a_recording_is_refused_during_a_call() {
        let b = refused(Call, Recording);
        assert_eq!(b.kind(), "busy_call");
        assert_eq!(b.to_string(), "A mock call is running, so a recording cannot start until it has finished; nothing was changed");
    }

    #[test]
    fn a_practice_session_is_refused_during_a_recording() {
        assert_eq!(refused(Recording, Practice).kind(), "busy_recording");
    }

    #[test]
    fn a_practice_session_is_refused_during_a_call() {
        assert_eq!(refused(Call, Practice).kind(), "busy_call");
    }

    #[test]
    fn a_mic_check_is_refused_during_a_practice_session() {
        assert_eq!(refused(Practice, MicCheck).kind(), "busy_practice");
    }

    #[test]
    fn a_mic_check_is_refused_during_a_call_and_a_recording() {
        assert_eq!(refused(Call, MicCheck).kind(), "busy_call");
        assert_eq!(refused(Recording, MicCheck).kind(), "busy_recording");
    }

    #[test]
    fn a_recording_is_refused_during_a_mic_check() {
        assert_eq!(refused(MicCheck, Recording).kind(), "busy_mic_check");
    }

    #[test]
    fn an_import_is_refused_during_any_other_activity() {
        for running in [Recording, Practice, Call, MicCheck, Export, Import] {
            assert_eq!(refused(running, Import).running, running);
        }
    }

    #[test]
    fn an_export_is_refused_during_an_import_and_nothing_starts_during_an_import() {
        assert_eq!(refused(Import, Export).kind(), "busy_import");
        for wanted in Activity::ALL {
            assert_eq!(refused(Import, wanted).kind(), "busy_import");
        }
    }

    #[test]
    fn a_second_start_of_the_same_kind_says_it_is_already_running() {
        let b = refused(Recording, Recording);
        assert_eq!(b.to_string(), "A recording is already running; nothing was changed");
        assert_eq!(refused(Call, Call).kind(), "busy_call");
    }

    #[test]
    fn every_pair_is_refused_and_names_both_sides() {
        for running in Activity::ALL {
            for wanted in Activity::ALL {
                let b = refused(running, wanted);
                let text = b.to_string();
                assert!(text.to_lowercase().contains(running.noun()), "{text}");
                if running != wanted {
                    assert!(text.contains(wanted.noun()), "{text}");
                }
            }
        }
    }

    #[test]
    fn dropping_the_ticket_frees_the_slot_for_anything() {
        let state = ActivityState::new();
        let t = state.begin(Call).expect("free");
        assert_eq!(t.activity(), Call);
        drop(t);
        assert_eq!(state.running(), None);
        for wanted in Activity::ALL {
            drop(state.begin(wanted).expect("free again"));
        }
    }

    #[test]
    fn a_ticket_dropped_on_the_thread_that_ran_frees_the_slot_even_after_a_panic() {
        let state = Arc::new(ActivityState::new());
        let t = state.begin(Recording).expect("free");
        let worker = std::thread::spawn(move || {
            let _t = t;
            panic!("the activity failed");
        });
        assert!(worker.join().is_err());
        assert_eq!(state.running(), None);
        drop(state.begin(Import).expect("free after the panic"));
    }

    #[test]
    fn of_many_threads_starting_at_once_exactly_one_wins() {
        let state = Arc::new(ActivityState::new());
        let (go, tried) = (Arc::new(std::sync::Barrier::new(12)), Arc::new(std::sync::Barrier::new(12)));
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let (state, go, tried) = (state.clone(), go.clone(), tried.clone());
                std::thread::spawn(move || {
                    go.wait();
                    let r = state.begin(Activity::ALL[i % 6]);
                    // A won ticket is held until every thread has tried.
                    tried.wait();
                    r.is_ok()
                })
            })
            .collect();
        let won = handles.into_iter().map(|h| h.join().expect("a starter thread")).filter(|&w| w).count();
        assert_eq!(won, 1);
    }
}
