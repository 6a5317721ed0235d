//! Fixtures shared by the domain's unit tests: the real reference data (loaded once per test
//! binary), a fixed "today", a complete offer input in Figeac, and ready-made aggregates.

#![allow(clippy::unwrap_used)]

use super::acceptance::{AcceptanceTerms, Scheme, accept};
use super::actor::{Actor, Role};
use super::application::Application;
use super::offer::Offer;
use super::placement::Placement;
use super::spec::{NewLanguage, NewMoney, NewOffer, NewSalaryRange};
use super::validation::validate_draft;
use super::values::RawDate;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::sync::OnceLock;
use vte_domain::{ApplicationId, CandidateId, ContractKind, OfferId, PlacementId, SchoolId, Siren};
use vte_reference::ReferenceData;
use vte_rules::{CandidateFacts, RuleBook, Status};

/// The real reference data.
pub(crate) fn reference() -> &'static ReferenceData {
    static DATA: OnceLock<ReferenceData> = OnceLock::new();
    DATA.get_or_init(|| {
        ReferenceData::load(&ReferenceData::default_dir())
            .unwrap_or_else(|error| panic!("cannot load the reference data: {error}"))
    })
}

/// The repository's rule sets.
pub(crate) fn rules() -> &'static RuleBook {
    static RULES: OnceLock<RuleBook> = OnceLock::new();
    RULES.get_or_init(|| {
        RuleBook::load(&vte_rules::repository_rules_dir())
            .unwrap_or_else(|error| panic!("cannot load the rule sets: {error}"))
    })
}

/// A bac+5 graduate of June 2026 seeking a CDI or a CDD, available now: eligible for
/// [`figeac_cdi`].
pub(crate) fn graduate() -> &'static CandidateFacts {
    static FACTS: OnceLock<CandidateFacts> = OnceLock::new();
    FACTS.get_or_init(|| CandidateFacts {
        status: Status::Graduate,
        level: 5,
        graduation_date: Some(date(2026, 6, 30)),
        contract_kinds: vec![ContractKind::Cdi, ContractKind::Cdd],
        available_from: None,
    })
}

/// The scheme's rules and [`graduate`]'s facts, for [`accept`].
pub(crate) fn scheme() -> Scheme<'static> {
    Scheme {
        rules: rules(),
        candidate: graduate(),
    }
}

/// The calendar day the tests run on: 2026-03-02.
pub(crate) fn today() -> NaiveDate {
    date(2026, 3, 2)
}

/// The instant the tests run at: 2026-03-02 09:00 UTC.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub(crate) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// A complete and valid offer: a CDI in Figeac starting on 2026-09-01, two positions.
pub(crate) fn figeac_cdi() -> NewOffer {
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
        languages: vec![NewLanguage {
            language: "en".to_owned(),
            level: "B2".to_owned(),
        }],
        insee_code: "46102".to_owned(),
        remote_policy: "ON_SITE".to_owned(),
        salary: Some(NewSalaryRange {
            min: Some(NewMoney {
                amount_cents: 3_200_000,
                currency: "EUR".to_owned(),
            }),
            max: Some(NewMoney {
                amount_cents: 3_800_000,
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

pub(crate) fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

pub(crate) fn company() -> Actor {
    Actor::new(Role::Company, "user-17", Some(siren().to_string()))
}

pub(crate) fn candidate(id: CandidateId) -> Actor {
    Actor::new(Role::Candidate, "user-42", Some(id.to_string()))
}

pub(crate) fn school() -> Actor {
    Actor::new(Role::School, "sis-3", Some(SchoolId::new().to_string()))
}

pub(crate) fn bpifrance() -> Actor {
    Actor::new(Role::Bpifrance, "agent-9", None)
}

/// A draft of [`figeac_cdi`], revision 1.
pub(crate) fn draft_offer() -> Offer {
    let spec = validate_draft(&figeac_cdi(), reference()).unwrap();
    Offer::draft(OfferId::new(), siren(), spec, now())
}

/// [`figeac_cdi`] published, with `positions` positions.
pub(crate) fn published_offer(positions: u32) -> Offer {
    let input = NewOffer {
        positions,
        ..figeac_cdi()
    };
    let spec = validate_draft(&input, reference()).unwrap();
    Offer::draft(OfferId::new(), siren(), spec, now())
        .publish(reference(), today(), now())
        .unwrap()
}

/// A fresh application by a candidate to `offer`.
pub(crate) fn application_to(offer: &Offer) -> Application {
    let candidate_id = CandidateId::new();
    Application::submit(
        ApplicationId::new(),
        offer,
        candidate_id,
        Some(SchoolId::new()),
        &candidate(candidate_id),
        "",
        today(),
        now(),
    )
    .unwrap()
}

/// A CDI in Figeac from 2026-09-01, planned to complete on 2027-09-01.
pub(crate) fn active_placement() -> Placement {
    let offer = published_offer(1);
    let application = application_to(&offer);
    accept(
        &application,
        &offer,
        &[],
        &company(),
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        now(),
    )
    .unwrap()
    .placement
}

/// [`active_placement`] completed on 2027-08-31.
pub(crate) fn completed_placement() -> Placement {
    active_placement()
        .complete(Some(RawDate::new(2027, 8, 31)), date(2027, 9, 10), now())
        .unwrap()
}
