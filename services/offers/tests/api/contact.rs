//! Contact data comes from the contact directory (the candidates service in production) only
//! where the contract allows it: the company a candidate applied to, and the candidate themself,
//! read it with the application; nobody else does; a candidate the directory no longer knows
//! (erased) has none left to read; a directory out of reach makes the read UNAVAILABLE rather
//! than silently contactless. Someone other than the candidate applies for them only while they
//! consent, and the company reads the contact of such an application only while they still do.
//! The token subjects of who acted (an account id) show only to that account and to operators.
//! With the real candidates service, erasure confirmation included:
//! `tests/tests/offers_with_candidates.rs`.

use tonic::Code;
use vte_domain::SchoolId;
use vte_proto::vte::offers::v1::{
    ApplyRequest, DecideLabelRequest, GetApplicationRequest, GetPlacementRequest,
    ListApplicationsRequest, list_applications_request,
};
use vte_proto::vte::placements::v1::LabelOutcome;
use vte_service::contacts::Contact;

use crate::fixtures::{accept, apply, figeac_cdi, label_requested, months_from_today, published};
use crate::harness::{Api, Client};

#[tokio::test]
async fn only_the_company_applied_to_and_the_candidate_read_the_contact_the_directory_gives() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    api.contacts().insert(
        candidate,
        Contact {
            first_name: "Jeanne".to_owned(),
            last_name: "Martin".to_owned(),
            email: "jeanne.martin@example.fr".to_owned(),
            phone: String::new(),
        },
    );
    let offer = published(&api.owner(), figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let read = |mut client: Client| {
        let application_id = application.id.clone();
        async move {
            client
                .get_application(GetApplicationRequest { application_id })
                .await
        }
    };

    for reader in [api.owner(), api.candidate(candidate)] {
        let contact = read(reader).await.unwrap().into_inner().candidate_contact;
        let contact = contact.expect("the contact is disclosed");
        assert_eq!(contact.email, "jeanne.martin@example.fr");
        assert_eq!(contact.first_name, "Jeanne");
        assert_eq!(contact.candidate_id, candidate.to_string());
    }
    for reader in [api.school(school), api.admin()] {
        let answer = read(reader).await.unwrap().into_inner();
        assert!(answer.candidate_contact.is_none());
    }
    let refused = read(api.other_company()).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    api.contacts().set_available(false);
    let unavailable = read(api.owner()).await.unwrap_err();
    assert_eq!(unavailable.code(), Code::Unavailable);
    api.contacts().set_available(true);

    api.contacts().erase(candidate);
    let answer = read(api.owner()).await.unwrap().into_inner();
    assert!(
        answer.candidate_contact.is_none(),
        "nothing left to disclose"
    );
}

fn jeanne() -> Contact {
    Contact {
        first_name: "Jeanne".to_owned(),
        last_name: "Martin".to_owned(),
        email: "jeanne.martin@example.fr".to_owned(),
        phone: String::new(),
    }
}

#[tokio::test]
async fn a_school_cannot_apply_for_a_student_who_withdrew_consent_and_nothing_is_disclosed() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let student = api.enrol(school).await;
    api.contacts().insert(student, jeanne());
    api.set_consent(student, school, false, 2).await;
    let offer = published(&api.owner(), figeac_cdi()).await;

    let refused = api
        .school(school)
        .apply(ApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: student.to_string(),
            message: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("consent"),
        "the message names the rule: {}",
        refused.message()
    );
    let listed = api
        .owner()
        .list_applications(ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::OfferId(offer.id.clone())),
            ..ListApplicationsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert!(listed.is_empty(), "nothing was stored: {listed:?}");

    // The candidate's own application is their confirmation: the company reads the contact.
    let own = apply(&api.candidate(student), &offer.id, student).await;
    let read = api
        .owner()
        .get_application(GetApplicationRequest {
            application_id: own.id,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        read.candidate_contact.unwrap().email,
        "jeanne.martin@example.fr"
    );
}

#[tokio::test]
async fn a_company_reads_no_contact_of_a_school_application_once_the_student_withdrew_consent() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let student = api.enrol(school).await;
    api.contacts().insert(student, jeanne());
    let offer = published(&api.owner(), figeac_cdi()).await;
    let application = apply(&api.school(school), &offer.id, student).await;
    let contact = |api: &Api| {
        let mut owner = api.owner();
        let application_id = application.id.clone();
        async move {
            owner
                .get_application(GetApplicationRequest { application_id })
                .await
                .unwrap()
                .into_inner()
                .candidate_contact
        }
    };
    assert!(contact(&api).await.is_some(), "consenting: disclosed");

    api.set_consent(student, school, false, 2).await;
    assert!(contact(&api).await.is_none(), "withdrawn: not any more");
    api.set_consent(student, school, true, 3).await;
    assert!(
        contact(&api).await.is_some(),
        "given again: disclosed again"
    );
}

/// The token subjects of an application's log and of a label decision, as `client` reads them.
async fn subjects_read_by(
    client: &Client,
    application_id: &str,
    placement_id: &str,
) -> Vec<String> {
    let application = client
        .clone()
        .get_application(GetApplicationRequest {
            application_id: application_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    let mut subjects: Vec<String> = application
        .transitions
        .into_iter()
        .map(|t| t.actor.unwrap().subject)
        .collect();
    let placement = client
        .clone()
        .get_placement(GetPlacementRequest {
            placement_id: placement_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap();
    subjects.push(
        placement
            .latest_label_decision
            .unwrap()
            .decided_by
            .unwrap()
            .subject,
    );
    subjects
}

#[tokio::test]
async fn account_subjects_show_only_to_their_own_account_and_to_operators() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let owner = api.owner();
    let offer = published(&owner, figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let (_, placement) = accept(&owner, &application.id, Some(months_from_today(-2))).await;
    label_requested(&owner, &api.candidate(candidate), &placement.id).await;
    api.bpifrance()
        .decide_label(DecideLabelRequest {
            placement_id: placement.id.clone(),
            outcome: LabelOutcome::Granted as i32,
            reason: String::new(),
            reconsiders_decision_id: String::new(),
        })
        .await
        .unwrap();
    let (me, recruiter, reviewer) = (
        "account-of-candidate",
        "account-of-company",
        "account-of-bpifrance",
    );

    // The log: submitted by the candidate, accepted by the company; then Bpifrance's decision.
    let read = |client: Client| {
        let (application, placement) = (application.id.clone(), placement.id.clone());
        async move { subjects_read_by(&client, &application, &placement).await }
    };
    assert_eq!(read(api.admin()).await, [me, recruiter, reviewer]);
    assert_eq!(read(api.service()).await, [me, recruiter, reviewer]);
    assert_eq!(read(api.candidate(candidate)).await, [me, "", ""]);
    assert_eq!(read(owner).await, ["", recruiter, ""]);
    assert_eq!(
        read(api.company_account(crate::harness::SIREN, "colleague")).await,
        ["", "", ""]
    );
    assert_eq!(read(api.school(school)).await, ["", "", ""]);
    // Bpifrance reads the placement only, with its own decision.
    let decided = api
        .bpifrance()
        .get_placement(GetPlacementRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap()
        .latest_label_decision
        .unwrap();
    assert_eq!(decided.decided_by.unwrap().subject, reviewer);
}
