//! The skeleton every VTE service is built on, written once:
//!
//! - [`settings`]: typed, layered settings (defaults, TOML file, environment), secrets wrapped;
//! - [`auth`]: bearer JWT verification and the caller's [`auth::Identity`] for handlers;
//! - [`host`]: [`ServiceHost`], which connects, migrates, binds and runs a service;
//! - [`server`]: the gRPC server with health, reflection and per-call spans and metrics;
//! - [`erasure`]: an opt-in piece confirming to the candidates service the erasures a service
//!   applied;
//! - [`peers`]: calls to the other services with a `service` token; [`contacts`]: a
//!   candidate's contact data, looked up through a [`contacts::ContactDirectory`];
//! - [`metrics`], [`shutdown`], [`database`]: the plumbing; logs and traces come from
//!   `vte-telemetry`.

pub mod auth;
pub mod contacts;
pub mod database;
pub mod erasure;
pub mod host;
pub mod identity;
pub mod metrics;
pub mod peers;
pub mod server;
pub mod settings;
pub mod shutdown;

use std::future::Future;
use std::net::SocketAddr;

pub use host::{Pieces, RunError, ServiceHost, StartError};
pub use settings::{ServiceDefaults, Settings};
use tokio_util::sync::CancellationToken;

/// What a service crate exposes so that its binary, the embedded platform and the tests start
/// it the same way.
pub trait Service: Sized + Send {
    /// The service's name and default ports.
    const DEFAULTS: ServiceDefaults;

    /// Builds the service from its settings: database, migrations, listeners, APIs, tasks.
    fn build(settings: Settings) -> impl Future<Output = Result<Self, StartError>> + Send;

    /// Where its gRPC server listens.
    fn grpc_addr(&self) -> SocketAddr;

    /// Runs until `shutdown` is cancelled.
    fn run_until_stopped(
        self,
        shutdown: CancellationToken,
    ) -> impl Future<Output = Result<(), RunError>> + Send;
}

/// The body of a service binary's `main`: settings from the environment, telemetry, signals,
/// build, run.
pub async fn run_main<S: Service>() -> anyhow::Result<()> {
    let settings = Settings::load(S::DEFAULTS)?;
    let _telemetry = vte_telemetry::init(&settings.service_name, &settings.telemetry)?;
    let shutdown = shutdown::on_signal();
    let service = S::build(settings).await?;
    service.run_until_stopped(shutdown).await?;
    Ok(())
}
