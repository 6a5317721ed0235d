//! Handlers that take batches: the records waiting in a partition's queue are handled several
//! to a transaction, each once and in order; a poison record among them is dead-lettered alone
//! and its neighbours are handled; a handler registered without batches keeps one record per
//! transaction.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Bed, commit_event, counter, decode, read, revision};
use prometheus::Registry;
use sqlx::{Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use vte_events::ConsumerRunner;
use vte_events::consumer::{ConsumerOptions, HandlerError, Handles, HandlesBatch, RecordMeta};
use vte_proto::vte::offers::v1::OfferEvent;
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);
/// The offer whose revisions the tests publish: one key, so one partition.
const OFFER: &str = "offre-figeac-46102";
/// The revision the handler refuses for good.
const POISON: u64 = 13;

/// Writes each event with the id of the transaction it ran in; refuses its poison revision, if
/// any; takes its time over revision 1, so that the records behind it wait in the queue.
#[derive(Clone, Default)]
struct Ledger {
    poison: Option<u64>,
    batch_sizes: Arc<Mutex<Vec<usize>>>,
}

impl Handles<OfferEvent> for Ledger {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &OfferEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let revision = revision(event);
        if revision == 1 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if Some(revision) == self.poison {
            return Err(HandlerError::Permanent("revision 13 breaks a rule".into()));
        }
        sqlx::query(
            "INSERT INTO ledger (event_id, revision, txid) VALUES ($1, $2, txid_current())",
        )
        .bind(meta.event_id)
        .bind(i64::try_from(revision).unwrap())
        .execute(&mut **transaction)
        .await?;
        Ok(())
    }
}

impl HandlesBatch<OfferEvent> for Ledger {
    async fn handle_batch(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        events: &[(&OfferEvent, &RecordMeta)],
    ) -> Result<(), HandlerError> {
        self.batch_sizes.lock().unwrap().push(events.len());
        for (event, meta) in events {
            self.handle(transaction, event, meta).await?;
        }
        Ok(())
    }
}

async fn ledger_bed() -> Bed {
    let bed = Bed::start().await;
    sqlx::query(
        "CREATE TABLE ledger (
            event_id uuid PRIMARY KEY,
            revision bigint NOT NULL,
            txid bigint NOT NULL,
            seq bigint GENERATED ALWAYS AS IDENTITY
        )",
    )
    .execute(&bed.pool)
    .await
    .unwrap();
    bed
}

fn runner(bed: &Bed, ledger: Ledger, batches: bool) -> (ConsumerRunner, Registry) {
    let registry = Registry::new();
    let runner = ConsumerRunner::new(
        &bed.settings,
        "batch-tests",
        bed.pool.clone(),
        bed.settings.producer().unwrap(),
        ConsumerOptions {
            max_backoff: Duration::from_millis(100),
            max_batch: 16,
            ..ConsumerOptions::default()
        },
        &registry,
    );
    let runner = if batches {
        runner.on_batches::<OfferEvent, _>(ledger)
    } else {
        runner.on::<OfferEvent, _>(ledger)
    };
    (runner, registry)
}

/// Commits revisions `1..=count` of [`OFFER`], runs `ledger` until `expected` of them are in
/// the ledger, and returns the ledger's (revision, txid) rows in the order written.
async fn run_until_written(
    bed: &Bed,
    ledger: &Ledger,
    batches: bool,
    count: u64,
    expected: usize,
) -> (Vec<(i64, i64)>, Registry) {
    for revision in 1..=count {
        commit_event(&bed.pool, OFFER, revision).await;
    }
    let stop_relay = bed.spawn_relay();
    let (runner, registry) = runner(bed, ledger.clone(), batches);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let rows = eventually("the ledger's rows", PATIENCE, || async {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT revision, txid FROM ledger ORDER BY seq")
                .fetch_all(&bed.pool)
                .await
                .unwrap();
        (rows.len() >= expected).then_some(rows)
    })
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    (rows, registry)
}

fn distinct_transactions(rows: &[(i64, i64)]) -> usize {
    let mut txids: Vec<i64> = rows.iter().map(|(_, txid)| *txid).collect();
    txids.sort_unstable();
    txids.dedup();
    txids.len()
}

#[tokio::test]
async fn revisions_waiting_in_their_partition_are_handled_several_to_a_transaction_in_order() {
    let bed = ledger_bed().await;
    let ledger = Ledger::default();
    let (rows, registry) = run_until_written(&bed, &ledger, true, 40, 40).await;
    let revisions: Vec<i64> = rows.iter().map(|(revision, _)| *revision).collect();
    assert_eq!(revisions, (1..=40).collect::<Vec<_>>());
    assert!(
        distinct_transactions(&rows) < 40,
        "{} transactions for 40 records",
        distinct_transactions(&rows)
    );
    let sizes = ledger.batch_sizes.lock().unwrap().clone();
    assert!(sizes.iter().all(|size| *size <= 16), "{sizes:?}");
    assert!(sizes.iter().any(|size| *size > 1), "{sizes:?}");
    assert!(counter(&registry, "events_batches_total") >= 1.0);
    assert_eq!(counter(&registry, "events_handled_total"), 40.0);
    let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&bed.pool)
        .await
        .unwrap();
    assert_eq!(processed, 40);
}

#[tokio::test]
async fn a_poison_record_in_a_batch_is_dead_lettered_alone_and_its_neighbours_are_handled() {
    let bed = ledger_bed().await;
    let dead_letters = bed.reader(&bed.dead_letter_topic());
    let ledger = Ledger {
        poison: Some(POISON),
        ..Ledger::default()
    };
    let (rows, registry) = run_until_written(&bed, &ledger, true, 20, 19).await;
    let revisions: Vec<i64> = rows.iter().map(|(revision, _)| *revision).collect();
    let expected: Vec<i64> = (1..=20).filter(|r| *r != POISON as i64).collect();
    assert_eq!(revisions, expected);
    let dead = read(&dead_letters, 1).await;
    assert_eq!(revision(&decode(&dead[0])), POISON);
    assert_eq!(counter(&registry, "events_dead_letters_total"), 1.0);
    // The batch holding revision 13 was rolled back and handled one record at a time.
    assert!(counter(&registry, "events_batch_fallbacks_total") >= 1.0);
    let sizes = ledger.batch_sizes.lock().unwrap().clone();
    assert!(sizes.iter().any(|size| *size > 1), "{sizes:?}");
}

#[tokio::test]
async fn a_handler_registered_without_batches_gets_one_record_per_transaction() {
    let bed = ledger_bed().await;
    let ledger = Ledger::default();
    let (rows, registry) = run_until_written(&bed, &ledger, false, 20, 20).await;
    assert_eq!(distinct_transactions(&rows), 20);
    assert!(ledger.batch_sizes.lock().unwrap().is_empty());
    assert_eq!(counter(&registry, "events_batches_total"), 0.0);
}
