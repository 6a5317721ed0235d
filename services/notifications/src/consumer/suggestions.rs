//! `vte.matching.v1`: suggested candidates tell the offer's company, suggested offers tell the
//! candidate, with each offer's commune from what `vte.offers.v1` said. A score is a number
//! from 0 to 1: a forged one (not a number, infinite, out of range) is refused, so the event is
//! dead-lettered and nobody is told "0 %" or "100 %". Offers suggested because they were just
//! published (offer alerts) are capped per candidate ([`OfferAlerts`]): past the cap they are
//! held back and counted, and no candidate is told of the same offer twice.

use chrono::{SubsecRound, Utc};
use prometheus::{IntCounter, Registry};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use vte_domain::{CandidateId, Siren};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::matching::v1::{MatchingEvent, SuggestionTrigger, matching_event};

use super::{EventsHandler, candidate_id, occurred_at, permanent, store_error, uuid};
use crate::config::OfferAlertSettings;
use crate::domain::compose::{self, SuggestedOffer};
use crate::domain::{Draft, Kind, OfferFacts, Recipient};
use crate::store::{facts, offer_alerts};

/// The frequency cap on offer alerts, and the counts of those told and held back.
#[derive(Debug, Clone)]
pub struct OfferAlerts {
    cap: OfferAlertSettings,
    told: IntCounter,
    held: IntCounter,
}

impl OfferAlerts {
    /// The cap, its counters registered on `registry`.
    pub fn register(
        registry: &Registry,
        cap: OfferAlertSettings,
    ) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let counter = IntCounter::new(name, help)?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        Ok(Self {
            cap,
            told: counter(
                "notifications_offer_alerts_told_total",
                "New offers told to a candidate they fit",
            )?,
            held: counter(
                "notifications_offer_alerts_held_total",
                "New offers not told to a candidate they fit: the candidate reached the cap",
            )?,
        })
    }
}

impl Handles<MatchingEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &MatchingEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let at = occurred_at(event.occurred_at.as_ref());
        let draft = match &event.event {
            Some(matching_event::Event::CandidatesSuggested(suggested)) => {
                if suggested.candidates.is_empty() {
                    return Ok(());
                }
                let offer = uuid(&suggested.offer_id, "candidates_suggested.offer_id")?;
                let siren = Siren::parse(&suggested.company_siren)
                    .map_err(|_| permanent("candidates_suggested.company_siren is not a SIREN"))?;
                let summaries: Vec<(f64, String)> = suggested
                    .candidates
                    .iter()
                    .map(|c| {
                        Ok((
                            score(c.score, "candidates_suggested.candidates.score")?,
                            c.summary.clone(),
                        ))
                    })
                    .collect::<Result<_, HandlerError>>()?;
                Draft {
                    recipient: Recipient::Company(siren),
                    kind: Kind::CandidatesSuggested,
                    text: compose::candidates_suggested(&suggested.offer_title, offer, &summaries),
                    subject_id: Some(offer),
                    occurred_at: at,
                    subject: None,
                }
            }
            Some(matching_event::Event::OffersSuggested(suggested)) => {
                if suggested.offers.is_empty() {
                    return Ok(());
                }
                let candidate =
                    candidate_id(&suggested.candidate_id, "offers_suggested.candidate_id")?;
                let ids = suggested
                    .offers
                    .iter()
                    .map(|offer| uuid(&offer.offer_id, "offers_suggested.offers.offer_id"))
                    .collect::<Result<Vec<_>, _>>()?;
                for offer in &suggested.offers {
                    score(offer.score, "offers_suggested.offers.score")?;
                }
                let known = facts::offers(&mut **transaction, &ids)
                    .await
                    .map_err(store_error)?;
                let offers: Vec<SuggestedOffer> = suggested
                    .offers
                    .iter()
                    .zip(&ids)
                    .map(|(offer, id)| SuggestedOffer {
                        offer: OfferFacts {
                            title: offer.offer_title.clone(),
                            company_name: offer.company_name.clone(),
                            commune: known.get(id).map(|f| f.commune.clone()).unwrap_or_default(),
                        },
                        summary: offer.summary.clone(),
                        score: offer.score,
                    })
                    .collect();
                if suggested.trigger == SuggestionTrigger::OfferPublished as i32 {
                    // An offer alert: one offer, just published.
                    let text = match offers.as_slice() {
                        [one] => compose::new_offer_for_you(ids[0], one),
                        several => compose::offers_suggested(several),
                    };
                    let draft = Draft {
                        recipient: Recipient::Candidate(candidate),
                        kind: Kind::OffersSuggested,
                        text,
                        subject_id: (ids.len() == 1).then_some(ids[0]),
                        occurred_at: at,
                        subject: None,
                    };
                    return self
                        .alert(transaction, meta, draft, candidate, ids[0])
                        .await;
                }
                Draft {
                    recipient: Recipient::Candidate(candidate),
                    kind: Kind::OffersSuggested,
                    text: compose::offers_suggested(&offers),
                    subject_id: None,
                    occurred_at: at,
                    subject: None,
                }
            }
            None => return Err(permanent("the envelope carries no event")),
        };
        self.fan_out(transaction, meta, &[draft]).await
    }
}

impl EventsHandler {
    /// Tells `candidate` of the new `offer` (`draft`) as their preferences say, unless they
    /// were told of it before or were told of as many new offers as the cap allows in the last
    /// day or week: then it is held back (counted, not kept). Only an alert that made a
    /// notification counts towards the cap.
    async fn alert(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        meta: &RecordMeta,
        draft: Draft,
        candidate: CandidateId,
        offer: Uuid,
    ) -> Result<(), HandlerError> {
        let now = Utc::now().trunc_subsecs(6);
        let recent = offer_alerts::recent(transaction, candidate, offer, now)
            .await
            .map_err(store_error)?;
        if recent.this_offer {
            return Ok(());
        }
        let cap = self.offer_alerts.cap;
        if recent.day >= cap.per_day || recent.week >= cap.per_week {
            self.offer_alerts.held.inc();
            tracing::debug!(event_id = %meta.event_id, "offer alert held back by the cap");
            return Ok(());
        }
        self.fan_out(transaction, meta, &[draft]).await?;
        if offer_alerts::record(transaction, meta.event_id, candidate, offer)
            .await
            .map_err(store_error)?
        {
            self.offer_alerts.told.inc();
        }
        Ok(())
    }
}

/// `raw` as a score: a finite number from 0 to 1, else a permanent refusal naming `field`.
fn score(raw: f64, field: &str) -> Result<f64, HandlerError> {
    if (0.0..=1.0).contains(&raw) {
        Ok(raw)
    } else {
        Err(permanent(&format!("{field} must be a number from 0 to 1")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_counters_are_named_for_prometheus() {
        let registry = Registry::new_custom(Some("vte".into()), None).unwrap();
        let alerts = OfferAlerts::register(&registry, OfferAlertSettings::default()).unwrap();
        alerts.held.inc();
        let names: Vec<String> = registry
            .gather()
            .iter()
            .map(|family| {
                format!(
                    "{} {}",
                    family.name(),
                    family.get_metric()[0].get_counter().get_value()
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "vte_notifications_offer_alerts_held_total 1",
                "vte_notifications_offer_alerts_told_total 0"
            ]
        );
    }
}
