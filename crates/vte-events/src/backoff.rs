//! Exponential backoff with jitter, written once for the platform: the relay, the consumer runner
//! and any service that retries a dependency or a delivery. The n-th wait is drawn uniformly from
//! the upper half of its ceiling, `first * 2^(n-1)` capped at `max` ("equal jitter"): clients that
//! failed together spread their retries out, and no retry comes sooner than half its nominal delay,
//! so a schedule meant to last hours still does.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// A retry schedule and how far along it a caller is.
///
/// A loop that retries keeps one and calls [`Backoff::wait`] after each failure and
/// [`Backoff::reset`] after a success; a caller that stores its attempt count elsewhere (a
/// delivery's row, say) asks [`Backoff::delay_for`] instead.
///
/// ```
/// # use std::time::Duration;
/// # use vte_events::Backoff;
/// let schedule = Backoff::starting_at(Duration::from_secs(30), Duration::from_secs(3600));
/// assert_eq!(schedule.ceiling(3), Duration::from_secs(120));
/// let wait = schedule.delay_for(3);
/// assert!(wait >= Duration::from_secs(60) && wait <= Duration::from_secs(120));
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    attempts: u32,
}

impl Backoff {
    /// The first ceiling of [`Backoff::new`].
    pub const DEFAULT_FIRST: Duration = Duration::from_millis(50);

    /// A schedule from 50 ms, doubling up to `max`.
    pub fn new(max: Duration) -> Self {
        Self::starting_at(Self::DEFAULT_FIRST, max)
    }

    /// A schedule from `first`, doubling up to `max`.
    pub fn starting_at(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            attempts: 0,
        }
    }

    /// The longest wait after the `attempt`-th failure (1 for the first; 0 counts as 1), without
    /// jitter: `first * 2^(attempt-1)`, capped at `max`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }

    /// The wait after the `attempt`-th failure, drawn afresh from
    /// `[ceiling(attempt) / 2, ceiling(attempt)]`. It reads no state of this schedule.
    pub fn delay_for(&self, attempt: u32) -> Duration {
        jitter(self.ceiling(attempt))
    }

    /// Counts one more failure and returns the wait it calls for.
    pub fn next_delay(&mut self) -> Duration {
        self.attempts = self.attempts.saturating_add(1);
        self.delay_for(self.attempts)
    }

    /// Counts one more failure and waits for it, or until `shutdown`, whichever comes first.
    pub async fn wait(&mut self, shutdown: &CancellationToken) {
        let delay = self.next_delay();
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(delay) => {}
        }
    }

    /// Back to the start of the schedule, after a success.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// Failures counted since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// A duration drawn uniformly from `[ceiling / 2, ceiling]`.
pub fn jitter(ceiling: Duration) -> Duration {
    let floor = ceiling / 2;
    floor + (ceiling - floor).mul_f64(unit_interval())
}

/// A draw from `[0, 1)`. Every `RandomState` gets fresh keys (random per thread, then advanced
/// on each call), so hashing nothing with one is a cheap random number: enough for jitter, and
/// no generator to seed or share.
fn unit_interval() -> f64 {
    let bits = RandomState::new().build_hasher().finish();
    // The top 53 bits, as many as an f64 holds exactly.
    (bits >> 11) as f64 / (1_u64 << 53) as f64
}
