//! What a partition's worker does with one record: decode the envelope; in one database
//! transaction record its event id in `processed_events` (a redelivered event stops there) and
//! run the handler; commit. A transient failure is retried with backoff without moving on, up to
//! a bound counted only while the database answers (an outage stalls the partition, it does not
//! spend the record's tries); a record that can never be handled, or that used up its tries, goes
//! to `<topic>.dlq` with the reason, source topic, partition and offset in headers. A tombstone
//! (a record without a value, left by an erasure for compaction) carries no event and is passed
//! over. Storing the offset is the runner's part, once this is done.

use std::collections::HashMap;
use std::time::Duration;

use prometheus::{IntCounterVec, Opts, Registry};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::postgres::PgPool;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::dispatch::{Decoded, Dispatch};
use super::{ConsumerError, ConsumerOptions, FailPoint, HandlerError, RecordMeta};
use crate::Backoff;
use crate::kafka::Topics;

/// What became of one record.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Handled, skipped as a duplicate, or dead-lettered: the offset may move on.
    Done,
    /// Shutdown or a revocation came while the record was still failing: its offset stays.
    Interrupted,
}

/// Everything the workers of one runner share.
pub(super) struct Handling {
    /// Tries of a record failing transiently while the database answers (at least 1).
    pub(super) max_attempts: u32,
    pub(super) group: String,
    pub(super) topics: Topics,
    pub(super) pool: PgPool,
    pub(super) producer: FutureProducer,
    /// By deployed topic name.
    pub(super) handlers: HashMap<String, Box<dyn Dispatch>>,
    pub(super) options: ConsumerOptions,
    pub(super) metrics: ConsumerMetrics,
    /// Handler transactions open at once, across all partitions: they share the service's pool
    /// with its requests.
    pub(super) transactions: Semaphore,
}

impl Handling {
    /// Handles one record until it is done, or until `stop` while it keeps failing.
    pub(super) async fn process(
        &self,
        message: &OwnedMessage,
        stop: &CancellationToken,
    ) -> Result<Outcome, ConsumerError> {
        let Some(dispatch) = self.handlers.get(message.topic()) else {
            return Ok(self
                .dead_letter(message, "no handler for this topic", stop)
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
        let Some(payload) = message.payload() else {
            // A tombstone: it only tells compaction to forget the key's earlier records.
            tracing::debug!(parent: &span, "tombstone passed over");
            return Ok(Outcome::Done);
        };
        let decoded = match dispatch.decode(payload) {
            Ok(decoded) => decoded,
            Err(reason) => {
                return Ok(self
                    .dead_letter(message, &reason, stop)
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
        // Failed tries counted against `max_attempts`: those made while the database answered.
        let mut counted = 0_u32;
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
                        .dead_letter(message, &reason, stop)
                        .instrument(span)
                        .await);
                }
                Err(HandlerError::Transient(reason)) => {
                    if self.database_answers().await {
                        counted += 1;
                    }
                    if counted >= self.max_attempts {
                        // The handler's message stays in the logs: a service may have put a
                        // database message quoting a value in it, and headers travel.
                        tracing::warn!(parent: &span, %reason, "handler failed; giving up");
                        let reason = format!(
                            "still failing after {counted} tries with the database up \
                             (the last error is in the consumer's log)"
                        );
                        return Ok(self
                            .dead_letter(message, &reason, stop)
                            .instrument(span)
                            .await);
                    }
                    tracing::warn!(parent: &span, %reason, "handler failed; retrying");
                    self.metrics.retries.with_label_values(&[meta.topic]).inc();
                    backoff.wait(stop).await;
                    if stop.is_cancelled() {
                        return Ok(Outcome::Interrupted);
                    }
                }
            }
        }
    }

    /// Whether the database answers a trivial query within a few seconds: a failure while it
    /// does not is the outage's, not the record's, and does not count against its tries.
    async fn database_answers(&self) -> bool {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(
            tokio::time::timeout(Duration::from_secs(5), ping).await,
            Ok(Ok(_))
        )
    }

    /// One attempt: record the event id and run the handler in one transaction.
    async fn handle_once(
        &self,
        dispatch: &dyn Dispatch,
        decoded: &Decoded,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let Ok(_permit) = self.transactions.acquire().await else {
            return Err(HandlerError::Transient("the runner is closing".into()));
        };
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
        message: &OwnedMessage,
        reason: &str,
        stop: &CancellationToken,
    ) -> Outcome {
        let logical = self.logical(message.topic());
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
                    backoff.wait(stop).await;
                    if stop.is_cancelled() {
                        return Outcome::Interrupted;
                    }
                }
            }
        }
    }

    /// The logical topic (`vte.offers.v1`) of a deployed name, for metrics and dead letters.
    pub(super) fn logical<'a>(&self, deployed: &'a str) -> &'a str {
        self.topics.logical(deployed).unwrap_or(deployed)
    }
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a [u8]> {
    Header {
        key,
        value: Some(value.as_bytes()),
    }
}

/// Reads W3C trace headers from a Kafka record.
struct KafkaHeaders<'a>(Option<&'a OwnedHeaders>);

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

/// The runner's metrics, by logical topic.
#[derive(Debug, Clone)]
pub(super) struct ConsumerMetrics {
    pub(super) handled: IntCounterVec,
    pub(super) duplicates: IntCounterVec,
    pub(super) retries: IntCounterVec,
    pub(super) dead_letters: IntCounterVec,
    pub(super) pauses: IntCounterVec,
    pub(super) out_of_range: IntCounterVec,
    pub(super) batches: IntCounterVec,
    pub(super) batch_fallbacks: IntCounterVec,
}

impl ConsumerMetrics {
    pub(super) fn new(registry: &Registry) -> Self {
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
            pauses: counter(
                "events_partition_pauses_total",
                "Times a partition was paused because its worker had fallen behind",
            ),
            out_of_range: counter(
                "events_offsets_out_of_range_total",
                "Partitions stopped because the group's committed offset was out of range",
            ),
            batches: counter(
                "events_batches_total",
                "Batches of several records handled and committed in one transaction",
            ),
            batch_fallbacks: counter(
                "events_batch_fallbacks_total",
                "Batches rolled back and handled one record at a time (one failed)",
            ),
        }
    }
}
