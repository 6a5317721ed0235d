#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::error::ErrorKind;
use crate::domain::testing::{active_placement, bpifrance, company, completed_placement, now};
use chrono::TimeDelta;

fn request(outcome: &str, reason: &str, reconsiders: &str) -> NewLabelDecision {
    NewLabelDecision {
        outcome: outcome.to_owned(),
        reason: reason.to_owned(),
        reconsiders_decision_id: reconsiders.to_owned(),
    }
}

fn at(days: i64) -> DateTime<Utc> {
    now() + TimeDelta::days(600 + days)
}

fn decide(
    placement: &Placement,
    history: &[LabelDecision],
    request: &NewLabelDecision,
    day: i64,
) -> Result<LabelDecided, DomainError> {
    decide_label(
        placement,
        history,
        request,
        LabelDecisionId::new(),
        &bpifrance(),
        at(day),
    )
}

/// A completed placement with a first refusal, then an appeal granting the label.
fn refused_then_granted() -> (Placement, Vec<LabelDecision>) {
    let placement = completed_placement();
    let first = decide(
        &placement,
        &[],
        &request("REFUSED", "Missions hors VTE", ""),
        0,
    )
    .unwrap();
    let appeal = request(
        "GRANTED",
        "Pièces complémentaires reçues",
        &first.decision.id.to_string(),
    );
    let second = decide(
        &first.placement,
        std::slice::from_ref(&first.decision),
        &appeal,
        1,
    )
    .unwrap();
    (second.placement, vec![first.decision, second.decision])
}

#[test]
fn bpifrance_grants_the_label_of_a_completed_vte() {
    let placement = completed_placement();
    let decided = decide(&placement, &[], &request("GRANTED", "", ""), 0).unwrap();
    let decision = &decided.decision;
    assert_eq!(decision.outcome, LabelOutcome::Granted);
    assert_eq!(decision.reason, None);
    assert_eq!(decision.reconsiders, None);
    assert_eq!(decision.placement_id, placement.id);
    assert_eq!(decision.candidate_id, placement.candidate_id);
    assert_eq!(decision.decided_by, bpifrance());
    assert_eq!(decision.decided_at, at(0));
    assert_eq!(
        decided.placement.latest_label_decision.as_ref(),
        Some(decision)
    );
    assert_eq!(decided.placement.revision, placement.revision + 1);
}

#[test]
fn a_refusal_carries_its_reason() {
    let placement = completed_placement();
    let error = decide(&placement, &[], &request("REFUSED", " ", ""), 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: reason: is required when the label is refused"
    );
    let decided = decide(
        &placement,
        &[],
        &request("refused", "Missions hors VTE", ""),
        0,
    )
    .unwrap();
    assert_eq!(decided.decision.outcome, LabelOutcome::Refused);
    assert_eq!(
        decided.decision.reason.unwrap().as_str(),
        "Missions hors VTE"
    );
}

#[test]
fn only_bpifrance_decides() {
    let error = decide_label(
        &completed_placement(),
        &[],
        &request("GRANTED", "", ""),
        LabelDecisionId::new(),
        &company(),
        at(0),
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(
        error.to_string(),
        "only bpifrance decides labels, not company"
    );
}

#[test]
fn a_vte_still_running_or_ended_early_is_not_labelled() {
    let active = active_placement();
    assert_eq!(
        decide(&active, &[], &request("GRANTED", "", ""), 0),
        Err(DomainError::PlacementNotCompleted {
            status: PlacementStatus::Active
        })
    );
    let ended = active
        .end_early(
            Some(crate::domain::values::RawDate::new(2026, 10, 1)),
            "TRIAL_PERIOD",
            "",
            crate::domain::testing::date(2026, 10, 2),
            at(0),
        )
        .unwrap();
    assert_eq!(
        decide(&ended, &[], &request("GRANTED", "", ""), 0)
            .unwrap_err()
            .kind(),
        ErrorKind::FailedPrecondition
    );
}

#[test]
fn a_first_decision_reconsiders_nothing() {
    let named = LabelDecisionId::new();
    assert_eq!(
        decide(
            &completed_placement(),
            &[],
            &request("GRANTED", "Revu", &named.to_string()),
            0
        ),
        Err(DomainError::NothingToReconsider { named })
    );
}

#[test]
fn a_decision_is_never_overwritten_by_one_that_does_not_name_it() {
    let placement = completed_placement();
    let first = decide(
        &placement,
        &[],
        &request("REFUSED", "Missions hors VTE", ""),
        0,
    )
    .unwrap();
    let error = decide(
        &first.placement,
        std::slice::from_ref(&first.decision),
        &request("GRANTED", "", ""),
        1,
    )
    .unwrap_err();
    assert_eq!(
        error,
        DomainError::AlreadyDecided {
            latest: first.decision.id
        }
    );
    assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
}

#[test]
fn an_appeal_is_a_new_decision_naming_the_latest_with_its_reason() {
    let (placement, history) = refused_then_granted();
    let [first, second] = history.as_slice() else {
        panic!("two decisions expected");
    };
    assert_eq!(first.outcome, LabelOutcome::Refused);
    assert_eq!(second.outcome, LabelOutcome::Granted);
    assert_eq!(second.reconsiders, Some(first.id));
    assert_eq!(
        second.reason.as_ref().unwrap().as_str(),
        "Pièces complémentaires reçues"
    );
    assert_eq!(placement.latest_label_decision.as_ref(), Some(second));
}

#[test]
fn an_appeal_naming_an_older_decision_is_refused_so_reviewers_do_not_overwrite_each_other() {
    let (placement, history) = refused_then_granted();
    let stale = request("REFUSED", "Relecture", &history[0].id.to_string());
    assert_eq!(
        decide(&placement, &history, &stale, 2),
        Err(DomainError::NotLatestDecision {
            named: history[0].id,
            latest: history[1].id
        })
    );
}

#[test]
fn an_appeal_that_grants_needs_no_reason_as_the_contract_says() {
    let placement = completed_placement();
    let first = decide(&placement, &[], &request("REFUSED", "Incomplet", ""), 0).unwrap();
    let appeal = request("GRANTED", "", &first.decision.id.to_string());
    let history = std::slice::from_ref(&first.decision);
    let second = decide(&first.placement, history, &appeal, 1).unwrap();
    assert_eq!(second.decision.outcome, LabelOutcome::Granted);
    assert_eq!(second.decision.reason, None);
    assert_eq!(second.decision.reconsiders, Some(first.decision.id));
}

#[test]
fn an_appeal_that_refuses_again_still_needs_its_reason() {
    let placement = completed_placement();
    let first = decide(&placement, &[], &request("REFUSED", "Incomplet", ""), 0).unwrap();
    let appeal = request("REFUSED", " ", &first.decision.id.to_string());
    let error = decide(&first.placement, &[first.decision], &appeal, 1).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: reason: is required when the label is refused"
    );
}

#[test]
fn a_bad_request_reports_every_field() {
    let error = decide(
        &completed_placement(),
        &[],
        &request("MAYBE", &"x".repeat(2001), "decision-1"),
        0,
    )
    .unwrap_err();
    let fields: Vec<_> = error
        .field_errors()
        .unwrap()
        .iter()
        .map(|e| e.field().to_owned())
        .collect();
    assert_eq!(fields, ["outcome", "reconsiders_decision_id", "reason"]);
    let missing = decide(&completed_placement(), &[], &request("", "", ""), 0).unwrap_err();
    assert_eq!(missing.to_string(), "invalid request: outcome: is required");
}

#[test]
fn outcomes_are_stored_under_their_codes() {
    for outcome in LabelOutcome::ALL {
        assert_eq!(LabelOutcome::parse(outcome.as_str()), Ok(outcome));
    }
}
