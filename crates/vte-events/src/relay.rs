//! The relay: publishes committed outbox rows to Kafka and deletes each row only once the broker
//! has acknowledged it (`acks=all`, idempotent producer). One instance at a time is the leader,
//! by a session advisory lock held on the connection it reads the outbox with; the others stand
//! by and take over when that connection goes. Rows are read in id order, which is commit order
//! within a key, and a key always maps to one partition: each key's events arrive in order.
//! While the broker is unreachable nothing is deleted; the relay backs off and tries again. When
//! one row of a key fails, the rows after it of that key stay in the outbox even if the broker
//! took them, and go again behind it: a key's rows leave the outbox in order or not at all. A row
//! without a payload is a tombstone, published with a null value for compaction.
//!
//! On a broker that is not durable (a database marked with [`crate::kept::keep_until_consumed`])
//! a published row is kept, with its partition and offset, until every reader has committed past
//! it (the [`crate::kept::Keeper`] deletes it then); a leader that finds the broker without its
//! kept rows (a fresh broker after a crash) publishes them again first, in order; and a topic
//! with a partition holding more than `max_unconsumed_records` / `max_unconsumed_bytes` not yet
//! consumed gets no more until consumers catch up: the outbox is the durable buffer.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::future::join_all;
use prometheus::{IntCounter, IntGauge, Registry};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool};
use tokio_util::sync::CancellationToken;

pub use crate::backoff::Backoff;
use crate::kafka::Topics;
use crate::outbox::NOTIFY_CHANNEL;

/// Advisory-lock key of the relay's leadership (class, object).
const LEADER_LOCK: (i32, i32) = (0x7654_0002, 0);

/// How the relay paces itself.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Rows read and published per round.
    pub batch_size: i64,
    /// Longest wait for new rows when the outbox is empty (a commit's NOTIFY wakes it sooner).
    pub idle_wait: Duration,
    /// Longest pause between attempts while the broker or the database fails.
    pub max_backoff: Duration,
    /// How often a standby instance tries to become the leader.
    pub standby_poll: Duration,
    /// With a broker that is not durable: the most records one partition may hold that some
    /// reader has not committed past; beyond it the relay holds the topic back (it may pass the
    /// bound by one batch). The embedded broker keeps at most 100,000 per partition.
    pub max_unconsumed_records: i64,
    /// The same bound in bytes (values, keys and trace headers, uncompressed); the embedded
    /// broker keeps at most 5 MiB per partition.
    pub max_unconsumed_bytes: i64,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            idle_wait: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            standby_poll: Duration::from_secs(2),
            max_unconsumed_records: 20_000,
            max_unconsumed_bytes: 3 * 1024 * 1024,
        }
    }
}

/// Why a round of the relay failed; the relay logs it and tries again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{failed} of {total} records were not acknowledged by the broker: {first}")]
    Delivery {
        failed: usize,
        total: usize,
        first: String,
    },
    /// The broker could not say which records it holds (when looking for kept rows it lost).
    #[error("broker: {0}")]
    Broker(#[from] rdkafka::error::KafkaError),
}

/// The relay's metrics.
#[derive(Debug, Clone)]
struct RelayMetrics {
    published: IntCounter,
    backlog: IntGauge,
    leader: IntGauge,
    held: IntGauge,
}

impl RelayMetrics {
    fn new(registry: &Registry) -> Self {
        let published = IntCounter::new(
            "outbox_published_total",
            "Outbox events published and acknowledged by the broker",
        )
        .expect("a valid metric");
        let backlog = IntGauge::new(
            "outbox_backlog",
            "Committed outbox events not yet acknowledged by the broker",
        )
        .expect("a valid metric");
        let leader = IntGauge::new("outbox_relay_leader", "1 while this instance relays")
            .expect("a valid metric");
        let held = IntGauge::new(
            "outbox_topics_held",
            "Topics the relay holds back until consumers catch up (broker not durable)",
        )
        .expect("a valid metric");
        for metric in [
            Box::new(published.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(backlog.clone()),
            Box::new(leader.clone()),
            Box::new(held.clone()),
        ] {
            // One relay per registry: a second one's series would be left unregistered.
            let _ = registry.register(metric);
        }
        Self {
            published,
            backlog,
            leader,
            held,
        }
    }
}

/// The ids of the rows that may leave the outbox, given whether the broker took each one
/// (`delivered` in id order, possibly cut short): those taken with no failed row of their key
/// before them. A row the broker took after an earlier one of its key failed is published again
/// behind it, so that from the failed row on the log holds the key's rows in order; consumers
/// skip the second copy by its event id (one that read the first copy saw that row early).
fn in_order_per_key(delivered: &[(&OutboxRow, Option<Placed>)]) -> Vec<(i64, Placed)> {
    let mut failed_keys: HashSet<&str> = HashSet::new();
    let mut acknowledged = Vec::with_capacity(delivered.len());
    for (row, placed) in delivered {
        match placed {
            None => {
                failed_keys.insert(row.key.as_str());
            }
            Some(placed) if !failed_keys.contains(row.key.as_str()) => {
                acknowledged.push((row.id, *placed));
            }
            Some(_) => {}
        }
    }
    acknowledged
}

/// Where the broker put a record: partition and offset.
#[derive(Debug, Clone, Copy)]
struct Placed {
    partition: i32,
    offset: i64,
}

/// Publishes one service's outbox.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    producer: FutureProducer,
    topics: Topics,
    options: RelayOptions,
    metrics: RelayMetrics,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("topics", &self.topics)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

struct OutboxRow {
    id: i64,
    topic: String,
    key: String,
    /// `None`: a tombstone.
    payload: Option<Vec<u8>>,
    traceparent: Option<String>,
    tracestate: Option<String>,
}

impl Relay {
    /// A relay for the outbox in `pool`, publishing with `producer` (see
    /// [`crate::KafkaSettings::producer`]) and registering its metrics in `registry`.
    pub fn new(
        pool: PgPool,
        producer: FutureProducer,
        topics: Topics,
        options: RelayOptions,
        registry: &Registry,
    ) -> Self {
        Self {
            pool,
            producer,
            topics,
            options,
            metrics: RelayMetrics::new(registry),
        }
    }

    /// Relays until `shutdown`: becomes the leader (or stands by), then publishes batches as
    /// rows arrive. Errors are logged and retried with backoff; it returns only on shutdown.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(self.options.max_backoff);
        while !shutdown.is_cancelled() {
            match self.lead(&shutdown).await {
                Ok(()) => backoff.reset(),
                Err(error) => {
                    tracing::warn!(%error, "outbox relay interrupted; retrying");
                    self.metrics.leader.set(0);
                    backoff.wait(&shutdown).await;
                }
            }
        }
        self.metrics.leader.set(0);
    }

    /// One term as leader: returns when shutdown is requested, `Err` when the leader connection
    /// fails (leadership is then lost with it).
    async fn lead(&self, shutdown: &CancellationToken) -> Result<(), RelayError> {
        let mut leader = self.pool.acquire().await?;
        let acquired: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LEADER_LOCK.0)
            .bind(LEADER_LOCK.1)
            .fetch_one(&mut *leader)
            .await?;
        if !acquired {
            // Another instance relays; look again later.
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(self.options.standby_poll) => {}
            }
            return Ok(());
        }
        // The lock lives with this session: the connection must never go back to the pool.
        let mut leader = leader.detach();
        self.metrics.leader.set(1);
        tracing::info!("outbox relay is the leader");
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        let mut backoff = Backoff::new(self.options.max_backoff);
        // Nothing is published before the kept rows the broker lost are queued again.
        while !shutdown.is_cancelled() {
            match self.republish_lost_on(&mut leader).await {
                Ok(0) => break,
                Ok(lost) => {
                    tracing::warn!(
                        lost,
                        "the broker lost published events; publishing them again"
                    );
                    break;
                }
                Err(RelayError::Database(error)) => return Err(RelayError::Database(error)),
                Err(error) => {
                    tracing::warn!(%error, "outbox relay cannot see the broker; backing off");
                    backoff.wait(shutdown).await;
                }
            }
        }
        while !shutdown.is_cancelled() {
            match self.publish_batch_on(&mut leader).await {
                Ok(published) if published as i64 == self.options.batch_size => backoff.reset(),
                Ok(_) => {
                    backoff.reset();
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        _ = tokio::time::timeout(self.options.idle_wait, listener.recv()) => {}
                    }
                }
                Err(RelayError::Database(error)) => return Err(RelayError::Database(error)),
                Err(error) => {
                    tracing::warn!(%error, "outbox relay could not publish; backing off");
                    backoff.wait(shutdown).await;
                }
            }
        }
        // Give the lock back now rather than when the connection is eventually closed.
        let _ = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(LEADER_LOCK.0)
            .bind(LEADER_LOCK.1)
            .execute(&mut leader)
            .await;
        Ok(())
    }

    /// Publishes one batch without taking leadership: for tests, benchmarks and draining an
    /// outbox at shutdown while no other relay runs. Returns how many rows were published.
    pub async fn publish_batch(&self) -> Result<usize, RelayError> {
        let mut connection = self.pool.acquire().await?;
        self.publish_batch_on(&mut connection).await
    }

    async fn publish_batch_on(
        &self,
        connection: &mut sqlx::PgConnection,
    ) -> Result<usize, RelayError> {
        let keep = crate::kept::keeps(connection).await?;
        let held = if keep {
            self.held_topics(connection).await?
        } else {
            Vec::new()
        };
        let rows: Vec<OutboxRow> = sqlx::query(if keep {
            "SELECT id, topic, message_key, payload, traceparent, tracestate
             FROM outbox WHERE published_at IS NULL AND topic <> ALL($2)
             ORDER BY id LIMIT $1"
        } else {
            "SELECT id, topic, message_key, payload, traceparent, tracestate
             FROM outbox WHERE $2::text[] IS NOT NULL ORDER BY id LIMIT $1"
        })
        .bind(self.options.batch_size)
        .bind(&held)
        .fetch_all(&mut *connection)
        .await?
        .into_iter()
        .map(|row| OutboxRow {
            id: row.get(0),
            topic: row.get(1),
            key: row.get(2),
            payload: row.get(3),
            traceparent: row.get(4),
            tracestate: row.get(5),
        })
        .collect();
        if rows.is_empty() {
            self.metrics.backlog.set(0);
            return Ok(0);
        }
        let started = Instant::now();
        // Enqueue in id order (the producer keeps that order per partition), then wait for every
        // acknowledgement. A record that cannot even be enqueued stops the batch there, so no
        // later record of its key overtakes it.
        let mut pending = Vec::with_capacity(rows.len());
        let mut failures = Vec::new();
        for row in &rows {
            match self.enqueue(row) {
                Ok(delivery) => pending.push((row, delivery)),
                Err(error) => {
                    failures.push(error);
                    break;
                }
            }
        }
        let outcomes = join_all(
            pending
                .into_iter()
                .map(|(row, delivery)| async move { (row, delivery.await) }),
        )
        .await;
        let mut delivered = Vec::with_capacity(rows.len());
        for (row, outcome) in outcomes {
            match outcome {
                Ok(Ok(delivery)) => delivered.push((
                    row,
                    Some(Placed {
                        partition: delivery.partition,
                        offset: delivery.offset,
                    }),
                )),
                Ok(Err((error, _))) => {
                    failures.push(error.to_string());
                    delivered.push((row, None));
                }
                Err(_) => {
                    failures.push(String::from("the producer dropped the record"));
                    delivered.push((row, None));
                }
            }
        }
        let acknowledged = in_order_per_key(&delivered);
        if !acknowledged.is_empty() {
            let ids: Vec<i64> = acknowledged.iter().map(|(id, _)| *id).collect();
            if keep {
                let partitions: Vec<i32> = acknowledged.iter().map(|(_, p)| p.partition).collect();
                let offsets: Vec<i64> = acknowledged.iter().map(|(_, p)| p.offset).collect();
                sqlx::query(
                    "UPDATE outbox SET published_at = clock_timestamp(),
                         kafka_partition = d.part, kafka_offset = d.pos
                     FROM unnest($1::bigint[], $2::int[], $3::bigint[]) AS d(id, part, pos)
                     WHERE outbox.id = d.id",
                )
                .bind(&ids)
                .bind(&partitions)
                .bind(&offsets)
                .execute(&mut *connection)
                .await?;
            } else {
                sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
                    .bind(&ids)
                    .execute(&mut *connection)
                    .await?;
            }
            self.metrics.published.inc_by(acknowledged.len() as u64);
        }
        self.update_backlog(connection, rows.len()).await;
        tracing::debug!(
            published = acknowledged.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbox batch"
        );
        match failures.first() {
            None => Ok(acknowledged.len()),
            Some(first) => Err(RelayError::Delivery {
                failed: failures.len(),
                total: rows.len(),
                first: first.clone(),
            }),
        }
    }

    /// The logical topics with a partition holding more published records than consumers have
    /// committed past than the options allow: no more is published to them for now.
    async fn held_topics(
        &self,
        connection: &mut sqlx::PgConnection,
    ) -> Result<Vec<String>, sqlx::Error> {
        let held: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT topic FROM (
                 SELECT topic FROM outbox WHERE published_at IS NOT NULL
                 GROUP BY topic, kafka_partition
                 HAVING count(*) >= $1
                     OR sum(coalesce(octet_length(payload), 0) + octet_length(message_key)
                            + coalesce(octet_length(traceparent), 0)
                            + coalesce(octet_length(tracestate), 0)) >= $2
             ) AS full_partitions",
        )
        .bind(self.options.max_unconsumed_records)
        .bind(self.options.max_unconsumed_bytes)
        .fetch_all(connection)
        .await?;
        if !held.is_empty() {
            tracing::debug!(?held, "topics held back until consumers catch up");
        }
        self.metrics.held.set(held.len() as i64);
        Ok(held)
    }

    /// With a broker that is not durable: queues again, before anything newer, every kept row
    /// the broker no longer holds (at or past its partition's end: a fresh broker holds
    /// nothing). Returns how many. For tests; the leader does it at the start of each term.
    pub async fn republish_lost(&self) -> Result<u64, RelayError> {
        let mut connection = self.pool.acquire().await?;
        self.republish_lost_on(&mut connection).await
    }

    async fn republish_lost_on(
        &self,
        connection: &mut sqlx::PgConnection,
    ) -> Result<u64, RelayError> {
        if !crate::kept::keeps(connection).await? {
            return Ok(0);
        }
        let partitions: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT topic, kafka_partition, max(kafka_offset) FROM outbox
             WHERE published_at IS NOT NULL GROUP BY topic, kafka_partition",
        )
        .fetch_all(&mut *connection)
        .await?;
        let mut ends = HashMap::new();
        for (logical, partition, _) in &partitions {
            let client = self.producer.clone();
            let topic = self.topics.topic(logical);
            let partition = *partition;
            let (_, high) = tokio::task::spawn_blocking(move || {
                client
                    .client()
                    .fetch_watermarks(&topic, partition, Duration::from_secs(5))
            })
            .await
            .map_err(|_| rdkafka::error::KafkaError::Canceled)??;
            ends.insert((logical.clone(), partition), high);
        }
        let mut lost = 0;
        for (topic, partition, last) in &partitions {
            let end = ends.get(&(topic.clone(), *partition)).copied().unwrap_or(0);
            if *last < end {
                continue;
            }
            lost += sqlx::query(
                "UPDATE outbox SET published_at = NULL, kafka_partition = NULL, kafka_offset = NULL
                 WHERE published_at IS NOT NULL AND topic = $1 AND kafka_partition = $2
                   AND kafka_offset >= $3",
            )
            .bind(topic)
            .bind(partition)
            .bind(end)
            .execute(&mut *connection)
            .await?
            .rows_affected();
        }
        Ok(lost)
    }

    /// Hands a row to the producer, which retries on its own until `message.timeout.ms`.
    fn enqueue(&self, row: &OutboxRow) -> Result<DeliveryFuture, String> {
        let topic = self.topics.topic(&row.topic);
        let mut headers = OwnedHeaders::new();
        for (name, value) in [
            ("traceparent", &row.traceparent),
            ("tracestate", &row.tracestate),
        ] {
            if let Some(value) = value {
                headers = headers.insert(Header {
                    key: name,
                    value: Some(value.as_bytes()),
                });
            }
        }
        let mut record = FutureRecord::to(&topic).key(&row.key).headers(headers);
        if let Some(payload) = &row.payload {
            record = record.payload(payload);
        }
        self.producer
            .send_result(record)
            .map_err(|(error, _)| error.to_string())
    }

    async fn update_backlog(&self, connection: &mut sqlx::PgConnection, fetched: usize) {
        if (fetched as i64) < self.options.batch_size {
            // The whole outbox was in this batch: whatever failed is the backlog.
            let remaining: Result<i64, _> =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    .fetch_one(&mut *connection)
                    .await;
            if let Ok(remaining) = remaining {
                self.metrics.backlog.set(remaining);
            }
        } else if let Ok(estimate) = sqlx::query_scalar::<_, i64>(
            "SELECT coalesce(max(id) - min(id) + 1, 0) FROM outbox WHERE published_at IS NULL",
        )
        .fetch_one(&mut *connection)
        .await
        {
            // A cheap upper bound while a large backlog drains.
            self.metrics.backlog.set(estimate);
        }
    }

    /// How many rows are waiting in the outbox.
    pub async fn backlog(&self) -> Result<i64, sqlx::Error> {
        crate::outbox::waiting(&self.pool, None).await
    }
}
