//! What the candidates service takes from `vte.placements.v1`: the labels Bpifrance grants, so
//! a candidate's profile shows what they may put on a CV, and that a candidate's VTE runs or
//! moved, which keeps their profile from the retention sweep. The handler decodes the event
//! into a [`LabelDecision`] and a [`PlacementActivity`] and hands them to the use cases in the
//! runner's transaction, which also records the event id. Errors become retries or dead letters in one
//! place ([`handler_error`]); reasons given for a refused event name fields, never values.

use prost::Message as _;
use sqlx::{Postgres, Transaction};
use vte_domain::{CandidateId, MissionType};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_events::outbox::OutboxError;
use vte_proto::vte::placements::v1::placement_event::Event;
use vte_proto::vte::placements::v1::{
    LabelDecision as WireDecision, Placement, PlacementEvent, PlacementStatus,
};
use vte_wire::WireEnum;

use crate::domain::Label;
use crate::error::Error;
use crate::store::StoreError;
use crate::usecases::Candidates;
use crate::usecases::labels::LabelDecision;
use crate::usecases::retention::PlacementActivity;

/// The handler of `vte.placements.v1` events.
#[derive(Debug, Clone)]
pub struct PlacementsHandler {
    candidates: Candidates,
}

impl PlacementsHandler {
    /// A handler applying label decisions through `candidates`.
    pub fn new(candidates: Candidates) -> Self {
        Self { candidates }
    }
}

impl Handles<PlacementEvent> for PlacementsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &PlacementEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        // Every step of a VTE keeps its candidate's profile from the retention sweep a while.
        if let Some(activity) = activity(event) {
            self.candidates
                .record_placement_activity(transaction, activity)
                .await
                .map_err(handler_error)?;
        }
        let Some((candidate, decision)) = decode(event)? else {
            // Starts, completions and early ends change nothing on a profile.
            return Ok(());
        };
        let revised = self
            .candidates
            .record_label_decision(transaction, candidate, decision)
            .await
            .map_err(handler_error)?;
        if revised.is_none() {
            // Unknown here (erased, or pushed by no school): nothing to show.
            tracing::info!(event_id = %meta.event_id, "label for a candidate without a profile");
        }
        Ok(())
    }
}

/// What an event says of the VTE for the retention rule: whether it runs, and when it moved.
/// Every event of `vte.placements.v1` carries the placement's full new state as field 1 of its
/// message, so the placement is read that way whatever the kind of event, kinds added after
/// this code included. `None` when the event names no readable placement (nothing to keep).
fn activity(event: &PlacementEvent) -> Option<PlacementActivity> {
    /// Field 1 of any placement event's message.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Carrier {
        #[prost(message, optional, tag = "1")]
        placement: Option<Placement>,
    }
    let mut field = Vec::new();
    event.event.as_ref()?.encode(&mut field);
    let mut bytes = field.as_slice();
    let (_, wire_type) = prost::encoding::decode_key(&mut bytes).ok()?;
    if wire_type != prost::encoding::WireType::LengthDelimited {
        return None;
    }
    let length = usize::try_from(prost::encoding::decode_varint(&mut bytes).ok()?).ok()?;
    let placement = Carrier::decode(bytes.get(..length)?).ok()?.placement?;
    Some(PlacementActivity {
        placement: uuid::Uuid::try_parse(&placement.id).ok()?,
        candidate: CandidateId::parse(&placement.candidate_id).ok()?,
        active: placement.status == PlacementStatus::Active as i32,
        at: event
            .occurred_at
            .as_ref()
            .and_then(|at| vte_wire::timestamp_from_proto(at).ok())
            .unwrap_or_else(chrono::Utc::now),
    })
}

/// The label decision an event carries, with its candidate; `None` for the other events.
fn decode(event: &PlacementEvent) -> Result<Option<(CandidateId, LabelDecision)>, HandlerError> {
    let (placement, decision, granted) = match &event.event {
        Some(Event::LabelGranted(granted)) => (&granted.placement, &granted.decision, true),
        Some(Event::LabelRefused(refused)) => (&refused.placement, &refused.decision, false),
        Some(_) => return Ok(None),
        None => return Err(permanent("the envelope carries no event")),
    };
    let placement = placement
        .as_ref()
        .ok_or_else(|| permanent("placement is missing"))?;
    let decision = decision
        .as_ref()
        .ok_or_else(|| permanent("decision is missing"))?;
    let candidate = CandidateId::parse(&placement.candidate_id)
        .map_err(|_| permanent("placement.candidate_id is not a UUID"))?;
    let decision = if granted {
        LabelDecision::Granted(label(placement, decision)?)
    } else {
        LabelDecision::Refused {
            reconsiders: uuid::Uuid::try_parse(&decision.reconsiders_decision_id).ok(),
        }
    };
    Ok(Some((candidate, decision)))
}

fn label(placement: &Placement, decision: &WireDecision) -> Result<Label, HandlerError> {
    let uuid = |raw: &str, field: &str| {
        uuid::Uuid::try_parse(raw).map_err(|_| permanent(&format!("{field} is not a UUID")))
    };
    let granted_at = decision
        .decided_at
        .as_ref()
        .ok_or_else(|| permanent("decision.decided_at is missing"))
        .and_then(|at| {
            vte_wire::timestamp_from_proto(at)
                .map_err(|_| permanent("decision.decided_at is out of range"))
        })?;
    Ok(Label {
        decision_id: uuid(&decision.id, "decision.id")?,
        placement_id: uuid(&placement.id, "placement.id")?,
        granted_at,
        company_name: placement.company_name.clone(),
        offer_title: placement.offer_title.clone(),
        mission_type: MissionType::from_wire(placement.mission_type)
            .ok()
            .flatten(),
    })
}

fn permanent(reason: &str) -> HandlerError {
    HandlerError::Permanent(reason.to_owned())
}

/// A use case's error as the runner's: a failure of the service waits and retries, a stored
/// profile that no longer reads, a value the database refuses and a broken rule are
/// dead-lettered.
fn handler_error(error: Error) -> HandlerError {
    match error {
        Error::Store(StoreError::Corrupt { .. }) => permanent("the stored profile is unreadable"),
        // The database judges: a value or constraint it refuses is dead-lettered, the rest is
        // retried (a bounded number of times).
        Error::Store(StoreError::Database(error)) | Error::Outbox(OutboxError::Database(error)) => {
            vte_events::consumer::classify(&error)
        }
        Error::ConcurrentChange => HandlerError::Transient(error.to_string()),
        error if error.is_internal() => HandlerError::Transient(error.to_string()),
        refused => HandlerError::Permanent(refused.to_string()),
    }
}
