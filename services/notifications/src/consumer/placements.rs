//! `vte.placements.v1`: a VTE started, completed (Bpifrance too hears then) or ended early, and
//! Bpifrance's label decisions, told to the company, the young person and their school. A
//! completed VTE is kept as awaiting its label until the decision, for Bpifrance's reminder.

use chrono::NaiveDate;
use sqlx::{Postgres, Transaction};
use vte_domain::Siren;
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::placements::v1::{EarlyEndReason, Placement, PlacementEvent, placement_event};

use super::{
    EventsHandler, candidate_id, occurred_at, optional_school, permanent, store_error, uuid,
};
use crate::domain::compose::{self, PlacementFacts, PlacementStep};
use crate::domain::{Draft, OfferFacts, Recipient, Subject};
use crate::store::facts;

impl Handles<PlacementEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &PlacementEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use placement_event::Event;
        let (placement, step) = match &event.event {
            Some(Event::Started(e)) => {
                let start_date = e.placement.as_ref().and_then(|p| {
                    p.start_date.as_ref().and_then(|d| {
                        NaiveDate::from_ymd_opt(
                            d.year,
                            u32::try_from(d.month).ok()?,
                            u32::try_from(d.day).ok()?,
                        )
                    })
                });
                (e.placement.as_ref(), PlacementStep::Started { start_date })
            }
            Some(Event::Completed(e)) => (e.placement.as_ref(), PlacementStep::Completed),
            Some(Event::EndedEarly(e)) => {
                let reason = e
                    .placement
                    .as_ref()
                    .map(early_end_reason)
                    .unwrap_or_default();
                (e.placement.as_ref(), PlacementStep::EndedEarly { reason })
            }
            Some(Event::LabelGranted(e)) => (e.placement.as_ref(), PlacementStep::LabelGranted),
            Some(Event::LabelRefused(e)) => {
                let reason = e
                    .decision
                    .as_ref()
                    .map(|d| d.reason.clone())
                    .unwrap_or_default();
                (e.placement.as_ref(), PlacementStep::LabelRefused { reason })
            }
            None => return Err(permanent("the envelope carries no event")),
        };
        let placement = placement.ok_or_else(|| permanent("placement is missing"))?;
        let facts = PlacementFacts {
            placement_id: uuid(&placement.id, "placement.id")?,
            offer: OfferFacts {
                title: placement.offer_title.clone(),
                company_name: placement.company_name.clone(),
                commune: placement
                    .location
                    .as_ref()
                    .map(|l| l.commune_name.clone())
                    .unwrap_or_default(),
            },
        };
        let mut recipients = vec![
            Recipient::Company(
                Siren::parse(&placement.company_siren)
                    .map_err(|_| permanent("placement.company_siren is not a SIREN"))?,
            ),
            Recipient::Candidate(candidate_id(
                &placement.candidate_id,
                "placement.candidate_id",
            )?),
        ];
        if let Some(school) = optional_school(&placement.school_id, "placement.school_id")? {
            recipients.push(Recipient::School(school));
        }
        if step == PlacementStep::Completed {
            recipients.push(Recipient::Bpifrance);
        }
        let at = occurred_at(event.occurred_at.as_ref());
        // Bpifrance's reminder follows the VTEs completed and not decided yet.
        match &step {
            PlacementStep::Completed => {
                let awaiting = facts::AwaitingLabel {
                    placement_id: facts.placement_id,
                    offer: facts.offer.clone(),
                    completed_at: at,
                };
                facts::await_label(transaction, &awaiting)
                    .await
                    .map_err(store_error)?;
            }
            PlacementStep::LabelGranted | PlacementStep::LabelRefused { .. } => {
                facts::label_decided(transaction, facts.placement_id)
                    .await
                    .map_err(store_error)?;
            }
            PlacementStep::Started { .. } | PlacementStep::EndedEarly { .. } => {}
        }
        let subject = Subject::placement(placement);
        let drafts: Vec<Draft> = recipients
            .into_iter()
            .map(|recipient| Draft {
                recipient,
                kind: step.kind(),
                text: compose::placement_text(&step, &facts, &recipient),
                subject_id: Some(facts.placement_id),
                occurred_at: at,
                subject: Some(subject.clone()),
            })
            .collect();
        self.fan_out(transaction, meta, &drafts).await
    }
}

fn early_end_reason(placement: &Placement) -> String {
    let reason = match EarlyEndReason::try_from(placement.early_end_reason) {
        Ok(EarlyEndReason::TrialPeriod) => "fin de la période d'essai",
        Ok(EarlyEndReason::Resignation) => "démission ou rupture par le jeune",
        Ok(EarlyEndReason::Dismissal) => "licenciement",
        Ok(EarlyEndReason::MutualAgreement) => "accord des deux parties",
        Ok(EarlyEndReason::CompanyDiscontinued) => "cessation d'activité de l'entreprise",
        Ok(EarlyEndReason::StudiesEnded) => "fin ou abandon de la formation",
        Ok(EarlyEndReason::Other) => placement.early_end_note.as_str(),
        Ok(EarlyEndReason::Unspecified) | Err(_) => "",
    };
    reason.to_owned()
}
