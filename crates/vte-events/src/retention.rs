//! Keeps `processed_events` bounded. An event id only protects against redelivery, and Kafka
//! redelivers only what it still retains: ids older than the dedupe window (set well above the
//! topics' retention) are deleted by a periodic sweep, which is safe on several instances.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Deletes processed-event ids older than `window`; returns how many.
pub async fn prune_processed_events(pool: &PgPool, window: Duration) -> Result<u64, sqlx::Error> {
    let seconds = window.as_secs_f64();
    let deleted = sqlx::query(
        "DELETE FROM processed_events
         WHERE processed_at < now() - make_interval(secs => $1)",
    )
    .bind(seconds)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(deleted)
}

/// Prunes every `every` until `shutdown`.
pub async fn run(pool: PgPool, window: Duration, every: Duration, shutdown: CancellationToken) {
    loop {
        match prune_processed_events(&pool, window).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned processed event ids"),
            Err(error) => tracing::warn!(%error, "could not prune processed event ids"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
