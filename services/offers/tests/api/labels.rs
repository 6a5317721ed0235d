//! The label as practised, through the API: the young person acknowledges the VTE charter, the
//! company requests the label within 6 months of the start (later, FAILED_PRECONDITION naming
//! the rule and the last day), Bpifrance grants, refuses or asks for a rework, the company
//! resubmits, a refusal is appealed and decided; every record stays readable; Bpifrance's queue
//! is ordered by deadline. The service runs on today's date, so the dates here are relative to
//! it (`label_dates` runs the use cases on fixed dates; `label_rules` checks roles, bad input
//! and events with the helpers here).

use chrono::{Months, NaiveDate};
use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::{PageRequest, Role};
use vte_proto::vte::offers::v1::{
    AcknowledgeLabelCharterRequest, AppealLabelRequest, DecideLabelRequest,
    EndPlacementEarlyRequest, GetLabelCaseRequest, ListLabelDecisionsRequest,
    ListLabelQueueRequest, RequestLabelRequest, list_label_decisions_request::Scope,
};
use vte_proto::vte::placements::v1::{
    EarlyEndReason, LabelCase, LabelDecision, LabelOutcome, LabelStatus, Placement, PlacementStatus,
};

use crate::fixtures::{
    Answer, accept, apply, assert_code, date, figeac_cdi, months_from_today, published,
};
use crate::harness::{Api, Client};

/// A VTE of a student of `school`, hired by the owner, started on `start`.
pub(crate) struct Hired {
    pub(crate) api: Api,
    pub(crate) school: SchoolId,
    pub(crate) candidate: CandidateId,
    pub(crate) placement: Placement,
}

pub(crate) async fn hired(start: NaiveDate) -> Hired {
    let api = Api::start().await;
    let school = SchoolId::new();
    let (candidate, placement) = hire(&api, school, start).await;
    Hired {
        api,
        school,
        candidate,
        placement,
    }
}

/// A new candidate of `school` hired by the owner from `start`.
pub(crate) async fn hire(
    api: &Api,
    school: SchoolId,
    start: NaiveDate,
) -> (CandidateId, Placement) {
    let candidate = api.enrol(school).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let (_, placement) = accept(&api.owner(), &application.id, Some(start)).await;
    (candidate, placement)
}

pub(crate) fn dossier(placement: &Placement) -> RequestLabelRequest {
    RequestLabelRequest {
        placement_id: placement.id.clone(),
        responsibilities: "Industrialiser la nouvelle gamme de pièces ; encadrer deux \
                           techniciens méthodes."
            .to_owned(),
        management_link: "Rattaché directement au directeur général, comité de direction \
                          mensuel."
            .to_owned(),
        charter_acknowledged: true,
    }
}

pub(crate) async fn acknowledge(young_person: &Client, placement: &Placement) -> LabelCase {
    young_person
        .clone()
        .acknowledge_label_charter(AcknowledgeLabelCharterRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .answer()
        .label
        .unwrap()
}

/// The young person acknowledges the charter and the company requests the label.
pub(crate) async fn requested(hired: &Hired) -> LabelCase {
    acknowledge(&hired.api.candidate(hired.candidate), &hired.placement).await;
    hired
        .api
        .owner()
        .request_label(dossier(&hired.placement))
        .await
        .answer()
        .label
        .unwrap()
}

pub(crate) fn decide(
    placement: &Placement,
    outcome: LabelOutcome,
    reason: &str,
    reconsiders: &str,
) -> DecideLabelRequest {
    DecideLabelRequest {
        placement_id: placement.id.clone(),
        outcome: outcome as i32,
        reason: reason.to_owned(),
        reconsiders_decision_id: reconsiders.to_owned(),
    }
}

pub(crate) async fn decided(api: &Api, request: DecideLabelRequest) -> LabelDecision {
    api.bpifrance()
        .decide_label(request)
        .await
        .answer()
        .decision
        .unwrap()
}

pub(crate) async fn case(client: &Client, placement: &Placement) -> LabelCase {
    client
        .clone()
        .get_label_case(GetLabelCaseRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .answer()
        .label
        .unwrap()
}

pub(crate) async fn history(client: &Client, placement: &Placement) -> Vec<LabelDecision> {
    client
        .clone()
        .list_label_decisions(ListLabelDecisionsRequest {
            scope: Some(Scope::PlacementId(placement.id.clone())),
            page: None,
        })
        .await
        .answer()
        .decisions
}

pub(crate) fn six_months_after(start: NaiveDate) -> NaiveDate {
    start.checked_add_months(Months::new(6)).unwrap()
}

#[tokio::test]
async fn a_company_requests_the_label_of_a_running_vte_and_bpifrance_grants_it_retroactively() {
    let start = months_from_today(-2);
    let hired = hired(start).await;
    let label = requested(&hired).await;

    assert_eq!(label.status, LabelStatus::Requested as i32);
    let window = label.window.unwrap();
    assert_eq!(window.months, 6);
    assert_eq!(window.closes_on, Some(date(six_months_after(start))));
    assert!(
        !window.rule_set_id.is_empty(),
        "the window comes from a rule set"
    );
    assert_eq!(label.requests.len(), 1);
    assert_eq!(label.requests[0].version, 1);
    assert!(label.requests[0].company_charter_acknowledged);
    assert!(label.pending_since.is_some());

    let answer = hired
        .api
        .bpifrance()
        .decide_label(decide(&hired.placement, LabelOutcome::Granted, "", ""))
        .await
        .answer();
    let decision = answer.decision.unwrap();
    assert_eq!(decision.request_id, label.requests[0].id);
    let placement = answer.placement.unwrap();
    assert_eq!(
        placement.status,
        PlacementStatus::Active as i32,
        "the VTE still runs"
    );
    assert_eq!(placement.latest_label_decision, Some(decision.clone()));
    assert_eq!(answer.label.unwrap().status, LabelStatus::Granted as i32);
    for reader in [
        hired.api.owner(),
        hired.api.candidate(hired.candidate),
        hired.api.school(hired.school),
        hired.api.bpifrance(),
    ] {
        let seen = case(&reader, &hired.placement).await;
        assert_eq!(seen.status, LabelStatus::Granted as i32);
        assert_eq!(seen.decisions.len(), 1);
    }
}

#[tokio::test]
async fn a_label_request_seven_months_after_the_start_is_refused_naming_the_rule_and_the_deadline()
{
    let start = months_from_today(-7);
    let hired = hired(start).await;
    acknowledge(&hired.api.candidate(hired.candidate), &hired.placement).await;

    let refusal = hired
        .api
        .owner()
        .request_label(dossier(&hired.placement))
        .await
        .refusal();

    assert_code(&refusal, Code::FailedPrecondition);
    let deadline = six_months_after(start).to_string();
    for part in [
        "label_request_months = 6",
        "6 months after the contract start",
        deadline.as_str(),
    ] {
        assert!(
            refusal.message().contains(part),
            "{part:?} not in {}",
            refusal.message()
        );
    }
    let label = case(&hired.api.owner(), &hired.placement).await;
    assert_eq!(label.status, LabelStatus::NotRequested as i32);
    assert!(label.requests.is_empty());
}

#[tokio::test]
async fn the_request_waits_for_the_young_persons_own_acknowledgement_of_the_charter() {
    let hired = hired(months_from_today(-1)).await;
    let too_early = hired
        .api
        .owner()
        .request_label(dossier(&hired.placement))
        .await
        .refusal();
    assert_code(&too_early, Code::FailedPrecondition);
    assert!(too_early.message().contains("acknowledged the VTE charter"));

    let first = acknowledge(&hired.api.candidate(hired.candidate), &hired.placement).await;
    let given = first.young_person_acknowledgement.unwrap();
    assert_eq!(
        given.acknowledged_by.as_ref().unwrap().role,
        Role::Candidate as i32
    );
    let again = acknowledge(&hired.api.candidate(hired.candidate), &hired.placement).await;
    assert_eq!(
        again.young_person_acknowledgement.unwrap().acknowledged_at,
        given.acknowledged_at,
        "acknowledged once"
    );
    hired
        .api
        .owner()
        .request_label(dossier(&hired.placement))
        .await
        .answer();
}

#[tokio::test]
async fn a_rework_is_resubmitted_as_a_new_version_which_bpifrance_grants() {
    let hired = hired(months_from_today(-3)).await;
    requested(&hired).await;
    let (api, placement) = (&hired.api, &hired.placement);

    let rework = decided(
        api,
        decide(
            placement,
            LabelOutcome::ReworkRequested,
            "Préciser les responsabilités confiées et le lien avec la direction.",
            "",
        ),
    )
    .await;
    assert_eq!(
        case(&api.owner(), placement).await.status,
        LabelStatus::ReworkRequested as i32
    );
    let waiting = api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::Granted, "", ""))
        .await
        .refusal();
    assert_code(&waiting, Code::FailedPrecondition);

    let resubmitted = api.owner().request_label(dossier(placement)).await.answer();
    let second = resubmitted.request.unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(second.answers_decision_id, rework.id);
    let grant = decided(api, decide(placement, LabelOutcome::Granted, "", "")).await;
    assert_eq!(grant.request_id, second.id);

    let label = case(&api.bpifrance(), placement).await;
    assert_eq!(label.status, LabelStatus::Granted as i32);
    let versions: Vec<u32> = label.requests.iter().map(|r| r.version).collect();
    assert_eq!(versions, [1, 2], "every version is kept");
    let outcomes: Vec<i32> = label.decisions.iter().map(|d| d.outcome).collect();
    assert_eq!(
        outcomes,
        [
            LabelOutcome::ReworkRequested as i32,
            LabelOutcome::Granted as i32
        ]
    );
}

#[tokio::test]
async fn an_appeal_by_the_company_is_recorded_and_decided() {
    let hired = hired(months_from_today(-4)).await;
    requested(&hired).await;
    let (api, placement) = (&hired.api, &hired.placement);
    let refusal = decided(
        api,
        decide(
            placement,
            LabelOutcome::Refused,
            "Poste sans lien avec la direction.",
            "",
        ),
    )
    .await;

    let appealed = api
        .owner()
        .appeal_label(AppealLabelRequest {
            placement_id: placement.id.clone(),
            reason: "Le poste est rattaché au dirigeant : organigramme joint au dossier."
                .to_owned(),
        })
        .await
        .answer();
    let appeal = appealed.appeal.unwrap();
    assert_eq!(appeal.appeals_decision_id, refusal.id);
    assert_eq!(appeal.appealed_by.unwrap().role, Role::Company as i32);
    assert_eq!(appealed.label.unwrap().status, LabelStatus::Appealed as i32);
    let twice = api
        .candidate(hired.candidate)
        .appeal_label(AppealLabelRequest {
            placement_id: placement.id.clone(),
            reason: "Moi aussi.".to_owned(),
        })
        .await
        .refusal();
    assert_code(&twice, Code::FailedPrecondition);

    let on_appeal = decided(
        api,
        decide(
            placement,
            LabelOutcome::Granted,
            "Organigramme reçu.",
            &refusal.id,
        ),
    )
    .await;
    assert_eq!(on_appeal.appeal_id, appeal.id);
    assert_eq!(on_appeal.reconsiders_decision_id, refusal.id);
    let label = case(&api.candidate(hired.candidate), placement).await;
    assert_eq!(label.status, LabelStatus::Granted as i32);
    assert_eq!(label.appeals.len(), 1);
    let ids: Vec<String> = history(&api.owner(), placement)
        .await
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(
        ids,
        [refusal.id, on_appeal.id],
        "both decisions kept, oldest first"
    );
}

#[tokio::test]
async fn the_young_person_may_appeal_a_refusal_too() {
    let hired = hired(months_from_today(-2)).await;
    requested(&hired).await;
    let refusal = decided(
        &hired.api,
        decide(
            &hired.placement,
            LabelOutcome::Refused,
            "Dossier incomplet.",
            "",
        ),
    )
    .await;
    let appeal = hired
        .api
        .candidate(hired.candidate)
        .appeal_label(AppealLabelRequest {
            placement_id: hired.placement.id.clone(),
            reason: "Mes missions relèvent bien du bras droit du dirigeant.".to_owned(),
        })
        .await
        .answer()
        .appeal
        .unwrap();
    assert_eq!(appeal.appeals_decision_id, refusal.id);
    assert_eq!(appeal.appealed_by.unwrap().role, Role::Candidate as i32);
}

#[tokio::test]
async fn bpifrances_queue_lists_pending_requests_by_deadline_page_by_page() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let mut placements = Vec::new();
    for months_ago in [1, 4, 2] {
        let (candidate, placement) = hire(&api, school, months_from_today(-months_ago)).await;
        acknowledge(&api.candidate(candidate), &placement).await;
        api.owner()
            .request_label(dossier(&placement))
            .await
            .answer();
        placements.push(placement);
    }
    // Decided: no longer in the queue.
    let (candidate, done) = hire(&api, school, months_from_today(-3)).await;
    acknowledge(&api.candidate(candidate), &done).await;
    api.owner().request_label(dossier(&done)).await.answer();
    decided(&api, decide(&done, LabelOutcome::Granted, "", "")).await;

    let page = |token: String| ListLabelQueueRequest {
        page: Some(PageRequest {
            page_size: 2,
            page_token: token,
        }),
    };
    let first = api
        .bpifrance()
        .list_label_queue(page(String::new()))
        .await
        .answer();
    let token = first.page.unwrap().next_page_token;
    assert!(!token.is_empty());
    let second = api.bpifrance().list_label_queue(page(token)).await.answer();
    assert_eq!(second.page.unwrap().next_page_token, "");
    let order: Vec<String> = first
        .labels
        .iter()
        .chain(&second.labels)
        .map(|case| case.placement_id.clone())
        .collect();
    let expected = [&placements[1], &placements[2], &placements[0]].map(|p| p.id.clone());
    assert_eq!(order, expected, "the window closing first comes first");
    let deadlines: Vec<_> = first
        .labels
        .iter()
        .chain(&second.labels)
        .map(|case| case.window.clone().unwrap().closes_on.unwrap())
        .collect();
    assert_eq!(deadlines.len(), 3);
    assert!(
        deadlines
            .windows(2)
            .all(|pair| (pair[0].year, pair[0].month, pair[0].day)
                <= (pair[1].year, pair[1].month, pair[1].day))
    );
}

#[tokio::test]
async fn a_review_names_the_latest_decision_so_two_reviewers_do_not_overwrite_each_other() {
    let hired = hired(months_from_today(-2)).await;
    requested(&hired).await;
    let (api, placement) = (&hired.api, &hired.placement);
    let first = decided(api, decide(placement, LabelOutcome::Granted, "", "")).await;

    let unnamed = api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::Refused, "Contrôle.", ""))
        .await
        .refusal();
    assert_code(&unnamed, Code::FailedPrecondition);
    let review = decided(
        api,
        decide(
            placement,
            LabelOutcome::Refused,
            "Contrôle : la mission n'a pas de lien avec la direction.",
            &first.id,
        ),
    )
    .await;
    let stale = api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::Granted, "", &first.id))
        .await
        .refusal();
    assert_code(&stale, Code::FailedPrecondition);
    let ids: Vec<String> = history(&api.school(hired.school), placement)
        .await
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, [first.id, review.id]);
}

#[tokio::test]
async fn after_an_early_end_a_pending_request_can_only_be_refused() {
    let hired = hired(months_from_today(-3)).await;
    requested(&hired).await;
    let (api, placement) = (&hired.api, &hired.placement);
    api.owner()
        .end_placement_early(EndPlacementEarlyRequest {
            placement_id: placement.id.clone(),
            ended_on: Some(date(months_from_today(-1))),
            reason: EarlyEndReason::Resignation as i32,
            note: String::new(),
        })
        .await
        .answer();

    let grant = api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::Granted, "", ""))
        .await
        .refusal();
    assert_code(&grant, Code::FailedPrecondition);
    assert!(
        grant.message().contains("ended early"),
        "{}",
        grant.message()
    );
    let refused = decided(
        api,
        decide(placement, LabelOutcome::Refused, "VTE interrompu.", ""),
    )
    .await;
    assert_eq!(refused.outcome, LabelOutcome::Refused as i32);
    let label = case(&api.owner(), placement).await;
    assert_eq!(label.placement_status, PlacementStatus::EndedEarly as i32);
    assert_eq!(label.status, LabelStatus::Refused as i32);
}
