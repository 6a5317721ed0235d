//! The retry schedule of a failed delivery: exponential backoff from a first delay, capped,
//! for a bounded number of attempts; after the last one the delivery is a dead letter.

use std::time::Duration;

/// When to try again after a failed attempt, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1 for the first), or `None` when that
    /// was the last attempt allowed.
    pub fn after(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(31);
        let delay = self.first_delay.saturating_mul(1_u32 << doublings);
        Some(delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_then_stop_at_the_last_attempt() {
        let backoff = Backoff {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            max_attempts: 14,
        };
        assert_eq!(backoff.after(1), Some(Duration::from_secs(30)));
        assert_eq!(backoff.after(2), Some(Duration::from_secs(60)));
        assert_eq!(backoff.after(8), Some(Duration::from_secs(3600)));
        assert_eq!(backoff.after(13), Some(Duration::from_secs(3600)));
        assert_eq!(backoff.after(14), None);
        let total: Duration = (1..14).filter_map(|n| backoff.after(n)).sum();
        assert!(
            total > Duration::from_secs(6 * 3600),
            "retries for hours: {total:?}"
        );
    }
}
