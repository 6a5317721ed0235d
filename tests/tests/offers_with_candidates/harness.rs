//! The candidates service and the offers service calling it for contact data, started for one
//! test on the test bed's harness on one broker namespace, with a client per role of each.

use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::{TestService, eventually};

/// The secret both services verify tokens with, and the tests sign them with.
pub const SECRET: &str = "offers-with-candidates-secret";
/// The company that owns the offers of these tests.
pub const SIREN: &str = "732829320";
/// Another company.
pub const OTHER_SIREN: &str = "552100554";
/// How long the tests wait for the services' background work.
pub const PATIENCE: Duration = vte_testbed::PATIENCE;

/// A client of the offers service whose calls carry one caller's token.
pub type Client = OffersServiceClient<InterceptedService<Channel, BearerToken>>;

/// Both services, running for one test.
#[derive(Debug)]
pub struct Api {
    offers: TestService,
    candidates: TestService,
}

impl Api {
    /// Starts the candidates service, then the offers service calling it.
    pub async fn start() -> Self {
        let candidates = TestService::start::<vte_candidates::Application>(SECRET).await;
        let url = format!("http://{}", candidates.grpc_addr());
        let offers = TestService::builder(SECRET)
            .on(candidates.broker().clone())
            .settings(move |settings| settings.peers.candidates = url)
            .start::<vte_offers::Application>()
            .await;
        Self { offers, candidates }
    }

    /// A client of the offers service calling as `caller`.
    pub fn client(&self, caller: &Caller) -> Client {
        OffersServiceClient::with_interceptor(
            self.offers.channel(),
            self.offers.bearer(Some(caller)),
        )
    }

    /// A client of the candidates service calling as `caller`.
    pub fn candidates_client(
        &self,
        caller: &Caller,
    ) -> CandidatesServiceClient<InterceptedService<Channel, BearerToken>> {
        let token = self.candidates.bearer(Some(caller));
        CandidatesServiceClient::with_interceptor(self.candidates.channel(), token)
    }

    /// The company that owns the offers ([`SIREN`]).
    pub fn owner(&self) -> Client {
        self.company(SIREN)
    }

    /// Another company ([`OTHER_SIREN`]).
    pub fn other_company(&self) -> Client {
        self.company(OTHER_SIREN)
    }

    fn company(&self, siren: &str) -> Client {
        let siren = Siren::parse(siren).unwrap();
        self.client(&Caller::Company { siren })
    }

    /// A candidate acting for themself.
    pub fn candidate(&self, candidate_id: CandidateId) -> Client {
        self.client(&Caller::Candidate { candidate_id })
    }

    /// A school's information system.
    pub fn school(&self, school_id: SchoolId) -> Client {
        self.client(&Caller::School { school_id })
    }

    /// A platform operator.
    pub fn admin(&self) -> Client {
        self.client(&Caller::Admin)
    }

    /// Returns once the offers service has recorded `candidate` as a student of `school`.
    pub async fn wait_until_known(&self, candidate: CandidateId, school: SchoolId) {
        let pool = self.offers.pool();
        let what = format!("the offers service to learn the school of candidate {candidate}");
        eventually(&what, PATIENCE, || async move {
            let known: Option<Option<uuid::Uuid>> =
                sqlx::query_scalar("SELECT school_id FROM candidates WHERE id = $1")
                    .bind(candidate.as_uuid())
                    .fetch_optional(pool)
                    .await
                    .ok()?;
            (known.flatten() == Some(school.as_uuid())).then_some(())
        })
        .await;
    }
}
