//! The event backbone, written once for the four services (DESIGN.md section 3):
//!
//! - [`outbox`]: [`outbox::append`] writes an event in the caller's transaction, so a state
//!   change and its event commit or roll back together;
//! - [`relay`]: publishes committed outbox rows in order per key with an idempotent producer and
//!   removes them once the broker has acknowledged them;
//! - [`consumer`]: at-least-once consumption with idempotent handlers, one worker per partition,
//!   retries, dead letters and a bounded shutdown;
//! - [`backoff`]: the platform's one retry schedule, exponential with jitter;
//! - [`security`]: TLS and SASL towards the brokers, refused when unsafe or unworkable;
//! - [`kafka`]: settings, topic names (with a deployment namespace), clients, topic bootstrap;
//! - [`kept`]: on a broker that is not durable, outbox rows kept until consumed, and replayed;
//! - [`migrations`]: the outbox and processed-events tables, merged into each service's schema;
//! - [`retention`]: forgets processed event ids once Kafka can no longer redeliver them;
//! - [`topic_config`]: how long each topic keeps its records, and which are compacted.
//!
//! Topics and keys come from the contract ([`vte_proto::EventEnvelope`]): nothing here or in a
//! service writes a topic name by hand. W3C trace context travels in Kafka headers.

pub mod backoff;
pub mod consumer;
pub mod kafka;
pub mod kept;
pub mod migrations;
pub mod outbox;
pub mod relay;
pub mod retention;
pub mod security;
pub mod topic_config;

pub use backoff::Backoff;
pub use consumer::{ConsumerRunner, HandlerError, Handles, RecordMeta};
pub use kafka::{KafkaSettings, Topics};
pub use outbox::{append, append_all, append_all_within, append_tombstone, append_within};
pub use relay::Relay;
pub use vte_proto::EventEnvelope;

/// A new event id: UUIDv7, so ids sort by time.
pub fn new_event_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, as an envelope's `occurred_at`.
pub fn now_timestamp() -> prost_types::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    prost_types::Timestamp {
        seconds: i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(now.subsec_nanos()).unwrap_or(0),
    }
}
