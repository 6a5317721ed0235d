//! Reading back what a service published. [`TopicReader::new_records`] returns every record
//! published since its last call and misses none: it first waits until the service's outbox is
//! empty (every committed event acknowledged by the broker), then reads every partition of its
//! topics up to the high watermark it had at that moment.
//!
//! Fast, because a test reads often: the reader's fetches wait at most 10 ms at the broker (a
//! fetch waiting its default 500 ms holds up every other request on the connection), and the
//! high watermarks of every partition come in one request (ListOffsets for the latest offset).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use sqlx::PgPool;
use vte_events::Topics;

use crate::{PATIENCE, TestBroker, eventually};

/// How long one metadata or offsets request to the broker may take.
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a fetch may wait at the broker for records to arrive.
const FETCH_WAIT_MS: &str = "10";

/// A record read back from the broker.
#[derive(Debug, Clone)]
pub struct Record {
    /// The logical topic (`vte.offers.v1`), without the test's namespace.
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The Kafka key (the aggregate id).
    pub key: String,
    /// The encoded envelope, as it travels.
    pub payload: Vec<u8>,
}

impl Record {
    /// The payload decoded as envelope `E`.
    ///
    /// # Panics
    /// If the payload is not an `E`.
    pub fn decode<E: prost::Message + Default>(&self) -> E {
        E::decode(self.payload.as_slice())
            .unwrap_or_else(|error| panic!("a record on {} does not decode: {error}", self.topic))
    }
}

/// Every partition of some topics, read from the beginning with a plain consumer (no group
/// offsets, nothing committed).
pub struct TopicReader {
    consumer: Arc<StreamConsumer>,
    /// The database of the service whose outbox feeds the topics.
    pool: PgPool,
    topics: Topics,
    /// The deployed names of the topics read.
    names: Vec<String>,
    /// The next offset to read, per (deployed topic, partition); empty until the first read
    /// finds the partitions and assigns them.
    next: HashMap<(String, i32), i64>,
}

impl std::fmt::Debug for TopicReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicReader")
            .field("topics", &self.names)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl TopicReader {
    pub(crate) fn new(broker: &TestBroker, pool: PgPool, logical: &[&str]) -> Self {
        let group = broker
            .kafka
            .name(&format!("reader-{}", uuid::Uuid::new_v4().simple()));
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", broker.kafka.brokers())
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", FETCH_WAIT_MS)
            .create()
            .expect("cannot create the topic reader's consumer");
        Self {
            consumer: Arc::new(consumer),
            pool,
            topics: broker.topics.clone(),
            names: logical
                .iter()
                .map(|topic| broker.topics.topic(topic))
                .collect(),
            next: HashMap::new(),
        }
    }

    /// Every record published since the last call (since the topics began, the first time),
    /// in the order read: per partition, hence per key, the order published.
    pub async fn new_records(&mut self) -> Vec<Record> {
        self.outbox_drained().await;
        let consumer = self.consumer.clone();
        let names = self.names.clone();
        let partitions: Vec<(String, i32)> = if self.next.is_empty() {
            tokio::task::spawn_blocking(move || assign_every_partition(&consumer, &names))
                .await
                .expect("the assignment panicked")
        } else {
            self.next.keys().cloned().collect()
        };
        for partition in &partitions {
            self.next.entry(partition.clone()).or_insert(0);
        }
        let consumer = self.consumer.clone();
        let high = tokio::task::spawn_blocking(move || high_watermarks(&consumer, &partitions))
            .await
            .expect("the offsets request panicked");
        let mut read = Vec::new();
        while high
            .iter()
            .any(|(partition, high)| self.next[partition] < *high)
        {
            let message = tokio::time::timeout(PATIENCE, self.consumer.recv())
                .await
                .expect("the broker holds records the reader cannot get")
                .expect("the reader cannot read a record");
            let deployed = message.topic().to_owned();
            let partition = message.partition();
            self.next
                .insert((deployed.clone(), partition), message.offset() + 1);
            read.push(Record {
                topic: self
                    .topics
                    .logical(&deployed)
                    .unwrap_or(&deployed)
                    .to_owned(),
                partition,
                offset: message.offset(),
                key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
                payload: message.payload().unwrap_or_default().to_vec(),
            });
        }
        read
    }

    /// Waits until the relay has handed every committed event to the broker.
    async fn outbox_drained(&self) {
        let pool = &self.pool;
        eventually(
            "the outbox to be relayed to the broker",
            PATIENCE,
            || async {
                let waiting = vte_events::outbox::waiting(pool, None).await.ok()?;
                (waiting == 0).then_some(())
            },
        )
        .await;
    }
}

/// Finds every partition of `names` and assigns them all to `consumer` from their beginning.
fn assign_every_partition(consumer: &StreamConsumer, names: &[String]) -> Vec<(String, i32)> {
    let mut assignment = TopicPartitionList::new();
    for name in names {
        let metadata = consumer
            .fetch_metadata(Some(name), BROKER_TIMEOUT)
            .unwrap_or_else(|error| panic!("no metadata for topic {name}: {error}"));
        let count = metadata
            .topics()
            .iter()
            .find(|topic| topic.name() == name)
            .map_or(0, |topic| topic.partitions().len());
        for partition in 0..i32::try_from(count).expect("a partition count") {
            assignment
                .add_partition_offset(name, partition, Offset::Beginning)
                .expect("a partition offset");
        }
    }
    consumer
        .assign(&assignment)
        .expect("cannot assign the topics to the reader");
    assignment
        .elements()
        .iter()
        .map(|element| (element.topic().to_owned(), element.partition()))
        .collect()
}

/// The high watermark of each of `partitions`, in one request: the offsets "for" the latest
/// time (`Offset::End`, ListOffsets' LATEST) are the partitions' end offsets.
fn high_watermarks(
    consumer: &StreamConsumer,
    partitions: &[(String, i32)],
) -> HashMap<(String, i32), i64> {
    if partitions.is_empty() {
        return HashMap::new();
    }
    let mut latest = TopicPartitionList::new();
    for (topic, partition) in partitions {
        latest
            .add_partition_offset(topic, *partition, Offset::End)
            .expect("a partition offset");
    }
    let ends = consumer
        .offsets_for_times(latest, BROKER_TIMEOUT)
        .unwrap_or_else(|error| panic!("cannot read the topics' end offsets: {error}"));
    ends.elements()
        .iter()
        .map(|element| {
            let end = match element.offset() {
                Offset::Offset(end) => end,
                other => panic!("no end offset for {}: {other:?}", element.topic()),
            };
            ((element.topic().to_owned(), element.partition()), end)
        })
        .collect()
}
