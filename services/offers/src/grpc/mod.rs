//! `vte.offers.v1.OffersService` over the use cases: each RPC takes the caller's verified
//! identity, decodes the request into its use case's input ([`mapping`]), calls the use case
//! ([`Offers`]) and encodes what it returns. [`status`] maps the service's error to a status,
//! once.

mod invitations;
mod labels;
mod status;
mod subjects;

use tonic::{Request, Response, Status};
use vte_domain::FieldErrors;
use vte_proto::vte::applications::v1 as applications;
use vte_proto::vte::common::v1::PageResponse;
use vte_proto::vte::offers::v1::offers_service_server::OffersService;
use vte_proto::vte::offers::v1::*;
use vte_service::auth::identity;
use vte_wire::page::Filters;

use crate::domain::Application;
use crate::error::Error;
use crate::mapping::{self, FilteredList, Message};
use crate::store::Page;
use crate::usecases::Offers;
use subjects::Reader;

/// The offers API: the gRPC face of [`Offers`].
#[derive(Debug, Clone)]
pub struct OffersApi {
    offers: Offers,
}

impl OffersApi {
    /// The API calling `offers`.
    pub fn new(offers: Offers) -> Self {
        Self { offers }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// A decoded request, or its field errors as `INVALID_ARGUMENT`.
fn decoded<T>(result: Result<T, FieldErrors>) -> Result<T, Status> {
    result.map_err(|errors| Error::Invalid(errors).into())
}

/// A page of the store, encoded: its items and the token of the next page (empty on the last),
/// bound to the list's `filters`.
fn listed<T, P>(
    page: Page<T>,
    filters: Filters,
    encode: impl Fn(&T) -> P,
) -> (Vec<P>, Option<PageResponse>) {
    let items = page.items.iter().map(encode).collect();
    let next = vte_wire::page::page_response_for(page.next.as_ref(), filters);
    (items, Some(next))
}

/// An application as the API answers it: with the candidate's message.
fn answered(application: &Application) -> applications::Application {
    mapping::application_to_proto(application, Message::Include)
}

#[tonic::async_trait]
impl OffersService for OffersApi {
    async fn create_offer(&self, r: Request<CreateOfferRequest>) -> Answer<CreateOfferResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::create_offer_input(r.get_ref()))?;
        let offer = self.offers.create_offer(who, input).await?;
        let offer = Some(mapping::offer_to_proto(&offer, self.offers.rules()));
        Ok(Response::new(CreateOfferResponse { offer }))
    }

    async fn update_offer(&self, r: Request<UpdateOfferRequest>) -> Answer<UpdateOfferResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::update_offer_input(r.get_ref()))?;
        let offer = self.offers.update_offer(who, input).await?;
        let offer = Some(mapping::offer_to_proto(&offer, self.offers.rules()));
        Ok(Response::new(UpdateOfferResponse { offer }))
    }

    async fn publish_offer(&self, r: Request<PublishOfferRequest>) -> Answer<PublishOfferResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::publish_offer_input(r.get_ref()))?;
        let offer = self.offers.publish_offer(who, input).await?;
        let offer = Some(mapping::offer_to_proto(&offer, self.offers.rules()));
        Ok(Response::new(PublishOfferResponse { offer }))
    }

    async fn close_offer(&self, r: Request<CloseOfferRequest>) -> Answer<CloseOfferResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::close_offer_input(r.get_ref()))?;
        let offer = self.offers.close_offer(who, input).await?;
        let offer = Some(mapping::offer_to_proto(&offer, self.offers.rules()));
        Ok(Response::new(CloseOfferResponse { offer }))
    }

    async fn get_offer(&self, r: Request<GetOfferRequest>) -> Answer<GetOfferResponse> {
        let who = identity(&r)?;
        let id = decoded(mapping::parse_id("offer_id", &r.get_ref().offer_id))?;
        let offer = self.offers.get_offer(who, id).await?;
        let offer = Some(mapping::offer_to_proto(&offer, self.offers.rules()));
        Ok(Response::new(GetOfferResponse { offer }))
    }

    async fn list_offers(&self, r: Request<ListOffersRequest>) -> Answer<ListOffersResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::list_offers_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.list_offers(who, input).await?;
        let (offers, page) = listed(found, filters, |offer| {
            mapping::offer_to_proto(offer, self.offers.rules())
        });
        Ok(Response::new(ListOffersResponse { offers, page }))
    }

    async fn search_offers(&self, r: Request<SearchOffersRequest>) -> Answer<SearchOffersResponse> {
        identity(&r)?;
        let input = decoded(mapping::search_request_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.search_offers(input).await?;
        let results = found
            .results
            .iter()
            .map(|result| OfferSearchResult {
                // One decimal, as the contract says.
                distance_km: result.distance_km.map(|km| (km * 10.0).round() / 10.0),
                offer: Some(mapping::offer_to_proto(&result.offer, self.offers.rules())),
            })
            .collect();
        let page = Some(PageResponse {
            next_page_token: found
                .next
                .map(|c| vte_wire::page::bind(&c.encode(), filters))
                .unwrap_or_default(),
        });
        Ok(Response::new(SearchOffersResponse { results, page }))
    }

    async fn apply(&self, r: Request<ApplyRequest>) -> Answer<ApplyResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::apply_input(r.get_ref()))?;
        let applied = self.offers.apply(who, input).await?;
        let application = Some(Reader::new(who).application(answered(&applied)));
        Ok(Response::new(ApplyResponse { application }))
    }

    async fn get_application(
        &self,
        r: Request<GetApplicationRequest>,
    ) -> Answer<GetApplicationResponse> {
        let who = identity(&r)?;
        let id = decoded(mapping::parse_id(
            "application_id",
            &r.get_ref().application_id,
        ))?;
        let read = self.offers.get_application(who, id).await?;
        let candidate = read.application.candidate_id;
        Ok(Response::new(GetApplicationResponse {
            application: Some(Reader::new(who).application(answered(&read.application))),
            candidate_contact: read
                .contact
                .map(|contact| mapping::contact_to_proto(candidate, contact)),
        }))
    }

    async fn list_applications(
        &self,
        r: Request<ListApplicationsRequest>,
    ) -> Answer<ListApplicationsResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::list_applications_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.list_applications(who, input).await?;
        let reader = Reader::new(who);
        let (applications, page) = listed(found, filters, |a| reader.application(answered(a)));
        Ok(Response::new(ListApplicationsResponse {
            applications,
            page,
        }))
    }

    async fn review_application(
        &self,
        r: Request<ReviewApplicationRequest>,
    ) -> Answer<ReviewApplicationResponse> {
        let who = identity(&r)?;
        let step = decoded(mapping::review_input(r.get_ref()))?;
        let reviewed = self.offers.review_application(who, step).await?;
        let application = Some(Reader::new(who).application(answered(&reviewed)));
        Ok(Response::new(ReviewApplicationResponse { application }))
    }

    async fn schedule_interview(
        &self,
        r: Request<ScheduleInterviewRequest>,
    ) -> Answer<ScheduleInterviewResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::schedule_interview_input(r.get_ref()))?;
        let scheduled = self.offers.schedule_interview(who, input).await?;
        let application = Some(Reader::new(who).application(answered(&scheduled)));
        Ok(Response::new(ScheduleInterviewResponse { application }))
    }

    async fn accept_application(
        &self,
        r: Request<AcceptApplicationRequest>,
    ) -> Answer<AcceptApplicationResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::accept_input(r.get_ref()))?;
        let acceptance = self.offers.accept_application(who, input).await?;
        let reader = Reader::new(who);
        Ok(Response::new(AcceptApplicationResponse {
            application: Some(reader.application(answered(&acceptance.application))),
            placement: Some(reader.placement(mapping::placement_to_proto(&acceptance.placement))),
        }))
    }

    async fn refuse_application(
        &self,
        r: Request<RefuseApplicationRequest>,
    ) -> Answer<RefuseApplicationResponse> {
        let who = identity(&r)?;
        let step = decoded(mapping::refuse_input(r.get_ref()))?;
        let refused = self.offers.refuse_application(who, step).await?;
        let application = Some(Reader::new(who).application(answered(&refused)));
        Ok(Response::new(RefuseApplicationResponse { application }))
    }

    async fn withdraw_application(
        &self,
        r: Request<WithdrawApplicationRequest>,
    ) -> Answer<WithdrawApplicationResponse> {
        let who = identity(&r)?;
        let step = decoded(mapping::withdraw_input(r.get_ref()))?;
        let withdrawn = self.offers.withdraw_application(who, step).await?;
        let application = Some(Reader::new(who).application(answered(&withdrawn)));
        Ok(Response::new(WithdrawApplicationResponse { application }))
    }

    async fn invite_to_apply(
        &self,
        r: Request<InviteToApplyRequest>,
    ) -> Answer<InviteToApplyResponse> {
        self.invite_to_apply_rpc(r).await
    }

    async fn list_invitations(
        &self,
        r: Request<ListInvitationsRequest>,
    ) -> Answer<ListInvitationsResponse> {
        self.list_invitations_rpc(r).await
    }

    async fn decline_invitation(
        &self,
        r: Request<DeclineInvitationRequest>,
    ) -> Answer<DeclineInvitationResponse> {
        self.decline_invitation_rpc(r).await
    }

    async fn get_placement(&self, r: Request<GetPlacementRequest>) -> Answer<GetPlacementResponse> {
        let who = identity(&r)?;
        let id = decoded(mapping::parse_id("placement_id", &r.get_ref().placement_id))?;
        let placement = self.offers.get_placement(who, id).await?;
        let placement = Some(Reader::new(who).placement(mapping::placement_to_proto(&placement)));
        Ok(Response::new(GetPlacementResponse { placement }))
    }

    async fn list_placements(
        &self,
        r: Request<ListPlacementsRequest>,
    ) -> Answer<ListPlacementsResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::list_placements_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.list_placements(who, input).await?;
        let reader = Reader::new(who);
        let (placements, page) = listed(found, filters, |p| {
            reader.placement(mapping::placement_to_proto(p))
        });
        Ok(Response::new(ListPlacementsResponse { placements, page }))
    }

    async fn complete_placement(
        &self,
        r: Request<CompletePlacementRequest>,
    ) -> Answer<CompletePlacementResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::complete_placement_input(r.get_ref()))?;
        let placement = self.offers.complete_placement(who, input).await?;
        let placement = Some(Reader::new(who).placement(mapping::placement_to_proto(&placement)));
        Ok(Response::new(CompletePlacementResponse { placement }))
    }

    async fn end_placement_early(
        &self,
        r: Request<EndPlacementEarlyRequest>,
    ) -> Answer<EndPlacementEarlyResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::end_placement_early_input(r.get_ref()))?;
        let placement = self.offers.end_placement_early(who, input).await?;
        let placement = Some(Reader::new(who).placement(mapping::placement_to_proto(&placement)));
        Ok(Response::new(EndPlacementEarlyResponse { placement }))
    }

    async fn decide_label(&self, r: Request<DecideLabelRequest>) -> Answer<DecideLabelResponse> {
        self.decide_label_rpc(r).await
    }

    async fn request_label(&self, r: Request<RequestLabelRequest>) -> Answer<RequestLabelResponse> {
        self.request_label_rpc(r).await
    }

    async fn acknowledge_label_charter(
        &self,
        r: Request<AcknowledgeLabelCharterRequest>,
    ) -> Answer<AcknowledgeLabelCharterResponse> {
        self.acknowledge_label_charter_rpc(r).await
    }

    async fn appeal_label(&self, r: Request<AppealLabelRequest>) -> Answer<AppealLabelResponse> {
        self.appeal_label_rpc(r).await
    }

    async fn get_label_case(
        &self,
        r: Request<GetLabelCaseRequest>,
    ) -> Answer<GetLabelCaseResponse> {
        self.get_label_case_rpc(r).await
    }

    async fn list_label_queue(
        &self,
        r: Request<ListLabelQueueRequest>,
    ) -> Answer<ListLabelQueueResponse> {
        self.list_label_queue_rpc(r).await
    }

    async fn list_label_decisions(
        &self,
        r: Request<ListLabelDecisionsRequest>,
    ) -> Answer<ListLabelDecisionsResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::list_label_decisions_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.list_label_decisions(who, input).await?;
        let reader = Reader::new(who);
        let (decisions, page) = listed(found, filters, |d| {
            reader.decision(mapping::label_decision_to_proto(d))
        });
        Ok(Response::new(ListLabelDecisionsResponse {
            decisions,
            page,
        }))
    }
}
