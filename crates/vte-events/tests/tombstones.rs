//! The Kafka side of an erasure: a tombstone appended after a key's events is published behind
//! them with a null value (what a compacted topic needs to forget the key), and consumers pass
//! it over instead of dead-lettering it.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Bed, Recorder, commit_event, counter, read};
use rdkafka::message::Message;
use tokio_util::sync::CancellationToken;
use vte_events::consumer::ConsumerOptions;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);

async fn tombstone(bed: &Bed, key: &str) {
    let mut transaction = bed.pool.begin().await.unwrap();
    vte_events::append_tombstone::<OfferEvent>(&mut transaction, key)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tombstone_is_published_behind_the_keys_events_with_a_null_value() {
    let bed = Bed::start().await;
    commit_event(&bed.pool, "erased", 1).await;
    tombstone(&bed, "erased").await;
    let stop_relay = bed.spawn_relay();
    let records = read(&bed.reader(&bed.topic()), 2).await;
    stop_relay.cancel();
    assert!(
        records
            .iter()
            .all(|r| r.key() == Some(b"erased".as_slice()))
    );
    assert!(records[0].payload().is_some());
    assert_eq!(records[1].payload(), None, "a tombstone has no value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_passes_a_tombstone_over_and_handles_what_follows() {
    let bed = Bed::start().await;
    tombstone(&bed, "erased").await;
    commit_event(&bed.pool, "erased", 2).await;
    let stop_relay = bed.spawn_relay();
    let (runner, registry) = bed.runner(Recorder::new("only"), ConsumerOptions::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("the event after the tombstone", PATIENCE, || async {
        (bed.handled_count().await == 1).then_some(())
    })
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(counter(&registry, "events_dead_letters_total"), 0.0);
}

#[tokio::test]
async fn a_tombstone_needs_a_key() {
    let bed = Bed::start().await;
    let mut transaction = bed.pool.begin().await.unwrap();
    let refused = vte_events::append_tombstone::<OfferEvent>(&mut transaction, "").await;
    assert!(matches!(
        refused,
        Err(vte_events::outbox::OutboxError::MissingKey)
    ));
}
