//! Topic bootstrap at start-up: topics and their dead-letter topics are created where the broker
//! allows it, and start-up does not wait on a broker that does not.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use vte_events::KafkaSettings;
use vte_testbed::TestKafka;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_creates_topics_and_dead_letter_topics_where_the_broker_allows_it() {
    let kafka = TestKafka::start();
    let mut settings = KafkaSettings::new(kafka.brokers());
    settings.namespace = format!("{}.", kafka.namespace());
    settings.partitions = 3;
    settings.create_topics = !kafka.is_embedded();
    let started = Instant::now();
    vte_events::kafka::bootstrap_topics(&settings, &vte_proto::TOPICS)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    if kafka.is_embedded() {
        // librdkafka's embedded cluster has no CreateTopics: the test bed makes topics through
        // its own API. Asking anyway costs a bounded wait, not a hang.
        settings.create_topics = true;
        let asked = Instant::now();
        vte_events::kafka::bootstrap_topics(&settings, &vte_proto::TOPICS[..1])
            .await
            .unwrap();
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "{:?}",
            asked.elapsed()
        );
        return;
    }
    let metadata_client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .create()
        .unwrap();
    let metadata = metadata_client
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    let topics = settings.topics();
    for logical in vte_proto::TOPICS {
        for name in [topics.topic(logical), topics.dead_letters(logical)] {
            let topic = metadata
                .topics()
                .iter()
                .find(|t| t.name() == name)
                .unwrap_or_else(|| panic!("{name} was not created"));
            assert_eq!(topic.partitions().len(), 3);
        }
    }
}
