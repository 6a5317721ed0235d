//! Webhooks of schools and Bpifrance: registering an endpoint (HTTPS on a public address, kinds
//! the owner receives, at most ten per owner; its secret is shown once), listing and deleting
//! them, the dead letters of the owner's endpoints, and sending those again once an endpoint is
//! fixed.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;
use vte_service::auth::Caller;
use vte_wire::page::{Page, PageRequest};

use super::{Notifications, now};
use crate::channels::address::is_forbidden;
use crate::channels::webhook::Targets;
use crate::domain::{Kind, Recipient};
use crate::store::deliveries::{self, DeliveryRecord};
use crate::store::webhooks::{self as store, Webhook};
use crate::{Error, access};

/// Longest webhook URL.
pub const MAX_URL: usize = 2_048;
/// Dead letters one redelivery may name, or queues when it names none.
pub const MAX_REDELIVERED: usize = 1_000;

/// An endpoint to register, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Whose: the caller's own when `None` (operators must name one).
    pub owner: Option<Recipient>,
    /// Unchecked yet: length, scheme, host, addresses.
    pub url: String,
    /// Kinds to deliver, in the request's order (repeats are harmless); empty for all.
    pub kinds: Vec<Kind>,
}

/// A registered endpoint and the secret that signs its deliveries, shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub webhook: Webhook,
    pub secret: String,
}

/// Which dead letters to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterQuery {
    /// One webhook's (operators must name one), or all of the caller's.
    pub webhook: Option<Uuid>,
    pub page: PageRequest,
}

/// Dead letters to send again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redelivery {
    pub webhook: Uuid,
    /// These, or when empty all of them; at most [`MAX_REDELIVERED`] are queued, oldest
    /// first.
    pub deliveries: Vec<Uuid>,
}

impl Notifications {
    /// Registers an endpoint for a school or Bpifrance.
    pub async fn register_webhook(
        &self,
        caller: &Caller,
        new: NewWebhook,
    ) -> Result<Registered, Error> {
        let owner = access::whose(caller, new.owner, "owner")?;
        if !owner.has_webhooks() {
            return Err(match caller {
                Caller::Admin => {
                    Error::invalid("owner.role", "must be ROLE_SCHOOL or ROLE_BPIFRANCE")
                }
                _ => Error::NoWebhooks,
            });
        }
        let url = self.check_url(&new.url).await?;
        let mut kinds: Vec<Kind> = Vec::new();
        for (i, kind) in new.kinds.into_iter().enumerate() {
            if !owner.receives(kind) {
                return Err(Error::invalid(
                    format!("kinds[{i}]"),
                    format!("must be a kind the owner receives, got {}", kind.code()),
                ));
            }
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let webhook = Webhook {
            id: Uuid::now_v7(),
            owner,
            url,
            kinds,
            created_at: now(),
        };
        let secret = new_secret()?;
        let mut transaction = self.pool.begin().await?;
        if !store::insert(&mut transaction, &webhook, &secret).await? {
            return Err(Error::TooManyWebhooks);
        }
        transaction.commit().await?;
        tracing::info!(webhook = %webhook.id, owner = %webhook.owner, "webhook registered");
        Ok(Registered { webhook, secret })
    }

    /// The live webhooks of the owner named (the caller when `None`), oldest first.
    pub async fn webhooks(
        &self,
        caller: &Caller,
        owner: Option<Recipient>,
    ) -> Result<Vec<Webhook>, Error> {
        let owner = access::whose(caller, owner, "owner")?;
        Ok(store::list(&self.pool, &owner).await?)
    }

    /// Deletes a webhook of the caller's (any, for an operator) and drops what it had pending.
    pub async fn delete_webhook(&self, caller: &Caller, id: Uuid) -> Result<(), Error> {
        let mut transaction = self.pool.begin().await?;
        let webhook = managed(&mut transaction, caller, id).await?;
        let dropped = store::delete(&mut transaction, webhook.id, now()).await?;
        transaction.commit().await?;
        tracing::info!(webhook = %webhook.id, dropped, "webhook deleted");
        Ok(())
    }

    /// A page of the failed deliveries of the caller's webhooks (one of them, or all), or of
    /// the webhook an operator names; a deleted webhook's stay listed.
    pub async fn dead_letters(
        &self,
        caller: &Caller,
        query: DeadLetterQuery,
    ) -> Result<Page<DeliveryRecord>, Error> {
        let owner = match (caller, query.webhook) {
            (Caller::Admin, Some(id)) => store::owner_of(&self.pool, id)
                .await?
                .ok_or(Error::UnknownWebhook)?,
            (Caller::Admin, None) => {
                return Err(Error::invalid(
                    "webhook_id",
                    "an operator must name the webhook",
                ));
            }
            _ => {
                let owner = access::caller_recipient(caller)?;
                if let Some(id) = query.webhook
                    && !store::owned_by(&self.pool, id, &owner).await?
                {
                    return Err(Error::WebhookNotFound);
                }
                owner
            }
        };
        Ok(deliveries::dead_letters(&self.pool, &owner, query.webhook, query.page).await?)
    }

    /// Queues a webhook's dead letters for a new round of attempts, each with the same
    /// delivery id; returns how many were queued.
    pub async fn redeliver_dead_letters(
        &self,
        caller: &Caller,
        redelivery: Redelivery,
    ) -> Result<u64, Error> {
        let mut transaction = self.pool.begin().await?;
        // Locked: a deletion waits for this transaction, then drops what it queued.
        let webhook = managed(&mut transaction, caller, redelivery.webhook).await?;
        let only = (!redelivery.deliveries.is_empty()).then_some(redelivery.deliveries.as_slice());
        let limit = MAX_REDELIVERED as i64;
        let requeued =
            deliveries::redeliver(&mut transaction, webhook.id, only, limit, now()).await?;
        transaction.commit().await?;
        tracing::info!(webhook = %webhook.id, requeued, "dead letters queued again");
        Ok(requeued)
    }

    /// Checks a webhook URL: length, absolute HTTPS (HTTP too when private targets are
    /// allowed), port 443 or an allowed one, no credentials, and a host that resolves only to
    /// public addresses.
    async fn check_url(&self, raw: &str) -> Result<String, Error> {
        let invalid = |rule: &str| Error::invalid("url", rule);
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > MAX_URL {
            return Err(Error::invalid(
                "url",
                format!("must be 1..={MAX_URL} characters"),
            ));
        }
        let url = url::Url::parse(raw).map_err(|_| invalid("must be an absolute URL"))?;
        let host = url.host_str().ok_or_else(|| invalid("must name a host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("must not carry credentials"));
        }
        let targets = Targets::from_settings(&self.webhooks);
        targets
            .check(&url)
            .map_err(|refusal| invalid(refusal.rule()))?;
        if !targets.allow_private {
            let port = url.port_or_known_default().unwrap_or(443);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => tokio::net::lookup_host((host, port))
                    .await
                    .map_err(|_| invalid("must name a host that resolves"))?
                    .map(|addr| addr.ip())
                    .collect(),
            };
            if addresses.is_empty() || addresses.into_iter().any(is_forbidden) {
                return Err(invalid("must not resolve to a private address"));
            }
        }
        Ok(url.to_string())
    }
}

/// The live webhook `id`, locked until the transaction ends, if `caller` may manage it.
async fn managed(
    transaction: &mut sqlx::PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<Webhook, Error> {
    store::lock(transaction, id)
        .await?
        .filter(|webhook| access::manage_webhook(caller, &webhook.owner))
        .ok_or(Error::WebhookNotFound)
}

/// 32 random bytes in base64url, without padding.
fn new_secret() -> Result<String, Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(Error::NoRandomness)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
