//! The reminders, each reminding at most once, in the transaction that marks what it
//! reminded of (rows taken with `FOR UPDATE SKIP LOCKED`, and the unique rule on notifications
//! behind it, so two sweeps racing still remind once):
//! - an application still unanswered (SUBMITTED) a configured number of days (15 by default)
//!   after it was sent reminds its company (the candidate hears when the offers service expires
//!   the application: that is an `ApplicationExpired` event);
//! - a published offer whose last day to apply is a week away (by default) reminds its
//!   company, once per last day, so a deadline pushed back is reminded again;
//! - label requests and appeals waiting for Bpifrance for a month (by default) are recalled to
//!   it, several in one reminder, each once per wait (a resubmission after a rework waits anew).

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use uuid::Uuid;

use super::inbox::notify;
use crate::Error;
use crate::domain::compose::{self, ApplicationRef, Draft};
use crate::domain::{Kind, Recipient};
use crate::store::facts;
use crate::store::notifications::FanOut;

/// Applications one transaction reminds at most.
pub const BATCH: i64 = 100;

/// Reminds the companies of every application unanswered for `after_days` at `now`; returns
/// how many reminders were created.
pub async fn remind_unanswered(
    pool: &PgPool,
    now: DateTime<Utc>,
    after_days: u32,
    digest_due: DateTime<Utc>,
) -> Result<usize, Error> {
    let before = now - chrono::Duration::days(i64::from(after_days));
    let clock = FanOut { now, digest_due };
    let mut reminded = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let due = facts::lock_unanswered(&mut transaction, before, BATCH).await?;
        let offer_ids: Vec<Uuid> = due.iter().map(|application| application.offer_id).collect();
        let offers = facts::offers(&mut *transaction, &offer_ids).await?;
        for application in &due {
            let offer = offers
                .get(&application.offer_id)
                .cloned()
                .unwrap_or_default();
            let ids = ApplicationRef {
                application_id: application.id,
                offer_id: application.offer_id,
            };
            let draft = Draft {
                recipient: Recipient::Company(application.company),
                kind: Kind::ApplicationsAwaitingReview,
                text: compose::awaiting_review(
                    &offer,
                    ids,
                    application.submitted_at.date_naive(),
                    after_days,
                ),
                subject_id: Some(application.id),
                occurred_at: now,
                subject: None,
            };
            notify(&mut transaction, application.id, &[draft], clock).await?;
        }
        let ids: Vec<Uuid> = due.iter().map(|application| application.id).collect();
        facts::mark_reminded(&mut transaction, &ids, now).await?;
        transaction.commit().await?;
        reminded += due.len();
        if due.len() < BATCH as usize {
            return Ok(reminded);
        }
    }
}

/// Namespace of the ids that make each expiry reminder unique (offer id and last day).
const EXPIRY_REMINDERS: Uuid = Uuid::from_u128(0x0193_a000_5e1e_7000_8000_0000_0000_0001);

/// Reminds the companies of every published offer whose last day to apply is `days_before`
/// days after `today` or sooner (and not past), once per last day; returns how many.
pub async fn remind_expiring(
    pool: &PgPool,
    now: DateTime<Utc>,
    today: NaiveDate,
    days_before: u32,
    digest_due: DateTime<Utc>,
) -> Result<usize, Error> {
    let until = today
        .checked_add_days(Days::new(u64::from(days_before)))
        .unwrap_or(today);
    let clock = FanOut { now, digest_due };
    let mut reminded = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let due = facts::lock_expiring(&mut transaction, today, until, BATCH).await?;
        for offer in &due {
            let draft = Draft {
                recipient: Recipient::Company(offer.company),
                kind: Kind::OfferExpiring,
                text: compose::offer_expiring(&offer.facts, offer.id, offer.expires_on),
                subject_id: Some(offer.id),
                occurred_at: now,
                subject: None,
            };
            // One reminder per offer and last day, whatever races.
            let source = Uuid::new_v5(
                &EXPIRY_REMINDERS,
                format!("{}/{}", offer.id, offer.expires_on).as_bytes(),
            );
            notify(&mut transaction, source, &[draft], clock).await?;
        }
        let ids: Vec<Uuid> = due.iter().map(|offer| offer.id).collect();
        facts::mark_expiry_reminded(&mut transaction, &ids).await?;
        transaction.commit().await?;
        reminded += due.len();
        if due.len() < BATCH as usize {
            return Ok(reminded);
        }
    }
}

/// Recalls to Bpifrance the VTEs whose label request or appeal has waited for its decision
/// since `after_days` days before `now` or earlier, each once, up to [`BATCH`] in one reminder
/// (the days they came as lived in `time_zone`); returns how many VTEs were recalled.
pub async fn remind_labels(
    pool: &PgPool,
    now: DateTime<Utc>,
    after_days: u32,
    time_zone: Tz,
    digest_due: DateTime<Utc>,
) -> Result<usize, Error> {
    let before = now - chrono::Duration::days(i64::from(after_days));
    let mut reminded = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let due = facts::lock_awaiting_label(&mut transaction, before, BATCH).await?;
        let Some(first) = due.first() else {
            return Ok(reminded);
        };
        let pending: Vec<compose::PendingLabel> = due
            .iter()
            .map(|awaiting| compose::PendingLabel {
                offer: awaiting.offer.clone(),
                since: awaiting.since.with_timezone(&time_zone).date_naive(),
            })
            .collect();
        let draft = Draft {
            recipient: Recipient::Bpifrance,
            kind: Kind::LabelsAwaitingDecision,
            text: compose::labels_awaiting(&pending, after_days),
            subject_id: (due.len() == 1).then_some(first.placement_id),
            occurred_at: now,
            subject: None,
        };
        // The oldest VTE recalled names the reminder: it is recalled only once.
        let clock = FanOut { now, digest_due };
        notify(&mut transaction, first.placement_id, &[draft], clock).await?;
        let ids: Vec<Uuid> = due.iter().map(|awaiting| awaiting.placement_id).collect();
        facts::mark_label_reminded(&mut transaction, &ids, now).await?;
        transaction.commit().await?;
        reminded += due.len();
        if due.len() < BATCH as usize {
            return Ok(reminded);
        }
    }
}
