//! Placements and label decisions on the wire: the placement requests into the inputs of
//! [`Placement::complete`], [`Placement::end_early`] and [`decide_label`], a [`Placement`] into
//! `vte.placements.v1.Placement` (with its latest decision), a [`LabelDecision`] into its
//! message, and the `PlacementEvent` envelope of each change (the label's other steps are in
//! [`super::label`]).
//!
//! [`decide_label`]: crate::domain::decide_label

use super::wire::{
    FilteredList, Filters, PageInput, WireEnum, actor_to_proto, both, check_enum,
    check_enum_filter, check_optional_id, check_page, check_recent_date, date_to_proto, filter_set,
    location_to_proto, parse_id, timestamp,
};
use crate::domain::{
    EarlyEndReason, LabelDecision, LabelOutcome, NewLabelDecision, Placement, PlacementStatus,
    RawDate,
};
use vte_domain::{CandidateId, FieldErrors, InvalidValue, PlacementId, SchoolId, Siren};
use vte_proto::vte::common::v1 as common;
use vte_proto::vte::offers::v1 as offers;
use vte_proto::vte::offers::v1::list_label_decisions_request::Scope;
use vte_proto::vte::placements::v1 as placements;
use vte_proto::vte::placements::v1::placement_event::Event;

/// CompletePlacement, decoded: the arguments of [`Placement::complete`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletePlacementInput {
    /// The placement.
    pub placement_id: PlacementId,
    /// The last day, a calendar date when given; that it is given is the domain's rule.
    pub completed_on: Option<RawDate>,
}

/// Decodes a CompletePlacement request.
pub fn complete_placement_input(
    request: &offers::CompletePlacementRequest,
) -> Result<CompletePlacementInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let completed_on =
        check_recent_date(&mut errors, "completed_on", request.completed_on.as_ref());
    let (placement_id, ()) = both(
        parse_id("placement_id", &request.placement_id),
        errors.into_result(),
    )?;
    Ok(CompletePlacementInput {
        placement_id,
        completed_on,
    })
}

/// EndPlacementEarly, decoded: the arguments of [`Placement::end_early`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPlacementEarlyInput {
    /// The placement.
    pub placement_id: PlacementId,
    /// The last day worked, a calendar date when given.
    pub ended_on: Option<RawDate>,
    /// The [`EarlyEndReason`] code (`"TRIAL_PERIOD"`), empty when UNSPECIFIED (the domain then
    /// reports it as required).
    pub reason: String,
    /// The details, as sent.
    pub note: String,
}

/// Decodes an EndPlacementEarly request.
pub fn end_placement_early_input(
    request: &offers::EndPlacementEarlyRequest,
) -> Result<EndPlacementEarlyInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let ended_on = check_recent_date(&mut errors, "ended_on", request.ended_on.as_ref());
    let reason = check_enum(&mut errors, "reason", request.reason)
        .map(EarlyEndReason::as_str)
        .unwrap_or_default();
    let (placement_id, ()) = both(
        parse_id("placement_id", &request.placement_id),
        errors.into_result(),
    )?;
    Ok(EndPlacementEarlyInput {
        placement_id,
        ended_on,
        reason: reason.to_owned(),
        note: request.note.clone(),
    })
}

/// DecideLabel, decoded: the placement and the request for [`decide_label`].
///
/// [`decide_label`]: crate::domain::decide_label
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideLabelInput {
    /// The placement.
    pub placement_id: PlacementId,
    /// The outcome as its code (empty when UNSPECIFIED), the reason and the decision
    /// reconsidered, as sent; checked by the domain.
    pub decision: NewLabelDecision,
}

/// Decodes a DecideLabel request.
pub fn decide_label_input(
    request: &offers::DecideLabelRequest,
) -> Result<DecideLabelInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let outcome = check_enum(&mut errors, "outcome", request.outcome)
        .map(LabelOutcome::as_str)
        .unwrap_or_default();
    let (placement_id, ()) = both(
        parse_id("placement_id", &request.placement_id),
        errors.into_result(),
    )?;
    Ok(DecideLabelInput {
        placement_id,
        decision: NewLabelDecision {
            outcome: outcome.to_owned(),
            reason: request.reason.clone(),
            reconsiders_decision_id: request.reconsiders_decision_id.clone(),
        },
    })
}

/// ListPlacements, decoded. The caller's tenant applies on top of these filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPlacementsInput {
    /// Only this company's.
    pub company_siren: Option<Siren>,
    /// Only this candidate's.
    pub candidate_id: Option<CandidateId>,
    /// Only this school's students'.
    pub school_id: Option<SchoolId>,
    /// Only these statuses; empty means all.
    pub statuses: Vec<PlacementStatus>,
    /// Only completed placements without any label decision.
    pub awaiting_label_only: bool,
    /// The page wanted.
    pub page: PageInput,
}

/// Decodes a ListPlacements request.
pub fn list_placements_input(
    request: &offers::ListPlacementsRequest,
) -> Result<ListPlacementsInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let input = ListPlacementsInput {
        company_siren: check_optional_id(&mut errors, "company_siren", &request.company_siren),
        candidate_id: check_optional_id(&mut errors, "candidate_id", &request.candidate_id),
        school_id: check_optional_id(&mut errors, "school_id", &request.school_id),
        statuses: check_enum_filter(&mut errors, "statuses", &request.statuses),
        awaiting_label_only: request.awaiting_label_only,
        page: check_page(&mut errors, "page", request.page.as_ref()),
    };
    input.bind_page(errors)
}

impl FilteredList for ListPlacementsInput {
    fn filters(&self) -> Filters {
        Filters::NONE
            .with("company_siren", self.company_siren)
            .with("candidate_id", self.candidate_id)
            .with("school_id", self.school_id)
            .with("statuses", filter_set(&self.statuses))
            .with("awaiting_label_only", self.awaiting_label_only)
    }

    fn page_mut(&mut self) -> &mut PageInput {
        &mut self.page
    }
}

/// Whose label decisions a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelDecisionsScope {
    /// The decisions on one placement.
    Placement(PlacementId),
    /// The decisions on every placement of a candidate.
    Candidate(CandidateId),
}

/// ListLabelDecisions, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLabelDecisionsInput {
    /// Whose decisions.
    pub scope: LabelDecisionsScope,
    /// The page wanted.
    pub page: PageInput,
}

/// Decodes a ListLabelDecisions request; the scope is required.
pub fn list_label_decisions_input(
    request: &offers::ListLabelDecisionsRequest,
) -> Result<ListLabelDecisionsInput, FieldErrors> {
    let scope = match &request.scope {
        Some(Scope::PlacementId(id)) => {
            parse_id("placement_id", id).map(LabelDecisionsScope::Placement)
        }
        Some(Scope::CandidateId(id)) => {
            parse_id("candidate_id", id).map(LabelDecisionsScope::Candidate)
        }
        None => Err(
            InvalidValue::new("one of placement_id or candidate_id is required")
                .at("scope")
                .into(),
        ),
    };
    let mut errors = FieldErrors::new();
    let page = check_page(&mut errors, "page", request.page.as_ref());
    let (scope, ()) = both(scope, errors.into_result())?;
    ListLabelDecisionsInput { scope, page }.bind_page(FieldErrors::new())
}

impl FilteredList for ListLabelDecisionsInput {
    fn filters(&self) -> Filters {
        Filters::NONE.with("scope", self.scope)
    }

    fn page_mut(&mut self) -> &mut PageInput {
        &mut self.page
    }
}

/// A label decision on the wire.
pub fn label_decision_to_proto(decision: &LabelDecision) -> placements::LabelDecision {
    placements::LabelDecision {
        id: decision.id.to_string(),
        placement_id: decision.placement_id.to_string(),
        candidate_id: decision.candidate_id.to_string(),
        outcome: decision.outcome.to_wire(),
        reason: decision
            .reason
            .as_ref()
            .map(|reason| reason.to_string())
            .unwrap_or_default(),
        decided_by: Some(actor_to_proto(&decision.decided_by)),
        decided_at: Some(timestamp(decision.decided_at)),
        reconsiders_decision_id: decision
            .reconsiders
            .map(|id| id.to_string())
            .unwrap_or_default(),
        request_id: decision
            .request
            .map(|id| id.to_string())
            .unwrap_or_default(),
        appeal_id: decision.appeal.map(|id| id.to_string()).unwrap_or_default(),
    }
}

/// The whole placement on the wire: the contract, the workplace, the aids, the status with the
/// end and its reason, the latest label decision, revision and times.
pub fn placement_to_proto(placement: &Placement) -> placements::Placement {
    let early_end = placement.early_end.as_ref();
    placements::Placement {
        id: placement.id.to_string(),
        application_id: placement.application_id.to_string(),
        offer_id: placement.offer_id.to_string(),
        company_siren: placement.company_siren.to_string(),
        company_name: placement.company_name.to_string(),
        offer_title: placement.offer_title.to_string(),
        mission_type: placement.mission_type.to_wire(),
        candidate_id: placement.candidate_id.to_string(),
        school_id: placement
            .school_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        contract_kind: placement.contract.kind().to_wire(),
        duration_months: placement.contract.duration_months().map(u32::from),
        start_date: Some(date_to_proto(placement.start_date)),
        planned_end_date: Some(date_to_proto(placement.planned_end_date)),
        location: Some(frozen_location(placement)),
        aids: vte_wire::eligibility::aids(&placement.frozen.aids),
        status: placement.status.to_wire(),
        ended_on: placement.ended_on.map(date_to_proto),
        early_end_reason: early_end.map_or(0, |end| end.reason.to_wire()),
        early_end_note: early_end
            .and_then(|end| end.note.as_ref())
            .map(|note| note.to_string())
            .unwrap_or_default(),
        latest_label_decision: placement
            .latest_label_decision
            .as_ref()
            .map(label_decision_to_proto),
        revision: placement.revision,
        created_at: Some(timestamp(placement.created_at)),
        updated_at: Some(timestamp(placement.updated_at)),
        eligibility: placement
            .frozen
            .verdict
            .as_ref()
            .map(vte_wire::eligibility::eligibility),
        rule_set_id: placement.frozen.rule_set_id.clone(),
    }
}

/// The workplace with the territory frozen at the hire, in the programme of its rule set.
fn frozen_location(placement: &Placement) -> common::Location {
    let frozen = &placement.frozen;
    common::Location {
        territory: frozen
            .territory
            .as_ref()
            .map(|territory| common::Territory {
                id: territory.id.clone(),
                name: territory.name.clone(),
                programme: frozen.programme.to_wire(),
            }),
        ..location_to_proto(&placement.location, frozen.programme)
    }
}

/// The `vte.placements.v1` envelope of the placement's new state: a label event when `decision`
/// is the one just recorded, otherwise the event of its status (started, completed, ended
/// early). A fresh UUIDv7 event id, the placement's update time, its id as the key.
pub fn placement_event(
    placement: &Placement,
    decision: Option<&LabelDecision>,
) -> placements::PlacementEvent {
    let state = Some(placement_to_proto(placement));
    let event = match decision {
        Some(recorded) => {
            let decision = Some(label_decision_to_proto(recorded));
            match recorded.outcome {
                LabelOutcome::Granted => Event::LabelGranted(placements::LabelGranted {
                    placement: state,
                    decision,
                }),
                LabelOutcome::Refused => Event::LabelRefused(placements::LabelRefused {
                    placement: state,
                    decision,
                }),
                LabelOutcome::ReworkRequested => {
                    Event::LabelReworkRequested(placements::LabelReworkRequested {
                        placement: state,
                        decision,
                    })
                }
            }
        }
        None => match placement.status {
            PlacementStatus::Active => {
                Event::Started(placements::PlacementStarted { placement: state })
            }
            PlacementStatus::Completed => {
                Event::Completed(placements::PlacementCompleted { placement: state })
            }
            PlacementStatus::EndedEarly => {
                Event::EndedEarly(placements::PlacementEndedEarly { placement: state })
            }
        },
    };
    placements::PlacementEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(placement.updated_at)),
        placement_id: placement.id.to_string(),
        event: Some(event),
    }
}
