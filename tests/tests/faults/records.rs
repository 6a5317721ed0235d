//! Records written straight to a topic with an rdkafka producer, as a faulty or hostile
//! producer would (not through a service's outbox), and the dead-letter topics read back by key.

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};

/// Apache Kafka's default `message.max.bytes`: the largest record batch the broker accepts.
pub const BROKER_MAX_BYTES: usize = 1_048_588;

/// Produces one record and waits for the broker's acknowledgement.
pub async fn produce(brokers: &str, topic: &str, key: &str, payload: &[u8]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("message.max.bytes", BROKER_MAX_BYTES.to_string())
        .create()
        .expect("cannot create a Kafka producer");
    producer
        .send(
            FutureRecord::to(topic).key(key).payload(payload),
            Duration::from_secs(30),
        )
        .await
        .map_err(|(error, _)| error)
        .unwrap_or_else(|error| panic!("cannot write to {topic}: {error}"));
}

/// How many records of `topic` (read from its beginning) have a key in `keys`, once `expected`
/// of them are there or `within` has passed; read on a little longer to see any extra.
pub async fn count_keyed(
    brokers: &str,
    topic: &str,
    keys: &[String],
    expected: usize,
    within: Duration,
) -> usize {
    let brokers = brokers.to_owned();
    let topic = topic.to_owned();
    let keys = keys.to_vec();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set(
                "group.id",
                format!("faults-reader-{}", uuid::Uuid::new_v4()),
            )
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("cannot create a Kafka consumer");
        consumer.subscribe(&[&topic]).expect("cannot subscribe");
        let until = Instant::now() + within;
        let mut found = 0;
        let mut complete_at: Option<Instant> = None;
        loop {
            if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100))
                && let Some(key) = message.key()
                && keys.iter().any(|k| k.as_bytes() == key)
            {
                found += 1;
            }
            if found >= expected && complete_at.is_none() {
                complete_at = Some(Instant::now());
            }
            let extra_time_over =
                complete_at.is_some_and(|at| at.elapsed() > Duration::from_secs(2));
            if extra_time_over || Instant::now() > until {
                return found;
            }
        }
    })
    .await
    .unwrap()
}
