//! Builds the matching service from its settings and runs it until shutdown: the shared host
//! (database, auth, health, relay), the index loaded from the read model, its follower, the
//! consumer of the four topics and the matching API.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use vte_proto::EventEnvelope;
use vte_proto::vte::applications::v1::ApplicationEvent;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::common::v1::PlatformService;
use vte_proto::vte::matching::v1::matching_service_server::MatchingServiceServer;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::placements::v1::PlacementEvent;
use vte_service::{
    Pieces, RunError, Service, ServiceDefaults, ServiceHost, Settings, Shared, StartError,
};

use crate::config::MatchingSettings;
use crate::consumer::Handlers;
use crate::follower::{self, Follower};
use crate::grpc::MatchingApi;
use crate::impressions::recorder as impressions;
use crate::spread;
use crate::usecases::Matching;

/// The service's database schema, applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The host's optional pieces the service mounts: it keeps candidates' data, so it confirms
/// to the candidates service each erasure it applies.
fn pieces() -> Pieces {
    Pieces::confirming_erasures(PlatformService::Matching)
}

/// Every migration the service's database gets (the backbone's, its pieces', its own), for
/// tools and tests that prepare a database without starting the service.
pub fn migrations() -> Migrator {
    vte_service::host::migrations(&MIGRATOR, &pieces())
}

/// The matching service, built and ready to run.
#[derive(Debug)]
pub struct Application {
    host: ServiceHost,
}

impl Application {
    /// Builds the service with its own settings given rather than read from the environment.
    pub async fn build_with(
        settings: Settings,
        matching: MatchingSettings,
    ) -> Result<Self, StartError> {
        let shared = Shared::load(&settings)?;
        Self::build_from(settings, matching, shared).await
    }
}

impl Service for Application {
    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "matching",
        grpc_port: 50053,
        metrics_port: 9453,
    };
    const READS: &'static [&'static str] = &[
        OfferEvent::TOPIC,
        CandidateEvent::TOPIC,
        ApplicationEvent::TOPIC,
        PlacementEvent::TOPIC,
    ];
    type Own = MatchingSettings;

    async fn assemble(
        settings: Settings,
        matching: MatchingSettings,
        shared: Shared,
    ) -> Result<Self, StartError> {
        let (reference, rules) = (shared.reference, shared.rules);
        let mut host = ServiceHost::build_with(settings, &MIGRATOR, pieces()).await?;
        let (index, cursor) = follower::load(&host.pool, &reference, &rules).await?;
        let index = Arc::new(RwLock::new(index));
        let follower = Follower::new(host.pool.clone(), index, reference.clone(), rules, cursor);
        let recorder = impressions::start(&mut host, matching.impressions)?;
        let usecases =
            Matching::new(follower.clone(), reference.clone(), matching).with_impressions(recorder);
        if matching.spread.enabled {
            let (pool, exposure) = (host.pool.clone(), usecases.exposure().clone());
            let (settings, recorded) = (matching.spread, matching.impressions.enabled);
            host.spawn("exposure refresh", move |stop| async move {
                spread::exposure::refresh(pool, exposure, settings, recorded, stop).await;
                Ok(())
            });
        }
        let api = MatchingApi::new(usecases, reference.clone());
        let interceptor = host.auth.interceptor();
        host.grpc()
            .add_service(MatchingServiceServer::with_interceptor(api, interceptor));
        let handlers = Handlers {
            follower: follower.clone(),
            reference: reference.clone(),
            settings: matching,
        };
        let consumer = host
            .consumer()
            .on::<OfferEvent, _>(handlers.clone())
            .on::<CandidateEvent, _>(handlers.clone())
            .on::<ApplicationEvent, _>(handlers.clone())
            .on::<PlacementEvent, _>(handlers);
        host.consume(consumer);
        host.spawn("index follower", move |stop| async move {
            follower.follow(stop).await;
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
