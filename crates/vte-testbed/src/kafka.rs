//! A Kafka-protocol broker for tests: one librdkafka embedded cluster on loopback per test
//! process, or the brokers named by `VTE_TEST_KAFKA_BROKERS` (the Apache Kafka that
//! `scripts/kafka/start` runs for `scripts/test`, say). Every test prefixes its topic and group
//! names with a namespace of its own, so tests sharing a broker never see each other's records,
//! and the same tests run unchanged against both. On Apache Kafka, topics are created through
//! CreateTopics with the platform's configuration ([`TopicConfig`]). A test that switches the
//! broker off takes a [`TestKafka::private`] one.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use vte_embedded::EmbeddedBroker;
use vte_events::topic_config::TopicConfig;

use crate::PATIENCE;

/// How long one CreateTopics or metadata request to an external broker may take.
const BROKER_TIMEOUT: Duration = Duration::from_secs(30);

/// Which broker a test talks to.
#[derive(Debug)]
enum Broker {
    /// `VTE_TEST_KAFKA_BROKERS`.
    External,
    /// The embedded broker every test of this process shares; it lives as long as the process,
    /// so no test ever waits on a client closing against a broker that went away.
    Shared(&'static EmbeddedBroker),
    /// An embedded broker of this test's own, which it may switch off.
    Private(EmbeddedBroker),
}

/// One test's view of a broker: its address and the test's namespace.
#[derive(Debug)]
pub struct TestKafka {
    brokers: String,
    namespace: String,
    broker: Broker,
}

/// The embedded broker the tests of this process share, started on first use.
fn shared_broker() -> &'static EmbeddedBroker {
    static SHARED: OnceLock<EmbeddedBroker> = OnceLock::new();
    SHARED.get_or_init(|| EmbeddedBroker::start(1).expect("cannot start the embedded broker"))
}

impl TestKafka {
    /// A namespace on the process's shared embedded broker, or on `VTE_TEST_KAFKA_BROKERS`.
    pub fn start() -> Self {
        match std::env::var("VTE_TEST_KAFKA_BROKERS") {
            Ok(brokers) => Self::on(brokers, Broker::External),
            Err(_) => {
                let broker = shared_broker();
                Self::on(
                    broker.bootstrap_servers().to_owned(),
                    Broker::Shared(broker),
                )
            }
        }
    }

    /// An embedded broker of this test's own, for a test that makes it unreachable
    /// ([`TestKafka::set_reachable`]); always embedded, whatever `VTE_TEST_KAFKA_BROKERS` says.
    pub fn private() -> Self {
        let broker = EmbeddedBroker::start(1).expect("cannot start the embedded broker");
        Self::on(
            broker.bootstrap_servers().to_owned(),
            Broker::Private(broker),
        )
    }

    fn on(brokers: String, broker: Broker) -> Self {
        let namespace = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        Self {
            brokers,
            namespace,
            broker,
        }
    }

    /// The embedded broker, shared or private, if the test runs on one.
    fn embedded(&self) -> Option<&EmbeddedBroker> {
        match &self.broker {
            Broker::External => None,
            Broker::Shared(broker) => Some(broker),
            Broker::Private(broker) => Some(broker),
        }
    }

    /// The `bootstrap.servers` list.
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    /// This test's name for topic or group `name`, unique to the test.
    pub fn name(&self, name: &str) -> String {
        format!("{}.{name}", self.namespace)
    }

    /// This test's prefix, for settings that namespace every topic and group of a service.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Produces one record to `topic` (already namespaced) as a service's producer would, and
    /// waits for the broker's acknowledgement.
    pub async fn publish(&self, topic: &str, key: &str, payload: &[u8]) {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .create()
            .expect("cannot create a Kafka producer");
        producer
            .send(
                FutureRecord::to(topic).key(key).payload(payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(error, _)| error)
            .expect("cannot publish a record");
    }

    /// Creates each topic (already namespaced by the caller) with its number of partitions: on
    /// Apache Kafka in one CreateTopics request, with the platform's configuration of the topic
    /// ([`TopicConfig`]), waiting until the broker shows them.
    pub async fn create_topics(&self, topics: impl IntoIterator<Item = (String, i32)>) {
        let topics: Vec<(String, i32)> = topics.into_iter().collect();
        if let Some(broker) = self.embedded() {
            for (topic, partitions) in &topics {
                broker
                    .create_topic(topic, *partitions)
                    .expect("cannot create a topic on the embedded broker");
            }
            return;
        }
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .create()
            .expect("cannot create a Kafka admin client");
        // A platform topic's retention and cleanup policy, as production creates it.
        let configs: Vec<Vec<(&str, String)>> = topics
            .iter()
            .map(|(topic, _)| TopicConfig::of(self.logical(topic)).entries())
            .collect();
        let new_topics: Vec<NewTopic<'_>> = topics
            .iter()
            .zip(&configs)
            .map(|((topic, partitions), config)| {
                config.iter().fold(
                    NewTopic::new(topic, *partitions, TopicReplication::Fixed(1)),
                    |new_topic, (key, value)| new_topic.set(key, value),
                )
            })
            .collect();
        let options = AdminOptions::new()
            .request_timeout(Some(BROKER_TIMEOUT))
            .operation_timeout(Some(BROKER_TIMEOUT));
        let results = admin
            .create_topics(&new_topics, &options)
            .await
            .expect("CreateTopics failed");
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => panic!("cannot create topic {name}: {code}"),
            }
        }
        self.await_topics(topics).await;
    }

    /// Creates a topic (already namespaced by the caller) with `partitions` partitions.
    pub async fn create_topic(&self, topic: &str, partitions: i32) {
        self.create_topics([(topic.to_owned(), partitions)]).await;
    }

    /// The name of `topic` without this test's namespace (`vte.offers.v1`).
    fn logical<'a>(&self, topic: &'a str) -> &'a str {
        topic
            .strip_prefix(&self.namespace)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(topic)
    }

    /// Waits until the broker's metadata shows each topic (already namespaced) with its number
    /// of partitions, each with a leader, so that a client made next finds them; panics naming
    /// those still missing after [`PATIENCE`].
    pub async fn await_topics(&self, topics: impl IntoIterator<Item = (String, i32)>) {
        let expected: Vec<(String, i32)> = topics.into_iter().collect();
        let brokers = self.brokers.clone();
        let waited = tokio::task::spawn_blocking(move || {
            let client: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .create()
                .expect("cannot create a Kafka metadata client");
            let until = Instant::now() + PATIENCE;
            loop {
                let lacking = lacking_topics(&client, &expected);
                if lacking.is_empty() {
                    return;
                }
                assert!(
                    Instant::now() < until,
                    "after {PATIENCE:?} the broker still lacks {}",
                    lacking.join(", ")
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .await;
        if let Err(error) = waited {
            std::panic::resume_unwind(error.into_panic());
        }
    }

    /// Makes a [`TestKafka::private`] broker unreachable or reachable again.
    ///
    /// # Panics
    /// On a shared or external broker, which other tests are using.
    pub fn set_reachable(&self, up: bool) {
        let Broker::Private(broker) = &self.broker else {
            panic!("only a TestKafka::private() broker can be switched off by a test");
        };
        broker
            .set_reachable(up)
            .expect("cannot switch the embedded broker");
    }

    /// Whether the broker is an embedded one (which creates topics only on request).
    pub fn is_embedded(&self) -> bool {
        self.embedded().is_some()
    }
}

/// Those of `expected` (topic, partitions) that the broker's metadata does not show yet with all
/// their partitions led, as `name (n partitions)`.
fn lacking_topics(client: &BaseConsumer, expected: &[(String, i32)]) -> Vec<String> {
    expected
        .iter()
        .filter(|(name, partitions)| {
            let Ok(metadata) = client.fetch_metadata(Some(name), BROKER_TIMEOUT) else {
                return true;
            };
            !metadata.topics().iter().any(|topic| {
                topic.error().is_none()
                    && usize::try_from(*partitions).ok() == Some(topic.partitions().len())
                    && topic.partitions().iter().all(|p| p.leader() >= 0)
            })
        })
        .map(|(name, partitions)| format!("{name} ({partitions} partitions)"))
        .collect()
}
