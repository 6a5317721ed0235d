//! What the candidates service takes from `vte.placements.v1`: the labels Bpifrance grants, so
//! a candidate's profile shows what they may put on a CV. A grant adds the label (once per
//! decision); a later refusal that reconsiders a grant (an appeal decided the other way)
//! removes it. Each change bumps the profile's revision and publishes it, in the runner's
//! transaction, which also records the event id. Reasons given for a refused event name
//! fields, never values.

use std::sync::Arc;

use sqlx::{Postgres, Transaction};
use vte_domain::{CandidateId, MissionType};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::placements::v1::placement_event::Event;
use vte_proto::vte::placements::v1::{LabelDecision, Placement, PlacementEvent};
use vte_reference::ReferenceData;
use vte_wire::WireEnum;

use crate::domain::{Label, Profile};
use crate::mapping;
use crate::store::{self, StoreError};

/// The handler of `vte.placements.v1` events.
#[derive(Debug, Clone)]
pub struct PlacementsHandler {
    reference: Arc<ReferenceData>,
}

impl PlacementsHandler {
    /// A handler resolving home communes with `reference` for the events it publishes.
    pub fn new(reference: Arc<ReferenceData>) -> Self {
        Self { reference }
    }
}

impl Handles<PlacementEvent> for PlacementsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &PlacementEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let (placement, decision, granted) = match &event.event {
            Some(Event::LabelGranted(granted)) => (&granted.placement, &granted.decision, true),
            Some(Event::LabelRefused(refused)) => (&refused.placement, &refused.decision, false),
            // Starts, completions and early ends change nothing on a profile.
            Some(_) => return Ok(()),
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
        let Some(profile) = store::profile(transaction, candidate, true)
            .await
            .map_err(store_error)?
        else {
            // Unknown here (erased, or pushed by no school): nothing to show.
            tracing::info!(event_id = %meta.event_id, "label for a candidate without a profile");
            return Ok(());
        };
        let now = vte_events::now_timestamp();
        let now = vte_wire::timestamp_from_proto(&now)
            .map_err(|_| HandlerError::Transient("the clock is out of range".to_owned()))?;
        let next = if granted {
            profile.labelled(label(placement, decision)?, now)
        } else {
            match uuid::Uuid::try_parse(&decision.reconsiders_decision_id) {
                Ok(overturned) => profile.label_withdrawn(overturned, now),
                Err(_) => None,
            }
        };
        if let Some(next) = next {
            save(transaction, &next, &self.reference).await?;
        }
        Ok(())
    }
}

fn label(placement: &Placement, decision: &LabelDecision) -> Result<Label, HandlerError> {
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

async fn save(
    transaction: &mut Transaction<'static, Postgres>,
    profile: &Profile,
    reference: &ReferenceData,
) -> Result<(), HandlerError> {
    store::save(transaction, profile)
        .await
        .map_err(store_error)?;
    let event = mapping::profile_changed(profile, false, reference);
    vte_events::append(transaction, &event)
        .await
        .map_err(|error| HandlerError::Transient(error.to_string()))
}

fn permanent(reason: &str) -> HandlerError {
    HandlerError::Permanent(reason.to_owned())
}

fn store_error(error: StoreError) -> HandlerError {
    match error {
        StoreError::Database(_) | StoreError::ConcurrentChange => {
            HandlerError::Transient(error.to_string())
        }
        StoreError::Corrupt { .. } => permanent("the stored profile is unreadable"),
    }
}
