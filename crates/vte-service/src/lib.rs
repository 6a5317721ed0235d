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
use std::sync::Arc;

use contacts::{ContactDirectory, GrpcContactDirectory};
use peers::Peers;
use settings::OwnSettings;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

pub use host::{Pieces, RunError, ServiceHost, StartError};
pub use settings::{ServiceDefaults, Settings};
use tokio_util::sync::CancellationToken;

/// What the services of one process share, and the peers a test or the launcher may give a
/// service instead of the gRPC clients its settings name.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The reference data (communes, Territoires d'industrie), loaded once per process.
    pub reference: Arc<ReferenceData>,
    /// The scheme's rule sets (`rules.dir`), loaded and checked once per process.
    pub rules: Arc<RuleBook>,
    /// Where a candidate's contact data is looked up; `None`: the candidates service over gRPC
    /// (`peers.candidates`).
    pub contacts: Option<Arc<dyn ContactDirectory>>,
}

impl Shared {
    /// The reference data of `settings.reference.dir`, and the peers the settings name.
    pub fn load(settings: &Settings) -> Result<Self, StartError> {
        let reference =
            ReferenceData::load(&settings.reference.dir).map_err(|error| StartError::Setting {
                setting: "reference.dir",
                message: error.to_string(),
            })?;
        let rules = RuleBook::load(&settings.rules.dir).map_err(|error| StartError::Setting {
            setting: "rules.dir",
            message: error.to_string(),
        })?;
        Ok(Self::new(Arc::new(reference), Arc::new(rules)))
    }

    /// `reference` and `rules`, and the peers the settings name.
    pub fn new(reference: Arc<ReferenceData>, rules: Arc<RuleBook>) -> Self {
        Self {
            reference,
            rules,
            contacts: None,
        }
    }

    /// The same, looking contact data up in `contacts`.
    pub fn with_contacts(mut self, contacts: Arc<dyn ContactDirectory>) -> Self {
        self.contacts = Some(contacts);
        self
    }

    /// The contact directory given, or the candidates service reached through `peers`.
    pub fn contacts(&self, peers: &Peers) -> Arc<dyn ContactDirectory> {
        self.contacts
            .clone()
            .unwrap_or_else(|| Arc::new(GrpcContactDirectory::new(peers)))
    }
}

/// What a service crate exposes so that its binary, the embedded platform and the tests start
/// it the same way.
pub trait Service: Sized + Send {
    /// The service's name and default ports.
    const DEFAULTS: ServiceDefaults;

    /// The logical topics its consumers read (`vte.offers.v1`...): what the launcher watches
    /// the lag of.
    const READS: &'static [&'static str];

    /// Its own section of the settings.
    type Own: OwnSettings;

    /// Builds the service: database, migrations, listeners, APIs, tasks, from the shared
    /// settings, its own section (already checked) and the parts of the process.
    fn assemble(
        settings: Settings,
        own: Self::Own,
        shared: Shared,
    ) -> impl Future<Output = Result<Self, StartError>> + Send;

    /// Builds the service from `own` settings given rather than read (the launcher, tests),
    /// after checking them.
    fn build_from(
        settings: Settings,
        own: Self::Own,
        shared: Shared,
    ) -> impl Future<Output = Result<Self, StartError>> + Send {
        async move {
            own.check().map_err(|message| StartError::Setting {
                setting: <Self::Own as OwnSettings>::SECTION,
                message,
            })?;
            Self::assemble(settings, own, shared).await
        }
    }

    /// Builds the service from its settings alone: its own section is read from the same
    /// sources, the reference data from `reference.dir`, its peers from `peers`.
    fn build(settings: Settings) -> impl Future<Output = Result<Self, StartError>> + Send {
        async move {
            let own = Self::Own::load(Self::DEFAULTS).map_err(|message| StartError::Setting {
                setting: <Self::Own as OwnSettings>::SECTION,
                message,
            })?;
            let shared = Shared::load(&settings)?;
            Self::build_from(settings, own, shared).await
        }
    }

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
