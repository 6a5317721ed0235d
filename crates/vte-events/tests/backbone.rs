//! The event backbone against the test bed's real PostgreSQL and embedded broker.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{Bed, Recorder, commit_event, counter, decode, header, offer_event, read, revision};
use rdkafka::message::Message;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use vte_events::consumer::{ConsumerError, ConsumerOptions, FailPoint};
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_change_and_its_event_commit_together_and_a_rollback_publishes_nothing() {
    let bed = Bed::start().await;
    sqlx::query("CREATE TABLE offer_state (id text PRIMARY KEY)")
        .execute(&bed.pool)
        .await
        .unwrap();
    let write = |offer: &'static str, commit: bool| {
        let pool = bed.pool.clone();
        async move {
            let event = offer_event(offer, 1);
            let mut transaction = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO offer_state (id) VALUES ($1)")
                .bind(offer)
                .execute(&mut *transaction)
                .await
                .unwrap();
            vte_events::append(&mut transaction, &event).await.unwrap();
            if commit {
                transaction.commit().await.unwrap();
            } else {
                transaction.rollback().await.unwrap();
            }
        }
    };
    write("committed", true).await;
    write("rolled-back", false).await;
    write("sentinel", true).await;

    let stop = bed.spawn_relay();
    let reader = bed.reader(&bed.topic());
    let published: BTreeSet<String> = read(&reader, 2)
        .await
        .iter()
        .map(|m| decode(m).offer_id)
        .collect();
    stop.cancel();
    assert_eq!(
        published,
        BTreeSet::from(["committed".into(), "sentinel".into()])
    );
    let states: Vec<String> = sqlx::query_scalar("SELECT id FROM offer_state ORDER BY id")
        .fetch_all(&bed.pool)
        .await
        .unwrap();
    assert_eq!(states, ["committed", "sentinel"]);
    assert_eq!(bed.relay().backlog().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_one_key_arrive_in_the_order_they_were_committed() {
    let bed = Bed::start().await;
    sqlx::query("CREATE TABLE revisions (offer_id text PRIMARY KEY, revision bigint NOT NULL)")
        .execute(&bed.pool)
        .await
        .unwrap();
    // Five writers race on two offers; each takes the next revision under the offer's row lock,
    // as a service does, so the commit order of an offer is its revision order.
    let mut writers = Vec::new();
    for writer in 0..5 {
        let pool = bed.pool.clone();
        writers.push(tokio::spawn(async move {
            for round in 0..20 {
                let offer = if (writer + round) % 2 == 0 {
                    "offer-a"
                } else {
                    "offer-b"
                };
                let mut transaction = pool.begin().await.unwrap();
                let revision: i64 = sqlx::query_scalar(
                    "INSERT INTO revisions VALUES ($1, 1)
                     ON CONFLICT (offer_id) DO UPDATE SET revision = revisions.revision + 1
                     RETURNING revision",
                )
                .bind(offer)
                .fetch_one(&mut *transaction)
                .await
                .unwrap();
                let event = offer_event(offer, u64::try_from(revision).unwrap());
                vte_events::append(&mut transaction, &event).await.unwrap();
                transaction.commit().await.unwrap();
            }
        }));
    }
    let stop = bed.spawn_relay();
    for writer in writers {
        writer.await.unwrap();
    }
    let reader = bed.reader(&bed.topic());
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for message in read(&reader, 100).await {
        let event = decode(&message);
        assert_eq!(message.key(), Some(event.offer_id.as_bytes()));
        seen.entry(event.offer_id.clone())
            .or_default()
            .push(revision(&event));
    }
    stop.cancel();
    for (offer, revisions) in seen {
        assert_eq!(
            revisions,
            (1..=50).collect::<Vec<_>>(),
            "{offer} out of order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_broker_unreachable_nothing_committed_is_lost_and_the_outbox_drains_later() {
    let bed = Bed::private().await;
    bed.kafka.set_reachable(false);
    let mut committed = BTreeSet::new();
    for revision in 1..=20 {
        committed
            .insert(commit_event(&bed.pool, &format!("offer-{}", revision % 3), revision).await);
    }
    let relay = bed.relay();
    // Rounds fail while the broker is away, and nothing leaves the outbox.
    let failed = relay.publish_batch().await;
    assert!(
        failed.is_err(),
        "published with the broker down: {failed:?}"
    );
    assert_eq!(relay.backlog().await.unwrap(), 20);
    let stop = bed.spawn_relay();

    bed.kafka.set_reachable(true);
    let reader = bed.reader(&bed.topic());
    let mut delivered = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while delivered.len() < committed.len() && Instant::now() < deadline {
        for message in read(&reader, 1).await {
            delivered.insert(decode(&message).event_id);
        }
    }
    assert_eq!(delivered, committed);
    eventually("the outbox to drain", PATIENCE, || async {
        (relay.backlog().await.unwrap() == 0).then_some(())
    })
    .await;
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_between_its_commit_and_its_offset_has_the_event_redelivered_but_applied_once()
 {
    let bed = Bed::start().await;
    let stop_relay = bed.spawn_relay();
    let first = commit_event(&bed.pool, "offer-1", 1).await;

    let crashing = ConsumerOptions {
        fail_point: Some(FailPoint::AfterCommitBeforeOffsetStored),
        ..ConsumerOptions::default()
    };
    let (runner, _) = bed.runner(Recorder::new("first-life"), crashing);
    let died = tokio::time::timeout(PATIENCE, runner.run(CancellationToken::new()))
        .await
        .expect("the consumer never reached its fail point");
    assert!(matches!(died, Err(ConsumerError::FailPoint(_))), "{died:?}");
    assert_eq!(bed.handled_count().await, 1);

    let (runner, registry) = bed.runner(Recorder::new("second-life"), ConsumerOptions::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let second = commit_event(&bed.pool, "offer-1", 2).await;
    eventually("the next event to be handled", PATIENCE, || async {
        (bed.handled_count().await == 2).then_some(())
    })
    .await;
    stop.cancel();
    running.await.unwrap().unwrap();
    stop_relay.cancel();

    assert_eq!(
        counter(&registry, "events_duplicates_total"),
        1.0,
        "not redelivered"
    );
    let handled: Vec<(String, String)> =
        sqlx::query_as("SELECT event_id::text, instance FROM handled ORDER BY seq")
            .fetch_all(&bed.pool)
            .await
            .unwrap();
    assert_eq!(
        handled,
        [(first, "first-life".into()), (second, "second-life".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_unknown_events_go_to_the_dead_letter_topic_and_the_partition_moves_on() {
    use rdkafka::producer::FutureRecord;
    let bed = Bed::start().await;
    let producer = bed.settings.producer().unwrap();
    let topic = bed.topic();
    let mut unknown = offer_event("offer-x", 1);
    unknown.event = None; // what an event type added by a newer producer decodes to
    let bodies: [(&str, Vec<u8>); 3] = [
        ("offer-x", b"not a protobuf envelope".to_vec()),
        ("offer-x", prost::Message::encode_to_vec(&unknown)),
        (
            "offer-x",
            prost::Message::encode_to_vec(&offer_event("offer-x", 2)),
        ),
    ];
    for (key, body) in &bodies {
        producer
            .send(
                FutureRecord::to(&topic).key(*key).payload(body),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
    }
    let (runner, registry) = bed.runner(Recorder::new("only"), ConsumerOptions::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("the good record to be handled", PATIENCE, || async {
        (bed.handled_count().await == 1).then_some(())
    })
    .await;

    let dead = read(&bed.reader(&bed.dead_letter_topic()), 2).await;
    stop.cancel();
    running.await.unwrap().unwrap();
    let reasons: Vec<String> = dead
        .iter()
        .map(|m| header(m, "vte-dlq-reason").unwrap())
        .collect();
    assert!(reasons[0].contains("undecodable"), "{reasons:?}");
    assert!(reasons[1].contains("unknown event"), "{reasons:?}");
    for (message, (_, body)) in dead.iter().zip(&bodies) {
        assert_eq!(message.payload(), Some(body.as_slice()));
        assert_eq!(
            header(message, "vte-dlq-source-topic").as_deref(),
            Some(topic.as_str())
        );
        assert!(
            header(message, "vte-dlq-source-partition")
                .unwrap()
                .parse::<i32>()
                .is_ok()
        );
        assert!(
            header(message, "vte-dlq-source-offset")
                .unwrap()
                .parse::<i64>()
                .is_ok()
        );
    }
    assert_eq!(counter(&registry, "events_dead_letters_total"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanently_invalid_event_is_dead_lettered_and_the_next_one_handled() {
    let bed = Bed::start().await;
    let stop_relay = bed.spawn_relay();
    commit_event(&bed.pool, "offer-p", 666).await;
    let next = commit_event(&bed.pool, "offer-p", 667).await;
    let (runner, _) = bed.runner(Recorder::new("only"), ConsumerOptions::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let dead = read(&bed.reader(&bed.dead_letter_topic()), 1).await;
    assert!(
        header(&dead[0], "vte-dlq-reason")
            .unwrap()
            .contains("666 is refused")
    );
    eventually("the next event to be handled", PATIENCE, || async {
        let handled: Option<String> = sqlx::query_scalar("SELECT event_id::text FROM handled")
            .fetch_optional(&bed.pool)
            .await
            .unwrap();
        (handled.as_deref() == Some(next.as_str())).then_some(())
    })
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_failing_twice_then_succeeding_handles_the_event_once_and_skips_nothing() {
    let bed = Bed::start().await;
    let stop_relay = bed.spawn_relay();
    for revision in 1..=3 {
        commit_event(&bed.pool, "offer-t", revision).await;
    }
    let recorder = Recorder::new("only");
    recorder.fail_transiently(2, 2);
    let options = ConsumerOptions {
        max_backoff: Duration::from_millis(100),
        ..ConsumerOptions::default()
    };
    let (runner, registry) = bed.runner(recorder.clone(), options);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("all three events to be handled", PATIENCE, || async {
        (bed.handled_count().await == 3).then_some(())
    })
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    let order: Vec<i64> = sqlx::query_scalar("SELECT revision FROM handled ORDER BY seq")
        .fetch_all(&bed.pool)
        .await
        .unwrap();
    assert_eq!(order, [1, 2, 3]);
    assert_eq!(recorder.attempts(2), 3);
    assert_eq!(counter(&registry, "events_retries_total"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_of_one_group_share_the_partitions_and_stopping_one_loses_nothing() {
    let bed = Bed::start().await;
    let stop_relay = bed.spawn_relay();
    let (first, _) = bed.runner(Recorder::new("a"), ConsumerOptions::default());
    let (second, _) = bed.runner(Recorder::new("b"), ConsumerOptions::default());
    let stop_first = CancellationToken::new();
    let stop_second = CancellationToken::new();
    let first = tokio::spawn(first.run(stop_first.clone()));
    let second = tokio::spawn(second.run(stop_second.clone()));

    // Keep publishing over many keys until both instances have handled something.
    let mut committed = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for key in 0..8 {
            committed += 1;
            commit_event(&bed.pool, &format!("offer-{key}"), committed).await;
        }
        let instances: Vec<String> = sqlx::query_scalar("SELECT DISTINCT instance FROM handled")
            .fetch_all(&bed.pool)
            .await
            .unwrap();
        if instances.len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the partitions were never shared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    stop_first.cancel();
    first.await.unwrap().unwrap();
    for key in 0..8 {
        committed += 1;
        commit_event(&bed.pool, &format!("offer-{key}"), committed).await;
    }
    eventually(
        "every event to be handled",
        Duration::from_secs(60),
        || async { (bed.handled_count().await == i64::try_from(committed).unwrap()).then_some(()) },
    )
    .await;
    stop_second.cancel();
    second.await.unwrap().unwrap();
    stop_relay.cancel();
    let distinct: i64 = sqlx::query_scalar("SELECT count(DISTINCT revision) FROM handled")
        .fetch_one(&bed.pool)
        .await
        .unwrap();
    assert_eq!(distinct, i64::try_from(committed).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_within_its_deadline_when_the_broker_has_gone_away() {
    let bed = Bed::private().await;
    let stop_relay = bed.spawn_relay();
    commit_event(&bed.pool, "offer-s", 1).await;
    let options = ConsumerOptions {
        shutdown_deadline: Duration::from_secs(3),
        ..ConsumerOptions::default()
    };
    let (runner, _) = bed.runner(Recorder::new("only"), options);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("the event to be handled", PATIENCE, || async {
        (bed.handled_count().await == 1).then_some(())
    })
    .await;
    stop_relay.cancel();

    bed.kafka.set_reachable(false);
    let asked = Instant::now();
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(6), running)
        .await
        .expect("the consumer did not stop within its deadline")
        .unwrap()
        .unwrap();
    assert!(asked.elapsed() < Duration::from_secs(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_span_continues_the_trace_of_the_transaction_that_appended_the_event() {
    let bed = Bed::start().await;
    let stop_relay = bed.spawn_relay();
    let span = tracing::info_span!("publish an offer");
    let producer_trace = vte_telemetry::propagation::trace_id(&span);
    assert_ne!(
        producer_trace, "00000000000000000000000000000000",
        "no tracer installed"
    );
    commit_event(&bed.pool, "offer-traced", 1)
        .instrument(span)
        .await;

    let (runner, _) = bed.runner(Recorder::new("only"), ConsumerOptions::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let handler_trace: String = eventually("the event to be handled", PATIENCE, || async {
        sqlx::query_scalar("SELECT trace_id FROM handled")
            .fetch_optional(&bed.pool)
            .await
            .unwrap()
    })
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(handler_trace, producer_trace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_relays_at_once_publish_every_row_exactly_once() {
    let bed = Bed::start().await;
    let mut committed = BTreeSet::new();
    for revision in 1..=200 {
        committed
            .insert(commit_event(&bed.pool, &format!("offer-{}", revision % 10), revision).await);
    }
    let relays: Vec<CancellationToken> = (0..3).map(|_| bed.spawn_relay()).collect();
    let reader = bed.reader(&bed.topic());
    let published: Vec<String> = read(&reader, 200)
        .await
        .iter()
        .map(|m| decode(m).event_id)
        .collect();
    eventually("the outbox to drain", PATIENCE, || async {
        (bed.relay().backlog().await.unwrap() == 0).then_some(())
    })
    .await;
    // Anything published twice would be waiting behind the 200th record.
    let extra = tokio::time::timeout(Duration::from_secs(2), reader.recv()).await;
    for relay in relays {
        relay.cancel();
    }
    assert!(extra.is_err(), "a row was published twice");
    assert_eq!(
        published.iter().cloned().collect::<BTreeSet<_>>(),
        committed
    );
}

#[tokio::test]
async fn processed_event_ids_are_forgotten_after_the_dedupe_window() {
    let bed = Bed::start().await;
    sqlx::query(
        "INSERT INTO processed_events (event_id, topic, processed_at) VALUES
         ($1, 'vte.offers.v1', now() - interval '40 days'),
         ($2, 'vte.offers.v1', now() - interval '1 day')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(uuid::Uuid::now_v7())
    .execute(&bed.pool)
    .await
    .unwrap();
    let window = bed.settings.dedupe_window();
    let pruned = vte_events::retention::prune_processed_events(&bed.pool, window)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&bed.pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
}
