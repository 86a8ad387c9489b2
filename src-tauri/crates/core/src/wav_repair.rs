//! WAV header repair for takes left behind by a crash (being written by a helper).
