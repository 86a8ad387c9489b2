//! The ready handshake of the threads that own a cpal stream: spawn, then wait for the
//! stream to be built (or for the reason it could not be).

use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::AudioError;

/// Spawns `body` on a named thread, handing it the sender of its ready message, and waits
/// for that message. On failure the thread is joined before the error is returned.
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
    match ready_rx.recv() {
        Ok(Ok(v)) => Ok((v, thread)),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(AudioError::ThreadGone)
        }
    }
}
