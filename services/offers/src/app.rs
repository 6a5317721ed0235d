//! Builds the offers service from its settings and runs it until shutdown: the shared host
//! (database, auth, health, relay, erasure confirmations) plus the use cases ([`Offers`]) and
//! their three callers: the gRPC API, the consumer of `vte.candidates.v1` and the sweeps.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_proto::EventEnvelope;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::common::v1::PlatformService;
use vte_proto::vte::offers::v1::offers_service_server::OffersServiceServer;
use vte_service::contacts::ContactDirectory;
use vte_service::settings::OwnSettings;
use vte_service::{
    Pieces, RunError, Service, ServiceDefaults, ServiceHost, Settings, Shared, StartError,
};

use crate::config::OffersSettings;
use crate::consumer::CandidatesHandler;
use crate::grpc::OffersApi;
use crate::sweeps;
use crate::usecases::Offers;
use crate::usecases::labels::run_label_reminders;

/// The service's database schema, applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The host's optional pieces the service mounts: it keeps candidates' data, so it confirms
/// to the candidates service each erasure it applies.
fn pieces() -> Pieces {
    Pieces::confirming_erasures(PlatformService::Offers)
}

/// Every migration the service's database gets (the backbone's, its pieces', its own), for
/// tools and tests that prepare a database without starting the service.
pub fn migrations() -> Migrator {
    vte_service::host::migrations(&MIGRATOR, &pieces())
}

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
    const READS: &'static [&'static str] = &[CandidateEvent::TOPIC];
    type Own = OffersSettings;

    /// The shared host (database, auth, health, relay, erasure confirmations) plus the offers
    /// API, the consumer of `vte.candidates.v1` and the expiry sweeps.
    async fn assemble(
        settings: Settings,
        own: OffersSettings,
        shared: Shared,
    ) -> Result<Self, StartError> {
        let reference = shared.reference.clone();
        // The service keeps candidates' data, so it confirms each erasure it applies.
        let pieces = pieces();
        let mut host = ServiceHost::build_with(settings, &MIGRATOR, pieces).await?;
        let contacts = shared.contacts(&host.peers);
        let offers = Offers::new(
            host.pool.clone(),
            reference.clone(),
            shared.rules.clone(),
            contacts,
        )
        .with_invitations_per_day(own.invitations_per_company_per_day);
        let interceptor = host.auth.interceptor();
        host.grpc()
            .add_service(OffersServiceServer::with_interceptor(
                OffersApi::new(offers.clone()),
                interceptor,
            ));
        // What the service learns of candidates: their school, and their erasure.
        let candidates = host.consumer().on::<CandidateEvent, _>(CandidatesHandler);
        host.consume(candidates);
        let pool = host.pool.clone();
        let period = own.sweep_every();
        let rules = shared.rules.clone();
        host.spawn("expiry sweeps", move |stop| async move {
            sweeps::run(pool, reference, rules, period, stop).await;
            Ok(())
        });
        // The reminders before a label request window closes, on the sweeps' period.
        host.spawn("label reminders", move |stop| async move {
            run_label_reminders(offers, period, stop).await;
            Ok(())
        });
        Ok(Self { host })
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
    /// instead of the candidates service ([`Service::build`] asks the candidates service).
    pub async fn build_with(
        settings: Settings,
        contacts: Arc<dyn ContactDirectory>,
    ) -> Result<Self, StartError> {
        let own = OffersSettings::load(Self::DEFAULTS).map_err(|message| StartError::Setting {
            setting: OffersSettings::SECTION,
            message,
        })?;
        let shared = Shared::load(&settings)?.with_contacts(contacts);
        Self::build_from(settings, own, shared).await
    }
}
