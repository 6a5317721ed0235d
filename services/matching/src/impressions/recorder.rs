//! Recording impressions without slowing a reply: an RPC hands its impression to a bounded
//! queue ([`Recorder::record`] never waits; when the queue is full the impression is dropped and
//! counted), and a background task writes what comes within 200 ms in batches, in one
//! transaction each. On shutdown it writes what is left. The retention sweep purges impressions
//! past the retention period. Metrics count impressions written, dropped, failed and purged,
//! never whose.

use std::time::Duration;

use chrono::Utc;
use prometheus::{IntCounter, Registry};
use sqlx::PgPool;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use vte_service::{ServiceHost, StartError};

use super::{Impression, ImpressionSettings, store};

/// Impressions written in one transaction at most.
pub const BATCH: usize = 500;

/// How long the writer waits for more impressions after the first of a batch.
pub const LINGER: Duration = Duration::from_millis(200);

/// Impressions deleted by one statement of the sweep at most.
const PURGE_BATCH: i64 = 10_000;

/// The counters on the service's registry (`vte_matching_impressions_*`).
#[derive(Debug, Clone)]
pub struct ImpressionMetrics {
    written: IntCounter,
    dropped: IntCounter,
    failed: IntCounter,
    purged: IntCounter,
}

impl ImpressionMetrics {
    /// The counters, registered on `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let counter = IntCounter::new(name, help)?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        Ok(Self {
            written: counter(
                "matching_impressions_written_total",
                "Rankings shown recorded in the database",
            )?,
            dropped: counter(
                "matching_impressions_dropped_total",
                "Rankings shown not recorded because the impressions queue was full",
            )?,
            failed: counter(
                "matching_impressions_failed_total",
                "Rankings shown not recorded because their batch could not be written",
            )?,
            purged: counter(
                "matching_impressions_purged_total",
                "Impressions deleted by the retention sweep",
            )?,
        })
    }
}

/// Where the RPCs hand their impressions; cheap to clone. A disabled recorder records nothing.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    queue: Option<(mpsc::Sender<Impression>, ImpressionMetrics)>,
}

impl Recorder {
    /// A recorder that records nothing (impressions disabled, tools, tests of other things).
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A recorder queueing up to `capacity` impressions, and the writer emptying the queue.
    pub fn with_queue(capacity: usize, metrics: ImpressionMetrics) -> (Self, Writer) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let writer = Writer {
            receiver,
            metrics: metrics.clone(),
        };
        (
            Self {
                queue: Some((sender, metrics)),
            },
            writer,
        )
    }

    /// Queues an impression for the writer, without waiting: dropped and counted when the
    /// queue is full (the database is slow or down), so a reply is never held up.
    pub fn record(&self, impression: Impression) {
        let Some((queue, metrics)) = &self.queue else {
            return;
        };
        match queue.try_send(impression) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Closed(_)) => metrics.dropped.inc(),
        }
    }
}

/// Writes queued impressions in batches until shutdown, then what is left.
#[derive(Debug)]
pub struct Writer {
    receiver: mpsc::Receiver<Impression>,
    metrics: ImpressionMetrics,
}

impl Writer {
    /// Waits for an impression, takes whatever else comes within [`LINGER`] (up to [`BATCH`])
    /// and writes them together; once `shutdown` is cancelled, writes the rest of the queue and
    /// returns.
    pub async fn run(mut self, pool: PgPool, shutdown: CancellationToken) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                received = self.receiver.recv() => match received {
                    Some(impression) => batch.push(impression),
                    None => break,
                },
                () = shutdown.cancelled() => break,
            }
            // Whatever else comes within LINGER joins the batch: one transaction for many
            // replies, rather than one each competing with the replies for the CPU.
            let deadline = tokio::time::Instant::now() + LINGER;
            while batch.len() < BATCH {
                tokio::select! {
                    received = tokio::time::timeout_at(deadline, self.receiver.recv()) => {
                        match received {
                            Ok(Some(impression)) => batch.push(impression),
                            Ok(None) | Err(_) => break,
                        }
                    }
                    () = shutdown.cancelled() => break,
                }
            }
            self.write(&pool, &mut batch).await;
        }
        self.receiver.close();
        while let Ok(impression) = self.receiver.try_recv() {
            batch.push(impression);
            if batch.len() == BATCH {
                self.write(&pool, &mut batch).await;
            }
        }
        self.write(&pool, &mut batch).await;
    }

    async fn write(&self, pool: &PgPool, batch: &mut Vec<Impression>) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len() as u64;
        match write_batch(pool, batch).await {
            Ok(()) => self.metrics.written.inc_by(count),
            Err(error) => {
                self.metrics.failed.inc_by(count);
                tracing::warn!(%error, impressions = count, "could not record impressions");
            }
        }
        batch.clear();
    }
}

async fn write_batch(pool: &PgPool, batch: &[Impression]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    store::insert(&mut tx, batch).await?;
    tx.commit().await
}

/// Purges impressions (and outcomes) older than the retention period at start, then every
/// `settings.sweep_every_hours`, until `shutdown`. A failed round is logged; the next retries.
pub async fn sweep(
    pool: PgPool,
    settings: ImpressionSettings,
    metrics: ImpressionMetrics,
    shutdown: CancellationToken,
) {
    let every = Duration::from_secs(u64::from(settings.sweep_every_hours) * 3600);
    loop {
        let before = Utc::now() - chrono::Duration::days(i64::from(settings.retention_days));
        loop {
            match store::purge(&pool, before, PURGE_BATCH).await {
                Ok(purged) => {
                    metrics.purged.inc_by(purged.impressions);
                    if purged.impressions + purged.outcomes + purged.erased_rows > 0 {
                        tracing::info!(
                            impressions = purged.impressions,
                            outcomes = purged.outcomes,
                            erased_rows = purged.erased_rows,
                            "purged impressions past retention"
                        );
                    }
                    if purged.impressions < PURGE_BATCH as u64 || shutdown.is_cancelled() {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the impressions sweep failed; retrying next round");
                    break;
                }
            }
        }
        if !vte_service::shutdown::pause(every, &shutdown).await {
            return;
        }
    }
}

/// Registers the metrics and starts the writer (when impressions are enabled) and the
/// retention sweep (always: impressions recorded earlier still expire) on `host`.
pub fn start(host: &mut ServiceHost, settings: ImpressionSettings) -> Result<Recorder, StartError> {
    let metrics = ImpressionMetrics::register(host.metrics.registry()).map_err(|error| {
        StartError::Setting {
            setting: "matching.impressions",
            message: format!("cannot register its metrics: {error}"),
        }
    })?;
    let pool = host.pool.clone();
    let (sweep_pool, sweep_metrics) = (pool.clone(), metrics.clone());
    host.spawn("impressions sweep", move |stop| async move {
        sweep(sweep_pool, settings, sweep_metrics, stop).await;
        Ok(())
    });
    if !settings.enabled {
        return Ok(Recorder::disabled());
    }
    let (recorder, writer) = Recorder::with_queue(settings.queue, metrics);
    host.spawn("impressions writer", move |stop| async move {
        writer.run(pool, stop).await;
        Ok(())
    });
    Ok(recorder)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::impressions::Audience;

    fn impression() -> Impression {
        Impression {
            id: Uuid::now_v7(),
            shown_at: Utc::now(),
            audience: Audience::Company,
            subject: Uuid::now_v7(),
            rules_version: "scoring-1/test".into(),
            items: vec![],
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_rather_than_wait() {
        let registry = Registry::new();
        let metrics = ImpressionMetrics::register(&registry).expect("new counters");
        let (recorder, writer) = Recorder::with_queue(2, metrics.clone());
        for _ in 0..5 {
            recorder.record(impression());
        }
        assert_eq!(metrics.dropped.get(), 3);
        // Once the writer is gone, nothing waits on a closed queue either.
        drop(writer);
        recorder.record(impression());
        assert_eq!(metrics.dropped.get(), 4);
        Recorder::disabled().record(impression());
    }
}
