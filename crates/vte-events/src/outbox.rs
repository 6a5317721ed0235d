//! Appending an event to the outbox inside the caller's transaction: the state change and the
//! event commit together or not at all. Appends of one key are serialised by a transaction-level
//! advisory lock, so outbox ids follow commit order within a key and the relay can publish a
//! key's events in the order they were committed. An event the broker would refuse for its
//! size is refused here, naming its type and the limit, instead of blocking the relay's queue.

use std::collections::HashMap;

use sqlx::{Postgres, Transaction};
use vte_proto::EventEnvelope;

use crate::kafka::DEFAULT_MAX_MESSAGE_BYTES;

/// Advisory-lock class of outbox appends (the relay's leadership lock uses another class).
pub(crate) const APPEND_LOCK_CLASS: i32 = 0x7654_0001;
/// The channel the relay listens on to wake as soon as an append commits.
pub(crate) const NOTIFY_CHANNEL: &str = "vte_outbox";

/// An event could not be appended. Nothing was written; the caller's transaction should be
/// rolled back.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("event_id must be a UUID, got {0:?}")]
    BadEventId(String),
    #[error("the event has no aggregate key")]
    MissingKey,
    #[error("the event envelope carries no event")]
    EmptyEnvelope,
    /// The record would be larger than the broker accepts; the event must be made smaller (or
    /// the limit raised on the broker and in `kafka.max_message_bytes` together).
    #[error(
        "{event_type} on {topic} would be a record of {size} bytes, more than the broker's \
         limit of {limit} bytes (kafka.max_message_bytes)"
    )]
    TooLarge {
        /// The envelope's type, such as `OfferEvent`.
        event_type: &'static str,
        topic: &'static str,
        /// The record's size as the producer counts it: key, value and headers, with the
        /// framing of one record.
        size: usize,
        limit: usize,
    },
    #[error("outbox: {0}")]
    Database(#[from] sqlx::Error),
}

/// What one record costs beyond its key, value and trace headers: the record's own framing
/// and its share of a batch's, with room to spare (the producer's count and the broker's differ
/// by a few dozen bytes).
const RECORD_OVERHEAD: usize = 512;

/// Refuses `event` (encoded as `payload`) if its record, with `trace` headers, would exceed
/// `limit` bytes.
fn check_size<E: EventEnvelope>(
    event: &E,
    payload: &[u8],
    trace: &HashMap<String, String>,
    limit: usize,
) -> Result<(), OutboxError> {
    let headers: usize = trace
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum();
    let size = payload.len() + event.key().len() + headers + RECORD_OVERHEAD;
    if size > limit {
        let event_type = std::any::type_name::<E>()
            .rsplit("::")
            .next()
            .unwrap_or("event");
        return Err(OutboxError::TooLarge {
            event_type,
            topic: E::TOPIC,
            size,
            limit,
        });
    }
    Ok(())
}

/// Appends `event` to the outbox in `transaction`; it is published after the transaction
/// commits, and never if it rolls back. The current span's trace context goes with it. An event
/// larger than the default `kafka.max_message_bytes` (1 MiB) is refused with
/// [`OutboxError::TooLarge`]; [`append_within`] takes a deployment's own limit.
pub async fn append<E: EventEnvelope>(
    transaction: &mut Transaction<'_, Postgres>,
    event: &E,
) -> Result<(), OutboxError> {
    append_within(transaction, event, DEFAULT_MAX_MESSAGE_BYTES).await
}

/// [`append`] with the broker's limit on a record's size (`kafka.max_message_bytes`): an event
/// that would not fit is refused with [`OutboxError::TooLarge`] and nothing is written.
pub async fn append_within<E: EventEnvelope>(
    transaction: &mut Transaction<'_, Postgres>,
    event: &E,
    max_message_bytes: u32,
) -> Result<(), OutboxError> {
    let event_id = uuid::Uuid::parse_str(event.event_id())
        .map_err(|_| OutboxError::BadEventId(event.event_id().to_owned()))?;
    if event.key().is_empty() {
        return Err(OutboxError::MissingKey);
    }
    if !event.has_known_event() {
        return Err(OutboxError::EmptyEnvelope);
    }
    let mut trace = HashMap::new();
    vte_telemetry::propagation::inject(&tracing::Span::current(), &mut trace);
    let payload = event.encode_to_vec();
    check_size(event, &payload, &trace, limit(max_message_bytes))?;
    sqlx::query(
        "WITH serialised AS (
             SELECT pg_advisory_xact_lock($1, hashtext($3)), pg_notify($2, '')
         )
         INSERT INTO outbox (topic, message_key, event_id, payload, traceparent, tracestate)
         SELECT $4, $3, $5, $6, $7, $8 FROM serialised",
    )
    .bind(APPEND_LOCK_CLASS)
    .bind(NOTIFY_CHANNEL)
    .bind(event.key())
    .bind(E::TOPIC)
    .bind(event_id)
    .bind(payload)
    .bind(trace.remove("traceparent"))
    .bind(trace.remove("tracestate"))
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Appends a tombstone for `key` on `E`'s topic in `transaction`: a record with a null value,
/// published after every event of the key appended before it. On a topic compacted by key
/// (`cleanup.policy=compact`, see [`crate::topic_config`]) it makes Kafka forget the key's earlier
/// records, and then itself: how an erased person's events leave the log. Consumers pass it over.
pub async fn append_tombstone<E: EventEnvelope>(
    transaction: &mut Transaction<'_, Postgres>,
    key: &str,
) -> Result<(), OutboxError> {
    if key.is_empty() {
        return Err(OutboxError::MissingKey);
    }
    sqlx::query(
        "WITH serialised AS (
             SELECT pg_advisory_xact_lock($1, hashtext($3)), pg_notify($2, '')
         )
         INSERT INTO outbox (topic, message_key, event_id, payload)
         SELECT $4, $3, $5, NULL FROM serialised",
    )
    .bind(APPEND_LOCK_CLASS)
    .bind(NOTIFY_CHANNEL)
    .bind(key)
    .bind(E::TOPIC)
    .bind(uuid::Uuid::now_v7())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Appends `events` (of one topic) in `transaction`, in one statement: how a bulk change (a
/// school's push of hundreds of profiles) writes its events without a round trip each. The
/// keys' locks are taken in key order, so two bulk appends never deadlock; within a key, the
/// events keep the order of the slice. One event larger than the default
/// `kafka.max_message_bytes` refuses them all ([`OutboxError::TooLarge`]).
pub async fn append_all<E: EventEnvelope>(
    transaction: &mut Transaction<'_, Postgres>,
    events: &[E],
) -> Result<(), OutboxError> {
    append_all_within(transaction, events, DEFAULT_MAX_MESSAGE_BYTES).await
}

/// [`append_all`] with the broker's limit on a record's size (`kafka.max_message_bytes`).
pub async fn append_all_within<E: EventEnvelope>(
    transaction: &mut Transaction<'_, Postgres>,
    events: &[E],
    max_message_bytes: u32,
) -> Result<(), OutboxError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut trace = HashMap::new();
    vte_telemetry::propagation::inject(&tracing::Span::current(), &mut trace);
    let mut keys = Vec::with_capacity(events.len());
    let mut ids = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for event in events {
        let event_id = uuid::Uuid::parse_str(event.event_id())
            .map_err(|_| OutboxError::BadEventId(event.event_id().to_owned()))?;
        if event.key().is_empty() {
            return Err(OutboxError::MissingKey);
        }
        if !event.has_known_event() {
            return Err(OutboxError::EmptyEnvelope);
        }
        let payload = event.encode_to_vec();
        check_size(event, &payload, &trace, limit(max_message_bytes))?;
        keys.push(event.key().to_owned());
        ids.push(event_id);
        payloads.push(payload);
    }
    sqlx::query(
        "SELECT pg_advisory_xact_lock($1, hashtext(key)) \
         FROM (SELECT DISTINCT key FROM unnest($2::text[]) AS key ORDER BY key) AS keys",
    )
    .bind(APPEND_LOCK_CLASS)
    .bind(&keys)
    .execute(&mut **transaction)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (topic, message_key, event_id, payload, traceparent, tracestate)
         SELECT $1, e.key, e.id, e.payload, $5, $6
         FROM unnest($2::text[], $3::uuid[], $4::bytea[]) WITH ORDINALITY AS e(key, id, payload, n)
         ORDER BY e.n",
    )
    .bind(E::TOPIC)
    .bind(&keys)
    .bind(&ids)
    .bind(&payloads)
    .bind(trace.remove("traceparent"))
    .bind(trace.remove("tracestate"))
    .execute(&mut **transaction)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(NOTIFY_CHANNEL)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

fn limit(max_message_bytes: u32) -> usize {
    usize::try_from(max_message_bytes).unwrap_or(usize::MAX)
}

/// How many committed events wait in the outbox for the relay: all of them, or those of one
/// logical topic (rows published and kept until consumed, see [`crate::kept`], do not wait).
/// What a drain, a test or a benchmark waits on.
pub async fn waiting<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    topic: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM outbox
         WHERE published_at IS NULL AND ($1::text IS NULL OR topic = $1)",
    )
    .bind(topic)
    .fetch_one(executor)
    .await
}
