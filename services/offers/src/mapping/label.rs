//! A placement's label on the wire: the label requests into the inputs of
//! [`request_label`](crate::domain::request_label), [`appeal_label`](crate::domain::appeal_label)
//! and the queue; a [`LabelCase`] and its records into `vte.placements.v1` messages; and the
//! `PlacementEvent` envelopes of the label steps that do not change the placement itself (a
//! request, an appeal, a reminder). Decisions are encoded in [`super::placement`].

use super::placement::{label_decision_to_proto, placement_to_proto};
use super::wire::{
    FilteredList, Filters, PageInput, WireEnum, actor_to_proto, check_page, date_to_proto,
    parse_id, timestamp,
};
use crate::domain::{
    CharterAcknowledgement, LabelAppeal, LabelCase, LabelRequest, LabelStatus, LabelWindow,
    NewLabelRequest, Placement,
};
use chrono::{DateTime, Utc};
use vte_domain::{FieldErrors, PlacementId};
use vte_proto::vte::offers::v1 as offers;
use vte_proto::vte::placements::v1 as placements;
use vte_proto::vte::placements::v1::placement_event::Event;
use vte_wire::wire_enum;

wire_enum!(LabelStatus => placements::LabelStatus, "vte.placements.v1.LabelStatus", {
    NotRequested = NotRequested,
    Requested = Requested,
    ReworkRequested = ReworkRequested,
    Granted = Granted,
    Refused = Refused,
    Appealed = Appealed,
});

/// RequestLabel, decoded: the placement and the dossier for
/// [`request_label`](crate::domain::request_label), which checks its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLabelInput {
    /// The placement.
    pub placement_id: PlacementId,
    /// The dossier, as sent.
    pub request: NewLabelRequest,
}

/// Decodes a RequestLabel request.
pub fn request_label_input(
    request: &offers::RequestLabelRequest,
) -> Result<RequestLabelInput, FieldErrors> {
    Ok(RequestLabelInput {
        placement_id: parse_id("placement_id", &request.placement_id)?,
        request: NewLabelRequest {
            responsibilities: request.responsibilities.clone(),
            management_link: request.management_link.clone(),
            charter_acknowledged: request.charter_acknowledged,
        },
    })
}

/// AppealLabel, decoded: the placement and the reason, checked by
/// [`appeal_label`](crate::domain::appeal_label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealLabelInput {
    /// The placement.
    pub placement_id: PlacementId,
    /// Why, as sent.
    pub reason: String,
}

/// Decodes an AppealLabel request.
pub fn appeal_label_input(
    request: &offers::AppealLabelRequest,
) -> Result<AppealLabelInput, FieldErrors> {
    Ok(AppealLabelInput {
        placement_id: parse_id("placement_id", &request.placement_id)?,
        reason: request.reason.clone(),
    })
}

/// ListLabelQueue, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLabelQueueInput {
    /// The page wanted.
    pub page: PageInput,
}

/// Decodes a ListLabelQueue request.
pub fn list_label_queue_input(
    request: &offers::ListLabelQueueRequest,
) -> Result<ListLabelQueueInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let page = check_page(&mut errors, "page", request.page.as_ref());
    ListLabelQueueInput { page }.bind_page(errors)
}

impl FilteredList for ListLabelQueueInput {
    fn filters(&self) -> Filters {
        Filters::NONE
    }

    fn page_mut(&mut self) -> &mut PageInput {
        &mut self.page
    }
}

/// A request window on the wire.
pub fn label_window_to_proto(window: &LabelWindow) -> placements::LabelWindow {
    placements::LabelWindow {
        rule_set_id: window.rule_set_id.clone().unwrap_or_default(),
        months: u32::from(window.months),
        closes_on: Some(date_to_proto(window.closes_on)),
    }
}

/// A dossier version on the wire.
pub fn label_request_to_proto(request: &LabelRequest) -> placements::LabelRequest {
    placements::LabelRequest {
        id: request.id.to_string(),
        placement_id: request.placement_id.to_string(),
        version: request.version,
        responsibilities: request.responsibilities.to_string(),
        management_link: request.management_link.to_string(),
        company_charter_acknowledged: true,
        requested_by: Some(actor_to_proto(&request.requested_by)),
        requested_at: Some(timestamp(request.requested_at)),
        answers_decision_id: request.answers.map(|id| id.to_string()).unwrap_or_default(),
    }
}

/// An appeal on the wire.
pub fn label_appeal_to_proto(appeal: &LabelAppeal) -> placements::LabelAppeal {
    placements::LabelAppeal {
        id: appeal.id.to_string(),
        placement_id: appeal.placement_id.to_string(),
        appeals_decision_id: appeal.appeals.to_string(),
        reason: appeal
            .reason
            .as_ref()
            .map(|reason| reason.to_string())
            .unwrap_or_default(),
        appealed_by: Some(actor_to_proto(&appeal.appealed_by)),
        appealed_at: Some(timestamp(appeal.appealed_at)),
    }
}

fn acknowledgement_to_proto(
    acknowledgement: &CharterAcknowledgement,
) -> placements::CharterAcknowledgement {
    placements::CharterAcknowledgement {
        placement_id: acknowledgement.placement_id.to_string(),
        acknowledged_by: Some(actor_to_proto(&acknowledgement.acknowledged_by)),
        acknowledged_at: Some(timestamp(acknowledgement.acknowledged_at)),
    }
}

/// A label case on the wire: its status, window and whole history.
pub fn label_case_to_proto(case: &LabelCase) -> placements::LabelCase {
    let history = &case.history;
    placements::LabelCase {
        placement_id: case.placement_id.to_string(),
        company_siren: case.company_siren.to_string(),
        company_name: case.company_name.to_string(),
        offer_title: case.offer_title.to_string(),
        start_date: Some(date_to_proto(case.start_date)),
        placement_status: case.placement_status.to_wire(),
        status: case.status().to_wire(),
        window: Some(label_window_to_proto(&case.window)),
        young_person_acknowledgement: history
            .acknowledgement
            .as_ref()
            .map(acknowledgement_to_proto),
        requests: history
            .requests
            .iter()
            .map(label_request_to_proto)
            .collect(),
        decisions: history
            .decisions
            .iter()
            .map(label_decision_to_proto)
            .collect(),
        appeals: history.appeals.iter().map(label_appeal_to_proto).collect(),
        pending_since: history.pending_since().map(timestamp),
    }
}

/// The envelope of a label step that leaves the placement as it is: a fresh UUIDv7 event id,
/// `now`, the placement's id as the key.
fn envelope(placement: &Placement, now: DateTime<Utc>, event: Event) -> placements::PlacementEvent {
    placements::PlacementEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(now)),
        placement_id: placement.id.to_string(),
        event: Some(event),
    }
}

/// `LabelRequested`: the company requested the label or resubmitted its dossier (the version
/// without its text).
pub fn label_requested_event(
    placement: &Placement,
    request: &LabelRequest,
    window: &LabelWindow,
    now: DateTime<Utc>,
) -> placements::PlacementEvent {
    // What people wrote stays in the service: the event says a version was submitted.
    let request = placements::LabelRequest {
        responsibilities: String::new(),
        management_link: String::new(),
        ..label_request_to_proto(request)
    };
    let event = Event::LabelRequested(placements::LabelRequested {
        placement: Some(placement_to_proto(placement)),
        request: Some(request),
        window: Some(label_window_to_proto(window)),
    });
    envelope(placement, now, event)
}

/// `LabelAppealed`: the company or the young person appealed a refusal (without its reason).
pub fn label_appealed_event(
    placement: &Placement,
    appeal: &LabelAppeal,
    now: DateTime<Utc>,
) -> placements::PlacementEvent {
    // The reason, written by the company or the young person, stays in the service.
    let appeal = placements::LabelAppeal {
        reason: String::new(),
        ..label_appeal_to_proto(appeal)
    };
    let event = Event::LabelAppealed(placements::LabelAppealed {
        placement: Some(placement_to_proto(placement)),
        appeal: Some(appeal),
    });
    envelope(placement, now, event)
}

/// `LabelRequestDue`: the window closes in `days_left` days and nothing was requested.
pub fn label_request_due_event(
    placement: &Placement,
    window: &LabelWindow,
    days_left: u32,
    now: DateTime<Utc>,
) -> placements::PlacementEvent {
    let event = Event::LabelRequestDue(placements::LabelRequestDue {
        placement: Some(placement_to_proto(placement)),
        window: Some(label_window_to_proto(window)),
        days_left,
    });
    envelope(placement, now, event)
}
