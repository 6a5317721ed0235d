//! The matching service started for tests on the test bed's harness (its own database and
//! broker namespace, a signed bearer token per caller), events published on the three topics it
//! consumes as the offers and candidates services would, and what it published on
//! `vte.matching.v1` read back. Also the fixtures: offers and profiles in real communes.

#![allow(clippy::unwrap_used, dead_code)]

pub mod fixtures;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::EventEnvelope;
use vte_matching::{Application, MatchingSettings};
use vte_proto::vte::matching::v1::MatchingEvent;
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_reference::ReferenceData;
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::TestService;

/// The secret the service verifies tokens with, and the tests sign them with.
pub const SECRET: &str = "matching-tests-secret";
/// The company owning the offers of these tests.
pub const SIREN: &str = "732829320";
/// Another company, which must rank nothing of the first one's.
pub const OTHER_SIREN: &str = "552100554";
/// How long tests wait for the service's background work.
pub const PATIENCE: Duration = vte_testbed::PATIENCE;

/// The reference data, loaded once per process.
pub fn reference() -> Arc<ReferenceData> {
    static REFERENCE: OnceLock<Arc<ReferenceData>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| Arc::new(ReferenceData::load(&vte_testbed::reference_dir()).unwrap()))
        .clone()
}

/// A client whose calls carry one caller's token.
pub type Client = MatchingServiceClient<InterceptedService<Channel, BearerToken>>;

/// The matching service running on loopback for one test.
#[derive(Debug)]
pub struct Matching {
    matching: MatchingSettings,
    pub pool: PgPool,
    service: TestService,
}

impl Matching {
    /// Starts the service with the default matching settings.
    pub async fn start() -> Self {
        Self::start_with(MatchingSettings::default()).await
    }

    /// Starts the service on a fresh database and broker namespace.
    pub async fn start_with(matching: MatchingSettings) -> Self {
        let service = TestService::builder(SECRET)
            .start_with(|settings| Application::build_with(settings, matching))
            .await;
        Self {
            matching,
            pool: service.pool().clone(),
            service,
        }
    }

    /// Stops the service and starts a new one on the same database and broker, as a restart
    /// or a new instance would: its index is built from the tables alone.
    pub async fn restart(&mut self) {
        let matching = self.matching;
        self.service
            .restart(|settings| Application::build_with(settings, matching))
            .await;
    }

    /// A client calling as `caller`, or without a token.
    pub fn client(&self, caller: Option<&Caller>) -> Client {
        MatchingServiceClient::with_interceptor(self.service.channel(), self.service.bearer(caller))
    }

    pub fn company(&self, siren: &str) -> Client {
        self.client(Some(&Caller::Company {
            siren: Siren::parse(siren).unwrap(),
        }))
    }

    /// The company owning the test offers.
    pub fn owner(&self) -> Client {
        self.company(SIREN)
    }

    pub fn candidate(&self, candidate_id: CandidateId) -> Client {
        self.client(Some(&Caller::Candidate { candidate_id }))
    }

    pub fn school(&self, school_id: SchoolId) -> Client {
        self.client(Some(&Caller::School { school_id }))
    }

    /// The website, with a token acting for `candidate` (`on_behalf_of`).
    pub fn site_for(&self, candidate: CandidateId) -> Client {
        let token = self.service.tokens().site_on_behalf_of(candidate);
        MatchingServiceClient::with_interceptor(self.service.channel(), token)
    }

    /// The website, with a token acting for no one.
    pub fn site(&self) -> Client {
        self.client(Some(&Caller::Site))
    }

    pub fn admin(&self) -> Client {
        self.client(Some(&Caller::Admin))
    }

    /// Publishes an envelope on its topic, keyed by its aggregate, as its producer would.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.service.publish(event).await;
    }

    /// Waits until the service has handled the event with this id.
    pub async fn handled(&self, event_id: &str) {
        self.service.wait_handled(event_id).await;
    }

    /// Publishes an event and waits until the service has handled it.
    pub async fn deliver<E: EventEnvelope>(&self, event: &E) {
        self.publish(event).await;
        self.handled(event.event_id()).await;
    }

    /// Every event the service published on `vte.matching.v1` so far (once the outbox is
    /// empty), read from the beginning of every partition up to its high watermark.
    pub async fn matching_events(&self) -> Vec<MatchingEvent> {
        let mut reader = self.service.reader(&[MatchingEvent::TOPIC]);
        let records = reader.new_records().await;
        records.iter().map(|record| record.decode()).collect()
    }
}
