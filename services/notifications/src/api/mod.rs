//! `vte.notifications.v1.NotificationsService`: decode the request, check whose data it is
//! ([`access`]), call the store, encode. The in-app list and preferences are here; webhooks and
//! their dead letters in [`webhooks`].

mod access;
mod webhooks;

use chrono::{SubsecRound, Utc};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;
use vte_proto::vte::common::v1::{PageRequest as WirePageRequest, PageResponse};
use vte_proto::vte::notifications::v1::notifications_service_server::NotificationsService;
use vte_proto::vte::notifications::v1::*;
use vte_service::auth::{Caller, identity};

use crate::config::WebhookSettings;
use crate::domain::Recipient;
use crate::mapping;
use crate::store::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::store::preferences::{self, Preference};
use crate::store::{PageCursor, PageRequest, StoreError, notifications};

/// Most ids MarkRead takes.
const MAX_MARK_READ: usize = 100;
/// Most preference entries UpdatePreferences takes.
const MAX_PREFERENCES: usize = 16;

/// The notifications API over the service's database.
#[derive(Debug, Clone)]
pub struct NotificationsApi {
    pool: PgPool,
    webhooks: WebhookSettings,
}

impl NotificationsApi {
    /// The API on `pool`; webhook URLs are checked as `webhooks` says.
    pub fn new(pool: PgPool, webhooks: WebhookSettings) -> Self {
        Self { pool, webhooks }
    }
}

fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    Ok(identity(request)?.caller.clone())
}

/// A database failure is logged once and answered opaquely.
fn internal(error: impl std::fmt::Display) -> Status {
    tracing::error!(%error, "notifications service failure");
    Status::internal("internal error")
}

fn stored<T>(result: Result<T, StoreError>) -> Result<T, Status> {
    result.map_err(internal)
}

fn invalid(field: &str, rule: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("{field}: {rule}"))
}

/// The page a request asks for, its size and token checked.
fn page_request(page: Option<&WirePageRequest>) -> Result<PageRequest, Status> {
    let Some(page) = page else {
        return Ok(PageRequest {
            size: DEFAULT_PAGE_SIZE,
            after: None,
        });
    };
    if page.page_size > MAX_PAGE_SIZE {
        return Err(invalid(
            "page.page_size",
            format!("must be 0..={MAX_PAGE_SIZE}, got {}", page.page_size),
        ));
    }
    let after = if page.page_token.is_empty() {
        None
    } else {
        Some(
            PageCursor::decode(&page.page_token)
                .map_err(|rule| invalid("page.page_token", rule))?,
        )
    };
    Ok(PageRequest {
        size: if page.page_size == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            page.page_size
        },
        after,
    })
}

fn page_response(next: Option<PageCursor>) -> Option<PageResponse> {
    Some(PageResponse {
        next_page_token: next.map(|cursor| cursor.encode()).unwrap_or_default(),
    })
}

fn preference_to_proto(preference: &Preference) -> KindPreference {
    KindPreference {
        kind: mapping::kind_to_proto(preference.kind) as i32,
        enabled: preference.enabled,
        cadence: mapping::cadence_to_proto(preference.cadence) as i32,
    }
}

fn parse_id(raw: &str, field: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(raw.trim())
        .ok()
        .filter(|id| !id.is_nil())
        .ok_or_else(|| invalid(field, "must be a UUID"))
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl NotificationsService for NotificationsApi {
    async fn list_notifications(
        &self,
        request: Request<ListNotificationsRequest>,
    ) -> Answer<ListNotificationsResponse> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let recipient = access::whose(&caller, request.recipient.as_ref(), "recipient")?;
        let page = page_request(request.page.as_ref())?;
        let listed =
            stored(notifications::list(&self.pool, &recipient, request.unread_only, page).await)?;
        let unread = stored(notifications::unread_count(&self.pool, &recipient).await)?;
        Ok(Response::new(ListNotificationsResponse {
            notifications: listed
                .items
                .iter()
                .map(mapping::notification_to_proto)
                .collect(),
            unread_count: u32::try_from(unread).unwrap_or(u32::MAX),
            page: page_response(listed.next),
        }))
    }

    async fn mark_read(&self, request: Request<MarkReadRequest>) -> Answer<MarkReadResponse> {
        let caller = caller(&request)?;
        let recipient = access::caller_recipient(&caller)?;
        let request = request.into_inner();
        if request.all && !request.notification_ids.is_empty() {
            return Err(invalid(
                "notification_ids",
                "must be empty when `all` is set",
            ));
        }
        if request.notification_ids.len() > MAX_MARK_READ {
            return Err(invalid(
                "notification_ids",
                format!("must hold at most {MAX_MARK_READ} ids"),
            ));
        }
        let ids = request
            .notification_ids
            .iter()
            .enumerate()
            .map(|(i, raw)| parse_id(raw, &format!("notification_ids[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let now = Utc::now().trunc_subsecs(6);
        let mut connection = self.pool.acquire().await.map_err(internal)?;
        let marked = if request.all {
            stored(notifications::mark_all_read(&mut connection, &recipient, now).await)?
        } else {
            stored(notifications::mark_read(&mut connection, &recipient, &ids, now).await)?
                .map_err(|id| Status::not_found(format!("no notification {id} of yours")))?
        };
        Ok(Response::new(MarkReadResponse {
            marked: u32::try_from(marked).unwrap_or(u32::MAX),
        }))
    }

    async fn get_preferences(
        &self,
        request: Request<GetPreferencesRequest>,
    ) -> Answer<GetPreferencesResponse> {
        let caller = caller(&request)?;
        let recipient = access::whose(&caller, request.get_ref().recipient.as_ref(), "recipient")?;
        let preferences = stored(preferences::load(&self.pool, &recipient).await)?;
        let email_address = stored(preferences::email_address(&self.pool, &recipient).await)?;
        Ok(Response::new(GetPreferencesResponse {
            preferences: preferences.iter().map(preference_to_proto).collect(),
            email_address: email_address.unwrap_or_default(),
        }))
    }

    async fn update_preferences(
        &self,
        request: Request<UpdatePreferencesRequest>,
    ) -> Answer<UpdatePreferencesResponse> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let recipient = access::whose(&caller, request.recipient.as_ref(), "recipient")?;
        let address = email_address_change(&recipient, request.email_address.as_deref())?;
        if request.preferences.is_empty() && address.is_none() {
            return Err(invalid(
                "preferences",
                "must hold 1..=16 entries unless email_address is given",
            ));
        }
        let changes = preference_changes(&recipient, &request.preferences)?;
        let mut transaction = self.pool.begin().await.map_err(internal)?;
        stored(preferences::save(&mut transaction, &recipient, &changes).await)?;
        if let Some(address) = &address {
            let address = address.as_ref().map(vte_domain::EmailAddress::as_str);
            stored(preferences::set_email_address(&mut transaction, &recipient, address).await)?;
        }
        let preferences = stored(preferences::load(&mut *transaction, &recipient).await)?;
        let email_address =
            stored(preferences::email_address(&mut *transaction, &recipient).await)?;
        transaction.commit().await.map_err(internal)?;
        Ok(Response::new(UpdatePreferencesResponse {
            preferences: preferences.iter().map(preference_to_proto).collect(),
            email_address: email_address.unwrap_or_default(),
        }))
    }

    async fn register_webhook(
        &self,
        request: Request<RegisterWebhookRequest>,
    ) -> Answer<RegisterWebhookResponse> {
        self.register(request).await
    }

    async fn list_webhooks(
        &self,
        request: Request<ListWebhooksRequest>,
    ) -> Answer<ListWebhooksResponse> {
        self.list_hooks(request).await
    }

    async fn delete_webhook(
        &self,
        request: Request<DeleteWebhookRequest>,
    ) -> Answer<DeleteWebhookResponse> {
        self.delete_hook(request).await
    }

    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Answer<ListDeadLettersResponse> {
        self.dead_letters(request).await
    }

    async fn redeliver_dead_letters(
        &self,
        request: Request<RedeliverDeadLettersRequest>,
    ) -> Answer<RedeliverDeadLettersResponse> {
        self.redeliver(request).await
    }
}

/// The changes a request asks for: 1..=16 entries, each kind once and one the recipient
/// receives.
/// The change of registered address a request asks for: `None` to leave it, `Some(None)` to
/// remove it, `Some(Some(address))` to set it. Candidates have no registered address.
fn email_address_change(
    recipient: &Recipient,
    raw: Option<&str>,
) -> Result<Option<Option<vte_domain::EmailAddress>>, Status> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if recipient.has_contact_email() {
        return Err(invalid(
            "email_address",
            "a candidate's address is their contact data, changed with their school or on \
             their profile, not here",
        ));
    }
    if raw.trim().is_empty() {
        return Ok(Some(None));
    }
    vte_domain::EmailAddress::parse(raw)
        .map(|address| Some(Some(address)))
        .map_err(|rule| invalid("email_address", rule))
}

fn preference_changes(
    recipient: &Recipient,
    entries: &[KindPreference],
) -> Result<Vec<Preference>, Status> {
    // None is allowed here: the request's own check wants one unless an address is given.
    if entries.len() > MAX_PREFERENCES {
        return Err(invalid(
            "preferences",
            format!(
                "must hold 1..={MAX_PREFERENCES} entries, got {}",
                entries.len()
            ),
        ));
    }
    let mut changes: Vec<Preference> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let kind = mapping::kind_from_proto(entry.kind)
            .map_err(|rule| invalid(&format!("preferences[{i}].kind"), rule))?;
        if !recipient.receives(kind) {
            return Err(invalid(
                &format!("preferences[{i}].kind"),
                format!(
                    "must be a kind this recipient receives, got {}",
                    kind.code()
                ),
            ));
        }
        if changes.iter().any(|change| change.kind == kind) {
            return Err(invalid(
                &format!("preferences[{i}].kind"),
                format!("must appear once, {} is repeated", kind.code()),
            ));
        }
        let cadence = mapping::cadence_from_proto(entry.cadence)
            .map_err(|rule| invalid(&format!("preferences[{i}].cadence"), rule))?;
        changes.push(Preference {
            kind,
            enabled: entry.enabled,
            cadence,
        });
    }
    Ok(changes)
}
