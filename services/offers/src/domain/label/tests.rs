#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::DomainError;
use crate::domain::error::ErrorKind;
use crate::domain::placement::PlacementStatus;
use crate::domain::testing::{
    active_placement, bpifrance, candidate, company, completed_placement, date,
};
use chrono::{NaiveDate, TimeZone};
use std::sync::OnceLock;
use vte_rules::RuleBook;

fn rules() -> &'static RuleBook {
    static BOOK: OnceLock<RuleBook> = OnceLock::new();
    BOOK.get_or_init(|| RuleBook::load(&vte_rules::repository_rules_dir()).unwrap())
}

/// 09:00 UTC on `day`.
fn on(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
}

/// A CDI in Figeac that started on 2025-09-01, still running.
fn started_2025_09_01() -> Placement {
    Placement {
        start_date: date(2025, 9, 1),
        planned_end_date: date(2026, 9, 1),
        ..active_placement()
    }
}

fn dossier() -> NewLabelRequest {
    NewLabelRequest {
        responsibilities: "Industrialiser la nouvelle ligne d'usinage ; piloter deux techniciens."
            .to_owned(),
        management_link: "Rattaché au directeur général, point hebdomadaire.".to_owned(),
        charter_acknowledged: true,
    }
}

/// The history with the young person's acknowledgement, given on `day`.
fn acknowledged(placement: &Placement, day: NaiveDate) -> LabelHistory {
    let mut history = LabelHistory::default();
    history.acknowledgement = acknowledge_charter(
        placement,
        &history,
        &candidate(placement.candidate_id),
        on(day),
    )
    .unwrap();
    history
}

fn request_on(
    placement: &Placement,
    history: &LabelHistory,
    day: NaiveDate,
) -> Result<LabelRequest, DomainError> {
    let window = label_window(placement, rules());
    request_label(
        placement,
        history,
        &window,
        &dossier(),
        LabelRequestId::new(),
        &company(),
        day,
        on(day),
    )
}

fn decision(outcome: &str, reason: &str, reconsiders: Option<LabelDecisionId>) -> NewLabelDecision {
    NewLabelDecision {
        outcome: outcome.to_owned(),
        reason: reason.to_owned(),
        reconsiders_decision_id: reconsiders.map(|id| id.to_string()).unwrap_or_default(),
    }
}

fn decide_on(
    placement: &Placement,
    history: &LabelHistory,
    request: &NewLabelDecision,
    day: NaiveDate,
) -> Result<LabelDecided, DomainError> {
    decide_label(
        placement,
        history,
        request,
        LabelDecisionId::new(),
        &bpifrance(),
        on(day),
    )
}

/// `placement` requested on 2026-02-15 and pending.
fn requested(placement: &Placement) -> LabelHistory {
    let mut history = acknowledged(placement, date(2026, 2, 10));
    history
        .requests
        .push(request_on(placement, &history, date(2026, 2, 15)).unwrap());
    history
}

fn refusal_of(err: Result<impl std::fmt::Debug, DomainError>) -> LabelRefusal {
    match err.unwrap_err() {
        DomainError::Label(refusal) => refusal,
        other => panic!("not a label refusal: {other:?}"),
    }
}

/// `placement` as if frozen at its hire under `rule_set_id`.
fn frozen_under(placement: Placement, rule_set_id: &str) -> Placement {
    let mut placement = placement;
    placement.frozen.rule_set_id = rule_set_id.to_owned();
    placement
}

#[test]
fn the_window_is_six_months_after_the_start_by_the_rule_set_frozen_at_the_hire() {
    let window = label_window(&started_2025_09_01(), rules());
    assert_eq!(window.rule_set_id.as_deref(), Some("vte-2023-ti-2023-2027"));
    assert_eq!(window.months, 6);
    assert_eq!(window.closes_on, date(2026, 3, 1));

    // The set frozen at the hire is read, whatever the start date would pick today.
    let in_2021 = frozen_under(
        Placement {
            start_date: date(2021, 3, 15),
            ..active_placement()
        },
        "vte-2019-ti-2018-2022",
    );
    let window = label_window(&in_2021, rules());
    assert_eq!(window.rule_set_id.as_deref(), Some("vte-2019-ti-2018-2022"));
    assert_eq!(window.closes_on, date(2021, 9, 15));
    let frozen_2023 = frozen_under(in_2021.clone(), "vte-2023-ti-2023-2027");
    assert_eq!(
        label_window(&frozen_2023, rules()).rule_set_id.as_deref(),
        Some("vte-2023-ti-2023-2027")
    );
    // A set the rule book no longer holds: the one covering the start date.
    let retired = frozen_under(in_2021, "vte-retired");
    assert_eq!(
        label_window(&retired, rules()).rule_set_id.as_deref(),
        Some("vte-2019-ti-2018-2022")
    );

    // Month arithmetic clamps: 31 August + 6 months is the last day of February.
    let end_of_august = Placement {
        start_date: date(2025, 8, 31),
        ..active_placement()
    };
    assert_eq!(
        label_window(&end_of_august, rules()).closes_on,
        date(2026, 2, 28)
    );

    // No set known, none covering 2031: the default window, said so.
    let in_2031 = frozen_under(
        Placement {
            start_date: date(2031, 1, 10),
            ..active_placement()
        },
        "",
    );
    let window = label_window(&in_2031, rules());
    assert_eq!(window.rule_set_id, None);
    assert_eq!(window.months, DEFAULT_LABEL_REQUEST_MONTHS);
    assert_eq!(window.closes_on, date(2031, 7, 10));
    assert!(
        window.rule().contains("no confirmed rule set"),
        "{}",
        window.rule()
    );
}

#[test]
fn a_request_is_accepted_until_the_last_day_of_the_window_and_refused_after_naming_the_rule() {
    let placement = started_2025_09_01();
    let history = acknowledged(&placement, date(2025, 9, 20));

    let in_february = request_on(&placement, &history, date(2026, 2, 15)).unwrap();
    assert_eq!(in_february.version, 1);
    assert_eq!(in_february.answers, None);
    assert_eq!(in_february.requested_by, company());
    assert!(request_on(&placement, &history, date(2026, 3, 1)).is_ok());

    for late in [date(2026, 3, 2), date(2026, 4, 2)] {
        let refusal = refusal_of(request_on(&placement, &history, late));
        assert!(
            matches!(refusal, LabelRefusal::WindowClosed { closes_on, .. }
            if closes_on == date(2026, 3, 1))
        );
        let said = DomainError::Label(refusal.clone());
        assert_eq!(said.kind(), ErrorKind::FailedPrecondition);
        let message = said.to_string();
        for part in [
            "closed on 2026-03-01",
            "label_request_months = 6 of rule set vte-2023-ti-2023-2027",
            "6 months after the contract start (2025-09-01)",
        ] {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }
}

#[test]
fn a_request_needs_the_young_persons_acknowledgement_and_a_whole_dossier() {
    let placement = started_2025_09_01();
    let refusal = refusal_of(request_on(
        &placement,
        &LabelHistory::default(),
        date(2026, 2, 15),
    ));
    assert_eq!(refusal, LabelRefusal::CharterNotAcknowledged);

    let history = acknowledged(&placement, date(2026, 2, 1));
    let window = label_window(&placement, rules());
    let bad = NewLabelRequest {
        responsibilities: "x".repeat(4_001),
        management_link: "  ".to_owned(),
        charter_acknowledged: false,
    };
    let error = request_label(
        &placement,
        &history,
        &window,
        &bad,
        LabelRequestId::new(),
        &company(),
        date(2026, 2, 15),
        on(date(2026, 2, 15)),
    )
    .unwrap_err();
    let fields: Vec<&str> = error
        .field_errors()
        .unwrap()
        .iter()
        .map(|e| e.field())
        .collect();
    assert_eq!(
        fields,
        [
            "responsibilities",
            "management_link",
            "charter_acknowledged"
        ]
    );
    assert!(
        error
            .to_string()
            .contains("at most 4000 characters, got 4001")
    );
}

#[test]
fn the_young_person_acknowledges_the_charter_once() {
    let placement = started_2025_09_01();
    let history = acknowledged(&placement, date(2025, 9, 2));
    let again = acknowledge_charter(
        &placement,
        &history,
        &candidate(placement.candidate_id),
        on(date(2025, 10, 1)),
    )
    .unwrap();
    assert_eq!(again, None);
    let first = history.acknowledgement.unwrap();
    assert_eq!(first.acknowledged_at, on(date(2025, 9, 2)));
    assert_eq!(first.acknowledged_by, candidate(placement.candidate_id));
}

#[test]
fn a_rework_is_answered_by_a_new_version_which_bpifrance_then_grants() {
    let placement = started_2025_09_01();
    let mut history = requested(&placement);
    assert_eq!(history.status(), LabelStatus::Requested);
    assert_eq!(history.pending_since(), Some(on(date(2026, 2, 15))));

    let unexplained = decide_on(
        &placement,
        &history,
        &decision("REWORK_REQUESTED", "", None),
        date(2026, 3, 10),
    );
    assert_eq!(
        unexplained
            .unwrap_err()
            .field_errors()
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .field(),
        "reason"
    );
    let rework = decide_on(
        &placement,
        &history,
        &decision(
            "REWORK_REQUESTED",
            "Préciser le lien avec la direction.",
            None,
        ),
        date(2026, 3, 10),
    )
    .unwrap();
    assert_eq!(rework.decision.request, Some(history.requests[0].id));
    assert_eq!(rework.decision.reconsiders, None);
    history.decisions.push(rework.decision.clone());
    assert_eq!(history.status(), LabelStatus::ReworkRequested);
    assert_eq!(history.pending_since(), None);

    // Bpifrance waits for the company; the resubmission comes after the window closed.
    let early = decide_on(
        &placement,
        &history,
        &decision("GRANTED", "", None),
        date(2026, 3, 11),
    );
    assert!(matches!(
        refusal_of(early),
        LabelRefusal::NotNow {
            status: LabelStatus::ReworkRequested,
            ..
        }
    ));
    let second = request_on(&placement, &history, date(2026, 3, 20)).unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(second.answers, Some(rework.decision.id));
    history.requests.push(second.clone());
    assert_eq!(history.status(), LabelStatus::Requested);

    let grant = decide_on(
        &placement,
        &history,
        &decision("GRANTED", "", None),
        date(2026, 4, 1),
    )
    .unwrap();
    assert_eq!(grant.decision.request, Some(second.id));
    assert_eq!(
        grant.placement.status,
        PlacementStatus::Active,
        "retroactive: still running"
    );
    assert_eq!(grant.placement.revision, placement.revision + 1);
    assert_eq!(
        grant.placement.latest_label_decision,
        Some(grant.decision.clone())
    );
    history.decisions.push(grant.decision);
    assert_eq!(history.status(), LabelStatus::Granted);
    assert_eq!(history.requests.len(), 2, "every version kept");
}

#[test]
fn a_refusal_appealed_by_the_company_is_decided_in_a_decision_naming_it() {
    let placement = started_2025_09_01();
    let mut history = requested(&placement);
    let refusal = decide_on(
        &placement,
        &history,
        &decision("REFUSED", "Missions sans lien avec la direction.", None),
        date(2026, 3, 10),
    )
    .unwrap()
    .decision;
    history.decisions.push(refusal.clone());
    assert_eq!(history.status(), LabelStatus::Refused);
    let resubmitted = request_on(&placement, &history, date(2026, 3, 12));
    assert!(matches!(
        refusal_of(resubmitted),
        LabelRefusal::NotNow { .. }
    ));

    let blank = appeal_label(
        &placement,
        &history,
        " ",
        LabelAppealId::new(),
        &company(),
        on(date(2026, 3, 15)),
    );
    assert_eq!(
        blank
            .unwrap_err()
            .field_errors()
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .field(),
        "reason"
    );
    let appeal = appeal_label(
        &placement,
        &history,
        "Le poste est rattaché au dirigeant : voir l'organigramme joint.",
        LabelAppealId::new(),
        &company(),
        on(date(2026, 3, 15)),
    )
    .unwrap();
    assert_eq!(appeal.appeals, refusal.id);
    history.appeals.push(appeal.clone());
    assert_eq!(history.status(), LabelStatus::Appealed);
    assert_eq!(history.pending_since(), Some(on(date(2026, 3, 15))));
    let twice = appeal_label(
        &placement,
        &history,
        "Encore",
        LabelAppealId::new(),
        &candidate(placement.candidate_id),
        on(date(2026, 3, 16)),
    );
    assert!(matches!(
        refusal_of(twice),
        LabelRefusal::NotNow {
            status: LabelStatus::Appealed,
            ..
        }
    ));

    // Naming another decision than the refusal appealed is refused; naming it, or nothing, is
    // the same decision on the appeal.
    let stale = decide_on(
        &placement,
        &history,
        &decision("GRANTED", "", Some(LabelDecisionId::new())),
        date(2026, 4, 1),
    );
    assert!(matches!(
        stale.unwrap_err(),
        DomainError::NotLatestDecision { .. }
    ));
    let granted = decide_on(
        &placement,
        &history,
        &decision("GRANTED", "Organigramme reçu.", Some(refusal.id)),
        date(2026, 4, 1),
    )
    .unwrap()
    .decision;
    assert_eq!(granted.appeal, Some(appeal.id));
    assert_eq!(granted.reconsiders, Some(refusal.id));
    assert_eq!(granted.request, Some(history.requests[0].id));
    history.decisions.push(granted);
    assert_eq!(history.status(), LabelStatus::Granted);
}

#[test]
fn only_a_refusal_is_appealed() {
    let placement = started_2025_09_01();
    let history = requested(&placement);
    let pending = appeal_label(
        &placement,
        &history,
        "Pourquoi pas ?",
        LabelAppealId::new(),
        &company(),
        on(date(2026, 3, 1)),
    );
    assert!(matches!(
        refusal_of(pending),
        LabelRefusal::NotNow {
            status: LabelStatus::Requested,
            ..
        }
    ));
}

#[test]
fn nothing_is_decided_before_the_company_requests_it() {
    let placement = completed_placement();
    let refusal = refusal_of(decide_on(
        &placement,
        &LabelHistory::default(),
        &decision("GRANTED", "", None),
        date(2027, 9, 10),
    ));
    assert!(
        refusal
            .to_string()
            .contains("NOT_REQUESTED; the company requests it first")
    );
    let pending = requested(&placement);
    let named = decide_on(
        &placement,
        &pending,
        &decision("GRANTED", "", Some(LabelDecisionId::new())),
        date(2027, 9, 10),
    );
    assert!(matches!(
        refusal_of(named),
        LabelRefusal::DossierPending { .. }
    ));
}

#[test]
fn only_bpifrance_decides() {
    let placement = started_2025_09_01();
    let history = requested(&placement);
    for actor in [company(), candidate(placement.candidate_id)] {
        let error = decide_label(
            &placement,
            &history,
            &decision("GRANTED", "", None),
            LabelDecisionId::new(),
            &actor,
            on(date(2026, 3, 1)),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    }
}

#[test]
fn a_review_names_the_latest_decision_so_reviewers_do_not_overwrite_each_other() {
    let placement = started_2025_09_01();
    let mut history = requested(&placement);
    let first = decide_on(
        &placement,
        &history,
        &decision("GRANTED", "", None),
        date(2026, 3, 1),
    )
    .unwrap()
    .decision;
    history.decisions.push(first.clone());
    let unnamed = decide_on(
        &placement,
        &history,
        &decision("REFUSED", "Contrôle", None),
        date(2026, 5, 1),
    );
    assert!(
        matches!(unnamed.unwrap_err(), DomainError::AlreadyDecided { latest } if latest == first.id)
    );
    let review = decide_on(
        &placement,
        &history,
        &decision(
            "REFUSED",
            "Contrôle : mission de moins d'un an.",
            Some(first.id),
        ),
        date(2026, 5, 1),
    )
    .unwrap()
    .decision;
    assert_eq!(review.reconsiders, Some(first.id));
    assert_eq!(review.request, first.request);
    history.decisions.push(review);
    let stale = decide_on(
        &placement,
        &history,
        &decision("GRANTED", "", Some(first.id)),
        date(2026, 5, 2),
    );
    assert!(matches!(
        stale.unwrap_err(),
        DomainError::NotLatestDecision { .. }
    ));
}

#[test]
fn after_an_early_end_nothing_is_requested_nor_granted_but_a_pending_request_may_be_refused() {
    let running = started_2025_09_01();
    let history = requested(&running);
    let ended = running
        .end_early(
            Some(RawDate::new(2026, 2, 20)),
            "RESIGNATION",
            "",
            date(2026, 2, 25),
            on(date(2026, 2, 25)),
        )
        .unwrap();
    let grant = decide_on(
        &ended,
        &history,
        &decision("GRANTED", "", None),
        date(2026, 3, 1),
    );
    assert_eq!(
        refusal_of(grant),
        LabelRefusal::EndedEarly {
            action: LabelAction::Grant
        }
    );
    let refused = decide_on(
        &ended,
        &history,
        &decision("REFUSED", "VTE interrompu.", None),
        date(2026, 3, 1),
    );
    assert_eq!(refused.unwrap().decision.outcome, LabelOutcome::Refused);

    let fresh = acknowledged(&running, date(2026, 1, 5));
    assert_eq!(
        refusal_of(request_on(&ended, &fresh, date(2026, 2, 26))),
        LabelRefusal::EndedEarly {
            action: LabelAction::Request
        }
    );
}

#[test]
fn codes_round_trip() {
    for outcome in LabelOutcome::ALL {
        assert_eq!(LabelOutcome::parse(outcome.as_str()), Ok(outcome));
    }
    for status in LabelStatus::ALL {
        assert_eq!(LabelStatus::parse(status.as_str()), Ok(status));
    }
    assert!(LabelOutcome::parse("MAYBE").is_err());
}

use crate::domain::values::RawDate;

#[test]
fn the_longest_window_of_the_rule_sets_bounds_the_reminder_sweep() {
    // Every rule set so far says 6 months, as does the default.
    assert_eq!(window::longest_label_window_months(rules()), 6);
}
