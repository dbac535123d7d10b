//! Token buckets: bursts up to a capacity, then an average rate.

use std::cell::Cell;

/// A token bucket: bursts up to `capacity`, then `per_second` on average.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    tokens: Cell<f64>,
    last_ms: Cell<Option<f64>>,
}

impl RateLimiter {
    /// A full bucket.
    pub fn new(capacity: u32, per_second: u32) -> Self {
        Self {
            capacity: f64::from(capacity),
            per_second: f64::from(per_second),
            tokens: Cell::new(f64::from(capacity)),
            last_ms: Cell::new(None),
        }
    }

    /// Takes a token at `now_ms`, if there is one.
    pub fn allow(&self, now_ms: f64) -> bool {
        let elapsed_s = self
            .last_ms
            .get()
            .map_or(0.0, |last| ((now_ms - last) / 1000.0).max(0.0));
        self.last_ms.set(Some(now_ms));
        let tokens = (self.tokens.get() + elapsed_s * self.per_second).min(self.capacity);
        if tokens >= 1.0 {
            self.tokens.set(tokens - 1.0);
            true
        } else {
            self.tokens.set(tokens);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limiter_allows_bursts_then_the_average_rate() {
        let limiter = RateLimiter::new(3, 2);
        assert!((0..3).all(|_| limiter.allow(0.0)));
        assert!(!limiter.allow(0.0));
        assert!(limiter.allow(500.0), "one token back after half a second");
        assert!(!limiter.allow(500.0));
        assert!(
            (0..3).all(|_| limiter.allow(10_000.0)),
            "refilled to capacity, not beyond"
        );
        assert!(!limiter.allow(10_000.0));
    }
}
