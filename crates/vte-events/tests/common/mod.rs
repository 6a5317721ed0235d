//! What the backbone tests share: a database with the backbone's tables and a `handled` table,
//! a broker with the offers and placements topics, a recording handler, and small producers and
//! readers.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::Registry;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};
use sqlx::{PgPool, Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use vte_events::consumer::{ConsumerOptions, HandlerError, Handles, RecordMeta};
use vte_events::relay::RelayOptions;
use vte_events::{ConsumerRunner, EventEnvelope, KafkaSettings, Relay};
use vte_proto::vte::offers::v1::offer_event::Event;
use vte_proto::vte::offers::v1::{Offer, OfferEvent, OfferPublished};
use vte_proto::vte::placements::v1::{PlacementCompleted, PlacementEvent, placement_event};
use vte_testbed::{TestDatabase, TestKafka};

pub const PARTITIONS: i32 = 4;

/// The service name of the runners' consumer group.
const SERVICE: &str = "backbone-tests";

pub struct Bed {
    pub database: TestDatabase,
    pub kafka: TestKafka,
    pub pool: PgPool,
    pub settings: KafkaSettings,
}

impl Bed {
    /// A bed on the process's shared broker.
    pub async fn start() -> Self {
        Self::on(TestKafka::start()).await
    }

    /// A bed on a broker of its own, for a test that switches it off.
    pub async fn private() -> Self {
        Self::on(TestKafka::private()).await
    }

    async fn on(kafka: TestKafka) -> Self {
        // The guard must live as long as the process: dropping it stops the tracer.
        static TELEMETRY: std::sync::OnceLock<vte_telemetry::TelemetryGuard> =
            std::sync::OnceLock::new();
        TELEMETRY.get_or_init(|| {
            let quiet = vte_telemetry::TelemetrySettings {
                log_filter: "off".into(),
                ..Default::default()
            };
            vte_telemetry::init("vte-events-tests", &quiet).unwrap()
        });
        let database = TestDatabase::create().await;
        let pool = database.pool().await;
        vte_events::migrations::BACKBONE.run(&pool).await.unwrap();
        sqlx::query(
            "CREATE TABLE handled (
                event_id uuid PRIMARY KEY,
                offer_id text NOT NULL,
                revision bigint NOT NULL,
                instance text NOT NULL,
                trace_id text NOT NULL,
                topic text NOT NULL,
                partition integer NOT NULL,
                seq bigint GENERATED ALWAYS AS IDENTITY
            )",
        )
        .execute(&pool)
        .await
        .unwrap();
        let mut settings = KafkaSettings::new(kafka.brokers());
        settings.namespace = format!("{}.", kafka.namespace());
        settings.delivery_timeout_ms = 2_000;
        let topics = settings.topics();
        kafka
            .create_topic(&topics.topic(OfferEvent::TOPIC), PARTITIONS)
            .await;
        kafka
            .create_topic(&topics.dead_letters(OfferEvent::TOPIC), 1)
            .await;
        kafka
            .create_topic(&topics.topic(PlacementEvent::TOPIC), PARTITIONS)
            .await;
        Self {
            database,
            kafka,
            pool,
            settings,
        }
    }

    pub fn topic(&self) -> String {
        self.settings.topics().topic(OfferEvent::TOPIC)
    }

    pub fn placements_topic(&self) -> String {
        self.settings.topics().topic(PlacementEvent::TOPIC)
    }

    pub fn dead_letter_topic(&self) -> String {
        self.settings.topics().dead_letters(OfferEvent::TOPIC)
    }

    pub fn relay(&self) -> Relay {
        Relay::new(
            self.pool.clone(),
            self.settings.producer().unwrap(),
            self.settings.topics(),
            RelayOptions {
                idle_wait: Duration::from_millis(50),
                max_backoff: Duration::from_millis(500),
                ..RelayOptions::default()
            },
            &Registry::new(),
        )
    }

    /// Starts a relay in the background until the returned token is cancelled.
    pub fn spawn_relay(&self) -> CancellationToken {
        let stop = CancellationToken::new();
        tokio::spawn(self.relay().run(stop.clone()));
        stop
    }

    pub fn runner(
        &self,
        handler: Recorder,
        options: ConsumerOptions,
    ) -> (ConsumerRunner, Registry) {
        let registry = Registry::new();
        let runner = ConsumerRunner::new(
            &self.settings,
            SERVICE,
            self.pool.clone(),
            self.settings.producer().unwrap(),
            options,
            &registry,
        )
        .on::<OfferEvent, _>(handler);
        (runner, registry)
    }

    /// A runner of the offers and the placements topics, both handled by `handler`.
    pub fn runner_of_both(
        &self,
        handler: Recorder,
        options: ConsumerOptions,
    ) -> (ConsumerRunner, Registry) {
        let (runner, registry) = self.runner(handler.clone(), options);
        (runner.on::<PlacementEvent, _>(handler), registry)
    }

    /// Produces `records` (key, envelope) to one partition of `topic`, in order, without the
    /// outbox: how a test puts records on the partition it means.
    pub async fn produce(&self, topic: &str, partition: i32, records: &[(String, Vec<u8>)]) {
        let producer = self.settings.producer().unwrap();
        let mut deliveries = Vec::with_capacity(records.len());
        for (key, payload) in records {
            let record = FutureRecord::to(topic)
                .partition(partition)
                .key(key)
                .payload(payload);
            deliveries.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
        }
        for delivery in deliveries {
            delivery.await.unwrap().unwrap();
        }
    }

    /// The offset the runners' group has committed on `partition` of `topic` (deployed name):
    /// that of the next record to read.
    pub fn committed(&self, topic: &str, partition: i32) -> Option<i64> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.kafka.brokers())
            .set("group.id", self.settings.topics().group(SERVICE))
            .create()
            .unwrap();
        let mut asked = TopicPartitionList::new();
        asked.add_partition(topic, partition);
        let committed = consumer
            .committed_offsets(asked, Duration::from_secs(10))
            .unwrap();
        match committed.find_partition(topic, partition)?.offset() {
            Offset::Offset(offset) => Some(offset),
            _ => None,
        }
    }

    /// Commits `offset` on `partition` of `topic` (deployed name) for the runners' group, as
    /// an operator's tool would while the group has no member.
    pub fn commit_offset(&self, topic: &str, partition: i32, offset: i64) {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.kafka.brokers())
            .set("group.id", self.settings.topics().group(SERVICE))
            .create()
            .unwrap();
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset(topic, partition, Offset::Offset(offset))
            .unwrap();
        consumer
            .commit(&offsets, rdkafka::consumer::CommitMode::Sync)
            .unwrap();
    }

    /// The ids and revisions handled so far on `partition` of logical `topic`, in handling order.
    pub async fn handled_on(&self, topic: &str, partition: i32) -> Vec<(String, i64)> {
        sqlx::query_as(
            "SELECT offer_id, revision FROM handled
             WHERE topic = $1 AND partition = $2 ORDER BY seq",
        )
        .bind(topic)
        .bind(partition)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// A raw reader of `topic` from the beginning, in a group of its own.
    pub fn reader(&self, topic: &str) -> StreamConsumer {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.kafka.brokers())
            .set(
                "group.id",
                self.kafka.name(&format!("reader-{}", uuid::Uuid::new_v4())),
            )
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        consumer.subscribe(&[topic]).unwrap();
        consumer
    }

    pub async fn handled_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM handled")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// An offer event for `offer_id` at `revision`.
pub fn offer_event(offer_id: &str, revision: u64) -> OfferEvent {
    OfferEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        offer_id: offer_id.to_owned(),
        event: Some(Event::Published(OfferPublished {
            offer: Some(Offer {
                id: offer_id.to_owned(),
                revision,
                ..Offer::default()
            }),
        })),
    }
}

/// An offer event for `offer_id` at `revision`, keyed and encoded for [`Bed::produce`].
pub fn offer_record(offer_id: &str, revision: u64) -> (String, Vec<u8>) {
    (
        offer_id.to_owned(),
        prost::Message::encode_to_vec(&offer_event(offer_id, revision)),
    )
}

/// A placement event, keyed and encoded for [`Bed::produce`].
pub fn placement_record(placement_id: &str) -> (String, Vec<u8>) {
    let event = PlacementEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        placement_id: placement_id.to_owned(),
        event: Some(placement_event::Event::Completed(
            PlacementCompleted::default(),
        )),
    };
    (
        placement_id.to_owned(),
        prost::Message::encode_to_vec(&event),
    )
}

pub fn revision(event: &OfferEvent) -> u64 {
    match &event.event {
        Some(Event::Published(published)) => published.offer.as_ref().unwrap().revision,
        _ => panic!("not a test event"),
    }
}

/// Commits one event in a transaction of its own; returns its id.
pub async fn commit_event(pool: &PgPool, offer_id: &str, revision: u64) -> String {
    let event = offer_event(offer_id, revision);
    let mut transaction = pool.begin().await.unwrap();
    vte_events::append(&mut transaction, &event).await.unwrap();
    transaction.commit().await.unwrap();
    event.event_id
}

/// Reads `count` records from `consumer`, failing after 30 s of silence.
pub async fn read(consumer: &StreamConsumer, count: usize) -> Vec<OwnedMessage> {
    let mut records = Vec::with_capacity(count);
    while records.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} records within 30 s", records.len()))
            .unwrap();
        records.push(message.detach());
    }
    records
}

pub fn decode(message: &OwnedMessage) -> OfferEvent {
    use prost::Message as _;
    OfferEvent::decode(message.payload().unwrap()).unwrap()
}

pub fn header(message: &OwnedMessage, name: &str) -> Option<String> {
    let headers = message.headers()?;
    headers
        .iter()
        .find(|header| header.key == name)
        .map(|header| String::from_utf8(header.value.unwrap().to_vec()).unwrap())
}

/// A handler that writes each event to `handled`, can fail transiently a set number of times for
/// a revision, refuses revision 666 permanently, and notes the trace id it ran under.
#[derive(Clone)]
pub struct Recorder {
    pub instance: &'static str,
    pub transient_failures: Arc<Mutex<HashMap<u64, u32>>>,
    pub attempts: Arc<Mutex<HashMap<u64, u32>>>,
}

impl Recorder {
    pub fn new(instance: &'static str) -> Self {
        Self {
            instance,
            transient_failures: Arc::default(),
            attempts: Arc::default(),
        }
    }

    pub fn fail_transiently(&self, revision: u64, times: u32) {
        self.transient_failures
            .lock()
            .unwrap()
            .insert(revision, times);
    }

    pub fn attempts(&self, revision: u64) -> u32 {
        self.attempts
            .lock()
            .unwrap()
            .get(&revision)
            .copied()
            .unwrap_or(0)
    }
}

impl Handles<OfferEvent> for Recorder {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &OfferEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let revision = revision(event);
        *self.attempts.lock().unwrap().entry(revision).or_default() += 1;
        {
            let mut failures = self.transient_failures.lock().unwrap();
            if let Some(left) = failures.get_mut(&revision).filter(|left| **left > 0) {
                *left -= 1;
                return Err(HandlerError::Transient("the test says not yet".into()));
            }
        }
        if revision == 666 {
            return Err(HandlerError::Permanent("revision 666 is refused".into()));
        }
        self.record(transaction, meta, &event.offer_id, revision)
            .await
    }
}

/// Placements are recorded with revision 0 and their id as `offer_id`.
impl Handles<PlacementEvent> for Recorder {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &PlacementEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        self.record(transaction, meta, &event.placement_id, 0).await
    }
}

impl Recorder {
    async fn record(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        meta: &RecordMeta,
        id: &str,
        revision: u64,
    ) -> Result<(), HandlerError> {
        let trace_id = vte_telemetry::propagation::trace_id(&tracing::Span::current());
        sqlx::query(
            "INSERT INTO handled (event_id, offer_id, revision, instance, trace_id, topic, partition)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(meta.event_id)
        .bind(id)
        .bind(i64::try_from(revision).unwrap())
        .bind(self.instance)
        .bind(trace_id)
        .bind(meta.topic)
        .bind(meta.partition)
        .execute(&mut **transaction)
        .await?;
        Ok(())
    }
}

/// The value of a counter in `registry` (summed over labels).
pub fn counter(registry: &Registry, name: &str) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|family| family.name() == name)
        .flat_map(|family| family.get_metric())
        .map(|metric| metric.get_counter().get_value())
        .sum()
}
