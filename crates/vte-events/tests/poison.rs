//! One bad event cannot block a consumer for ever: a handler refused by a data or constraint
//! rule of the database is dead-lettered after its first try, one that keeps failing
//! transiently is tried a bounded number of times and then dead-lettered, and an outage of the
//! database spends none of those tries.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Bed, commit_event, counter, header, read, revision};
use prometheus::Registry;
use sqlx::{Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use vte_events::consumer::{ConsumerOptions, HandlerError, Handles, RecordMeta};
use vte_events::{ConsumerRunner, EventEnvelope as _};
use vte_proto::vte::offers::v1::OfferEvent;
use vte_testbed::eventually;

const PATIENCE: Duration = Duration::from_secs(30);

/// What the handler does with revision 1 of each offer; other revisions are recorded.
#[derive(Clone, Copy)]
enum Poison {
    /// Inserts a row breaking a NOT NULL constraint (SQLSTATE 23502), through `?`.
    NullInNotNullColumn,
    /// Writes a value too long for its column (SQLSTATE 22001), through `?`.
    ValueTooLong,
    /// Fails as a lock timeout would, every time.
    AlwaysTransient,
}

/// A handler that poisons revision 1 and records the others, counting its tries of revision 1.
#[derive(Clone)]
struct Poisoned {
    poison: Poison,
    tries: Arc<AtomicU32>,
    recorded: Arc<Mutex<Vec<u64>>>,
}

impl Poisoned {
    fn new(poison: Poison) -> Self {
        Self {
            poison,
            tries: Arc::default(),
            recorded: Arc::default(),
        }
    }

    fn tries(&self) -> u32 {
        self.tries.load(Ordering::SeqCst)
    }
}

impl Handles<OfferEvent> for Poisoned {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &OfferEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let revision = revision(event);
        if revision != 1 {
            self.recorded.lock().unwrap().push(revision);
            return Ok(());
        }
        self.tries.fetch_add(1, Ordering::SeqCst);
        match self.poison {
            Poison::NullInNotNullColumn => {
                sqlx::query("INSERT INTO poisoned (id, name) VALUES ($1, NULL)")
                    .bind(event.offer_id.as_str())
                    .execute(&mut **transaction)
                    .await?;
            }
            Poison::ValueTooLong => {
                sqlx::query("INSERT INTO poisoned (id, name) VALUES ($1, $2)")
                    .bind(event.offer_id.as_str())
                    .bind("far too long for eight characters")
                    .execute(&mut **transaction)
                    .await?;
            }
            Poison::AlwaysTransient => {
                return Err(HandlerError::Transient("a lock timed out".into()));
            }
        }
        Ok(())
    }
}

async fn poisoned_bed() -> Bed {
    let bed = Bed::start().await;
    sqlx::query("CREATE TABLE poisoned (id text PRIMARY KEY, name varchar(8) NOT NULL)")
        .execute(&bed.pool)
        .await
        .unwrap();
    bed
}

fn runner(bed: &Bed, handler: Poisoned, max_attempts: u32) -> (ConsumerRunner, Registry) {
    let registry = Registry::new();
    let options = ConsumerOptions {
        max_backoff: Duration::from_millis(100),
        max_attempts: Some(max_attempts),
        ..ConsumerOptions::default()
    };
    let runner = ConsumerRunner::new(
        &bed.settings,
        "poison-tests",
        bed.pool.clone(),
        bed.settings.producer().unwrap(),
        options,
        &registry,
    )
    .on::<OfferEvent, _>(handler);
    (runner, registry)
}

/// Runs `handler` over revisions 1 (poisoned) and 2 of one offer until revision 2 is handled;
/// returns the dead letter's reason.
async fn dead_letter_reason(bed: &Bed, handler: &Poisoned, max_attempts: u32) -> String {
    let stop_relay = bed.spawn_relay();
    commit_event(&bed.pool, "offer-poison", 1).await;
    commit_event(&bed.pool, "offer-poison", 2).await;
    let (runner, registry) = runner(bed, handler.clone(), max_attempts);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let dead = read(&bed.reader(&bed.dead_letter_topic()), 1).await;
    eventually("the event behind the poisoned one", PATIENCE, || async {
        (handler.recorded.lock().unwrap().as_slice() == [2]).then_some(())
    })
    .await;
    stop.cancel();
    stop_relay.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(counter(&registry, "events_dead_letters_total"), 1.0);
    header(&dead[0], "vte-dlq-reason").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_breaking_a_constraint_is_dead_lettered_after_one_try_and_the_next_is_handled() {
    let bed = poisoned_bed().await;
    let handler = Poisoned::new(Poison::NullInNotNullColumn);
    let reason = dead_letter_reason(&bed, &handler, 10).await;
    assert_eq!(handler.tries(), 1, "a constraint violation is not retried");
    assert!(reason.contains("SQLSTATE 23502"), "{reason}");
    assert!(reason.contains("integrity constraint"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_with_a_value_the_database_refuses_is_dead_lettered_without_echoing_it() {
    let bed = poisoned_bed().await;
    let handler = Poisoned::new(Poison::ValueTooLong);
    let reason = dead_letter_reason(&bed, &handler, 10).await;
    assert_eq!(handler.tries(), 1, "a data exception is not retried");
    assert!(reason.contains("SQLSTATE 22001"), "{reason}");
    assert!(!reason.contains("far too long"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_failing_transiently_is_tried_the_configured_number_of_times_then_dead_lettered() {
    let bed = poisoned_bed().await;
    let handler = Poisoned::new(Poison::AlwaysTransient);
    let reason = dead_letter_reason(&bed, &handler, 4).await;
    assert_eq!(handler.tries(), 4);
    assert!(reason.contains("after 4 tries"), "{reason}");
    assert!(!reason.contains("a lock timed out"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tries_made_while_the_database_refuses_connections_are_not_counted() {
    let bed = poisoned_bed().await;
    let stop_relay = bed.spawn_relay();
    let event_id = commit_event(&bed.pool, "offer-outage", 2).await;
    eventually("the event to be published", PATIENCE, || async {
        (vte_events::outbox::waiting(&bed.pool, Some(OfferEvent::TOPIC))
            .await
            .unwrap()
            == 0)
            .then_some(())
    })
    .await;
    stop_relay.cancel();
    let admin = sqlx::PgPool::connect_with(bed.database.connect_options().database("postgres"))
        .await
        .unwrap();
    let name = bed.database.name().to_owned();
    // The name is the test bed's own, made of letters, digits and underscores.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
    )))
    .execute(&admin)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&admin)
        .await
        .unwrap();

    let (runner, registry) = runner(&bed, Poisoned::new(Poison::AlwaysTransient), 2);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    eventually("more failed tries than the bound", PATIENCE, || async {
        (counter(&registry, "events_retries_total") >= 4.0).then_some(())
    })
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let event_id = uuid::Uuid::parse_str(&event_id).unwrap();
    eventually(
        "the event to be handled once the database is back",
        PATIENCE,
        || async {
            vte_events::consumer::processed(&bed.pool, event_id)
                .await
                .ok()
                .filter(|handled| *handled)
        },
    )
    .await;
    stop.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(counter(&registry, "events_dead_letters_total"), 0.0);
}
