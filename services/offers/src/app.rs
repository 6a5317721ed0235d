//! Builds the offers service from its settings and runs it until shutdown: the shared host
//! (database, auth, health, relay) plus the offers API, loaded with the reference data.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_proto::vte::offers::v1::offers_service_server::OffersServiceServer;
use vte_reference::ReferenceData;
use vte_service::{RunError, Service, ServiceDefaults, ServiceHost, Settings, StartError};

use crate::api::OffersApi;

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
        let reference =
            ReferenceData::load(&settings.reference.dir).map_err(|error| StartError::Setting {
                setting: "reference.dir",
                message: error.to_string(),
            })?;
        let reference = Arc::new(reference);
        let mut host = ServiceHost::build(settings, &MIGRATOR).await?;
        let api = OffersApi::new(host.pool.clone(), reference);
        let interceptor = host.auth.interceptor();
        host.grpc()
            .add_service(OffersServiceServer::with_interceptor(api, interceptor));
        Ok(Self { host })
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}
