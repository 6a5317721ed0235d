//! The offers service started for API tests on the test bed's harness: its own database and
//! broker namespace, a gRPC client per role carrying a signed bearer token, contact data from an
//! in-memory directory the tests fill, the outbox and the broker's topics to count events, and a
//! way to make a candidate known to the service with their school (an event on
//! `vte.candidates.v1`, as the candidates service would publish it).

use std::time::Duration;

use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::EventEnvelope;
use vte_offers::Application;
use vte_proto::vte::applications::v1::{ApplicationEvent, application_event};
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, CandidateProfile, CandidateProfileChanged, Consent,
    Preferences, candidate_event,
};
use vte_proto::vte::common::v1::{ContractKind, EducationLevel};
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{OfferEvent, offer_event};
use vte_proto::vte::placements::v1::{PlacementEvent, placement_event};
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::{MemoryContacts, TestService, TopicReader, eventually};

/// The secret the service verifies tokens with, and the tests sign them with.
pub const SECRET: &str = "offers-api-tests-secret";
/// The company that owns most offers in these tests.
pub const SIREN: &str = "732829320";
/// Another company, which must see and change nothing of the first one's.
pub const OTHER_SIREN: &str = "552100554";
/// A third company, for tests that need one more.
pub const THIRD_SIREN: &str = "356000000";

/// How long the tests wait for the service's background work (relay, consumer).
pub const PATIENCE: Duration = vte_testbed::PATIENCE;
/// The topics the offers service produces, which the tests count events on.
pub const PRODUCED: [&str; 3] = [
    OfferEvent::TOPIC,
    ApplicationEvent::TOPIC,
    PlacementEvent::TOPIC,
];

/// A client of the offers service whose calls carry one caller's token (or none).
pub type Client = OffersServiceClient<InterceptedService<Channel, BearerToken>>;

/// The offers service, running on loopback for one test.
#[derive(Debug)]
pub struct Api {
    pool: PgPool,
    contacts: MemoryContacts,
    service: TestService,
}

impl Api {
    /// Starts `vte_offers::Application` on a fresh database and broker namespace, looking
    /// candidates' contact data up in a directory the test fills ([`Api::contacts`]).
    pub async fn start() -> Self {
        let contacts = MemoryContacts::new();
        let directory = contacts.directory();
        let service = TestService::builder(SECRET)
            .start_with(|settings| Application::build_with(settings, directory))
            .await;
        Self {
            pool: service.pool().clone(),
            contacts,
            service,
        }
    }

    /// The service's database, for tests that run its use cases on chosen dates.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The contact directory the service asks, which the test fills.
    pub fn contacts(&self) -> &MemoryContacts {
        &self.contacts
    }

    /// A client calling as `caller`, or without a token for `None`.
    pub fn client(&self, caller: Option<&Caller>) -> Client {
        OffersServiceClient::with_interceptor(self.service.channel(), self.service.bearer(caller))
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

    /// Another account of the company `siren` (a colleague), by its token subject.
    pub fn company_account(&self, siren: &str, subject: &str) -> Client {
        let caller = Caller::Company {
            siren: Siren::parse(siren).unwrap(),
        };
        let token = self.service.tokens().bearer_as(&caller, subject);
        OffersServiceClient::with_interceptor(self.service.channel(), token)
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
        EventLog(self.service.reader(&PRODUCED))
    }

    /// A new candidate of `school` who consents, made known to the service as the candidates
    /// service would: a `CandidateProfileChanged` on `vte.candidates.v1`. Returns once the
    /// service has recorded the candidate's school.
    pub async fn enrol(&self, school: SchoolId) -> CandidateId {
        let candidate = CandidateId::new();
        self.publish_profile(candidate, school, true, 1).await;
        self.wait_until_known(candidate, school).await;
        candidate
    }

    /// The candidate gives or withdraws consent: their profile's event at `revision` (above the
    /// last one published), as the candidates service would publish it. Returns once the
    /// service has recorded it.
    pub async fn set_consent(
        &self,
        candidate: CandidateId,
        school: SchoolId,
        given: bool,
        revision: u64,
    ) {
        self.publish_profile(candidate, school, given, revision)
            .await;
        self.wait_for_revision(candidate, revision).await;
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

    /// A new consenting candidate of `school` whose profile is [`eligible_profile`] changed
    /// by `edit` (another status, level, graduation date, contracts sought...). Returns once
    /// the service has recorded the profile.
    pub async fn enrol_as(
        &self,
        school: SchoolId,
        edit: impl FnOnce(&mut CandidateProfile),
    ) -> CandidateId {
        let candidate = CandidateId::new();
        self.change_profile(candidate, school, 1, edit).await;
        candidate
    }

    /// The candidate's profile becomes [`eligible_profile`] changed by `edit`, at `revision`
    /// (above the last one published). Returns once the service has recorded it.
    pub async fn change_profile(
        &self,
        candidate: CandidateId,
        school: SchoolId,
        revision: u64,
        edit: impl FnOnce(&mut CandidateProfile),
    ) {
        let mut profile = eligible_profile(candidate, school, true, revision);
        edit(&mut profile);
        self.publish(profile).await;
        self.wait_for_revision(candidate, revision).await;
    }

    async fn wait_for_revision(&self, candidate: CandidateId, revision: u64) {
        let pool = self.pool.clone();
        let what = format!("the service to record revision {revision} of candidate {candidate}");
        eventually(&what, PATIENCE, || {
            let pool = pool.clone();
            async move {
                let stored: Option<i64> =
                    sqlx::query_scalar("SELECT revision FROM candidates WHERE id = $1")
                        .bind(candidate.as_uuid())
                        .fetch_optional(&pool)
                        .await
                        .ok()?;
                (stored == Some(i64::try_from(revision).ok()?)).then_some(())
            }
        })
        .await;
    }

    async fn publish_profile(
        &self,
        candidate: CandidateId,
        school: SchoolId,
        consent: bool,
        revision: u64,
    ) {
        self.publish(eligible_profile(candidate, school, consent, revision))
            .await;
    }

    async fn publish(&self, profile: CandidateProfile) {
        let (candidate, revision) = (profile.id.clone(), profile.revision);
        let event = CandidateEvent {
            event_id: vte_events::new_event_id(),
            occurred_at: Some(vte_events::now_timestamp()),
            candidate_id: candidate,
            event: Some(candidate_event::Event::ProfileChanged(
                CandidateProfileChanged {
                    profile: Some(profile),
                    matchable: false,
                    created: revision == 1,
                },
            )),
        };
        self.service.publish(&event).await;
    }
}

/// A consenting bac+5 graduate of six months ago who seeks any contract and is available now:
/// eligible under the scheme's rules for the fixtures' offers (which start three months ahead).
pub fn eligible_profile(
    candidate: CandidateId,
    school: SchoolId,
    consent: bool,
    revision: u64,
) -> CandidateProfile {
    let graduated = chrono::Utc::now().date_naive() - chrono::Days::new(180);
    CandidateProfile {
        id: candidate.to_string(),
        school_id: school.to_string(),
        school_student_ref: format!("etu-{}", &candidate.to_string()[..8]),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(vte_wire::date_to_proto(graduated)),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        preferences: Some(Preferences {
            contract_kinds_sought: vec![
                ContractKind::WorkStudy as i32,
                ContractKind::Cdd as i32,
                ContractKind::Cdi as i32,
            ],
            ..Preferences::default()
        }),
        consent: Some(Consent {
            given: consent,
            version: "2025-01".to_owned(),
            ..Consent::default()
        }),
        revision,
        ..CandidateProfile::default()
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
                Some(P::LabelRequested(_)) => "LabelRequested",
                Some(P::LabelReworkRequested(_)) => "LabelReworkRequested",
                Some(P::LabelAppealed(_)) => "LabelAppealed",
                Some(P::LabelRequestDue(_)) => "LabelRequestDue",
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
                Some(P::LabelRequested(e)) => placement(&e.placement),
                Some(P::LabelReworkRequested(e)) => placement(&e.placement),
                Some(P::LabelAppealed(e)) => placement(&e.placement),
                Some(P::LabelRequestDue(e)) => placement(&e.placement),
                None => 0,
            },
        }
    }
}

/// Everything the service published on its three topics. [`EventLog::new_events`] returns what
/// was published since its last call, and nothing is missed (see [`TopicReader`]).
#[derive(Debug)]
pub struct EventLog(TopicReader);

impl EventLog {
    /// Every event published since the last call (since the service started, the first time),
    /// in the order read (per key, the order published).
    pub async fn new_events(&mut self) -> Vec<Published> {
        self.0
            .new_records()
            .await
            .into_iter()
            .map(|record| {
                let (topic, event) = if record.topic == OfferEvent::TOPIC {
                    (
                        OfferEvent::TOPIC,
                        Envelope::Offer(Box::new(record.decode())),
                    )
                } else if record.topic == ApplicationEvent::TOPIC {
                    let event = Envelope::Application(Box::new(record.decode()));
                    (ApplicationEvent::TOPIC, event)
                } else if record.topic == PlacementEvent::TOPIC {
                    let event = Envelope::Placement(Box::new(record.decode()));
                    (PlacementEvent::TOPIC, event)
                } else {
                    panic!("a record from an unexpected topic {}", record.topic);
                };
                Published {
                    topic,
                    key: record.key,
                    event,
                }
            })
            .collect()
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
