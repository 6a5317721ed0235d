//! The candidates service started for tests on the test bed's harness (its own database and
//! broker namespace, a signed token per caller), valid profile rows, and the events it
//! published read back from the broker as raw bytes and decoded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod retention;

use std::path::PathBuf;
use std::time::Duration;

use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_candidates::Application;
use vte_candidates::config::CandidatesSettings;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::EventEnvelope;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, Contact, MissionTypeWeight, Preferences, ProfileRow,
    PushProfilesBatchRequest, PushSummary,
};
use vte_proto::vte::common::v1::{
    CefrLevel, ContractKind, Date, EducationLevel, LanguageSkill, MissionType,
};
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::{TestService, TopicReader};

pub const SECRET: &str = "candidates-tests-secret";
pub const PATIENCE: Duration = vte_testbed::PATIENCE;

pub type Client = CandidatesServiceClient<InterceptedService<Channel, BearerToken>>;

/// The candidates service on loopback for one test.
pub struct Api {
    pub pool: PgPool,
    service: TestService,
}

impl Api {
    pub async fn start() -> Self {
        Self::start_with(CandidatesSettings::default()).await
    }

    /// The service with its own settings `own` (the retention sweep's, say).
    pub async fn start_with(own: CandidatesSettings) -> Self {
        let service = TestService::builder(SECRET)
            .settings(|settings| settings.rules.dir = rules_dir())
            .start_with(|settings| Application::build_with(settings, own))
            .await;
        Self {
            pool: service.pool().clone(),
            service,
        }
    }

    pub fn client(&self, caller: Option<&Caller>) -> Client {
        let token = match caller {
            // The service calling is the offers service.
            Some(caller @ Caller::Service) => self.service.tokens().bearer_as(caller, "offers"),
            other => self.service.bearer(other),
        };
        CandidatesServiceClient::with_interceptor(self.service.channel(), token)
            .max_decoding_message_size(16 * 1024 * 1024)
    }

    /// A service calling as `subject` (its service name).
    pub fn service_as(&self, subject: &str) -> Client {
        let token = self.service.tokens().bearer_as(&Caller::Service, subject);
        CandidatesServiceClient::with_interceptor(self.service.channel(), token)
    }

    pub fn school(&self, school_id: SchoolId) -> Client {
        self.client(Some(&Caller::School { school_id }))
    }

    /// The school calling with the token of one of its accounts, `subject`.
    pub fn school_as(&self, school_id: SchoolId, subject: &str) -> Client {
        let token = self
            .service
            .tokens()
            .bearer_as(&Caller::School { school_id }, subject);
        CandidatesServiceClient::with_interceptor(self.service.channel(), token)
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
        EventLog(self.service.reader(&[CandidateEvent::TOPIC]))
    }

    /// Publishes a placement event as the offers service would.
    pub async fn publish<E: EventEnvelope>(&self, event: &E) {
        self.service.publish(event).await;
    }

    /// Waits until the service handled the event with this id.
    pub async fn wait_handled(&self, event_id: &str) {
        self.service.wait_handled(event_id).await;
    }
}

/// An event read back from the broker.
#[derive(Debug, Clone)]
pub struct Published {
    pub key: String,
    pub bytes: Vec<u8>,
    pub event: CandidateEvent,
}

/// What the service published on `vte.candidates.v1`.
pub struct EventLog(TopicReader);

impl EventLog {
    pub async fn new_events(&mut self) -> Vec<Published> {
        self.0
            .new_records()
            .await
            .into_iter()
            .map(|record| Published {
                event: record.decode(),
                key: record.key,
                bytes: record.payload,
            })
            .collect()
    }
}

/// The repository's rule sets, found from this crate at run time (a build made elsewhere may
/// have baked another path into `vte_rules::repository_rules_dir`).
pub fn rules_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|dir| PathBuf::from(dir).join("../../rules"))
        .unwrap_or_else(vte_rules::repository_rules_dir)
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
