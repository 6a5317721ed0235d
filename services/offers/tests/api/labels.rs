//! Bpifrance's label decisions: only the `bpifrance` role decides, only on a completed
//! placement; a decision is never overwritten, an appeal is a new decision naming the latest
//! one, and the whole history stays readable, oldest first.

use tonic::Code;
use vte_domain::SchoolId;
use vte_proto::vte::common::v1::Role;
use vte_proto::vte::offers::v1::{
    DecideLabelRequest, EndPlacementEarlyRequest, GetPlacementRequest, ListLabelDecisionsRequest,
    list_label_decisions_request::Scope,
};
use vte_proto::vte::placements::v1::{EarlyEndReason, LabelDecision, LabelOutcome, Placement};

use crate::fixtures::{
    Answer, accept, apply, assert_code, assert_invalid, completed_placement, date, figeac_cdi,
    months_from_today, published,
};
use crate::harness::{Api, Client};

/// A service with a completed placement of a student of `school`.
struct Labelling {
    api: Api,
    school: SchoolId,
    placement: Placement,
}

async fn a_completed_placement() -> Labelling {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let placement = completed_placement(&api.owner(), &api.candidate(candidate), candidate).await;
    Labelling {
        api,
        school,
        placement,
    }
}

fn decide(
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

fn grant(placement: &Placement) -> DecideLabelRequest {
    decide(placement, LabelOutcome::Granted, "", "")
}

async fn history(client: &Client, placement: &Placement) -> Vec<LabelDecision> {
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

#[tokio::test]
async fn only_bpifrance_decides_a_label() {
    let Labelling {
        api,
        school,
        placement,
    } = a_completed_placement().await;

    for (who, client) in [
        ("the company", api.owner()),
        ("an operator", api.admin()),
        ("the school", api.school(school)),
        ("the site", api.site()),
        ("a service", api.service()),
    ] {
        let refusal = client
            .clone()
            .decide_label(grant(&placement))
            .await
            .refusal();
        assert_eq!(
            refusal.code(),
            Code::PermissionDenied,
            "{who}: {}",
            refusal.message()
        );
    }

    assert!(history(&api.bpifrance(), &placement).await.is_empty());
    let decided = api
        .bpifrance()
        .decide_label(grant(&placement))
        .await
        .answer();
    let decision = decided.decision.unwrap();
    assert_eq!(decision.outcome, LabelOutcome::Granted as i32);
    assert_eq!(
        decision.decided_by.as_ref().unwrap().role,
        Role::Bpifrance as i32
    );
    assert_eq!(
        decided.placement.unwrap().latest_label_decision,
        Some(decision)
    );
}

#[tokio::test]
async fn a_label_is_decided_only_on_a_completed_placement() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let company = api.owner();
    let mut placements = Vec::new();
    for start in [months_from_today(-2), months_from_today(-3)] {
        let candidate = api.enrol(school).await;
        let offer = published(&company, figeac_cdi()).await;
        let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
        placements.push(accept(&company, &application.id, Some(start)).await.1);
    }
    let (active, ended) = (&placements[0], &placements[1]);
    company
        .clone()
        .end_placement_early(EndPlacementEarlyRequest {
            placement_id: ended.id.clone(),
            ended_on: Some(date(months_from_today(-1))),
            reason: EarlyEndReason::Resignation as i32,
            note: String::new(),
        })
        .await
        .answer();

    for placement in [active, ended] {
        let refusal = api
            .bpifrance()
            .decide_label(grant(placement))
            .await
            .refusal();
        assert_code(&refusal, Code::FailedPrecondition);
        assert!(history(&api.bpifrance(), placement).await.is_empty());
    }
}

#[tokio::test]
async fn an_appeal_naming_the_latest_decision_is_recorded_beside_it_and_both_stay_readable() {
    let Labelling {
        api,
        school,
        placement,
    } = a_completed_placement().await;
    let bpifrance = api.bpifrance();
    let first = bpifrance
        .clone()
        .decide_label(grant(&placement))
        .await
        .answer()
        .decision
        .unwrap();

    let appeal = bpifrance
        .clone()
        .decide_label(decide(
            &placement,
            LabelOutcome::Refused,
            "Contrôle : la mission n'a pas duré douze mois dans l'entreprise.",
            &first.id,
        ))
        .await
        .answer();

    let second = appeal.decision.unwrap();
    assert_eq!(second.reconsiders_decision_id, first.id);
    assert_eq!(second.outcome, LabelOutcome::Refused as i32);
    assert_eq!(
        appeal.placement.unwrap().latest_label_decision,
        Some(second.clone())
    );
    for reader in [bpifrance.clone(), api.owner(), api.school(school)] {
        let decisions = history(&reader, &placement).await;
        let ids: Vec<&str> = decisions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, [first.id.as_str(), second.id.as_str()], "oldest first");
        assert_eq!(decisions[0].outcome, LabelOutcome::Granted as i32);
        assert_eq!(decisions[1].reason, second.reason);
    }
    let read = api
        .owner()
        .get_placement(GetPlacementRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .answer()
        .placement
        .unwrap();
    assert_eq!(read.latest_label_decision.unwrap().id, second.id);
}

#[tokio::test]
async fn a_second_first_decision_is_refused_and_so_is_an_appeal_naming_an_older_one() {
    let Labelling { api, placement, .. } = a_completed_placement().await;
    let bpifrance = api.bpifrance();
    let first = bpifrance
        .clone()
        .decide_label(grant(&placement))
        .await
        .answer()
        .decision
        .unwrap();
    let second = bpifrance
        .clone()
        .decide_label(decide(
            &placement,
            LabelOutcome::Refused,
            "Réexamen du dossier.",
            &first.id,
        ))
        .await
        .answer()
        .decision
        .unwrap();

    let another_first = bpifrance
        .clone()
        .decide_label(grant(&placement))
        .await
        .refusal();
    let stale_appeal = bpifrance
        .clone()
        .decide_label(decide(
            &placement,
            LabelOutcome::Granted,
            "Recours accepté.",
            &first.id,
        ))
        .await
        .refusal();

    assert_code(&another_first, Code::FailedPrecondition);
    assert_code(&stale_appeal, Code::FailedPrecondition);
    let ids: Vec<String> = history(&bpifrance, &placement)
        .await
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, [first.id, second.id]);
}

#[tokio::test]
async fn a_refusal_needs_a_reason_and_a_reconsideration_that_grants_does_not() {
    let Labelling { api, placement, .. } = a_completed_placement().await;
    let bpifrance = api.bpifrance();

    let unexplained_refusal = bpifrance
        .clone()
        .decide_label(decide(&placement, LabelOutcome::Refused, "", ""))
        .await
        .refusal();
    assert_invalid(&unexplained_refusal, &["reason"]);
    let no_outcome = bpifrance
        .clone()
        .decide_label(decide(&placement, LabelOutcome::Unspecified, "", ""))
        .await
        .refusal();
    assert_invalid(&no_outcome, &["outcome"]);
    assert!(history(&bpifrance, &placement).await.is_empty());

    let first = bpifrance
        .clone()
        .decide_label(grant(&placement))
        .await
        .answer()
        .decision
        .unwrap();
    let unexplained_appeal = bpifrance
        .clone()
        .decide_label(decide(&placement, LabelOutcome::Refused, "", &first.id))
        .await
        .refusal();
    assert_invalid(&unexplained_appeal, &["reason"]);
    assert_eq!(history(&bpifrance, &placement).await.len(), 1);

    // The contract asks for a reason "when refused" only: a review that grants needs none.
    let refused = bpifrance
        .clone()
        .decide_label(decide(
            &placement,
            LabelOutcome::Refused,
            "Pièces manquantes.",
            &first.id,
        ))
        .await
        .answer()
        .decision
        .unwrap();
    let granted_on_review = bpifrance
        .clone()
        .decide_label(decide(&placement, LabelOutcome::Granted, "", &refused.id))
        .await
        .answer()
        .decision
        .unwrap();
    assert_eq!(granted_on_review.outcome, LabelOutcome::Granted as i32);
    assert_eq!(granted_on_review.reason, "");
    assert_eq!(granted_on_review.reconsiders_decision_id, refused.id);
    assert_eq!(history(&bpifrance, &placement).await.len(), 3);
}
