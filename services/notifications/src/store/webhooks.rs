//! School and Bpifrance webhook endpoints. A deleted webhook is kept (its dead letters stay
//! listable) but receives nothing more, its pending deliveries are dropped and its signing
//! secret is overwritten.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{StoreError, corrupt};
use crate::domain::{Kind, Recipient};

/// Most webhooks one owner may have.
pub const MAX_PER_OWNER: i64 = 10;

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub owner: Recipient,
    pub url: String,
    /// Kinds delivered; empty means every kind the owner receives.
    pub kinds: Vec<Kind>,
    pub created_at: DateTime<Utc>,
}

type Row = (Uuid, String, String, String, Vec<String>, DateTime<Utc>);

fn webhook((id, role, tenant, url, kinds, created_at): Row) -> Result<Webhook, StoreError> {
    let owner = Recipient::parse(&role, &tenant)
        .map_err(|rule| corrupt(format!("webhook {id} owner: {rule}")))?;
    let kinds = kinds
        .iter()
        .map(|kind| Kind::parse(kind).ok_or_else(|| corrupt(format!("webhook {id} kind {kind}"))))
        .collect::<Result<_, _>>()?;
    Ok(Webhook {
        id,
        owner,
        url,
        kinds,
        created_at,
    })
}

/// Saves a new webhook with its secret, unless the owner already has [`MAX_PER_OWNER`]
/// (then `Ok(false)`). The owner's webhooks are locked meanwhile, so two registrations cannot
/// both pass the limit.
pub async fn insert(
    connection: &mut PgConnection,
    webhook: &Webhook,
    secret: &str,
) -> Result<bool, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(format!("webhooks:{}", webhook.owner))
        .execute(&mut *connection)
        .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhooks
         WHERE owner_role = $1 AND owner_tenant = $2 AND deleted_at IS NULL",
    )
    .bind(webhook.owner.role().code())
    .bind(webhook.owner.tenant())
    .fetch_one(&mut *connection)
    .await?;
    if count >= MAX_PER_OWNER {
        return Ok(false);
    }
    let kinds: Vec<&str> = webhook.kinds.iter().map(|kind| kind.code()).collect();
    sqlx::query(
        "INSERT INTO webhooks (id, owner_role, owner_tenant, url, secret, kinds, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(webhook.id)
    .bind(webhook.owner.role().code())
    .bind(webhook.owner.tenant())
    .bind(&webhook.url)
    .bind(secret)
    .bind(&kinds)
    .bind(webhook.created_at)
    .execute(connection)
    .await?;
    Ok(true)
}

/// The owner's live webhooks, oldest first.
pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    owner: &Recipient,
) -> Result<Vec<Webhook>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, owner_role, owner_tenant, url, kinds, created_at FROM webhooks
         WHERE owner_role = $1 AND owner_tenant = $2 AND deleted_at IS NULL
         ORDER BY created_at, id",
    )
    .bind(owner.role().code())
    .bind(owner.tenant())
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(webhook).collect()
}

/// A live webhook by id, locked until the transaction ends: a deletion or a redelivery of
/// the same webhook waits for it.
pub async fn lock(connection: &mut PgConnection, id: Uuid) -> Result<Option<Webhook>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, owner_role, owner_tenant, url, kinds, created_at FROM webhooks
         WHERE id = $1 AND deleted_at IS NULL
         FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(connection)
    .await?;
    row.map(webhook).transpose()
}

/// Whether a webhook with this id was ever registered by `owner` (deleted or not).
pub async fn owned_by<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
    owner: &Recipient,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM webhooks
         WHERE id = $1 AND owner_role = $2 AND owner_tenant = $3)",
    )
    .bind(id)
    .bind(owner.role().code())
    .bind(owner.tenant())
    .fetch_one(executor)
    .await?)
}

/// Deletes a webhook (its secret is forgotten) and drops its pending deliveries; returns how
/// many were dropped.
pub async fn delete(
    connection: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    sqlx::query(
        "UPDATE webhooks SET deleted_at = $2, secret = '' WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    let dropped = sqlx::query(
        "DELETE FROM deliveries WHERE webhook_id = $1 AND status IN ('PENDING', 'RETRYING')",
    )
    .bind(id)
    .execute(connection)
    .await?;
    Ok(dropped.rows_affected())
}

/// The owner of a webhook, deleted or not.
pub async fn owner_of<'e>(
    executor: impl PgExecutor<'e>,
    id: Uuid,
) -> Result<Option<Recipient>, StoreError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT owner_role, owner_tenant FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(executor)
            .await?;
    row.map(|(role, tenant)| {
        Recipient::parse(&role, &tenant)
            .map_err(|rule| corrupt(format!("webhook {id} owner: {rule}")))
    })
    .transpose()
}
