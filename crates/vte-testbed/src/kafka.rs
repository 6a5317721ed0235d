//! A Kafka-protocol broker per test: librdkafka's embedded cluster on loopback, or the brokers
//! named by `VTE_TEST_KAFKA_BROKERS` (a real Apache Kafka, say). On a shared external cluster
//! every topic and group name is prefixed with the test's own namespace, so tests never see each
//! other's records; the same tests run unchanged against both.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use vte_embedded::EmbeddedBroker;

/// The broker of one test.
#[derive(Debug)]
pub struct TestKafka {
    brokers: String,
    namespace: String,
    embedded: Option<EmbeddedBroker>,
}

impl TestKafka {
    /// Starts an embedded broker, or connects to `VTE_TEST_KAFKA_BROKERS`.
    pub fn start() -> Self {
        let namespace = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        match std::env::var("VTE_TEST_KAFKA_BROKERS") {
            Ok(brokers) => Self {
                brokers,
                namespace,
                embedded: None,
            },
            Err(_) => {
                let broker = EmbeddedBroker::start(1).expect("cannot start the embedded broker");
                Self {
                    brokers: broker.bootstrap_servers().to_owned(),
                    namespace,
                    embedded: Some(broker),
                }
            }
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
        match &self.embedded {
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

    /// Makes the embedded broker unreachable or reachable again. Only the embedded broker can
    /// be switched off by a test; against an external cluster this panics.
    pub fn set_reachable(&self, up: bool) {
        self.embedded
            .as_ref()
            .expect("only the embedded broker can be switched off by a test")
            .set_reachable(up)
            .expect("cannot switch the embedded broker");
    }

    /// Whether the broker is the embedded one (some tests need to switch it off).
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }
}
