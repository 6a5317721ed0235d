//! The notifications service's PostgreSQL storage, queries returning domain types, every one
//! exercised by the tests against the test bed's database: [`notifications`] (fan-out into
//! deliveries, the in-app list), [`deliveries`] (the worker's queue and the delivery log),
//! [`preferences`], [`webhooks`], [`facts`] (what the events said of offers and
//! applications), [`offer_alerts`] (what the cap on new offers told counts) and [`erasure`]
//! (forgetting an erased candidate everywhere). Writes take the caller's transaction.

pub mod deliveries;
pub mod erasure;
pub mod facts;
pub mod notifications;
pub mod offer_alerts;
pub mod preferences;
pub mod webhooks;

/// A store operation that failed; the caller's transaction should roll back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or refused the query.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row does not make a valid domain value; `what` names the row and the rule.
    #[error("stored data no longer fits the domain: {what}")]
    Corrupt { what: String },
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
    }
}

/// The channel the worker listens on: a delivery became due.
pub const WAKE_CHANNEL: &str = "vte_deliveries";

/// Wakes the delivery workers when the transaction commits (PostgreSQL sends one notification
/// per transaction however often this is called).
pub(crate) async fn wake_workers(connection: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WAKE_CHANNEL)
        .execute(connection)
        .await?;
    Ok(())
}
