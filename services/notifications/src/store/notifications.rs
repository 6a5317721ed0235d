//! Notifications: turning drafts into one notification per (fact, recipient, kind) and one
//! delivery per channel, as the recipient's preferences and webhooks say; and the in-app list
//! with read/unread. Redelivered facts create nothing twice: the unique constraints
//! `notifications_once` and `deliveries_once` hold even when the consumer's own deduplication
//! has forgotten an event.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_wire::page::{InstantId, Page, PageRequest};

use super::preferences::Preference;
use super::{StoreError, corrupt};
use crate::domain::compose::Text;
use crate::domain::{Cadence, Channel, DeliveryStatus, Draft, Kind, Recipient, Subject};

/// The clock of one fan-out: now, and when a daily digest started now is due.
#[derive(Debug, Clone, Copy)]
pub struct FanOut {
    pub now: DateTime<Utc>,
    pub digest_due: DateTime<Utc>,
}

/// What a fan-out created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    pub notifications: usize,
    pub deliveries: usize,
}

/// Creates the notifications of `drafts`, all from the fact `source_id`, with their
/// deliveries; wakes the worker when something is to be sent. A draft for an erased candidate,
/// or for a recipient who turned the kind off and has no webhook for it, creates nothing. One
/// statement reads what decides the channels, one writes the notification and its deliveries.
pub async fn fan_out(
    connection: &mut PgConnection,
    source_id: Uuid,
    drafts: &[Draft],
    clock: FanOut,
) -> Result<Created, StoreError> {
    let mut created = Created::default();
    for draft in drafts {
        let audience = audience(connection, draft).await?;
        if audience.erased {
            continue;
        }
        let in_app = audience.preference.enabled;
        let email = audience.preference.enabled
            && (draft.recipient.has_contact_email() || audience.registered_email);
        let mut deliveries = Vec::new();
        if in_app {
            deliveries.push((Channel::InApp, None, Due::Delivered(clock.now)));
        }
        if email {
            let due = match audience.preference.cadence {
                Cadence::Immediate => Due::At(clock.now),
                Cadence::DailyDigest => Due::Digest(clock.digest_due),
            };
            deliveries.push((Channel::Email, None, due));
        }
        for hook in audience.webhooks {
            deliveries.push((Channel::Webhook, Some(hook), Due::At(clock.now)));
        }
        if deliveries.is_empty() {
            continue;
        }
        if let Some(made) =
            insert(connection, source_id, draft, in_app, &deliveries, clock.now).await?
        {
            created.notifications += 1;
            created.deliveries += made;
        }
    }
    if created.deliveries > 0 {
        super::wake_workers(connection).await?;
    }
    Ok(created)
}

/// What decides a draft's channels: whether its recipient is an erased candidate, their
/// preference for the kind, and their webhooks that want it.
struct Audience {
    erased: bool,
    /// A company, a school or Bpifrance registered an address.
    registered_email: bool,
    preference: Preference,
    webhooks: Vec<Uuid>,
}

async fn audience(connection: &mut PgConnection, draft: &Draft) -> Result<Audience, StoreError> {
    let candidate = match draft.recipient {
        Recipient::Candidate(candidate) => Some(candidate.as_uuid()),
        _ => None,
    };
    let (erased, registered_email, enabled, cadence, webhooks): (
        bool,
        bool,
        Option<bool>,
        Option<String>,
        Vec<Uuid>,
    ) = sqlx::query_as(
        "SELECT
                 EXISTS (SELECT 1 FROM erased_candidates WHERE candidate_id = $4),
                 EXISTS (SELECT 1 FROM email_addresses
                         WHERE recipient_role = $1 AND recipient_tenant = $2),
                 p.enabled, p.cadence,
                 ARRAY(SELECT id FROM webhooks
                       WHERE $5 AND owner_role = $1 AND owner_tenant = $2
                         AND deleted_at IS NULL AND (kinds = '{}' OR $3 = ANY(kinds))
                       ORDER BY created_at, id)
             FROM (SELECT 1) AS one
             LEFT JOIN preferences p
                 ON p.recipient_role = $1 AND p.recipient_tenant = $2 AND p.kind = $3",
    )
    .bind(draft.recipient.role().code())
    .bind(draft.recipient.tenant())
    .bind(draft.kind.code())
    .bind(candidate)
    .bind(draft.recipient.has_webhooks())
    .fetch_one(&mut *connection)
    .await?;
    let preference = match (enabled, cadence) {
        (Some(enabled), Some(cadence)) => Preference {
            kind: draft.kind,
            enabled,
            cadence: Cadence::parse(&cadence)
                .ok_or_else(|| corrupt(format!("preference cadence {cadence}")))?,
        },
        _ => Preference::default_for(draft.kind),
    };
    Ok(Audience {
        erased,
        registered_email,
        preference,
        webhooks,
    })
}

/// When a new delivery is due.
enum Due {
    /// Already delivered: an in-app notification is delivered by being written.
    Delivered(DateTime<Utc>),
    /// To send at this time.
    At(DateTime<Utc>),
    /// To gather into the digest sent at this time.
    Digest(DateTime<Utc>),
}

/// Writes the notification and its deliveries in one statement; `None` when the notification
/// exists already (the fact was handled before), in which case nothing is written.
async fn insert(
    connection: &mut PgConnection,
    source_id: Uuid,
    draft: &Draft,
    in_app: bool,
    deliveries: &[(Channel, Option<Uuid>, Due)],
    now: DateTime<Utc>,
) -> Result<Option<usize>, StoreError> {
    let (subject_type, subject) = match &draft.subject {
        Some(Subject::Application(bytes)) => (Some("application"), Some(bytes.as_slice())),
        Some(Subject::Placement(bytes)) => (Some("placement"), Some(bytes.as_slice())),
        None => (None, None),
    };
    let mut ids = Vec::with_capacity(deliveries.len());
    let mut channels = Vec::with_capacity(deliveries.len());
    let mut webhooks = Vec::with_capacity(deliveries.len());
    let mut statuses = Vec::with_capacity(deliveries.len());
    let mut digests = Vec::with_capacity(deliveries.len());
    let mut nexts: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(deliveries.len());
    let mut delivered: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(deliveries.len());
    for (channel, webhook, due) in deliveries {
        let (status, digest, next, done) = match due {
            Due::Delivered(at) => (DeliveryStatus::Delivered, false, None, Some(*at)),
            Due::At(at) => (DeliveryStatus::Pending, false, Some(*at), None),
            Due::Digest(at) => (DeliveryStatus::Pending, true, Some(*at), None),
        };
        ids.push(Uuid::now_v7());
        channels.push(channel.code());
        webhooks.push(*webhook);
        statuses.push(status.code());
        digests.push(digest);
        nexts.push(next);
        delivered.push(done);
    }
    let made: Option<i64> = sqlx::query_scalar(
        "WITH notification AS (
             INSERT INTO notifications (id, source_id, recipient_role, recipient_tenant, kind,
                 title, body, link, subject_id, occurred_at, subject_type, subject, in_app,
                 created_at, about_candidate)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $22)
             ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
             RETURNING id),
         made AS (
             INSERT INTO deliveries (id, notification_id, kind, recipient_role,
                 recipient_tenant, channel, webhook_id, status, digest, next_attempt_at,
                 delivered_at, created_at)
             SELECT d.id, notification.id, $5, $3, $4, d.channel, d.webhook, d.status, d.digest,
                 d.next, d.delivered, $14
             FROM notification,
                 UNNEST($15::uuid[], $16::text[], $17::uuid[], $18::text[], $19::bool[],
                        $20::timestamptz[], $21::timestamptz[])
                     AS d(id, channel, webhook, status, digest, next, delivered)
             ON CONFLICT ON CONSTRAINT deliveries_once DO NOTHING
             RETURNING 1)
         SELECT (SELECT count(*) FROM made) FROM notification",
    )
    .bind(Uuid::now_v7())
    .bind(source_id)
    .bind(draft.recipient.role().code())
    .bind(draft.recipient.tenant())
    .bind(draft.kind.code())
    .bind(&draft.text.title)
    .bind(&draft.text.body)
    .bind(&draft.text.link)
    .bind(draft.subject_id)
    .bind(draft.occurred_at)
    .bind(subject_type)
    .bind(subject)
    .bind(in_app)
    .bind(now)
    .bind(&ids)
    .bind(&channels)
    .bind(&webhooks)
    .bind(&statuses)
    .bind(&digests)
    .bind(&nexts)
    .bind(&delivered)
    .bind(draft.subject.as_ref().and_then(Subject::candidate))
    .fetch_optional(connection)
    .await?;
    Ok(made.map(|count| usize::try_from(count).unwrap_or(0)))
}

/// A notification as the in-app list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotification {
    pub id: Uuid,
    pub recipient: Recipient,
    pub kind: Kind,
    pub text: Text,
    pub subject_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

type Row = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

const COLUMNS: &str = "id, recipient_role, recipient_tenant, kind, title, body, link, subject_id,
    occurred_at, created_at, read_at";

fn stored(row: Row) -> Result<StoredNotification, StoreError> {
    let (id, role, tenant, kind, title, body, link, subject_id, occurred_at, created_at, read_at) =
        row;
    Ok(StoredNotification {
        id,
        recipient: Recipient::parse(&role, &tenant)
            .map_err(|rule| corrupt(format!("notification {id} recipient: {rule}")))?,
        kind: Kind::parse(&kind).ok_or_else(|| corrupt(format!("notification {id} kind")))?,
        text: Text { title, body, link },
        subject_id,
        occurred_at,
        created_at,
        read_at,
    })
}

/// A page of `recipient`'s in-app notifications, newest first.
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    recipient: &Recipient,
    unread_only: bool,
    page: PageRequest,
) -> Result<Page<StoredNotification>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE recipient_role = $1 AND recipient_tenant = $2 AND in_app
           AND (NOT $3 OR read_at IS NULL)
           AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
         ORDER BY created_at DESC, id DESC
         LIMIT $6"
    )))
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .bind(unread_only)
    .bind(page.after_at())
    .bind(page.after_id())
    .bind(page.fetch_limit())
    .fetch_all(executor)
    .await?;
    let items = rows
        .into_iter()
        .map(stored)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |n| InstantId {
        at: n.created_at,
        id: n.id,
    }))
}

/// How many of `recipient`'s in-app notifications are unread.
pub async fn unread_count<'e>(
    executor: impl PgExecutor<'e>,
    recipient: &Recipient,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications
         WHERE recipient_role = $1 AND recipient_tenant = $2 AND in_app AND read_at IS NULL",
    )
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .fetch_one(executor)
    .await?)
}

/// Marks `ids` read for `recipient`. Returns `Err(id)` with the first id that is not one of
/// the recipient's in-app notifications (nothing is changed then), or how many were unread.
pub async fn mark_read(
    connection: &mut PgConnection,
    recipient: &Recipient,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Result<u64, Uuid>, StoreError> {
    let found: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM notifications
         WHERE id = ANY($1) AND recipient_role = $2 AND recipient_tenant = $3 AND in_app",
    )
    .bind(ids)
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .fetch_all(&mut *connection)
    .await?;
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        return Ok(Err(*missing));
    }
    let done =
        sqlx::query("UPDATE notifications SET read_at = $2 WHERE id = ANY($1) AND read_at IS NULL")
            .bind(ids)
            .bind(now)
            .execute(connection)
            .await?;
    Ok(Ok(done.rows_affected()))
}

/// Marks every in-app notification of `recipient` read; returns how many were unread.
pub async fn mark_all_read(
    connection: &mut PgConnection,
    recipient: &Recipient,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $3
         WHERE recipient_role = $1 AND recipient_tenant = $2 AND in_app AND read_at IS NULL",
    )
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .bind(now)
    .execute(connection)
    .await?;
    Ok(done.rows_affected())
}
