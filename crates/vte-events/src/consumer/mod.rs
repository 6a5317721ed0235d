//! The consumer runner: one consumer group per service, at-least-once delivery, idempotent
//! handling, one worker per partition. Each record is handled in partition order, in one
//! database transaction that also records its event id (a redelivered event stops there), and
//! its offset is stored only once that transaction has committed (`handling`, `lanes`). A
//! record that keeps failing transiently stalls its partition alone, for a bounded number of
//! tries while the database answers; one that can never be handled (a database error is judged
//! by its SQLSTATE, `failure`) or that used up its tries goes to `<topic>.dlq`. Shutdown lets
//! the handlers in hand finish, then commits the stored offsets synchronously within a hard
//! deadline (`closing`), because closing a librdkafka consumer can hang when the broker has gone
//! away; dropping a running runner closes its consumer in the background.
//!
//! The runner never gives up on the broker: librdkafka reconnects by itself, and a client that
//! cannot (a fatal error, or out of touch for twice the stall bound, at least a minute) is closed
//! and replaced, resuming from the committed offsets (`events_consumer_restarts_total`). A runner
//! that makes no progress for longer than `kafka.stall_after_seconds` says so (`progress`): a
//! log line naming the topic or partition, `events_consumer_stalled`, and its [`StallWatch`],
//! which the service's health follows. A partition whose committed offset is out of range is
//! stopped with an alarm (`resets`).
//!
//! A handler that allows it ([`HandlesBatch`], registered with [`ConsumerRunner::on_batches`])
//! gets the records waiting in its partition's queue several at a time, in one transaction
//! (`batch`); a batch that fails is rolled back and its records handled one by one, so a poison
//! record is still dead-lettered alone.

mod batch;
mod closing;
mod dispatch;
mod failure;
mod handling;
mod lanes;
mod progress;
mod resets;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use prometheus::Registry;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::producer::FutureProducer;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use vte_proto::EventEnvelope;

use self::closing::CloseGuard;
use self::dispatch::{Batched, Dispatch, Typed};
use self::handling::{ConsumerMetrics, Handling};
use self::lanes::{Ended, Lanes, RunnerConsumer, RunnerContext};
use self::progress::{CHECK_EVERY, Progress, StallMetrics, Watchdog};
use crate::Backoff;
use crate::kafka::{KafkaSettings, Topics};

pub use self::failure::{classify, is_permanent_sqlstate};
pub use self::progress::StallWatch;

/// Why a handler did not handle an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (a dependency is down, a lock timed out): the partition waits. Retried
    /// at most [`ConsumerOptions::max_attempts`] times while the database answers, then
    /// dead-lettered; attempts made while the database does not answer are not counted.
    #[error("transient: {0}")]
    Transient(String),
    /// Never handleable (the event breaks a rule): dead-lettered, the partition moves on. The
    /// reason goes into a Kafka header: it must not contain personal data.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Where a record came from.
#[derive(Debug, Clone)]
pub struct RecordMeta {
    /// The logical topic (`vte.offers.v1`).
    pub topic: &'static str,
    pub partition: i32,
    pub offset: i64,
    pub event_id: uuid::Uuid,
}

/// A service's handler of one envelope type. It runs inside the transaction that also records
/// the event id, so its writes happen exactly once per event; it may append events of its own
/// to the outbox in the same transaction.
pub trait Handles<E: EventEnvelope>: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        event: &'a E,
        meta: &'a RecordMeta,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;
}

/// A handler that can take several records of one partition in one transaction, registered
/// with [`ConsumerRunner::on_batches`]. When records wait in its partition's queue, the runner
/// passes up to [`ConsumerOptions::max_batch`] of them at once, in partition order and none
/// handled before (their event ids are recorded in the same transaction), and stores their
/// offsets once it commits. A batch that fails in any way is rolled back and its records are
/// handled again one by one with [`Handles::handle`]: a poison record is dead-lettered alone,
/// its neighbours are handled. A record that arrives while its partition is idle is handled at
/// once, alone: batching adds no wait.
pub trait HandlesBatch<E: EventEnvelope>: Handles<E> {
    /// Handles `events` inside `transaction`. By default each in turn with [`Handles::handle`]:
    /// the batch then saves a transaction, its commit and its event-id insert per record.
    fn handle_batch<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        events: &'a [(&'a E, &'a RecordMeta)],
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a {
        async move {
            for (event, meta) in events {
                self.handle(transaction, event, meta).await?;
            }
            Ok(())
        }
    }
}

/// Why the runner stopped other than by shutdown.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("kafka consumer: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("the fail point {0:?} was reached")]
    FailPoint(FailPoint),
}

/// Places where a test can make the runner stop as if its process had been killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the handler's transaction committed, before the record's offset is stored.
    AfterCommitBeforeOffsetStored,
}

/// How the runner paces itself.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// Longest pause between retries of a transient failure.
    pub max_backoff: Duration,
    /// Tries of one record failing transiently, while the database answers, before it is
    /// dead-lettered; `None`: the deployment's `kafka.handler_max_attempts`.
    pub max_attempts: Option<u32>,
    /// Hard limit on each step of a shutdown: letting the handlers in hand finish, then the
    /// final commit and close.
    pub shutdown_deadline: Duration,
    /// Stop at this point (tests only).
    pub fail_point: Option<FailPoint>,
    /// Records of one partition held in memory while its worker is behind: at this many the
    /// partition is paused, and it is resumed once its worker is down to a quarter of them.
    pub partition_backlog: usize,
    /// Handler transactions open at once across all partitions; `None`: half the pool's
    /// connections (at least one), leaving the rest to the service's requests.
    pub max_concurrent_handlers: Option<usize>,
    /// How long without progress before the runner reports itself stalled; `None`: the
    /// deployment's `kafka.stall_after_seconds`.
    pub stall_after: Option<Duration>,
    /// How long out of touch before the client is replaced (twice as long for each successor
    /// still out of touch, up to 16 times); `None`: twice the stall bound, at least a minute.
    pub restart_after: Option<Duration>,
    /// Most records of one partition handed at once to a handler registered with
    /// [`ConsumerRunner::on_batches`] (other handlers get one record per transaction).
    pub max_batch: usize,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            max_backoff: Duration::from_secs(5),
            max_attempts: None,
            shutdown_deadline: Duration::from_secs(5),
            fail_point: None,
            partition_backlog: 128,
            max_concurrent_handlers: None,
            stall_after: None,
            restart_after: None,
            max_batch: 64,
        }
    }
}

/// Consumes a service's topics into its handlers.
pub struct ConsumerRunner {
    settings: KafkaSettings,
    topics: Topics,
    group: String,
    pool: PgPool,
    producer: FutureProducer,
    handlers: HashMap<String, Box<dyn Dispatch>>,
    options: ConsumerOptions,
    metrics: ConsumerMetrics,
    stall_metrics: StallMetrics,
    stalled: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for ConsumerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerRunner")
            .field("group", &self.group)
            .field("topics", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ConsumerRunner {
    /// A runner for `service`'s consumer group; `producer` publishes dead letters; metrics go to
    /// `registry`.
    pub fn new(
        settings: &KafkaSettings,
        service: &str,
        pool: PgPool,
        producer: FutureProducer,
        options: ConsumerOptions,
        registry: &Registry,
    ) -> Self {
        let topics = settings.topics();
        Self {
            settings: settings.clone(),
            group: topics.group(service),
            topics,
            pool,
            producer,
            handlers: HashMap::new(),
            options,
            metrics: ConsumerMetrics::new(registry),
            stall_metrics: StallMetrics::new(registry),
            stalled: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Whether this runner is stalled, kept up to date while it runs: what a service's health
    /// follows.
    pub fn stall_watch(&self) -> StallWatch {
        StallWatch::new(self.stalled.subscribe())
    }

    /// Subscribes to `E`'s topic, handled by `handler`.
    pub fn on<E, H>(mut self, handler: H) -> Self
    where
        E: EventEnvelope + 'static,
        H: Handles<E>,
    {
        let dispatch: Box<dyn Dispatch> = Box::new(Typed::<E, H>::new(handler));
        self.handlers.insert(self.topics.topic(E::TOPIC), dispatch);
        self
    }

    /// Subscribes to `E`'s topic, handled by `handler` several records per transaction when
    /// they wait in a partition's queue ([`HandlesBatch`]).
    pub fn on_batches<E, H>(mut self, handler: H) -> Self
    where
        E: EventEnvelope + 'static,
        H: HandlesBatch<E>,
    {
        let dispatch: Box<dyn Dispatch> = Box::new(Batched::<E, H>::new(handler));
        self.handlers.insert(self.topics.topic(E::TOPIC), dispatch);
        self
    }

    /// Consumes until `shutdown`, then lets the handlers in hand finish and commits and closes
    /// within the deadline. Dropped before it returns, it stops its workers at once and leaves
    /// the final commit and close to a thread of their own.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ConsumerError> {
        self.settings
            .check_security()
            .map_err(|error| KafkaError::ClientCreation(error.to_string()))?;
        let bound = self
            .options
            .stall_after
            .unwrap_or_else(|| self.settings.stall_after())
            .max(CHECK_EVERY);
        let progress = Arc::new(Progress::new());
        let watchdog = Watchdog::new(
            bound,
            self.topics.clone(),
            self.handlers.keys().cloned().collect(),
            self.stall_metrics.clone(),
            self.stalled.clone(),
        );
        let consuming = Consuming {
            config: self.consumer_config(),
            subscribed: self.handlers.keys().cloned().collect(),
            group: self.group.clone(),
            restart_after: self
                .options
                .restart_after
                .unwrap_or((bound * 2).max(MIN_RESTART_AFTER))
                .max(CHECK_EVERY),
            restarts: self.stall_metrics.restarts.clone(),
            max_backoff: self.options.max_backoff,
            deadline: self.options.shutdown_deadline,
            handling: Arc::new(self.into_handling()),
            progress: progress.clone(),
        };
        tokio::select! {
            result = consuming.run(&shutdown) => result,
            never = watchdog.run(&progress) => match never {},
        }
    }

    /// The consumer's configuration, with librdkafka's statistics every [`CHECK_EVERY`] (what
    /// tells the watchdog the client is in touch and which partitions are stopped), and no
    /// automatic offset reset: the lanes start a partition without a committed offset from its
    /// earliest record themselves, and stop one whose committed offset is out of range.
    fn consumer_config(&self) -> rdkafka::ClientConfig {
        let mut config = self.settings.consumer_config(&self.group);
        config
            .set(
                "statistics.interval.ms",
                CHECK_EVERY.as_millis().to_string(),
            )
            .set("auto.offset.reset", "error");
        config
    }

    fn into_handling(self) -> Handling {
        let transactions = self.options.max_concurrent_handlers.unwrap_or_else(|| {
            usize::try_from(self.pool.options().get_max_connections() / 2).unwrap_or(1)
        });
        let max_attempts = self
            .options
            .max_attempts
            .unwrap_or(self.settings.handler_max_attempts)
            .max(1);
        Handling {
            max_attempts,
            group: self.group,
            topics: self.topics,
            pool: self.pool,
            producer: self.producer,
            handlers: self.handlers,
            options: self.options,
            metrics: self.metrics,
            transactions: Semaphore::new(transactions.max(1)),
        }
    }
}

/// By default a client is not replaced for being out of touch sooner than this: a new member
/// joins a group only once the group has heard from (or given up on) the old one, which takes a
/// session timeout or more, and replacing clients faster would keep the group from settling.
const MIN_RESTART_AFTER: Duration = Duration::from_secs(60);

/// One client after another, until shutdown or a fail point. A client replaced for being out of
/// touch gives its successor twice as long (up to 16 times the first wait) until one of them
/// gets in touch.
struct Consuming {
    config: rdkafka::ClientConfig,
    subscribed: Vec<String>,
    group: String,
    restart_after: Duration,
    restarts: prometheus::IntCounter,
    max_backoff: Duration,
    deadline: Duration,
    handling: Arc<Handling>,
    progress: Arc<Progress>,
}

impl Consuming {
    async fn run(self, shutdown: &CancellationToken) -> Result<(), ConsumerError> {
        let mut backoff = Backoff::new(self.max_backoff.max(Duration::from_secs(1)));
        let mut restart_after = self.restart_after;
        loop {
            let born = tokio::time::Instant::now();
            let (context, revocations) = RunnerContext::new(self.progress.clone());
            let consumer: RunnerConsumer = self.config.create_with_context(context)?;
            let subscribed: Vec<&str> = self.subscribed.iter().map(String::as_str).collect();
            consumer.subscribe(&subscribed)?;
            tracing::info!(group = %self.group, topics = ?subscribed, "consumer started");
            let consumer = CloseGuard::new(consumer);
            let mut lanes = Lanes::new(
                self.handling.clone(),
                self.progress.clone(),
                restart_after,
                revocations,
                shutdown.child_token(),
            );
            let (result, restart) = match lanes.run(&consumer, shutdown).await {
                Ok(Ended::Shutdown) => (lanes.finish(&consumer, self.deadline).await, None),
                Ok(Ended::Restart(reason)) => {
                    (lanes.finish(&consumer, self.deadline).await, Some(reason))
                }
                Err(error) => {
                    lanes.abandon();
                    (Err(error), None)
                }
            };
            let crashed = matches!(result, Err(ConsumerError::FailPoint(_)));
            consumer.close(!crashed, self.deadline).await;
            self.progress.release_all();
            let Some(reason) = restart.filter(|_| result.is_ok()) else {
                return result;
            };
            // Out of touch since before this client was made: its successor waits longer.
            restart_after =
                if self.progress.out_of_touch(tokio::time::Instant::now()) > born.elapsed() {
                    (restart_after * 2).min(self.restart_after * 16)
                } else {
                    self.restart_after
                };
            tracing::warn!(group = %self.group, %reason, "replacing the consumer client");
            self.restarts.inc();
            backoff.wait(shutdown).await;
            if shutdown.is_cancelled() {
                return Ok(());
            }
        }
    }
}

/// Whether a consumer of this database has handled the event with this id (within the dedupe
/// window): what tests and tools wait on.
pub async fn processed(pool: &PgPool, event_id: uuid::Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM processed_events WHERE event_id = $1)")
        .bind(event_id)
        .fetch_one(pool)
        .await
}
