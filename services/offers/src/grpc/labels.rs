//! The label's RPCs: decode, call the use case with the clock's reading, encode (subjects
//! blanked for readers who may not see them). `OffersService`'s methods in the parent module
//! call these.

use tonic::{Request, Response, Status};
use vte_proto::vte::offers::v1::*;
use vte_proto::vte::placements::v1::LabelCase;
use vte_service::auth::identity;

use super::subjects::Reader;
use super::{Answer, OffersApi, decoded, listed};
use crate::access;
use crate::mapping::{self, FilteredList};
use crate::usecases::now;

impl Reader {
    /// The case, each recorded actor's subject blanked unless the reader may see it.
    pub(super) fn label_case(&self, mut case: LabelCase) -> LabelCase {
        for request in &mut case.requests {
            self.actor(&mut request.requested_by);
        }
        for decision in &mut case.decisions {
            self.actor(&mut decision.decided_by);
        }
        for appeal in &mut case.appeals {
            self.actor(&mut appeal.appealed_by);
        }
        if let Some(acknowledgement) = case.young_person_acknowledgement.as_mut() {
            self.actor(&mut acknowledgement.acknowledged_by);
        }
        case
    }
}

impl OffersApi {
    pub(super) async fn decide_label_rpc(
        &self,
        r: Request<DecideLabelRequest>,
    ) -> Answer<DecideLabelResponse> {
        let who = identity(&r)?;
        // Refused before the request is read: only Bpifrance learns what is wrong in a decision.
        access::decide_labels(&who.caller).map_err(Status::from)?;
        let input = decoded(mapping::decide_label_input(r.get_ref()))?;
        let (decided, case) = self.offers.decide_label(who, input, now()).await?;
        let reader = Reader::new(who);
        Ok(Response::new(DecideLabelResponse {
            decision: Some(reader.decision(mapping::label_decision_to_proto(&decided.decision))),
            placement: Some(reader.placement(mapping::placement_to_proto(&decided.placement))),
            label: Some(reader.label_case(mapping::label_case_to_proto(&case))),
        }))
    }

    pub(super) async fn request_label_rpc(
        &self,
        r: Request<RequestLabelRequest>,
    ) -> Answer<RequestLabelResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::request_label_input(r.get_ref()))?;
        let (request, case) = self.offers.request_label(who, input, now()).await?;
        let reader = Reader::new(who);
        let mut request = mapping::label_request_to_proto(&request);
        reader.actor(&mut request.requested_by);
        Ok(Response::new(RequestLabelResponse {
            request: Some(request),
            label: Some(reader.label_case(mapping::label_case_to_proto(&case))),
        }))
    }

    pub(super) async fn acknowledge_label_charter_rpc(
        &self,
        r: Request<AcknowledgeLabelCharterRequest>,
    ) -> Answer<AcknowledgeLabelCharterResponse> {
        let who = identity(&r)?;
        let id = decoded(mapping::parse_id("placement_id", &r.get_ref().placement_id))?;
        let case = self
            .offers
            .acknowledge_label_charter(who, id, now())
            .await?;
        let label = Some(Reader::new(who).label_case(mapping::label_case_to_proto(&case)));
        Ok(Response::new(AcknowledgeLabelCharterResponse { label }))
    }

    pub(super) async fn appeal_label_rpc(
        &self,
        r: Request<AppealLabelRequest>,
    ) -> Answer<AppealLabelResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::appeal_label_input(r.get_ref()))?;
        let (appeal, case) = self.offers.appeal_label(who, input, now()).await?;
        let reader = Reader::new(who);
        let mut appeal = mapping::label_appeal_to_proto(&appeal);
        reader.actor(&mut appeal.appealed_by);
        Ok(Response::new(AppealLabelResponse {
            appeal: Some(appeal),
            label: Some(reader.label_case(mapping::label_case_to_proto(&case))),
        }))
    }

    pub(super) async fn get_label_case_rpc(
        &self,
        r: Request<GetLabelCaseRequest>,
    ) -> Answer<GetLabelCaseResponse> {
        let who = identity(&r)?;
        let id = decoded(mapping::parse_id("placement_id", &r.get_ref().placement_id))?;
        let case = self.offers.label_case(who, id).await?;
        let label = Some(Reader::new(who).label_case(mapping::label_case_to_proto(&case)));
        Ok(Response::new(GetLabelCaseResponse { label }))
    }

    pub(super) async fn list_label_queue_rpc(
        &self,
        r: Request<ListLabelQueueRequest>,
    ) -> Answer<ListLabelQueueResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::list_label_queue_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.label_queue(who, input).await?;
        let reader = Reader::new(who);
        let (labels, page) = listed(found, filters, |case| {
            reader.label_case(mapping::label_case_to_proto(case))
        });
        Ok(Response::new(ListLabelQueueResponse { labels, page }))
    }
}
