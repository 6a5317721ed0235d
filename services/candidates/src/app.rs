//! Builds the candidates service from its settings and runs it until shutdown: the shared host
//! (database, auth, health, relay) plus the use cases ([`Candidates`]), loaded with the
//! reference data, behind the gRPC API, the labels consumer and the retention sweep.

use std::net::SocketAddr;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use vte_proto::EventEnvelope;
use vte_proto::vte::candidates::v1::candidates_service_server::CandidatesServiceServer;
use vte_proto::vte::placements::v1::PlacementEvent;
use vte_service::{
    Pieces, RunError, Service, ServiceDefaults, ServiceHost, Settings, Shared, StartError,
};

use crate::config::CandidatesSettings;
use crate::consumer::PlacementsHandler;
use crate::grpc::CandidatesApi;
use crate::mapping::frames::PushShapeLimits;
use crate::sweeps;
use crate::usecases::Candidates;

/// The service's database schema, applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A stream of 500-row messages carries about 1 MiB per message at most.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The candidates service, built and ready to run.
#[derive(Debug)]
pub struct Application {
    host: ServiceHost,
}

impl Application {
    /// Builds the service with its own settings given rather than read from the environment.
    pub async fn build_with(
        settings: Settings,
        own: CandidatesSettings,
    ) -> Result<Self, StartError> {
        let shared = Shared::load(&settings)?;
        Self::build_from(settings, own, shared).await
    }
}

impl Service for Application {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "candidates",
        grpc_port: 50052,
        metrics_port: 9452,
    };
    const READS: &'static [&'static str] = &[PlacementEvent::TOPIC];
    type Own = CandidatesSettings;

    async fn assemble(
        settings: Settings,
        own: CandidatesSettings,
        shared: Shared,
    ) -> Result<Self, StartError> {
        // Checked before anything connects: outside development the key must be configured.
        let ref_digest_key = own
            .ref_digest_key(settings.auth.development)
            .map_err(|message| StartError::Setting {
                setting: "candidates.ref_digest_key",
                message,
            })?;
        // The candidates service receives erasure confirmations: it sends none.
        let mut host = ServiceHost::build_with(settings, &MIGRATOR, Pieces::default()).await?;
        let candidates = Candidates::new(
            host.pool.clone(),
            shared.reference,
            own.terms_version.trim(),
        )
        .with_push_limits(own.push_limits())
        .with_ref_digest_key(ref_digest_key)
        .with_rules(shared.rules.clone());
        let api = CandidatesApi::new(candidates.clone());
        let interceptor = host.auth.interceptor();
        let server = CandidatesServiceServer::new(api).max_decoding_message_size(MAX_MESSAGE_BYTES);
        host.grpc().add_service(PushShapeLimits::new(
            InterceptedService::new(server, interceptor),
            MAX_MESSAGE_BYTES,
        ));
        // What the service learns of placements: the labels granted.
        let placements = host
            .consumer()
            .on::<PlacementEvent, _>(PlacementsHandler::new(candidates.clone()));
        host.consume(placements);
        if own.retention_sweep {
            let metrics =
                sweeps::SweepMetrics::register(host.metrics.registry()).map_err(|error| {
                    StartError::Setting {
                        setting: "candidates.retention_sweep",
                        message: format!("cannot register its metrics: {error}"),
                    }
                })?;
            let (rules, policy, every) = (
                shared.rules,
                own.retention_policy(),
                own.retention_sweep_every(),
            );
            host.spawn("retention sweep", move |stop| async move {
                sweeps::run(candidates, rules, policy, every, metrics, stop).await;
                Ok(())
            });
        }
        Ok(Self { host })
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}
