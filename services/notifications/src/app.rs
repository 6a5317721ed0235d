//! Builds the notifications service from its settings and runs it until shutdown.

use std::net::SocketAddr;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_service::{RunError, Service, ServiceDefaults, ServiceHost, Settings, StartError};

/// The service's database schema, applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The notifications service, built and ready to run.
#[derive(Debug)]
pub struct Application {
    host: ServiceHost,
}

impl Service for Application {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "notifications",
        grpc_port: 50054,
        metrics_port: 9454,
    };

    async fn build(settings: Settings) -> Result<Self, StartError> {
        let host = ServiceHost::build(settings, &MIGRATOR).await?;
        Ok(Self { host })
    }

    fn grpc_addr(&self) -> SocketAddr {
        self.host.grpc_addr()
    }

    async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), RunError> {
        self.host.run(shutdown).await
    }
}
