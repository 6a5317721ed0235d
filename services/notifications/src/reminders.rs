//! The reminder sweep: every `notifications.reminders.sweep_every_secs`, the three reminders of
//! [`crate::usecases::reminders`] (unanswered applications, offers about to expire, labels
//! awaiting Bpifrance's decision), days counted in the digest's time zone. A round that fails
//! is logged and tried again the next round.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::config::{DigestSettings, ReminderSettings};
pub use crate::usecases::reminders::{BATCH, remind_expiring, remind_labels, remind_unanswered};

/// Runs the three reminders every `settings.sweep_every_secs` until `stop`.
pub async fn run(
    pool: PgPool,
    settings: ReminderSettings,
    digest: DigestSettings,
    stop: CancellationToken,
) {
    let every = Duration::from_secs(settings.sweep_every_secs.max(1));
    loop {
        let now = Utc::now().trunc_subsecs(6);
        let today = now.with_timezone(&digest.time_zone).date_naive();
        let digest_due = digest.due(now);
        let unanswered =
            remind_unanswered(&pool, now, settings.unanswered_after_days, digest_due).await;
        report(unanswered, "companies of unanswered applications");
        let expiring = remind_expiring(
            &pool,
            now,
            today,
            settings.offer_expiring_days_before,
            digest_due,
        )
        .await;
        report(expiring, "companies of offers about to expire");
        let labels = remind_labels(
            &pool,
            now,
            settings.label_pending_after_days,
            digest.time_zone,
            digest_due,
        )
        .await;
        report(labels, "Bpifrance of VTEs awaiting their label");
        if !vte_service::shutdown::pause(every, &stop).await {
            return;
        }
    }
}

fn report(outcome: Result<usize, Error>, what: &'static str) {
    match outcome {
        Ok(0) => {}
        Ok(reminded) => tracing::info!(reminded, "reminded {what}"),
        Err(error) => {
            tracing::warn!(%error, "a reminder sweep ({what}) failed; retrying next round")
        }
    }
}
