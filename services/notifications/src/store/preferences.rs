//! Recipients' preferences per kind: on/off and the email cadence. A kind without a row is on
//! and immediate.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor};

use super::{StoreError, corrupt};
use crate::domain::{Cadence, Kind, Recipient};

/// A recipient's choice for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preference {
    pub kind: Kind,
    pub enabled: bool,
    pub cadence: Cadence,
}

impl Preference {
    /// What applies without a stored choice.
    pub fn default_for(kind: Kind) -> Self {
        Self {
            kind,
            enabled: true,
            cadence: Cadence::Immediate,
        }
    }
}

/// Every kind `recipient` can receive, with its stored choice or the default, in the contract's
/// order.
pub async fn load<'e>(
    executor: impl PgExecutor<'e>,
    recipient: &Recipient,
) -> Result<Vec<Preference>, StoreError> {
    let rows: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT kind, enabled, cadence FROM preferences
         WHERE recipient_role = $1 AND recipient_tenant = $2",
    )
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .fetch_all(executor)
    .await?;
    let mut stored = HashMap::new();
    for (kind, enabled, cadence) in rows {
        let kind = Kind::parse(&kind).ok_or_else(|| corrupt(format!("preference kind {kind}")))?;
        let cadence = Cadence::parse(&cadence)
            .ok_or_else(|| corrupt(format!("preference cadence {cadence}")))?;
        stored.insert(
            kind,
            Preference {
                kind,
                enabled,
                cadence,
            },
        );
    }
    Ok(recipient
        .audience()
        .iter()
        .map(|kind| {
            stored
                .get(kind)
                .copied()
                .unwrap_or_else(|| Preference::default_for(*kind))
        })
        .collect())
}

/// Saves `changes` (each kind once, each in the recipient's audience); other kinds keep theirs.
pub async fn save(
    connection: &mut PgConnection,
    recipient: &Recipient,
    changes: &[Preference],
) -> Result<(), StoreError> {
    let kinds: Vec<&str> = changes.iter().map(|p| p.kind.code()).collect();
    let enabled: Vec<bool> = changes.iter().map(|p| p.enabled).collect();
    let cadences: Vec<&str> = changes.iter().map(|p| p.cadence.code()).collect();
    sqlx::query(
        "INSERT INTO preferences (recipient_role, recipient_tenant, kind, enabled, cadence)
         SELECT $1, $2, kind, enabled, cadence
         FROM UNNEST($3::text[], $4::bool[], $5::text[]) AS t(kind, enabled, cadence)
         ON CONFLICT (recipient_role, recipient_tenant, kind)
         DO UPDATE SET enabled = EXCLUDED.enabled, cadence = EXCLUDED.cadence",
    )
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .bind(&kinds)
    .bind(&enabled)
    .bind(&cadences)
    .execute(connection)
    .await?;
    Ok(())
}

/// The address `recipient` registered for email, if any (never a candidate's: theirs is their
/// contact data in the candidates service).
pub async fn email_address<'e>(
    executor: impl PgExecutor<'e>,
    recipient: &Recipient,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM email_addresses WHERE recipient_role = $1 AND recipient_tenant = $2",
    )
    .bind(recipient.role().code())
    .bind(recipient.tenant())
    .fetch_optional(executor)
    .await?)
}

/// Registers (`Some`) or removes (`None`) the address `recipient` receives email at.
pub async fn set_email_address(
    connection: &mut PgConnection,
    recipient: &Recipient,
    email: Option<&str>,
) -> Result<(), StoreError> {
    match email {
        Some(email) => {
            sqlx::query(
                "INSERT INTO email_addresses (recipient_role, recipient_tenant, email, updated_at)
                 VALUES ($1, $2, $3, now())
                 ON CONFLICT (recipient_role, recipient_tenant)
                 DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
            )
            .bind(recipient.role().code())
            .bind(recipient.tenant())
            .bind(email)
            .execute(connection)
            .await?;
        }
        None => {
            sqlx::query(
                "DELETE FROM email_addresses WHERE recipient_role = $1 AND recipient_tenant = $2",
            )
            .bind(recipient.role().code())
            .bind(recipient.tenant())
            .execute(connection)
            .await?;
        }
    }
    Ok(())
}
