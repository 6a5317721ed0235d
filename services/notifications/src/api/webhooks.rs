//! The webhook RPCs: registering an endpoint (HTTPS on a public address, kinds the owner
//! receives, at most ten per owner; the secret is shown once), listing and deleting them, and
//! the dead letters of the owner's endpoints.

use std::net::IpAddr;

use crate::channels::webhook::is_private;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{SubsecRound, Utc};
use tonic::{Request, Response, Status};
use uuid::Uuid;
use vte_proto::vte::notifications::v1::*;
use vte_service::auth::Caller;

use super::{
    Answer, NotificationsApi, access, caller, internal, invalid, page_request, page_response,
    parse_id, stored,
};
use crate::domain::{Kind, Recipient};
use crate::mapping;
use crate::store::deliveries;
use crate::store::webhooks::{self as store, MAX_PER_OWNER, Webhook};

/// Longest webhook URL.
const MAX_URL: usize = 2_048;

fn webhook_to_proto(webhook: &store::Webhook) -> vte_proto::vte::notifications::v1::Webhook {
    vte_proto::vte::notifications::v1::Webhook {
        id: webhook.id.to_string(),
        owner: Some(mapping::recipient_to_proto(&webhook.owner)),
        url: webhook.url.clone(),
        kinds: webhook
            .kinds
            .iter()
            .map(|kind| mapping::kind_to_proto(*kind) as i32)
            .collect(),
        created_at: Some(mapping::timestamp(webhook.created_at)),
    }
}

/// 32 random bytes in base64url, without padding.
fn new_secret() -> Result<String, Status> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl NotificationsApi {
    /// Checks a webhook URL: length, absolute HTTPS (HTTP too when private targets are allowed),
    /// and a host that resolves only to public addresses.
    async fn check_url(&self, raw: &str) -> Result<String, Status> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > MAX_URL {
            return Err(invalid("url", format!("must be 1..={MAX_URL} characters")));
        }
        let url = url::Url::parse(raw).map_err(|_| invalid("url", "must be an absolute URL"))?;
        let allow_private = self.webhooks.allow_private_targets;
        match url.scheme() {
            "https" => {}
            "http" if allow_private => {}
            _ => return Err(invalid("url", "must be an https:// URL")),
        }
        let host = url
            .host_str()
            .ok_or_else(|| invalid("url", "must name a host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("url", "must not carry credentials"));
        }
        if !allow_private {
            let port = url.port_or_known_default().unwrap_or(443);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => tokio::net::lookup_host((host, port))
                    .await
                    .map_err(|_| invalid("url", "must name a host that resolves"))?
                    .map(|addr| addr.ip())
                    .collect(),
            };
            if addresses.is_empty() || addresses.into_iter().any(is_private) {
                return Err(invalid("url", "must not resolve to a private address"));
            }
        }
        Ok(url.to_string())
    }

    pub(super) async fn register(
        &self,
        request: Request<RegisterWebhookRequest>,
    ) -> Answer<RegisterWebhookResponse> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let owner = access::whose(&caller, request.owner.as_ref(), "owner")?;
        if !owner.has_webhooks() {
            return Err(match caller {
                Caller::Admin => invalid("owner.role", "must be ROLE_SCHOOL or ROLE_BPIFRANCE"),
                _ => Status::permission_denied("only schools and Bpifrance register webhooks"),
            });
        }
        let url = self.check_url(&request.url).await?;
        let mut kinds: Vec<Kind> = Vec::new();
        for (i, number) in request.kinds.iter().enumerate() {
            let field = format!("kinds[{i}]");
            let kind = mapping::kind_from_proto(*number).map_err(|rule| invalid(&field, rule))?;
            if !owner.receives(kind) {
                return Err(invalid(
                    &field,
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
            created_at: Utc::now().trunc_subsecs(6),
        };
        let secret = new_secret()?;
        let mut transaction = self.pool.begin().await.map_err(internal)?;
        if !stored(store::insert(&mut transaction, &webhook, &secret).await)? {
            return Err(Status::resource_exhausted(format!(
                "an owner has at most {MAX_PER_OWNER} webhooks: delete one first"
            )));
        }
        transaction.commit().await.map_err(internal)?;
        tracing::info!(webhook = %webhook.id, owner = %webhook.owner, "webhook registered");
        Ok(Response::new(RegisterWebhookResponse {
            webhook: Some(webhook_to_proto(&webhook)),
            secret,
        }))
    }

    pub(super) async fn list_hooks(
        &self,
        request: Request<ListWebhooksRequest>,
    ) -> Answer<ListWebhooksResponse> {
        let caller = caller(&request)?;
        let owner = access::whose(&caller, request.get_ref().owner.as_ref(), "owner")?;
        let webhooks = stored(store::list(&self.pool, &owner).await)?;
        Ok(Response::new(ListWebhooksResponse {
            webhooks: webhooks.iter().map(webhook_to_proto).collect(),
        }))
    }

    pub(super) async fn delete_hook(
        &self,
        request: Request<DeleteWebhookRequest>,
    ) -> Answer<DeleteWebhookResponse> {
        let caller = caller(&request)?;
        let id = parse_id(&request.get_ref().webhook_id, "webhook_id")?;
        let mut transaction = self.pool.begin().await.map_err(internal)?;
        let webhook = managed(&mut transaction, &caller, id).await?;
        let now = Utc::now().trunc_subsecs(6);
        let dropped = stored(store::delete(&mut transaction, webhook.id, now).await)?;
        transaction.commit().await.map_err(internal)?;
        tracing::info!(webhook = %webhook.id, dropped, "webhook deleted");
        Ok(Response::new(DeleteWebhookResponse {}))
    }

    pub(super) async fn dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Answer<ListDeadLettersResponse> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let page = page_request(request.page.as_ref())?;
        let webhook = if request.webhook_id.trim().is_empty() {
            None
        } else {
            Some(parse_id(&request.webhook_id, "webhook_id")?)
        };
        let owner: Recipient = match (&caller, webhook) {
            (Caller::Admin, Some(id)) => stored(store::owner_of(&self.pool, id).await)?
                .ok_or_else(|| Status::not_found("no webhook with this id"))?,
            (Caller::Admin, None) => {
                return Err(invalid("webhook_id", "an operator must name the webhook"));
            }
            _ => {
                let owner = access::caller_recipient(&caller)?;
                if let Some(id) = webhook
                    && !stored(store::owned_by(&self.pool, id, &owner).await)?
                {
                    return Err(Status::not_found("no webhook of yours with this id"));
                }
                owner
            }
        };
        let listed = stored(deliveries::dead_letters(&self.pool, &owner, webhook, page).await)?;
        Ok(Response::new(ListDeadLettersResponse {
            dead_letters: listed
                .items
                .iter()
                .map(mapping::delivery_to_proto)
                .collect(),
            page: page_response(listed.next),
        }))
    }

    pub(super) async fn redeliver(
        &self,
        request: Request<RedeliverDeadLettersRequest>,
    ) -> Answer<RedeliverDeadLettersResponse> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.webhook_id, "webhook_id")?;
        if request.delivery_ids.len() > MAX_REDELIVERED {
            return Err(invalid(
                "delivery_ids",
                format!("at most {MAX_REDELIVERED} ids; leave it empty to redeliver them all"),
            ));
        }
        let ids = request
            .delivery_ids
            .iter()
            .enumerate()
            .map(|(i, raw)| parse_id(raw, &format!("delivery_ids[{i}]")))
            .collect::<Result<Vec<Uuid>, Status>>()?;
        let mut transaction = self.pool.begin().await.map_err(internal)?;
        // Locked: a deletion waits for this transaction, then drops what it queued.
        let webhook = managed(&mut transaction, &caller, id).await?;
        let only = (!ids.is_empty()).then_some(ids.as_slice());
        let now = Utc::now().trunc_subsecs(6);
        let limit = MAX_REDELIVERED as i64;
        let requeued =
            stored(deliveries::redeliver(&mut transaction, webhook.id, only, limit, now).await)?;
        transaction.commit().await.map_err(internal)?;
        tracing::info!(webhook = %webhook.id, requeued, "dead letters queued again");
        Ok(Response::new(RedeliverDeadLettersResponse {
            requeued: u32::try_from(requeued).unwrap_or(u32::MAX),
        }))
    }
}

/// The live webhook `id`, locked, if `caller` may manage it.
async fn managed(
    transaction: &mut sqlx::PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<Webhook, Status> {
    stored(store::lock(transaction, id).await)?
        .filter(|webhook| access::manage_webhook(caller, &webhook.owner))
        .ok_or_else(|| Status::not_found("no webhook of yours with this id"))
}

/// Dead letters one RedeliverDeadLetters call may name, or queues when it names none.
const MAX_REDELIVERED: usize = 1_000;
