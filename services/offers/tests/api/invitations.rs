//! Invitations to apply (issue 15, item 7): the company owning a published offer invites a
//! candidate it found in a ranking; the candidate sees it in their list and applies (the
//! invitation turns ACCEPTED, linked to the application) or declines; the company sees its
//! invitations on the offer, never the candidate's contact data through them. The pair is
//! judged as an application is; limits per offer refuse spam; an offer that fills expires its
//! pending invitations.

use prost::Message as _;
use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::Consent;
use vte_proto::vte::invitations::v1::{Invitation, InvitationStatus};
use vte_proto::vte::offers::v1::{
    DeclineInvitationRequest, InviteToApplyRequest, ListInvitationsRequest,
    list_invitations_request::Scope,
};
use vte_service::contacts::Contact;

use std::sync::Arc;

use vte_offers::domain::InvitationId;
use vte_offers::mapping::{
    DeclineInput, InvitationsScope, InviteInput, ListInvitationsInput, PageInput,
};
use vte_offers::usecases::Offers;
use vte_proto::vte::offers::v1::CloseOfferRequest;
use vte_service::auth::{Caller, Identity};

use crate::fixtures::{Answer, accept, apply, assert_invalid, date, figeac_cdi, published};
use crate::harness::{Api, Client};

const WORDS: &str = "Votre double compétence génie mécanique et lean nous intéresse.";

/// The use cases on the API's database, with the repository's rule sets.
fn use_cases(api: &Api) -> Offers {
    let reference =
        Arc::new(vte_reference::ReferenceData::load(&vte_testbed::reference_dir()).unwrap());
    let rules = Arc::new(vte_rules::RuleBook::load(&vte_rules::repository_rules_dir()).unwrap());
    Offers::new(
        api.pool().clone(),
        reference,
        rules,
        api.contacts().directory(),
    )
}

fn identity(caller: Caller, on_behalf_of: Option<CandidateId>) -> Identity {
    Identity {
        caller,
        subject: "account-1".to_owned(),
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        on_behalf_of,
    }
}

async fn invite(company: &Client, offer_id: &str, candidate: CandidateId) -> Invitation {
    company
        .clone()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer_id.to_owned(),
            candidate_id: candidate.to_string(),
            message: WORDS.to_owned(),
        })
        .await
        .answer()
        .invitation
        .unwrap()
}

async fn listed(client: &Client, scope: Scope) -> Vec<Invitation> {
    client
        .clone()
        .list_invitations(ListInvitationsRequest {
            scope: Some(scope),
            ..ListInvitationsRequest::default()
        })
        .await
        .answer()
        .invitations
}

fn of_offer(offer_id: &str) -> Scope {
    Scope::OfferId(offer_id.to_owned())
}

fn of_candidate(candidate: CandidateId) -> Scope {
    Scope::CandidateId(candidate.to_string())
}

#[tokio::test]
async fn an_invited_candidate_sees_the_invitation_applies_and_it_is_accepted_and_linked() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let offer = published(&api.owner(), figeac_cdi()).await;

    let sent = invite(&api.owner(), &offer.id, candidate).await;
    assert_eq!(sent.status, InvitationStatus::Pending as i32);
    assert_eq!(sent.message, WORDS);
    assert_eq!(sent.revision, 1);

    // The candidate and their school see it, with the company's words; so does the company.
    for reader in [api.candidate(candidate), api.school(school)] {
        let theirs = listed(&reader, of_candidate(candidate)).await;
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].id, sent.id);
        assert_eq!(theirs[0].offer_id, offer.id);
        assert_eq!(theirs[0].message, WORDS);
    }
    assert_eq!(
        listed(&api.owner(), of_offer(&offer.id)).await[0].id,
        sent.id
    );

    // A second invitation of the same candidate to the same offer is a duplicate.
    let again = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: candidate.to_string(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let seen = listed(&api.owner(), of_offer(&offer.id)).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].status, InvitationStatus::Accepted as i32);
    assert_eq!(seen[0].application_id, application.id);
    assert_eq!(seen[0].revision, 2);
    assert!(seen[0].answered_at.is_some());

    // A candidate who has applied is not invited again to the same offer.
    let applied = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: candidate.to_string(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_eq!(applied.code(), Code::AlreadyExists, "{applied:?}");
    assert!(applied.message().contains("already applied"), "{applied:?}");

    // An answered invitation cannot be declined any more.
    let late = api
        .candidate(candidate)
        .decline_invitation(DeclineInvitationRequest {
            invitation_id: sent.id.clone(),
            reason: String::new(),
        })
        .await
        .refusal();
    assert_eq!(late.code(), Code::FailedPrecondition, "{late:?}");
    assert!(late.message().contains("accepted"), "{}", late.message());
}

#[tokio::test]
async fn a_school_declines_for_its_student_and_the_company_reads_the_reason() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let sent = invite(&api.owner(), &offer.id, candidate).await;

    let declined = api
        .school(school)
        .decline_invitation(DeclineInvitationRequest {
            invitation_id: sent.id.clone(),
            reason: "Déjà en poste à Rodez jusqu'en septembre.".to_owned(),
        })
        .await
        .answer()
        .invitation
        .unwrap();
    assert_eq!(declined.status, InvitationStatus::Declined as i32);

    let seen = listed(&api.owner(), of_offer(&offer.id)).await;
    assert_eq!(seen[0].status, InvitationStatus::Declined as i32);
    assert_eq!(
        seen[0].decline_reason,
        "Déjà en poste à Rodez jusqu'en septembre."
    );
    assert!(seen[0].application_id.is_empty());
    // Declined, the pair may be invited again later.
    let again = invite(&api.owner(), &offer.id, candidate).await;
    assert_eq!(again.status, InvitationStatus::Pending as i32);
}

#[tokio::test]
async fn the_company_reads_no_contact_data_through_an_invitation_only_through_an_application() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    api.contacts().insert(
        candidate,
        Contact {
            first_name: "Jeanne".to_owned(),
            last_name: "Martin".to_owned(),
            email: "jeanne.martin@example.fr".to_owned(),
            phone: "+33 6 12 34 56 78".to_owned(),
        },
    );
    let offer = published(&api.owner(), figeac_cdi()).await;
    let sent = invite(&api.owner(), &offer.id, candidate).await;

    let seen = listed(&api.owner(), of_offer(&offer.id)).await;
    let bytes = [sent.encode_to_vec(), seen[0].encode_to_vec()].concat();
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["Jeanne", "Martin", "jeanne.martin@example.fr", "12 34 56"] {
        assert!(!text.contains(secret), "the invitation discloses {secret}");
    }
    // The company has no application to read the contact from until the candidate applies.
    let applications = api
        .owner()
        .list_applications(vte_proto::vte::offers::v1::ListApplicationsRequest {
            scope: Some(
                vte_proto::vte::offers::v1::list_applications_request::Scope::OfferId(
                    offer.id.clone(),
                ),
            ),
            ..Default::default()
        })
        .await
        .answer()
        .applications;
    assert!(applications.is_empty());
}

#[tokio::test]
async fn a_graduate_of_more_than_two_years_cannot_be_invited_and_the_company_is_told_the_rule() {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let start = offer.spec.as_ref().unwrap().start_date.as_ref().unwrap();
    let graduated = chrono::NaiveDate::from_ymd_opt(start.year - 3, 6, 30).unwrap();
    let candidate = api
        .enrol_as(SchoolId::new(), |profile| {
            profile.graduation_date = Some(date(graduated));
        })
        .await;

    let status = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: candidate.to_string(),
            message: String::new(),
        })
        .await
        .refusal();

    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("rule graduate_recency"),
        "{}",
        status.message()
    );
    assert!(listed(&api.owner(), of_offer(&offer.id)).await.is_empty());
}

#[tokio::test]
async fn a_candidate_who_does_not_consent_cannot_be_invited() {
    let api = Api::start().await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let candidate = api
        .enrol_as(SchoolId::new(), |profile| {
            profile.consent = Some(Consent {
                given: false,
                ..Consent::default()
            });
        })
        .await;

    let status = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: candidate.to_string(),
            message: String::new(),
        })
        .await
        .refusal();

    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("consent"), "{}", status.message());
}

#[tokio::test]
async fn an_offer_of_one_position_takes_ten_pending_invitations_and_refuses_the_eleventh() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let offer = published(&api.owner(), figeac_cdi()).await;
    for _ in 0..10 {
        let candidate = api.enrol(school).await;
        invite(&api.owner(), &offer.id, candidate).await;
    }
    let eleventh = api.enrol(school).await;

    let status = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: eleventh.to_string(),
            message: String::new(),
        })
        .await
        .refusal();

    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("pending invitations per offer"),
        "{}",
        status.message()
    );
    assert!(status.message().contains("is 10"), "{}", status.message());
    assert_eq!(listed(&api.owner(), of_offer(&offer.id)).await.len(), 10);
}

#[tokio::test]
async fn another_company_can_neither_invite_to_an_offer_nor_read_nor_decline_its_invitations() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    let sent = invite(&api.owner(), &offer.id, candidate).await;

    let intruder = api.other_company();
    let invited = intruder
        .clone()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: api.enrol(school).await.to_string(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_eq!(invited.code(), Code::PermissionDenied, "{invited:?}");
    let read = intruder
        .clone()
        .list_invitations(ListInvitationsRequest {
            scope: Some(of_offer(&offer.id)),
            ..ListInvitationsRequest::default()
        })
        .await
        .refusal();
    assert_eq!(read.code(), Code::PermissionDenied, "{read:?}");
    let theirs = intruder
        .clone()
        .list_invitations(ListInvitationsRequest {
            scope: Some(of_candidate(candidate)),
            ..ListInvitationsRequest::default()
        })
        .await
        .refusal();
    assert_eq!(theirs.code(), Code::PermissionDenied, "{theirs:?}");
    let declined = intruder
        .clone()
        .decline_invitation(DeclineInvitationRequest {
            invitation_id: sent.id.clone(),
            reason: String::new(),
        })
        .await
        .refusal();
    assert_eq!(declined.code(), Code::PermissionDenied, "{declined:?}");
    assert_eq!(listed(&api.owner(), of_offer(&offer.id)).await.len(), 1);
}

#[tokio::test]
async fn filling_the_offer_expires_its_pending_invitations() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let (hired, waiting) = (api.enrol(school).await, api.enrol(school).await);
    let offer = published(&api.owner(), figeac_cdi()).await;
    invite(&api.owner(), &offer.id, hired).await;
    let pending = invite(&api.owner(), &offer.id, waiting).await;

    let application = apply(&api.candidate(hired), &offer.id, hired).await;
    accept(&api.owner(), &application.id, None).await;

    let theirs = listed(&api.candidate(waiting), of_candidate(waiting)).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].id, pending.id);
    assert_eq!(theirs[0].status, InvitationStatus::Expired as i32);
    let statuses: Vec<i32> = listed(&api.owner(), of_offer(&offer.id))
        .await
        .iter()
        .map(|i| i.status)
        .collect();
    assert!(statuses.contains(&(InvitationStatus::Accepted as i32)));
    assert!(statuses.contains(&(InvitationStatus::Expired as i32)));
}

#[tokio::test]
async fn bad_input_to_an_invitation_names_its_fields_and_changes_nothing() {
    let api = Api::start().await;
    let candidate = api.enrol(SchoolId::new()).await;
    let offer = published(&api.owner(), figeac_cdi()).await;

    let status = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: "offre-42".to_owned(),
            candidate_id: String::new(),
            message: String::new(),
        })
        .await
        .refusal();
    assert_invalid(&status, &["offer_id", "candidate_id"]);
    let status = api
        .owner()
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: candidate.to_string(),
            message: "é".repeat(1_001),
        })
        .await
        .refusal();
    assert_invalid(&status, &["message"]);
    assert!(status.message().contains("at most 1000"), "{status:?}");
    assert!(listed(&api.owner(), of_offer(&offer.id)).await.is_empty());
}

#[tokio::test]
async fn erasing_a_candidate_expires_their_pending_invitations_and_blanks_their_free_text() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let (first, second) = (
        published(&api.owner(), figeac_cdi()).await,
        published(&api.owner(), figeac_cdi()).await,
    );
    invite(&api.owner(), &first.id, candidate).await;
    let declined = invite(&api.owner(), &second.id, candidate).await;
    api.candidate(candidate)
        .decline_invitation(DeclineInvitationRequest {
            invitation_id: declined.id.clone(),
            reason: "Je m'appelle Jeanne Martin et je reste à Toulouse.".to_owned(),
        })
        .await
        .answer();

    // The erasure, as the consumer applies a `CandidateErased`.
    let mut transaction = api.pool().begin().await.unwrap();
    vte_offers::usecases::candidates::erase_candidate(
        &mut transaction,
        candidate,
        uuid::Uuid::now_v7(),
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();

    let first_seen = listed(&api.owner(), of_offer(&first.id)).await;
    assert_eq!(first_seen[0].status, InvitationStatus::Expired as i32);
    assert!(first_seen[0].message.is_empty());
    let second_seen = listed(&api.owner(), of_offer(&second.id)).await;
    assert_eq!(second_seen[0].status, InvitationStatus::Declined as i32);
    assert!(second_seen[0].decline_reason.is_empty());
    assert!(second_seen[0].message.is_empty());
}

#[tokio::test]
async fn closing_the_offer_expires_its_pending_invitations() {
    let api = Api::start().await;
    let candidate = api.enrol(SchoolId::new()).await;
    let offer = published(&api.owner(), figeac_cdi()).await;
    invite(&api.owner(), &offer.id, candidate).await;

    api.owner()
        .close_offer(CloseOfferRequest {
            offer_id: offer.id.clone(),
            reason: "Poste pourvu en interne.".to_owned(),
        })
        .await
        .answer();

    let theirs = listed(&api.candidate(candidate), of_candidate(candidate)).await;
    assert_eq!(theirs[0].status, InvitationStatus::Expired as i32);
    let answered_by = theirs[0].answered_by.as_ref().unwrap();
    assert_eq!(
        answered_by.role,
        vte_proto::vte::common::v1::Role::Service as i32
    );
}

#[tokio::test]
async fn a_company_sends_no_more_invitations_in_a_day_than_its_allowance_over_all_its_offers() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let offers = use_cases(&api).with_invitations_per_day(2);
    let company = identity(
        Caller::Company {
            siren: vte_domain::Siren::parse(crate::harness::SIREN).unwrap(),
        },
        None,
    );
    let (figeac, second) = (
        published(&api.owner(), figeac_cdi()).await,
        published(&api.owner(), figeac_cdi()).await,
    );
    let mut outcomes = Vec::new();
    for offer in [&figeac, &second, &second] {
        let candidate = api.enrol(school).await;
        let input = InviteInput {
            offer_id: vte_domain::OfferId::parse(&offer.id).unwrap(),
            candidate_id: candidate,
            message: String::new(),
        };
        outcomes.push(offers.invite_to_apply(&company, input).await);
    }

    assert!(outcomes[0].is_ok() && outcomes[1].is_ok(), "{outcomes:?}");
    let status = tonic::Status::from(outcomes.pop().unwrap().unwrap_err());
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("invitations per company per day"),
        "{}",
        status.message()
    );
    assert!(status.message().contains("is 2"), "{}", status.message());
}

#[tokio::test]
async fn the_website_reads_and_declines_a_candidates_invitations_only_with_their_delegation() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let (candidate, other) = (api.enrol(school).await, api.enrol(school).await);
    let offer = published(&api.owner(), figeac_cdi()).await;
    let sent = invite(&api.owner(), &offer.id, candidate).await;
    let offers = use_cases(&api);
    let list = |candidate: CandidateId| ListInvitationsInput {
        scope: InvitationsScope::Candidate(candidate),
        statuses: Vec::new(),
        page: PageInput::default(),
    };
    let decline = || DeclineInput {
        invitation_id: InvitationId::parse(&sent.id).unwrap(),
        reason: String::new(),
    };

    let for_other = identity(Caller::Site, Some(other));
    let refused = offers.list_invitations(&for_other, list(candidate)).await;
    assert_eq!(
        tonic::Status::from(refused.unwrap_err()).code(),
        Code::PermissionDenied
    );
    let refused = offers.decline_invitation(&for_other, decline()).await;
    assert_eq!(
        tonic::Status::from(refused.unwrap_err()).code(),
        Code::PermissionDenied
    );

    let for_candidate = identity(Caller::Site, Some(candidate));
    let page = offers
        .list_invitations(&for_candidate, list(candidate))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let declined = offers
        .decline_invitation(&for_candidate, decline())
        .await
        .unwrap();
    assert_eq!(
        declined.status,
        vte_offers::domain::InvitationStatus::Declined
    );
}
