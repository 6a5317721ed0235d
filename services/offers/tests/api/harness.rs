//! The offers service started for API tests: its own database and broker, a gRPC client per role
//! carrying a signed bearer token, the outbox and the broker's topics to count events, and a way
//! to make a candidate known to the service with their school (an event on `vte.candidates.v1`,
//! as the candidates service would publish it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::{EventEnvelope, Topics};
use vte_offers::Application;
use vte_proto::vte::applications::v1::{ApplicationEvent, application_event};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, CandidateProfile, CandidateProfileChanged, candidate_event,
};
use vte_proto::vte::common::v1::EducationLevel;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{OfferEvent, offer_event};
use vte_proto::vte::placements::v1::{PlacementEvent, placement_event};
use vte_service::auth::{BearerToken, Caller, Claims};
use vte_service::{Service, Settings};
use vte_testbed::{TestDatabase, TestKafka, eventually};

/// The secret the service verifies tokens with, and the tests sign them with.
pub const SECRET: &str = "offers-api-tests-secret";
/// The company that owns most offers in these tests.
pub const SIREN: &str = "732829320";
/// Another company, which must see and change nothing of the first one's.
pub const OTHER_SIREN: &str = "552100554";
/// A third company, for tests that need one more.
pub const THIRD_SIREN: &str = "356000000";

/// How long the tests wait for the service's background work (relay, consumer).
pub const PATIENCE: Duration = Duration::from_secs(30);
/// Partitions of the topics the tests create.
const PARTITIONS: i32 = 3;
/// The topics the offers service produces, which the tests count events on.
pub const PRODUCED: [&str; 3] = [
    OfferEvent::TOPIC,
    ApplicationEvent::TOPIC,
    PlacementEvent::TOPIC,
];

/// A client of the offers service whose calls carry one caller's token (or none).
pub type Client = OffersServiceClient<InterceptedService<Channel, BearerToken>>;

/// A token signed with [`SECRET`] for `caller`, or none.
fn bearer(caller: Option<&Caller>) -> BearerToken {
    caller.map_or_else(BearerToken::anonymous, |caller| {
        let subject = format!("account-of-{}", caller.role().as_str());
        let claims = Claims::new(caller, subject, chrono::Duration::minutes(30));
        BearerToken::hs256(SECRET, &claims).unwrap()
    })
}

/// The offers service, running on loopback for one test.
#[derive(Debug)]
pub struct Api {
    channel: Channel,
    pool: PgPool,
    topics: Topics,
    shutdown: CancellationToken,
    kafka: TestKafka,
    _database: TestDatabase,
    /// The real candidates service beside it, which owns contact data.
    candidates: Channel,
    _candidates_database: TestDatabase,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Api {
    /// Starts `vte_offers::Application` on a fresh database and broker.
    pub async fn start() -> Self {
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
        // Namespaced, so the same tests run against a shared external cluster too.
        settings.kafka.namespace = format!("{}.", kafka.namespace());
        let topics = settings.kafka.topics();
        kafka.create_topics(topics.platform(PARTITIONS)).await;
        let shutdown = CancellationToken::new();
        // The candidates service, which owns contact data, on the same broker.
        let candidates_database = TestDatabase::create().await;
        let mut candidates_settings = Settings::local(
            vte_candidates::Application::DEFAULTS,
            &candidates_database.url(),
            kafka.brokers(),
            SECRET,
            &vte_testbed::reference_dir(),
        );
        candidates_settings.kafka = settings.kafka.clone();
        let candidates_service = vte_candidates::Application::build(candidates_settings)
            .await
            .expect("the candidates service did not build");
        let candidates_addr = candidates_service.grpc_addr();
        tokio::spawn(candidates_service.run_until_stopped(shutdown.clone()));
        settings.peers.candidates = format!("http://{candidates_addr}");
        let service = Application::build(settings)
            .await
            .expect("the offers service did not build");
        let addr = service.grpc_addr();
        tokio::spawn(service.run_until_stopped(shutdown.clone()));
        let candidates =
            tonic::transport::Endpoint::from_shared(format!("http://{candidates_addr}"))
                .unwrap()
                .connect()
                .await
                .expect("cannot connect to the candidates service");
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("cannot connect to the offers service");
        let pool = database.pool().await;
        Self {
            channel,
            pool,
            topics,
            shutdown,
            kafka,
            _database: database,
            candidates,
            _candidates_database: candidates_database,
        }
    }

    /// A client calling as `caller`, or without a token for `None`.
    pub fn client(&self, caller: Option<&Caller>) -> Client {
        OffersServiceClient::with_interceptor(self.channel.clone(), bearer(caller))
    }

    /// A client of the candidates service calling as `caller`.
    pub fn candidates_client(
        &self,
        caller: &Caller,
    ) -> CandidatesServiceClient<InterceptedService<Channel, BearerToken>> {
        CandidatesServiceClient::with_interceptor(self.candidates.clone(), bearer(Some(caller)))
    }

    /// A client without any token.
    pub fn anonymous(&self) -> Client {
        self.client(None)
    }

    /// A company, by its SIREN.
    pub fn company(&self, siren: &str) -> Client {
        let siren = Siren::parse(siren).unwrap();
        self.client(Some(&Caller::Company { siren }))
    }

    /// The company that owns most offers in these tests ([`SIREN`]).
    pub fn owner(&self) -> Client {
        self.company(SIREN)
    }

    /// Another company ([`OTHER_SIREN`]).
    pub fn other_company(&self) -> Client {
        self.company(OTHER_SIREN)
    }

    /// A candidate acting for themself.
    pub fn candidate(&self, candidate_id: CandidateId) -> Client {
        self.client(Some(&Caller::Candidate { candidate_id }))
    }

    /// A school's information system.
    pub fn school(&self, school_id: SchoolId) -> Client {
        self.client(Some(&Caller::School { school_id }))
    }

    /// The vte-france website.
    pub fn site(&self) -> Client {
        self.client(Some(&Caller::Site))
    }

    /// Bpifrance staff.
    pub fn bpifrance(&self) -> Client {
        self.client(Some(&Caller::Bpifrance))
    }

    /// A platform operator.
    pub fn admin(&self) -> Client {
        self.client(Some(&Caller::Admin))
    }

    /// Another service of the platform.
    pub fn service(&self) -> Client {
        self.client(Some(&Caller::Service))
    }

    /// The outbox rows still waiting for the relay, in commit order (the relay deletes a row
    /// once the broker has it: count events with [`EventLog`] instead).
    pub async fn outbox(&self) -> Vec<OutboxRow> {
        sqlx::query_as::<_, (String, String, Vec<u8>)>(
            "SELECT topic, message_key, payload FROM outbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(topic, message_key, payload)| OutboxRow {
            topic,
            message_key,
            payload,
        })
        .collect()
    }

    /// Reads the topics the service produces, from their beginning.
    pub fn events(&self) -> EventLog {
        EventLog::new(self)
    }

    /// A new candidate of `school`, made known to the service as the candidates service would:
    /// a `CandidateProfileChanged` on `vte.candidates.v1`. Returns once the service has recorded
    /// the candidate's school.
    pub async fn enrol(&self, school: SchoolId) -> CandidateId {
        let candidate = CandidateId::new();
        self.publish_profile(candidate, school).await;
        self.wait_until_known(candidate, school).await;
        candidate
    }

    /// Returns once the service has recorded `candidate` as a student of `school`.
    pub async fn wait_until_known(&self, candidate: CandidateId, school: SchoolId) {
        let pool = self.pool.clone();
        let what = format!("the service to learn the school of candidate {candidate}");
        eventually(&what, PATIENCE, || {
            let pool = pool.clone();
            async move {
                let known: Option<Option<uuid::Uuid>> =
                    sqlx::query_scalar("SELECT school_id FROM candidates WHERE id = $1")
                        .bind(candidate.as_uuid())
                        .fetch_optional(&pool)
                        .await
                        .ok()?;
                (known.flatten() == Some(school.as_uuid())).then_some(())
            }
        })
        .await;
    }

    async fn publish_profile(&self, candidate: CandidateId, school: SchoolId) {
        let profile = CandidateProfile {
            id: candidate.to_string(),
            school_id: school.to_string(),
            school_student_ref: format!("etu-{}", &candidate.to_string()[..8]),
            status: AcademicStatus::Graduate as i32,
            level: EducationLevel::Bac5 as i32,
            field_of_study: "génie mécanique".to_owned(),
            diploma: "Diplôme d'ingénieur".to_owned(),
            revision: 1,
            ..CandidateProfile::default()
        };
        let event = CandidateEvent {
            event_id: vte_events::new_event_id(),
            occurred_at: Some(vte_events::now_timestamp()),
            candidate_id: candidate.to_string(),
            event: Some(candidate_event::Event::ProfileChanged(
                CandidateProfileChanged {
                    profile: Some(profile),
                    matchable: false,
                    created: true,
                },
            )),
        };
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", self.kafka.brokers())
            .create()
            .unwrap();
        let topic = self.topics.topic(CandidateEvent::TOPIC);
        let key = candidate.to_string();
        let payload = event.encode_to_vec();
        producer
            .send(
                FutureRecord::to(&topic).key(&key).payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(error, _)| error)
            .expect("cannot publish a candidate event");
    }
}

/// One row of the outbox.
#[derive(Debug, Clone)]
#[allow(dead_code)] // shown whole in failure messages
pub struct OutboxRow {
    /// Logical topic, e.g. `vte.offers.v1`.
    pub topic: String,
    /// The aggregate id.
    pub message_key: String,
    /// The encoded envelope.
    pub payload: Vec<u8>,
}

/// An event the service published, as read back from the broker.
#[derive(Debug, Clone)]
pub struct Published {
    /// Logical topic.
    pub topic: &'static str,
    /// The Kafka key.
    pub key: String,
    /// The envelope.
    pub event: Envelope,
}

/// The decoded envelope of a published event.
#[derive(Debug, Clone)]
pub enum Envelope {
    Offer(Box<OfferEvent>),
    Application(Box<ApplicationEvent>),
    Placement(Box<PlacementEvent>),
}

impl Published {
    /// The aggregate id the envelope names.
    pub fn aggregate_id(&self) -> &str {
        match &self.event {
            Envelope::Offer(event) => &event.offer_id,
            Envelope::Application(event) => &event.application_id,
            Envelope::Placement(event) => &event.placement_id,
        }
    }

    /// The event's name, as in the contract (`OfferDrafted`, `ApplicationSubmitted`...).
    pub fn kind(&self) -> &'static str {
        use application_event::Event as A;
        use offer_event::Event as O;
        use placement_event::Event as P;
        match &self.event {
            Envelope::Offer(event) => match event.event {
                Some(O::Drafted(_)) => "OfferDrafted",
                Some(O::Published(_)) => "OfferPublished",
                Some(O::Updated(_)) => "OfferUpdated",
                Some(O::Filled(_)) => "OfferFilled",
                Some(O::Closed(_)) => "OfferClosed",
                Some(O::Expired(_)) => "OfferExpired",
                None => "unknown offer event",
            },
            Envelope::Application(event) => match event.event {
                Some(A::Submitted(_)) => "ApplicationSubmitted",
                Some(A::ReviewStarted(_)) => "ApplicationReviewStarted",
                Some(A::InterviewScheduled(_)) => "ApplicationInterviewScheduled",
                Some(A::Accepted(_)) => "ApplicationAccepted",
                Some(A::Refused(_)) => "ApplicationRefused",
                Some(A::Withdrawn(_)) => "ApplicationWithdrawn",
                Some(A::MadeObsolete(_)) => "ApplicationMadeObsolete",
                Some(A::Expired(_)) => "ApplicationExpired",
                None => "unknown application event",
            },
            Envelope::Placement(event) => match event.event {
                Some(P::Started(_)) => "PlacementStarted",
                Some(P::Completed(_)) => "PlacementCompleted",
                Some(P::EndedEarly(_)) => "PlacementEndedEarly",
                Some(P::LabelGranted(_)) => "LabelGranted",
                Some(P::LabelRefused(_)) => "LabelRefused",
                None => "unknown placement event",
            },
        }
    }

    /// The revision of the aggregate state the event carries.
    pub fn revision(&self) -> u64 {
        use application_event::Event as A;
        use offer_event::Event as O;
        use placement_event::Event as P;
        let offer = |offer: &Option<vte_proto::vte::offers::v1::Offer>| {
            offer.as_ref().map_or(0, |offer| offer.revision)
        };
        let application = |application: &Option<vte_proto::vte::applications::v1::Application>| {
            application
                .as_ref()
                .map_or(0, |application| application.revision)
        };
        let placement = |placement: &Option<vte_proto::vte::placements::v1::Placement>| {
            placement.as_ref().map_or(0, |placement| placement.revision)
        };
        match &self.event {
            Envelope::Offer(event) => match &event.event {
                Some(O::Drafted(e)) => offer(&e.offer),
                Some(O::Published(e)) => offer(&e.offer),
                Some(O::Updated(e)) => offer(&e.offer),
                Some(O::Filled(e)) => offer(&e.offer),
                Some(O::Closed(e)) => offer(&e.offer),
                Some(O::Expired(e)) => offer(&e.offer),
                None => 0,
            },
            Envelope::Application(event) => match &event.event {
                Some(A::Submitted(e)) => application(&e.application),
                Some(A::ReviewStarted(e)) => application(&e.application),
                Some(A::InterviewScheduled(e)) => application(&e.application),
                Some(A::Accepted(e)) => application(&e.application),
                Some(A::Refused(e)) => application(&e.application),
                Some(A::Withdrawn(e)) => application(&e.application),
                Some(A::MadeObsolete(e)) => application(&e.application),
                Some(A::Expired(e)) => application(&e.application),
                None => 0,
            },
            Envelope::Placement(event) => match &event.event {
                Some(P::Started(e)) => placement(&e.placement),
                Some(P::Completed(e)) => placement(&e.placement),
                Some(P::EndedEarly(e)) => placement(&e.placement),
                Some(P::LabelGranted(e)) => placement(&e.placement),
                Some(P::LabelRefused(e)) => placement(&e.placement),
                None => 0,
            },
        }
    }
}

/// Everything the service published on its three topics, read with a plain consumer assigned
/// to every partition from the beginning. [`EventLog::new_events`] returns what was published
/// since its last call, and nothing is missed: it first waits for the outbox to be empty (every
/// committed event acknowledged by the broker), then reads every partition up to its high
/// watermark.
pub struct EventLog {
    consumer: Arc<StreamConsumer>,
    pool: PgPool,
    topics: Topics,
    /// Every partition read: (deployed topic, partition).
    partitions: Vec<(String, i32)>,
    /// The next offset to read, per partition.
    next: HashMap<(String, i32), i64>,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl EventLog {
    fn new(api: &Api) -> Self {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", api.kafka.brokers())
            .set(
                "group.id",
                api.kafka.name(&format!("reader-{}", uuid::Uuid::new_v4())),
            )
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .unwrap();
        let mut assignment = TopicPartitionList::new();
        let mut partitions = Vec::new();
        for logical in PRODUCED {
            let topic = api.topics.topic(logical);
            for partition in 0..PARTITIONS {
                assignment
                    .add_partition_offset(&topic, partition, Offset::Beginning)
                    .unwrap();
                partitions.push((topic.clone(), partition));
            }
        }
        consumer.assign(&assignment).unwrap();
        let next = partitions.iter().map(|p| (p.clone(), 0)).collect();
        Self {
            consumer: Arc::new(consumer),
            pool: api.pool.clone(),
            topics: api.topics.clone(),
            partitions,
            next,
        }
    }

    /// Every event published since the last call (since the service started, the first time),
    /// in the order read (per key, the order published).
    pub async fn new_events(&mut self) -> Vec<Published> {
        let pool = self.pool.clone();
        eventually("the outbox to be relayed to the broker", PATIENCE, || {
            let pool = pool.clone();
            async move {
                let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                (waiting == 0).then_some(())
            }
        })
        .await;
        let consumer = self.consumer.clone();
        let partitions = self.partitions.clone();
        let high: Vec<i64> = tokio::task::spawn_blocking(move || {
            partitions
                .iter()
                .map(|(topic, partition)| {
                    consumer
                        .fetch_watermarks(topic, *partition, Duration::from_secs(10))
                        .unwrap()
                        .1
                })
                .collect()
        })
        .await
        .unwrap();
        let mut read = Vec::new();
        while self
            .partitions
            .iter()
            .zip(&high)
            .any(|(partition, high)| self.next[partition] < *high)
        {
            let message = tokio::time::timeout(PATIENCE, self.consumer.recv())
                .await
                .expect("the broker holds records the reader cannot get")
                .unwrap();
            let topic = message.topic().to_owned();
            self.next
                .insert((topic.clone(), message.partition()), message.offset() + 1);
            let key = String::from_utf8(message.key().unwrap_or_default().to_vec()).unwrap();
            let payload = message.payload().unwrap_or_default();
            let logical = self.topics.logical(&topic).unwrap_or(&topic).to_owned();
            let (topic, event) = if logical == OfferEvent::TOPIC {
                let event = OfferEvent::decode(payload).unwrap();
                (OfferEvent::TOPIC, Envelope::Offer(Box::new(event)))
            } else if logical == ApplicationEvent::TOPIC {
                let event = ApplicationEvent::decode(payload).unwrap();
                (
                    ApplicationEvent::TOPIC,
                    Envelope::Application(Box::new(event)),
                )
            } else if logical == PlacementEvent::TOPIC {
                let event = PlacementEvent::decode(payload).unwrap();
                (PlacementEvent::TOPIC, Envelope::Placement(Box::new(event)))
            } else {
                panic!("a record from an unexpected topic {logical}");
            };
            read.push(Published { topic, key, event });
        }
        read
    }
}

/// The events of a list as `(topic, aggregate id, event name)`, sorted: what tests compare
/// (one state change touches each aggregate at most once, so sorting loses no order).
pub fn summary(events: &[Published]) -> Vec<(&'static str, String, &'static str)> {
    let mut summary: Vec<_> = events
        .iter()
        .map(|event| (event.topic, event.aggregate_id().to_owned(), event.kind()))
        .collect();
    summary.sort();
    summary
}
