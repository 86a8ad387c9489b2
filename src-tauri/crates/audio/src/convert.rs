//! Sample conversion done inside the audio callback: any cpal sample type, any channel
//! count, down-mixed to mono i16 (the stored take format). No allocation, no locks.

use cpal::{FromSample, Sample};

/// Averages the channels of one interleaved frame and converts it to i16.
#[inline]
pub fn frame_to_i16<T>(frame: &[T]) -> i16
where
    T: Sample,
    f32: FromSample<T>,
{
    let sum: f32 = frame.iter().map(|&s| f32::from_sample(s)).sum();
    let mean = sum / frame.len().max(1) as f32;
    i16::from_sample(mean.clamp(-1.0, 1.0))
}

/// Pushes the mono frames of `data` into the ring. Returns how many frames did not fit
/// (the writer fell behind); they are counted by the caller, never waited for.
#[inline]
pub fn push_frames<T>(data: &[T], channels: usize, ring: &mut rtrb::Producer<i16>) -> u64
where
    T: Sample,
    f32: FromSample<T>,
{
    let mut dropped = 0u64;
    for frame in data.chunks_exact(channels.max(1)) {
        if ring.push(frame_to_i16(frame)).is_err() {
            dropped += 1;
        }
    }
    dropped
}

/// Converts a mono i16 sample to an output sample type.
#[inline]
pub fn i16_to<T: Sample + FromSample<f32>>(s: i16) -> T {
    T::from_sample(f32::from_sample(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_f32_frames_are_averaged_to_mono_i16() {
        assert_eq!(frame_to_i16(&[0.5f32, 0.5]), i16::from_sample(0.5f32));
        assert_eq!(frame_to_i16(&[1.0f32, -1.0]), 0);
        assert_eq!(frame_to_i16(&[1.0f32, 1.0]), i16::MAX);
    }

    #[test]
    fn integer_and_unsigned_formats_keep_their_level() {
        assert_eq!(frame_to_i16(&[i16::MIN]), i16::MIN);
        assert_eq!(frame_to_i16(&[u16::MAX / 2 + 1]), 0);
        let from_i32 = frame_to_i16(&[i32::MAX / 2]);
        assert!((from_i32 - i16::MAX / 2).abs() <= 1, "{from_i32}");
        let from_f64 = frame_to_i16(&[-0.25f64]);
        assert!((from_f64 + 8192).abs() <= 1, "{from_f64}");
    }

    #[test]
    fn out_of_range_floats_are_clamped_not_wrapped() {
        assert_eq!(frame_to_i16(&[3.0f32]), i16::MAX);
        assert_eq!(frame_to_i16(&[-3.0f32]), i16::from_sample(-1.0f32));
    }

    #[test]
    fn a_full_ring_counts_dropped_frames_instead_of_blocking() {
        let (mut tx, mut rx) = rtrb::RingBuffer::<i16>::new(4);
        let data = [0.1f32; 12]; // 6 stereo frames into a ring of 4
        assert_eq!(push_frames(&data, 2, &mut tx), 2);
        assert_eq!(rx.slots(), 4);
        assert!(rx.pop().is_ok());
    }
}
