//! The platform's topics as Strimzi KafkaTopics: every topic of `vte_proto::TOPICS` and its
//! dead-letter topic, in one cluster, with only the fields Strimzi's CRD defines and a retention
//! the consumers' deduplication covers.

use std::collections::BTreeSet;

use serde_norway::Value;

use crate::manifests::{kafka_cluster, kind, name, resources};
use crate::support::{all_topics, at, scalar, str_at};

/// KafkaTopic's fields in Strimzi's CRD (kafka.strimzi.io/v1beta2): no other is accepted.
const KAFKA_TOPIC_SPEC: [&str; 4] = ["topicName", "partitions", "replicas", "config"];

#[test]
fn every_topic_and_dead_letter_topic_is_a_strimzi_kafka_topic() {
    let documents = resources();
    kafka_cluster(&documents);
    let mut names = BTreeSet::new();
    for topic in documents
        .iter()
        .filter(|document| kind(document) == "KafkaTopic")
    {
        let topic_name = name(topic);
        assert_eq!(str_at(topic, &["apiVersion"]), "kafka.strimzi.io/v1beta2");
        let spec = at(topic, &["spec"]).as_mapping().unwrap();
        for key in spec.keys() {
            assert!(
                KAFKA_TOPIC_SPEC.contains(&scalar(key).as_str()),
                "{topic_name}: spec.{} is not a KafkaTopic field",
                scalar(key)
            );
        }
        let partitions = at(topic, &["spec", "partitions"]).as_u64();
        assert!(
            partitions.is_some_and(|partitions| partitions >= 1),
            "{topic_name}: partitions"
        );
        let replicas = at(topic, &["spec", "replicas"]).as_u64();
        assert!(
            replicas.is_some_and(|replicas| (1..=32767).contains(&replicas)),
            "{topic_name}: replicas"
        );
        for (key, value) in at(topic, &["spec", "config"]).as_mapping().unwrap() {
            assert!(
                !matches!(value, Value::Mapping(_) | Value::Sequence(_)),
                "{topic_name}: config {}",
                scalar(key)
            );
        }
        let retention_hours = at(topic, &["spec", "config", "retention.ms"])
            .as_u64()
            .unwrap()
            / 3_600_000;
        let dedupe_hours = u64::from(vte_events::KafkaSettings::new("").dedupe_window_hours);
        assert!(
            topic_name.ends_with(".dlq") || retention_hours < dedupe_hours,
            "{topic_name}: kept {retention_hours} h, longer than redeliveries are recognised ({dedupe_hours} h)"
        );
        // The configuration vte_events::topic_config gives the topic, and only that beside
        // min.insync.replicas (a cluster concern).
        let config: Vec<(String, String)> = at(topic, &["spec", "config"])
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(key, value)| (scalar(key), scalar(value)))
            .filter(|(key, _)| key != "min.insync.replicas")
            .collect();
        let mut wanted: Vec<(String, String)> =
            vte_events::topic_config::TopicConfig::of(topic_name)
                .entries()
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect();
        let mut config = config;
        config.sort();
        wanted.sort();
        assert_eq!(config, wanted, "{topic_name}: configuration");
        assert!(names.insert(topic_name.to_owned()), "{topic_name} twice");
    }
    let expected: BTreeSet<String> = all_topics().into_iter().collect();
    assert_eq!(
        names, expected,
        "a KafkaTopic for every topic of vte_proto::TOPICS and its .dlq"
    );
}
