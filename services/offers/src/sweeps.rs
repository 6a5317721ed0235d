//! The periodic sweeps: applications left unanswered for 60 days expire, and published offers
//! whose last day to apply has passed expire with their open applications. The domain decides
//! each change; every change is saved with its one event in the same transaction. Rows are taken
//! with `FOR UPDATE SKIP LOCKED`, so sweeps on several instances share the work and never
//! change the same row twice. [`run`] is the background task the service spawns.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use vte_events::outbox::OutboxError;
use vte_reference::ReferenceData;

use crate::domain::{DomainError, ExpiryCause, Offer, OfferChange, close_out_applications};
use crate::mapping::{application_event, offer_event};
use crate::store::{self, StoreError};

/// How many applications one transaction of [`run`] expires at most.
pub const APPLICATION_BATCH: u32 = 200;
/// How many offers one call of [`expire_offers`] in [`run`] expires (one transaction each)
/// before [`run`] looks at its shutdown token again.
pub const OFFER_BATCH: u32 = 50;

/// Why a sweep stopped. Whatever the current transaction wrote is rolled back; what earlier
/// transactions committed stays, and the next round takes up the rest.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The store failed, or a row changed under the sweep.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be appended to the outbox.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The domain refused a change the store had selected as due (the two disagree).
    #[error("the domain refused an automatic change: {0}")]
    Refused(#[from] DomainError),
}

impl From<sqlx::Error> for SweepError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}

/// Expires every application still SUBMITTED [`UNANSWERED_EXPIRY`] after its submission at
/// `now`, `batch` at a time: each batch is one transaction that locks the applications (skipping
/// those another sweep holds), expires them as the offers service, saves them and appends one
/// `ApplicationExpired` event each. Returns how many expired; stops when a batch comes back
/// short, which means none is left that another sweep does not already hold.
///
/// [`UNANSWERED_EXPIRY`]: crate::domain::UNANSWERED_EXPIRY
pub async fn expire_applications(
    pool: &PgPool,
    now: DateTime<Utc>,
    batch: u32,
) -> Result<usize, SweepError> {
    let batch = batch.max(1);
    let mut expired = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let due = store::applications_due_for_expiry(&mut transaction, now, batch).await?;
        for application in &due {
            let next = application.expire(ExpiryCause::Unanswered, now)?;
            store::save_application(&mut transaction, &next, application.revision).await?;
            vte_events::append(&mut transaction, &application_event(&next)).await?;
        }
        transaction.commit().await?;
        expired += due.len();
        if due.len() < batch as usize {
            return Ok(expired);
        }
    }
}

/// Expires up to `batch` published offers whose last day to apply is before `today`, each in a
/// transaction of its own that takes the next due offer no other sweep holds, expires it, closes
/// out its open applications as the domain says (expired with the offer) and appends one
/// `OfferExpired` event and one event per application changed. Returns how many offers expired;
/// fewer than `batch` means none is left that another sweep does not already hold.
pub async fn expire_offers(
    pool: &PgPool,
    reference: &ReferenceData,
    today: NaiveDate,
    now: DateTime<Utc>,
    batch: u32,
) -> Result<usize, SweepError> {
    let mut expired = 0;
    while expired < batch as usize {
        let mut transaction = pool.begin().await?;
        let due = store::offers_due_for_expiry(&mut transaction, today, 1, reference).await?;
        let Some(offer) = due.into_iter().next() else {
            return Ok(expired);
        };
        expire_offer(&mut transaction, reference, &offer, today, now).await?;
        transaction.commit().await?;
        expired += 1;
    }
    Ok(expired)
}

/// Expires `offer` (locked by the caller) and closes out its open applications, saving each
/// change with its event in `transaction`.
async fn expire_offer(
    transaction: &mut Transaction<'static, Postgres>,
    reference: &ReferenceData,
    offer: &Offer,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), SweepError> {
    let expired = offer.expire(today, now)?;
    store::save_offer(transaction, &expired, offer.revision, reference).await?;
    vte_events::append(transaction, &offer_event(&expired, OfferChange::Expired)).await?;
    let open = store::open_applications_of_offer(transaction, offer.id).await?;
    for closed in close_out_applications(&expired, &open, now) {
        // Closing out is one step: the application was read one revision before.
        let previous = closed.revision.saturating_sub(1);
        store::save_application(transaction, &closed, previous).await?;
        vte_events::append(transaction, &application_event(&closed)).await?;
    }
    Ok(())
}

/// Sweeps offers, then applications, every `every` until `shutdown`: the service's background
/// task. Each round reads the clock once (`now` truncated to the microsecond, as PostgreSQL
/// keeps it; `today` is `now`'s UTC date, so an offer expires at most two hours after
/// midnight in Paris, never before). A failed round is logged and the next one tries again.
pub async fn run(
    pool: PgPool,
    reference: Arc<ReferenceData>,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let now = Utc::now().trunc_subsecs(6);
        round(&pool, &reference, now.date_naive(), now, &shutdown).await;
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// One round of [`run`]: offers first, so that their applications expire with them rather than
/// for want of an answer.
async fn round(
    pool: &PgPool,
    reference: &ReferenceData,
    today: NaiveDate,
    now: DateTime<Utc>,
    shutdown: &CancellationToken,
) {
    let mut offers = 0;
    let outcome = loop {
        match expire_offers(pool, reference, today, now, OFFER_BATCH).await {
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
    match expire_applications(pool, now, APPLICATION_BATCH).await {
        Ok(0) => {}
        Ok(applications) => tracing::info!(applications, "expired unanswered applications"),
        Err(error) => {
            tracing::warn!(%error, "the application expiry sweep failed; retrying next round");
        }
    }
}
