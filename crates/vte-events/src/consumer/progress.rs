//! Whether a consumer makes progress, and telling when it does not. Two things can stall it:
//! the client is out of touch (no broker up, or not a settled member of its group, or not polled
//! at all: librdkafka's statistics, asked for every second, stop saying otherwise), or a
//! partition has records in hand that its worker does not get through. Past the bound
//! (`kafka.stall_after_seconds`) the watchdog logs the topic or partition, sets
//! `events_consumer_stalled` and tells [`StallWatch`] holders (the service's gRPC health); it
//! says so again when progress resumes. A partition stopped because its committed offset fell
//! out of range is stalled at once, until it is taken away.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use prometheus::{IntCounter, IntGaugeVec, Opts, Registry};
use rdkafka::statistics::Statistics;
use tokio::sync::watch;
use tokio::time::Instant;

use super::lanes::Partition;
use crate::kafka::Topics;

/// How often the watchdog looks, and librdkafka reports its statistics.
pub(super) const CHECK_EVERY: Duration = Duration::from_secs(1);

/// What the runner's parts note as they go; the watchdog reads it.
#[derive(Debug)]
pub(super) struct Progress {
    /// The last sign that the client was in touch with its group and a broker.
    contact: Mutex<Instant>,
    /// Partitions with records in hand: how many, and when one was last got through.
    partitions: Mutex<HashMap<Partition, Waiting>>,
    /// The fetch state of each partition at librdkafka's last statistics, and when they came.
    fetching: Mutex<(Option<Instant>, HashMap<Partition, Fetching>)>,
    /// Partitions stopped because their committed offset is out of range, and since when.
    out_of_range: Mutex<BTreeMap<Partition, Instant>>,
}

/// A partition's fetcher, as librdkafka's statistics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fetching {
    /// Not fetching (`fetch_state` `none`): what `auto.offset.reset=error` leaves behind.
    pub(super) stopped: bool,
    /// The group's committed offset, if it has one.
    pub(super) committed: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    queued: usize,
    since: Instant,
}

impl Progress {
    pub(super) fn new() -> Self {
        Self {
            contact: Mutex::new(Instant::now()),
            partitions: Mutex::new(HashMap::new()),
            fetching: Mutex::new((None, HashMap::new())),
            out_of_range: Mutex::new(BTreeMap::new()),
        }
    }

    /// The client is in touch (a record arrived).
    pub(super) fn touch(&self) {
        *lock(&self.contact) = Instant::now();
    }

    /// Reads librdkafka's statistics: in touch when a broker is up and the client is a settled
    /// member of its group.
    pub(super) fn statistics(&self, statistics: &Statistics) {
        if in_touch(statistics) {
            self.touch();
        }
        let fetching = statistics
            .topics
            .values()
            .flat_map(|topic| {
                topic
                    .partitions
                    .values()
                    .filter(|partition| partition.partition >= 0)
                    .map(|partition| {
                        let state = Fetching {
                            stopped: partition.fetch_state == "none",
                            committed: (partition.committed_offset >= 0)
                                .then_some(partition.committed_offset),
                        };
                        ((topic.topic.clone(), partition.partition), state)
                    })
            })
            .collect();
        *lock(&self.fetching) = (Some(Instant::now()), fetching);
    }

    /// The fetch state of `partition` in statistics that came after `since`, if any have.
    pub(super) fn fetching_after(&self, since: Instant, partition: &Partition) -> Option<Fetching> {
        let fetching = lock(&self.fetching);
        let (Some(at), states) = &*fetching else {
            return None;
        };
        if *at <= since {
            return None;
        }
        Some(states.get(partition).copied().unwrap_or(Fetching {
            stopped: false,
            committed: None,
        }))
    }

    /// Whether statistics came after `since`.
    pub(super) fn statistics_after(&self, since: Instant) -> bool {
        lock(&self.fetching).0.is_some_and(|at| at > since)
    }

    /// `partition` was stopped: its committed offset is out of range. Whether it is news.
    pub(super) fn stopped_out_of_range(&self, partition: &Partition) -> bool {
        let mut stopped = lock(&self.out_of_range);
        if stopped.contains_key(partition) {
            return false;
        }
        stopped.insert(partition.clone(), Instant::now());
        true
    }

    /// A record of `partition` was handed to its worker.
    pub(super) fn routed(&self, partition: &Partition) {
        let mut partitions = lock(&self.partitions);
        let waiting = partitions.entry(partition.clone()).or_insert(Waiting {
            queued: 0,
            since: Instant::now(),
        });
        if waiting.queued == 0 {
            waiting.since = Instant::now();
        }
        waiting.queued += 1;
    }

    /// The worker of `partition` got through a record.
    pub(super) fn completed(&self, partition: &Partition) {
        if let Some(waiting) = lock(&self.partitions).get_mut(partition) {
            waiting.queued = waiting.queued.saturating_sub(1);
            waiting.since = Instant::now();
        }
    }

    /// `partition` is no longer this consumer's (revoked, or the client is being replaced).
    pub(super) fn released(&self, partition: &Partition) {
        lock(&self.partitions).remove(partition);
        lock(&self.out_of_range).remove(partition);
    }

    /// Forgets every partition's records in hand and stops: the client is being replaced.
    pub(super) fn release_all(&self) {
        lock(&self.partitions).clear();
        lock(&self.out_of_range).clear();
    }

    /// How long the client has been out of touch.
    pub(super) fn out_of_touch(&self, now: Instant) -> Duration {
        now.saturating_duration_since(*lock(&self.contact))
    }

    /// What is stalled at `now` for longer than `bound`.
    pub(super) fn stalls(&self, now: Instant, bound: Duration) -> Stalls {
        let out_of_touch = self.out_of_touch(now);
        let mut partitions: Vec<(Partition, Duration)> = lock(&self.partitions)
            .iter()
            .filter(|(_, waiting)| waiting.queued > 0)
            .map(|(partition, waiting)| {
                (
                    partition.clone(),
                    now.saturating_duration_since(waiting.since),
                )
            })
            .filter(|(_, waited)| *waited > bound)
            .collect();
        // Stopped out of range: stalled at once, whatever the bound.
        for (partition, since) in lock(&self.out_of_range).iter() {
            if !partitions.iter().any(|(stalled, _)| stalled == partition) {
                partitions.push((partition.clone(), now.saturating_duration_since(*since)));
            }
        }
        partitions.sort();
        Stalls {
            client: (out_of_touch > bound).then_some(out_of_touch),
            partitions,
        }
    }
}

/// Whether `statistics` show a client in touch: a broker (not a bootstrap or internal one) up,
/// and the consumer group up and settled.
fn in_touch(statistics: &Statistics) -> bool {
    let broker_up = statistics
        .brokers
        .values()
        .any(|broker| broker.nodeid >= 0 && broker.state == "UP");
    let settled = statistics
        .cgrp
        .as_ref()
        .is_some_and(|group| group.state == "up" && group.join_state == "steady");
    broker_up && settled
}

/// What the watchdog found stalled.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Stalls {
    /// The client, out of touch for this long.
    pub(super) client: Option<Duration>,
    /// Partitions whose records in hand have not moved for this long.
    pub(super) partitions: Vec<(Partition, Duration)>,
}

/// Whether a consumer runner is stalled, as its watchdog last saw it: what a service's health
/// follows ([`crate::ConsumerRunner::stall_watch`]).
#[derive(Debug, Clone)]
pub struct StallWatch(watch::Receiver<bool>);

impl StallWatch {
    /// A watch told by `receiver` (`true`: stalled), for a caller that judges stalls itself.
    pub fn new(receiver: watch::Receiver<bool>) -> Self {
        Self(receiver)
    }

    /// Whether the runner is stalled now.
    pub fn is_stalled(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits for the next change and returns the new state; `None` once the runner is gone.
    pub async fn changed(&mut self) -> Option<bool> {
        self.0.changed().await.ok()?;
        Some(*self.0.borrow_and_update())
    }
}

/// The watchdog's metrics, by logical topic.
#[derive(Debug, Clone)]
pub(super) struct StallMetrics {
    stalled: IntGaugeVec,
    without_progress: IntGaugeVec,
    /// Consumer clients replaced (a fatal error, or out of touch for too long).
    pub(super) restarts: IntCounter,
}

impl StallMetrics {
    pub(super) fn new(registry: &Registry) -> Self {
        let gauge = |name: &str, help: &str| {
            let gauge =
                IntGaugeVec::new(Opts::new(name, help), &["topic"]).expect("a valid metric");
            // One runner per registry: a second one's series would be left unregistered.
            let _ = registry.register(Box::new(gauge.clone()));
            gauge
        };
        let restarts = IntCounter::new(
            "events_consumer_restarts_total",
            "Consumer clients closed and made anew after a fatal error or too long out of touch",
        )
        .expect("a valid metric");
        let _ = registry.register(Box::new(restarts.clone()));
        Self {
            restarts,
            stalled: gauge(
                "events_consumer_stalled",
                "1 while the consumer of this topic has made no progress for longer than \
                 kafka.stall_after_seconds",
            ),
            without_progress: gauge(
                "events_consumer_seconds_without_progress",
                "Seconds the consumer of this topic has been out of touch with its group and \
                 brokers, or has had records in hand without getting through one",
            ),
        }
    }
}

/// Watches a runner's [`Progress`] and reports stalls: metrics, a log line on each change,
/// and the [`StallWatch`].
pub(super) struct Watchdog {
    pub(super) bound: Duration,
    pub(super) topics: Topics,
    /// Deployed names of the subscribed topics.
    pub(super) subscribed: Vec<String>,
    pub(super) metrics: StallMetrics,
    pub(super) state: watch::Sender<bool>,
    /// Deployed names of the topics reported stalled at the last look.
    reported: BTreeSet<String>,
}

impl Watchdog {
    pub(super) fn new(
        bound: Duration,
        topics: Topics,
        subscribed: Vec<String>,
        metrics: StallMetrics,
        state: watch::Sender<bool>,
    ) -> Self {
        Self {
            bound,
            topics,
            subscribed,
            metrics,
            state,
            reported: BTreeSet::new(),
        }
    }

    /// Looks at `progress` every [`CHECK_EVERY`], for ever.
    pub(super) async fn run(mut self, progress: &Progress) -> std::convert::Infallible {
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = Instant::now();
            self.look(
                &progress.stalls(now, self.bound),
                progress.out_of_touch(now),
            );
        }
    }

    /// Reports `stalls`: a log line for each topic or partition that became stalled or came
    /// back, the gauges, and the watch.
    pub(super) fn look(&mut self, stalls: &Stalls, out_of_touch: Duration) {
        let mut stalled = BTreeSet::new();
        for deployed in &self.subscribed {
            let topic = self.topics.logical(deployed).unwrap_or(deployed);
            let mut without_progress = out_of_touch;
            let stuck: Vec<&(Partition, Duration)> = stalls
                .partitions
                .iter()
                .filter(|((name, _), _)| name == deployed)
                .collect();
            for (_, waited) in &stuck {
                without_progress = without_progress.max(*waited);
            }
            self.metrics
                .without_progress
                .with_label_values(&[topic])
                .set(i64::try_from(without_progress.as_secs()).unwrap_or(i64::MAX));
            if stalls.client.is_none() && stuck.is_empty() {
                continue;
            }
            stalled.insert(deployed.clone());
            if self.reported.contains(deployed) {
                continue;
            }
            if let Some(waited) = stalls.client {
                tracing::error!(
                    topic,
                    without_progress_seconds = waited.as_secs(),
                    bound_seconds = self.bound.as_secs(),
                    "consumer stalled: out of touch with its group and brokers"
                );
            }
            for ((_, partition), waited) in stuck {
                tracing::error!(
                    topic,
                    partition,
                    without_progress_seconds = waited.as_secs(),
                    bound_seconds = self.bound.as_secs(),
                    "consumer stalled: a partition's records are not getting through"
                );
            }
        }
        for deployed in &self.subscribed {
            let topic = self.topics.logical(deployed).unwrap_or(deployed);
            let now_stalled = stalled.contains(deployed);
            if !now_stalled && self.reported.contains(deployed) {
                tracing::info!(topic, "consumer making progress again");
            }
            self.metrics
                .stalled
                .with_label_values(&[topic])
                .set(i64::from(now_stalled));
        }
        let any = !stalled.is_empty();
        self.reported = stalled;
        self.state.send_if_modified(|state| {
            let changed = *state != any;
            *state = any;
            changed
        });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain data behind: still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(number: i32) -> Partition {
        ("ns.vte.offers.v1".to_owned(), number)
    }

    #[test]
    fn a_partition_with_records_in_hand_that_do_not_move_is_stalled_after_the_bound() {
        let progress = Progress::new();
        let bound = Duration::from_secs(120);
        progress.routed(&partition(2));
        progress.routed(&partition(3));
        progress.completed(&partition(3));
        let start = Instant::now();
        let within = progress.stalls(start + Duration::from_secs(100), bound);
        assert_eq!(within.partitions, []);
        let stalls = progress.stalls(start + Duration::from_secs(121), bound);
        assert_eq!(
            stalls.partitions.len(),
            1,
            "partition 3 has nothing in hand"
        );
        assert_eq!(stalls.partitions[0].0, partition(2));
        assert!(stalls.partitions[0].1 >= Duration::from_secs(121));
        progress.completed(&partition(2));
        let caught_up = progress.stalls(start + Duration::from_secs(121), bound);
        assert_eq!(caught_up.partitions, [], "its worker got through it");
    }

    #[test]
    fn a_client_out_of_touch_for_longer_than_the_bound_is_stalled_until_it_is_back() {
        let progress = Progress::new();
        let bound = Duration::from_secs(5);
        let later = Instant::now() + Duration::from_secs(6);
        assert!(progress.stalls(later, bound).client >= Some(Duration::from_secs(6)));
        progress.touch();
        assert_eq!(progress.stalls(Instant::now(), bound).client, None);
    }

    #[tokio::test]
    async fn the_watchdog_turns_the_watch_and_the_gauge_on_and_off() {
        let registry = Registry::new();
        let (state, receiver) = watch::channel(false);
        let mut watch = StallWatch(receiver);
        let mut dog = Watchdog::new(
            Duration::from_secs(5),
            Topics::new("ns."),
            vec![
                "ns.vte.offers.v1".to_owned(),
                "ns.vte.candidates.v1".to_owned(),
            ],
            StallMetrics::new(&registry),
            state,
        );
        let gauge = |topic: &str| {
            registry
                .gather()
                .iter()
                .filter(|family| family.name() == "events_consumer_stalled")
                .flat_map(|family| family.get_metric())
                .find(|metric| {
                    metric
                        .get_label()
                        .iter()
                        .any(|label| label.value() == topic)
                })
                .map(|metric| metric.get_gauge().get_value())
        };
        let stuck = Stalls {
            client: None,
            partitions: vec![(partition(1), Duration::from_secs(7))],
        };
        dog.look(&stuck, Duration::ZERO);
        assert_eq!(watch.changed().await, Some(true));
        assert_eq!(gauge("vte.offers.v1"), Some(1.0));
        assert_eq!(gauge("vte.candidates.v1"), Some(0.0));
        dog.look(&Stalls::default(), Duration::ZERO);
        assert_eq!(watch.changed().await, Some(false));
        assert_eq!(gauge("vte.offers.v1"), Some(0.0));
    }
}
