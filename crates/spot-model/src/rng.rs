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

/// A uniform single-precision value in [0, 1) for (key, index): SplitMix64's output at
/// position `index` of the stream starting at `key`, one mixing step per draw. Cheaper than
/// [`uniform`] for hot loops that draw once per token; `key` should come from [`derive`].
#[inline]
pub(crate) fn unit_f32(key: u64, index: u64) -> f32 {
    let h = mix(key.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    (h >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// An independent seed for one purpose (`tag`) of a run seeded with `seed`, so that the random
/// steps of an engine (initialisation, mini-batches, sweeps) never share numbers.
pub(crate) fn derive(seed: u64, tag: u64) -> u64 {
    mix(seed ^ mix(tag.wrapping_add(0x632b_e59b_d9b4_e019)))
}

/// A sequential stream of draws: the `i`-th draw is `uniform(seed, stream, i)`.
pub(crate) struct Stream {
    seed: u64,
    stream: u64,
    next: u64,
}

impl Stream {
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Stream {
            seed,
            stream,
            next: 0,
        }
    }

    /// A uniform double in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        let u = uniform(self.seed, self.stream, self.next);
        self.next += 1;
        u
    }

    /// A standard normal draw (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A Gamma(shape, scale) draw (Marsaglia and Tsang; shapes below 1 by boosting).
    pub(crate) fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if shape < 1.0 {
            let u = 1.0 - self.uniform();
            return self.gamma(shape + 1.0, scale) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = 1.0 - self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_in_range_and_varies() {
        let xs: Vec<f64> = (0..1000).map(|i| super::uniform(7, i, 3)).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
        assert_ne!(super::uniform(7, 1, 3), super::uniform(8, 1, 3));
        assert_eq!(super::uniform(7, 1, 3), super::uniform(7, 1, 3));
    }

    #[test]
    fn unit_f32_is_in_range_and_uniform() {
        let n = 100_000;
        let mut bins = [0usize; 10];
        for i in 0..n {
            let u = unit_f32(derive(5, 1), i);
            assert!((0.0..1.0).contains(&u));
            bins[(u * 10.0) as usize] += 1;
        }
        assert!(
            bins.iter().all(|&b| b.abs_diff(n as usize / 10) < 500),
            "{bins:?}"
        );
        assert_ne!(unit_f32(derive(5, 1), 7), unit_f32(derive(5, 2), 7));
    }

    #[test]
    fn gamma_has_the_right_mean() {
        let mut s = Stream::new(derive(3, 1), 0);
        for (shape, scale) in [(100.0, 0.01), (0.3, 1.0), (2.0, 3.0)] {
            let n = 20_000;
            let mean = (0..n).map(|_| s.gamma(shape, scale)).sum::<f64>() / n as f64;
            let want = shape * scale;
            assert!((mean - want).abs() < 0.05 * want, "{shape} {scale}: {mean}");
        }
    }
}
