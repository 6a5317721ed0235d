//! The offers service's bad requests about invitations to apply: empty and malformed ids, a
//! message or a reason of 100,000 characters (and one character over the limit), 100,000
//! statuses and status number 99, pages too large or of another list, other companies' offers,
//! other candidates' and other schools' invitations, the roles that invite or decline nothing,
//! a candidate unknown or not consenting, a second invitation of the same candidate. Each
//! oversized refusal must also quote at most 64 characters of what was sent.

use std::future::Future;

use tonic::{Code, Status};
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::GiveConsentRequest;
use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::offers::v1::{
    DeclineInvitationRequest, InviteToApplyRequest, ListInvitationsRequest,
    list_invitations_request::Scope,
};
use vte_service::auth::Caller;
use vte_testbed::{PATIENCE, eventually};

use crate::bed::{Bed, OTHER_SIREN, SIREN, candidate, company, school};
use crate::case::{Case, DENIED, DENIED_OR_HIDDEN, INVALID, NOT_FOUND, case};
use crate::fixtures::{figeac_cdi, published};
use crate::offers::Targets;

/// The answer to a request that a later state makes impossible, not its input.
const FAILED: &[Code] = &[Code::FailedPrecondition];
/// A second pending invitation of the same candidate to the same offer.
const EXISTS: &[Code] = &[Code::AlreadyExists];

/// What the invitation cases aim at, besides the offers cases' [`Targets`].
pub struct Invited {
    /// A published offer of [`SIREN`] with one pending invitation.
    pub offer: String,
    /// Its pending invitation.
    pub invitation: String,
    /// The consenting student invited, of [`Invited::school`].
    pub student: CandidateId,
    /// The invited student's school.
    pub school: SchoolId,
}

impl Invited {
    /// A student of a new school pushed and consenting, a new published offer of [`SIREN`], and
    /// the company's invitation of the student to it (sent once the offers service has heard of
    /// the consent).
    pub async fn set_up(bed: &Bed) -> Self {
        let school = SchoolId::new();
        let student = crate::pushed_student(bed, school).await;
        bed.candidates(&candidate(student))
            .give_consent(GiveConsentRequest {
                candidate_id: String::new(),
                terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
            })
            .await
            .unwrap();
        let owner = bed.offers(&company(SIREN));
        let offer = published(&owner, figeac_cdi()).await.id;
        let request = InviteToApplyRequest {
            offer_id: offer.clone(),
            candidate_id: student.to_string(),
            message: "Votre parcours en génie mécanique nous intéresse.".to_owned(),
        };
        let invitation = eventually(
            "the offers service to hear of the consent",
            PATIENCE,
            || {
                let (mut owner, request) = (owner.clone(), request.clone());
                async move {
                    match owner.invite_to_apply(request).await {
                        Ok(answer) => answer.into_inner().invitation.map(|i| i.id),
                        Err(status) if status.code() == Code::FailedPrecondition => None,
                        Err(status) => panic!("the invitation is refused: {status:?}"),
                    }
                }
            },
        )
        .await;
        Self {
            offer,
            invitation,
            student,
            school,
        }
    }
}

/// The call, unless its refusal quotes more than 64 characters of the `filler` the request
/// repeats: that refusal becomes an `INTERNAL` saying so, which no case expects.
pub async fn terse<T>(
    filler: char,
    call: impl Future<Output = Result<T, Status>>,
) -> Result<T, Status> {
    let quoted = filler.to_string().repeat(65);
    match call.await {
        Err(status) if status.message().contains(&quoted) => Err(Status::internal(format!(
            "the refusal quotes more than 64 characters of the input: {} bytes",
            status.message().len()
        ))),
        answer => answer,
    }
}

fn list(scope: Option<Scope>) -> ListInvitationsRequest {
    ListInvitationsRequest {
        scope,
        ..ListInvitationsRequest::default()
    }
}

fn invite(offer: &str, candidate: &str, message: String) -> InviteToApplyRequest {
    InviteToApplyRequest {
        offer_id: offer.to_owned(),
        candidate_id: candidate.to_owned(),
        message,
    }
}

fn decline(invitation: &str, reason: String) -> DeclineInvitationRequest {
    DeclineInvitationRequest {
        invitation_id: invitation.to_owned(),
        reason,
    }
}

/// The cases.
pub fn cases(bed: &Bed, t: &Targets, i: &Invited) -> Vec<Case> {
    let owner = bed.offers(&company(SIREN));
    let other = bed.offers(&company(OTHER_SIREN));
    let site = bed.offers(&Caller::Site);
    let invited = bed.offers(&candidate(i.student));
    let stranger = bed.offers(&candidate(CandidateId::new()));
    let its_school = bed.offers(&school(i.school));
    let other_school = bed.offers(&school(SchoolId::new()));
    let unknown = uuid::Uuid::now_v7().to_string();
    let (offer, student) = (i.offer.as_str(), i.student.to_string());
    let not_consenting = t.student.to_string();
    let by_offer = || Some(Scope::OfferId(i.offer.clone()));
    let by_student = || Some(Scope::CandidateId(student.clone()));

    vec![
        // Inviting.
        case(
            "invite: no ids",
            INVALID,
            call!(owner, invite_to_apply, InviteToApplyRequest::default()),
        )
        .naming("candidate_id"),
        case(
            "invite: a malformed offer id",
            INVALID,
            call!(
                owner,
                invite_to_apply,
                invite("offre-42", &student, String::new())
            ),
        )
        .naming("offer_id"),
        case(
            "invite: a school's student reference instead of a candidate id",
            INVALID,
            call!(
                owner,
                invite_to_apply,
                invite(offer, "ETU-2026-042", String::new())
            ),
        )
        .naming("candidate_id"),
        case(
            "invite: a 100,000-character message",
            INVALID,
            terse(
                'm',
                call!(
                    owner,
                    invite_to_apply,
                    invite(offer, &not_consenting, "m".repeat(100_000))
                ),
            ),
        )
        .naming("message"),
        case(
            "invite: a message of 1,001 characters",
            INVALID,
            terse(
                'é',
                call!(
                    owner,
                    invite_to_apply,
                    invite(offer, &not_consenting, "é".repeat(1_001))
                ),
            ),
        )
        .naming("message"),
        case(
            "invite: as the candidate",
            DENIED,
            call!(
                invited,
                invite_to_apply,
                invite(offer, &student, String::new())
            ),
        ),
        case(
            "invite: as the site",
            DENIED,
            call!(
                site,
                invite_to_apply,
                invite(offer, &student, String::new())
            ),
        ),
        case(
            "invite: to another company's offer",
            DENIED_OR_HIDDEN,
            call!(
                other,
                invite_to_apply,
                invite(offer, &student, String::new())
            ),
        ),
        case(
            "invite: to another company's draft",
            DENIED_OR_HIDDEN,
            call!(
                other,
                invite_to_apply,
                invite(&t.draft, &student, String::new())
            ),
        ),
        case(
            "invite: to an unknown offer",
            NOT_FOUND,
            call!(
                owner,
                invite_to_apply,
                invite(&unknown, &student, String::new())
            ),
        ),
        case(
            "invite: a candidate the service never heard of",
            FAILED,
            call!(
                owner,
                invite_to_apply,
                invite(offer, &CandidateId::new().to_string(), String::new())
            ),
        ),
        case(
            "invite: a student who has not consented",
            FAILED,
            call!(
                owner,
                invite_to_apply,
                invite(offer, &not_consenting, String::new())
            ),
        ),
        case(
            "invite: the same student again",
            EXISTS,
            call!(
                owner,
                invite_to_apply,
                invite(offer, &student, String::new())
            ),
        ),
        // Listing.
        case(
            "list invitations: without a scope",
            INVALID,
            call!(owner, list_invitations, list(None)),
        )
        .naming("scope"),
        case(
            "list invitations: an empty offer id",
            INVALID,
            call!(
                owner,
                list_invitations,
                list(Some(Scope::OfferId(String::new())))
            ),
        )
        .naming("offer_id"),
        case(
            "list invitations: a malformed candidate id",
            INVALID,
            call!(
                its_school,
                list_invitations,
                list(Some(Scope::CandidateId("ETU-2026-042".to_owned())))
            ),
        )
        .naming("candidate_id"),
        case(
            "list invitations: 100,000 statuses",
            INVALID,
            call!(
                owner,
                list_invitations,
                ListInvitationsRequest {
                    statuses: vec![1; 100_000],
                    ..list(by_offer())
                }
            ),
        )
        .naming("statuses"),
        case(
            "list invitations: status number 99",
            INVALID,
            call!(
                owner,
                list_invitations,
                ListInvitationsRequest {
                    statuses: vec![99],
                    ..list(by_offer())
                }
            ),
        )
        .naming("statuses[0]"),
        case(
            "list invitations: a page of 1,000",
            INVALID,
            call!(
                owner,
                list_invitations,
                ListInvitationsRequest {
                    page: Some(PageRequest {
                        page_size: 1_000,
                        page_token: String::new(),
                    }),
                    ..list(by_offer())
                }
            ),
        )
        .naming("page.page_size"),
        case(
            "list invitations: the page token of the company's offers",
            INVALID,
            call!(
                owner,
                list_invitations,
                ListInvitationsRequest {
                    page: Some(PageRequest {
                        page_size: 1,
                        page_token: t.list_token.clone(),
                    }),
                    ..list(by_offer())
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "list invitations: to another company's offer",
            DENIED_OR_HIDDEN,
            call!(other, list_invitations, list(by_offer())),
        ),
        case(
            "list invitations: to an unknown offer",
            NOT_FOUND,
            call!(
                owner,
                list_invitations,
                list(Some(Scope::OfferId(unknown.clone())))
            ),
        ),
        case(
            "list invitations: another candidate's",
            DENIED,
            call!(stranger, list_invitations, list(by_student())),
        ),
        case(
            "list invitations: another school's student's",
            DENIED,
            call!(other_school, list_invitations, list(by_student())),
        ),
        case(
            "list invitations: the site acting for no one",
            DENIED,
            call!(site, list_invitations, list(by_student())),
        ),
        // Declining.
        case(
            "decline: an empty invitation id",
            INVALID,
            call!(invited, decline_invitation, decline("", String::new())),
        )
        .naming("invitation_id"),
        case(
            "decline: a malformed invitation id",
            INVALID,
            call!(
                invited,
                decline_invitation,
                decline("INV-42", String::new())
            ),
        )
        .naming("invitation_id"),
        case(
            "decline: an unknown invitation",
            NOT_FOUND,
            call!(
                invited,
                decline_invitation,
                decline(&unknown, String::new())
            ),
        ),
        case(
            "decline: a 100,000-character reason",
            INVALID,
            terse(
                'r',
                call!(
                    invited,
                    decline_invitation,
                    decline(&i.invitation, "r".repeat(100_000))
                ),
            ),
        )
        .naming("reason"),
        case(
            "decline: as the company",
            DENIED,
            call!(
                owner,
                decline_invitation,
                decline(&i.invitation, String::new())
            ),
        ),
        case(
            "decline: as another candidate",
            DENIED,
            call!(
                stranger,
                decline_invitation,
                decline(&i.invitation, String::new())
            ),
        ),
        case(
            "decline: as another school",
            DENIED,
            call!(
                other_school,
                decline_invitation,
                decline(&i.invitation, String::new())
            ),
        ),
        case(
            "decline: as the site acting for no one",
            DENIED,
            call!(
                site,
                decline_invitation,
                decline(&i.invitation, String::new())
            ),
        ),
    ]
}
