//! The retention sweep, the service's background task: every period (a day by default) it
//! retires the graduates past the recency window idle for the retention period
//! ([`Candidates::retire_idle_graduates`]), batch after batch until none is left or the
//! service stops. It logs and counts ([`SweepMetrics`]) how many profiles it retired, never
//! which.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use prometheus::{IntCounter, Registry};
use tokio_util::sync::CancellationToken;
use vte_rules::RuleBook;

use crate::domain::retention::RetentionPolicy;
use crate::usecases::Candidates;

/// How many profiles one transaction of the sweep retires at most.
pub const RETENTION_BATCH: u32 = 100;

/// The sweep's counters on the service's metrics registry (`vte_retention_*`): counts only.
#[derive(Debug, Clone)]
pub struct SweepMetrics {
    retired: IntCounter,
    failed_rounds: IntCounter,
}

impl SweepMetrics {
    /// The counters, registered on `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let retired = IntCounter::new(
            "retention_retired_profiles_total",
            "Profiles of idle graduates past the recency window erased by the retention sweep",
        )?;
        let failed_rounds = IntCounter::new(
            "retention_failed_rounds_total",
            "Rounds of the retention sweep that failed (retried next round)",
        )?;
        registry.register(Box::new(retired.clone()))?;
        registry.register(Box::new(failed_rounds.clone()))?;
        Ok(Self {
            retired,
            failed_rounds,
        })
    }
}

/// Sweeps at start, then every `every`, until `shutdown`. A failed round is logged and counted,
/// and the next one tries again.
pub async fn run(
    candidates: Candidates,
    rules: Arc<RuleBook>,
    policy: RetentionPolicy,
    every: Duration,
    metrics: SweepMetrics,
    shutdown: CancellationToken,
) {
    loop {
        round(&candidates, &rules, policy, &metrics, &shutdown).await;
        if !vte_service::shutdown::pause(every, &shutdown).await {
            return;
        }
    }
}

/// One round: batches until one comes back short (everything due is retired) or the service
/// stops. The clock is read once, so a round's batches agree on what is due.
async fn round(
    candidates: &Candidates,
    rules: &RuleBook,
    policy: RetentionPolicy,
    metrics: &SweepMetrics,
    shutdown: &CancellationToken,
) {
    let now = Utc::now();
    let mut retired = 0;
    let outcome = loop {
        match candidates
            .retire_idle_graduates(rules, policy, now, RETENTION_BATCH)
            .await
        {
            Ok(count) => {
                retired += count;
                metrics.retired.inc_by(count as u64);
                if count < RETENTION_BATCH as usize || shutdown.is_cancelled() {
                    break Ok(());
                }
            }
            Err(error) => break Err(error),
        }
    };
    if retired > 0 {
        tracing::info!(
            profiles = retired,
            "retired idle graduates' profiles (retention)"
        );
    }
    if let Err(error) = outcome {
        metrics.failed_rounds.inc();
        tracing::warn!(%error, "the retention sweep failed; retrying next round");
    }
}
