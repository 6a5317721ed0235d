//! One worker per partition (vector's Kafka source habit). The runner's loop receives every
//! record and routes it, detached, to its partition's lane: a queue and a task that handles the
//! partition's records in order. Workers report each outcome back, and the loop stores a
//! record's offset (the next one to read) once its handler has committed, so offsets move in
//! partition order and only over handled records. A record that keeps failing stalls its own
//! partition and no other.
//!
//! An error from the client is told and passed over: librdkafka reconnects and rejoins by itself,
//! and the loop keeps polling so that errors never queue up ahead of the rebalance that follows an
//! outage. A fatal error, or a client out of touch for too long (`restart_after`), ends the
//! loop with [`Ended::Restart`], and the runner replaces the client. A partition librdkafka
//! stopped for want of a usable offset is seen to by `resets`.
//!
//! Memory stays bounded: a lane that falls behind pauses its partition and resumes it once caught
//! up. Pausing makes librdkafka drop what it had fetched ahead for the partition and, on resume,
//! fetch again from the record after the last one it handed over, so nothing is lost or read
//! twice. A partition taken away by a rebalance loses its lane: the records its worker still held
//! come back to the new owner, and a duplicate stops at `processed_events`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ConsumerError;
use super::handling::{Handling, Outcome};
use super::progress::{CHECK_EVERY, Progress};
use super::resets::ErrorLog;

/// The runner's consumer: told of revocations through [`RunnerContext`].
pub(super) type RunnerConsumer = StreamConsumer<RunnerContext>;

/// A deployed topic and a partition of it.
pub(super) type Partition = (String, i32);

/// Hands the partitions a rebalance took away to the runner's loop, and librdkafka's statistics
/// to the runner's [`Progress`]. It runs inside `StreamConsumer::recv`, so the loop hears of a
/// revocation before the next record.
pub(super) struct RunnerContext {
    revoked: mpsc::UnboundedSender<Vec<Partition>>,
    progress: Arc<Progress>,
}

impl RunnerContext {
    pub(super) fn new(progress: Arc<Progress>) -> (Self, mpsc::UnboundedReceiver<Vec<Partition>>) {
        let (revoked, revocations) = mpsc::unbounded_channel();
        (Self { revoked, progress }, revocations)
    }
}

impl ClientContext for RunnerContext {
    fn stats(&self, statistics: Statistics) {
        self.progress.statistics(&statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        match error {
            // Every partition of a new group stops so (`auto.offset.reset=error`), and the lanes
            // see to it; one out of range raises its own alarm there.
            KafkaError::Global(RDKafkaErrorCode::AutoOffsetReset)
            | KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset) => {
                tracing::debug!(%reason, "partition stopped for want of a usable offset");
            }
            // As librdkafka's Rust client logs them by default.
            error => tracing::error!("librdkafka: {error}: {reason}"),
        }
    }
}

impl ConsumerContext for RunnerContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(partitions) = rebalance {
            let revoked = partitions
                .elements()
                .iter()
                .map(|element| (element.topic().to_owned(), element.partition()))
                .collect();
            // The loop has gone when the consumer closes: nothing left to tell.
            let _ = self.revoked.send(revoked);
        }
    }
}

/// A partition's queue and worker.
struct Lane {
    /// Tells this lane's reports from those of an earlier lane of the same partition.
    id: u64,
    records: mpsc::UnboundedSender<OwnedMessage>,
    /// Routed and not yet reported on.
    queued: usize,
    paused: bool,
    stop: CancellationToken,
}

/// A worker's report on one record.
struct Completion {
    partition: Partition,
    lane: u64,
    offset: i64,
    outcome: Result<Outcome, ConsumerError>,
}

/// Why the loop ended other than by a fail point.
#[derive(Debug)]
pub(super) enum Ended {
    /// Shutdown was asked.
    Shutdown,
    /// The client cannot go on (the reason says why): the runner replaces it.
    Restart(String),
}

/// The lanes of one runner and the loop that feeds them.
pub(super) struct Lanes {
    pub(super) handling: Arc<Handling>,
    pub(super) progress: Arc<Progress>,
    /// Out of touch for this long, the client is replaced.
    restart_after: Duration,
    lanes: HashMap<Partition, Lane>,
    workers: JoinSet<()>,
    completed: mpsc::UnboundedSender<Completion>,
    completions: mpsc::UnboundedReceiver<Completion>,
    revocations: mpsc::UnboundedReceiver<Vec<Partition>>,
    /// Every lane's stop is a child of this one.
    stop: CancellationToken,
    last_id: u64,
    /// A lane pauses its partition at this many queued records...
    pause_at: usize,
    /// ...and resumes it at this many.
    resume_at: usize,
    /// When librdkafka last stopped a partition for want of a usable offset, until statistics
    /// taken since have been looked at.
    reset_since: Option<Instant>,
}

impl Lanes {
    pub(super) fn new(
        handling: Arc<Handling>,
        progress: Arc<Progress>,
        restart_after: Duration,
        revocations: mpsc::UnboundedReceiver<Vec<Partition>>,
        stop: CancellationToken,
    ) -> Self {
        let pause_at = handling.options.partition_backlog.max(1);
        let (completed, completions) = mpsc::unbounded_channel();
        Self {
            handling,
            progress,
            restart_after,
            lanes: HashMap::new(),
            workers: JoinSet::new(),
            completed,
            completions,
            revocations,
            stop,
            last_id: 0,
            pause_at,
            resume_at: pause_at / 4,
            reset_since: None,
        }
    }

    /// Routes records to their lanes and stores offsets as the lanes get through them, until
    /// `shutdown`, a client that must be replaced, or a fail point (`Err`).
    pub(super) async fn run(
        &mut self,
        consumer: &RunnerConsumer,
        shutdown: &CancellationToken,
    ) -> Result<Ended, ConsumerError> {
        let started = Instant::now();
        let mut errors = ErrorLog::default();
        // Often enough that a stopped partition is seen to soon after the statistics show it.
        let mut ticks = tokio::time::interval(CHECK_EVERY / 4);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return Ok(Ended::Shutdown),
                Some(revoked) = self.revocations.recv() => self.revoke(consumer, revoked),
                Some(completion) = self.completions.recv() => self.complete(consumer, completion)?,
                Some(joined) = self.workers.join_next(), if !self.workers.is_empty() => {
                    worker_ended(joined);
                }
                _ = ticks.tick() => {
                    if let Some(since) = self.reset_since
                        && self.progress.statistics_after(since)
                    {
                        self.reset_since = None;
                        self.resolve_stopped(consumer, since);
                    }
                    let now = Instant::now();
                    let out_of_touch = self.progress.out_of_touch(now);
                    if out_of_touch > self.restart_after
                        && now.duration_since(started) > self.restart_after
                    {
                        return Ok(Ended::Restart(format!(
                            "out of touch with its group and brokers for {}s",
                            out_of_touch.as_secs()
                        )));
                    }
                }
                // Polled again at once after an error: librdkafka paces its errors, and an
                // error left in the queue would hold back the events behind it (the rebalance
                // that follows an outage among them).
                received = consumer.recv() => match received {
                    Ok(message) => {
                        self.progress.touch();
                        let message = message.detach();
                        // A revocation served by this `recv` came before its record.
                        while let Ok(revoked) = self.revocations.try_recv() {
                            self.revoke(consumer, revoked);
                        }
                        self.route(consumer, message);
                    }
                    Err(KafkaError::MessageConsumptionFatal(code)) => {
                        tracing::error!(%code, "fatal consumer error; the client is replaced");
                        return Ok(Ended::Restart(format!("fatal error {code}")));
                    }
                    Err(KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset)) => {
                        // Which partition, and why, the next statistics tell.
                        self.reset_since = Some(Instant::now());
                    }
                    Err(error) => errors.tell(&error),
                },
            }
        }
    }

    /// At shutdown: lets each worker finish the record in hand (not those queued behind it) and
    /// stores the offsets of those that complete, for at most `deadline`.
    pub(super) async fn finish(
        &mut self,
        consumer: &RunnerConsumer,
        deadline: Duration,
    ) -> Result<(), ConsumerError> {
        self.stop.cancel();
        let drained = tokio::time::timeout(deadline, async {
            while let Some(joined) = self.workers.join_next().await {
                worker_ended(joined);
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(?deadline, "handlers still running at shutdown; abandoned");
            self.workers.abort_all();
        }
        // Every worker that ended reported before it ended.
        while let Ok(completion) = self.completions.try_recv() {
            if let Err(error) = self.complete(consumer, completion) {
                self.abandon();
                return Err(error);
            }
        }
        Ok(())
    }

    /// Stops every worker where it is, as a killed process would.
    pub(super) fn abandon(&mut self) {
        self.stop.cancel();
        self.workers.abort_all();
    }

    fn route(&mut self, consumer: &RunnerConsumer, message: OwnedMessage) {
        let partition = (message.topic().to_owned(), message.partition());
        if !self.lanes.contains_key(&partition) {
            let lane = self.open(&partition);
            self.lanes.insert(partition.clone(), lane);
        }
        let Some(lane) = self.lanes.get_mut(&partition) else {
            return;
        };
        if lane.records.send(message).is_err() {
            // The worker has stopped (shutdown is under way): the record comes again later.
            return;
        }
        lane.queued += 1;
        self.progress.routed(&partition);
        if lane.queued >= self.pause_at && !lane.paused {
            match consumer.pause(&one(&partition)) {
                Ok(()) => {
                    lane.paused = true;
                    let topic = self.handling.logical(&partition.0);
                    self.handling
                        .metrics
                        .pauses
                        .with_label_values(&[topic])
                        .inc();
                    tracing::info!(
                        topic,
                        partition = partition.1,
                        queued = lane.queued,
                        "partition paused until its worker catches up"
                    );
                }
                Err(error) => tracing::warn!(%error, "could not pause a partition"),
            }
        }
    }

    /// Starts a lane for `partition`.
    fn open(&mut self, partition: &Partition) -> Lane {
        self.last_id += 1;
        let (records, queue) = mpsc::unbounded_channel();
        let stop = self.stop.child_token();
        self.workers.spawn(work(
            self.handling.clone(),
            partition.clone(),
            self.last_id,
            queue,
            stop.clone(),
            self.completed.clone(),
        ));
        Lane {
            id: self.last_id,
            records,
            queued: 0,
            paused: false,
            stop,
        }
    }

    /// Stores the offset after a handled record and resumes its partition once caught up. A
    /// fail point comes back as `Err`.
    fn complete(
        &mut self,
        consumer: &RunnerConsumer,
        completion: Completion,
    ) -> Result<(), ConsumerError> {
        let Completion {
            partition,
            lane,
            offset,
            outcome,
        } = completion;
        let outcome = outcome?;
        let Some(lane) = self
            .lanes
            .get_mut(&partition)
            .filter(|current| current.id == lane)
        else {
            // A lane of a partition revoked since: its new owner reads the record again.
            return Ok(());
        };
        lane.queued = lane.queued.saturating_sub(1);
        self.progress.completed(&partition);
        if let Outcome::Done = outcome {
            // The offset to commit is that of the next record to read. `store_offsets` stores it
            // as given (`store_offset` would add one of its own).
            let mut next = TopicPartitionList::new();
            let stored = next
                .add_partition_offset(&partition.0, partition.1, Offset::Offset(offset + 1))
                .and_then(|()| consumer.store_offsets(&next));
            if let Err(error) = stored {
                // The partition was revoked meanwhile; its new owner redelivers.
                tracing::warn!(%error, "could not store an offset");
            }
        }
        if lane.paused && lane.queued <= self.resume_at {
            match consumer.resume(&one(&partition)) {
                Ok(()) => lane.paused = false,
                Err(error) => tracing::warn!(%error, "could not resume a partition"),
            }
        }
        Ok(())
    }

    /// Closes the lanes of partitions a rebalance took away.
    fn revoke(&mut self, consumer: &RunnerConsumer, revoked: Vec<Partition>) {
        for partition in revoked {
            let Some(lane) = self.lanes.remove(&partition) else {
                continue;
            };
            self.progress.released(&partition);
            lane.stop.cancel();
            if lane.paused {
                // librdkafka keeps an application's pause across a reassignment: lifted now,
                // or the partition would never be read again should it come back.
                if let Err(error) = consumer.resume(&one(&partition)) {
                    tracing::warn!(%error, "could not resume a revoked partition");
                }
            }
        }
    }
}

/// A partition's worker: handles its records in order and reports on each, until `stop` or
/// until a record cannot be finished (stopped while failing, or a fail point). For a handler
/// that takes batches, the records already waiting in the queue go with the first one.
async fn work(
    handling: Arc<Handling>,
    partition: Partition,
    lane: u64,
    mut queue: mpsc::UnboundedReceiver<OwnedMessage>,
    stop: CancellationToken,
    completed: mpsc::UnboundedSender<Completion>,
) {
    loop {
        let message = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            message = queue.recv() => match message {
                Some(message) => message,
                None => return,
            },
        };
        let limit = handling.batch_limit(message.topic());
        let mut batch = vec![message];
        while batch.len() < limit {
            match queue.try_recv() {
                Ok(message) => batch.push(message),
                Err(_) => break,
            }
        }
        let outcomes = handling.process_batch(&batch, &stop).await;
        for (message, outcome) in batch.iter().zip(outcomes) {
            let carry_on = matches!(outcome, Ok(Outcome::Done));
            let completion = Completion {
                partition: partition.clone(),
                lane,
                offset: message.offset(),
                outcome,
            };
            if completed.send(completion).is_err() || !carry_on {
                return;
            }
        }
    }
}

/// A worker that panicked takes the runner with it, as a panicking handler always did.
fn worker_ended(joined: Result<(), JoinError>) {
    if let Err(error) = joined
        && error.is_panic()
    {
        std::panic::resume_unwind(error.into_panic());
    }
}

pub(super) fn one((topic, partition): &Partition) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    list.add_partition(topic, *partition);
    list
}
