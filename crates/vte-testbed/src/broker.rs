//! The broker as the services of one test see it: the test's namespace on a [`TestKafka`] with
//! every platform topic created (on Apache Kafka by the services' own topic bootstrap), the
//! settings a service needs to use it, and publishing an envelope as its producing service
//! would. Two services of one test share one [`TestBroker`].

use std::sync::Arc;

use sqlx::PgPool;
use vte_events::{EventEnvelope, KafkaSettings, Topics};
use vte_service::{ServiceDefaults, Settings};

use crate::{TestDatabase, TestKafka, TopicReader};

/// Partitions of every platform topic the test bed creates: more than one, so that tests see
/// records of different keys on different partitions, as in production.
pub const PARTITIONS: i32 = 3;

/// Where a service under test finds the peers the test did not start: a loopback port where
/// nothing listens (the discard port), never a service running on the machine's default ports.
const NO_PEER: &str = "http://127.0.0.1:9";

/// One test's namespace on the broker, with the platform's topics (and their dead-letter
/// topics) created.
#[derive(Debug)]
pub struct TestBroker {
    /// The broker and the test's namespace on it.
    pub kafka: TestKafka,
    /// The deployed names of the platform's topics and groups in that namespace.
    pub topics: Topics,
}

impl TestBroker {
    /// A namespace on the process's shared broker (or on `VTE_TEST_KAFKA_BROKERS`).
    pub async fn start() -> Arc<Self> {
        Self::on(TestKafka::start()).await
    }

    /// A namespace on `kafka` (a [`TestKafka::private`] one, for a test that switches it off).
    /// On Apache Kafka the platform's topics are made by the services' own start-up bootstrap,
    /// through CreateTopics with the configured partitions, replication and retention.
    pub async fn on(kafka: TestKafka) -> Arc<Self> {
        let settings = Self::kafka_settings(&kafka);
        let topics = settings.topics();
        let platform = topics.platform(PARTITIONS);
        if kafka.is_embedded() {
            kafka.create_topics(platform).await;
        } else {
            vte_events::kafka::bootstrap_topics(&settings, &vte_proto::TOPICS)
                .await
                .expect("cannot bootstrap the platform's topics");
            // Bootstrap gives dead-letter topics the same partitions as the others.
            let created = platform
                .into_iter()
                .map(|(topic, _)| (topic, settings.partitions));
            kafka.await_topics(created).await;
        }
        Arc::new(Self { kafka, topics })
    }

    /// The Kafka settings of a service on this namespace: names prefixed, topics created by
    /// the service itself only where the broker allows it (not the embedded one).
    fn kafka_settings(kafka: &TestKafka) -> KafkaSettings {
        let mut settings = KafkaSettings::new(kafka.brokers());
        settings.namespace = format!("{}.", kafka.namespace());
        settings.create_topics = !kafka.is_embedded();
        settings.partitions = PARTITIONS;
        settings
    }

    /// Settings for a service named by `defaults` on `database` and this namespace, verifying
    /// HS256 tokens signed with `secret`, listening on loopback ports the system picks, its
    /// peers out of reach until the test names them (`settings.peers.candidates = ...`).
    pub fn settings(
        &self,
        defaults: ServiceDefaults,
        database: &TestDatabase,
        secret: &str,
    ) -> Settings {
        let mut settings = Settings::local(
            defaults,
            &database.url(),
            self.kafka.brokers(),
            secret,
            &crate::reference_dir(),
        );
        settings.kafka = Self::kafka_settings(&self.kafka);
        let peers = &mut settings.peers;
        for peer in [
            &mut peers.offers,
            &mut peers.candidates,
            &mut peers.matching,
            &mut peers.notifications,
        ] {
            NO_PEER.clone_into(peer);
        }
        settings
    }

    /// Publishes `event` on its topic, keyed by its aggregate, as its producer would, and
    /// waits for the broker's acknowledgement.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.kafka
            .publish(
                &self.topics.topic(E::TOPIC),
                event.key(),
                &event.encode_to_vec(),
            )
            .await;
    }

    /// A reader of the logical `topics` (`vte.offers.v1`...) from their beginning, which
    /// waits for the outbox of the service on `pool` to drain before each read.
    pub fn reader(&self, pool: &PgPool, topics: &[&str]) -> TopicReader {
        TopicReader::new(self, pool.clone(), topics)
    }
}
