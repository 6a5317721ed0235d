//! Who may call what: every RPC against every caller, as a matrix. The objects belong to one
//! company (the owner), one candidate and that candidate's school; the other company, the other
//! candidate and the other school (with its own student) own nothing of them. A call without a
//! token is UNAUTHENTICATED; a caller outside the rules gets PERMISSION_DENIED, except on a draft
//! it may not read, which is NOT_FOUND as if it did not exist; a list filtered by the caller's
//! tenant answers, but shows only what the caller may see.
//!
//! Where the contract names who may (`offers_service.proto` and its request messages), the
//! matrix follows it; `service` (another platform service) reads like an operator but changes
//! nothing, as in `src/access.rs`. Every call that could change something runs on objects made
//! for it, so one cell never depends on another.

use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::applications::v1::Application;
use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, AcknowledgeLabelCharterRequest, AppealLabelRequest, ApplyRequest,
    CloseOfferRequest, CompletePlacementRequest, CreateOfferRequest, DecideLabelRequest,
    DeclineInvitationRequest, EndPlacementEarlyRequest, GetApplicationRequest, GetLabelCaseRequest,
    GetOfferRequest, GetPlacementRequest, InviteToApplyRequest, ListApplicationsRequest,
    ListInvitationsRequest, ListLabelDecisionsRequest, ListLabelQueueRequest, ListOffersRequest,
    ListPlacementsRequest, Offer, OfferSpec, PublishOfferRequest, RefuseApplicationRequest,
    RequestLabelRequest, ReviewApplicationRequest, ScheduleInterviewRequest, SearchOffersRequest,
    UpdateOfferRequest, WithdrawApplicationRequest, list_applications_request,
    list_invitations_request, list_label_decisions_request,
};
use vte_proto::vte::placements::v1::{EarlyEndReason, LabelOutcome, Placement};

use crate::fixtures::{
    Answer, accept, apply, date, days_from_today, draft, figeac_cdi, label_requested,
    months_from_today, published,
};
use crate::harness::{Api, Client, OTHER_SIREN, SIREN};

/// The callers, in the matrix's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    Site,
    Owner,
    OtherCompany,
    Candidate,
    OtherCandidate,
    School,
    OtherSchool,
    Bpifrance,
    Admin,
    Service,
}

const COLUMNS: [Who; 11] = [
    Who::Nobody,
    Who::Site,
    Who::Owner,
    Who::OtherCompany,
    Who::Candidate,
    Who::OtherCandidate,
    Who::School,
    Who::OtherSchool,
    Who::Bpifrance,
    Who::Admin,
    Who::Service,
];

/// What a cell expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Answered.
    Ok,
    /// PERMISSION_DENIED.
    Denied,
    /// NOT_FOUND: what the caller may not know of reads as absent.
    Absent,
    /// UNAUTHENTICATED.
    Unauth,
    /// Answered, and the list shows the owner's object.
    Sees,
    /// Answered, and the list does not show it.
    Blind,
}

const OK: Expect = Expect::Ok;
const NO: Expect = Expect::Denied;
const NF: Expect = Expect::Absent;
const UN: Expect = Expect::Unauth;
const SEES: Expect = Expect::Sees;
const BLIND: Expect = Expect::Blind;

/// What a call did: its code, and for the lists that check it whether the object showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Answered { sees: Option<bool> },
    Refused(Code),
}

impl Outcome {
    fn of<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Self {
        match result {
            Ok(_) => Self::Answered { sees: None },
            Err(status) => Self::Refused(status.code()),
        }
    }

    fn meets(self, expect: Expect) -> bool {
        match (expect, self) {
            (Expect::Ok, Self::Answered { .. }) => true,
            (Expect::Sees, Self::Answered { sees }) => sees == Some(true),
            (Expect::Blind, Self::Answered { sees }) => sees == Some(false),
            (Expect::Denied, Self::Refused(code)) => code == Code::PermissionDenied,
            (Expect::Absent, Self::Refused(code)) => code == Code::NotFound,
            (Expect::Unauth, Self::Refused(code)) => code == Code::Unauthenticated,
            _ => false,
        }
    }
}

/// Every RPC of `OffersService`, on the object the row names.
#[derive(Debug, Clone, Copy)]
enum Rpc {
    CreateOffer,
    UpdateOffer,
    PublishOffer,
    CloseOffer,
    GetPublishedOffer,
    GetDraft,
    ListOffers,
    SearchOffers,
    Apply,
    GetApplication,
    ListApplicationsOfOffer,
    ListApplicationsOfCandidate,
    ReviewApplication,
    ScheduleInterview,
    AcceptApplication,
    RefuseApplication,
    WithdrawApplication,
    InviteToApply,
    ListInvitationsOfOffer,
    ListInvitationsOfCandidate,
    DeclineInvitation,
    GetPlacement,
    ListPlacements,
    CompletePlacement,
    EndPlacementEarly,
    DecideLabel,
    ListLabelDecisions,
    RequestLabel,
    AcknowledgeLabelCharter,
    AppealLabel,
    GetLabelCase,
    ListLabelQueue,
}

/// The objects the reads look at, and their owners.
struct World {
    api: Api,
    school: SchoolId,
    other_school: SchoolId,
    candidate: CandidateId,
    other_candidate: CandidateId,
    /// Published, with positions left, owned by [`SIREN`].
    offer: Offer,
    /// A draft of [`SIREN`].
    draft: Offer,
    /// The candidate's, to `offer`, accepted.
    application: Application,
    /// Its placement, running and labelled (the label is retroactive).
    placement: Placement,
}

impl World {
    async fn build() -> Self {
        let api = Api::start().await;
        let (school, other_school) = (SchoolId::new(), SchoolId::new());
        let candidate = api.enrol(school).await;
        let other_candidate = api.enrol(other_school).await;
        let owner = api.owner();
        let offer = published(
            &owner,
            OfferSpec {
                positions: 5,
                ..figeac_cdi()
            },
        )
        .await;
        let draft = draft(&owner, figeac_cdi()).await;
        let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
        // Started two months ago: its label is requested and granted while it runs.
        let (application, placement) =
            accept(&owner, &application.id, Some(months_from_today(-2))).await;
        label_requested(&owner, &api.candidate(candidate), &placement.id).await;
        api.bpifrance()
            .decide_label(DecideLabelRequest {
                placement_id: placement.id.clone(),
                outcome: LabelOutcome::Granted as i32,
                reason: String::new(),
                reconsiders_decision_id: String::new(),
            })
            .await
            .answer();
        // The other company's offer, and the other candidate's application to it, exist too.
        let elsewhere = published(&api.company(OTHER_SIREN), figeac_cdi()).await;
        apply(
            &api.candidate(other_candidate),
            &elsewhere.id,
            other_candidate,
        )
        .await;
        Self {
            api,
            school,
            other_school,
            candidate,
            other_candidate,
            offer,
            draft,
            application,
            placement,
        }
    }

    fn client(&self, who: Who) -> Client {
        match who {
            Who::Nobody => self.api.anonymous(),
            Who::Site => self.api.site(),
            Who::Owner => self.api.owner(),
            Who::OtherCompany => self.api.other_company(),
            Who::Candidate => self.api.candidate(self.candidate),
            Who::OtherCandidate => self.api.candidate(self.other_candidate),
            Who::School => self.api.school(self.school),
            Who::OtherSchool => self.api.school(self.other_school),
            Who::Bpifrance => self.api.bpifrance(),
            Who::Admin => self.api.admin(),
            Who::Service => self.api.service(),
        }
    }

    /// A published offer of the owner, for a call that may change it.
    async fn fresh_offer(&self) -> Offer {
        published(&self.api.owner(), figeac_cdi()).await
    }

    /// The candidate's application to a fresh offer, SUBMITTED.
    async fn fresh_application(&self) -> Application {
        let offer = self.fresh_offer().await;
        apply(
            &self.api.candidate(self.candidate),
            &offer.id,
            self.candidate,
        )
        .await
    }

    /// An ACTIVE placement of the candidate with the owner, started `months` months ago.
    async fn fresh_placement(&self, months: i32) -> Placement {
        let application = self.fresh_application().await;
        let start = months_from_today(-months);
        accept(&self.api.owner(), &application.id, Some(start))
            .await
            .1
    }

    /// Every placement `client` lists, page after page.
    async fn listed_placements(&self, client: &Client) -> Result<Vec<String>, Code> {
        let mut ids = Vec::new();
        let mut token = String::new();
        loop {
            let page = client
                .clone()
                .list_placements(ListPlacementsRequest {
                    page: Some(PageRequest {
                        page_size: 100,
                        page_token: token,
                    }),
                    ..ListPlacementsRequest::default()
                })
                .await
                .map_err(|status| status.code())?
                .into_inner();
            ids.extend(page.placements.into_iter().map(|p| p.id));
            token = page.page.map(|p| p.next_page_token).unwrap_or_default();
            if token.is_empty() {
                return Ok(ids);
            }
        }
    }

    async fn call(&self, rpc: Rpc, who: Who) -> Outcome {
        let mut client = self.client(who);
        match rpc {
            Rpc::CreateOffer => Outcome::of(
                client
                    .create_offer(CreateOfferRequest {
                        company_siren: SIREN.to_owned(),
                        spec: Some(figeac_cdi()),
                    })
                    .await,
            ),
            Rpc::UpdateOffer => {
                let target = draft(&self.api.owner(), figeac_cdi()).await;
                let spec = OfferSpec {
                    title: "Ingénieure méthodes".to_owned(),
                    ..figeac_cdi()
                };
                Outcome::of(
                    client
                        .update_offer(UpdateOfferRequest {
                            offer_id: target.id,
                            spec: Some(spec),
                            expected_revision: 0,
                        })
                        .await,
                )
            }
            Rpc::PublishOffer => {
                let target = draft(&self.api.owner(), figeac_cdi()).await;
                Outcome::of(
                    client
                        .publish_offer(PublishOfferRequest {
                            offer_id: target.id,
                            expected_revision: 0,
                        })
                        .await,
                )
            }
            Rpc::CloseOffer => {
                let target = self.fresh_offer().await;
                Outcome::of(
                    client
                        .close_offer(CloseOfferRequest {
                            offer_id: target.id,
                            reason: String::new(),
                        })
                        .await,
                )
            }
            Rpc::GetPublishedOffer => Outcome::of(
                client
                    .get_offer(GetOfferRequest {
                        offer_id: self.offer.id.clone(),
                    })
                    .await,
            ),
            Rpc::GetDraft => Outcome::of(
                client
                    .get_offer(GetOfferRequest {
                        offer_id: self.draft.id.clone(),
                    })
                    .await,
            ),
            Rpc::ListOffers => Outcome::of(
                client
                    .list_offers(ListOffersRequest {
                        company_siren: SIREN.to_owned(),
                        ..ListOffersRequest::default()
                    })
                    .await,
            ),
            Rpc::SearchOffers => {
                Outcome::of(client.search_offers(SearchOffersRequest::default()).await)
            }
            Rpc::Apply => {
                let target = self.fresh_offer().await;
                Outcome::of(
                    client
                        .apply(ApplyRequest {
                            offer_id: target.id,
                            candidate_id: self.candidate.to_string(),
                            message: String::new(),
                        })
                        .await,
                )
            }
            Rpc::GetApplication => Outcome::of(
                client
                    .get_application(GetApplicationRequest {
                        application_id: self.application.id.clone(),
                    })
                    .await,
            ),
            Rpc::ListApplicationsOfOffer => Outcome::of(
                client
                    .list_applications(ListApplicationsRequest {
                        scope: Some(list_applications_request::Scope::OfferId(
                            self.offer.id.clone(),
                        )),
                        ..ListApplicationsRequest::default()
                    })
                    .await,
            ),
            Rpc::ListApplicationsOfCandidate => Outcome::of(
                client
                    .list_applications(ListApplicationsRequest {
                        scope: Some(list_applications_request::Scope::CandidateId(
                            self.candidate.to_string(),
                        )),
                        ..ListApplicationsRequest::default()
                    })
                    .await,
            ),
            Rpc::InviteToApply => {
                let target = self.fresh_offer().await;
                Outcome::of(
                    client
                        .invite_to_apply(InviteToApplyRequest {
                            offer_id: target.id,
                            candidate_id: self.candidate.to_string(),
                            message: String::new(),
                        })
                        .await,
                )
            }
            Rpc::ListInvitationsOfOffer => Outcome::of(
                client
                    .list_invitations(ListInvitationsRequest {
                        scope: Some(list_invitations_request::Scope::OfferId(
                            self.offer.id.clone(),
                        )),
                        ..ListInvitationsRequest::default()
                    })
                    .await,
            ),
            Rpc::ListInvitationsOfCandidate => Outcome::of(
                client
                    .list_invitations(ListInvitationsRequest {
                        scope: Some(list_invitations_request::Scope::CandidateId(
                            self.candidate.to_string(),
                        )),
                        ..ListInvitationsRequest::default()
                    })
                    .await,
            ),
            Rpc::DeclineInvitation => {
                let offer = self.fresh_offer().await;
                let target = self
                    .api
                    .owner()
                    .invite_to_apply(InviteToApplyRequest {
                        offer_id: offer.id,
                        candidate_id: self.candidate.to_string(),
                        message: String::new(),
                    })
                    .await
                    .answer()
                    .invitation
                    .unwrap();
                Outcome::of(
                    client
                        .decline_invitation(DeclineInvitationRequest {
                            invitation_id: target.id,
                            reason: String::new(),
                        })
                        .await,
                )
            }
            Rpc::ReviewApplication => {
                let target = self.fresh_application().await;
                Outcome::of(
                    client
                        .review_application(ReviewApplicationRequest {
                            application_id: target.id,
                            note: String::new(),
                        })
                        .await,
                )
            }
            Rpc::ScheduleInterview => {
                let target = self.fresh_application().await;
                Outcome::of(
                    client
                        .schedule_interview(ScheduleInterviewRequest {
                            application_id: target.id,
                            interview_at: None,
                            note: String::new(),
                        })
                        .await,
                )
            }
            Rpc::AcceptApplication => {
                let target = self.fresh_application().await;
                Outcome::of(
                    client
                        .accept_application(AcceptApplicationRequest {
                            application_id: target.id,
                            ..AcceptApplicationRequest::default()
                        })
                        .await,
                )
            }
            Rpc::RefuseApplication => {
                let target = self.fresh_application().await;
                Outcome::of(
                    client
                        .refuse_application(RefuseApplicationRequest {
                            application_id: target.id,
                            reason: "Profil trop éloigné du poste.".to_owned(),
                        })
                        .await,
                )
            }
            Rpc::WithdrawApplication => {
                let target = self.fresh_application().await;
                Outcome::of(
                    client
                        .withdraw_application(WithdrawApplicationRequest {
                            application_id: target.id,
                            reason: String::new(),
                        })
                        .await,
                )
            }
            Rpc::GetPlacement => Outcome::of(
                client
                    .get_placement(GetPlacementRequest {
                        placement_id: self.placement.id.clone(),
                    })
                    .await,
            ),
            Rpc::ListPlacements => match self.listed_placements(&client).await {
                Ok(ids) => Outcome::Answered {
                    sees: Some(ids.contains(&self.placement.id)),
                },
                Err(code) => Outcome::Refused(code),
            },
            Rpc::CompletePlacement => {
                let target = self.fresh_placement(13).await;
                Outcome::of(
                    client
                        .complete_placement(CompletePlacementRequest {
                            placement_id: target.id,
                            completed_on: Some(date(days_from_today(-1))),
                        })
                        .await,
                )
            }
            Rpc::EndPlacementEarly => {
                let target = self.fresh_placement(2).await;
                Outcome::of(
                    client
                        .end_placement_early(EndPlacementEarlyRequest {
                            placement_id: target.id,
                            ended_on: Some(date(months_from_today(-1))),
                            reason: EarlyEndReason::Dismissal as i32,
                            note: String::new(),
                        })
                        .await,
                )
            }
            Rpc::DecideLabel => {
                let target = self.fresh_placement(2).await;
                let young_person = self.api.candidate(self.candidate);
                label_requested(&self.api.owner(), &young_person, &target.id).await;
                Outcome::of(
                    client
                        .decide_label(DecideLabelRequest {
                            placement_id: target.id,
                            outcome: LabelOutcome::Granted as i32,
                            reason: String::new(),
                            reconsiders_decision_id: String::new(),
                        })
                        .await,
                )
            }
            Rpc::ListLabelDecisions => Outcome::of(
                client
                    .list_label_decisions(ListLabelDecisionsRequest {
                        scope: Some(list_label_decisions_request::Scope::PlacementId(
                            self.placement.id.clone(),
                        )),
                        page: None,
                    })
                    .await,
            ),
            Rpc::RequestLabel => {
                let target = self.fresh_placement(2).await;
                self.api
                    .candidate(self.candidate)
                    .acknowledge_label_charter(AcknowledgeLabelCharterRequest {
                        placement_id: target.id.clone(),
                    })
                    .await
                    .answer();
                Outcome::of(
                    client
                        .request_label(RequestLabelRequest {
                            placement_id: target.id,
                            responsibilities: "Industrialiser la nouvelle gamme.".to_owned(),
                            management_link: "Rattaché au directeur général.".to_owned(),
                            charter_acknowledged: true,
                        })
                        .await,
                )
            }
            Rpc::AcknowledgeLabelCharter => {
                let target = self.fresh_placement(2).await;
                Outcome::of(
                    client
                        .acknowledge_label_charter(AcknowledgeLabelCharterRequest {
                            placement_id: target.id,
                        })
                        .await,
                )
            }
            Rpc::AppealLabel => {
                let target = self.fresh_placement(2).await;
                let young_person = self.api.candidate(self.candidate);
                label_requested(&self.api.owner(), &young_person, &target.id).await;
                self.api
                    .bpifrance()
                    .decide_label(DecideLabelRequest {
                        placement_id: target.id.clone(),
                        outcome: LabelOutcome::Refused as i32,
                        reason: "Dossier incomplet.".to_owned(),
                        reconsiders_decision_id: String::new(),
                    })
                    .await
                    .answer();
                Outcome::of(
                    client
                        .appeal_label(AppealLabelRequest {
                            placement_id: target.id,
                            reason: "Pièces jointes au recours.".to_owned(),
                        })
                        .await,
                )
            }
            Rpc::GetLabelCase => Outcome::of(
                client
                    .get_label_case(GetLabelCaseRequest {
                        placement_id: self.placement.id.clone(),
                    })
                    .await,
            ),
            Rpc::ListLabelQueue => Outcome::of(
                client
                    .list_label_queue(ListLabelQueueRequest { page: None })
                    .await,
            ),
        }
    }

    /// Runs every cell of `rows`; fails listing every cell that did not answer as expected.
    async fn check(&self, rows: &[(Rpc, [Expect; 11])]) {
        let mut wrong = Vec::new();
        for (rpc, expected) in rows {
            for (who, expect) in COLUMNS.into_iter().zip(expected) {
                let outcome = self.call(*rpc, who).await;
                if !outcome.meets(*expect) {
                    wrong.push(format!(
                        "{rpc:?} by {who:?}: expected {expect:?}, got {outcome:?}"
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} cells of the matrix are wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}

#[tokio::test]
async fn every_offer_rpc_answers_every_caller_as_the_access_rules_say() {
    let world = World::build().await;
    #[rustfmt::skip]
    let rows = [
        //                          nobody site  owner other_co cand  other_c school other_s bpi   admin service
        (Rpc::CreateOffer,         [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::UpdateOffer,         [UN,    NF,   OK,   NF,      NF,   NF,     NF,    NF,     NF,   OK,   NO]),
        (Rpc::PublishOffer,        [UN,    NF,   OK,   NF,      NF,   NF,     NF,    NF,     NF,   OK,   NO]),
        (Rpc::CloseOffer,          [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::GetPublishedOffer,   [UN,    OK,   OK,   OK,      OK,   OK,     OK,    OK,     OK,   OK,   OK]),
        (Rpc::GetDraft,            [UN,    NF,   OK,   NF,      NF,   NF,     NF,    NF,     NF,   OK,   OK]),
        (Rpc::ListOffers,          [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   OK]),
        (Rpc::SearchOffers,        [UN,    OK,   OK,   OK,      OK,   OK,     OK,    OK,     OK,   OK,   OK]),
    ];
    world.check(&rows).await;
}

#[tokio::test]
async fn every_application_rpc_answers_every_caller_as_the_access_rules_say() {
    let world = World::build().await;
    #[rustfmt::skip]
    let rows = [
        //                          nobody site  owner other_co cand  other_c school other_s bpi   admin service
        (Rpc::Apply,               [UN,    NO,   NO,   NO,      OK,   NO,     OK,    NO,     NO,   NO,   NO]),
        (Rpc::GetApplication,      [UN,    NO,   OK,   NO,      OK,   NO,     OK,    NO,     NO,   OK,   OK]),
        (Rpc::ListApplicationsOfOffer,     [UN, NO, OK, NO,     NO,   NO,     NO,    NO,     NO,   OK,   OK]),
        (Rpc::ListApplicationsOfCandidate, [UN, NO, NO, NO,     OK,   NO,     OK,    NO,     NO,   OK,   OK]),
        (Rpc::ReviewApplication,   [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::ScheduleInterview,   [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::AcceptApplication,   [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::RefuseApplication,   [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::WithdrawApplication, [UN,    NO,   NO,   NO,      OK,   NO,     OK,    NO,     NO,   OK,   NO]),
    ];
    world.check(&rows).await;
}

#[tokio::test]
async fn every_placement_and_label_rpc_answers_every_caller_as_the_access_rules_say() {
    let world = World::build().await;
    #[rustfmt::skip]
    let rows = [
        //                          nobody site  owner other_co cand  other_c school other_s bpi   admin service
        (Rpc::GetPlacement,        [UN,    NO,   OK,   NO,      OK,   NO,     OK,    NO,     OK,   OK,   OK]),
        (Rpc::ListPlacements,      [UN,    NO,   SEES, BLIND,   SEES, BLIND,  SEES,  BLIND,  SEES, SEES, SEES]),
        (Rpc::CompletePlacement,   [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     OK,   OK,   NO]),
        (Rpc::EndPlacementEarly,   [UN,    NO,   OK,   NO,      NO,   NO,     OK,    NO,     OK,   OK,   NO]),
        (Rpc::DecideLabel,         [UN,    NO,   NO,   NO,      NO,   NO,     NO,    NO,     OK,   NO,   NO]),
        (Rpc::ListLabelDecisions,  [UN,    NO,   OK,   NO,      OK,   NO,     OK,    NO,     OK,   OK,   OK]),
        (Rpc::RequestLabel,        [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::AcknowledgeLabelCharter, [UN, NO,  NO,   NO,      OK,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::AppealLabel,         [UN,    NO,   OK,   NO,      OK,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::GetLabelCase,        [UN,    NO,   OK,   NO,      OK,   NO,     OK,    NO,     OK,   OK,   OK]),
        (Rpc::ListLabelQueue,      [UN,    NO,   NO,   NO,      NO,   NO,     NO,    NO,     OK,   OK,   OK]),
    ];
    world.check(&rows).await;
}

#[tokio::test]
async fn every_invitation_rpc_answers_every_caller_as_the_access_rules_say() {
    let world = World::build().await;
    #[rustfmt::skip]
    let rows = [
        //                          nobody site  owner other_co cand  other_c school other_s bpi   admin service
        (Rpc::InviteToApply,       [UN,    NO,   OK,   NO,      NO,   NO,     NO,    NO,     NO,   OK,   NO]),
        (Rpc::ListInvitationsOfOffer,     [UN, NO, OK,  NO,     NO,   NO,     NO,    NO,     NO,   OK,   OK]),
        (Rpc::ListInvitationsOfCandidate, [UN, NO, NO,  NO,     OK,   NO,     OK,    NO,     NO,   OK,   OK]),
        (Rpc::DeclineInvitation,   [UN,    NO,   NO,   NO,      OK,   NO,     OK,    NO,     NO,   OK,   NO]),
    ];
    world.check(&rows).await;
}

#[tokio::test]
async fn a_school_cannot_apply_for_another_schools_student_nor_read_their_applications() {
    let world = World::build().await;
    let offer = world.fresh_offer().await;

    let apply_for_theirs = world
        .client(Who::OtherSchool)
        .apply(ApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: world.candidate.to_string(),
            message: String::new(),
        })
        .await
        .code();
    let read_theirs = world
        .client(Who::OtherSchool)
        .list_applications(ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::CandidateId(
                world.candidate.to_string(),
            )),
            ..ListApplicationsRequest::default()
        })
        .await
        .code();
    let own = world
        .client(Who::OtherSchool)
        .list_applications(ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::CandidateId(
                world.other_candidate.to_string(),
            )),
            ..ListApplicationsRequest::default()
        })
        .await
        .answer()
        .applications;

    assert_eq!(apply_for_theirs, Code::PermissionDenied);
    assert_eq!(read_theirs, Code::PermissionDenied);
    assert_eq!(own.len(), 1, "its own student's application: {own:?}");
    assert_eq!(own[0].candidate_id, world.other_candidate.to_string());
}

#[tokio::test]
async fn a_company_sees_only_its_own_offers_and_the_applications_to_them() {
    let world = World::build().await;

    let others = world
        .client(Who::OtherCompany)
        .list_offers(ListOffersRequest::default())
        .await
        .answer()
        .offers;
    let own = world
        .client(Who::Owner)
        .list_offers(ListOffersRequest::default())
        .await
        .answer()
        .offers;
    let applications = world
        .client(Who::Owner)
        .list_applications(ListApplicationsRequest {
            scope: Some(list_applications_request::Scope::OfferId(
                world.offer.id.clone(),
            )),
            ..ListApplicationsRequest::default()
        })
        .await
        .answer()
        .applications;

    assert!(
        others
            .iter()
            .all(|offer| offer.company_siren == OTHER_SIREN)
    );
    assert_eq!(others.len(), 1);
    assert!(own.iter().all(|offer| offer.company_siren == SIREN));
    let own_ids: Vec<&str> = own.iter().map(|offer| offer.id.as_str()).collect();
    assert!(own_ids.contains(&world.offer.id.as_str()));
    assert!(own_ids.contains(&world.draft.id.as_str()), "its drafts too");
    let application_ids: Vec<&str> = applications.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(application_ids, [world.application.id.as_str()]);
}

#[tokio::test]
async fn a_company_posts_only_under_the_name_first_registered_for_its_siren() {
    let api = Api::start().await;
    let owner = api.owner();
    let first = published(&owner, figeac_cdi()).await;
    let first_name = first.spec.as_ref().unwrap().company_name.clone();

    let as_another = OfferSpec {
        company_name: "Airbus Operations SAS".to_owned(),
        ..figeac_cdi()
    };
    let created = owner
        .clone()
        .create_offer(CreateOfferRequest {
            company_siren: String::new(),
            spec: Some(as_another.clone()),
        })
        .await
        .unwrap_err();
    assert_eq!(created.code(), Code::InvalidArgument);
    assert!(
        created.message().contains("spec.company_name") && created.message().contains(&first_name),
        "names the field and the registered name: {}",
        created.message()
    );
    let renamed = owner
        .clone()
        .update_offer(UpdateOfferRequest {
            offer_id: draft(&owner, figeac_cdi()).await.id,
            spec: Some(as_another),
            expected_revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(renamed.code(), Code::InvalidArgument);

    // Another spelling of the same name is the same company.
    let respelled = OfferSpec {
        company_name: format!("  {}  ", first_name.to_uppercase()),
        ..figeac_cdi()
    };
    draft(&owner, respelled).await;
    let own: Vec<String> = owner
        .clone()
        .list_offers(ListOffersRequest::default())
        .await
        .answer()
        .offers
        .into_iter()
        .map(|offer| offer.spec.unwrap().company_name)
        .collect();
    assert_eq!(
        own.len(),
        3,
        "the two refused writes stored nothing: {own:?}"
    );
    assert!(own.iter().all(|name| name != "Airbus Operations SAS"));
}

#[tokio::test]
async fn applying_to_a_draft_answers_as_for_an_offer_that_does_not_exist() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let unpublished = draft(&api.owner(), figeac_cdi()).await;
    let apply_to = |offer_id: String, client: Client| async move {
        client
            .clone()
            .apply(ApplyRequest {
                offer_id,
                candidate_id: candidate.to_string(),
                message: String::new(),
            })
            .await
            .unwrap_err()
    };
    for client in [api.candidate(candidate), api.school(school)] {
        let to_draft = apply_to(unpublished.id.clone(), client.clone()).await;
        let to_nothing = apply_to(vte_domain::OfferId::new().to_string(), client).await;
        assert_eq!(to_draft.code(), Code::NotFound);
        assert_eq!(to_draft.message(), to_nothing.message());
    }
}
