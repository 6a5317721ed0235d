//! The expiry sweeps against the test bed's PostgreSQL: offers and applications built by the
//! domain and saved by the store, sweeps run at chosen instants, and the outbox read back to
//! check that each change produced exactly one event. One database per test.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, TimeZone, Utc};
use prost::Message as _;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use vte_domain::{ApplicationId, CandidateId, OfferId, Siren};
use vte_offers::domain::{
    Actor, Application, ApplicationStatus, ExpiryCause, NewOffer, Offer, OfferStatus, RawDate,
    Role, validate_draft,
};
use vte_offers::store;
use vte_offers::sweeps::{expire_applications, expire_offers, run};
use vte_proto::vte::applications::v1::ApplicationEvent;
use vte_proto::vte::applications::v1::application_event::Event as ApplicationChange;
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::offers::v1::offer_event::Event as OfferChange;

use common::Db;

/// The instant the sweeps run at: 2026-03-02 09:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - Duration::days(days)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn company() -> Actor {
    Actor::new(Role::Company, "user-17", Some("732829320".to_owned()))
}

/// A CDI in Figeac whose applications close on `last_day` (the start a month later),
/// published at `published_at`.
fn offer_open_until(last_day: NaiveDate, published_at: DateTime<Utc>) -> Offer {
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
        start_date: Some(RawDate::from(last_day + Duration::days(30))),
        application_deadline: Some(RawDate::from(last_day)),
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
        published_at,
    )
    .publish(&reference, published_at.date_naive(), published_at)
    .unwrap()
}

/// An offer still open at [`now`], published 90 days before.
fn open_offer() -> Offer {
    offer_open_until(date(2026, 6, 30), days_ago(90))
}

/// A new candidate's application to `offer`, submitted at `at`.
fn application_to(offer: &Offer, at: DateTime<Utc>) -> Application {
    let candidate = CandidateId::new();
    let actor = Actor::new(Role::Candidate, "user-42", Some(candidate.to_string()));
    Application::submit(
        ApplicationId::new(),
        offer,
        candidate,
        None,
        &actor,
        "Je connais bien SolidWorks.",
        at.date_naive(),
        at,
    )
    .unwrap()
}

async fn insert_offer(db: &Db, offer: &Offer) {
    let mut conn = db.pool.acquire().await.unwrap();
    store::insert_offer(&mut conn, offer, &common::reference(), &common::rules())
        .await
        .unwrap();
}

async fn insert_application(db: &Db, application: &Application) {
    let mut conn = db.pool.acquire().await.unwrap();
    store::insert_application(&mut conn, application)
        .await
        .unwrap();
}

/// Saves `next`, one step after the stored `application`.
async fn save_step(db: &Db, application: &Application, next: &Application) {
    let mut conn = db.pool.acquire().await.unwrap();
    store::save_application(&mut conn, next, application.revision)
        .await
        .unwrap();
}

async fn status_of(db: &Db, application: &Application) -> ApplicationStatus {
    store::load_application(&db.pool, application.id)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// One outbox row: its logical topic, its key and its payload.
#[derive(Debug, sqlx::FromRow)]
struct OutboxRow {
    topic: String,
    message_key: String,
    payload: Vec<u8>,
}

async fn outbox(db: &Db) -> Vec<OutboxRow> {
    sqlx::query_as("SELECT topic, message_key, payload FROM outbox ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

fn application_event(row: &OutboxRow) -> ApplicationEvent {
    assert_eq!(row.topic, "vte.applications.v1");
    ApplicationEvent::decode(row.payload.as_slice()).unwrap()
}

/// Asserts that the outbox holds exactly one `ApplicationExpired` per application of
/// `expired`, and nothing else.
async fn assert_one_expiry_event_each(db: &Db, expired: &[&Application]) {
    let rows = outbox(db).await;
    assert_eq!(rows.len(), expired.len(), "{rows:?}");
    let keys: HashSet<String> = rows.iter().map(|row| row.message_key.clone()).collect();
    let wanted: HashSet<String> = expired.iter().map(|a| a.id.to_string()).collect();
    assert_eq!(keys, wanted);
    for row in &rows {
        let event = application_event(row);
        assert_eq!(event.application_id, row.message_key);
        let Some(ApplicationChange::Expired(expired)) = event.event else {
            panic!("not an ApplicationExpired: {event:?}");
        };
        let state = expired.application.unwrap();
        assert_eq!(state.id, row.message_key);
        assert!(state.message.is_empty(), "events never carry the message");
    }
}

#[tokio::test]
async fn an_application_unanswered_for_61_days_expires_and_younger_or_reviewed_ones_do_not() {
    let db = Db::create().await;
    let offer = open_offer();
    insert_offer(&db, &offer).await;
    let unanswered = application_to(&offer, days_ago(61));
    let recent = application_to(&offer, days_ago(59));
    let reviewed = application_to(&offer, days_ago(61));
    for application in [&unanswered, &recent, &reviewed] {
        insert_application(&db, application).await;
    }
    let in_review = reviewed.start_review(&company(), "", days_ago(60)).unwrap();
    save_step(&db, &reviewed, &in_review).await;

    let expired = expire_applications(&db.pool, now(), 10).await.unwrap();

    assert_eq!(expired, 1);
    assert_eq!(
        status_of(&db, &unanswered).await,
        ApplicationStatus::Expired
    );
    assert_eq!(status_of(&db, &recent).await, ApplicationStatus::Submitted);
    assert_eq!(status_of(&db, &reviewed).await, ApplicationStatus::InReview);
    let stored = store::load_application(&db.pool, unanswered.id)
        .await
        .unwrap()
        .unwrap();
    let last = stored.transitions.last().unwrap();
    assert_eq!(last.actor, Actor::offers_service());
    assert_eq!(last.at, now());
    assert_eq!(
        last.reason.as_ref().map(|reason| reason.as_str()),
        Some(ExpiryCause::Unanswered.sentence())
    );
    assert_one_expiry_event_each(&db, &[&unanswered]).await;
}

#[tokio::test]
async fn sweeping_again_expires_nothing_and_writes_no_event() {
    let db = Db::create().await;
    let offer = open_offer();
    insert_offer(&db, &offer).await;
    let unanswered = application_to(&offer, days_ago(61));
    insert_application(&db, &unanswered).await;

    assert_eq!(expire_applications(&db.pool, now(), 10).await.unwrap(), 1);
    assert_eq!(expire_applications(&db.pool, now(), 10).await.unwrap(), 0);

    assert_one_expiry_event_each(&db, &[&unanswered]).await;
}

#[tokio::test]
async fn a_sweep_goes_through_every_batch_until_none_is_due() {
    let db = Db::create().await;
    let offer = open_offer();
    insert_offer(&db, &offer).await;
    let due: Vec<Application> = (0..5)
        .map(|day| application_to(&offer, days_ago(61 + day)))
        .collect();
    for application in &due {
        insert_application(&db, application).await;
    }

    let expired = expire_applications(&db.pool, now(), 2).await.unwrap();

    assert_eq!(expired, 5);
    assert_one_expiry_event_each(&db, &due.iter().collect::<Vec<_>>()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sweeps_running_at_once_expire_each_application_once() {
    let db = Db::create().await;
    let offer = open_offer();
    insert_offer(&db, &offer).await;
    let due: Vec<Application> = (0..40)
        .map(|minute| application_to(&offer, days_ago(61) - Duration::minutes(minute)))
        .collect();
    for application in &due {
        insert_application(&db, application).await;
    }

    let sweep =
        |pool: PgPool| tokio::spawn(async move { expire_applications(&pool, now(), 3).await });
    let (first, second) = (sweep(db.pool.clone()), sweep(db.pool.clone()));
    let (first, second) = (
        first.await.unwrap().unwrap(),
        second.await.unwrap().unwrap(),
    );

    assert_eq!(first + second, 40);
    for application in &due {
        assert_eq!(
            status_of(&db, application).await,
            ApplicationStatus::Expired
        );
    }
    assert_one_expiry_event_each(&db, &due.iter().collect::<Vec<_>>()).await;
}

#[tokio::test]
async fn an_offer_past_its_last_day_expires_and_closes_its_open_applications_with_one_event_each() {
    let db = Db::create().await;
    let last_day = date(2026, 3, 1);
    let offer = offer_open_until(last_day, days_ago(30));
    let still_open = offer_open_until(date(2026, 3, 2), days_ago(30));
    insert_offer(&db, &offer).await;
    insert_offer(&db, &still_open).await;
    let submitted = application_to(&offer, days_ago(10));
    let reviewed = application_to(&offer, days_ago(20));
    let refused = application_to(&offer, days_ago(20));
    let elsewhere = application_to(&still_open, days_ago(10));
    for application in [&submitted, &reviewed, &refused, &elsewhere] {
        insert_application(&db, application).await;
    }
    let in_review = reviewed.start_review(&company(), "", days_ago(19)).unwrap();
    save_step(&db, &reviewed, &in_review).await;
    let declined = refused
        .refuse(
            &company(),
            "Le poste demande plus d'expérience.",
            days_ago(19),
        )
        .unwrap();
    save_step(&db, &refused, &declined).await;

    let expired = expire_offers(
        &db.pool,
        &common::reference(),
        &common::rules(),
        now().date_naive(),
        now(),
        10,
    )
    .await
    .unwrap();

    assert_eq!(expired, 1);
    let reference = common::reference();
    let stored = store::load_offer(&db.pool, offer.id, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, OfferStatus::Expired);
    assert_eq!(stored.revision, offer.revision + 1);
    let open = store::load_offer(&db.pool, still_open.id, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(open.status, OfferStatus::Published);
    assert_eq!(status_of(&db, &submitted).await, ApplicationStatus::Expired);
    assert_eq!(status_of(&db, &reviewed).await, ApplicationStatus::Expired);
    assert_eq!(status_of(&db, &refused).await, ApplicationStatus::Refused);
    assert_eq!(
        status_of(&db, &elsewhere).await,
        ApplicationStatus::Submitted
    );
    let closed = store::load_application(&db.pool, reviewed.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        closed
            .transitions
            .last()
            .unwrap()
            .reason
            .as_ref()
            .map(|r| r.as_str()),
        Some(ExpiryCause::OfferExpired.sentence())
    );

    let rows = outbox(&db).await;
    let (offer_rows, application_rows): (Vec<_>, Vec<_>) =
        rows.iter().partition(|row| row.topic == "vte.offers.v1");
    assert_eq!(offer_rows.len(), 1);
    assert_eq!(offer_rows[0].message_key, offer.id.to_string());
    let event = OfferEvent::decode(offer_rows[0].payload.as_slice()).unwrap();
    let Some(OfferChange::Expired(expired)) = event.event else {
        panic!("not an OfferExpired: {event:?}");
    };
    assert_eq!(expired.offer.unwrap().id, offer.id.to_string());
    let keys: HashSet<&str> = application_rows
        .iter()
        .map(|row| row.message_key.as_str())
        .collect();
    assert_eq!(application_rows.len(), 2);
    let (submitted_id, reviewed_id) = (submitted.id.to_string(), reviewed.id.to_string());
    assert_eq!(
        keys,
        HashSet::from([submitted_id.as_str(), reviewed_id.as_str()])
    );
    for row in application_rows {
        assert!(matches!(
            application_event(row).event,
            Some(ApplicationChange::Expired(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_offer_sweeps_running_at_once_expire_each_offer_once() {
    let db = Db::create().await;
    let offers: Vec<Offer> = (0..12)
        .map(|_| offer_open_until(date(2026, 2, 1), days_ago(60)))
        .collect();
    for offer in &offers {
        insert_offer(&db, offer).await;
        insert_application(&db, &application_to(offer, days_ago(40))).await;
    }

    let sweep = |pool: PgPool| {
        tokio::spawn(async move {
            expire_offers(
                &pool,
                &common::reference(),
                &common::rules(),
                now().date_naive(),
                now(),
                100,
            )
            .await
        })
    };
    let (first, second) = (sweep(db.pool.clone()), sweep(db.pool.clone()));
    let (first, second) = (
        first.await.unwrap().unwrap(),
        second.await.unwrap().unwrap(),
    );

    assert_eq!(first + second, 12);
    let rows = outbox(&db).await;
    let offer_keys: Vec<&str> = rows
        .iter()
        .filter(|row| row.topic == "vte.offers.v1")
        .map(|row| row.message_key.as_str())
        .collect();
    let distinct: HashSet<&str> = offer_keys.iter().copied().collect();
    assert_eq!((offer_keys.len(), distinct.len()), (12, 12));
    assert_eq!(
        rows.len(),
        24,
        "one offer event and one application event per offer"
    );
}

#[tokio::test]
async fn a_sweep_expires_at_most_its_batch_of_offers() {
    let db = Db::create().await;
    for _ in 0..3 {
        insert_offer(&db, &offer_open_until(date(2026, 2, 1), days_ago(60))).await;
    }
    let (reference, rules) = (common::reference(), common::rules());
    let sweep = || expire_offers(&db.pool, &reference, &rules, now().date_naive(), now(), 2);

    assert_eq!(sweep().await.unwrap(), 2);
    assert_eq!(sweep().await.unwrap(), 1);
    assert_eq!(sweep().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_sweep_expires_what_is_due_and_stops_on_shutdown() {
    let db = Db::create().await;
    // The real clock: the task reads it at each round.
    let real_now = Utc::now().trunc_subsecs(6);
    let submitted_at = real_now - Duration::days(61);
    let offer = offer_open_until(real_now.date_naive() + Duration::days(90), submitted_at);
    insert_offer(&db, &offer).await;
    let unanswered = application_to(&offer, submitted_at);
    insert_application(&db, &unanswered).await;

    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(
        db.pool.clone(),
        common::reference(),
        common::rules(),
        StdDuration::from_millis(50),
        shutdown.clone(),
    ));
    vte_testbed::eventually(
        "the application to expire",
        StdDuration::from_secs(10),
        || async {
            (status_of(&db, &unanswered).await == ApplicationStatus::Expired).then_some(())
        },
    )
    .await;
    shutdown.cancel();

    tokio::time::timeout(StdDuration::from_secs(5), task)
        .await
        .expect("the sweep stops on shutdown")
        .unwrap();
    assert_one_expiry_event_each(&db, &[&unanswered]).await;
}
