//! Seeded randomness: one ChaCha8 stream per (seed, purpose, chunk), so that a chunk's output
//! depends on nothing but its index — the key to deterministic parallel generation — plus
//! the few distributions the generator needs (normal, log-normal, Poisson, weighted choice).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; each purpose gets independent numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    /// Village sizes and county-wide disaster events.
    County = 1,
    /// Households and members of a chunk (phase 1).
    Registry = 2,
    /// Incomes and feed rows of a chunk (phase 3).
    Events = 3,
}

/// SplitMix64 finaliser: spreads a seed so that nearby seeds give unrelated streams.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream for `purpose` and `chunk` under `seed`.
pub(crate) fn stream(seed: u64, purpose: Purpose, chunk: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ mix(purpose as u64)));
    rng.set_stream(chunk);
    rng
}

/// Distributions on top of any [`Rng`].
pub(crate) trait Draw: Rng {
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.random::<f64>() < p
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.random::<f64>()
    }

    /// Standard normal (Box–Muller, one value per call).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.random::<f64>(); // (0, 1]
        let u2 = self.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and σ of the log.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Log-normal with mean 1 (for multiplicative heterogeneity).
    fn mean_one(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal() - sigma * sigma / 2.0).exp()
    }

    /// Poisson with mean `lambda` (Knuth's method; a rounded normal above 30).
    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let v = lambda + lambda.sqrt() * self.normal();
            return v.round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.random::<f64>();
        while p > limit {
            k += 1;
            p *= self.random::<f64>();
        }
        k
    }

    /// Index chosen with the given integer weights.
    fn weighted_index(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.random_range(0..total);
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    /// A value chosen from `(value, weight)` pairs.
    fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u32 = table.iter().map(|e| e.1).sum();
        let mut r = self.random_range(0..total);
        for &(v, w) in table {
            if r < w {
                return v;
            }
            r -= w;
        }
        table[table.len() - 1].0
    }

    /// An element of a non-empty slice.
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.random_range(0..xs.len())]
    }
}

impl<R: Rng + ?Sized> Draw for R {}

/// A cumulative table for fast weighted choice among many values (surnames).
pub(crate) struct Cumulative {
    cum: Vec<u32>,
}

impl Cumulative {
    pub(crate) fn new(weights: impl IntoIterator<Item = u32>) -> Self {
        let mut total = 0;
        let cum = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cum }
    }

    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let total = *self.cum.last().expect("non-empty table");
        let r = rng.random_range(0..total);
        self.cum.partition_point(|&c| c <= r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map(|_| stream(7, Purpose::Registry, 3).random())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let b: u64 = stream(7, Purpose::Registry, 4).random();
        let c: u64 = stream(7, Purpose::Events, 3).random();
        let d: u64 = stream(8, Purpose::Registry, 3).random();
        assert!(a[0] != b && a[0] != c && a[0] != d);
    }

    #[test]
    fn poisson_and_lognormal_means() {
        let mut rng = stream(1, Purpose::County, 0);
        let n = 20_000;
        let mean = (0..n).map(|_| f64::from(rng.poisson(2.5))).sum::<f64>() / f64::from(n);
        assert!((mean - 2.5).abs() < 0.08, "{mean}");
        let mean = (0..n).map(|_| rng.mean_one(0.9)).sum::<f64>() / f64::from(n);
        assert!((mean - 1.0).abs() < 0.06, "{mean}");
        let c = Cumulative::new([1, 0, 3]);
        let picks: Vec<usize> = (0..1000).map(|_| c.sample(&mut rng)).collect();
        assert!(!picks.contains(&1));
        assert!(picks.iter().filter(|&&i| i == 2).count() > 650);
    }
}
