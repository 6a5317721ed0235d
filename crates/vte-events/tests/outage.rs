//! Consumers through broker outages and handlers that do not get through: they recover by
//! themselves, handle everything published meanwhile exactly once, and say when they are stalled.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Bed, Recorder, commit_event, counter};
use prometheus::Registry;
use tokio_util::sync::CancellationToken;
use vte_events::consumer::{ConsumerOptions, StallWatch};
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);

/// The value of gauge `name` for logical `topic` in `registry`, if it has one.
fn gauge(registry: &Registry, name: &str, topic: &str) -> Option<f64> {
    registry
        .gather()
        .iter()
        .filter(|family| family.name() == name)
        .flat_map(|family| family.get_metric())
        .find(|metric| {
            metric
                .get_label()
                .iter()
                .any(|label| label.value() == topic)
        })
        .map(|metric| metric.get_gauge().get_value())
}

/// Waits until `watch` says `stalled`, for at most `deadline`.
async fn until_stalled(watch: &StallWatch, stalled: bool, deadline: Duration) {
    let what = if stalled { "stalled" } else { "not stalled" };
    eventually(&format!("the consumer to be {what}"), deadline, || async {
        (watch.is_stalled() == stalled).then_some(())
    })
    .await;
}

/// Asserts that every event committed was handled, each once.
async fn handled_exactly_once(bed: &Bed, recorder: &Recorder, committed: &BTreeSet<String>) {
    let handled: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT event_id FROM handled")
        .fetch_all(&bed.pool)
        .await
        .unwrap();
    let handled: BTreeSet<String> = handled.iter().map(ToString::to_string).collect();
    assert_eq!(&handled, committed);
    let revisions: Vec<i64> = sqlx::query_scalar("SELECT revision FROM handled")
        .fetch_all(&bed.pool)
        .await
        .unwrap();
    for revision in revisions {
        assert_eq!(
            recorder.attempts(u64::try_from(revision).unwrap()),
            1,
            "revision {revision} reached the handler more than once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_60_second_broker_outage_the_consumer_handles_everything_published_exactly_once() {
    let bed = Bed::private().await;
    let stop_relay = bed.spawn_relay();
    let recorder = Recorder::new("only");
    let (runner, _registry) = bed.runner(recorder.clone(), ConsumerOptions::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let mut committed = BTreeSet::new();
    committed.insert(commit_event(&bed.pool, "offre-decazeville-1", 1).await);
    eventually("the first offer to be handled", PATIENCE, || async {
        (bed.handled_count().await == 1).then_some(())
    })
    .await;

    // Offers of Decazeville, Rodez and Figeac are published all through the outage: the outbox
    // keeps them until the broker is back.
    bed.kafka.set_reachable(false);
    let outage = Instant::now();
    let mut revision = 2;
    while outage.elapsed() < Duration::from_secs(60) {
        let town = ["decazeville", "rodez", "figeac"][usize::try_from(revision % 3).unwrap()];
        committed
            .insert(commit_event(&bed.pool, &format!("offre-{town}-{revision}"), revision).await);
        revision += 1;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    bed.kafka.set_reachable(true);
    let back = Instant::now();
    for _ in 0..10 {
        committed
            .insert(commit_event(&bed.pool, &format!("offre-rodez-{revision}"), revision).await);
        revision += 1;
    }
    let expected = i64::try_from(committed.len()).unwrap();
    eventually(
        "every offer to be handled after the outage",
        PATIENCE,
        || async { (bed.handled_count().await == expected).then_some(()) },
    )
    .await;
    let recovered = back.elapsed();
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    handled_exactly_once(&bed, &recorder, &committed).await;
    eprintln!("{expected} offers handled {recovered:?} after a 60 s outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_out_of_touch_for_longer_than_the_bound_is_reported_stalled_until_it_is_back() {
    let bed = Bed::private().await;
    let stop_relay = bed.spawn_relay();
    let recorder = Recorder::new("only");
    let options = ConsumerOptions {
        stall_after: Some(Duration::from_secs(3)),
        ..ConsumerOptions::default()
    };
    let (runner, registry) = bed.runner(recorder.clone(), options);
    let watch = runner.stall_watch();
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let mut committed = BTreeSet::new();
    committed.insert(commit_event(&bed.pool, "offre-millau-1", 1).await);
    eventually("the first offer to be handled", PATIENCE, || async {
        (bed.handled_count().await == 1).then_some(())
    })
    .await;
    assert!(!watch.is_stalled());
    assert_eq!(
        gauge(&registry, "events_consumer_stalled", "vte.offers.v1"),
        Some(0.0)
    );

    bed.kafka.set_reachable(false);
    committed.insert(commit_event(&bed.pool, "offre-millau-2", 2).await);
    until_stalled(&watch, true, Duration::from_secs(20)).await;
    assert_eq!(
        gauge(&registry, "events_consumer_stalled", "vte.offers.v1"),
        Some(1.0)
    );
    let without = gauge(
        &registry,
        "events_consumer_seconds_without_progress",
        "vte.offers.v1",
    );
    assert!(without >= Some(3.0), "{without:?}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(watch.is_stalled(), "still stalled while the broker is away");

    bed.kafka.set_reachable(true);
    committed.insert(commit_event(&bed.pool, "offre-millau-3", 3).await);
    until_stalled(&watch, false, PATIENCE).await;
    assert_eq!(
        gauge(&registry, "events_consumer_stalled", "vte.offers.v1"),
        Some(0.0)
    );
    eventually(
        "the offers of the outage to be handled",
        PATIENCE,
        || async { (bed.handled_count().await == 3).then_some(()) },
    )
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    handled_exactly_once(&bed, &recorder, &committed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_whose_handler_does_not_get_through_is_reported_stalled_until_it_does() {
    let bed = Bed::start().await;
    let stop_relay = bed.spawn_relay();
    let recorder = Recorder::new("only");
    recorder.fail_transiently(2, u32::MAX);
    let options = ConsumerOptions {
        stall_after: Some(Duration::from_secs(2)),
        max_backoff: Duration::from_millis(200),
        max_attempts: Some(u32::MAX),
        ..ConsumerOptions::default()
    };
    let (runner, registry) = bed.runner(recorder.clone(), options);
    let watch = runner.stall_watch();
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    commit_event(&bed.pool, "offre-albi-1", 1).await;
    commit_event(&bed.pool, "offre-albi-1", 2).await;
    until_stalled(&watch, true, PATIENCE).await;
    assert_eq!(
        gauge(&registry, "events_consumer_stalled", "vte.offers.v1"),
        Some(1.0)
    );
    assert_eq!(bed.handled_count().await, 1);

    recorder.fail_transiently(2, 0);
    until_stalled(&watch, false, PATIENCE).await;
    assert_eq!(
        gauge(&registry, "events_consumer_stalled", "vte.offers.v1"),
        Some(0.0)
    );
    assert_eq!(bed.handled_count().await, 2);
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_out_of_touch_too_long_is_replaced_and_its_successor_resumes_where_it_stopped() {
    let bed = Bed::private().await;
    let stop_relay = bed.spawn_relay();
    let recorder = Recorder::new("only");
    let options = ConsumerOptions {
        stall_after: Some(Duration::from_secs(2)),
        restart_after: Some(Duration::from_secs(4)),
        ..ConsumerOptions::default()
    };
    let (runner, registry) = bed.runner(recorder.clone(), options);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let mut committed = BTreeSet::new();
    for revision in 1..=3 {
        committed.insert(commit_event(&bed.pool, "offre-cahors-1", revision).await);
    }
    eventually("the first offers to be handled", PATIENCE, || async {
        (bed.handled_count().await == 3).then_some(())
    })
    .await;

    bed.kafka.set_reachable(false);
    for revision in 4..=6 {
        committed.insert(commit_event(&bed.pool, "offre-cahors-1", revision).await);
    }
    // Replaced after 4 s out of touch, and so is its successor, 4 s after it was made.
    eventually("two clients to be replaced", PATIENCE, || async {
        (counter(&registry, "events_consumer_restarts_total") >= 2.0).then_some(())
    })
    .await;
    bed.kafka.set_reachable(true);
    for revision in 7..=9 {
        committed.insert(commit_event(&bed.pool, "offre-cahors-1", revision).await);
    }
    eventually(
        "every offer to be handled",
        Duration::from_secs(60),
        || async { (bed.handled_count().await == 9).then_some(()) },
    )
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    handled_exactly_once(&bed, &recorder, &committed).await;
    // One offer's revisions, in the order they were committed, across the clients.
    let revisions: Vec<i64> = sqlx::query_scalar("SELECT revision FROM handled ORDER BY seq")
        .fetch_all(&bed.pool)
        .await
        .unwrap();
    assert_eq!(revisions, (1..=9).collect::<Vec<i64>>());
}
