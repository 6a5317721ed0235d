//! `vte.placements.v1`: a VTE started, completed (Bpifrance too hears then) or ended early, and
//! Bpifrance's label decisions (a rework request included), told to the company, the young
//! person and their school; a label request or an appeal, told to Bpifrance; the reminder that a
//! request window closes soon, told to the company. A request or an appeal is kept as awaiting
//! Bpifrance until its decision, for Bpifrance's reminder.

use chrono::NaiveDate;
use sqlx::{Postgres, Transaction};
use vte_domain::Siren;
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::common::v1::{Date, Role};
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
                let start_date = e
                    .placement
                    .as_ref()
                    .and_then(|p| date(p.start_date.as_ref()));
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
            Some(Event::LabelReworkRequested(e)) => {
                let reason = e
                    .decision
                    .as_ref()
                    .map(|d| d.reason.clone())
                    .unwrap_or_default();
                let step = PlacementStep::LabelReworkRequested { reason };
                (e.placement.as_ref(), step)
            }
            Some(Event::LabelRequested(e)) => {
                let step = PlacementStep::LabelRequested {
                    version: e.request.as_ref().map_or(1, |r| r.version),
                    closes_on: e.window.as_ref().and_then(|w| date(w.closes_on.as_ref())),
                };
                (e.placement.as_ref(), step)
            }
            Some(Event::LabelAppealed(e)) => {
                let by_company = e
                    .appeal
                    .as_ref()
                    .and_then(|a| a.appealed_by.as_ref())
                    .is_some_and(|actor| actor.role == Role::Company as i32);
                (
                    e.placement.as_ref(),
                    PlacementStep::LabelAppealed { by_company },
                )
            }
            Some(Event::LabelRequestDue(e)) => {
                let closes_on = e
                    .window
                    .as_ref()
                    .and_then(|w| date(w.closes_on.as_ref()))
                    .ok_or_else(|| permanent("window.closes_on is missing or not a date"))?;
                let step = PlacementStep::LabelRequestDue {
                    closes_on,
                    days_left: e.days_left,
                };
                (e.placement.as_ref(), step)
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
        let company = Recipient::Company(
            Siren::parse(&placement.company_siren)
                .map_err(|_| permanent("placement.company_siren is not a SIREN"))?,
        );
        let recipients = match &step {
            // What Bpifrance has to decide is for Bpifrance alone; a reminder for the company.
            PlacementStep::LabelRequested { .. } | PlacementStep::LabelAppealed { .. } => {
                vec![Recipient::Bpifrance]
            }
            PlacementStep::LabelRequestDue { .. } => vec![company],
            _ => {
                let mut parties = vec![
                    company,
                    Recipient::Candidate(candidate_id(
                        &placement.candidate_id,
                        "placement.candidate_id",
                    )?),
                ];
                if let Some(school) = optional_school(&placement.school_id, "placement.school_id")?
                {
                    parties.push(Recipient::School(school));
                }
                if step == PlacementStep::Completed {
                    parties.push(Recipient::Bpifrance);
                }
                parties
            }
        };
        let at = occurred_at(event.occurred_at.as_ref());
        // Bpifrance's reminder follows what waits for its decision: a request or an appeal, from
        // when it came until a decision (a rework included).
        match &step {
            PlacementStep::LabelRequested { .. } | PlacementStep::LabelAppealed { .. } => {
                let awaiting = facts::AwaitingLabel {
                    placement_id: facts.placement_id,
                    offer: facts.offer.clone(),
                    since: at,
                };
                facts::await_label(transaction, &awaiting)
                    .await
                    .map_err(store_error)?;
            }
            PlacementStep::LabelGranted
            | PlacementStep::LabelRefused { .. }
            | PlacementStep::LabelReworkRequested { .. } => {
                facts::label_decided(transaction, facts.placement_id)
                    .await
                    .map_err(store_error)?;
            }
            PlacementStep::Started { .. }
            | PlacementStep::Completed
            | PlacementStep::EndedEarly { .. }
            | PlacementStep::LabelRequestDue { .. } => {}
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

/// A calendar date of the wire, if it is one.
fn date(date: Option<&Date>) -> Option<NaiveDate> {
    let date = date?;
    NaiveDate::from_ymd_opt(
        date.year,
        u32::try_from(date.month).ok()?,
        u32::try_from(date.day).ok()?,
    )
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
