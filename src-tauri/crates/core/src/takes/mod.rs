//! Takes after they are recorded: crash recovery of what a recording left (`recovery`,
//! `wav_repair`) and a take's speech metrics, measured from its WAV (`analysis`) and kept
//! once computed (`metrics_store`). Planning and committing a take is `Library`'s own.

pub mod analysis;
pub mod metrics_store;
pub mod recovery;
pub mod wav_repair;
