//! Where a consumer starts: from the earliest record where its group has committed nothing, from
//! the committed offset otherwise, and nowhere at all when that offset is out of range (the
//! records it pointed at deleted or expired unread): that partition is stopped with an alarm
//! instead of skipping to the earliest record, and the others carry on.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Bed, Recorder, counter, offer_record};
use tokio_util::sync::CancellationToken;
use vte_events::EventEnvelope;
use vte_events::consumer::ConsumerOptions;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_whose_committed_offset_is_out_of_range_is_stopped_with_an_alarm_not_skipped() {
    let bed = Bed::start().await;
    let offers = bed.topic();
    // Partition 0 holds three offers of Cahors, partition 1 two of Montauban, partition 2 one of
    // Auch; the group committed offset 1,000 on partition 0 (far past its end, as when the
    // records it pointed at have expired) and offset 1 on partition 2.
    let cahors: Vec<_> = (1..=3).map(|n| offer_record("offre-cahors", n)).collect();
    let montauban: Vec<_> = (1..=2)
        .map(|n| offer_record("offre-montauban", n))
        .collect();
    let auch = [offer_record("offre-auch", 1), offer_record("offre-auch", 2)];
    bed.produce(&offers, 0, &cahors).await;
    bed.produce(&offers, 1, &montauban).await;
    bed.produce(&offers, 2, &auch).await;
    bed.commit_offset(&offers, 0, 1_000);
    bed.commit_offset(&offers, 2, 1);

    let options = ConsumerOptions {
        stall_after: Some(Duration::from_secs(60)),
        ..ConsumerOptions::default()
    };
    let (runner, registry) = bed.runner(Recorder::new("only"), options);
    let watch = runner.stall_watch();
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("the alarm for partition 0", PATIENCE, || async {
        (counter(&registry, "events_offsets_out_of_range_total") == 1.0).then_some(())
    })
    .await;
    // Stalled at once, whatever the bound: the service's health says so.
    eventually("the consumer to be stalled", PATIENCE, || async {
        watch.is_stalled().then_some(())
    })
    .await;
    eventually("Montauban's offers and Auch's second", PATIENCE, || async {
        (bed.handled_count().await == 3).then_some(())
    })
    .await;
    // Time for partition 0 to be read, had it been moved to its earliest record.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.cancel();
    running.await.unwrap().unwrap();

    assert_eq!(bed.handled_on(OfferEvent::TOPIC, 0).await, []);
    let montauban: Vec<i64> = bed
        .handled_on(OfferEvent::TOPIC, 1)
        .await
        .into_iter()
        .map(|(_, revision)| revision)
        .collect();
    assert_eq!(
        montauban,
        [1, 2],
        "no committed offset: from the earliest record"
    );
    let auch: Vec<i64> = bed
        .handled_on(OfferEvent::TOPIC, 2)
        .await
        .into_iter()
        .map(|(_, revision)| revision)
        .collect();
    assert_eq!(auch, [2], "from the committed offset");
    assert_eq!(
        bed.committed(&offers, 0),
        Some(1_000),
        "partition 0 was not moved"
    );
    assert_eq!(counter(&registry, "events_offsets_out_of_range_total"), 1.0);
}
