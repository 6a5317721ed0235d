//! Builds the offers service from its settings and runs it until shutdown: the shared host
//! (database, auth, health, relay) plus the offers API, loaded with the reference data.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::offers::v1::offers_service_server::OffersServiceServer;
use vte_reference::ReferenceData;
use vte_service::contacts::{ContactDirectory, GrpcContactDirectory};
use vte_service::{RunError, Service, ServiceDefaults, ServiceHost, Settings, StartError};

use crate::consumer::CandidatesHandler;
use crate::grpc::OffersApi;
use crate::sweeps;
use crate::usecases::Offers;

/// How often offers past their deadline and applications unanswered for 60 days are expired.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// The service's database schema, applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The offers service, built and ready to run.
#[derive(Debug)]
pub struct Application {
    host: ServiceHost,
}

impl Service for Application {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "offers",
        grpc_port: 50051,
        metrics_port: 9451,
    };

    async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::assemble(settings, |host| {
            Arc::new(GrpcContactDirectory::new(&host.peers)) as Arc<dyn ContactDirectory>
        })
        .await
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}

impl Application {
    /// The service built from `settings`, reading candidates' contact data from `contacts`
    /// instead of the candidates service ([`Service::build`] passes the gRPC directory).
    pub async fn build_with(
        settings: Settings,
        contacts: Arc<dyn ContactDirectory>,
    ) -> Result<Self, StartError> {
        Self::assemble(settings, move |_| contacts).await
    }

    /// The shared host (database, auth, health, relay) plus the offers API, the consumer of
    /// `vte.candidates.v1` and the expiry sweeps, with the contact directory `contacts` makes
    /// once the host (and its peers) exist.
    async fn assemble(
        settings: Settings,
        contacts: impl FnOnce(&ServiceHost) -> Arc<dyn ContactDirectory>,
    ) -> Result<Self, StartError> {
        let reference =
            ReferenceData::load(&settings.reference.dir).map_err(|error| StartError::Setting {
                setting: "reference.dir",
                message: error.to_string(),
            })?;
        let reference = Arc::new(reference);
        let mut host = ServiceHost::build(settings, &MIGRATOR).await?;
        let contacts = contacts(&host);
        let offers = Offers::new(host.pool.clone(), reference.clone(), contacts);
        let interceptor = host.auth.interceptor();
        host.grpc()
            .add_service(OffersServiceServer::with_interceptor(
                OffersApi::new(offers),
                interceptor,
            ));
        // What the service learns of candidates: their school, and their erasure.
        let candidates = host.consumer().on::<CandidateEvent, _>(CandidatesHandler);
        host.consume(candidates);
        let pool = host.pool.clone();
        host.spawn("expiry sweeps", move |stop| async move {
            sweeps::run(pool, reference, SWEEP_EVERY, stop).await;
            Ok(())
        });
        Ok(Self { host })
    }
}
