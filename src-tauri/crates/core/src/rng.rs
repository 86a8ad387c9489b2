//! SplitMix64: a small deterministic generator. A seeded practice order (and the deck draws
//! of a rehearsal) must repeat for its seed, and the tests and the library benchmark build
//! reproducible data with the same generator; one Fisher–Yates pass needs no dependency.

/// The generator; the value is its state (the seed to start with).
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    /// A number in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_of_a_seed_is_splitmix64_and_repeats() {
        // The reference values of SplitMix64 seeded with 0.
        let mut r = SplitMix64(0);
        assert_eq!([r.next_u64(), r.next_u64()], [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]);
        let (mut a, mut b) = (vec![1, 2, 3, 4, 5, 6], vec![1, 2, 3, 4, 5, 6]);
        SplitMix64(7).shuffle(&mut a);
        SplitMix64(7).shuffle(&mut b);
        assert_eq!(a, b);
        a.sort_unstable();
        assert_eq!(a, [1, 2, 3, 4, 5, 6]);
    }
}
