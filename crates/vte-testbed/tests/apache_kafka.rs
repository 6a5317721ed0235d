//! The test bed on Apache Kafka (`VTE_TEST_KAFKA_BROKERS`, which `scripts/test` points at the
//! broker `scripts/kafka/start` runs): the platform's topics are made through CreateTopics with
//! the partitions, retention and cleanup policy of production, whether the services' bootstrap or
//! the test bed creates them; provisioning that broker refuses a jar the lock does not pin; and
//! a broker the scripts start answers, and goes with its directory once the process that owns it
//! dies. librdkafka's embedded cluster answers no DescribeConfigs, and Java and the broker's jars
//! are provisioned only for the run on Apache Kafka, so the broker tests check nothing on the
//! embedded broker: `scripts/test` runs them on Apache Kafka.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use vte_events::topic_config::{DEAD_LETTERS_RETENTION_MS, ERASED_WITHIN_MS, EVENTS_RETENTION_MS};
use vte_proto::EventEnvelope as _;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_testbed::{PARTITIONS, TestBroker, TestKafka, eventually};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A topic as the broker describes it: its partition count and its configuration.
async fn describe(brokers: &str, topic: &str) -> (usize, HashMap<String, String>) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let described = admin
        .describe_configs([&ResourceSpecifier::Topic(topic)], &options)
        .await
        .unwrap();
    let config = described
        .into_iter()
        .next()
        .unwrap()
        .unwrap()
        .entries
        .into_iter()
        .filter_map(|entry| Some((entry.name, entry.value?)))
        .collect();
    let metadata: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let metadata = metadata.fetch_metadata(Some(topic), TIMEOUT).unwrap();
    (metadata.topics()[0].partitions().len(), config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_apache_kafka_the_platform_topics_carry_their_partitions_retention_and_compaction() {
    let broker = TestBroker::start().await;
    if broker.kafka.is_embedded() {
        return;
    }
    let brokers = broker.kafka.brokers();

    let (partitions, offers) = describe(brokers, &broker.topics.topic(OfferEvent::TOPIC)).await;
    assert_eq!(partitions, usize::try_from(PARTITIONS).unwrap());
    assert_eq!(offers["cleanup.policy"], "delete");
    assert_eq!(offers["retention.ms"], EVENTS_RETENTION_MS.to_string());

    // Keyed by candidate: an erasure's tombstone makes Kafka forget the person's events.
    let candidates_topic = broker.topics.topic(CandidateEvent::TOPIC);
    let (_, candidates) = describe(brokers, &candidates_topic).await;
    assert_eq!(candidates["cleanup.policy"], "compact,delete");
    assert_eq!(
        candidates["max.compaction.lag.ms"],
        ERASED_WITHIN_MS.to_string()
    );

    let dead_letters = broker.topics.dead_letters(OfferEvent::TOPIC);
    let (_, dead_letters) = describe(brokers, &dead_letters).await;
    assert_eq!(
        dead_letters["retention.ms"],
        DEAD_LETTERS_RETENTION_MS.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_the_test_bed_creates_on_apache_kafka_has_the_platforms_configuration() {
    let kafka = TestKafka::start();
    if kafka.is_embedded() {
        return;
    }
    let topic = kafka.name(CandidateEvent::TOPIC);
    kafka.create_topic(&topic, 4).await;

    let (partitions, config) = describe(kafka.brokers(), &topic).await;
    assert_eq!(partitions, 4);
    assert_eq!(config["cleanup.policy"], "compact,delete");
    assert_eq!(config["retention.ms"], EVENTS_RETENTION_MS.to_string());
}

/// `scripts/kafka`.
fn scripts() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/kafka")
}

/// Whether process `pid` is gone (or a zombie no one has reaped yet).
fn is_gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|rest| rest.starts_with('Z'))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_the_scripts_start_answers_and_goes_with_its_directory_when_its_owner_dies() {
    if std::env::var_os("VTE_TEST_KAFKA_BROKERS").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut owner = Command::new("sleep").arg("600").spawn().unwrap();
    let started = Command::new(scripts().join("start"))
        .arg(dir.path())
        .arg(owner.id().to_string())
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let brokers = String::from_utf8(started.stdout).unwrap().trim().to_owned();
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap();
    let metadata = client.fetch_metadata(None, TIMEOUT).unwrap();
    assert_eq!(metadata.brokers().len(), 1);
    assert!(brokers.starts_with("127.0.0.1:"), "{brokers}");
    let broker_pid = std::fs::read_to_string(dir.path().join("pid")).unwrap();
    let broker_pid = broker_pid.trim();
    assert!(!is_gone(broker_pid));

    // Killed outright, as a test run interrupted by kill -9 would be.
    owner.kill().unwrap();
    owner.wait().unwrap();
    eventually(
        "the watchdog to stop the broker and remove its directory",
        TIMEOUT,
        || async { (is_gone(broker_pid) && !dir.path().exists()).then_some(()) },
    )
    .await;
}

#[test]
fn provisioning_refuses_a_kafka_jar_whose_checksum_differs_from_the_lock() {
    let scripts = scripts();
    let lock = std::fs::read_to_string(scripts.join("jars.sha256")).unwrap();
    let clients = lock
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .find(|jar| jar.starts_with("kafka-clients-"))
        .unwrap();
    let jars = tempfile::tempdir().unwrap();
    std::fs::write(
        jars.path().join(clients),
        b"not the jar Maven Central serves",
    )
    .unwrap();

    let verify = Command::new(scripts.join("provision"))
        .arg("--verify")
        .arg(jars.path())
        .output()
        .unwrap();

    assert!(!verify.status.success());
    let said = String::from_utf8_lossy(&verify.stderr);
    // Present but different ("FAILED"), not merely missing ("FAILED open or read").
    let refused = format!("{clients}: FAILED");
    assert!(said.lines().any(|line| line.trim() == refused), "{said}");
}
