//! The consumer runner's partitions: each has a worker of its own, so a record that keeps failing
//! holds up its partition alone; a partition far behind is paused and resumed without losing or
//! repeating a record; and a runner dropped while it runs lets go at once.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Bed, Recorder, counter, offer_record, placement_record};
use tokio_util::sync::CancellationToken;
use vte_events::EventEnvelope;
use vte_events::consumer::ConsumerOptions;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::placements::v1::PlacementEvent;
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);

/// Quick retries, and no limit on them: a record failing transiently holds its partition for
/// as long as these tests watch (the limit's own tests are in poison.rs).
fn quick_retries() -> ConsumerOptions {
    ConsumerOptions {
        max_backoff: Duration::from_millis(100),
        max_attempts: Some(u32::MAX),
        ..ConsumerOptions::default()
    }
}

fn offer_records(offer: &str, revisions: impl IntoIterator<Item = u64>) -> Vec<(String, Vec<u8>)> {
    revisions
        .into_iter()
        .map(|revision| offer_record(offer, revision))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_failing_on_one_partition_holds_up_neither_another_partition_nor_another_topic() {
    let bed = Bed::start().await;
    let offers = bed.topic();
    let recorder = Recorder::new("only");
    recorder.fail_transiently(1, u32::MAX);
    bed.produce(&offers, 0, &offer_records("offer-stuck", [1]))
        .await;
    let (runner, registry) = bed.runner_of_both(recorder.clone(), quick_retries());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("revision 1 to be failing", PATIENCE, || async {
        (recorder.attempts(1) >= 2).then_some(())
    })
    .await;

    // Only now does anything else arrive: behind the failing record, on another partition of
    // its topic, and on another topic.
    bed.produce(&offers, 0, &offer_records("offer-stuck", [2, 3]))
        .await;
    bed.produce(&offers, 1, &offer_records("offer-free", [10, 11]))
        .await;
    bed.produce(
        &bed.placements_topic(),
        0,
        &[placement_record("placement-1")],
    )
    .await;
    eventually(
        "the other partition and topic to be handled",
        PATIENCE,
        || async {
            let free = bed.handled_on(OfferEvent::TOPIC, 1).await;
            let placements = bed.handled_on(PlacementEvent::TOPIC, 0).await;
            (free.len() == 2 && placements.len() == 1).then_some(())
        },
    )
    .await;
    let overtaking = bed.handled_on(OfferEvent::TOPIC, 0).await;
    assert!(
        overtaking.is_empty(),
        "handled before the failing record: {overtaking:?}"
    );
    assert_eq!(
        bed.handled_on(OfferEvent::TOPIC, 1).await,
        [("offer-free".into(), 10), ("offer-free".into(), 11)]
    );
    assert_eq!(
        bed.handled_on(PlacementEvent::TOPIC, 0).await,
        [("placement-1".into(), 0)]
    );

    recorder.fail_transiently(1, 0);
    eventually("the stalled partition to catch up", PATIENCE, || async {
        (bed.handled_on(OfferEvent::TOPIC, 0).await.len() == 3).then_some(())
    })
    .await;
    stop.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(
        bed.handled_on(OfferEvent::TOPIC, 0).await,
        [
            ("offer-stuck".into(), 1),
            ("offer-stuck".into(), 2),
            ("offer-stuck".into(), 3)
        ]
    );
    assert_eq!(recorder.attempts(2), 1);
    assert_eq!(recorder.attempts(3), 1);
    assert_eq!(counter(&registry, "events_handled_total"), 6.0);
    assert_eq!(counter(&registry, "events_duplicates_total"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_far_behind_is_paused_and_resumed_without_losing_or_repeating_a_record() {
    const RECORDS: u64 = 400;
    let bed = Bed::start().await;
    let offers = bed.topic();
    let recorder = Recorder::new("only");
    recorder.fail_transiently(1, u32::MAX);
    bed.produce(&offers, 0, &offer_records("offer-busy", [1]))
        .await;
    let options = ConsumerOptions {
        partition_backlog: 16,
        ..quick_retries()
    };
    let (runner, registry) = bed.runner(recorder.clone(), options);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("revision 1 to be failing", PATIENCE, || async {
        (recorder.attempts(1) >= 2).then_some(())
    })
    .await;

    // Far more than the partition may hold in memory piles up behind the failing record.
    bed.produce(&offers, 0, &offer_records("offer-busy", 2..=RECORDS))
        .await;
    eventually("the partition to be paused", PATIENCE, || async {
        (counter(&registry, "events_partition_pauses_total") >= 1.0).then_some(())
    })
    .await;
    assert_eq!(bed.handled_count().await, 0);

    recorder.fail_transiently(1, 0);
    eventually("every record to be handled", PATIENCE, || async {
        (bed.handled_count().await == i64::try_from(RECORDS).unwrap()).then_some(())
    })
    .await;
    stop.cancel();
    running.await.unwrap().unwrap();
    let revisions: Vec<i64> = bed
        .handled_on(OfferEvent::TOPIC, 0)
        .await
        .into_iter()
        .map(|(_, revision)| revision)
        .collect();
    let expected: Vec<i64> = (1..=i64::try_from(RECORDS).unwrap()).collect();
    assert_eq!(revisions, expected);
    // Read again after a resume, a record would have been skipped as a duplicate.
    assert_eq!(counter(&registry, "events_duplicates_total"), 0.0);
    // Offsets 0 to RECORDS - 1 were handled: the next to read is RECORDS.
    assert_eq!(
        bed.committed(&offers, 0),
        Some(i64::try_from(RECORDS).unwrap())
    );
    assert_eq!(counter(&registry, "events_handled_total"), RECORDS as f64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_running_runner_returns_at_once_with_the_broker_gone_and_stops_its_workers() {
    let bed = Bed::private().await;
    let recorder = Recorder::new("only");
    recorder.fail_transiently(2, u32::MAX);
    bed.produce(&bed.topic(), 0, &offer_records("offer-d", [1, 2]))
        .await;
    let (runner, _) = bed.runner(recorder.clone(), quick_retries());
    let mut running = Box::pin(runner.run(CancellationToken::new()));
    tokio::select! {
        stopped = &mut running => panic!("the runner stopped by itself: {stopped:?}"),
        () = eventually("revision 1 handled and revision 2 failing", PATIENCE, || async {
            (bed.handled_count().await == 1 && recorder.attempts(2) >= 2).then_some(())
        }) => {}
    }

    bed.kafka.set_reachable(false);
    let dropping = Instant::now();
    drop(running);
    let took = dropping.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "dropping the runner took {took:?}"
    );
    // Its worker went with it: nothing holds the handler any more.
    eventually(
        "the worker to let go of the handler",
        Duration::from_secs(5),
        || async { (Arc::strong_count(&recorder.attempts) == 1).then_some(()) },
    )
    .await;
}
