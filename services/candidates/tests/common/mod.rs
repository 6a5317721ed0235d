//! The candidates service started for tests: its own database and broker, a gRPC client per
//! role carrying a signed token, valid profile rows, and the events it published read back
//! from the broker as raw bytes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_candidates::Application;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::{EventEnvelope, Topics};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, Contact, MissionTypeWeight, Preferences, ProfileRow,
    PushProfilesBatchRequest, PushSummary,
};
use vte_proto::vte::common::v1::{
    CefrLevel, ContractKind, Date, EducationLevel, LanguageSkill, MissionType,
};
use vte_service::auth::{BearerToken, Caller, Claims};
use vte_service::{Service, Settings};
use vte_testbed::{TestDatabase, TestKafka, eventually};

pub const SECRET: &str = "candidates-tests-secret";
pub const PATIENCE: Duration = Duration::from_secs(30);
const PARTITIONS: i32 = 3;

pub type Client = CandidatesServiceClient<InterceptedService<Channel, BearerToken>>;

/// The candidates service on loopback for one test.
pub struct Api {
    channel: Channel,
    pub pool: PgPool,
    topics: Topics,
    shutdown: CancellationToken,
    pub kafka: TestKafka,
    _database: TestDatabase,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Api {
    pub async fn start() -> Self {
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
        let service = Application::build(settings)
            .await
            .expect("the candidates service did not build");
        let addr = service.grpc_addr();
        let shutdown = CancellationToken::new();
        tokio::spawn(service.run_until_stopped(shutdown.clone()));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("cannot connect to the candidates service");
        let pool = database.pool().await;
        Self {
            channel,
            pool,
            topics,
            shutdown,
            kafka,
            _database: database,
        }
    }

    pub fn client(&self, caller: Option<&Caller>) -> Client {
        let token = caller.map_or_else(BearerToken::anonymous, |caller| {
            let subject = match caller {
                Caller::Service => "offers".to_owned(),
                other => format!("account-of-{}", other.role().as_str()),
            };
            let claims = Claims::new(caller, subject, chrono::Duration::minutes(30));
            BearerToken::hs256(SECRET, &claims).unwrap()
        });
        CandidatesServiceClient::with_interceptor(self.channel.clone(), token)
            .max_decoding_message_size(16 * 1024 * 1024)
    }

    /// A service calling as `subject` (its service name).
    pub fn service_as(&self, subject: &str) -> Client {
        let claims = Claims::new(&Caller::Service, subject, chrono::Duration::minutes(30));
        let token = BearerToken::hs256(SECRET, &claims).unwrap();
        CandidatesServiceClient::with_interceptor(self.channel.clone(), token)
    }

    pub fn school(&self, school_id: SchoolId) -> Client {
        self.client(Some(&Caller::School { school_id }))
    }

    pub fn candidate(&self, candidate_id: CandidateId) -> Client {
        self.client(Some(&Caller::Candidate { candidate_id }))
    }

    pub fn company(&self) -> Client {
        let siren = Siren::parse("732829320").unwrap();
        self.client(Some(&Caller::Company { siren }))
    }

    pub fn site(&self) -> Client {
        self.client(Some(&Caller::Site))
    }

    pub fn admin(&self) -> Client {
        self.client(Some(&Caller::Admin))
    }

    pub fn service(&self) -> Client {
        self.client(Some(&Caller::Service))
    }

    /// Pushes `rows` in one batch as `school`.
    pub async fn push(&self, school: SchoolId, rows: Vec<ProfileRow>) -> PushSummary {
        self.school(school)
            .push_profiles_batch(PushProfilesBatchRequest {
                school_id: String::new(),
                rows,
            })
            .await
            .expect("push refused")
            .into_inner()
            .summary
            .unwrap()
    }

    /// The candidate id of a pushed student.
    pub async fn candidate_id(&self, school: SchoolId, school_ref: &str) -> CandidateId {
        let id: uuid::Uuid = sqlx::query_scalar(
            "SELECT id FROM profiles WHERE school_id = $1 AND school_student_ref = $2",
        )
        .bind(school.as_uuid())
        .bind(school_ref)
        .fetch_one(&self.pool)
        .await
        .unwrap();
        CandidateId::from_uuid(id)
    }

    /// Every event on `vte.candidates.v1` since the last call, raw and decoded, once the outbox
    /// is empty (everything committed has reached the broker).
    pub fn events(&self) -> EventLog {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.kafka.brokers())
            .set(
                "group.id",
                self.kafka.name(&format!("reader-{}", uuid::Uuid::new_v4())),
            )
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let topic = self.topics.topic(CandidateEvent::TOPIC);
        let mut assignment = TopicPartitionList::new();
        for partition in 0..PARTITIONS {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&assignment).unwrap();
        EventLog {
            consumer,
            pool: self.pool.clone(),
            topic,
            next: HashMap::new(),
        }
    }

    /// Publishes a placement event as the offers service would.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.kafka
            .publish(
                &self.topics.topic(E::TOPIC),
                event.key(),
                &event.encode_to_vec(),
            )
            .await;
    }
}

/// An event read back from the broker.
#[derive(Debug, Clone)]
pub struct Published {
    pub key: String,
    pub bytes: Vec<u8>,
    pub event: CandidateEvent,
}

pub struct EventLog {
    consumer: BaseConsumer,
    pool: PgPool,
    topic: String,
    next: HashMap<i32, i64>,
}

impl EventLog {
    pub async fn new_events(&mut self) -> Vec<Published> {
        let pool = self.pool.clone();
        eventually("the outbox to be relayed", PATIENCE, || {
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
        let high: Vec<i64> = (0..PARTITIONS)
            .map(|partition| {
                self.consumer
                    .fetch_watermarks(&self.topic, partition, Duration::from_secs(10))
                    .unwrap()
                    .1
            })
            .collect();
        let mut read = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE;
        while (0..PARTITIONS).any(|partition| {
            self.next.get(&partition).copied().unwrap_or(0) < high[partition as usize]
        }) {
            assert!(
                std::time::Instant::now() < deadline,
                "cannot read the topic to its end"
            );
            if let Some(message) = self.consumer.poll(Duration::from_millis(200)) {
                let message = message.unwrap();
                self.next.insert(message.partition(), message.offset() + 1);
                let bytes = message.payload().unwrap_or_default().to_vec();
                read.push(Published {
                    key: String::from_utf8(message.key().unwrap_or_default().to_vec()).unwrap(),
                    event: CandidateEvent::decode(bytes.as_slice()).unwrap(),
                    bytes,
                });
            }
        }
        read
    }
}

/// A date as the wire carries it.
pub fn date(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// A valid row: a bac+5 graduate in mechanical engineering living in Toulouse, with contact
/// data whose every part is unique to `school_ref` (so tests can look for it in bytes).
pub fn graduate(school_ref: &str) -> ProfileRow {
    ProfileRow {
        school_student_ref: school_ref.to_owned(),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(2025, 6, 30)),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur Arts et Métiers".to_owned(),
        skills: vec!["CAO".to_owned(), "SolidWorks".to_owned()],
        languages: vec![LanguageSkill {
            language: "en".to_owned(),
            level: CefrLevel::B2 as i32,
        }],
        home_insee_code: "31555".to_owned(),
        preferences: None,
        contact: Some(contact(school_ref)),
    }
}

/// Contact data unique to `school_ref`.
pub fn contact(school_ref: &str) -> Contact {
    let tag: String = school_ref
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Contact {
        candidate_id: String::new(),
        first_name: format!("Prenom{tag}"),
        last_name: format!("Nomdefamille{tag}"),
        email: format!("courriel.{tag}@exemple-ecole.fr"),
        phone: format!(
            "+336{:08}",
            tag.bytes().map(u32::from).sum::<u32>() % 100_000_000
        ),
    }
}

/// Preferences a school may send: technology first, 150 km, CDI.
pub fn preferences() -> Preferences {
    Preferences {
        mission_type_weights: vec![MissionTypeWeight {
            mission_type: MissionType::Technologie as i32,
            weight: 90,
        }],
        mobility_radius_km: 150,
        open_to_relocation: false,
        preferred_region_codes: vec!["76".to_owned()],
        contract_kinds_sought: vec![ContractKind::Cdi as i32],
        available_from: Some(date(2026, 9, 1)),
        paused: false,
        set_by_candidate: false,
    }
}
