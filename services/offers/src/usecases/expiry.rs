//! What times out: applications left unanswered for 60 days, and published offers whose last day
//! to apply has passed (with their open applications). The sweeps run these, as the offers
//! service itself; the domain decides each change, and each is saved with its one event in the
//! same transaction. Rows are taken with `FOR UPDATE SKIP LOCKED`, so sweeps on several
//! instances share the work and never change the same row twice.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use super::offers::save_offer_change;
use crate::domain::ExpiryCause;
use crate::error::Error;
use crate::mapping::application_event;
use crate::store;

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
) -> Result<usize, Error> {
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
/// transaction of its own that takes the next due offer no other sweep holds, expires it and
/// saves it as every change of an offer is saved (its `OfferExpired` event, and its open
/// applications closed out, expired with the offer, one event each). Returns how many offers
/// expired; fewer than `batch` means none is left that another sweep does not already hold.
pub async fn expire_offers(
    pool: &PgPool,
    reference: &ReferenceData,
    rules: &RuleBook,
    today: NaiveDate,
    now: DateTime<Utc>,
    batch: u32,
) -> Result<usize, Error> {
    let mut expired = 0;
    while expired < batch as usize {
        let mut transaction = pool.begin().await?;
        let due = store::offers_due_for_expiry(&mut transaction, today, 1, reference).await?;
        let Some(offer) = due.into_iter().next() else {
            return Ok(expired);
        };
        let next = offer.expire(today, now)?;
        save_offer_change(&mut transaction, reference, rules, &offer, &next).await?;
        transaction.commit().await?;
        expired += 1;
    }
    Ok(expired)
}
