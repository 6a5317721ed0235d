//! The lives of offers, applications and placements through the API: the path to a hire, every
//! step refused from a final status (FAILED_PRECONDITION, nothing changed), obsolescence when a
//! candidate is hired or an offer closed, the offer filled by its last acceptance. The 60-day
//! expiry of unanswered applications is the sweep's, tested with it.

use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::applications::v1::{Application, ApplicationStatus};
use vte_proto::vte::common::v1::Role;
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, ApplyRequest, CloseOfferRequest, CompletePlacementRequest,
    EndPlacementEarlyRequest, OfferSpec, OfferStatus, PublishOfferRequest,
    RefuseApplicationRequest, ReviewApplicationRequest, ScheduleInterviewRequest,
    UpdateOfferRequest, WithdrawApplicationRequest,
};
use vte_proto::vte::placements::v1::{EarlyEndReason, PlacementStatus};

use crate::fixtures::{
    Answer, accept, application, apply, assert_code, assert_invalid, complete, date,
    days_from_today, draft, figeac_cdi, months_from_today, offer, published, start_long_ago,
};
use crate::harness::{Api, Client};

fn in_days(days: i64) -> prost_types::Timestamp {
    let at = chrono::Utc::now() + chrono::Duration::days(days);
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

fn status(application: &Application) -> ApplicationStatus {
    ApplicationStatus::try_from(application.status).unwrap()
}

/// The statuses of an application's log, in order.
fn path(application: &Application) -> Vec<(ApplicationStatus, ApplicationStatus)> {
    application
        .transitions
        .iter()
        .map(|t| {
            (
                ApplicationStatus::try_from(t.from).unwrap(),
                ApplicationStatus::try_from(t.to).unwrap(),
            )
        })
        .collect()
}

fn last_actor(application: &Application) -> Role {
    let last = application.transitions.last().unwrap();
    Role::try_from(last.actor.as_ref().unwrap().role).unwrap()
}

/// A service with one school and `count` of its students known to it.
async fn students(api: &Api, count: usize) -> (SchoolId, Vec<CandidateId>) {
    let school = SchoolId::new();
    let mut candidates = Vec::new();
    for _ in 0..count {
        candidates.push(api.enrol(school).await);
    }
    (school, candidates)
}

#[tokio::test]
async fn an_application_goes_from_submitted_through_review_and_interview_to_accepted() {
    use ApplicationStatus::{Accepted, InReview, Interview, Submitted, Unspecified};
    let api = Api::start().await;
    let (_, candidates) = students(&api, 1).await;
    let company = api.owner();
    let offer = published(
        &company,
        OfferSpec {
            positions: 2,
            ..figeac_cdi()
        },
    )
    .await;

    let interview_at = in_days(7);

    let submitted = apply(&api.candidate(candidates[0]), &offer.id, candidates[0]).await;
    let reviewed = company
        .clone()
        .review_application(ReviewApplicationRequest {
            application_id: submitted.id.clone(),
            note: "Profil intéressant.".to_owned(),
        })
        .await
        .answer()
        .application
        .unwrap();
    let invited = company
        .clone()
        .schedule_interview(ScheduleInterviewRequest {
            application_id: submitted.id.clone(),
            interview_at: Some(interview_at),
            note: "Sur site, atelier 2.".to_owned(),
        })
        .await
        .answer()
        .application
        .unwrap();
    let (accepted, placement) = accept(&company, &submitted.id, None).await;

    assert_eq!(status(&submitted), Submitted);
    assert_eq!(status(&reviewed), InReview);
    assert_eq!(status(&invited), Interview);
    assert_eq!(invited.interview_at, Some(interview_at));
    assert_eq!(status(&accepted), Accepted);
    assert_eq!(
        path(&accepted),
        [
            (Unspecified, Submitted),
            (Submitted, InReview),
            (InReview, Interview),
            (Interview, Accepted)
        ]
    );
    assert_eq!(accepted.revision, 4);
    assert_eq!(
        accepted.transitions[0].actor.as_ref().unwrap().role,
        Role::Candidate as i32
    );
    assert_eq!(last_actor(&accepted), Role::Company);
    assert_eq!(accepted.placement_id, placement.id);
    assert_eq!(placement.status, PlacementStatus::Active as i32);
    assert_eq!(placement.application_id, accepted.id);
    assert_eq!(placement.candidate_id, candidates[0].to_string());
    assert_eq!(placement.start_date, offer.spec.unwrap().start_date);
    let read = application(&api.candidate(candidates[0]), &submitted.id).await;
    assert_eq!(read.status, Accepted as i32);
    assert_eq!(read.transitions.len(), 4);
}

/// One step of the machine, taken by the party entitled to it.
#[derive(Debug, Clone, Copy)]
enum Step {
    Review,
    Interview,
    Accept,
    Refuse,
    Withdraw,
}

impl Step {
    const ALL: [Step; 5] = [
        Self::Review,
        Self::Interview,
        Self::Accept,
        Self::Refuse,
        Self::Withdraw,
    ];

    async fn take(self, company: &Client, candidate: &Client, id: &str) -> Code {
        let id = id.to_owned();
        match self {
            Self::Review => company
                .clone()
                .review_application(ReviewApplicationRequest {
                    application_id: id,
                    note: String::new(),
                })
                .await
                .code(),
            Self::Interview => company
                .clone()
                .schedule_interview(ScheduleInterviewRequest {
                    application_id: id,
                    interview_at: Some(in_days(3)),
                    note: String::new(),
                })
                .await
                .code(),
            Self::Accept => company
                .clone()
                .accept_application(AcceptApplicationRequest {
                    application_id: id,
                    ..AcceptApplicationRequest::default()
                })
                .await
                .code(),
            Self::Refuse => company
                .clone()
                .refuse_application(RefuseApplicationRequest {
                    application_id: id,
                    reason: "Profil trop éloigné du poste.".to_owned(),
                })
                .await
                .code(),
            Self::Withdraw => candidate
                .clone()
                .withdraw_application(WithdrawApplicationRequest {
                    application_id: id,
                    reason: String::new(),
                })
                .await
                .code(),
        }
    }
}

#[tokio::test]
async fn no_step_is_taken_from_a_final_status_and_the_application_stays_as_it_was() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 5).await;
    let company = api.owner();
    let client = |i: usize| api.candidate(candidates[i]);

    // ACCEPTED
    let first = published(&company, figeac_cdi()).await;
    let hired = apply(&client(0), &first.id, candidates[0]).await;
    accept(&company, &hired.id, None).await;
    // REFUSED
    let second = published(&company, figeac_cdi()).await;
    let refused = apply(&client(1), &second.id, candidates[1]).await;
    company
        .clone()
        .refuse_application(RefuseApplicationRequest {
            application_id: refused.id.clone(),
            reason: "Le poste demande un profil plus expérimenté.".to_owned(),
        })
        .await
        .answer();
    // WITHDRAWN
    let withdrawn = apply(&client(2), &second.id, candidates[2]).await;
    client(2)
        .withdraw_application(WithdrawApplicationRequest {
            application_id: withdrawn.id.clone(),
            reason: String::new(),
        })
        .await
        .answer();
    // OBSOLETE, by the offer's closing
    let third = published(&company, figeac_cdi()).await;
    let overtaken = apply(&client(3), &third.id, candidates[3]).await;
    company
        .clone()
        .close_offer(CloseOfferRequest {
            offer_id: third.id.clone(),
            reason: String::new(),
        })
        .await
        .answer();

    for (i, id, expected) in [
        (0, &hired.id, ApplicationStatus::Accepted),
        (1, &refused.id, ApplicationStatus::Refused),
        (2, &withdrawn.id, ApplicationStatus::Withdrawn),
        (3, &overtaken.id, ApplicationStatus::Obsolete),
    ] {
        let before = application(&company, id).await;
        assert_eq!(status(&before), expected);
        for step in Step::ALL {
            let code = step.take(&company, &client(i), id).await;
            assert_eq!(
                code,
                Code::FailedPrecondition,
                "{step:?} on an application that is {expected:?}"
            );
        }
        let after = application(&company, id).await;
        assert_eq!(after.revision, before.revision, "{expected:?}");
        assert_eq!(after.transitions.len(), before.transitions.len());
    }
}

#[tokio::test]
async fn reviewing_is_only_from_submitted() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 1).await;
    let company = api.owner();
    let candidate = api.candidate(candidates[0]);
    let offer = published(&company, figeac_cdi()).await;
    let submitted = apply(&candidate, &offer.id, candidates[0]).await;

    assert_eq!(
        Step::Review.take(&company, &candidate, &submitted.id).await,
        Code::Ok
    );
    assert_eq!(
        Step::Review.take(&company, &candidate, &submitted.id).await,
        Code::FailedPrecondition,
        "reviewing twice"
    );
    assert_eq!(
        Step::Interview
            .take(&company, &candidate, &submitted.id)
            .await,
        Code::Ok
    );
    assert_eq!(
        Step::Interview
            .take(&company, &candidate, &submitted.id)
            .await,
        Code::Ok,
        "scheduling again reschedules"
    );
    assert_eq!(
        Step::Review.take(&company, &candidate, &submitted.id).await,
        Code::FailedPrecondition,
        "reviewing after the interview"
    );
}

#[tokio::test]
async fn refusing_needs_a_reason_which_the_log_keeps() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 1).await;
    let company = api.owner();
    let offer = published(&company, figeac_cdi()).await;
    let submitted = apply(&api.candidate(candidates[0]), &offer.id, candidates[0]).await;
    let refuse = |reason: &str| RefuseApplicationRequest {
        application_id: submitted.id.clone(),
        reason: reason.to_owned(),
    };

    let without = company
        .clone()
        .refuse_application(refuse("  "))
        .await
        .refusal();
    assert_invalid(&without, &["reason"]);
    let unchanged = application(&company, &submitted.id).await;
    assert_eq!(status(&unchanged), ApplicationStatus::Submitted);
    assert_eq!(unchanged.revision, submitted.revision);

    let refused = company
        .clone()
        .refuse_application(refuse("Nous cherchons un profil en usinage."))
        .await
        .answer()
        .application
        .unwrap();
    assert_eq!(status(&refused), ApplicationStatus::Refused);
    let last = refused.transitions.last().unwrap();
    assert_eq!(last.reason, "Nous cherchons un profil en usinage.");
    assert_eq!(last_actor(&refused), Role::Company);
}

#[tokio::test]
async fn a_school_withdraws_for_its_student_and_the_log_says_so() {
    let api = Api::start().await;
    let (school, candidates) = students(&api, 1).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let submitted = apply(&api.school(school), &offer.id, candidates[0]).await;
    assert_eq!(
        submitted.transitions[0].actor.as_ref().unwrap().role,
        Role::School as i32,
        "the submission records that the school applied"
    );
    assert_eq!(submitted.school_id, school.to_string());

    let withdrawn = api
        .school(school)
        .withdraw_application(WithdrawApplicationRequest {
            application_id: submitted.id.clone(),
            reason: "L'étudiant a trouvé une alternance.".to_owned(),
        })
        .await
        .answer()
        .application
        .unwrap();

    assert_eq!(status(&withdrawn), ApplicationStatus::Withdrawn);
    assert_eq!(last_actor(&withdrawn), Role::School);
}

#[tokio::test]
async fn accepting_one_application_makes_the_candidates_other_open_applications_obsolete() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 2).await;
    let (hired, other) = (candidates[0], candidates[1]);
    let company = api.owner();
    let elsewhere = api.company(crate::harness::THIRD_SIREN);
    let mut offers = Vec::new();
    for owner in [&company, &company, &elsewhere, &elsewhere] {
        offers.push(published(owner, figeac_cdi()).await);
    }
    let me = api.candidate(hired);
    let chosen = apply(&me, &offers[0].id, hired).await;
    let open = apply(&me, &offers[1].id, hired).await;
    let in_review = apply(&me, &offers[2].id, hired).await;
    elsewhere
        .clone()
        .review_application(ReviewApplicationRequest {
            application_id: in_review.id.clone(),
            note: String::new(),
        })
        .await
        .answer();
    let refused = apply(&me, &offers[3].id, hired).await;
    elsewhere
        .clone()
        .refuse_application(RefuseApplicationRequest {
            application_id: refused.id.clone(),
            reason: "Poste pourvu.".to_owned(),
        })
        .await
        .answer();
    let someone_elses = apply(&api.candidate(other), &offers[1].id, other).await;

    accept(&company, &chosen.id, None).await;

    for id in [&open.id, &in_review.id] {
        let overtaken = application(&me, id).await;
        assert_eq!(status(&overtaken), ApplicationStatus::Obsolete);
        assert_eq!(last_actor(&overtaken), Role::Service, "an automatic change");
        assert!(!overtaken.transitions.last().unwrap().reason.is_empty());
    }
    assert_eq!(
        status(&application(&me, &refused.id).await),
        ApplicationStatus::Refused,
        "a final application stays as it is"
    );
    assert_eq!(
        status(&application(&company, &someone_elses.id).await),
        ApplicationStatus::Submitted,
        "another candidate's application to a offer still open stays open"
    );
    assert_eq!(
        offer(&company, &offers[1].id).await.status,
        OfferStatus::Published as i32
    );
}

#[tokio::test]
async fn accepting_for_the_last_position_fills_the_offer_and_closes_its_other_applications() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 4).await;
    let company = api.owner();
    let offer_id = published(
        &company,
        OfferSpec {
            positions: 2,
            ..figeac_cdi()
        },
    )
    .await
    .id;
    let mut applications = Vec::new();
    for candidate in &candidates[..3] {
        applications.push(apply(&api.candidate(*candidate), &offer_id, *candidate).await);
    }

    accept(&company, &applications[0].id, None).await;
    let half = offer(&company, &offer_id).await;
    assert_eq!(half.status, OfferStatus::Published as i32);
    assert_eq!(half.positions_remaining, 1);
    assert_eq!(
        status(&application(&company, &applications[2].id).await),
        ApplicationStatus::Submitted
    );

    accept(&company, &applications[1].id, None).await;
    let filled = offer(&company, &offer_id).await;
    assert_eq!(filled.status, OfferStatus::Filled as i32);
    assert_eq!(filled.positions_remaining, 0);
    assert!(filled.ended_at.is_some());
    let left = application(&company, &applications[2].id).await;
    assert_eq!(status(&left), ApplicationStatus::Obsolete);
    assert_eq!(last_actor(&left), Role::Service);

    let late = api
        .candidate(candidates[3])
        .apply(ApplyRequest {
            offer_id: offer_id.clone(),
            candidate_id: String::new(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_code(&late, Code::FailedPrecondition);
}

#[tokio::test]
async fn closing_an_offer_makes_its_open_applications_obsolete_with_the_reason() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 1).await;
    let company = api.owner();
    let offer_id = published(&company, figeac_cdi()).await.id;
    let open = apply(&api.candidate(candidates[0]), &offer_id, candidates[0]).await;

    let closed = company
        .clone()
        .close_offer(CloseOfferRequest {
            offer_id: offer_id.clone(),
            reason: "Projet reporté.".to_owned(),
        })
        .await
        .answer()
        .offer
        .unwrap();

    assert_eq!(closed.status, OfferStatus::Closed as i32);
    assert_eq!(closed.close_reason, "Projet reporté.");
    let overtaken = application(&company, &open.id).await;
    assert_eq!(status(&overtaken), ApplicationStatus::Obsolete);
    assert!(
        overtaken
            .transitions
            .last()
            .unwrap()
            .reason
            .contains("Projet reporté."),
        "{:?}",
        overtaken.transitions.last()
    );
}

#[tokio::test]
async fn a_candidate_applies_only_once_to_an_offer_and_only_to_a_published_one() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 1).await;
    let company = api.owner();
    let me = api.candidate(candidates[0]);
    let open = published(&company, figeac_cdi()).await;
    let unpublished = draft(&company, figeac_cdi()).await;
    apply(&me, &open.id, candidates[0]).await;
    let again = |offer_id: &str| ApplyRequest {
        offer_id: offer_id.to_owned(),
        candidate_id: String::new(),
        message: String::new(),
    };

    let twice = me.clone().apply(again(&open.id)).await.refusal();
    let to_a_draft = me.clone().apply(again(&unpublished.id)).await.refusal();

    assert_code(&twice, Code::AlreadyExists);
    // A draft is not there for a candidate: as if it did not exist.
    assert_code(&to_a_draft, Code::NotFound);
}

#[tokio::test]
async fn an_interview_in_the_past_is_invalid() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 1).await;
    let company = api.owner();
    let offer = published(&company, figeac_cdi()).await;
    let submitted = apply(&api.candidate(candidates[0]), &offer.id, candidates[0]).await;

    let refusal = company
        .clone()
        .schedule_interview(ScheduleInterviewRequest {
            application_id: submitted.id.clone(),
            interview_at: Some(in_days(-1)),
            note: String::new(),
        })
        .await
        .refusal();

    assert_invalid(&refusal, &["interview_at"]);
    assert_eq!(
        status(&application(&company, &submitted.id).await),
        ApplicationStatus::Submitted
    );
}

#[tokio::test]
async fn an_offer_is_published_once_and_a_closed_offer_changes_no_more() {
    let api = Api::start().await;
    let company = api.owner();
    let offer = published(&company, figeac_cdi()).await;
    let publish = PublishOfferRequest {
        offer_id: offer.id.clone(),
        expected_revision: 0,
    };
    let close = CloseOfferRequest {
        offer_id: offer.id.clone(),
        reason: String::new(),
    };

    let again = company
        .clone()
        .publish_offer(publish.clone())
        .await
        .refusal();
    company.clone().close_offer(close.clone()).await.answer();
    let closed_twice = company.clone().close_offer(close).await.refusal();
    let republished = company.clone().publish_offer(publish).await.refusal();
    let updated = company
        .clone()
        .update_offer(UpdateOfferRequest {
            offer_id: offer.id.clone(),
            spec: Some(figeac_cdi()),
            expected_revision: 0,
        })
        .await
        .refusal();

    for refusal in [again, closed_twice, republished, updated] {
        assert_code(&refusal, Code::FailedPrecondition);
    }
}

#[tokio::test]
async fn a_placement_completes_once_after_its_term_or_ends_early_with_a_reason() {
    let api = Api::start().await;
    let (_, candidates) = students(&api, 2).await;
    let company = api.owner();
    let first = published(&company, figeac_cdi()).await;
    let hired = apply(&api.candidate(candidates[0]), &first.id, candidates[0]).await;
    let (_, long_ago) = accept(&company, &hired.id, Some(start_long_ago())).await;
    let second = published(&company, figeac_cdi()).await;
    let recent = apply(&api.candidate(candidates[1]), &second.id, candidates[1]).await;
    let (_, recent) = accept(&company, &recent.id, Some(months_from_today(-2))).await;
    let complete_on = |id: &str, day| CompletePlacementRequest {
        placement_id: id.to_owned(),
        completed_on: Some(date(day)),
    };
    // Before the planned term, or the placement should be completed instead.
    let end_early = |id: &str, months_ago: i32| EndPlacementEarlyRequest {
        placement_id: id.to_owned(),
        ended_on: Some(date(months_from_today(-months_ago))),
        reason: EarlyEndReason::TrialPeriod as i32,
        note: String::new(),
    };

    let too_soon = company
        .clone()
        .complete_placement(complete_on(&recent.id, days_from_today(-1)))
        .await
        .refusal();
    assert_invalid(&too_soon, &["completed_on"]);
    let unexplained = company
        .clone()
        .end_placement_early(EndPlacementEarlyRequest {
            reason: EarlyEndReason::Other as i32,
            ..end_early(&recent.id, 1)
        })
        .await
        .refusal();
    assert_invalid(&unexplained, &["note"]);
    let ended = company
        .clone()
        .end_placement_early(end_early(&recent.id, 1))
        .await
        .answer()
        .placement
        .unwrap();
    assert_eq!(ended.status, PlacementStatus::EndedEarly as i32);
    assert_eq!(ended.early_end_reason, EarlyEndReason::TrialPeriod as i32);

    let completed = complete(&company, &long_ago.id).await;
    assert_eq!(completed.status, PlacementStatus::Completed as i32);
    assert_eq!(completed.ended_on, Some(date(days_from_today(-1))));
    let twice = company
        .clone()
        .complete_placement(complete_on(&long_ago.id, days_from_today(-1)))
        .await
        .refusal();
    let ended_after_completion = company
        .clone()
        .end_placement_early(end_early(&long_ago.id, 6))
        .await
        .refusal();
    let ended_twice = company
        .clone()
        .end_placement_early(end_early(&recent.id, 1))
        .await
        .refusal();
    for refusal in [twice, ended_after_completion, ended_twice] {
        assert_code(&refusal, Code::FailedPrecondition);
    }
}
