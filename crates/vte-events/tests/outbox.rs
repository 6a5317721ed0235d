//! What waits in the outbox: counted whole or by topic, and nothing once relayed.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Bed, commit_event, read};
use vte_events::EventEnvelope;
use vte_proto::vte::offers::v1::OfferEvent;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_counts_what_waits_by_topic_until_the_relay_takes_it() {
    let bed = Bed::start().await;
    for offer in ["a", "b", "c"] {
        commit_event(&bed.pool, offer, 1).await;
    }
    let waiting = |topic| vte_events::outbox::waiting(&bed.pool, topic);
    assert_eq!(waiting(None).await.unwrap(), 3);
    assert_eq!(waiting(Some(OfferEvent::TOPIC)).await.unwrap(), 3);
    assert_eq!(waiting(Some("vte.placements.v1")).await.unwrap(), 0);

    let stop = bed.spawn_relay();
    read(&bed.reader(&bed.topic()), 3).await;
    stop.cancel();
    let patience = std::time::Duration::from_secs(30);
    vte_testbed::eventually("the relay to empty the outbox", patience, || async {
        (waiting(None).await.ok()? == 0).then_some(())
    })
    .await;
    assert_eq!(bed.relay().backlog().await.unwrap(), 0);
}
