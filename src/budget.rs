//! The per-request time budget: every wait on I/O for personalization ends by
//! one deadline, after which the page streams on with what is resolved.

use std::future::Future;
use std::pin::pin;

use futures_util::future::{select, Either};

use crate::platform::{Clock, Timer};

/// Default budget for all personalization work of one request.
pub const DEFAULT_BUDGET_MS: u32 = 100;

/// A point in time by which personalization work must be done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deadline {
    started_ms: f64,
    budget_ms: u32,
}

/// The deadline passed before the awaited work finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {budget_ms} ms personalization budget ran out")]
pub struct BudgetExceeded {
    /// The budget that ran out.
    pub budget_ms: u32,
}

impl Deadline {
    /// A deadline `budget_ms` after `started_ms`.
    pub fn new(started_ms: f64, budget_ms: u32) -> Self {
        Self {
            started_ms,
            budget_ms,
        }
    }

    /// The budget this deadline was made with.
    pub fn budget_ms(&self) -> u32 {
        self.budget_ms
    }

    /// Milliseconds left at `now_ms` (zero once passed).
    pub fn remaining_ms(&self, now_ms: f64) -> u32 {
        let left = self.started_ms + f64::from(self.budget_ms) - now_ms;
        if left <= 0.0 {
            0
        } else {
            // Bounded by budget_ms, so the cast cannot overflow.
            left.ceil().min(f64::from(self.budget_ms)) as u32
        }
    }

    /// Runs `work` until it completes or the deadline passes, whichever is
    /// first. Work that is already complete wins even at zero time left.
    pub async fn run<F, C, T>(&self, clock: &C, timer: &T, work: F) -> Result<F::Output, BudgetExceeded>
    where
        F: Future,
        C: Clock,
        T: Timer,
    {
        let remaining = self.remaining_ms(clock.now_ms());
        let work = pin!(work);
        let alarm = pin!(timer.sleep(remaining));
        match select(work, alarm).await {
            Either::Left((output, _)) => Ok(output),
            Either::Right(((), _)) => Err(BudgetExceeded {
                budget_ms: self.budget_ms,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::fakes::{InstantTimer, ManualClock};
    use futures_executor::block_on;

    #[test]
    fn remaining_time_counts_down_and_stops_at_zero() {
        let deadline = Deadline::new(1_000.0, 100);
        assert_eq!(deadline.remaining_ms(1_000.0), 100);
        assert_eq!(deadline.remaining_ms(1_060.5), 40);
        assert_eq!(deadline.remaining_ms(1_100.0), 0);
        assert_eq!(deadline.remaining_ms(5_000.0), 0);
    }

    #[test]
    fn ready_work_wins_over_an_expired_deadline() {
        let clock = ManualClock::at(10_000.0);
        let deadline = Deadline::new(0.0, 100);
        let out = block_on(deadline.run(&clock, &InstantTimer, async { 7 }));
        assert_eq!(out, Ok(7));
    }

    #[test]
    fn work_that_never_finishes_ends_at_the_deadline() {
        let clock = ManualClock::at(0.0);
        let deadline = Deadline::new(0.0, 100);
        let out = block_on(deadline.run(&clock, &InstantTimer, std::future::pending::<()>()));
        assert_eq!(out, Err(BudgetExceeded { budget_ms: 100 }));
    }
}
