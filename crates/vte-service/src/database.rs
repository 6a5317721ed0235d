//! The service's PostgreSQL pool: connect (retrying while the database comes up, as it does
//! beside a service started by Compose or Kubernetes) and apply the service's migrations.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::settings::DatabaseSettings;

/// Connects to the database, retrying with backoff for `connect_timeout_secs`.
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = settings.url.expose_secret().parse()?;
    let deadline = Instant::now() + Duration::from_secs(settings.connect_timeout_secs);
    let mut backoff = Duration::from_millis(100);
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(10))
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

fn is_transient(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_)
    ) || error
        .as_database_error()
        // 57P03: the database system is starting up.
        .is_some_and(|db| db.code().as_deref() == Some("57P03"))
}
