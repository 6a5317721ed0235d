//! The retry policy of a failed delivery: the platform's one exponential backoff
//! ([`vte_events::Backoff`]: from a first delay, doubling, capped, with jitter) for a bounded
//! number of attempts; after the last one the delivery is a dead letter.

use std::time::Duration;

/// When to try again after a failed attempt, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
}

impl Backoff {
    /// The longest wait after the `attempts`-th failed attempt (1 for the first), or `None`
    /// when that was the last attempt allowed.
    pub fn after(&self, attempts: u32) -> Option<Duration> {
        (attempts < self.max_attempts).then(|| self.schedule().ceiling(attempts))
    }

    /// The wait actually scheduled after the `attempts`-th failed attempt: drawn from the upper
    /// half of [`Backoff::after`], so deliveries that failed together do not retry together.
    pub fn wait_after(&self, attempts: u32) -> Option<Duration> {
        (attempts < self.max_attempts).then(|| self.schedule().delay_for(attempts))
    }

    fn schedule(&self) -> vte_events::Backoff {
        vte_events::Backoff::starting_at(self.first_delay, self.max_delay)
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

    #[test]
    fn a_scheduled_wait_lies_in_the_upper_half_of_its_ceiling() {
        let backoff = Backoff {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            max_attempts: 14,
        };
        for attempt in 1..14 {
            let ceiling = backoff.after(attempt).unwrap_or_default();
            let wait = backoff.wait_after(attempt).unwrap_or_default();
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} of {ceiling:?}"
            );
        }
        assert_eq!(backoff.wait_after(14), None);
    }
}
