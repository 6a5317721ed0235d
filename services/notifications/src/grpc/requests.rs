//! Requests decoded into the use cases' inputs: recipients, ids, kinds, cadences and pages
//! parsed, and the shape of each request checked, every refusal naming its field. The rules
//! that depend on who asks, or on whom a request is about, are the use cases'.

use uuid::Uuid;
use vte_proto::vte::common::v1::PageRequest as WirePage;
use vte_proto::vte::notifications::v1 as wire;
use vte_wire::page::{Filters, PageRequest};

use crate::Error;
use crate::domain::Recipient;
use crate::mapping;
use crate::store::preferences::Preference;
use crate::usecases::inbox::{InboxQuery, ToMark};
use crate::usecases::preferences::{MAX_PREFERENCES, PreferencesChange};
use crate::usecases::webhooks::{DeadLetterQuery, MAX_REDELIVERED, NewWebhook, Redelivery};

/// Most ids MarkRead takes.
const MAX_MARK_READ: usize = 100;

pub fn inbox_query(request: &wire::ListNotificationsRequest) -> Result<InboxQuery, Error> {
    let recipient = recipient(request.recipient.as_ref(), "recipient")?;
    let filters = mapping::inbox_filters(recipient.as_ref(), request.unread_only);
    Ok(InboxQuery {
        recipient,
        unread_only: request.unread_only,
        page: page(request.page.as_ref(), filters)?,
    })
}

pub fn to_mark(request: &wire::MarkReadRequest) -> Result<ToMark, Error> {
    if request.all && !request.notification_ids.is_empty() {
        return Err(Error::invalid(
            "notification_ids",
            "must be empty when `all` is set",
        ));
    }
    if request.notification_ids.len() > MAX_MARK_READ {
        return Err(Error::invalid(
            "notification_ids",
            format!("must hold at most {MAX_MARK_READ} ids"),
        ));
    }
    if request.all {
        return Ok(ToMark::All);
    }
    ids(&request.notification_ids, "notification_ids").map(ToMark::Only)
}

pub fn preferences_change(
    request: &wire::UpdatePreferencesRequest,
) -> Result<PreferencesChange, Error> {
    let recipient = recipient(request.recipient.as_ref(), "recipient")?;
    let entries = &request.preferences;
    // None is allowed here: the use case wants one unless an address is given.
    if entries.len() > MAX_PREFERENCES {
        return Err(Error::invalid(
            "preferences",
            format!(
                "must hold 1..={MAX_PREFERENCES} entries, got {}",
                entries.len()
            ),
        ));
    }
    let preferences = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            Ok(Preference {
                kind: mapping::kind_from_proto(entry.kind)
                    .map_err(|rule| rule.at(format!("preferences[{i}].kind")))?,
                enabled: entry.enabled,
                cadence: mapping::cadence_from_proto(entry.cadence)
                    .map_err(|rule| rule.at(format!("preferences[{i}].cadence")))?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(PreferencesChange {
        recipient,
        preferences,
        email_address: request.email_address.clone(),
    })
}

pub fn new_webhook(request: &wire::RegisterWebhookRequest) -> Result<NewWebhook, Error> {
    let owner = recipient(request.owner.as_ref(), "owner")?;
    // Each kind once at most: a longer list is refused before any entry is read.
    let most = crate::domain::Kind::ALL.len();
    if request.kinds.len() > most {
        return Err(Error::invalid(
            "kinds",
            format!(
                "must have at most {most} entries, got {}",
                request.kinds.len()
            ),
        ));
    }
    let kinds = request
        .kinds
        .iter()
        .enumerate()
        .map(|(i, number)| {
            mapping::kind_from_proto(*number)
                .map_err(|rule| Error::from(rule.at(format!("kinds[{i}]"))))
        })
        .collect::<Result<_, _>>()?;
    Ok(NewWebhook {
        owner,
        url: request.url.clone(),
        kinds,
    })
}

pub fn dead_letter_query(request: &wire::ListDeadLettersRequest) -> Result<DeadLetterQuery, Error> {
    let webhook = if request.webhook_id.trim().is_empty() {
        None
    } else {
        Some(id(&request.webhook_id, "webhook_id")?)
    };
    let page = page(request.page.as_ref(), mapping::dead_letter_filters(webhook))?;
    Ok(DeadLetterQuery { webhook, page })
}

pub fn redelivery(request: &wire::RedeliverDeadLettersRequest) -> Result<Redelivery, Error> {
    let webhook = id(&request.webhook_id, "webhook_id")?;
    if request.delivery_ids.len() > MAX_REDELIVERED {
        return Err(Error::invalid(
            "delivery_ids",
            format!("at most {MAX_REDELIVERED} ids; leave it empty to redeliver them all"),
        ));
    }
    Ok(Redelivery {
        webhook,
        deliveries: ids(&request.delivery_ids, "delivery_ids")?,
    })
}

/// The recipient a request names at `field`, if it names one.
pub fn recipient(named: Option<&wire::Recipient>, field: &str) -> Result<Option<Recipient>, Error> {
    Ok(named
        .map(|named| mapping::recipient_from_proto(named, field))
        .transpose()?)
}

/// A UUID other than nil.
pub fn id(raw: &str, field: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(raw.trim())
        .ok()
        .filter(|id| !id.is_nil())
        .ok_or_else(|| Error::invalid(field, "must be a UUID"))
}

/// The UUIDs of a repeated field, the first bad one named by its position.
fn ids(raw: &[String], field: &str) -> Result<Vec<Uuid>, Error> {
    raw.iter()
        .enumerate()
        .map(|(i, raw)| id(raw, &format!("{field}[{i}]")))
        .collect()
}

/// The page a request asks for, its size and token checked (every violation named), the token
/// given out for these `filters`.
pub fn page(page: Option<&WirePage>, filters: Filters) -> Result<PageRequest, Error> {
    vte_wire::page::page_request_for("page", page, filters).map_err(Error::Invalid)
}
