//! Who may take which label step, what bad input gets, and what each step publishes: each role
//! takes only its own steps (PERMISSION_DENIED otherwise, nothing recorded); bad dossiers,
//! decisions and appeals are INVALID_ARGUMENT naming every field and change nothing; every
//! label step is one event on the placement's key, with no free text people wrote.

use tonic::Code;
use vte_domain::CandidateId;
use vte_proto::vte::offers::v1::{
    AcknowledgeLabelCharterRequest, AppealLabelRequest, GetLabelCaseRequest, ListLabelQueueRequest,
    RequestLabelRequest,
};
use vte_proto::vte::placements::v1::placement_event::Event;
use vte_proto::vte::placements::v1::{LabelOutcome, LabelStatus};

use crate::fixtures::{Answer, assert_code, assert_invalid, months_from_today};
use crate::harness::{Envelope, Published};
use crate::labels::{acknowledge, case, decide, decided, dossier, hired, history};

#[tokio::test]
async fn each_role_takes_only_its_own_label_steps() {
    let hired = hired(months_from_today(-2)).await;
    let (api, placement) = (&hired.api, &hired.placement);
    let ack = || AcknowledgeLabelCharterRequest {
        placement_id: placement.id.clone(),
    };
    for (who, client) in [
        ("the company", api.owner()),
        ("the school", api.school(hired.school)),
        ("another candidate", api.candidate(CandidateId::new())),
        ("Bpifrance", api.bpifrance()),
    ] {
        let refusal = client
            .clone()
            .acknowledge_label_charter(ack())
            .await
            .refusal();
        assert_eq!(
            refusal.code(),
            Code::PermissionDenied,
            "{who}: {}",
            refusal.message()
        );
    }
    acknowledge(&api.candidate(hired.candidate), placement).await;
    for (who, client) in [
        ("another company", api.other_company()),
        ("the young person", api.candidate(hired.candidate)),
        ("the school", api.school(hired.school)),
        ("Bpifrance", api.bpifrance()),
        ("the site", api.site()),
    ] {
        let refusal = client
            .clone()
            .request_label(dossier(placement))
            .await
            .refusal();
        assert_eq!(
            refusal.code(),
            Code::PermissionDenied,
            "{who}: {}",
            refusal.message()
        );
    }
    api.owner().request_label(dossier(placement)).await.answer();
    for (who, client) in [
        ("the company", api.owner()),
        ("an operator", api.admin()),
        ("the school", api.school(hired.school)),
        ("a service", api.service()),
    ] {
        let refusal = client
            .clone()
            .decide_label(decide(placement, LabelOutcome::Granted, "", ""))
            .await
            .refusal();
        assert_eq!(
            refusal.code(),
            Code::PermissionDenied,
            "{who}: {}",
            refusal.message()
        );
    }
    for (who, client) in [
        ("the company", api.owner()),
        ("the young person", api.candidate(hired.candidate)),
    ] {
        let refusal = client
            .clone()
            .list_label_queue(ListLabelQueueRequest { page: None })
            .await
            .refusal();
        assert_eq!(
            refusal.code(),
            Code::PermissionDenied,
            "{who}: {}",
            refusal.message()
        );
    }
    decided(
        api,
        decide(placement, LabelOutcome::Refused, "Dossier incomplet.", ""),
    )
    .await;
    for (who, client) in [
        ("another company", api.other_company()),
        ("the school", api.school(hired.school)),
        ("Bpifrance", api.bpifrance()),
    ] {
        let refusal = client
            .clone()
            .appeal_label(AppealLabelRequest {
                placement_id: placement.id.clone(),
                reason: "Recours.".to_owned(),
            })
            .await
            .refusal();
        assert_eq!(
            refusal.code(),
            Code::PermissionDenied,
            "{who}: {}",
            refusal.message()
        );
    }
    let label = case(&api.bpifrance(), placement).await;
    assert_eq!(label.status, LabelStatus::Refused as i32);
    assert!(label.appeals.is_empty());
    let stranger = api
        .other_company()
        .get_label_case(GetLabelCaseRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .refusal();
    assert_code(&stranger, Code::PermissionDenied);
}

#[tokio::test]
async fn bad_label_input_names_every_field_and_changes_nothing() {
    let hired = hired(months_from_today(-1)).await;
    let (api, placement) = (&hired.api, &hired.placement);
    acknowledge(&api.candidate(hired.candidate), placement).await;

    let bad = api
        .owner()
        .request_label(RequestLabelRequest {
            placement_id: placement.id.clone(),
            responsibilities: "x".repeat(4_001),
            management_link: String::new(),
            charter_acknowledged: false,
        })
        .await
        .refusal();
    assert_invalid(
        &bad,
        &[
            "responsibilities",
            "management_link",
            "charter_acknowledged",
        ],
    );
    // A megabyte of text is refused in a short message that quotes none of it.
    let huge = api
        .owner()
        .request_label(RequestLabelRequest {
            responsibilities: "é".repeat(1 << 20),
            ..dossier(placement)
        })
        .await
        .refusal();
    assert_invalid(&huge, &["responsibilities"]);
    assert!(huge.message().len() < 200, "{}", huge.message());
    assert!(
        huge.message()
            .contains("at most 4000 characters, got 1048576")
    );
    let bad_id = api
        .owner()
        .request_label(RequestLabelRequest {
            placement_id: "pas-un-uuid".to_owned(),
            ..dossier(placement)
        })
        .await
        .refusal();
    assert_invalid(&bad_id, &["placement_id"]);
    assert_eq!(
        case(&api.owner(), placement).await.status,
        LabelStatus::NotRequested as i32
    );

    api.owner().request_label(dossier(placement)).await.answer();
    let unexplained_rework = api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::ReworkRequested, "", ""))
        .await
        .refusal();
    assert_invalid(&unexplained_rework, &["reason"]);
    let unexplained_refusal = api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::Refused, " ", ""))
        .await
        .refusal();
    assert_invalid(&unexplained_refusal, &["reason"]);
    assert!(history(&api.bpifrance(), placement).await.is_empty());

    decided(
        api,
        decide(placement, LabelOutcome::Refused, "Dossier incomplet.", ""),
    )
    .await;
    let unexplained_appeal = api
        .owner()
        .appeal_label(AppealLabelRequest {
            placement_id: placement.id.clone(),
            reason: String::new(),
        })
        .await
        .refusal();
    assert_invalid(&unexplained_appeal, &["reason"]);
    assert!(case(&api.owner(), placement).await.appeals.is_empty());
}

#[tokio::test]
async fn each_label_step_is_one_event_on_the_placement() {
    let hired = hired(months_from_today(-2)).await;
    let (api, placement) = (&hired.api, &hired.placement);
    let mut log = api.events();
    log.new_events().await;
    let kinds = |events: &[Published]| -> Vec<(String, &'static str)> {
        events
            .iter()
            .map(|event| (event.key.clone(), event.kind()))
            .collect()
    };
    let on = |kind: &'static str| vec![(placement.id.clone(), kind)];

    acknowledge(&api.candidate(hired.candidate), placement).await;
    assert!(
        log.new_events().await.is_empty(),
        "an acknowledgement changes no placement"
    );
    api.owner().request_label(dossier(placement)).await.answer();
    let events = log.new_events().await;
    assert_eq!(kinds(&events), on("LabelRequested"));
    assert_eq!(
        events[0].revision(),
        placement.revision,
        "the placement itself is unchanged"
    );
    let Envelope::Placement(event) = &events[0].event else {
        panic!("not a placement event");
    };
    let Some(Event::LabelRequested(requested)) = &event.event else {
        panic!("not a request");
    };
    let request = requested.request.as_ref().unwrap();
    assert_eq!(request.version, 1);
    assert_eq!(
        (
            request.responsibilities.as_str(),
            request.management_link.as_str()
        ),
        ("", ""),
        "what people wrote never enters Kafka"
    );
    assert_eq!(requested.window.as_ref().unwrap().months, 6);
    decided(
        api,
        decide(
            placement,
            LabelOutcome::ReworkRequested,
            "Préciser le poste.",
            "",
        ),
    )
    .await;
    assert_eq!(kinds(&log.new_events().await), on("LabelReworkRequested"));
    api.owner().request_label(dossier(placement)).await.answer();
    assert_eq!(kinds(&log.new_events().await), on("LabelRequested"));
    let refusal = decided(
        api,
        decide(placement, LabelOutcome::Refused, "Hors VTE.", ""),
    )
    .await;
    assert_eq!(kinds(&log.new_events().await), on("LabelRefused"));
    api.owner()
        .appeal_label(AppealLabelRequest {
            placement_id: placement.id.clone(),
            reason: "Le poste est rattaché au dirigeant.".to_owned(),
        })
        .await
        .answer();
    let events = log.new_events().await;
    assert_eq!(kinds(&events), on("LabelAppealed"));
    let Envelope::Placement(event) = &events[0].event else {
        panic!("not a placement event");
    };
    let Some(Event::LabelAppealed(appealed)) = &event.event else {
        panic!("not an appeal");
    };
    let appeal = appealed.appeal.as_ref().unwrap();
    assert_eq!(appeal.appeals_decision_id, refusal.id);
    assert_eq!(appeal.reason, "", "the appeal's reason never enters Kafka");
    let granted = hired
        .api
        .bpifrance()
        .decide_label(decide(placement, LabelOutcome::Granted, "", &refusal.id))
        .await
        .answer();
    let events = log.new_events().await;
    assert_eq!(kinds(&events), on("LabelGranted"));
    assert_eq!(events[0].revision(), granted.placement.unwrap().revision);
}
