//! The store against the test bed's PostgreSQL: every query, with aggregates built by the
//! domain and saved the way the service saves them. One database per test; the tests of each
//! aggregate are in `store/`.

#![allow(clippy::unwrap_used)]

mod common;

#[path = "store/applications.rs"]
mod applications;
#[path = "store/candidates.rs"]
mod candidates;
#[path = "store/labels.rs"]
mod labels;
#[path = "store/offers.rs"]
mod offers;
#[path = "store/placements.rs"]
mod placements;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use vte_domain::{ApplicationId, CandidateId, OfferId, PlacementId, SchoolId, Siren};
use vte_offers::domain::{
    AcceptanceTerms, Actor, Application, NewLanguage, NewMoney, NewOffer, NewSalaryRange, Offer,
    Placement, RawDate, Role, accept, validate_draft,
};
use vte_offers::store;

pub use common::Db;

/// The instant the tests start at: 2026-03-02 09:00 UTC (whole microseconds, as PostgreSQL
/// keeps them).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// `minutes` after [`now`].
pub fn later(minutes: i64) -> DateTime<Utc> {
    now() + Duration::minutes(minutes)
}

/// The calendar day of [`now`].
pub fn today() -> NaiveDate {
    now().date_naive()
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

pub fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

pub fn other_siren() -> Siren {
    Siren::parse("552100554").unwrap()
}

pub fn company() -> Actor {
    Actor::new(Role::Company, "user-17", Some(siren().to_string()))
}

pub fn candidate(id: CandidateId) -> Actor {
    Actor::new(Role::Candidate, "user-42", Some(id.to_string()))
}

pub fn bpifrance() -> Actor {
    Actor::new(Role::Bpifrance, "agent-9", None)
}

/// A complete offer: a CDI in Figeac (in the Territoire d'industrie ti-7603) from
/// 2026-09-01, every optional part given.
pub fn figeac_cdi() -> NewOffer {
    NewOffer {
        title: "Ingénieur méthodes industrialisation".to_owned(),
        description: "Industrialiser la nouvelle ligne d'usinage de pièces aéronautiques."
            .to_owned(),
        primary_mission_type: "TECHNOLOGIE".to_owned(),
        secondary_mission_type: "TRANSFORMATION".to_owned(),
        ecological_transition: true,
        contract_kind: "CDI".to_owned(),
        duration_months: None,
        min_level: 3,
        max_level: 5,
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["SolidWorks".to_owned(), "lean management".to_owned()],
        languages: vec![
            NewLanguage {
                language: "en".to_owned(),
                level: "B2".to_owned(),
            },
            NewLanguage {
                language: "de".to_owned(),
                level: "A2".to_owned(),
            },
        ],
        insee_code: "46102".to_owned(),
        remote_policy: "HYBRID".to_owned(),
        salary: Some(NewSalaryRange {
            min: Some(NewMoney {
                amount_cents: 3_200_000,
                currency: "EUR".to_owned(),
            }),
            max: Some(NewMoney {
                amount_cents: 3_800_050,
                currency: String::new(),
            }),
        }),
        positions: 2,
        start_date: Some(RawDate::new(2026, 9, 1)),
        application_deadline: Some(RawDate::new(2026, 6, 30)),
        company_name: "Usinage du Célé SAS".to_owned(),
        company_size: "PME".to_owned(),
    }
}

/// A draft of `input` by [`siren`], created at `at`.
pub fn draft_of(input: &NewOffer, at: DateTime<Utc>) -> Offer {
    let spec = validate_draft(input, &common::reference()).unwrap();
    Offer::draft(OfferId::new(), siren(), spec, at)
}

/// [`figeac_cdi`] with `positions` positions, published at [`now`].
pub fn published(positions: u32) -> Offer {
    let input = NewOffer {
        positions,
        ..figeac_cdi()
    };
    draft_of(&input, now())
        .publish(&common::reference(), today(), now())
        .unwrap()
}

/// Saves `offer` as new.
pub async fn insert(db: &Db, offer: &Offer) {
    store::insert_offer(
        &mut *db.conn().await,
        offer,
        &common::reference(),
        &common::rules(),
    )
    .await
    .unwrap();
}

/// A new candidate's application to `offer`, from school `school`, submitted at `at`.
pub fn application_to(offer: &Offer, school: Option<SchoolId>, at: DateTime<Utc>) -> Application {
    let candidate_id = CandidateId::new();
    application_of(candidate_id, offer, school, at)
}

/// `candidate_id`'s application to `offer`, submitted at `at` with a message.
pub fn application_of(
    candidate_id: CandidateId,
    offer: &Offer,
    school: Option<SchoolId>,
    at: DateTime<Utc>,
) -> Application {
    Application::submit(
        ApplicationId::new(),
        offer,
        candidate_id,
        school,
        &candidate(candidate_id),
        "Je connais bien SolidWorks et j'habite à Figeac.",
        at.date_naive(),
        at,
    )
    .unwrap()
}

/// Saves `application` as new.
pub async fn submit(db: &Db, application: &Application) {
    store::insert_application(&mut *db.conn().await, application)
        .await
        .unwrap();
}

/// Hires `application`'s candidate on `offer` (both saved) and saves what changes, as the
/// service does in one transaction; returns the placement.
pub async fn hire(db: &Db, offer: &Offer, application: &Application) -> Placement {
    let acceptance = accept(
        application,
        offer,
        &[],
        &company(),
        &AcceptanceTerms::default(),
        common::scheme(),
        PlacementId::new(),
        later(1),
    )
    .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    store::save_application(&mut tx, &acceptance.application, application.revision)
        .await
        .unwrap();
    store::save_offer(
        &mut tx,
        &acceptance.offer,
        offer.revision,
        &common::reference(),
        &common::rules(),
    )
    .await
    .unwrap();
    store::insert_placement(&mut tx, &acceptance.placement)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    acceptance.placement
}
