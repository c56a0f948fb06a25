//! Counter-based randomness: a value is a pure function of (seed, stream, index), so parallel
//! work draws the same numbers whatever the thread count or scheduling.

/// SplitMix64's finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform double in [0, 1) for (seed, a, b).
pub(crate) fn uniform(seed: u64, a: u64, b: u64) -> f64 {
    let h = mix(mix(seed ^ 0x9e37_79b9_7f4a_7c15)
        .wrapping_add(a)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ b);
    let h = mix(h.wrapping_add(b));
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn uniform_is_in_range_and_varies() {
        let xs: Vec<f64> = (0..1000).map(|i| super::uniform(7, i, 3)).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
        assert_ne!(super::uniform(7, 1, 3), super::uniform(8, 1, 3));
        assert_eq!(super::uniform(7, 1, 3), super::uniform(7, 1, 3));
    }
}
