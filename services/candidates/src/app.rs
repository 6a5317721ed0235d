//! Builds the candidates service from its settings and runs it until shutdown: the shared host
//! (database, auth, health, relay) plus the use cases ([`Candidates`]), loaded with the
//! reference data, behind the gRPC API and the labels consumer.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use vte_proto::vte::candidates::v1::candidates_service_server::CandidatesServiceServer;
use vte_proto::vte::placements::v1::PlacementEvent;
use vte_reference::ReferenceData;
use vte_service::{RunError, Service, ServiceDefaults, ServiceHost, Settings, StartError};

use crate::config::CandidatesSettings;
use crate::consumer::PlacementsHandler;
use crate::grpc::CandidatesApi;
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
    /// Builds the service with its own settings given rather than read from the environment
    /// (tests, the embedded platform).
    pub async fn build_with(
        settings: Settings,
        own: CandidatesSettings,
    ) -> Result<Self, StartError> {
        own.check().map_err(|message| StartError::Setting {
            setting: "candidates",
            message,
        })?;
        let reference =
            ReferenceData::load(&settings.reference.dir).map_err(|error| StartError::Setting {
                setting: "reference.dir",
                message: error.to_string(),
            })?;
        let reference = Arc::new(reference);
        let mut host = ServiceHost::build(settings, &MIGRATOR).await?;
        let candidates = Candidates::new(host.pool.clone(), reference, own.terms_version.trim());
        let api = CandidatesApi::new(candidates.clone());
        let interceptor = host.auth.interceptor();
        let server = CandidatesServiceServer::new(api).max_decoding_message_size(MAX_MESSAGE_BYTES);
        host.grpc()
            .add_service(InterceptedService::new(server, interceptor));
        // What the service learns of placements: the labels granted.
        let placements = host
            .consumer()
            .on::<PlacementEvent, _>(PlacementsHandler::new(candidates));
        host.consume(placements);
        Ok(Self { host })
    }
}

impl Service for Application {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "candidates",
        grpc_port: 50052,
        metrics_port: 9452,
    };

    async fn build(settings: Settings) -> Result<Self, StartError> {
        let own =
            CandidatesSettings::load(Self::DEFAULTS).map_err(|message| StartError::Setting {
                setting: "candidates",
                message,
            })?;
        Self::build_with(settings, own).await
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}
