//! The platform's backoff: a doubling, capped ceiling, each wait drawn from its upper half.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use vte_events::Backoff;

fn assert_within(delay: Duration, ceiling: Duration) {
    assert!(
        delay >= ceiling / 2 && delay <= ceiling,
        "{delay:?} outside [{:?}, {ceiling:?}]",
        ceiling / 2
    );
}

#[test]
fn each_wait_is_drawn_from_the_upper_half_of_a_doubling_capped_ceiling() {
    // A webhook's schedule: from 30 s, doubling, never more than an hour apart.
    let schedule = Backoff::starting_at(Duration::from_secs(30), Duration::from_secs(3600));
    let ceilings: Vec<u64> = (1..=9)
        .map(|attempt| schedule.ceiling(attempt).as_secs())
        .collect();
    assert_eq!(ceilings, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(schedule.ceiling(0), schedule.ceiling(1));
    assert_eq!(schedule.ceiling(u32::MAX), Duration::from_secs(3600));

    for attempt in [0, 1, 2, 5, 8, 40, u32::MAX] {
        let ceiling = schedule.ceiling(attempt);
        let draws: Vec<Duration> = (0..500).map(|_| schedule.delay_for(attempt)).collect();
        for &delay in &draws {
            assert_within(delay, ceiling);
        }
        // Jittered indeed: the draws spread over the range instead of repeating one value.
        let spread = *draws.iter().max().unwrap() - *draws.iter().min().unwrap();
        assert!(
            spread > ceiling / 4,
            "attempt {attempt}: draws within {spread:?}"
        );
    }
}

#[test]
fn next_delay_follows_the_schedule_and_reset_starts_it_over() {
    // The same type under the relay's path, where it used to live.
    let mut backoff: Backoff = vte_events::relay::Backoff::new(Duration::from_millis(400));
    let ceilings = [50, 100, 200, 400, 400].map(Duration::from_millis);
    for ceiling in ceilings {
        assert_within(backoff.next_delay(), ceiling);
    }
    assert_eq!(backoff.attempts(), 5);
    backoff.reset();
    assert_eq!(backoff.attempts(), 0);
    assert_within(backoff.next_delay(), Duration::from_millis(50));
}

#[test]
fn jitter_keeps_to_tiny_and_empty_ceilings() {
    assert_eq!(vte_events::backoff::jitter(Duration::ZERO), Duration::ZERO);
    for _ in 0..100 {
        assert_within(
            vte_events::backoff::jitter(Duration::from_nanos(3)),
            Duration::from_nanos(3),
        );
    }
}

#[tokio::test]
async fn a_wait_counts_an_attempt_and_ends_at_once_on_shutdown() {
    let mut backoff = Backoff::new(Duration::from_secs(3600));
    let shutdown = CancellationToken::new();
    shutdown.cancel();
    let started = Instant::now();
    for _ in 0..20 {
        backoff.wait(&shutdown).await;
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(backoff.attempts(), 20);
    assert_eq!(
        backoff.ceiling(backoff.attempts()),
        Duration::from_secs(3600)
    );
}
