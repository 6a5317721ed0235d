//! Kafka as every service uses it: the settings, topic and group names (a deployment namespace
//! in front of the contract's names), the producer and consumer configurations, and the topic
//! bootstrap run at start-up.
//!
//! One hop (the relay produces, a consumer receives) is kept short without polling harder:
//! - the producer lingers 1 ms (`linger.ms`, librdkafka's default is 5 ms): a lone event leaves
//!   at once, while under load the records queued behind a request in flight still go in one
//!   batch (the relay enqueues a whole outbox batch before it waits);
//! - a consumer's fetch is answered by Apache Kafka as soon as one byte is there
//!   (`fetch.min.bytes=1`), and otherwise after `fetch.wait.max.ms` (50 ms): that long-poll
//!   bound costs an idle consumer 20 cheap requests a second, not CPU spent spinning (librdkafka's
//!   embedded broker, by contrast, always waits it out, which is its whole hop);
//! - `fetch.queue.backoff.ms` (20 ms, librdkafka's default is 1 s) is how long a partition
//!   whose local queue was full waits before it fetches again: a consumer that caught up
//!   resumes fetching within 20 ms, not a second later;
//! - `fetch.error.backoff.ms` (100 ms, default 500 ms): a fetch refused while a partition's leader
//!   or a new topic settles is tried again sooner;
//! - `socket.nagle.disable` on every client: small requests (a produce of one event, a fetch, a
//!   commit) are written at once instead of waiting for the previous segment's ACK.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;
use secrecy::SecretString;
use serde::Deserialize;

use crate::security::{SaslMechanism, Security, SecurityError, SecurityProtocol};
use crate::topic_config::TopicConfig;

/// The Kafka cluster, as configured for a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSettings {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    pub brokers: String,
    /// Put in front of every topic and consumer group name, to share a cluster between
    /// environments (`staging.` gives `staging.vte.offers.v1`). Empty by default.
    #[serde(default)]
    pub namespace: String,
    /// Partitions of the topics created at start-up.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    /// Replication factor of the topics created at start-up (3 in production).
    #[serde(default = "default_replication")]
    pub replication: i32,
    /// How long the producer keeps retrying a record before the relay hears of the failure and
    /// tries again later (the row stays in the outbox meanwhile), in milliseconds.
    #[serde(default = "default_delivery_timeout_ms")]
    pub delivery_timeout_ms: u32,
    /// Whether start-up creates the topics (`false` for a broker without CreateTopics, such as
    /// librdkafka's embedded cluster, whose topics are made through its own API).
    #[serde(default = "default_create_topics")]
    pub create_topics: bool,
    /// How long handled event ids are remembered against redelivery, in hours; keep it above
    /// the topics' retention.
    #[serde(default = "default_dedupe_window_hours")]
    pub dedupe_window_hours: u32,
    /// Tries of an event whose handling keeps failing transiently while the database answers
    /// (a serialisation failure, a deadlock, a timeout) before it is dead-lettered, so that one
    /// bad event cannot stall its partition for ever.
    #[serde(default = "default_handler_max_attempts")]
    pub handler_max_attempts: u32,
    /// How long a consumer may go without progress (out of touch with its group and brokers, or
    /// a partition's records waiting on a handler that does not finish one) before it is reported
    /// stalled: its service's health turns NOT_SERVING, `events_consumer_stalled` shows 1 and a
    /// log line names the topic or partition. In seconds.
    #[serde(default = "default_stall_after_seconds")]
    pub stall_after_seconds: u32,
    /// The largest record the broker accepts (its `message.max.bytes`; the producer's too), in
    /// bytes: the outbox refuses an event that would not fit rather than let it block the relay.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u32,
    /// `plaintext` (default), `ssl`, `sasl_plaintext` or `sasl_ssl` (production).
    #[serde(default)]
    pub security_protocol: SecurityProtocol,
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`, with a `sasl_*` protocol (PLAIN only over
    /// TLS).
    #[serde(default)]
    pub sasl_mechanism: Option<SaslMechanism>,
    /// The service's Kafka user, with a `sasl_*` protocol.
    #[serde(default)]
    pub sasl_username: Option<String>,
    /// That user's password, with a `sasl_*` protocol; never logged.
    #[serde(default)]
    pub sasl_password: Option<SecretString>,
    /// PEM file of the CAs the broker's certificate is checked against (default: the system's).
    #[serde(default)]
    pub ssl_ca_location: Option<String>,
    /// PEM file of the service's client certificate, for brokers that authenticate by TLS.
    #[serde(default)]
    pub ssl_certificate_location: Option<String>,
    /// PEM file of that certificate's private key.
    #[serde(default)]
    pub ssl_key_location: Option<String>,
    /// The private key's password, if it has one; never logged.
    #[serde(default)]
    pub ssl_key_password: Option<SecretString>,
}

/// With the consumer's backoff (from 50 ms, doubling up to 5 s), about half a minute to a
/// minute of trying.
fn default_handler_max_attempts() -> u32 {
    20
}

fn default_stall_after_seconds() -> u32 {
    120
}

/// 1 MiB: within Apache Kafka's default `message.max.bytes` (1,048,588 bytes per batch).
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 1024 * 1024;

fn default_max_message_bytes() -> u32 {
    DEFAULT_MAX_MESSAGE_BYTES
}

fn default_dedupe_window_hours() -> u32 {
    24 * 30
}

fn default_create_topics() -> bool {
    true
}

fn default_delivery_timeout_ms() -> u32 {
    30_000
}

fn default_partitions() -> i32 {
    6
}

fn default_replication() -> i32 {
    1
}

impl KafkaSettings {
    /// Settings for `brokers` with the defaults.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            namespace: String::new(),
            partitions: default_partitions(),
            replication: default_replication(),
            delivery_timeout_ms: default_delivery_timeout_ms(),
            create_topics: default_create_topics(),
            dedupe_window_hours: default_dedupe_window_hours(),
            handler_max_attempts: default_handler_max_attempts(),
            stall_after_seconds: default_stall_after_seconds(),
            max_message_bytes: default_max_message_bytes(),
            security_protocol: SecurityProtocol::default(),
            sasl_mechanism: None,
            sasl_username: None,
            sasl_password: None,
            ssl_ca_location: None,
            ssl_certificate_location: None,
            ssl_key_location: None,
            ssl_key_password: None,
        }
    }

    fn security(&self) -> Security<'_> {
        Security {
            protocol: self.security_protocol,
            sasl_mechanism: self.sasl_mechanism,
            sasl_username: self.sasl_username.as_deref(),
            sasl_password: self.sasl_password.as_ref(),
            ssl_ca_location: self.ssl_ca_location.as_deref(),
            ssl_certificate_location: self.ssl_certificate_location.as_deref(),
            ssl_key_location: self.ssl_key_location.as_deref(),
            ssl_key_password: self.ssl_key_password.as_ref(),
        }
    }

    /// Refuses a TLS or SASL configuration that could not work or would send a password in
    /// clear (see [`crate::security`]); every client this crate makes checks it first.
    pub fn check_security(&self) -> Result<(), SecurityError> {
        self.security().check()
    }

    /// The configuration every client of the cluster starts from: the brokers, TLS and SASL.
    /// Checked by [`KafkaSettings::check_security`] first.
    pub fn client_config(&self) -> Result<ClientConfig, KafkaError> {
        self.check_security()
            .map_err(|error| KafkaError::ClientCreation(error.to_string()))?;
        Ok(self.unchecked_config())
    }

    fn unchecked_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("socket.nagle.disable", "true");
        self.security().apply(&mut config);
        config
    }

    /// The dedupe window of `processed_events`.
    pub fn dedupe_window(&self) -> Duration {
        Duration::from_secs(u64::from(self.dedupe_window_hours) * 3600)
    }

    /// How long a consumer may go without progress before it is reported stalled.
    pub fn stall_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.stall_after_seconds.max(1)))
    }

    /// The names of this deployment's topics and groups.
    pub fn topics(&self) -> Topics {
        Topics {
            namespace: self.namespace.clone(),
        }
    }

    /// The idempotent producer the relay and the dead-letter path share: `acks=all`, ordered
    /// retries, the Java client's partitioner so every client puts a key on the same partition,
    /// and a linger of 1 ms (see the module's notes on one hop).
    pub fn producer(&self) -> Result<FutureProducer, KafkaError> {
        self.producer_config()?.create()
    }

    /// The configuration [`KafkaSettings::producer`] creates its producer from.
    pub fn producer_config(&self) -> Result<ClientConfig, KafkaError> {
        let mut config = self.client_config()?;
        config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "1")
            .set("compression.type", "lz4")
            .set("message.timeout.ms", self.delivery_timeout_ms.to_string())
            .set("message.max.bytes", self.max_message_bytes.to_string());
        Ok(config)
    }

    /// The configuration of a consumer in `group` (already namespaced): offsets are stored by
    /// the runner only after the handler's transaction commits, and committed in the background
    /// and once more, synchronously, at shutdown. A partition without a committed offset starts
    /// from its earliest record (`auto.offset.reset=earliest`; the runner itself sets `error`
    /// and starts such partitions from the earliest record, so that one whose committed offset
    /// is out of range is stopped with an alarm, not skipped: see [`crate::consumer`]). With TLS
    /// and SASL as configured, unchecked: the runner checks [`KafkaSettings::check_security`]
    /// before using it. Fetches are answered as soon as a byte is there, and a partition that
    /// was held back fetches again soon (see the module's notes on one hop).
    pub fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = self.unchecked_config();
        config
            .set("group.id", group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .set("fetch.wait.max.ms", "50")
            .set("fetch.min.bytes", "1")
            .set("fetch.queue.backoff.ms", "20")
            .set("fetch.error.backoff.ms", "100")
            .set("partition.assignment.strategy", "cooperative-sticky");
        config
    }
}

/// Topic and consumer-group names of one deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topics {
    namespace: String,
}

impl Topics {
    /// Names in `namespace` (empty: the contract's names as they are).
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
        }
    }

    /// The deployed name of a logical topic such as `vte.offers.v1`.
    pub fn topic(&self, logical: &str) -> String {
        format!("{}{logical}", self.namespace)
    }

    /// The dead-letter topic of a logical topic: `<topic>.dlq`.
    pub fn dead_letters(&self, logical: &str) -> String {
        format!("{}{logical}.dlq", self.namespace)
    }

    /// The consumer group of a service: one group per service.
    pub fn group(&self, service: &str) -> String {
        format!("{}vte.{service}", self.namespace)
    }

    /// The platform's topics (`vte_proto::TOPICS`) as deployed, each with `partitions`
    /// partitions, and their dead-letter topics with one each: what tests and the embedded
    /// platform create.
    pub fn platform(&self, partitions: i32) -> Vec<(String, i32)> {
        vte_proto::TOPICS
            .iter()
            .flat_map(|logical| {
                [
                    (self.topic(logical), partitions),
                    (self.dead_letters(logical), 1),
                ]
            })
            .collect()
    }

    /// The logical topic of a deployed name, if it is one of ours.
    pub fn logical<'a>(&self, deployed: &'a str) -> Option<&'a str> {
        deployed.strip_prefix(self.namespace.as_str())
    }
}

/// Creates the platform's topics and their dead-letter topics, with their retention and cleanup
/// policy ([`TopicConfig`]), where the broker allows it, unless
/// `create_topics` is off. Topics that exist already are left alone. A broker that does not
/// answer CreateTopics within a few seconds is not an error: the service starts and relies on
/// the broker's auto-creation.
pub async fn bootstrap_topics(
    settings: &KafkaSettings,
    logical: &[&str],
) -> Result<(), KafkaError> {
    if !settings.create_topics {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> = settings.client_config()?.create()?;
    let topics = settings.topics();
    let names: Vec<String> = logical
        .iter()
        .flat_map(|topic| [topics.topic(topic), topics.dead_letters(topic)])
        .collect();
    let configs: Vec<Vec<(&str, String)>> = names
        .iter()
        .map(|name| TopicConfig::of(topics.logical(name).unwrap_or(name)).entries())
        .collect();
    let new_topics: Vec<NewTopic<'_>> = names
        .iter()
        .zip(&configs)
        .map(|(name, config)| {
            config.iter().fold(
                NewTopic::new(
                    name,
                    settings.partitions,
                    TopicReplication::Fixed(settings.replication),
                ),
                |topic, (key, value)| topic.set(key, value),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(5)))
        .operation_timeout(Some(Duration::from_secs(5)));
    let results = match admin.create_topics(&new_topics, &options).await {
        Ok(results) => results,
        Err(error) => {
            tracing::warn!(%error, "could not create topics; relying on the broker's auto-creation");
            return Ok(());
        }
    };
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((
                name,
                RDKafkaErrorCode::UnsupportedVersion | RDKafkaErrorCode::InvalidRequest,
            )) => {
                tracing::info!(topic = %name, "the broker does not create topics on request");
            }
            Err((name, code)) => {
                tracing::warn!(topic = %name, %code, "could not create topic");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The settings that keep one hop short on Apache Kafka (see the module's notes).
    use super::*;

    #[test]
    fn a_consumer_is_answered_as_soon_as_a_byte_is_there_and_fetches_again_soon() {
        let settings = KafkaSettings::new("127.0.0.1:9092");
        let config = settings.consumer_config("vte.notifications");
        assert_eq!(config.get("fetch.min.bytes"), Some("1"));
        assert_eq!(config.get("fetch.wait.max.ms"), Some("50"));
        assert_eq!(config.get("fetch.queue.backoff.ms"), Some("20"));
        assert_eq!(config.get("fetch.error.backoff.ms"), Some("100"));
        assert_eq!(config.get("socket.nagle.disable"), Some("true"));
    }

    #[test]
    fn every_client_writes_small_requests_at_once_and_the_producer_lingers_a_millisecond() {
        let settings = KafkaSettings::new("127.0.0.1:9092");
        let config = settings
            .client_config()
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(config.get("socket.nagle.disable"), Some("true"));
        let producer = settings
            .producer_config()
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(producer.get("linger.ms"), Some("1"));
        assert_eq!(producer.get("socket.nagle.disable"), Some("true"));
        // librdkafka takes every one of them.
        assert!(settings.producer().is_ok());
    }
}
