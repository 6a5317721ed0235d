//! Notifications: turning drafts into one notification per (fact, recipient, kind) and one
//! delivery per channel, as the recipient's preferences and webhooks say; and the in-app list
//! with read/unread. Redelivered facts create nothing twice: the unique constraints
//! `notifications_once` and `deliveries_once` hold even when the consumer's own deduplication
//! has forgotten an event.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::page::{Page, PageCursor, PageRequest};
use super::{StoreError, WAKE_CHANNEL, corrupt, facts, preferences, webhooks};
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
/// or for a recipient who turned the kind off and has no webhook for it, creates nothing.
pub async fn fan_out(
    connection: &mut PgConnection,
    source_id: Uuid,
    drafts: &[Draft],
    clock: FanOut,
) -> Result<Created, StoreError> {
    let mut created = Created::default();
    for draft in drafts {
        if let Recipient::Candidate(candidate) = draft.recipient
            && facts::is_erased(&mut *connection, candidate).await?
        {
            continue;
        }
        let preference = preferences::for_kind(connection, &draft.recipient, draft.kind).await?;
        let hooks: Vec<Uuid> = if draft.recipient.has_webhooks() {
            webhooks::list(&mut *connection, &draft.recipient)
                .await?
                .into_iter()
                .filter(|hook| hook.wants(draft.kind))
                .map(|hook| hook.id)
                .collect()
        } else {
            Vec::new()
        };
        let in_app = preference.enabled;
        let email = preference.enabled && draft.recipient.has_email();
        if !in_app && !email && hooks.is_empty() {
            continue;
        }
        let Some(notification) = insert(connection, source_id, draft, in_app, clock.now).await?
        else {
            continue;
        };
        created.notifications += 1;
        if in_app {
            created.deliveries += insert_delivery(
                connection,
                notification,
                draft,
                Channel::InApp,
                None,
                Due::Delivered(clock.now),
            )
            .await?;
        }
        if email {
            let due = match preference.cadence {
                Cadence::Immediate => Due::At(clock.now),
                Cadence::DailyDigest => Due::Digest(clock.digest_due),
            };
            created.deliveries +=
                insert_delivery(connection, notification, draft, Channel::Email, None, due).await?;
        }
        for hook in hooks {
            created.deliveries += insert_delivery(
                connection,
                notification,
                draft,
                Channel::Webhook,
                Some(hook),
                Due::At(clock.now),
            )
            .await?;
        }
    }
    if created.deliveries > 0 {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKE_CHANNEL)
            .execute(connection)
            .await?;
    }
    Ok(created)
}

async fn insert(
    connection: &mut PgConnection,
    source_id: Uuid,
    draft: &Draft,
    in_app: bool,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    let (subject_type, subject) = match &draft.subject {
        Some(Subject::Application(bytes)) => (Some("application"), Some(bytes.as_slice())),
        Some(Subject::Placement(bytes)) => (Some("placement"), Some(bytes.as_slice())),
        None => (None, None),
    };
    Ok(sqlx::query_scalar(
        "INSERT INTO notifications (id, source_id, recipient_role, recipient_tenant, kind, title,
             body, link, subject_id, occurred_at, subject_type, subject, in_app, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
         RETURNING id",
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
    .fetch_optional(connection)
    .await?)
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

async fn insert_delivery(
    connection: &mut PgConnection,
    notification: Uuid,
    draft: &Draft,
    channel: Channel,
    webhook: Option<Uuid>,
    due: Due,
) -> Result<usize, StoreError> {
    let (status, digest, next, delivered) = match due {
        Due::Delivered(now) => (DeliveryStatus::Delivered, false, None, Some(now)),
        Due::At(at) => (DeliveryStatus::Pending, false, Some(at), None),
        Due::Digest(at) => (DeliveryStatus::Pending, true, Some(at), None),
    };
    let done = sqlx::query(
        "INSERT INTO deliveries (id, notification_id, kind, recipient_role, recipient_tenant,
             channel, webhook_id, status, digest, next_attempt_at, delivered_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
         ON CONFLICT ON CONSTRAINT deliveries_once DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(notification)
    .bind(draft.kind.code())
    .bind(draft.recipient.role().code())
    .bind(draft.recipient.tenant())
    .bind(channel.code())
    .bind(webhook)
    .bind(status.code())
    .bind(digest)
    .bind(next)
    .bind(delivered)
    .execute(connection)
    .await?;
    Ok(done.rows_affected() as usize)
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
    .bind(page.after.map(|cursor| cursor.at))
    .bind(page.after.map(|cursor| cursor.id))
    .bind(page.fetch_limit())
    .fetch_all(executor)
    .await?;
    let items = rows
        .into_iter()
        .map(stored)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |n| PageCursor {
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
