//! The delivery worker: takes due deliveries from the deliveries table (woken by the fan-out's
//! `NOTIFY`, and polling for retries), sends them, and records each outcome with its
//! `NotificationDelivered` or `NotificationFailed` event in one transaction. Daily digests are
//! gathered here too: a recipient's due digest deliveries of one kind become one email. Kafka
//! handlers only write deliveries; nothing acknowledged there is lost if a send fails or the
//! process stops, since the rows stay until an outcome is recorded. Each delivery is a task of
//! its own holding one of `concurrency` slots, at most `per_endpoint` of them for one webhook:
//! an endpoint that hangs until the timeout delays its own deliveries, nobody else's. A
//! delivery frees its slot as soon as it is attempted: its outcome goes to a recorder task that
//! writes the outcomes waiting for it in one transaction (the claimed row stays leased
//! meanwhile), so a slot's next delivery does not wait on the last one's transaction.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use futures::future::BoxFuture;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
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
use crate::store::deliveries::{self, Attempt, Claimed, DeliveryRecord, Outcome, Spread};
use crate::store::{WAKE_CHANNEL, preferences};

/// Digest deliveries claimed by one round: a recipient's items beyond it (rare: a thousand
/// due at once) go out in a second email.
const DIGEST_BATCH: i64 = 1_000;

/// Outcomes recorded in one transaction at most.
const RECORD_BATCH: usize = 256;

/// How long deliveries in flight may take to finish once the worker is told to stop.
pub const STOP_GRACE: Duration = Duration::from_secs(2);

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
    in_flight: Arc<InFlight>,
}

/// What a worker has in flight: a slot per delivery, and how many go to each webhook.
#[derive(Debug)]
struct InFlight {
    slots: Arc<Semaphore>,
    endpoints: Mutex<HashMap<Uuid, i64>>,
}

impl InFlight {
    fn endpoints(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, i64>> {
        self.endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One delivery to a webhook in flight, counted until dropped (even by a panic).
struct EndpointGuard {
    in_flight: Arc<InFlight>,
    webhook: Option<Uuid>,
}

impl EndpointGuard {
    fn new(in_flight: &Arc<InFlight>, webhook: Option<Uuid>) -> Self {
        if let Some(id) = webhook {
            *in_flight.endpoints().entry(id).or_insert(0) += 1;
        }
        Self {
            in_flight: in_flight.clone(),
            webhook,
        }
    }
}

impl Drop for EndpointGuard {
    fn drop(&mut self) {
        if let Some(id) = self.webhook {
            let mut endpoints = self.in_flight.endpoints();
            if let Some(count) = endpoints.get_mut(&id) {
                *count -= 1;
                if *count <= 0 {
                    endpoints.remove(&id);
                }
            }
        }
    }
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
        let in_flight = Arc::new(InFlight {
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            endpoints: Mutex::new(HashMap::new()),
        });
        Self {
            pool,
            mailer,
            webhooks,
            contacts,
            backoff,
            site,
            settings,
            in_flight,
        }
    }

    /// Delivers until `stop`: whenever woken, whenever a delivery in flight ends, and at
    /// least every `poll_ms`. On `stop` the deliveries in flight get [`STOP_GRACE`] to finish
    /// and be recorded; the others are abandoned, and attempted again (same delivery id) once
    /// their lease runs out.
    pub async fn run(self, stop: CancellationToken) {
        let mut listener = self.listen().await;
        let poll = Duration::from_millis(self.settings.poll_ms.max(10));
        let mut tasks = JoinSet::new();
        let (recorded, outcomes) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(self.clone().record(outcomes));
        loop {
            let now = Utc::now().trunc_subsecs(6);
            let asked = self.room().min(self.batch());
            // A full claim: more may be due.
            let busy = match self.dispatch_due(now, &mut tasks, Some(&recorded)).await {
                Ok(claimed) => asked > 0 && i64::try_from(claimed).unwrap_or(0) >= asked,
                Err(error) => {
                    tracing::warn!(%error, "delivery round failed; retrying");
                    false
                }
            };
            if let Err(error) = self.send_digests(now).await {
                tracing::warn!(%error, "digest round failed; retrying");
            }
            if busy && !stop.is_cancelled() && self.room() > 0 {
                continue;
            }
            let woken = tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(poll) => true,
                woken = wait(&mut listener) => woken,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => true,
            };
            if !woken {
                // The connection dropped: poll until a new one listens.
                listener = self.listen().await;
            }
        }
        let drained = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, drained).await.is_err() {
            tasks.shutdown().await;
        }
        // Every task has ended: the recorder stops once it has written what they sent.
        drop(recorded);
        if tokio::time::timeout(STOP_GRACE, recorder).await.is_err() {
            tracing::warn!("outcomes still unrecorded at shutdown; their deliveries are retried");
        }
    }

    /// Records the outcomes the deliveries send, those waiting together in one transaction,
    /// until every sender is gone.
    async fn record(self, mut outcomes: mpsc::UnboundedReceiver<Outcome>) {
        while let Some(first) = outcomes.recv().await {
            let mut batch = vec![first];
            while batch.len() < RECORD_BATCH {
                match outcomes.try_recv() {
                    Ok(outcome) => batch.push(outcome),
                    Err(_) => break,
                }
            }
            if let Err(error) = self.finish(&batch).await {
                // Their leases run out and the deliveries are attempted again.
                tracing::warn!(%error, deliveries = batch.len(), "recording deliveries failed");
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(WAKE_CHANNEL).await.ok()?;
        Some(listener)
    }

    fn batch(&self) -> i64 {
        i64::from(self.settings.batch.max(1))
    }

    /// Free delivery slots.
    fn room(&self) -> i64 {
        i64::try_from(self.in_flight.slots.available_permits()).unwrap_or(i64::MAX)
    }

    /// One batch of due immediate deliveries, attempted and recorded before it returns;
    /// returns how many were attempted.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let mut tasks = JoinSet::new();
        let claimed = self.dispatch_due(now, &mut tasks, None).await;
        while tasks.join_next().await.is_some() {}
        claimed
    }

    /// Claims as many due immediate deliveries as there are free slots (no more of one
    /// webhook than `per_endpoint` allows, counting those in flight) and starts each in
    /// `tasks`, which records its outcome when done (or hands it to `recorder`); returns how
    /// many were claimed.
    async fn dispatch_due(
        &self,
        now: DateTime<Utc>,
        tasks: &mut JoinSet<()>,
        recorder: Option<&mpsc::UnboundedSender<Outcome>>,
    ) -> Result<usize, Error> {
        let room = self.room().min(self.batch());
        if room == 0 {
            return Ok(0);
        }
        let spread = Spread {
            per_endpoint: i64::try_from(self.settings.per_endpoint.max(1)).unwrap_or(i64::MAX),
            in_flight: self
                .in_flight
                .endpoints()
                .iter()
                .map(|(id, count)| (*id, *count))
                .collect(),
        };
        let lease = Duration::from_secs(self.settings.lease_secs);
        let claimed = deliveries::claim(&self.pool, false, now, room, lease, Some(&spread)).await?;
        let count = claimed.len();
        for delivery in claimed {
            let Ok(slot) = self.in_flight.slots.clone().acquire_owned().await else {
                break;
            };
            let endpoint = EndpointGuard::new(
                &self.in_flight,
                delivery.webhook.as_ref().map(|hook| hook.id),
            );
            tasks.spawn(
                self.clone()
                    .deliver_one(delivery, endpoint, slot, recorder.cloned()),
            );
        }
        Ok(count)
    }

    /// Attempts `delivery` and records the outcome (or hands it to `recorder`), then frees its
    /// slot and its endpoint's count. Boxed: the task's future is `Send` by its signature (the
    /// compiler cannot prove it through the database calls' higher-ranked lifetimes otherwise).
    fn deliver_one(
        self,
        delivery: Claimed,
        endpoint: EndpointGuard,
        slot: OwnedSemaphorePermit,
        recorder: Option<mpsc::UnboundedSender<Outcome>>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let attempt = self.attempt(&delivery).await;
            let outcome = Outcome {
                id: delivery.id,
                attempts: delivery.attempts,
                attempt,
            };
            // Handed to the recorder, the slot is free at once; with none (or once it has
            // stopped), the outcome is recorded here.
            if recorder.is_some_and(|recorder| recorder.send(outcome).is_ok()) {
                drop((endpoint, slot));
                return;
            }
            if let Err(error) = self.finish(&[outcome]).await {
                // The lease runs out and the delivery is attempted again.
                tracing::warn!(%error, delivery = %delivery.id, "recording a delivery failed");
            }
            drop((endpoint, slot));
        })
    }

    /// Sends the digests due at `now`: one email per recipient and kind gathering every due
    /// digest delivery. Returns how many emails were attempted.
    pub async fn send_digests(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let lease = Duration::from_secs(self.settings.lease_secs);
        let claimed = deliveries::claim(&self.pool, true, now, DIGEST_BATCH, lease, None).await?;
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
        // The email's Message-ID: its first delivery's id, the same when it is sent again.
        let message_id = items.first().map_or_else(uuid::Uuid::nil, |item| item.id);
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
            return self.mailer.send(&address, &message, message_id).await;
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
        self.mailer.send(&contact.email, &message, message_id).await
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
