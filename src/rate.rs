//! Token buckets per key (per visitor): bursts up to a capacity, then an
//! average rate.

use std::cell::RefCell;
use std::collections::HashMap;

/// One token bucket per key, in memory, for at most `max_keys` keys: when
/// full, buckets that have refilled (their key idle long enough to be back
/// at capacity) are forgotten first, and if none has, all are (a flood of
/// new keys must not grow memory; each key then starts full again).
#[derive(Debug)]
pub struct KeyedRateLimiter {
    capacity: u32,
    per_second: f64,
    max_keys: usize,
    buckets: RefCell<HashMap<String, (f64, f64)>>,
}

impl KeyedRateLimiter {
    /// Buckets of `capacity` tokens refilled at `per_second`.
    pub fn new(capacity: u32, per_second: f64, max_keys: usize) -> Self {
        Self {
            capacity,
            per_second,
            max_keys: max_keys.max(1),
            buckets: RefCell::new(HashMap::new()),
        }
    }

    /// Takes a token from `key`'s bucket at `now_ms`, if there is one.
    pub fn allow(&self, key: &str, now_ms: f64) -> bool {
        let capacity = f64::from(self.capacity);
        let mut buckets = self.buckets.borrow_mut();
        let refill = |(tokens, last): (f64, f64)| {
            (tokens + ((now_ms - last) / 1000.0).max(0.0) * self.per_second).min(capacity)
        };
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            buckets.retain(|_, bucket| refill(*bucket) < capacity);
            if buckets.len() >= self.max_keys {
                buckets.clear();
            }
        }
        let tokens = buckets.get(key).map_or(capacity, |bucket| refill(*bucket));
        let allowed = tokens >= 1.0;
        let left = if allowed { tokens - 1.0 } else { tokens };
        buckets.insert(key.to_owned(), (left, now_ms));
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_spending_its_allowance_leaves_other_keys_theirs() {
        let limiter = KeyedRateLimiter::new(5, 0.5, 100);
        let paced: usize = (0..1000)
            .filter(|i| limiter.allow("greedy", f64::from(*i) * 12.5))
            .count();
        // 12.5 s at 80 per second: the burst of 5, then one every 2 s.
        assert_eq!(paced, 5 + 6);
        assert!(limiter.allow("other", 12_500.0));
    }

    #[test]
    fn a_flood_of_new_keys_keeps_memory_bounded_and_forgets_idle_keys_first() {
        let limiter = KeyedRateLimiter::new(2, 1.0, 3);
        assert!(limiter.allow("busy", 0.0) && limiter.allow("busy", 0.0));
        assert!(limiter.allow("idle", 0.0));
        for key in ["a", "b", "c", "d"] {
            assert!(limiter.allow(key, 10.0));
        }
        assert!(limiter.buckets.borrow().len() <= 3);
    }
}
