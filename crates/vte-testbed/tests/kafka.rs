//! The test bed's broker: real Kafka clients over loopback, a consumer group that resumes.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use vte_testbed::TestKafka;

fn producer(kafka: &TestKafka) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()
        .unwrap()
}

fn consumer(kafka: &TestKafka, group: &str, topic: &str) -> StreamConsumer {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

async fn produce(producer: &FutureProducer, topic: &str, values: impl Iterator<Item = u32>) {
    for value in values {
        let payload = value.to_string();
        let key = format!("key-{}", value % 7);
        producer
            .send(
                FutureRecord::to(topic).key(&key).payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}

async fn take(consumer: &StreamConsumer, count: usize) -> Vec<u32> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("no record within 30 s")
            .unwrap();
        let payload = std::str::from_utf8(message.payload().unwrap()).unwrap();
        seen.push(payload.parse().unwrap());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_group_resumes_after_a_restart_without_losing_a_record() {
    let kafka = TestKafka::start();
    let topic = kafka.name("round-trip");
    let group = kafka.name("resuming-group");
    kafka.create_topic(&topic, 3).await;
    let producer = producer(&kafka);
    produce(&producer, &topic, 0..20).await;

    let first = consumer(&kafka, &group, &topic);
    let before_restart = take(&first, 8).await;
    first.commit_consumer_state(CommitMode::Sync).unwrap();
    drop(first);

    produce(&producer, &topic, 20..40).await;
    let second = consumer(&kafka, &group, &topic);
    let after_restart = take(&second, 32).await;

    let all: Vec<u32> = before_restart
        .iter()
        .chain(&after_restart)
        .copied()
        .collect();
    let distinct: BTreeSet<u32> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        distinct.len(),
        "a record was delivered twice: {all:?}"
    );
    assert_eq!(distinct, (0..40).collect(), "a record was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_one_key_arrive_in_the_order_they_were_produced() {
    let kafka = TestKafka::start();
    let topic = kafka.name("ordered");
    kafka.create_topic(&topic, 4).await;
    let producer = producer(&kafka);
    produce(&producer, &topic, (0..50).map(|i| i * 7)).await; // every value has key "key-0"

    let consumer = consumer(&kafka, &kafka.name("ordered-group"), &topic);
    let seen = take(&consumer, 50).await;
    assert_eq!(seen, (0..50).map(|i| i * 7).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_of_one_process_share_a_broker_but_not_their_topics() {
    let first = TestKafka::start();
    let second = TestKafka::start();
    assert_eq!(first.brokers(), second.brokers(), "one broker per process");
    assert_ne!(first.name("offers"), second.name("offers"));
    for kafka in [&first, &second] {
        kafka.create_topic(&kafka.name("offers"), 1).await;
    }
    produce(&producer(&first), &first.name("offers"), 0..3).await;
    produce(&producer(&second), &second.name("offers"), 100..102).await;
    let read = consumer(&second, &second.name("reader"), &second.name("offers"));
    assert_eq!(take(&read, 2).await, vec![100, 101]);
}

#[test]
#[should_panic(expected = "TestKafka::private()")]
fn a_test_cannot_switch_off_the_broker_it_shares() {
    TestKafka::start().set_reachable(false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_broker_can_be_switched_off_and_on() {
    let kafka = TestKafka::private();
    assert_ne!(kafka.brokers(), TestKafka::start().brokers());
    let topic = kafka.name("switched");
    kafka.create_topic(&topic, 1).await;
    kafka.set_reachable(false);
    kafka.set_reachable(true);
    produce(&producer(&kafka), &topic, 0..2).await;
    let read = consumer(&kafka, &kafka.name("reader"), &topic);
    assert_eq!(take(&read, 2).await, vec![0, 1]);
}
