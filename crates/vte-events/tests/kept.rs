//! On a broker that keeps nothing across a crash (the embedded one), the outbox keeps what
//! consumers have not committed past, replays it to a fresh broker, and holds a topic back while
//! a partition's unconsumed records would outgrow what the broker keeps. Each test runs on
//! embedded brokers of its own: one is dropped as a crash would.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use prometheus::Registry;
use prost::Message as _;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use sqlx::{Connection, PgPool};
use vte_embedded::EmbeddedBroker;
use vte_events::kept::Keeper;
use vte_events::relay::RelayOptions;
use vte_events::{EventEnvelope, KafkaSettings, Relay};
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::offers::v1::offer_event::Event;
use vte_testbed::TestDatabase;

/// The reading service of these tests (its group is `<namespace>vte.kept-tests`).
const READER: &str = "kept-tests";

/// A database with the backbone's tables, marked as relayed to a broker that is not durable,
/// and a pool opened after the mark (a session reads the mark when it opens).
async fn keeping_database() -> (TestDatabase, PgPool) {
    let database = TestDatabase::create().await;
    let pool = database.pool().await;
    vte_events::migrations::BACKBONE.run(&pool).await.unwrap();
    let mut connection = sqlx::PgConnection::connect_with(&database.connect_options())
        .await
        .unwrap();
    vte_events::kept::keep_until_consumed(&mut connection, database.name(), true)
        .await
        .unwrap();
    connection.close().await.unwrap();
    pool.close().await;
    let pool = database.pool().await;
    (database, pool)
}

fn settings(broker: &EmbeddedBroker) -> KafkaSettings {
    let mut settings = KafkaSettings::new(broker.bootstrap_servers());
    settings.namespace = "kept.".into();
    settings.delivery_timeout_ms = 5_000;
    settings
}

fn relay(pool: &PgPool, settings: &KafkaSettings, options: RelayOptions) -> Relay {
    Relay::new(
        pool.clone(),
        settings.producer().unwrap(),
        settings.topics(),
        options,
        &Registry::new(),
    )
}

async fn commit(pool: &PgPool, offer_id: &str, revision: u64) {
    let mut transaction = pool.begin().await.unwrap();
    vte_events::append(&mut transaction, &common::offer_event(offer_id, revision))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Commits `offset` on partition 0 of the offers topic for the reader's group.
fn commit_reader(settings: &KafkaSettings, offset: i64) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .set("group.id", settings.topics().group(READER))
        .create()
        .unwrap();
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(
            &settings.topics().topic(OfferEvent::TOPIC),
            0,
            Offset::Offset(offset),
        )
        .unwrap();
    consumer.commit(&offsets, CommitMode::Sync).unwrap();
}

fn keeper(settings: &KafkaSettings, pool: &PgPool) -> Keeper {
    let reads: &[&str] = &[OfferEvent::TOPIC];
    Keeper::new(
        settings.clone(),
        &[(READER, reads)],
        vec![pool.clone()],
        Duration::from_millis(100),
    )
}

/// Every record of partition 0 of the offers topic as (key, revision), in log order.
fn log_of(settings: &KafkaSettings) -> Vec<(String, u64)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .set("group.id", "kept-tests-log")
        .create()
        .unwrap();
    let topic = settings.topics().topic(OfferEvent::TOPIC);
    let (_, high) = consumer
        .fetch_watermarks(&topic, 0, Duration::from_secs(5))
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(&topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut log = Vec::new();
    while (log.len() as i64) < high {
        let message = consumer
            .poll(Duration::from_secs(10))
            .expect("the broker holds every record up to its end")
            .unwrap();
        let event = OfferEvent::decode(message.payload().unwrap()).unwrap();
        let revision = match event.event {
            Some(Event::Published(published)) => published.offer.unwrap().revision,
            _ => panic!("not a test event"),
        };
        log.push((event.offer_id, revision));
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_event_stays_in_the_outbox_until_its_reader_has_committed_past_it() {
    let (_database, pool) = keeping_database().await;
    let broker = EmbeddedBroker::start(1).unwrap();
    let settings = settings(&broker);
    broker
        .create_topic(&settings.topics().topic(OfferEvent::TOPIC), 1)
        .unwrap();
    for revision in 1..=6 {
        commit(&pool, "offer-figeac", revision).await;
    }
    let relay = relay(&pool, &settings, RelayOptions::default());
    assert_eq!(relay.publish_batch().await.unwrap(), 6);
    assert_eq!(vte_events::outbox::waiting(&pool, None).await.unwrap(), 0);
    assert_eq!(vte_events::kept::kept(&pool).await.unwrap(), 6);
    let offsets: Vec<(i32, i64)> =
        sqlx::query_as("SELECT kafka_partition, kafka_offset FROM outbox ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        offsets,
        (0..6).map(|offset| (0, offset)).collect::<Vec<_>>()
    );
    // Published again, nothing new goes: kept rows are not published twice.
    assert_eq!(relay.publish_batch().await.unwrap(), 0);

    let keeper = keeper(&settings, &pool);
    assert_eq!(keeper.trim().await.unwrap(), 0, "nobody has read anything");
    commit_reader(&settings, 4);
    assert_eq!(keeper.trim().await.unwrap(), 4);
    let left: Vec<i64> = sqlx::query_scalar("SELECT kafka_offset FROM outbox ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, [4, 5]);
    commit_reader(&settings, 6);
    assert_eq!(keeper.trim().await.unwrap(), 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_a_fresh_broker_gets_every_unconsumed_event_again_in_order_first() {
    let (_database, pool) = keeping_database().await;
    let first = EmbeddedBroker::start(1).unwrap();
    let before = settings(&first);
    let topic = before.topics().topic(OfferEvent::TOPIC);
    first.create_topic(&topic, 1).unwrap();
    for revision in 1..=3 {
        commit(&pool, "offer-cahors", revision).await;
        commit(&pool, "offer-rodez", revision).await;
    }
    let relay_before = relay(&pool, &before, RelayOptions::default());
    assert_eq!(relay_before.publish_batch().await.unwrap(), 6);
    // The reader got through the first two records only.
    commit_reader(&before, 2);
    assert_eq!(keeper(&before, &pool).trim().await.unwrap(), 2);
    drop(relay_before);
    // The process dies with its broker; new events were committed meanwhile.
    drop(first);
    commit(&pool, "offer-cahors", 4).await;

    let second = EmbeddedBroker::start(1).unwrap();
    let after = settings(&second);
    second.create_topic(&topic, 1).unwrap();
    let relay_after = relay(&pool, &after, RelayOptions::default());
    assert_eq!(relay_after.republish_lost().await.unwrap(), 4);
    assert_eq!(
        relay_after.republish_lost().await.unwrap(),
        0,
        "nothing lost twice"
    );
    while relay_after.publish_batch().await.unwrap() > 0 {}
    assert_eq!(
        log_of(&after),
        [
            ("offer-cahors".to_owned(), 2),
            ("offer-rodez".to_owned(), 2),
            ("offer-cahors".to_owned(), 3),
            ("offer-rodez".to_owned(), 3),
            ("offer-cahors".to_owned(), 4),
        ]
    );
    // On a broker that has them, kept rows are left where they are.
    assert_eq!(relay_after.republish_lost().await.unwrap(), 0);
    assert_eq!(vte_events::kept::kept(&pool).await.unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_holds_a_topic_back_while_a_partition_holds_more_than_its_reader_has_read() {
    let (_database, pool) = keeping_database().await;
    let broker = EmbeddedBroker::start(1).unwrap();
    let settings = settings(&broker);
    broker
        .create_topic(&settings.topics().topic(OfferEvent::TOPIC), 1)
        .unwrap();
    for revision in 1..=20 {
        commit(&pool, "offer-millau", revision).await;
    }
    let relay = relay(
        &pool,
        &settings,
        RelayOptions {
            batch_size: 2,
            max_unconsumed_records: 5,
            ..RelayOptions::default()
        },
    );
    let mut published = 0;
    loop {
        let batch = relay.publish_batch().await.unwrap();
        if batch == 0 {
            break;
        }
        published += batch;
    }
    // Held back once 5 were unread (passed by at most one batch).
    assert_eq!(published, 6);
    assert_eq!(vte_events::outbox::waiting(&pool, None).await.unwrap(), 14);
    let keeper = keeper(&settings, &pool);
    commit_reader(&settings, 3);
    keeper.trim().await.unwrap();
    assert_eq!(relay.publish_batch().await.unwrap(), 2);
    assert_eq!(relay.publish_batch().await.unwrap(), 0, "5 unread again");
    // The reader reads as the relay publishes: everything goes through, never more than 6
    // unread at a time.
    let mut read = 3;
    loop {
        let unread = vte_events::kept::kept(&pool).await.unwrap();
        assert!(unread <= 6, "{unread} records unread at once");
        if vte_events::outbox::waiting(&pool, None).await.unwrap() == 0 {
            break;
        }
        read += 2;
        commit_reader(&settings, read);
        keeper.trim().await.unwrap();
        while relay.publish_batch().await.unwrap() > 0 {}
    }
    assert_eq!(log_of(&settings).len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_byte_bound_holds_a_topic_back_too() {
    let (_database, pool) = keeping_database().await;
    let broker = EmbeddedBroker::start(1).unwrap();
    let settings = settings(&broker);
    broker
        .create_topic(&settings.topics().topic(OfferEvent::TOPIC), 1)
        .unwrap();
    for revision in 1..=10 {
        commit(&pool, "offer-albi", revision).await;
    }
    // The bound is what the first three records weigh: the relay stops at exactly three.
    let three: i64 = count(
        &pool,
        "SELECT sum(octet_length(payload) + octet_length(message_key)
                    + coalesce(octet_length(traceparent), 0)
                    + coalesce(octet_length(tracestate), 0))::bigint
         FROM (SELECT * FROM outbox ORDER BY id LIMIT 3) AS first_three",
    )
    .await;
    let relay = relay(
        &pool,
        &settings,
        RelayOptions {
            batch_size: 1,
            max_unconsumed_bytes: three,
            ..RelayOptions::default()
        },
    );
    while relay.publish_batch().await.unwrap() > 0 {}
    assert_eq!(vte_events::kept::kept(&pool).await.unwrap(), 3);
}
