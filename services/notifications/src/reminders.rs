//! The reminder sweep: an application still unanswered (SUBMITTED) a configured number of days
//! (15 by default) after it was sent reminds its company, once. The application is taken with
//! `FOR UPDATE SKIP LOCKED` and marked reminded in the transaction that creates the reminder,
//! whose source is the application itself, so the unique rule on notifications holds it to one
//! even if two sweeps raced. (The candidate hears when the offers service expires the
//! application: that is an `ApplicationExpired` event.)

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::DigestSettings;
use crate::domain::compose::{self, ApplicationRef, Draft};
use crate::domain::{Kind, Recipient};
use crate::store::notifications::{self, FanOut};
use crate::store::{StoreError, facts};

/// Applications one transaction reminds at most.
pub const BATCH: i64 = 100;

/// Reminds the companies of every application unanswered for `after_days` at `now`; returns
/// how many reminders were created.
pub async fn remind_unanswered(
    pool: &PgPool,
    now: DateTime<Utc>,
    after_days: u32,
    digest_due: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let before = now - chrono::Duration::days(i64::from(after_days));
    let mut reminded = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let due = facts::lock_unanswered(&mut transaction, before, BATCH).await?;
        for application in &due {
            let offer = facts::offer(&mut *transaction, application.offer_id).await?;
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
            let clock = FanOut { now, digest_due };
            notifications::fan_out(&mut transaction, application.id, &[draft], clock).await?;
            facts::mark_reminded(&mut transaction, application.id, now).await?;
        }
        transaction.commit().await?;
        reminded += due.len();
        if due.len() < BATCH as usize {
            return Ok(reminded);
        }
    }
}

/// Runs the sweep every `every` until `stop`.
pub async fn run(
    pool: PgPool,
    after_days: u32,
    digest: DigestSettings,
    every: Duration,
    stop: CancellationToken,
) {
    loop {
        let now = Utc::now().trunc_subsecs(6);
        let digest_due = digest.due(now);
        match remind_unanswered(&pool, now, after_days, digest_due).await {
            Ok(0) => {}
            Ok(reminded) => {
                tracing::info!(reminded, "reminded companies of unanswered applications")
            }
            Err(error) => tracing::warn!(%error, "the reminder sweep failed; retrying next round"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
