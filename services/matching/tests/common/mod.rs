//! The matching service started for tests: its own database and broker, a gRPC client per role
//! carrying a signed bearer token, events published on the three topics it consumes as the
//! offers and candidates services would, and what it published on `vte.matching.v1` read back.
//! Also the fixtures: offers and profiles in real communes.

#![allow(clippy::unwrap_used, dead_code)]

pub mod fixtures;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::{EventEnvelope, Topics};
use vte_matching::{Application, MatchingSettings};
use vte_proto::vte::matching::v1::MatchingEvent;
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_reference::ReferenceData;
use vte_service::auth::{BearerToken, Caller, Claims};
use vte_service::{Service, Settings};
use vte_testbed::{TestDatabase, TestKafka, eventually};

/// The secret the service verifies tokens with, and the tests sign them with.
pub const SECRET: &str = "matching-tests-secret";
/// The company owning the offers of these tests.
pub const SIREN: &str = "732829320";
/// Another company, which must rank nothing of the first one's.
pub const OTHER_SIREN: &str = "552100554";
/// How long tests wait for the service's background work.
pub const PATIENCE: Duration = Duration::from_secs(30);
const PARTITIONS: i32 = 3;

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
pub struct Matching {
    channel: Channel,
    settings: Settings,
    matching: MatchingSettings,
    pub pool: PgPool,
    topics: Topics,
    shutdown: CancellationToken,
    kafka: TestKafka,
    _database: TestDatabase,
}

impl std::fmt::Debug for Matching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matching").finish_non_exhaustive()
    }
}

impl Drop for Matching {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Matching {
    /// Starts the service with the default matching settings.
    pub async fn start() -> Self {
        Self::start_with(MatchingSettings::default()).await
    }

    /// Starts the service on a fresh database and broker.
    pub async fn start_with(matching: MatchingSettings) -> Self {
        vte_testbed::init_tracing();
        let database = TestDatabase::create().await;
        let kafka = TestKafka::start();
        let mut settings = Settings::local(
            Application::DEFAULTS,
            &database.url(),
            kafka.brokers(),
            SECRET,
            &vte_testbed::reference_dir(),
        );
        settings.kafka.create_topics = !kafka.is_embedded();
        settings.kafka.namespace = format!("{}.", kafka.namespace());
        let topics = settings.kafka.topics();
        kafka.create_topics(topics.platform(PARTITIONS)).await;
        let service = Application::build_with(settings.clone(), matching)
            .await
            .expect("the matching service did not build");
        let addr = service.grpc_addr();
        let shutdown = CancellationToken::new();
        tokio::spawn(service.run_until_stopped(shutdown.clone()));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("cannot connect to the matching service");
        Self {
            channel,
            settings,
            matching,
            pool: database.pool().await,
            topics,
            shutdown,
            kafka,
            _database: database,
        }
    }

    /// Stops the service and starts a new one on the same database and broker, as a restart
    /// or a new instance would: its index is built from the tables alone.
    pub async fn restart(&mut self) {
        self.shutdown.cancel();
        let service = Application::build_with(self.settings.clone(), self.matching)
            .await
            .expect("the matching service did not build again");
        let addr = service.grpc_addr();
        self.shutdown = CancellationToken::new();
        tokio::spawn(service.run_until_stopped(self.shutdown.clone()));
        self.channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("cannot connect to the restarted matching service");
    }

    /// A client calling as `caller`, or without a token.
    pub fn client(&self, caller: Option<&Caller>) -> Client {
        let token = caller.map_or_else(BearerToken::anonymous, |caller| {
            let claims = Claims::new(caller, "tester".to_owned(), chrono::Duration::minutes(30));
            BearerToken::hs256(SECRET, &claims).unwrap()
        });
        MatchingServiceClient::with_interceptor(self.channel.clone(), token)
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

    pub fn admin(&self) -> Client {
        self.client(Some(&Caller::Admin))
    }

    /// Publishes an envelope on its topic, keyed by its aggregate, as its producer would.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.kafka
            .publish(
                &self.topics.topic(E::TOPIC),
                event.key(),
                &event.encode_to_vec(),
            )
            .await;
    }

    /// Waits until the service has handled the event with this id.
    pub async fn handled(&self, event_id: &str) {
        let id = uuid::Uuid::parse_str(event_id).unwrap();
        eventually("the service to handle an event", PATIENCE, || async {
            let done = vte_events::consumer::processed(&self.pool, id).await.ok()?;
            done.then_some(())
        })
        .await;
    }

    /// Publishes an event and waits until the service has handled it.
    pub async fn deliver<E: EventEnvelope>(&self, event: &E) {
        self.publish(event).await;
        self.handled(event.event_id()).await;
    }

    /// Every event the service published on `vte.matching.v1` so far (once the outbox is
    /// empty), read from the beginning of every partition up to its high watermark.
    pub async fn matching_events(&self) -> Vec<MatchingEvent> {
        let pool = self.pool.clone();
        eventually("the outbox to be relayed", PATIENCE, || {
            let pool = pool.clone();
            async move {
                let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
                    .fetch_one(&pool)
                    .await
                    .ok()?;
                (waiting == 0).then_some(())
            }
        })
        .await;
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.kafka.brokers())
            .set(
                "group.id",
                self.kafka.name(&format!("reader-{}", uuid::Uuid::new_v4())),
            )
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let topic = self.topics.topic(MatchingEvent::TOPIC);
        let mut assignment = TopicPartitionList::new();
        for partition in 0..PARTITIONS {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&assignment).unwrap();
        let consumer = Arc::new(consumer);
        let (c, t) = (consumer.clone(), topic.clone());
        let high: HashMap<i32, i64> = tokio::task::spawn_blocking(move || {
            (0..PARTITIONS)
                .map(|p| {
                    (
                        p,
                        c.fetch_watermarks(&t, p, Duration::from_secs(10))
                            .unwrap()
                            .1,
                    )
                })
                .collect()
        })
        .await
        .unwrap();
        let mut next: HashMap<i32, i64> = (0..PARTITIONS).map(|p| (p, 0)).collect();
        let mut events = Vec::new();
        while (0..PARTITIONS).any(|p| next[&p] < high[&p]) {
            let message = tokio::time::timeout(PATIENCE, consumer.recv())
                .await
                .unwrap()
                .unwrap();
            next.insert(message.partition(), message.offset() + 1);
            events.push(MatchingEvent::decode(message.payload().unwrap_or_default()).unwrap());
        }
        events
    }
}
