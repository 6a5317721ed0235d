//! The outbox as the durable buffer of a broker that keeps nothing (the embedded one of `vte up`,
//! whose records die with the process). A database marked [`keep_until_consumed`] has its relay
//! record where each published row went instead of deleting it; the [`Keeper`] deletes a row
//! once every consumer group reading its topic has committed past it; a relay that finds the
//! broker without a kept row publishes it again (see [`crate::relay`]). Kept rows also give the
//! relay its backpressure: a partition's kept rows are exactly what consumers have not read yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::kafka::KafkaSettings;

/// The database setting (`ALTER DATABASE … SET`) that tells the relay to keep published rows.
pub const SETTING: &str = "vte.outbox_keep_until_consumed";

/// Marks `database` (on the server `connection` is connected to) as relayed to a broker that is
/// not durable (`keep = true`), or to one that is (`false`, the default: rows are deleted once
/// acknowledged). Takes effect for sessions opened afterwards, so call it before the service's
/// pool connects. `database` is a name the caller owns, never input.
pub async fn keep_until_consumed(
    connection: &mut sqlx::PgConnection,
    database: &str,
    keep: bool,
) -> Result<(), sqlx::Error> {
    let database = database.replace('"', "\"\"");
    let statement = if keep {
        format!("ALTER DATABASE \"{database}\" SET {SETTING} = 'on'")
    } else {
        format!("ALTER DATABASE \"{database}\" RESET {SETTING}")
    };
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(connection)
        .await?;
    Ok(())
}

/// Whether this session's database keeps published rows until they are consumed.
pub(crate) async fn keeps(connection: &mut sqlx::PgConnection) -> Result<bool, sqlx::Error> {
    let value: Option<String> = sqlx::query_scalar("SELECT current_setting($1, true)")
        .bind(SETTING)
        .fetch_one(connection)
        .await?;
    Ok(value.is_some_and(|value| value == "on"))
}

/// Deletes the kept rows of logical `topic` that every reader has committed past: on each
/// `(partition, committed)`, the rows below the committed offset. Returns how many.
pub async fn forget_consumed(
    pool: &PgPool,
    topic: &str,
    committed: &[(i32, i64)],
) -> Result<u64, sqlx::Error> {
    let (partitions, offsets): (Vec<i32>, Vec<i64>) = committed.iter().copied().unzip();
    let deleted = sqlx::query(
        "DELETE FROM outbox USING unnest($2::int[], $3::bigint[]) AS c(partition, committed)
         WHERE outbox.published_at IS NOT NULL AND outbox.topic = $1
           AND outbox.kafka_partition = c.partition AND outbox.kafka_offset < c.committed",
    )
    .bind(topic)
    .bind(&partitions)
    .bind(&offsets)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(deleted)
}

/// Deletes every published row of logical `topic`: what is done with a topic nobody reads.
pub async fn forget_published(pool: &PgPool, topic: &str) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM outbox WHERE published_at IS NOT NULL AND topic = $1")
        .bind(topic)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(deleted)
}

/// How many published rows are kept (not yet consumed by every reader).
pub async fn kept(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
        .fetch_one(pool)
        .await
}

/// Deletes kept rows as consumer groups commit past them. Knows which groups read which logical
/// topics (a group per reading service) and the outboxes to trim.
pub struct Keeper {
    kafka: KafkaSettings,
    /// Logical topic → the (namespaced) groups that read it.
    readers: HashMap<String, Vec<String>>,
    outboxes: Vec<PgPool>,
    every: Duration,
    /// One client per group, made at the first round and kept (making one costs threads and
    /// connections).
    clients: Arc<Mutex<HashMap<String, BaseConsumer>>>,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keeper")
            .field("readers", &self.readers)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

/// Why a round of the [`Keeper`] failed; it is logged and tried again.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error("outbox database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("reading committed offsets: {0}")]
    Broker(#[from] rdkafka::error::KafkaError),
}

/// The lowest committed offset of each partition of a topic over its readers.
type Committed = HashMap<String, Vec<(i32, i64)>>;

impl Keeper {
    /// A keeper of `outboxes`, whose topics are read by the services of `readers` (service
    /// name, logical topics it reads), each in its group; it looks every `every`.
    pub fn new(
        kafka: KafkaSettings,
        readers: &[(&str, &[&str])],
        outboxes: Vec<PgPool>,
        every: Duration,
    ) -> Self {
        let topics = kafka.topics();
        let mut by_topic: HashMap<String, Vec<String>> = vte_proto::TOPICS
            .iter()
            .map(|topic| ((*topic).to_owned(), Vec::new()))
            .collect();
        for (service, reads) in readers {
            for topic in *reads {
                by_topic
                    .entry((*topic).to_owned())
                    .or_default()
                    .push(topics.group(service));
            }
        }
        Self {
            kafka,
            readers: by_topic,
            outboxes,
            every,
            clients: Arc::default(),
        }
    }

    /// Trims until `shutdown`; failures are logged and tried again next round.
    pub async fn run(&self, shutdown: CancellationToken) {
        loop {
            if let Err(error) = self.trim().await {
                tracing::warn!(%error, "could not trim the kept outbox rows");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.every) => {}
            }
        }
    }

    /// One round: reads the groups' committed offsets and deletes what all readers have
    /// committed past. Returns how many rows were deleted.
    pub async fn trim(&self) -> Result<u64, KeeperError> {
        let kafka = self.kafka.clone();
        let readers = self.readers.clone();
        let clients = Arc::clone(&self.clients);
        let committed = tokio::task::spawn_blocking(move || committed(&kafka, &readers, &clients))
            .await
            .map_err(|_| rdkafka::error::KafkaError::Canceled)??;
        let mut deleted = 0;
        for pool in &self.outboxes {
            for (topic, groups) in &self.readers {
                deleted += if groups.is_empty() {
                    forget_published(pool, topic).await?
                } else {
                    match committed.get(topic) {
                        Some(partitions) => forget_consumed(pool, topic, partitions).await?,
                        None => 0,
                    }
                };
            }
        }
        Ok(deleted)
    }
}

/// For each logical topic with readers, each partition's lowest committed offset over them (a
/// group that never committed on a partition counts as having read nothing there).
fn committed(
    kafka: &KafkaSettings,
    readers: &HashMap<String, Vec<String>>,
    clients: &Mutex<HashMap<String, BaseConsumer>>,
) -> Result<Committed, rdkafka::error::KafkaError> {
    let mut clients = clients
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let topics = kafka.topics();
    let timeout = Duration::from_secs(5);
    let mut lowest: HashMap<(String, i32), i64> = HashMap::new();
    let mut by_group: HashMap<&str, Vec<&str>> = HashMap::new();
    for (topic, groups) in readers {
        for group in groups {
            by_group.entry(group).or_default().push(topic);
        }
    }
    for (group, logicals) in by_group {
        if !clients.contains_key(group) {
            let consumer: BaseConsumer = kafka.consumer_config(group).create()?;
            clients.insert(group.to_owned(), consumer);
        }
        let Some(consumer) = clients.get(group) else {
            continue;
        };
        let metadata = consumer.fetch_metadata(None, timeout)?;
        let mut assignment = TopicPartitionList::new();
        for logical in &logicals {
            let topic = topics.topic(logical);
            if let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) {
                for partition in found.partitions() {
                    assignment.add_partition(&topic, partition.id());
                }
            }
        }
        let committed = consumer.committed_offsets(assignment, timeout)?;
        for element in committed.elements() {
            let Some(logical) = logicals
                .iter()
                .find(|logical| topics.topic(logical) == element.topic())
            else {
                continue;
            };
            let offset = match element.offset() {
                Offset::Offset(offset) => offset,
                _ => 0,
            };
            let entry = lowest
                .entry(((*logical).to_owned(), element.partition()))
                .or_insert(offset);
            *entry = (*entry).min(offset);
        }
    }
    let mut committed: Committed = HashMap::new();
    for ((topic, partition), offset) in lowest {
        committed
            .entry(topic)
            .or_default()
            .push((partition, offset));
    }
    Ok(committed)
}
