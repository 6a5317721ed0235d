#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::error::ErrorKind;
use crate::domain::testing::{active_placement as active, date, now};
use chrono::TimeDelta;
use vte_domain::ContractKind;

fn later() -> DateTime<Utc> {
    now() + TimeDelta::days(600)
}

fn after_the_term() -> NaiveDate {
    date(2027, 9, 10)
}

fn rules(error: DomainError) -> String {
    error.field_errors().unwrap().to_string()
}

#[test]
fn a_cdi_is_planned_for_the_twelve_months_of_the_vte() {
    let placement = active();
    assert_eq!(placement.contract.kind(), ContractKind::Cdi);
    assert_eq!(placement.planned_end_date, date(2027, 9, 1));
    assert_eq!(placement.earliest_completion(), date(2027, 8, 31));
}

#[test]
fn a_fixed_term_is_planned_for_its_duration_clamped_to_the_month() {
    let cdd = Contract::new(ContractKind::Cdd, Some(13)).unwrap();
    assert_eq!(planned_end_date(&cdd, date(2026, 1, 31)), date(2027, 2, 28));
    let work_study = Contract::new(ContractKind::WorkStudy, Some(24)).unwrap();
    assert_eq!(
        planned_end_date(&work_study, date(2026, 9, 1)),
        date(2028, 9, 1)
    );
}

#[test]
fn a_vte_completes_on_the_last_day_of_its_planned_term() {
    let placement = active();
    let completed = placement
        .complete(Some(RawDate::new(2027, 8, 31)), after_the_term(), later())
        .unwrap();
    assert_eq!(completed.status, PlacementStatus::Completed);
    assert_eq!(completed.ended_on, Some(date(2027, 8, 31)));
    assert_eq!(completed.revision, placement.revision + 1);
    assert_eq!(completed.updated_at, later());
}

#[test]
fn a_vte_does_not_complete_before_its_term_nor_in_the_future() {
    let placement = active();
    let early = placement
        .complete(Some(RawDate::new(2027, 8, 30)), after_the_term(), later())
        .unwrap_err();
    assert_eq!(
        rules(early),
        "completed_on: must be on or after 2027-08-31, the last day of the planned term \
         (planned end 2027-09-01), got 2027-08-30"
    );
    let future = placement
        .complete(Some(RawDate::new(2027, 9, 11)), after_the_term(), later())
        .unwrap_err();
    assert_eq!(
        rules(future),
        "completed_on: must not be in the future (today is 2027-09-10), got 2027-09-11"
    );
    let missing = placement
        .complete(None, after_the_term(), later())
        .unwrap_err();
    assert_eq!(rules(missing), "completed_on: is required");
}

#[test]
fn a_completed_vte_is_not_completed_again_nor_ended_early() {
    let completed = active()
        .complete(Some(RawDate::new(2027, 9, 1)), after_the_term(), later())
        .unwrap();
    assert_eq!(
        completed.complete(Some(RawDate::new(2027, 9, 1)), after_the_term(), later()),
        Err(DomainError::IllegalPlacementTransition {
            from: PlacementStatus::Completed,
            action: PlacementAction::Complete
        })
    );
    let error = completed
        .end_early(
            Some(RawDate::new(2026, 10, 1)),
            "RESIGNATION",
            "",
            after_the_term(),
            later(),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
}

#[test]
fn a_vte_ends_early_with_a_reason() {
    let ended = active()
        .end_early(
            Some(RawDate::new(2026, 10, 15)),
            "TRIAL_PERIOD",
            "",
            date(2026, 10, 20),
            later(),
        )
        .unwrap();
    assert_eq!(ended.status, PlacementStatus::EndedEarly);
    assert_eq!(ended.ended_on, Some(date(2026, 10, 15)));
    assert_eq!(
        ended.early_end,
        Some(EarlyEnd {
            reason: EarlyEndReason::TrialPeriod,
            note: None
        })
    );
    assert_eq!(
        ended.complete(Some(RawDate::new(2027, 9, 1)), after_the_term(), later()),
        Err(DomainError::IllegalPlacementTransition {
            from: PlacementStatus::EndedEarly,
            action: PlacementAction::Complete
        })
    );
}

#[test]
fn an_early_end_for_another_reason_says_what_in_its_note() {
    let today = date(2026, 12, 1);
    let error = active()
        .end_early(
            Some(RawDate::new(2026, 11, 1)),
            "OTHER",
            " ",
            today,
            later(),
        )
        .unwrap_err();
    assert_eq!(rules(error), "note: is required when the reason is OTHER");
    let ended = active()
        .end_early(
            Some(RawDate::new(2026, 11, 1)),
            "other",
            "Déménagement de la famille",
            today,
            later(),
        )
        .unwrap();
    let early_end = ended.early_end.unwrap();
    assert_eq!(early_end.reason, EarlyEndReason::Other);
    assert_eq!(
        early_end.note.unwrap().as_str(),
        "Déménagement de la famille"
    );
}

#[test]
fn a_bad_early_end_reports_every_field() {
    let error = active()
        .end_early(None, "", &"x".repeat(1001), date(2026, 12, 1), later())
        .unwrap_err();
    assert_eq!(
        rules(error),
        "ended_on: is required; reason: is required; \
         note: must be at most 1000 characters, got 1001"
    );
    let error = active()
        .end_early(
            Some(RawDate::new(2026, 8, 31)),
            "BANKRUPTCY",
            "",
            date(2026, 12, 1),
            later(),
        )
        .unwrap_err();
    let rules = rules(error);
    assert!(rules.starts_with(
        "ended_on: must be on or after the start date (2026-09-01), got 2026-08-31; reason: \
         must be one of TRIAL_PERIOD"
    ));
}

#[test]
fn an_early_end_is_before_the_term_and_not_in_the_future() {
    let error = active()
        .end_early(
            Some(RawDate::new(2027, 8, 31)),
            "RESIGNATION",
            "",
            after_the_term(),
            later(),
        )
        .unwrap_err();
    assert_eq!(
        rules(error),
        "ended_on: is on or after 2027-08-31, the last day of the planned term: complete the \
         placement instead"
    );
    let error = active()
        .end_early(
            Some(RawDate::new(2026, 12, 2)),
            "RESIGNATION",
            "",
            date(2026, 12, 1),
            later(),
        )
        .unwrap_err();
    assert_eq!(
        rules(error),
        "ended_on: must not be in the future (today is 2026-12-01), got 2026-12-02"
    );
}

#[test]
fn statuses_and_reasons_are_stored_under_their_codes() {
    for status in PlacementStatus::ALL {
        assert_eq!(PlacementStatus::parse(status.as_str()), Ok(status));
    }
    assert!(!PlacementStatus::Active.is_final());
    assert!(PlacementStatus::Completed.is_final() && PlacementStatus::EndedEarly.is_final());
    for reason in EarlyEndReason::ALL {
        assert_eq!(EarlyEndReason::parse(reason.as_str()), Ok(reason));
    }
}
