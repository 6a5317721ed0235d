//! What the backbone tests share: a database with the backbone's tables and a `handled` table,
//! a broker with the offers topic, a recording handler, and small producers and readers.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::Registry;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use sqlx::{PgPool, Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use vte_events::consumer::{ConsumerOptions, HandlerError, Handles, RecordMeta};
use vte_events::relay::RelayOptions;
use vte_events::{ConsumerRunner, EventEnvelope, KafkaSettings, Relay};
use vte_proto::vte::offers::v1::offer_event::Event;
use vte_proto::vte::offers::v1::{Offer, OfferEvent, OfferPublished};
use vte_testbed::{TestDatabase, TestKafka};

pub const PARTITIONS: i32 = 4;

pub struct Bed {
    pub database: TestDatabase,
    pub kafka: TestKafka,
    pub pool: PgPool,
    pub settings: KafkaSettings,
}

impl Bed {
    pub async fn start() -> Self {
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
                seq bigint GENERATED ALWAYS AS IDENTITY
            )",
        )
        .execute(&pool)
        .await
        .unwrap();
        let kafka = TestKafka::start();
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
            "backbone-tests",
            self.pool.clone(),
            self.settings.producer().unwrap(),
            options,
            &registry,
        )
        .on::<OfferEvent, _>(handler);
        (runner, registry)
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
        let trace_id = vte_telemetry::propagation::trace_id(&tracing::Span::current());
        sqlx::query(
            "INSERT INTO handled (event_id, offer_id, revision, instance, trace_id)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(meta.event_id)
        .bind(&event.offer_id)
        .bind(i64::try_from(revision).unwrap())
        .bind(self.instance)
        .bind(trace_id)
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
