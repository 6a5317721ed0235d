//! The periodic sweeps: applications left unanswered for 60 days expire, published offers
//! whose last day to apply has passed expire with their open applications, and placements made
//! before the hire froze its rules get them frozen, once. [`run`] is the
//! background task the service spawns; each round calls the use cases of
//! [`usecases::expiry`](crate::usecases::expiry), re-exported here.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

pub use crate::usecases::expiry::{expire_applications, expire_offers};
pub use crate::usecases::placements::freeze_unfrozen_placements;

/// How many older placements one transaction of [`run`] freezes at most.
pub const FREEZE_BATCH: u32 = 100;

/// How many applications one transaction of [`run`] expires at most.
pub const APPLICATION_BATCH: u32 = 200;
/// How many offers one call of [`expire_offers`] in [`run`] expires (one transaction each)
/// before [`run`] looks at its shutdown token again.
pub const OFFER_BATCH: u32 = 50;

/// Sweeps offers, then applications, every `every` until `shutdown`: the service's background
/// task. Each round reads the clock once (`now` truncated to the microsecond, as PostgreSQL
/// keeps it; `today` is `now`'s UTC date, so an offer expires at most two hours after
/// midnight in Paris, never before). A failed round is logged and the next one tries again.
pub async fn run(
    pool: PgPool,
    reference: Arc<ReferenceData>,
    rules: Arc<RuleBook>,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let now = Utc::now().trunc_subsecs(6);
        round(&pool, &reference, &rules, now.date_naive(), now, &shutdown).await;
        if !vte_service::shutdown::pause(every, &shutdown).await {
            return;
        }
    }
}

/// One round of [`run`]: offers first, so that their applications expire with them rather than
/// for want of an answer.
async fn round(
    pool: &PgPool,
    reference: &ReferenceData,
    rules: &RuleBook,
    today: NaiveDate,
    now: DateTime<Utc>,
    shutdown: &CancellationToken,
) {
    let mut offers = 0;
    let outcome = loop {
        match expire_offers(pool, reference, rules, today, now, OFFER_BATCH).await {
            Ok(expired) => {
                offers += expired;
                if expired < OFFER_BATCH as usize || shutdown.is_cancelled() {
                    break Ok(());
                }
            }
            Err(error) => break Err(error),
        }
    };
    if offers > 0 {
        tracing::info!(offers, "expired offers past their last day to apply");
    }
    if let Err(error) = outcome {
        tracing::warn!(%error, "the offer expiry sweep failed; retrying next round");
    }
    // Placements made before the hire froze its rules get them frozen (the first round runs at
    // start-up; later rounds catch rows an older replica wrote during a rolling update).
    match freeze_unfrozen_placements(pool, reference, rules, FREEZE_BATCH).await {
        Ok(0) => {}
        Ok(placements) => tracing::info!(placements, "froze the rules of older placements"),
        Err(error) => {
            tracing::warn!(%error, "freezing older placements failed; retrying next round");
        }
    }
    match expire_applications(pool, now, APPLICATION_BATCH).await {
        Ok(0) => {}
        Ok(applications) => tracing::info!(applications, "expired unanswered applications"),
        Err(error) => {
            tracing::warn!(%error, "the application expiry sweep failed; retrying next round");
        }
    }
}
