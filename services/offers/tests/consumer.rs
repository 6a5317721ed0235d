//! What the offers service takes from `vte.candidates.v1`, against the test bed's PostgreSQL:
//! the handler driven directly in a transaction (as the consumer runner calls it), and once end
//! to end, from the outbox through the relay and an embedded broker to the runner.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tokio_util::sync::CancellationToken;
use vte_domain::{ApplicationId, CandidateId, OfferId, SchoolId, Siren};
use vte_events::consumer::{ConsumerOptions, HandlerError, Handles, RecordMeta};
use vte_events::relay::RelayOptions;
use vte_events::{ConsumerRunner, EventEnvelope, KafkaSettings, Relay};
use vte_offers::consumer::CandidatesHandler;
use vte_offers::domain::{
    Actor, Application, ApplicationStatus, NewOffer, Offer, RawDate, Role, validate_draft,
};
use vte_offers::store::{self, KnownCandidate};
use vte_proto::vte::candidates::v1::candidate_event::Event;
use vte_proto::vte::candidates::v1::{
    CandidateErased, CandidateEvent, CandidateProfile, CandidateProfileChanged,
};

use common::Db;
use vte_testbed::TestKafka;

impl Db {
    /// Runs the handler on `event` in a transaction of its own, committed when it succeeds, as
    /// the consumer runner does.
    async fn handle(&self, event: &CandidateEvent) -> Result<(), HandlerError> {
        let meta = RecordMeta {
            topic: CandidateEvent::TOPIC,
            partition: 0,
            offset: 0,
            event_id: uuid::Uuid::parse_str(&event.event_id).unwrap(),
        };
        let mut transaction = self.pool.begin().await.unwrap();
        CandidatesHandler
            .handle(&mut transaction, event, &meta)
            .await?;
        transaction.commit().await.unwrap();
        Ok(())
    }

    async fn candidate(&self, id: CandidateId) -> Option<KnownCandidate> {
        store::load_candidate(&self.pool, id).await.unwrap()
    }

    async fn application(&self, id: ApplicationId) -> Application {
        store::load_application(&self.pool, id)
            .await
            .unwrap()
            .unwrap()
    }
}

/// The envelope of `event` about the candidate with id `candidate_id`.
fn envelope(candidate_id: &str, event: Event) -> CandidateEvent {
    CandidateEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        candidate_id: candidate_id.to_owned(),
        event: Some(event),
    }
}

/// The candidate's profile, pushed by `school`, changed at `revision`.
fn profile_changed(candidate: CandidateId, school: SchoolId, revision: u64) -> CandidateEvent {
    let profile = CandidateProfile {
        id: candidate.to_string(),
        school_id: school.to_string(),
        school_student_ref: "E2024-0042".to_owned(),
        matchable: true,
        revision,
        ..CandidateProfile::default()
    };
    envelope(
        &candidate.to_string(),
        Event::ProfileChanged(CandidateProfileChanged {
            profile: Some(profile),
            matchable: true,
            created: revision == 1,
        }),
    )
}

/// The candidate's erasure.
fn erased(candidate: CandidateId, school: SchoolId) -> CandidateEvent {
    envelope(
        &candidate.to_string(),
        Event::Erased(CandidateErased {
            candidate_id: candidate.to_string(),
            school_id: school.to_string(),
            erasure_id: uuid::Uuid::now_v7().to_string(),
            requested_at: Some(vte_events::now_timestamp()),
            ..Default::default()
        }),
    )
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn later(days: i64) -> DateTime<Utc> {
    now() + Duration::days(days)
}

fn company() -> Actor {
    Actor::new(Role::Company, "user-17", Some("732829320".to_owned()))
}

fn candidate_actor(id: CandidateId) -> Actor {
    Actor::new(Role::Candidate, "user-42", Some(id.to_string()))
}

/// A published CDI in Figeac, open until 2026-06-30.
fn published_offer() -> Offer {
    let input = NewOffer {
        title: "Ingénieur méthodes industrialisation".to_owned(),
        description: "Industrialiser la nouvelle ligne d'usinage.".to_owned(),
        primary_mission_type: "TECHNOLOGIE".to_owned(),
        contract_kind: "CDI".to_owned(),
        min_level: 3,
        max_level: 5,
        insee_code: "46102".to_owned(),
        remote_policy: "HYBRID".to_owned(),
        positions: 2,
        start_date: Some(RawDate::new(2026, 9, 1)),
        application_deadline: Some(RawDate::new(2026, 6, 30)),
        company_name: "Usinage du Célé SAS".to_owned(),
        company_size: "PME".to_owned(),
        ..NewOffer::default()
    };
    let reference = common::reference();
    let spec = validate_draft(&input, &reference).unwrap();
    Offer::draft(
        OfferId::new(),
        Siren::parse("732829320").unwrap(),
        spec,
        now(),
    )
    .publish(&reference, now().date_naive(), now())
    .unwrap()
}

/// `candidate`'s application to `offer` with a personal message, saved.
async fn apply(db: &Db, offer: &Offer, candidate: CandidateId, school: SchoolId) -> Application {
    let application = Application::submit(
        ApplicationId::new(),
        offer,
        candidate,
        Some(school),
        &candidate_actor(candidate),
        "Je m'appelle Jeanne, j'habite à Figeac et je connais SolidWorks.",
        now().date_naive(),
        now(),
    )
    .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    store::insert_application(&mut conn, &application)
        .await
        .unwrap();
    application
}

/// Saves `next`, one step after the stored `application`.
async fn save_step(db: &Db, application: &Application, next: &Application) {
    let mut conn = db.pool.acquire().await.unwrap();
    store::save_application(&mut conn, next, application.revision)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_profile_event_records_the_candidates_school() {
    let db = Db::create().await;
    let (candidate, school) = (CandidateId::new(), SchoolId::new());

    db.handle(&profile_changed(candidate, school, 1))
        .await
        .unwrap();

    assert_eq!(
        db.candidate(candidate).await,
        Some(KnownCandidate {
            id: candidate,
            school_id: Some(school),
            erased: false,
            revision: 1,
        })
    );
}

#[tokio::test]
async fn an_older_revision_does_not_overwrite_a_newer_one() {
    let db = Db::create().await;
    let (candidate, new_school, old_school) =
        (CandidateId::new(), SchoolId::new(), SchoolId::new());

    db.handle(&profile_changed(candidate, new_school, 3))
        .await
        .unwrap();
    db.handle(&profile_changed(candidate, old_school, 2))
        .await
        .unwrap();

    let known = db.candidate(candidate).await.unwrap();
    assert_eq!((known.school_id, known.revision), (Some(new_school), 3));
}

#[tokio::test]
async fn an_erasure_anonymises_the_candidates_applications_and_keeps_their_history() {
    let db = Db::create().await;
    let offer = published_offer();
    store::insert_offer(
        &mut db.pool.acquire().await.unwrap(),
        &offer,
        &common::reference(),
        &common::rules(),
    )
    .await
    .unwrap();
    let (candidate, someone_else, school) =
        (CandidateId::new(), CandidateId::new(), SchoolId::new());
    db.handle(&profile_changed(candidate, school, 4))
        .await
        .unwrap();
    let application = apply(&db, &offer, candidate, school).await;
    let other = apply(&db, &offer, someone_else, school).await;
    let reviewed = application
        .start_review(&company(), "Jeanne a un bon profil.", later(1))
        .unwrap();
    save_step(&db, &application, &reviewed).await;
    let refused = reviewed
        .refuse(&company(), "Jeanne habite trop loin de l'usine.", later(2))
        .unwrap();
    save_step(&db, &reviewed, &refused).await;

    db.handle(&erased(candidate, school)).await.unwrap();

    let known = db.candidate(candidate).await.unwrap();
    assert!(known.erased);
    let anonymised = db.application(application.id).await;
    assert_eq!(anonymised.message, None);
    assert_eq!(anonymised.status, ApplicationStatus::Refused);
    assert_eq!(anonymised.revision, refused.revision);
    let steps = |a: &Application| {
        a.transitions
            .iter()
            .map(|t| (t.from, t.to, t.actor.role, t.at))
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(&anonymised), steps(&refused));
    assert!(
        anonymised.transitions.iter().all(|t| t.reason.is_none()),
        "{:?}",
        anonymised.transitions
    );
    let untouched = db.application(other.id).await;
    assert_eq!(untouched, other);

    // A profile event delivered late does not bring the candidate back.
    db.handle(&profile_changed(candidate, school, 9))
        .await
        .unwrap();
    assert!(db.candidate(candidate).await.unwrap().erased);
}

#[tokio::test]
async fn an_erasure_delivered_twice_changes_nothing_the_second_time() {
    let db = Db::create().await;
    let (candidate, school) = (CandidateId::new(), SchoolId::new());
    let event = erased(candidate, school);

    db.handle(&event).await.unwrap();
    let first = db.candidate(candidate).await;
    db.handle(&erased(candidate, school)).await.unwrap();

    assert_eq!(db.candidate(candidate).await, first);
    assert!(first.unwrap().erased);
}

#[tokio::test]
async fn a_malformed_id_is_a_permanent_failure_whose_reason_does_not_repeat_it() {
    let db = Db::create().await;
    let (candidate, school) = (CandidateId::new(), SchoolId::new());
    let personal = "jeanne.martin@example.org";
    let mut bad_candidate = profile_changed(candidate, school, 1);
    bad_candidate.candidate_id = personal.to_owned();
    let mut bad_school = profile_changed(candidate, school, 1);
    if let Some(Event::ProfileChanged(changed)) = &mut bad_school.event {
        changed.profile.as_mut().unwrap().school_id = personal.to_owned();
    }
    let mut bad_erasure = erased(candidate, school);
    bad_erasure.candidate_id = personal.to_owned();

    for event in [bad_candidate, bad_school, bad_erasure] {
        match db.handle(&event).await {
            Err(HandlerError::Permanent(reason)) => {
                assert!(reason.contains("not a UUID"), "{reason}");
                assert!(!reason.contains(personal), "{reason}");
            }
            other => panic!("expected a permanent failure, got {other:?}"),
        }
    }
    assert_eq!(db.candidate(candidate).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_event_published_on_the_broker_reaches_the_offers_service() {
    let db = Db::create().await;
    let kafka = TestKafka::start();
    let mut settings = KafkaSettings::new(kafka.brokers());
    settings.namespace = format!("{}.", kafka.namespace());
    settings.delivery_timeout_ms = 2_000;
    let topics = settings.topics();
    kafka
        .create_topic(&topics.topic(CandidateEvent::TOPIC), 2)
        .await;
    kafka
        .create_topic(&topics.dead_letters(CandidateEvent::TOPIC), 1)
        .await;
    // The candidates service's side, played by this database's outbox and a relay.
    let (candidate, school) = (CandidateId::new(), SchoolId::new());
    let mut transaction = db.pool.begin().await.unwrap();
    vte_events::append(&mut transaction, &profile_changed(candidate, school, 1))
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    let metrics = vte_service::metrics::Metrics::new("offers-tests");
    let relay = Relay::new(
        db.pool.clone(),
        settings.producer().unwrap(),
        topics.clone(),
        RelayOptions {
            idle_wait: StdDuration::from_millis(50),
            ..RelayOptions::default()
        },
        metrics.registry(),
    );
    let runner = ConsumerRunner::new(
        &settings,
        "offers",
        db.pool.clone(),
        settings.producer().unwrap(),
        ConsumerOptions::default(),
        metrics.registry(),
    )
    .on::<CandidateEvent, _>(CandidatesHandler);
    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(relay.run(shutdown.clone()));
    let consumer = tokio::spawn(runner.run(shutdown.clone()));

    let known = vte_testbed::eventually(
        "the candidate's school to be recorded",
        StdDuration::from_secs(30),
        || db.candidate(candidate),
    )
    .await;
    shutdown.cancel();

    assert_eq!(known.school_id, Some(school));
    let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(processed, 1);
    relay.await.unwrap();
    consumer.await.unwrap().unwrap();
}
