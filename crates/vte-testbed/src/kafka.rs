//! A Kafka-protocol broker for tests: one librdkafka embedded cluster on loopback per test
//! process, or the brokers named by `VTE_TEST_KAFKA_BROKERS` (a real Apache Kafka, say). Every
//! test prefixes its topic and group names with a namespace of its own, so tests sharing a broker
//! never see each other's records, and the same tests run unchanged against both. A test that
//! switches the broker off takes a [`TestKafka::private`] one.

use std::sync::OnceLock;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use vte_embedded::EmbeddedBroker;

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

    /// Creates each topic (already namespaced by the caller) with its number of partitions.
    pub async fn create_topics(&self, topics: impl IntoIterator<Item = (String, i32)>) {
        for (topic, partitions) in topics {
            self.create_topic(&topic, partitions).await;
        }
    }

    /// Creates a topic (already namespaced by the caller) with `partitions` partitions.
    pub async fn create_topic(&self, topic: &str, partitions: i32) {
        match self.embedded() {
            Some(broker) => broker
                .create_topic(topic, partitions)
                .expect("cannot create a topic on the embedded broker"),
            None => {
                let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                    .set("bootstrap.servers", &self.brokers)
                    .create()
                    .expect("cannot create a Kafka admin client");
                let topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
                let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
                let results = admin
                    .create_topics([&topic], &options)
                    .await
                    .expect("CreateTopics failed");
                for result in results {
                    match result {
                        Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((name, code)) => panic!("cannot create topic {name}: {code}"),
                    }
                }
            }
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
