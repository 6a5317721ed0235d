//! The retention sweep, the service's background task: every period (a day by default) it
//! retires the graduates past the recency window idle for the retention period
//! ([`Candidates::retire_idle_graduates`]), batch after batch until none is left or the
//! service stops. It logs and counts how many profiles it retired, never which.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use vte_rules::RuleBook;

use crate::domain::retention::RetentionPolicy;
use crate::usecases::Candidates;

/// How many profiles one transaction of the sweep retires at most.
pub const RETENTION_BATCH: u32 = 100;

/// Sweeps at start, then every `every`, until `shutdown`. A failed round is logged and the next
/// one tries again.
pub async fn run(
    candidates: Candidates,
    rules: Arc<RuleBook>,
    policy: RetentionPolicy,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        round(&candidates, &rules, policy, &shutdown).await;
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// One round: batches until one comes back short (everything due is retired) or the service
/// stops. The clock is read once, so a round's batches agree on what is due.
async fn round(
    candidates: &Candidates,
    rules: &RuleBook,
    policy: RetentionPolicy,
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
        tracing::warn!(%error, "the retention sweep failed; retrying next round");
    }
}
