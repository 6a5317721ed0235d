//! The delivery worker: takes due deliveries from the deliveries table (woken by the fan-out's
//! `NOTIFY`, and polling for retries), sends them, and records each outcome with its
//! `NotificationDelivered` or `NotificationFailed` event in one transaction. Daily digests are
//! gathered here too: a recipient's due digest deliveries of one kind become one email. Kafka
//! handlers only write deliveries; nothing acknowledged there is lost if a send fails or the
//! process stops, since the rows stay until an outcome is recorded.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use futures::StreamExt;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use vte_proto::vte::notifications::v1::{
    NotificationDelivered, NotificationEvent, NotificationFailed, notification_event,
};

use crate::Error;
use crate::channels::contacts::{Contacts, Lookup};
use crate::channels::email::{self, Mailer};
use crate::channels::webhook::{self, WebhookSender};
use crate::config::{SiteUrl, WorkerSettings};
use crate::domain::{Backoff, Channel, DeliveryStatus, Kind, Recipient};
use crate::mapping;
use crate::store::deliveries::{self, Attempt, Claimed, DeliveryRecord, Outcome};
use crate::store::{WAKE_CHANNEL, preferences};

/// Digest deliveries claimed by one round: a recipient's items beyond it (rare: a thousand
/// due at once) go out in a second email.
const DIGEST_BATCH: i64 = 1_000;

/// Sends due deliveries over their channels.
#[derive(Debug, Clone)]
pub struct Deliverer {
    pool: PgPool,
    mailer: Mailer,
    webhooks: WebhookSender,
    contacts: Contacts,
    backoff: Backoff,
    site: SiteUrl,
    settings: WorkerSettings,
}

impl Deliverer {
    /// A worker on `pool` sending through these channels.
    pub fn new(
        pool: PgPool,
        mailer: Mailer,
        webhooks: WebhookSender,
        contacts: Contacts,
        backoff: Backoff,
        site: SiteUrl,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            pool,
            mailer,
            webhooks,
            contacts,
            backoff,
            site,
            settings,
        }
    }

    /// Delivers until `stop`: whenever woken, and at least every `poll_ms`.
    pub async fn run(self, stop: CancellationToken) {
        let mut listener = self.listen().await;
        let poll = Duration::from_millis(self.settings.poll_ms.max(10));
        loop {
            let now = Utc::now().trunc_subsecs(6);
            let busy = match self.deliver_due(now).await {
                Ok(sent) => sent >= self.settings.batch as usize,
                Err(error) => {
                    tracing::warn!(%error, "delivery round failed; retrying");
                    false
                }
            };
            if let Err(error) = self.send_digests(now).await {
                tracing::warn!(%error, "digest round failed; retrying");
            }
            if busy {
                if stop.is_cancelled() {
                    return;
                }
                continue;
            }
            let woken = tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(poll) => true,
                woken = wait(&mut listener) => woken,
            };
            if !woken {
                // The connection dropped: poll until a new one listens.
                listener = self.listen().await;
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(WAKE_CHANNEL).await.ok()?;
        Some(listener)
    }

    /// One batch of due immediate deliveries; returns how many were attempted.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let lease = Duration::from_secs(self.settings.lease_secs);
        let claimed = deliveries::claim(
            &self.pool,
            false,
            now,
            i64::from(self.settings.batch.max(1)),
            lease,
        )
        .await?;
        let count = claimed.len();
        let concurrency = self.settings.concurrency.max(1);
        // Outcomes are recorded as attempts complete, a handful per transaction, so a slow
        // endpoint holds back no one else's record for long.
        let mut outcomes = futures::stream::iter(claimed)
            .map(|delivery| async move {
                let attempt = self.attempt(&delivery).await;
                Outcome {
                    id: delivery.id,
                    attempts: delivery.attempts,
                    attempt,
                }
            })
            .buffer_unordered(concurrency)
            .ready_chunks(concurrency);
        while let Some(chunk) = outcomes.next().await {
            self.finish(&chunk).await?;
        }
        Ok(count)
    }

    /// Sends the digests due at `now`: one email per recipient and kind gathering every due
    /// digest delivery. Returns how many emails were attempted.
    pub async fn send_digests(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let lease = Duration::from_secs(self.settings.lease_secs);
        let claimed = deliveries::claim(&self.pool, true, now, DIGEST_BATCH, lease).await?;
        let mut groups: BTreeMap<(String, Kind), Vec<Claimed>> = BTreeMap::new();
        for delivery in claimed {
            groups
                .entry((delivery.recipient.to_string(), delivery.kind))
                .or_default()
                .push(delivery);
        }
        let count = groups.len();
        for ((_, kind), mut group) in groups {
            group.sort_by_key(|delivery| delivery.occurred_at);
            let attempt = self.attempt_digest(kind, &group).await;
            let outcomes: Vec<Outcome> = group
                .iter()
                .map(|delivery| Outcome {
                    id: delivery.id,
                    attempts: delivery.attempts,
                    attempt,
                })
                .collect();
            self.finish(&outcomes).await?;
        }
        Ok(count)
    }

    /// One attempt at one delivery.
    async fn attempt(&self, delivery: &Claimed) -> Attempt {
        match delivery.channel {
            Channel::Email => self.email(delivery.recipient, &[delivery], None).await,
            Channel::Webhook => {
                let Some(endpoint) = &delivery.webhook else {
                    return permanent("webhook_deleted");
                };
                match webhook::payload_json(delivery) {
                    Ok(body) => self.webhooks.send(endpoint, delivery.id, body).await,
                    Err(error) => {
                        tracing::error!(%error, delivery = %delivery.id, "cannot encode a webhook payload");
                        permanent("payload")
                    }
                }
            }
            // In-app deliveries are written delivered; one found due is already done.
            Channel::InApp => Attempt::Delivered { http_status: 0 },
        }
    }

    async fn attempt_digest(&self, kind: Kind, group: &[Claimed]) -> Attempt {
        let Some(first) = group.first() else {
            return permanent("empty_digest");
        };
        let items: Vec<&Claimed> = group.iter().collect();
        self.email(first.recipient, &items, Some(kind)).await
    }

    /// Looks the recipient's address up and sends them the email of `items`.
    async fn email(
        &self,
        recipient: Recipient,
        items: &[&Claimed],
        digest: Option<Kind>,
    ) -> Attempt {
        let Recipient::Candidate(candidate) = recipient else {
            // A company, a school or Bpifrance: the address they registered, read now.
            let address = match preferences::email_address(&self.pool, &recipient).await {
                Ok(Some(address)) => address,
                Ok(None) => return permanent("no_address"),
                Err(error) => {
                    tracing::warn!(%error, "reading a registered address failed; will retry");
                    return Attempt::Failed {
                        error: "address_lookup",
                        http_status: 0,
                        permanent: false,
                    };
                }
            };
            let texts: Vec<_> = items.iter().map(|item| &item.text).collect();
            let message = email::render("", &texts, digest, &self.site);
            return self.mailer.send(&address, &message).await;
        };
        let contact = match self.contacts.lookup(candidate).await {
            Ok(Lookup::Found(contact)) => contact,
            Ok(Lookup::Gone) => return permanent("recipient_unknown"),
            Err(error) => {
                tracing::warn!(%error, "contact lookup failed; the email will be retried");
                return Attempt::Failed {
                    error: "contact_lookup",
                    http_status: 0,
                    permanent: false,
                };
            }
        };
        let texts: Vec<_> = items.iter().map(|item| &item.text).collect();
        let message = email::render(&contact.first_name, &texts, digest, &self.site);
        self.mailer.send(&contact.email, &message).await
    }

    /// Records `outcomes` and the events of those that reached a final status in one
    /// transaction.
    async fn finish(&self, outcomes: &[Outcome]) -> Result<(), Error> {
        let now = Utc::now().trunc_subsecs(6);
        let mut transaction = self.pool.begin().await?;
        let records = deliveries::record(&mut transaction, outcomes, now, &self.backoff).await?;
        let events: Vec<NotificationEvent> = records.iter().filter_map(delivery_event).collect();
        vte_events::outbox::append_all(&mut transaction, &events).await?;
        transaction.commit().await?;
        for record in &records {
            tracing::debug!(
                delivery = %record.id,
                channel = record.channel.code(),
                status = record.status.code(),
                attempts = record.attempts,
                error = record.last_error,
                "delivery attempted"
            );
        }
        Ok(())
    }
}

fn permanent(error: &'static str) -> Attempt {
    Attempt::Failed {
        error,
        http_status: 0,
        permanent: true,
    }
}

/// Waits for a wake-up; `false` when there is no listener or it broke.
async fn wait(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(listener) => listener.recv().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// The event of a delivery that reached a final status.
pub fn delivery_event(record: &DeliveryRecord) -> Option<NotificationEvent> {
    let delivery = Some(mapping::delivery_to_proto(record));
    let event = match record.status {
        DeliveryStatus::Delivered => {
            notification_event::Event::Delivered(NotificationDelivered { delivery })
        }
        DeliveryStatus::Failed => {
            notification_event::Event::Failed(NotificationFailed { delivery })
        }
        DeliveryStatus::Pending | DeliveryStatus::Retrying => return None,
    };
    Some(NotificationEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        subject_id: record.id.to_string(),
        event: Some(event),
    })
}
