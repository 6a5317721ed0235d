//! The offers service's bad requests about hiring: applying as the wrong role, for another
//! school's student or another candidate, to an unknown offer; malformed ids, timestamps, dates
//! in 1900 and enum numbers in the application, placement and label calls; another company's
//! applications; the roles that decide no label.

use prost_types::Timestamp;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::Date;
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, ApplyRequest, CompletePlacementRequest, DecideLabelRequest,
    EndPlacementEarlyRequest, GetApplicationRequest, ListApplicationsRequest,
    ListLabelDecisionsRequest, ListPlacementsRequest, RefuseApplicationRequest,
    ReviewApplicationRequest, ScheduleInterviewRequest, WithdrawApplicationRequest,
    list_applications_request,
};
use vte_service::auth::Caller;

use crate::bed::{Bed, OTHER_SIREN, SIREN, candidate, company, school};
use crate::case::{Case, DENIED, DENIED_OR_HIDDEN, INVALID, NOT_FOUND, case};
use crate::offers::Targets;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// The cases.
pub fn cases(bed: &Bed, t: &Targets) -> Vec<Case> {
    let owner = bed.offers(&company(SIREN));
    let other = bed.offers(&company(OTHER_SIREN));
    let bpifrance = bed.offers(&Caller::Bpifrance);
    let its_school = bed.offers(&school(t.school));
    let other_school = bed.offers(&school(SchoolId::new()));
    let student = bed.offers(&candidate(t.student));
    let stranger = bed.offers(&candidate(CandidateId::new()));
    let unknown = uuid::Uuid::now_v7().to_string();
    let published = t.published.clone();

    vec![
        // Applications.
        case(
            "apply: as a company",
            DENIED,
            call!(
                owner,
                apply,
                ApplyRequest {
                    offer_id: published.clone(),
                    candidate_id: t.student.to_string(),
                    message: String::new(),
                }
            ),
        ),
        case(
            "apply: to an unknown offer",
            NOT_FOUND,
            call!(
                student,
                apply,
                ApplyRequest {
                    offer_id: unknown.clone(),
                    candidate_id: String::new(),
                    message: String::new(),
                }
            ),
        ),
        case(
            "apply: a malformed candidate id",
            INVALID,
            call!(
                its_school,
                apply,
                ApplyRequest {
                    offer_id: published.clone(),
                    candidate_id: "ETU-042".to_owned(),
                    message: String::new(),
                }
            ),
        )
        .naming("candidate_id"),
        case(
            "apply: a 100,000-character message",
            INVALID,
            call!(
                student,
                apply,
                ApplyRequest {
                    offer_id: published.clone(),
                    candidate_id: String::new(),
                    message: "m".repeat(100_000),
                }
            ),
        )
        .naming("message"),
        case(
            "apply: for another school's student",
            DENIED,
            call!(
                other_school,
                apply,
                ApplyRequest {
                    offer_id: published.clone(),
                    candidate_id: t.student.to_string(),
                    message: String::new(),
                }
            ),
        ),
        case(
            "apply: for another candidate",
            DENIED,
            call!(
                stranger,
                apply,
                ApplyRequest {
                    offer_id: published.clone(),
                    candidate_id: t.student.to_string(),
                    message: String::new(),
                }
            ),
        ),
        case(
            "get application: an unknown one",
            NOT_FOUND,
            call!(
                owner,
                get_application,
                GetApplicationRequest {
                    application_id: unknown.clone(),
                }
            ),
        ),
        case(
            "list applications: without a scope",
            INVALID,
            call!(owner, list_applications, ListApplicationsRequest::default()),
        )
        .naming("scope"),
        case(
            "list applications: to another company's offer",
            DENIED_OR_HIDDEN,
            call!(
                other,
                list_applications,
                ListApplicationsRequest {
                    scope: Some(list_applications_request::Scope::OfferId(published.clone())),
                    ..ListApplicationsRequest::default()
                }
            ),
        ),
        case(
            "list applications: 100,000 statuses",
            INVALID,
            call!(
                owner,
                list_applications,
                ListApplicationsRequest {
                    scope: Some(list_applications_request::Scope::OfferId(published.clone())),
                    statuses: vec![1; 100_000],
                    ..ListApplicationsRequest::default()
                }
            ),
        )
        .naming("statuses"),
        case(
            "review: a malformed application id",
            INVALID,
            call!(
                owner,
                review_application,
                ReviewApplicationRequest {
                    application_id: "42".to_owned(),
                    note: String::new(),
                }
            ),
        )
        .naming("application_id"),
        case(
            "interview: a timestamp with negative nanos",
            INVALID,
            call!(
                owner,
                schedule_interview,
                ScheduleInterviewRequest {
                    application_id: unknown.clone(),
                    interview_at: Some(Timestamp {
                        seconds: 1_900_000_000,
                        nanos: -1,
                    }),
                    note: String::new(),
                }
            ),
        )
        .naming("interview_at"),
        case(
            "accept: a contract starting in 1900",
            INVALID,
            call!(
                owner,
                accept_application,
                AcceptApplicationRequest {
                    application_id: unknown.clone(),
                    contract_start_date: date(1900, 9, 1),
                    ..AcceptApplicationRequest::default()
                }
            ),
        )
        .naming("contract_start_date"),
        case(
            "refuse: an unknown application",
            NOT_FOUND,
            call!(
                owner,
                refuse_application,
                RefuseApplicationRequest {
                    application_id: unknown.clone(),
                    reason: "profil trop éloigné".to_owned(),
                }
            ),
        ),
        case(
            "withdraw: as a company",
            DENIED_OR_HIDDEN,
            call!(
                owner,
                withdraw_application,
                WithdrawApplicationRequest {
                    application_id: unknown.clone(),
                    reason: String::new(),
                }
            ),
        ),
        // Placements and labels.
        case(
            "complete placement: ended in 1900",
            INVALID,
            call!(
                owner,
                complete_placement,
                CompletePlacementRequest {
                    placement_id: unknown.clone(),
                    completed_on: date(1900, 6, 30),
                }
            ),
        )
        .naming("completed_on"),
        case(
            "end placement early: reason number 99",
            INVALID,
            call!(
                owner,
                end_placement_early,
                EndPlacementEarlyRequest {
                    placement_id: unknown.clone(),
                    reason: 99,
                    ..EndPlacementEarlyRequest::default()
                }
            ),
        )
        .naming("reason"),
        case(
            "list placements: 100,000 statuses",
            INVALID,
            call!(
                owner,
                list_placements,
                ListPlacementsRequest {
                    statuses: vec![1; 100_000],
                    ..ListPlacementsRequest::default()
                }
            ),
        )
        .naming("statuses"),
        case(
            "decide label: as a company",
            DENIED,
            call!(
                owner,
                decide_label,
                DecideLabelRequest {
                    placement_id: unknown.clone(),
                    outcome: 1,
                    ..DecideLabelRequest::default()
                }
            ),
        ),
        case(
            "decide label: outcome number 99",
            INVALID,
            call!(
                bpifrance,
                decide_label,
                DecideLabelRequest {
                    placement_id: unknown.clone(),
                    outcome: 99,
                    ..DecideLabelRequest::default()
                }
            ),
        )
        .naming("outcome"),
        case(
            "list label decisions: without a scope",
            INVALID,
            call!(
                bpifrance,
                list_label_decisions,
                ListLabelDecisionsRequest::default()
            ),
        )
        .naming("scope"),
    ]
}
