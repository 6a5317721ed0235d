//! The relay keeps each key's order when one delivery fails: the rows of that key after the
//! failed one stay in the outbox, even those the broker took, and go again behind it, while the
//! other keys' rows leave. Run on an embedded broker of its own, told to refuse one produce.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use prometheus::Registry;
use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use sqlx::PgPool;
use vte_embedded::EmbeddedBroker;
use vte_events::relay::{RelayError, RelayOptions};
use vte_events::{EventEnvelope, Relay, Topics};
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::offers::v1::offer_event::Event;
use vte_testbed::TestDatabase;

async fn commit(pool: &PgPool, offer_id: &str, revision: u64) {
    let mut transaction = pool.begin().await.unwrap();
    vte_events::append(&mut transaction, &common::offer_event(offer_id, revision))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

/// The outbox's rows as (key, revision), in id order.
async fn outbox(pool: &PgPool) -> Vec<(String, u64)> {
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT message_key, payload FROM outbox ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(key, payload)| (key, revision(&payload)))
        .collect()
}

fn revision(payload: &[u8]) -> u64 {
    match OfferEvent::decode(payload).unwrap().event {
        Some(Event::Published(published)) => published.offer.unwrap().revision,
        _ => panic!("not a test event"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_one_row_of_a_key_fails_the_later_rows_of_that_key_stay_and_go_again_behind_it() {
    let database = TestDatabase::create().await;
    let pool = database.pool().await;
    vte_events::migrations::BACKBONE.run(&pool).await.unwrap();
    let broker = EmbeddedBroker::start(1).unwrap();
    let topics = Topics::new("relay-order.");
    let topic = topics.topic(OfferEvent::TOPIC);
    // One partition: every key shares it, so the other key's row shows the batch went on.
    broker.create_topic(&topic, 1).unwrap();
    // One record per request and one request at a time, so that the refused request holds the
    // first row alone and the broker takes the next ones.
    let producer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap_servers())
        .set("batch.num.messages", "1")
        .set("max.in.flight.requests.per.connection", "1")
        .set("linger.ms", "0")
        .set("message.timeout.ms", "10000")
        .create()
        .unwrap();
    let relay = Relay::new(
        pool.clone(),
        producer,
        topics.clone(),
        RelayOptions::default(),
        &Registry::new(),
    );
    commit(&pool, "offer-k", 1).await;
    commit(&pool, "offer-k", 2).await;
    commit(&pool, "offer-l", 1).await;

    broker.refuse_next_produces(1).unwrap();
    match relay.publish_batch().await {
        Err(RelayError::Delivery { failed: 1, .. }) => {}
        other => panic!("expected one refused delivery, got {other:?}"),
    }
    assert_eq!(
        outbox(&pool).await,
        [("offer-k".to_owned(), 1), ("offer-k".to_owned(), 2)],
        "the failed row and the later row of its key stay; the other key's row left"
    );

    assert_eq!(relay.publish_batch().await.unwrap(), 2);
    assert!(outbox(&pool).await.is_empty());
    let reader: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap_servers())
        .set("group.id", "relay-order-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader.subscribe(&[&topic]).unwrap();
    let mut log = Vec::new();
    while log.len() < 4 {
        let message = tokio::time::timeout(Duration::from_secs(30), reader.recv())
            .await
            .expect("the relay's records within 30 s")
            .unwrap();
        let key = String::from_utf8(message.key().unwrap().to_vec()).unwrap();
        log.push((key, revision(message.payload().unwrap())));
    }
    let k = |revision| ("offer-k".to_owned(), revision);
    assert_eq!(
        log,
        [k(2), ("offer-l".to_owned(), 1), k(1), k(2)],
        "after the failed row, the log holds the key's rows in their order"
    );
}
