#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::application_state::{ApplicationStatus, IllegalTransition};
use crate::domain::error::ErrorKind;
use crate::domain::placement::PlacementStatus;
use crate::domain::spec::NewOffer;
use crate::domain::testing::{
    application_to, candidate, company, date, draft_offer, figeac_cdi, now, published_offer,
    reference, scheme, school, today,
};
use chrono::TimeDelta;
use vte_domain::{ApplicationId, ContractKind};
use vte_rules::{AidCode, AidOutcome, Rule, Standing};

fn later() -> DateTime<Utc> {
    now() + TimeDelta::days(3)
}

fn hire(application: &Application, offer: &Offer, others: &[Application]) -> Acceptance {
    accept(
        application,
        offer,
        others,
        &company(),
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap()
}

/// Another application of the same candidate, to another offer.
fn same_candidate_elsewhere(application: &Application) -> Application {
    let other_offer = published_offer(1);
    Application::submit(
        ApplicationId::new(),
        &other_offer,
        application.candidate_id,
        None,
        &candidate(application.candidate_id),
        "",
        today(),
        now(),
    )
    .unwrap()
}

#[test]
fn accepting_takes_a_position_and_starts_the_vte() {
    let offer = published_offer(2);
    let application = application_to(&offer);
    let acceptance = hire(&application, &offer, &[]);
    assert_eq!(acceptance.application.status, ApplicationStatus::Accepted);
    assert_eq!(
        acceptance.application.placement_id,
        Some(acceptance.placement.id)
    );
    assert_eq!(acceptance.offer.status, OfferStatus::Published);
    assert_eq!(acceptance.offer.positions_remaining(), 1);
    let placement = &acceptance.placement;
    assert_eq!(placement.status, PlacementStatus::Active);
    assert_eq!(placement.application_id, application.id);
    assert_eq!(placement.candidate_id, application.candidate_id);
    assert_eq!(placement.contract, Contract::cdi());
    assert_eq!(placement.start_date, date(2026, 9, 1));
    assert_eq!(placement.planned_end_date, date(2027, 9, 1));
    assert_eq!(placement.company_name.as_str(), "Usinage du Célé SAS");
    let frozen = &placement.frozen;
    assert_eq!(frozen.rule_set_id, "vte-2023-ti-2023-2027");
    assert_eq!(frozen.territory.as_ref().unwrap().id, "ti-7603");
    assert_eq!(
        frozen.verdict.as_ref().unwrap().standing,
        Standing::Eligible
    );
    assert_eq!(frozen.aids[0].code, AidCode::TerritoiresIndustrie);
    assert_eq!(frozen.aids[0].outcome, AidOutcome::Eligible);
}

#[test]
fn accepting_makes_the_candidates_other_open_applications_obsolete() {
    let offer = published_offer(2);
    let application = application_to(&offer);
    let elsewhere = same_candidate_elsewhere(&application);
    let withdrawn = same_candidate_elsewhere(&application)
        .withdraw(&school(), "", now())
        .unwrap();
    let rival = application_to(&offer);
    let acceptance = hire(&application, &offer, &[elsewhere.clone(), withdrawn, rival]);
    let [obsolete] = acceptance.obsolete.as_slice() else {
        panic!("only the open application elsewhere becomes obsolete");
    };
    assert_eq!(obsolete.id, elsewhere.id);
    assert_eq!(obsolete.status, ApplicationStatus::Obsolete);
    assert_eq!(
        obsolete
            .transitions
            .last()
            .unwrap()
            .reason
            .as_ref()
            .unwrap()
            .as_str(),
        "Le candidat a été recruté sur une autre offre."
    );
}

#[test]
fn accepting_for_the_last_position_fills_the_offer_and_closes_its_other_applications() {
    let offer = published_offer(1);
    let application = application_to(&offer);
    let rival = application_to(&offer);
    let acceptance = hire(&application, &offer, &[application.clone(), rival.clone()]);
    assert_eq!(acceptance.offer.status, OfferStatus::Filled);
    assert_eq!(acceptance.offer.positions_remaining(), 0);
    let [obsolete] = acceptance.obsolete.as_slice() else {
        panic!("the rival application becomes obsolete");
    };
    assert_eq!(obsolete.id, rival.id);
    assert_eq!(
        obsolete
            .transitions
            .last()
            .unwrap()
            .reason
            .as_ref()
            .unwrap()
            .as_str(),
        "Toutes les places de l'offre ont été pourvues."
    );
}

#[test]
fn a_filled_offer_accepts_no_one_else() {
    let offer = published_offer(1);
    let first = application_to(&offer);
    let second = application_to(&offer);
    let filled = hire(&first, &offer, &[]).offer;
    let error = accept(
        &second,
        &filled,
        &[],
        &company(),
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
}

#[test]
fn the_terms_may_set_the_start_date_and_the_duration_of_a_cdd() {
    let input = NewOffer {
        contract_kind: "CDD".to_owned(),
        duration_months: Some(12),
        ..figeac_cdi()
    };
    let offer = draft_offer()
        .update(&input, reference(), today(), now())
        .unwrap()
        .publish(reference(), today(), now())
        .unwrap();
    let application = application_to(&offer);
    let terms = AcceptanceTerms {
        contract_start_date: Some(RawDate::new(2026, 10, 1)),
        duration_months: Some(18),
        note: "Signature le 15".to_owned(),
    };
    let acceptance = accept(
        &application,
        &offer,
        &[],
        &company(),
        &terms,
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap();
    let placement = acceptance.placement;
    assert_eq!(placement.contract.kind(), ContractKind::Cdd);
    assert_eq!(placement.contract.duration_months(), Some(18));
    assert_eq!(placement.start_date, date(2026, 10, 1));
    assert_eq!(placement.planned_end_date, date(2028, 4, 1));
}

#[test]
fn bad_terms_are_all_reported_and_nothing_changes() {
    let offer = published_offer(1);
    let application = application_to(&offer);
    let terms = AcceptanceTerms {
        contract_start_date: Some(RawDate::new(2026, 2, 30)),
        duration_months: Some(12),
        note: "x".repeat(1001),
    };
    let error = accept(
        &application,
        &offer,
        &[],
        &company(),
        &terms,
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: contract_start_date: 2026-02-30 is not a date of the calendar; \
         duration_months: a CDI has no end: leave its duration empty; \
         note: must be at most 1000 characters, got 1001"
    );
}

#[test]
fn only_the_company_side_accepts_and_only_an_open_application() {
    let offer = published_offer(1);
    let application = application_to(&offer);
    let by_candidate = accept(
        &application,
        &offer,
        &[],
        &candidate(application.candidate_id),
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        later(),
    );
    assert_eq!(
        by_candidate.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let refused = application.refuse(&company(), "Non", now()).unwrap();
    let error = accept(
        &refused,
        &offer,
        &[],
        &company(),
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap_err();
    assert_eq!(
        error,
        DomainError::IllegalTransition(IllegalTransition {
            from: ApplicationStatus::Refused,
            action: ApplicationAction::Accept
        })
    );
}

#[test]
fn an_application_to_another_offer_is_an_inconsistency_of_the_store() {
    let application = application_to(&published_offer(1));
    let error = accept(
        &application,
        &published_offer(1),
        &[],
        &company(),
        &AcceptanceTerms::default(),
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Internal);
}

#[test]
fn a_graduate_of_2023_cannot_be_hired_on_a_contract_starting_in_september_2026() {
    let offer = published_offer(1);
    let application = application_to(&offer);
    let old_graduate = vte_rules::CandidateFacts {
        graduation_date: Some(date(2023, 6, 30)),
        ..crate::domain::testing::graduate().clone()
    };
    let error = accept(
        &application,
        &offer,
        &[],
        &company(),
        &AcceptanceTerms::default(),
        Scheme {
            rules: crate::domain::testing::rules(),
            candidate: &old_graduate,
        },
        PlacementId::new(),
        later(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
    let DomainError::NotEligible {
        rule,
        reason,
        rule_set,
    } = &error
    else {
        panic!("expected NotEligible, got {error:?}");
    };
    assert_eq!(*rule, Rule::GraduateRecency.code());
    assert_eq!(rule_set, "vte-2023-ti-2023-2027");
    assert!(reason.contains("Diplômé en juin 2023"), "{reason}");
    assert!(error.to_string().starts_with(
        "not eligible to the VTE under vte-2023-ti-2023-2027 (rule graduate_recency)"
    ));
}

#[test]
fn the_verdict_is_judged_on_the_agreed_start_date_and_frozen_with_it() {
    // Agreed to start in 2028: no confirmed rules cover it, the hire goes ahead "à confirmer".
    let offer = published_offer(1);
    let application = application_to(&offer);
    let terms = AcceptanceTerms {
        contract_start_date: Some(RawDate::new(2028, 1, 15)),
        ..AcceptanceTerms::default()
    };
    let acceptance = accept(
        &application,
        &offer,
        &[],
        &company(),
        &terms,
        scheme(),
        PlacementId::new(),
        later(),
    )
    .unwrap();
    let frozen = &acceptance.placement.frozen;
    assert_eq!(frozen.offer.start, date(2028, 1, 15));
    let verdict = frozen.verdict.as_ref().unwrap();
    assert_eq!(verdict.standing, Standing::ToConfirm);
    assert!(frozen.aids.iter().all(|aid| !aid.eligible()));
}
