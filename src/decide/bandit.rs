//! Thompson sampling, deterministic per visitor and period: each arm's Beta
//! posterior is sampled from a generator seeded by (visitor, block, period),
//! and the arm with the highest draw wins. The same visitor sees the same
//! variant all period; across visitors, traffic follows the posteriors.

use crate::experiment::fnv1a32;

/// SplitMix64: a small, well-distributed generator for seeded draws.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        // Box–Muller.
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang.
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.unit();
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        // Accepts within a few rounds almost always; bounded so it always ends.
        for _ in 0..64 {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.unit().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
        d
    }

    fn beta(&mut self, alpha: f64, beta: f64) -> f64 {
        let x = self.gamma(alpha);
        let y = self.gamma(beta);
        if x + y > 0.0 {
            x / (x + y)
        } else {
            0.5
        }
    }
}

/// A seed from the visitor's id, the block and the period.
pub fn seed(visitor: &str, block: &str, period: u64) -> u64 {
    let hi = u64::from(fnv1a32(&format!("{block}:{period}:{visitor}")));
    let lo = u64::from(fnv1a32(&format!("{visitor}|{period}|{block}")));
    (hi << 32) | lo
}

/// The index (into `arms`) with the highest Beta draw.
pub fn choose(arms: &[(usize, f64, f64)], seed: u64) -> Option<usize> {
    let mut rng = SplitMix64(seed);
    let mut best: Option<(usize, f64)> = None;
    for (i, &(_, alpha, beta)) in arms.iter().enumerate() {
        let draw = rng.beta(alpha, beta);
        if best.is_none_or(|(_, d)| draw > d) {
            best = Some((i, draw));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_visitor_gets_the_same_draw_in_a_period() {
        let arms = [(0, 5.0, 5.0), (1, 5.0, 5.0), (2, 5.0, 5.0)];
        let a = choose(&arms, seed("visitor-1", "hero", 7));
        assert_eq!(a, choose(&arms, seed("visitor-1", "hero", 7)));
    }

    #[test]
    fn traffic_follows_the_posteriors() {
        // Arm 1 converts at ~30%, arm 0 at ~10%, with plenty of evidence.
        let arms = [(0, 11.0, 91.0), (1, 31.0, 71.0)];
        let wins = (0..10_000)
            .filter(|n| choose(&arms, seed(&format!("v{n}"), "hero", 1)) == Some(1))
            .count();
        assert!(wins > 9_500, "arm 1 won {wins} of 10000");
        // With equal posteriors the split is even.
        let even = [(0, 3.0, 3.0), (1, 3.0, 3.0)];
        let wins = (0..10_000)
            .filter(|n| choose(&even, seed(&format!("v{n}"), "hero", 1)) == Some(1))
            .count();
        assert!((4_700..=5_300).contains(&wins), "{wins}");
    }

    #[test]
    fn beta_draws_have_the_right_mean() {
        let mut rng = SplitMix64(42);
        let mean = (0..20_000).map(|_| rng.beta(2.0, 8.0)).sum::<f64>() / 20_000.0;
        assert!((mean - 0.2).abs() < 0.01, "{mean}");
        let mut rng = SplitMix64(7);
        let mean = (0..20_000).map(|_| rng.beta(0.5, 0.5)).sum::<f64>() / 20_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
