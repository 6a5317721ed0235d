//! The service's PostgreSQL pool: connect (retrying while the database comes up, as it does
//! beside a service started by Compose or Kubernetes) and apply the service's migrations. Every
//! pooled connection carries `statement_timeout` and `idle_in_transaction_session_timeout`, so
//! neither a slow query nor a forgotten transaction holds a connection for long; a call that
//! finds no free connection in time is answered `UNAVAILABLE` (see [`is_unavailable`]).

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::settings::DatabaseSettings;

/// Connects to the database, retrying with backoff for `connect_timeout_secs`.
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    let options = connect_options(settings)?;
    let deadline = Instant::now() + Duration::from_secs(settings.connect_timeout_secs);
    let mut backoff = Duration::from_millis(100);
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs.max(1)))
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(error) if Instant::now() + backoff < deadline && is_transient(&error) => {
                tracing::warn!(%error, "database not reachable yet, retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            Err(error) => return Err(error),
        }
    }
}

/// The connection options of `settings`: the URL plus the session timeouts, sent as start-up
/// parameters so that every connection the pool opens has them.
pub fn connect_options(settings: &DatabaseSettings) -> Result<PgConnectOptions, sqlx::Error> {
    let options: PgConnectOptions = settings.url.expose_secret().parse()?;
    // PostgreSQL reads a bare number as milliseconds; 0 turns a timeout off.
    Ok(options.options([
        (
            "statement_timeout",
            (settings.statement_timeout_secs * 1000).to_string(),
        ),
        (
            "idle_in_transaction_session_timeout",
            (settings.idle_in_transaction_timeout_secs * 1000).to_string(),
        ),
    ]))
}

/// Applies `migrator` on a connection of its own without `statement_timeout` (building an index
/// on a large table may take longer than any call should), closed afterwards.
pub async fn migrate(
    pool: &PgPool,
    migrator: &Migrator,
) -> Result<(), sqlx::migrate::MigrateError> {
    // A one-connection pool of its own: `Migrator::run` on a bare `&mut PgConnection` makes
    // the services' start-up futures fail the `Send` check (sqlx's `Acquire` lifetimes).
    let options = (*pool.connect_options())
        .clone()
        .options([("statement_timeout", "0")]);
    let migrations = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let result = migrator.run(&migrations).await;
    migrations.close().await;
    result
}

fn is_transient(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_)
    ) || error
        .as_database_error()
        // 57P03: the database system is starting up.
        .is_some_and(|db| db.code().as_deref() == Some("57P03"))
}

/// Whether `error` (or one of its sources) says the database is out of reach for now rather
/// than that the service failed: no free pooled connection in time, the pool closing, the
/// connection lost, a statement cut by `statement_timeout`, or the server shutting down or
/// starting up. Such a call is worth retrying: it is answered `UNAVAILABLE`, not `INTERNAL`.
pub fn is_unavailable(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(error) = error.downcast_ref::<sqlx::Error>() {
            return match error {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
                // 57: operator intervention (57014: a statement past `statement_timeout`, the
                // service too busy to answer in time; 57P01..57P03: shutting down, crashed,
                // starting up); 08: connection exceptions.
                sqlx::Error::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("57") || code.starts_with("08")),
                _ => false,
            };
        }
        next = error.source();
    }
    false
}

/// The status of a call whose database is out of reach ([`is_unavailable`]): logged here, and
/// answered with a message that says to retry and nothing about the database.
pub fn unavailable(error: &(dyn StdError + 'static)) -> tonic::Status {
    tracing::warn!(%error, "database out of reach: answered UNAVAILABLE");
    tonic::Status::unavailable("the service is busy or restarting: retry shortly")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("store: {0}")]
    struct Wrapped(#[source] sqlx::Error);

    #[test]
    fn an_exhausted_pool_is_unavailable_even_wrapped_and_other_errors_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&Wrapped(sqlx::Error::PoolTimedOut)));
        assert!(is_unavailable(&Wrapped(sqlx::Error::PoolClosed)));
        assert!(!is_unavailable(&Wrapped(sqlx::Error::RowNotFound)));
        assert!(!is_unavailable(&std::fmt::Error));
        let status = unavailable(&sqlx::Error::PoolTimedOut);
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(!status.message().contains("pool"), "{}", status.message());
    }
}
