//! Confirming a GDPR erasure to the candidates service: an opt-in piece of the host. A service
//! that holds candidate data mounts it ([`crate::host::Pieces::confirm_erasures`]), which adds
//! its table ([`MIGRATIONS`]) and runs an [`ErasureConfirmer`]. The service deletes the data when
//! `CandidateErased` arrives and, in the same transaction, calls [`confirm_later`]; the
//! confirmer then tells the candidates service through [`ErasureConfirmations`] (in production
//! `CandidatesService.ConfirmErasure` with the service's own token), retrying with backoff while
//! it is away, so a confirmation is never lost and never sent before the deletion committed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use vte_domain::CandidateId;
use vte_proto::vte::candidates::v1::ConfirmErasureRequest;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::common::v1::PlatformService;

use crate::peers::{Peers, ServiceAuth};

/// The piece's table, `erasure_confirmations` (numbered 2: it was the event backbone's second
/// migration, and databases migrated then keep their history).
pub static MIGRATIONS: Migrator = sqlx::migrate!("./migrations/erasure");

/// The candidates service did not accept a confirmation; retried later. Carries the gRPC code
/// and message, never personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfirmationRefused(pub String);

/// The future an [`ErasureConfirmations`] returns.
pub type ConfirmFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(), ConfirmationRefused>> + Send + 'a>>;

/// Where a service confirms the erasures it applied.
pub trait ErasureConfirmations: Send + Sync + std::fmt::Debug + 'static {
    /// Tells the candidates service that `service` erased `candidate`.
    fn confirm(&self, candidate: CandidateId, service: PlatformService) -> ConfirmFuture<'_>;
}

/// `CandidatesService.ConfirmErasure`, called with this service's token.
#[derive(Debug, Clone)]
pub struct GrpcErasureConfirmations {
    client: CandidatesServiceClient<
        tonic::service::interceptor::InterceptedService<tonic::transport::Channel, ServiceAuth>,
    >,
}

impl GrpcErasureConfirmations {
    /// Confirms through `peers`.
    pub fn new(peers: &Peers) -> Self {
        Self {
            client: CandidatesServiceClient::with_interceptor(
                peers.channel(PlatformService::Candidates),
                peers.auth(),
            ),
        }
    }
}

impl ErasureConfirmations for GrpcErasureConfirmations {
    fn confirm(&self, candidate: CandidateId, service: PlatformService) -> ConfirmFuture<'_> {
        let mut client = self.client.clone();
        Box::pin(async move {
            let request = ConfirmErasureRequest {
                candidate_id: candidate.to_string(),
                service: service as i32,
            };
            client
                .confirm_erasure(request)
                .await
                .map(|_| ())
                .map_err(|status| {
                    ConfirmationRefused(format!("{:?}: {}", status.code(), status.message()))
                })
        })
    }
}

/// Records, in the caller's transaction, that this service erased `candidate_id` and must
/// confirm it. Idempotent: a second record for the same candidate changes nothing.
pub async fn confirm_later(
    tx: &mut PgConnection,
    candidate_id: CandidateId,
    erasure_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO erasure_confirmations (candidate_id, erasure_id) VALUES ($1, $2) \
         ON CONFLICT (candidate_id) DO NOTHING",
    )
    .bind(candidate_id.as_uuid())
    .bind(erasure_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Confirmations not yet accepted by the candidates service.
pub async fn pending(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM erasure_confirmations")
        .fetch_one(pool)
        .await
}

/// Sends the recorded confirmations.
#[derive(Debug, Clone)]
pub struct ErasureConfirmer {
    pool: PgPool,
    confirmations: Arc<dyn ErasureConfirmations>,
    service: PlatformService,
    /// How often due confirmations are looked for.
    pub poll: Duration,
    /// The longest wait between two attempts for one candidate.
    pub max_backoff: Duration,
}

/// How many confirmations one pass claims.
const BATCH: i64 = 20;
/// How long a claimed confirmation is reserved for the pass that claimed it.
const CLAIM_SECS: f64 = 60.0;

impl ErasureConfirmer {
    /// A confirmer for `service`, polling every two seconds, retrying at most hourly.
    pub fn new(
        pool: PgPool,
        confirmations: Arc<dyn ErasureConfirmations>,
        service: PlatformService,
    ) -> Self {
        Self {
            pool,
            confirmations,
            service,
            poll: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
        }
    }

    /// Confirms what is due until `stop` is cancelled.
    pub async fn run(self, stop: CancellationToken) {
        loop {
            match self.confirm_due().await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "erasure confirmations: database error"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// One pass: claims the due confirmations and sends them. Returns how many were accepted.
    pub async fn confirm_due(&self) -> Result<usize, sqlx::Error> {
        let claimed: Vec<(Uuid, i32)> = sqlx::query_as(
            "UPDATE erasure_confirmations \
             SET next_attempt_at = now() + make_interval(secs => $2) \
             WHERE candidate_id IN ( \
                 SELECT candidate_id FROM erasure_confirmations \
                 WHERE next_attempt_at <= now() ORDER BY next_attempt_at \
                 LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING candidate_id, attempts",
        )
        .bind(BATCH)
        .bind(CLAIM_SECS)
        .fetch_all(&self.pool)
        .await?;
        let mut accepted = 0;
        for (candidate_id, attempts) in claimed {
            let candidate = CandidateId::from_uuid(candidate_id);
            match self.confirmations.confirm(candidate, self.service).await {
                Ok(_) => {
                    sqlx::query("DELETE FROM erasure_confirmations WHERE candidate_id = $1")
                        .bind(candidate_id)
                        .execute(&self.pool)
                        .await?;
                    accepted += 1;
                }
                Err(refused) => {
                    let wait = self.backoff(attempts);
                    tracing::warn!(
                        reason = %refused,
                        attempts = attempts + 1,
                        retry_in_secs = wait.as_secs(),
                        "erasure confirmation not accepted yet"
                    );
                    sqlx::query(
                        "UPDATE erasure_confirmations SET attempts = attempts + 1, \
                         next_attempt_at = now() + make_interval(secs => $2), last_error = $3 \
                         WHERE candidate_id = $1",
                    )
                    .bind(candidate_id)
                    .bind(wait.as_secs_f64())
                    .bind(refused.0)
                    .execute(&self.pool)
                    .await?;
                }
            }
        }
        Ok(accepted)
    }

    /// About 1 s, 2 s, 4 s… up to `max_backoff` after each refusal (the platform's backoff,
    /// with its jitter).
    fn backoff(&self, attempts: i32) -> Duration {
        let attempt = u32::try_from(attempts.max(0))
            .unwrap_or(0)
            .saturating_add(1);
        vte_events::Backoff::starting_at(Duration::from_secs(1), self.max_backoff)
            .delay_for(attempt)
    }
}
