//! The deliveries table as the worker's durable queue and as the delivery log. A worker claims
//! due deliveries with `FOR UPDATE SKIP LOCKED` and reserves them for a lease (so several
//! workers share the queue, and a worker that dies mid-send only delays its deliveries), sends
//! them, then records each outcome: delivered, retried after a backoff, or failed for good (a
//! dead letter). Only attempts, timings, HTTP statuses and error classes are logged.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_wire::page::{InstantId, Page, PageRequest};

use super::{StoreError, corrupt};
use crate::domain::compose::Text;
use crate::domain::{Backoff, Channel, DeliveryStatus, Kind, Recipient};

/// A claimed delivery with what the worker needs to compose and send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub kind: Kind,
    pub recipient: Recipient,
    pub channel: Channel,
    /// The endpoint, for a webhook delivery whose webhook still exists.
    pub webhook: Option<Endpoint>,
    /// Attempts made before this one.
    pub attempts: u32,
    pub text: Text,
    pub subject_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// `application` or `placement`, and the aggregate encoded as on the wire.
    pub subject: Option<(String, Vec<u8>)>,
}

/// Where a webhook delivery goes and what signs it.
#[derive(Clone)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: Uuid,
    notification_id: Uuid,
    kind: String,
    recipient_role: String,
    recipient_tenant: String,
    channel: String,
    webhook_id: Option<Uuid>,
    url: Option<String>,
    secret: Option<String>,
    attempts: i32,
    title: String,
    body: String,
    link: String,
    subject_id: Option<Uuid>,
    occurred_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    subject_type: Option<String>,
    subject: Option<Vec<u8>>,
}

impl TryFrom<ClaimedRow> for Claimed {
    type Error = StoreError;

    fn try_from(row: ClaimedRow) -> Result<Self, StoreError> {
        let id = row.id;
        let webhook = match (row.webhook_id, row.url, row.secret) {
            (Some(id), Some(url), Some(secret)) => Some(Endpoint { id, url, secret }),
            _ => None,
        };
        Ok(Self {
            id,
            notification_id: row.notification_id,
            kind: Kind::parse(&row.kind).ok_or_else(|| corrupt(format!("delivery {id} kind")))?,
            recipient: Recipient::parse(&row.recipient_role, &row.recipient_tenant)
                .map_err(|rule| corrupt(format!("delivery {id} recipient: {rule}")))?,
            channel: Channel::parse(&row.channel)
                .ok_or_else(|| corrupt(format!("delivery {id} channel")))?,
            webhook,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            text: Text {
                title: row.title,
                body: row.body,
                link: row.link,
            },
            subject_id: row.subject_id,
            occurred_at: row.occurred_at,
            created_at: row.created_at,
            subject: row.subject_type.zip(row.subject),
        })
    }
}

/// How a claim spreads over webhook endpoints, so that one slow endpoint cannot take every
/// slot: at most `per_endpoint` deliveries of one webhook in flight, counting those already
/// in flight (`in_flight`, by webhook).
#[derive(Debug, Clone, Default)]
pub struct Spread {
    pub per_endpoint: i64,
    pub in_flight: Vec<(Uuid, i64)>,
}

/// Claims up to `limit` due deliveries (immediate ones, or with `digest` the digest emails
/// due), reserving them until `now + lease`; no more of one webhook than `spread` allows
/// (`None`: no cap).
pub async fn claim<'e>(
    executor: impl PgExecutor<'e>,
    digest: bool,
    now: DateTime<Utc>,
    limit: i64,
    lease: std::time::Duration,
    spread: Option<&Spread>,
) -> Result<Vec<Claimed>, StoreError> {
    let (per_endpoint, hooks, in_flight): (i64, Vec<Uuid>, Vec<i64>) = match spread {
        Some(spread) => {
            let (hooks, counts) = spread.in_flight.iter().copied().unzip();
            (spread.per_endpoint.max(1), hooks, counts)
        }
        None => (i64::MAX, Vec::new(), Vec::new()),
    };
    // Endpoints already at their cap are not even looked at, so their backlog does not fill
    // the window the others are picked from.
    let full: Vec<Uuid> = hooks
        .iter()
        .zip(&in_flight)
        .filter(|(_, count)| **count >= per_endpoint)
        .map(|(hook, _)| *hook)
        .collect();
    let window = if spread.is_some() {
        limit.saturating_mul(8).min(2_000)
    } else {
        limit
    };
    let rows: Vec<ClaimedRow> = sqlx::query_as(
        "UPDATE deliveries d SET next_attempt_at = $1 + make_interval(secs => $3)
         FROM notifications n
         WHERE n.id = d.notification_id AND d.id IN (
             SELECT ranked.id FROM (
                 SELECT c.id, c.webhook_id, c.next_attempt_at,
                     row_number() OVER (PARTITION BY c.webhook_id
                                        ORDER BY c.next_attempt_at, c.id) AS nth
                 FROM (SELECT id, webhook_id, next_attempt_at FROM deliveries
                       WHERE status IN ('PENDING', 'RETRYING') AND digest = $4
                         AND next_attempt_at <= $1
                         AND (webhook_id IS NULL OR webhook_id <> ALL($6))
                       ORDER BY next_attempt_at
                       LIMIT $5
                       FOR UPDATE SKIP LOCKED) c) ranked
             LEFT JOIN UNNEST($7::uuid[], $8::bigint[]) AS f(hook, in_flight)
                 ON f.hook = ranked.webhook_id
             WHERE ranked.webhook_id IS NULL
                 OR ranked.nth + coalesce(f.in_flight, 0) <= $9
             ORDER BY ranked.next_attempt_at
             LIMIT $2)
         RETURNING d.id, d.notification_id, d.kind, d.recipient_role, d.recipient_tenant,
             d.channel, d.webhook_id, d.attempts,
             (SELECT url FROM webhooks w WHERE w.id = d.webhook_id AND w.deleted_at IS NULL)
                 AS url,
             (SELECT secret FROM webhooks w WHERE w.id = d.webhook_id AND w.deleted_at IS NULL)
                 AS secret,
             n.title, n.body, n.link, n.subject_id, n.occurred_at, n.created_at,
             n.subject_type, n.subject",
    )
    .bind(now)
    .bind(limit)
    .bind(lease.as_secs_f64())
    .bind(digest)
    .bind(window)
    .bind(&full)
    .bind(&hooks)
    .bind(&in_flight)
    .bind(per_endpoint)
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(Claimed::try_from).collect()
}

/// How one attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted by the SMTP relay or the endpoint (HTTP status, 0 for email).
    Delivered { http_status: u16 },
    /// Not accepted. `error` is a class ("timeout", "http_status", "smtp_rejected"...);
    /// `permanent` failures are not retried.
    Failed {
        error: &'static str,
        http_status: u16,
        permanent: bool,
    },
}

/// A delivery as the log keeps it (the contract's `Delivery`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub kind: Kind,
    pub recipient: Recipient,
    pub channel: Channel,
    pub webhook_id: Option<Uuid>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_http_status: u16,
    pub last_error: String,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: Uuid,
    notification_id: Uuid,
    kind: String,
    recipient_role: String,
    recipient_tenant: String,
    channel: String,
    webhook_id: Option<Uuid>,
    status: String,
    attempts: i32,
    first_attempt_at: Option<DateTime<Utc>>,
    last_attempt_at: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    last_http_status: i32,
    last_error: String,
}

const RECORD_COLUMNS: &str = "id, notification_id, kind, recipient_role, recipient_tenant,
    channel, webhook_id, status, attempts, first_attempt_at, last_attempt_at, next_attempt_at,
    delivered_at, last_http_status, last_error";

impl TryFrom<RecordRow> for DeliveryRecord {
    type Error = StoreError;

    fn try_from(row: RecordRow) -> Result<Self, StoreError> {
        let id = row.id;
        Ok(Self {
            id,
            notification_id: row.notification_id,
            kind: Kind::parse(&row.kind).ok_or_else(|| corrupt(format!("delivery {id} kind")))?,
            recipient: Recipient::parse(&row.recipient_role, &row.recipient_tenant)
                .map_err(|rule| corrupt(format!("delivery {id} recipient: {rule}")))?,
            channel: Channel::parse(&row.channel)
                .ok_or_else(|| corrupt(format!("delivery {id} channel")))?,
            webhook_id: row.webhook_id,
            status: DeliveryStatus::parse(&row.status)
                .ok_or_else(|| corrupt(format!("delivery {id} status")))?,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            first_attempt_at: row.first_attempt_at,
            last_attempt_at: row.last_attempt_at,
            next_attempt_at: row.next_attempt_at,
            delivered_at: row.delivered_at,
            last_http_status: u16::try_from(row.last_http_status).unwrap_or(0),
            last_error: row.last_error,
        })
    }
}

/// The outcome of one attempt on a claimed delivery, which had made `attempts` before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub id: Uuid,
    pub attempts: u32,
    pub attempt: Attempt,
}

/// Records `outcomes` in one statement: each delivery is delivered, retried after the
/// backoff, or failed for good after its last attempt or a permanent failure. Returns the
/// records of the deliveries still there (one deleted meanwhile, its webhook deleted or its
/// candidate erased, is skipped).
pub async fn record(
    connection: &mut PgConnection,
    outcomes: &[Outcome],
    now: DateTime<Utc>,
    backoff: &Backoff,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut ids = Vec::with_capacity(outcomes.len());
    let mut statuses = Vec::with_capacity(outcomes.len());
    let mut attempts = Vec::with_capacity(outcomes.len());
    let mut nexts: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(outcomes.len());
    let mut delivered: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(outcomes.len());
    let mut http_statuses = Vec::with_capacity(outcomes.len());
    let mut errors = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let made = outcome.attempts.saturating_add(1);
        let (status, next, done, http_status, error) = match outcome.attempt {
            Attempt::Delivered { http_status } => {
                (DeliveryStatus::Delivered, None, Some(now), http_status, "")
            }
            Attempt::Failed {
                error,
                http_status,
                permanent,
            } => match backoff.wait_after(made).filter(|_| !permanent) {
                Some(wait) => (
                    DeliveryStatus::Retrying,
                    Some(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)),
                    None,
                    http_status,
                    error,
                ),
                None => (DeliveryStatus::Failed, None, None, http_status, error),
            },
        };
        ids.push(outcome.id);
        statuses.push(status.code());
        attempts.push(i32::try_from(made).unwrap_or(i32::MAX));
        nexts.push(next);
        delivered.push(done);
        http_statuses.push(i32::from(http_status));
        errors.push(error);
    }
    let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE deliveries d SET status = u.status, attempts = u.attempts,
             first_attempt_at = coalesce(d.first_attempt_at, $8), last_attempt_at = $8,
             next_attempt_at = u.next, delivered_at = u.delivered,
             last_http_status = u.http_status, last_error = u.error
         FROM UNNEST($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[],
                     $6::int[], $7::text[])
             AS u(id, status, attempts, next, delivered, http_status, error)
         WHERE d.id = u.id AND d.status IN ('PENDING', 'RETRYING')
         RETURNING {}",
        RECORD_COLUMNS
            .split(',')
            .map(|column| format!("d.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    )))
    .bind(&ids)
    .bind(&statuses)
    .bind(&attempts)
    .bind(&nexts)
    .bind(&delivered)
    .bind(&http_statuses)
    .bind(&errors)
    .bind(now)
    .fetch_all(connection)
    .await?;
    rows.into_iter().map(DeliveryRecord::try_from).collect()
}

/// A page of the owner's failed webhook deliveries (of one webhook, or all), most recent
/// first.
pub async fn dead_letters<'e>(
    executor: impl PgExecutor<'e>,
    owner: &Recipient,
    webhook: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<DeliveryRecord>, StoreError> {
    let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RECORD_COLUMNS} FROM deliveries
         WHERE recipient_role = $1 AND recipient_tenant = $2
           AND channel = 'WEBHOOK' AND status = 'FAILED'
           AND ($3::uuid IS NULL OR webhook_id = $3)
           AND ($4::timestamptz IS NULL OR (last_attempt_at, id) < ($4, $5))
         ORDER BY last_attempt_at DESC, id DESC
         LIMIT $6"
    )))
    .bind(owner.role().code())
    .bind(owner.tenant())
    .bind(webhook)
    .bind(page.after_at())
    .bind(page.after_id())
    .bind(page.fetch_limit())
    .fetch_all(executor)
    .await?;
    let items = rows
        .into_iter()
        .map(DeliveryRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |record| InstantId {
        at: record.last_attempt_at.unwrap_or_default(),
        id: record.id,
    }))
}

/// Queues up to `limit` of a webhook's dead letters (oldest first; all, or only `ids`) for a
/// new round of attempts, due now, and wakes the workers; returns how many were queued. The
/// attempts of the former round are forgotten with their last error; when the delivery was
/// first tried stays.
pub async fn redeliver(
    connection: &mut PgConnection,
    webhook: Uuid,
    ids: Option<&[Uuid]>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let requeued = sqlx::query(
        "UPDATE deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = $3,
             last_error = '', last_http_status = 0
         WHERE id IN (
             SELECT id FROM deliveries
             WHERE webhook_id = $1 AND channel = 'WEBHOOK' AND status = 'FAILED'
               AND ($2::uuid[] IS NULL OR id = ANY($2))
             ORDER BY last_attempt_at, id
             LIMIT $4
             FOR UPDATE)",
    )
    .bind(webhook)
    .bind(ids)
    .bind(now)
    .bind(limit)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if requeued > 0 {
        super::wake_workers(connection).await?;
    }
    Ok(requeued)
}
