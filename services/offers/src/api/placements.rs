//! Placements (the VTE itself) and Bpifrance's label decisions: the company records the end of
//! the VTE, Bpifrance alone decides the label on a completed one, and every decision stays in
//! the history (an appeal is a new decision naming the one it reconsiders).

use tonic::{Request, Response, Status};
use vte_domain::{LabelDecisionId, PlacementId};
use vte_proto::vte::offers::v1::*;
use vte_service::auth::Caller;

use super::applications::person;
use super::{
    Answer, OffersApi, append, caller, commit, decoded, not_found, now, page_request,
    page_response, ruled, stored, today,
};
use crate::access;
use crate::domain::{DomainError, Placement, decide_label};
use crate::mapping::{self, LabelDecisionsScope};
use crate::store::{self, LabelScope, PlacementFilter};

impl OffersApi {
    pub(super) async fn placement(
        &self,
        request: Request<GetPlacementRequest>,
    ) -> Answer<GetPlacementResponse> {
        let (identity, _) = caller(&request)?;
        let id = decoded(mapping::parse_id(
            "placement_id",
            &request.get_ref().placement_id,
        ))?;
        let placement = self.readable_placement(&identity.caller, id).await?;
        Ok(Response::new(GetPlacementResponse {
            placement: Some(mapping::placement_to_proto(&placement)),
        }))
    }

    async fn readable_placement(
        &self,
        caller: &Caller,
        id: PlacementId,
    ) -> Result<Placement, Status> {
        let placement = stored(store::load_placement(&self.pool, id, &self.reference).await)?
            .ok_or_else(|| not_found("placement"))?;
        access::read_case(
            caller,
            &placement.company_siren,
            person(&placement.candidate_id, placement.school_id.as_ref()),
            true,
        )?;
        Ok(placement)
    }

    pub(super) async fn placements(
        &self,
        request: Request<ListPlacementsRequest>,
    ) -> Answer<ListPlacementsResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::list_placements_input(request.get_ref()))?;
        let mut filter = PlacementFilter {
            company: input.company_siren,
            candidate: input.candidate_id,
            school: input.school_id,
            statuses: input.statuses,
            awaiting_label_only: input.awaiting_label_only,
        };
        // Each tenant sees only its own: its filter is forced, and naming another is refused.
        let denied = || Status::permission_denied("these placements are not yours to read");
        match &identity.caller {
            Caller::Company { siren } => {
                if filter.company.is_some_and(|given| given != *siren) {
                    return Err(denied());
                }
                filter.company = Some(*siren);
            }
            Caller::Candidate { candidate_id } => {
                if filter.candidate.is_some_and(|given| given != *candidate_id) {
                    return Err(denied());
                }
                filter.candidate = Some(*candidate_id);
            }
            Caller::School { school_id } => {
                if filter.school.is_some_and(|given| given != *school_id) {
                    return Err(denied());
                }
                filter.school = Some(*school_id);
            }
            Caller::Bpifrance | Caller::Admin | Caller::Service => {}
            Caller::Site => return Err(denied()),
        }
        let page = page_request(input.page)?;
        let found =
            stored(store::list_placements(&self.pool, &filter, page, &self.reference).await)?;
        Ok(Response::new(ListPlacementsResponse {
            placements: found
                .items
                .iter()
                .map(mapping::placement_to_proto)
                .collect(),
            page: page_response(found.next),
        }))
    }

    pub(super) async fn complete(
        &self,
        request: Request<CompletePlacementRequest>,
    ) -> Answer<CompletePlacementResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::complete_placement_input(request.get_ref()))?;
        let now = now();
        let placement = self
            .change_placement(&identity.caller, input.placement_id, false, |placement| {
                placement.complete(input.completed_on, today(now), now)
            })
            .await?;
        Ok(Response::new(CompletePlacementResponse {
            placement: Some(mapping::placement_to_proto(&placement)),
        }))
    }

    pub(super) async fn end_early(
        &self,
        request: Request<EndPlacementEarlyRequest>,
    ) -> Answer<EndPlacementEarlyResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::end_placement_early_input(request.get_ref()))?;
        let now = now();
        let placement = self
            .change_placement(&identity.caller, input.placement_id, true, |placement| {
                placement.end_early(input.ended_on, &input.reason, &input.note, today(now), now)
            })
            .await?;
        Ok(Response::new(EndPlacementEarlyResponse {
            placement: Some(mapping::placement_to_proto(&placement)),
        }))
    }

    /// The company that hired, Bpifrance or an operator (and for an early end the candidate's
    /// school) records how the VTE ended.
    async fn change_placement(
        &self,
        caller: &Caller,
        id: PlacementId,
        school_may: bool,
        change: impl FnOnce(&Placement) -> Result<Placement, DomainError>,
    ) -> Result<Placement, Status> {
        let mut transaction = self.begin().await?;
        let placement = stored(store::lock_placement(&mut transaction, id, &self.reference).await)?
            .ok_or_else(|| not_found("placement"))?;
        access::record_placement_end(
            caller,
            &placement.company_siren,
            placement.school_id.as_ref(),
            school_may,
        )?;
        let next = ruled(change(&placement))?;
        stored(store::save_placement(&mut transaction, &next, placement.revision).await)?;
        append(&mut transaction, &mapping::placement_event(&next, None)).await?;
        commit(transaction).await?;
        Ok(next)
    }

    pub(super) async fn decide(
        &self,
        request: Request<DecideLabelRequest>,
    ) -> Answer<DecideLabelResponse> {
        let (identity, actor) = caller(&request)?;
        access::decide_labels(&identity.caller)?;
        let input = decoded(mapping::decide_label_input(request.get_ref()))?;
        let mut transaction = self.begin().await?;
        let placement = stored(
            store::lock_placement(&mut transaction, input.placement_id, &self.reference).await,
        )?
        .ok_or_else(|| not_found("placement"))?;
        let history = stored(store::label_history(&mut *transaction, placement.id).await)?;
        let decided = ruled(decide_label(
            &placement,
            &history,
            &input.decision,
            LabelDecisionId::new(),
            &actor,
            now(),
        ))?;
        stored(store::insert_label_decision(&mut transaction, &decided.decision).await)?;
        stored(
            store::save_placement(&mut transaction, &decided.placement, placement.revision).await,
        )?;
        let event = mapping::placement_event(&decided.placement, Some(&decided.decision));
        append(&mut transaction, &event).await?;
        commit(transaction).await?;
        Ok(Response::new(DecideLabelResponse {
            decision: Some(mapping::label_decision_to_proto(&decided.decision)),
            placement: Some(mapping::placement_to_proto(&decided.placement)),
        }))
    }

    pub(super) async fn decisions(
        &self,
        request: Request<ListLabelDecisionsRequest>,
    ) -> Answer<ListLabelDecisionsResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::list_label_decisions_input(request.get_ref()))?;
        let scope = match input.scope {
            LabelDecisionsScope::Placement(id) => {
                self.readable_placement(&identity.caller, id).await?;
                LabelScope::Placement(id)
            }
            LabelDecisionsScope::Candidate(candidate) => {
                if !matches!(identity.caller, Caller::Bpifrance | Caller::Service) {
                    let school = self.school_of(candidate).await?;
                    access::act_for(&identity.caller, person(&candidate, school.as_ref()))?;
                }
                LabelScope::Candidate(candidate)
            }
        };
        let page = page_request(input.page)?;
        let found = stored(store::list_label_decisions(&self.pool, scope, page).await)?;
        Ok(Response::new(ListLabelDecisionsResponse {
            decisions: found
                .items
                .iter()
                .map(mapping::label_decision_to_proto)
                .collect(),
            page: page_response(found.next),
        }))
    }
}
