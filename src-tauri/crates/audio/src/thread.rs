//! The ready handshake of the threads that own a cpal stream: spawn, then wait for the
//! stream to be built (or for the reason it could not be); and bounded joins, so that a
//! stream whose backend never returns (ALSA's pulse plugin after the sound server died)
//! is left on its own thread instead of hanging whoever waits for it.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::error::AudioError;

/// How long opening a device may take before the sound system is taken to be stuck. Far
/// more than it ever takes (some 50-200 ms, a second on a loaded machine).
pub(crate) const OPEN_WITHIN: Duration = Duration::from_secs(8);

/// How long a stream's thread is given to close its device once told to stop.
pub(crate) const CLOSE_WITHIN: Duration = Duration::from_secs(1);

/// Spawns `body` on a named thread, handing it the sender of its ready message, and waits
/// for that message, at most [`OPEN_WITHIN`]. On failure the thread is joined before the
/// error is returned; when the device does not answer in time it is left to end on its own
/// (its ready message then finds nobody, and `body` must undo what it started).
pub(crate) fn spawn_with_handshake<T, R, F>(name: &str, body: F) -> Result<(T, JoinHandle<R>), AudioError>
where
    T: Send + 'static,
    R: Send + 'static,
    F: FnOnce(Sender<Result<T, AudioError>>) -> R + Send + 'static,
{
    let (ready_tx, ready_rx): (_, Receiver<Result<T, AudioError>>) = bounded(1);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || body(ready_tx))
        .map_err(|e| AudioError::Stream(format!("cannot start the {name} thread: {e}")))?;
    match ready_rx.recv_timeout(OPEN_WITHIN) {
        Ok(Ok(v)) => Ok((v, thread)),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(RecvTimeoutError::Timeout) => Err(AudioError::Stream(format!(
            "the sound system did not open the device within {} s (is the sound server stuck?)",
            OPEN_WITHIN.as_secs()
        ))),
        Err(RecvTimeoutError::Disconnected) => {
            let _ = thread.join();
            Err(AudioError::ThreadGone)
        }
    }
}

/// Joins `thread` if it ends within `within`; otherwise leaves it running on its own
/// (detached) and returns None.
pub(crate) fn join_within<R>(thread: JoinHandle<R>, within: Duration) -> Option<R> {
    let until = Instant::now() + within;
    while !thread.is_finished() {
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    thread.join().ok()
}
