//! The consumer runner: one consumer group per service, at-least-once delivery, idempotent
//! handling. For each record, in partition order: decode the envelope; in one database
//! transaction record its event id in `processed_events` (a redelivered event stops there) and
//! run the handler; commit; only then store the record's offset. A transient failure is retried
//! with backoff without moving on; a record that can never be handled goes to `<topic>.dlq` with
//! the reason, source topic, partition and offset in headers, and the partition moves on.
//! Shutdown commits the stored offsets synchronously within a hard deadline, because closing a
//! librdkafka consumer can hang when the broker has gone away.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntCounterVec, Opts, Registry};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use vte_proto::EventEnvelope;

use crate::kafka::{KafkaSettings, Topics};
use crate::relay::Backoff;

/// Why a handler did not handle an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (a dependency is down, a lock timed out): the partition waits.
    #[error("transient: {0}")]
    Transient(String),
    /// Never handleable (the event breaks a rule): dead-lettered, the partition moves on. The
    /// reason goes into a Kafka header: it must not contain personal data.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        HandlerError::Transient(error.to_string())
    }
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
    /// Hard limit on the final commit and close at shutdown.
    pub shutdown_deadline: Duration,
    /// Stop at this point (tests only).
    pub fail_point: Option<FailPoint>,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            max_backoff: Duration::from_secs(5),
            shutdown_deadline: Duration::from_secs(5),
            fail_point: None,
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An envelope decoded by its topic's dispatcher, ready for (possibly repeated) handling.
struct Decoded {
    event_id: uuid::Uuid,
    envelope: Box<dyn Any + Send + Sync>,
}

/// The type-erased handler of one topic.
trait Dispatch: Send + Sync {
    fn topic(&self) -> &'static str;
    fn decode(&self, payload: &[u8]) -> Result<Decoded, String>;
    fn handle<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelope: &'a (dyn Any + Send + Sync),
        meta: &'a RecordMeta,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

struct Typed<E, H> {
    handler: H,
    envelope: PhantomData<fn() -> E>,
}

impl<E, H> Dispatch for Typed<E, H>
where
    E: EventEnvelope + 'static,
    H: Handles<E>,
{
    fn topic(&self) -> &'static str {
        E::TOPIC
    }

    fn decode(&self, payload: &[u8]) -> Result<Decoded, String> {
        let envelope = E::decode(payload)
            .map_err(|error| format!("undecodable {} envelope: {error}", E::TOPIC))?;
        if !envelope.has_known_event() {
            return Err(format!(
                "unknown event in a {} envelope (sent by a newer producer?)",
                E::TOPIC
            ));
        }
        let event_id = uuid::Uuid::parse_str(envelope.event_id())
            .map_err(|_| String::from("event_id is not a UUID"))?;
        Ok(Decoded {
            event_id,
            envelope: Box::new(envelope),
        })
    }

    fn handle<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelope: &'a (dyn Any + Send + Sync),
        meta: &'a RecordMeta,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let envelope = envelope
                .downcast_ref::<E>()
                .ok_or_else(|| HandlerError::Permanent("envelope of the wrong type".into()))?;
            self.handler.handle(transaction, envelope, meta).await
        })
    }
}

/// The runner's metrics, by logical topic.
#[derive(Debug, Clone)]
struct ConsumerMetrics {
    handled: IntCounterVec,
    duplicates: IntCounterVec,
    retries: IntCounterVec,
    dead_letters: IntCounterVec,
}

impl ConsumerMetrics {
    fn new(registry: &Registry) -> Self {
        let counter = |name: &str, help: &str| {
            let counter =
                IntCounterVec::new(Opts::new(name, help), &["topic"]).expect("a valid metric");
            // One runner per registry: a second one's series would be left unregistered.
            let _ = registry.register(Box::new(counter.clone()));
            counter
        };
        Self {
            handled: counter("events_handled_total", "Events handled and committed"),
            duplicates: counter(
                "events_duplicates_total",
                "Redelivered events skipped because they were handled before",
            ),
            retries: counter("events_retries_total", "Transient handler failures retried"),
            dead_letters: counter(
                "events_dead_letters_total",
                "Records sent to a dead-letter topic",
            ),
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
    handlers: HashMap<String, Arc<dyn Dispatch>>,
    options: ConsumerOptions,
    metrics: ConsumerMetrics,
}

impl std::fmt::Debug for ConsumerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerRunner")
            .field("group", &self.group)
            .field("topics", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What became of one record.
enum Outcome {
    /// Handled, skipped as a duplicate, or dead-lettered: the offset may move on.
    Done,
    /// Shutdown came while the record was still failing: its offset stays.
    Interrupted,
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
        }
    }

    /// Subscribes to `E`'s topic, handled by `handler`.
    pub fn on<E, H>(mut self, handler: H) -> Self
    where
        E: EventEnvelope + 'static,
        H: Handles<E>,
    {
        let dispatch: Arc<dyn Dispatch> = Arc::new(Typed {
            handler,
            envelope: PhantomData::<fn() -> E>,
        });
        self.handlers.insert(self.topics.topic(E::TOPIC), dispatch);
        self
    }

    /// Consumes until `shutdown`, then commits and closes within the deadline.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ConsumerError> {
        let consumer: StreamConsumer = self.settings.consumer_config(&self.group).create()?;
        let subscribed: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        consumer.subscribe(&subscribed)?;
        tracing::info!(group = %self.group, topics = ?subscribed, "consumer started");
        let mut backoff = Backoff::new(self.options.max_backoff);
        let result = loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => break Ok(()),
                received = consumer.recv() => received,
            };
            let message = match received {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(%error, "consumer error; retrying");
                    backoff.wait(&shutdown).await;
                    continue;
                }
            };
            backoff.reset();
            match self.process(&message, &shutdown).await {
                Ok(Outcome::Done) => {
                    if let Err(error) = consumer.store_offset_from_message(&message) {
                        // The partition was revoked meanwhile; its new owner redelivers.
                        tracing::warn!(%error, "could not store an offset");
                    }
                }
                Ok(Outcome::Interrupted) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        let crashed = matches!(result, Err(ConsumerError::FailPoint(_)));
        close(consumer, !crashed, self.options.shutdown_deadline).await;
        result
    }

    async fn process(
        &self,
        message: &BorrowedMessage<'_>,
        shutdown: &CancellationToken,
    ) -> Result<Outcome, ConsumerError> {
        let Some(dispatch) = self.handlers.get(message.topic()) else {
            return Ok(self
                .dead_letter(message, "no handler for this topic", shutdown)
                .await);
        };
        let span = tracing::info_span!(
            "event.handle",
            otel.kind = "consumer",
            messaging.consumer.group = %self.group,
            messaging.destination = dispatch.topic(),
            messaging.kafka.partition = message.partition(),
            messaging.kafka.offset = message.offset(),
        );
        vte_telemetry::propagation::continue_trace(&span, &KafkaHeaders(message.headers()));
        let decoded = match dispatch.decode(message.payload().unwrap_or_default()) {
            Ok(decoded) => decoded,
            Err(reason) => {
                return Ok(self
                    .dead_letter(message, &reason, shutdown)
                    .instrument(span)
                    .await);
            }
        };
        let meta = RecordMeta {
            topic: dispatch.topic(),
            partition: message.partition(),
            offset: message.offset(),
            event_id: decoded.event_id,
        };
        let mut backoff = Backoff::new(self.options.max_backoff);
        loop {
            let attempt = self
                .handle_once(dispatch.as_ref(), &decoded, &meta)
                .instrument(span.clone())
                .await;
            match attempt {
                Ok(()) => {
                    if self.options.fail_point == Some(FailPoint::AfterCommitBeforeOffsetStored) {
                        return Err(ConsumerError::FailPoint(
                            FailPoint::AfterCommitBeforeOffsetStored,
                        ));
                    }
                    return Ok(Outcome::Done);
                }
                Err(HandlerError::Permanent(reason)) => {
                    return Ok(self
                        .dead_letter(message, &reason, shutdown)
                        .instrument(span)
                        .await);
                }
                Err(HandlerError::Transient(reason)) => {
                    tracing::warn!(parent: &span, %reason, "handler failed; retrying");
                    self.metrics.retries.with_label_values(&[meta.topic]).inc();
                    backoff.wait(shutdown).await;
                    if shutdown.is_cancelled() {
                        return Ok(Outcome::Interrupted);
                    }
                }
            }
        }
    }

    /// One attempt: record the event id and run the handler in one transaction.
    async fn handle_once(
        &self,
        dispatch: &dyn Dispatch,
        decoded: &Decoded,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let mut transaction = self.pool.begin().await?;
        let first_time = sqlx::query(
            "INSERT INTO processed_events (event_id, topic) VALUES ($1, $2)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(decoded.event_id)
        .bind(meta.topic)
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            == 1;
        if !first_time {
            tracing::debug!("event already handled; skipped");
            self.metrics
                .duplicates
                .with_label_values(&[meta.topic])
                .inc();
            return Ok(());
        }
        dispatch
            .handle(&mut transaction, decoded.envelope.as_ref(), meta)
            .await?;
        transaction.commit().await?;
        self.metrics.handled.with_label_values(&[meta.topic]).inc();
        Ok(())
    }

    /// Publishes the record as it is to `<topic>.dlq`, retrying while the broker refuses, so
    /// that the partition moves on only once the dead letter is safe.
    async fn dead_letter(
        &self,
        message: &BorrowedMessage<'_>,
        reason: &str,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let logical = self
            .topics
            .logical(message.topic())
            .unwrap_or(message.topic());
        let topic = self.topics.dead_letters(logical);
        let reason: String = reason.chars().take(512).collect();
        tracing::warn!(%reason, dlq = %topic, "record dead-lettered");
        let partition = message.partition().to_string();
        let offset = message.offset().to_string();
        let mut backoff = Backoff::new(self.options.max_backoff);
        loop {
            let headers = OwnedHeaders::new()
                .insert(header("vte-dlq-reason", &reason))
                .insert(header("vte-dlq-source-topic", message.topic()))
                .insert(header("vte-dlq-source-partition", &partition))
                .insert(header("vte-dlq-source-offset", &offset))
                .insert(header("vte-dlq-consumer-group", &self.group));
            let mut record = FutureRecord::to(&topic).headers(headers);
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            match self.producer.send(record, Duration::from_secs(5)).await {
                Ok(_) => {
                    self.metrics
                        .dead_letters
                        .with_label_values(&[logical])
                        .inc();
                    return Outcome::Done;
                }
                Err((error, _)) => {
                    tracing::warn!(%error, "could not publish a dead letter; retrying");
                    backoff.wait(shutdown).await;
                    if shutdown.is_cancelled() {
                        return Outcome::Interrupted;
                    }
                }
            }
        }
    }
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a [u8]> {
    Header {
        key,
        value: Some(value.as_bytes()),
    }
}

/// Commits the stored offsets and closes the consumer on a thread of its own, abandoning both
/// after `deadline`: librdkafka's close can wait for a broker that is gone. Not tokio's blocking
/// pool: a runtime waits for its blocking tasks when it is dropped, so an abandoned close would
/// hold the process (or a test) until the broker came back.
async fn close(consumer: StreamConsumer, commit: bool, deadline: Duration) {
    let (closed, done) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name(String::from("vte-consumer-close"))
        .spawn(move || {
            if commit {
                match consumer.commit_consumer_state(CommitMode::Sync) {
                    Ok(()) => {}
                    // Nothing stored since the last commit.
                    Err(rdkafka::error::KafkaError::ConsumerCommit(
                        rdkafka::types::RDKafkaErrorCode::NoOffset,
                    )) => {}
                    Err(error) => tracing::warn!(%error, "final offset commit failed"),
                }
            }
            drop(consumer);
            let _ = closed.send(());
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start a thread to close the consumer; abandoned");
        return;
    }
    if tokio::time::timeout(deadline, done).await.is_err() {
        tracing::warn!(
            ?deadline,
            "consumer did not close within its deadline; abandoned"
        );
    }
}

/// Reads W3C trace headers from a Kafka record.
struct KafkaHeaders<'a>(Option<&'a rdkafka::message::BorrowedHeaders>);

impl opentelemetry::propagation::Extractor for KafkaHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0?
            .iter()
            .find(|header| header.key == key)
            .and_then(|header| std::str::from_utf8(header.value?).ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .map(|headers| headers.iter().map(|header| header.key).collect())
            .unwrap_or_default()
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
