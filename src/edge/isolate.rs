//! What an isolate keeps between the requests it serves (several at once):
//! only immutable, content-keyed data and counters, never a request's I/O.

use std::cell::OnceCell;
use std::rc::Rc;

use crate::config::Config;
use crate::fragments::generate::GeneratorState;
use crate::fragments::FragmentCache;
use crate::live::CatalogStore;
use crate::profile::{ProfileSource, RejectionCounts};
use crate::rate::KeyedRateLimiter;

/// Beacons one visitor may send (without the rate-limiting binding): bursts
/// of this many… (docs/events.md: the same allowance as the binding's
/// `simple = { limit = 20, period = 60 }`).
pub const VISITOR_BEACON_BURST: u32 = 20;
/// …then this many per minute.
pub const VISITOR_BEACONS_PER_MINUTE: u32 = 20;
/// Visitors whose beacon allowance an isolate remembers.
const VISITORS_REMEMBERED: usize = 10_000;

/// One isolate's memory.
#[derive(Debug)]
pub struct Isolate {
    /// The live catalog.
    pub catalog: Rc<CatalogStore>,
    fragments: OnceCell<Rc<FragmentCache>>,
    /// Generator calls in flight, the breaker, fallback counts.
    pub generation: Rc<GeneratorState>,
    /// Conversion beacons accepted, per visitor (when the worker has no
    /// rate-limiting binding).
    pub beacons: KeyedRateLimiter,
    /// Profile cookies refused, by reason.
    pub refused_cookies: RejectionCounts,
}

impl Default for Isolate {
    fn default() -> Self {
        Self::new()
    }
}

impl Isolate {
    /// A cold isolate.
    pub fn new() -> Self {
        Self {
            catalog: Rc::new(CatalogStore::new()),
            fragments: OnceCell::new(),
            generation: Rc::new(GeneratorState::new()),
            beacons: KeyedRateLimiter::new(
                VISITOR_BEACON_BURST,
                f64::from(VISITOR_BEACONS_PER_MINUTE) / 60.0,
                VISITORS_REMEMBERED,
            ),
            refused_cookies: RejectionCounts::default(),
        }
    }

    /// The fragment memory, sized by the first configuration that asks.
    pub fn fragments(&self, config: &Config) -> &Rc<FragmentCache> {
        self.fragments.get_or_init(|| config.fragment_cache())
    }

    /// Counts a refused profile cookie; a line for the log when the count
    /// for its reason reaches 1, 2, 4, 8… (a client sending bad cookies on
    /// purpose must not fill the logs). The reason and a count, never the
    /// cookie's value.
    pub fn count_refusal(&self, source: &ProfileSource) -> Option<String> {
        let ProfileSource::Anonymous(Some(rejection)) = source else {
            return None;
        };
        let count = self.refused_cookies.record(*rejection);
        crosses_power_of_two(count.saturating_sub(1), count).then(|| {
            format!(
                "tailor: profile cookie refused: {} ({count} in this isolate)",
                rejection.label()
            )
        })
    }

    /// A line for the log when this isolate's generator fallbacks went past
    /// 1, 2, 4, 8… since `before` (counts by reason; each request's own are
    /// in its `Server-Timing`).
    pub fn fallbacks_since(&self, before: u64) -> Option<String> {
        let fallbacks = self.generation.fallbacks();
        let now: u64 = fallbacks.values().sum();
        crosses_power_of_two(before, now)
            .then(|| format!("tailor: generator fallbacks in this isolate: {fallbacks:?}"))
    }

    /// Generator fallbacks so far, all reasons.
    pub fn fallback_count(&self) -> u64 {
        self.generation.fallbacks().values().sum()
    }
}

/// Whether a count went past 1, 2, 4, 8…
fn crosses_power_of_two(before: u64, after: u64) -> bool {
    after > before && (before == 0 || after.ilog2() > before.ilog2())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Rejection;

    #[test]
    fn refusals_are_logged_at_powers_of_two_only() {
        let isolate = Isolate::new();
        let refused = ProfileSource::Anonymous(Some(Rejection::BadSignature));
        let logged: Vec<usize> = (1..=9)
            .filter(|_| isolate.count_refusal(&refused).is_some())
            .collect();
        assert_eq!(logged, [1, 2, 4, 8]);
        assert_eq!(isolate.count_refusal(&ProfileSource::Anonymous(None)), None);
    }

    #[test]
    fn counts_crossing_a_power_of_two_are_logged_once() {
        assert!(crosses_power_of_two(0, 1));
        assert!(crosses_power_of_two(3, 4));
        assert!(!crosses_power_of_two(4, 7));
        assert!(crosses_power_of_two(7, 9));
        assert!(!crosses_power_of_two(5, 5));
    }
}
