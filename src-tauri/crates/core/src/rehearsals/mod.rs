//! Timed video-call rehearsals without audio: the template format (`template`), the plan,
//! session rows, markers and takes cut from the session (`rehearsal`), and the session WAV
//! itself (`session_wav`). The driver with the clock and voices is the engine crate's.

pub mod rehearsal;
pub(crate) mod session_wav;
pub mod template;
