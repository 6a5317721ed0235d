//! Contact data crosses from the candidates service only where the contract allows it: the
//! company a candidate applied to, and the candidate themself, read it with the application;
//! nobody else does, and an erased candidate has none left to read.

use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GetErasureStatusRequest, GetProfileRequest, ProfileRow,
    PushProfilesBatchRequest, RequestErasureRequest, SchoolStudentRef, get_profile_request,
};
use vte_proto::vte::common::v1::{Date, EducationLevel, PlatformService};
use vte_proto::vte::offers::v1::GetApplicationRequest;
use vte_service::auth::Caller;
use vte_testbed::eventually;

use crate::fixtures::{apply, figeac_cdi, published};
use crate::harness::{Api, PATIENCE};

/// Pushes one student through the real candidates service and waits until the offers service
/// has learnt of them from `vte.candidates.v1`.
async fn pushed_student(api: &Api, school: SchoolId) -> CandidateId {
    let mut schools = api.candidates_client(&Caller::School { school_id: school });
    let row = ProfileRow {
        school_student_ref: "ETU-2026-042".to_owned(),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(Date {
            year: 2025,
            month: 6,
            day: 30,
        }),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        home_insee_code: "31555".to_owned(),
        contact: Some(Contact {
            first_name: "Jeanne".to_owned(),
            last_name: "Martin".to_owned(),
            email: "jeanne.martin@example.fr".to_owned(),
            ..Contact::default()
        }),
        ..ProfileRow::default()
    };
    let summary = schools
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![row],
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    assert_eq!(summary.counts.unwrap().created, 1);
    let profile = schools
        .get_profile(GetProfileRequest {
            key: Some(get_profile_request::Key::SchoolRef(SchoolStudentRef {
                school_id: school.to_string(),
                school_student_ref: "ETU-2026-042".to_owned(),
            })),
        })
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    let candidate = CandidateId::parse(&profile.id).unwrap();
    api.wait_until_known(candidate, school).await;
    candidate
}

#[tokio::test]
async fn the_company_applied_to_and_the_candidate_read_the_contact_and_no_one_else() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = pushed_student(&api, school).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let read = |client: crate::harness::Client| {
        let id = application.id.clone();
        async move {
            client
                .clone()
                .get_application(GetApplicationRequest { application_id: id })
                .await
        }
    };
    for reader in [api.owner(), api.candidate(candidate)] {
        let contact = read(reader).await.unwrap().into_inner().candidate_contact;
        let contact = contact.expect("the contact is disclosed");
        assert_eq!(contact.email, "jeanne.martin@example.fr");
        assert_eq!(contact.candidate_id, candidate.to_string());
    }
    for (reader, expected) in [
        (api.school(school), Code::Ok),
        (api.admin(), Code::Ok),
        (api.other_company(), Code::PermissionDenied),
    ] {
        match read(reader).await {
            Ok(answer) => {
                assert_eq!(expected, Code::Ok);
                assert!(answer.into_inner().candidate_contact.is_none());
            }
            Err(status) => assert_eq!(status.code(), expected),
        }
    }

    // Once erased, there is no contact left to disclose.
    api.candidates_client(&Caller::Candidate {
        candidate_id: candidate,
    })
    .request_erasure(RequestErasureRequest::default())
    .await
    .unwrap();
    let owner = api.owner();
    eventually("the erasure to reach the offers service", PATIENCE, || {
        let read = read(owner.clone());
        async move {
            let answer = read.await.ok()?.into_inner();
            answer.candidate_contact.is_none().then_some(())
        }
    })
    .await;
    // The offers service anonymised the candidate and confirms it to the candidates service
    // with its own service token.
    let operator = api.candidates_client(&Caller::Admin);
    eventually(
        "the offers service to confirm the erasure",
        PATIENCE,
        || {
            let mut operator = operator.clone();
            async move {
                let status = operator
                    .get_erasure_status(GetErasureStatusRequest {
                        candidate_id: candidate.to_string(),
                        erasure_id: String::new(),
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .status?;
                status
                    .confirmations
                    .iter()
                    .any(|c| {
                        c.service == PlatformService::Offers as i32 && c.confirmed_at.is_some()
                    })
                    .then_some(())
            }
        },
    )
    .await;
}
