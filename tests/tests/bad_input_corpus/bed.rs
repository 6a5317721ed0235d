//! The four services the corpus calls: candidates, offers and matching on one broker namespace
//! (a pushed student and a published offer reach the others, as in production), notifications
//! on its own (nothing of the corpus is meant to reach it by events). A client per role of each,
//! and the two witnesses that a refused call changed nothing: the row count of every table of
//! every service, and the records each service has published.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::{PATIENCE, TestService, TopicReader};

/// The secret every service verifies tokens with, and the corpus signs them with.
pub const SECRET: &str = "bad-input-corpus-secret";
/// The company whose offers the corpus aims at.
pub const SIREN: &str = "732829320";
/// Another company.
pub const OTHER_SIREN: &str = "552100554";

type Authed = InterceptedService<Channel, BearerToken>;
/// A client of the offers service calling as one caller.
pub type Offers = OffersServiceClient<Authed>;
/// A client of the candidates service calling as one caller.
pub type Candidates = CandidatesServiceClient<Authed>;
/// A client of the matching service calling as one caller.
pub type Matching = MatchingServiceClient<Authed>;
/// A client of the notifications service calling as one caller.
pub type Notifications = NotificationsServiceClient<Authed>;

/// The four services, running for the corpus.
#[derive(Debug)]
pub struct Bed {
    pub candidates: TestService,
    pub offers: TestService,
    pub matching: TestService,
    pub notifications: TestService,
}

impl Bed {
    /// Starts candidates, then offers (calling it for contact data) and matching on its broker
    /// namespace, and notifications on a namespace of its own.
    pub async fn start() -> Self {
        let candidates = TestService::start::<vte_candidates::Application>(SECRET).await;
        let url = format!("http://{}", candidates.grpc_addr());
        let offers = TestService::builder(SECRET)
            .on(candidates.broker().clone())
            .settings(move |settings| settings.peers.candidates = url)
            .start::<vte_offers::Application>()
            .await;
        let matching = TestService::builder(SECRET)
            .on(candidates.broker().clone())
            .start::<vte_matching::Application>()
            .await;
        let notifications = TestService::start::<vte_notifications::Application>(SECRET).await;
        Self {
            candidates,
            offers,
            matching,
            notifications,
        }
    }

    pub fn offers(&self, caller: &Caller) -> Offers {
        OffersServiceClient::with_interceptor(
            self.offers.channel(),
            self.offers.bearer(Some(caller)),
        )
    }

    pub fn candidates(&self, caller: &Caller) -> Candidates {
        let token = self.candidates.bearer(Some(caller));
        CandidatesServiceClient::with_interceptor(self.candidates.channel(), token)
    }

    pub fn matching(&self, caller: &Caller) -> Matching {
        let token = self.matching.bearer(Some(caller));
        MatchingServiceClient::with_interceptor(self.matching.channel(), token)
    }

    pub fn notifications(&self, caller: &Caller) -> Notifications {
        let token = self.notifications.bearer(Some(caller));
        NotificationsServiceClient::with_interceptor(self.notifications.channel(), token)
    }

    /// The channel to `service` with `caller`'s token, for a call of raw bytes.
    pub fn raw(&self, service: &TestService, caller: &Caller) -> Authed {
        InterceptedService::new(service.channel(), service.bearer(Some(caller)))
    }

    /// Every service's database: its name, for messages, and a pool on it.
    fn pools(&self) -> [(&'static str, &PgPool); 4] {
        [
            ("candidates", self.candidates.pool()),
            ("offers", self.offers.pool()),
            ("matching", self.matching.pool()),
            ("notifications", self.notifications.pool()),
        ]
    }

    /// The number of rows of every table of every service (`service.table` -> count).
    pub async fn rows(&self) -> BTreeMap<String, i64> {
        let mut rows = BTreeMap::new();
        for (service, pool) in self.pools() {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT quote_ident(table_name) FROM information_schema.tables
                  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for table in tables {
                let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT count(*) FROM {table}"
                )))
                .fetch_one(pool)
                .await
                .unwrap();
                rows.insert(format!("{service}.{table}"), count);
            }
        }
        rows
    }

    /// The row counts once the services are quiet: the same in two reads 200 ms apart (the
    /// consumers of the fixtures' events have finished), within [`PATIENCE`].
    pub async fn settled_rows(&self) -> BTreeMap<String, i64> {
        let until = Instant::now() + PATIENCE;
        let mut last = self.rows().await;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = self.rows().await;
            if now == last {
                return now;
            }
            assert!(
                Instant::now() < until,
                "the services never settled: {now:#?}"
            );
            last = now;
        }
    }

    /// A reader of every topic of the platform per service, each waiting for that service's
    /// outbox to drain before it reads.
    pub fn readers(&self) -> Vec<(&'static str, TopicReader)> {
        let services = [
            ("candidates", &self.candidates),
            ("offers", &self.offers),
            ("matching", &self.matching),
            ("notifications", &self.notifications),
        ];
        services
            .into_iter()
            .map(|(name, service)| (name, service.reader(&vte_proto::TOPICS)))
            .collect()
    }
}

/// The callers of the corpus.
pub fn company(siren: &str) -> Caller {
    Caller::Company {
        siren: Siren::parse(siren).unwrap(),
    }
}

pub fn school(school_id: SchoolId) -> Caller {
    Caller::School { school_id }
}

pub fn candidate(candidate_id: CandidateId) -> Caller {
    Caller::Candidate { candidate_id }
}
