//! `vte.matching.v1`: suggested candidates tell the offer's company, suggested offers tell the
//! candidate, with each offer's commune from what `vte.offers.v1` said. A score is a number
//! from 0 to 1: a forged one (not a number, infinite, out of range) is refused, so the event is
//! dead-lettered and nobody is told "0 %" or "100 %".

use sqlx::{Postgres, Transaction};
use vte_domain::Siren;
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::matching::v1::{MatchingEvent, matching_event};

use super::{EventsHandler, candidate_id, occurred_at, permanent, store_error, uuid};
use crate::domain::compose::{self, SuggestedOffer};
use crate::domain::{Draft, Kind, OfferFacts, Recipient};
use crate::store::facts;

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

/// `raw` as a score: a finite number from 0 to 1, else a permanent refusal naming `field`.
fn score(raw: f64, field: &str) -> Result<f64, HandlerError> {
    if (0.0..=1.0).contains(&raw) {
        Ok(raw)
    } else {
        Err(permanent(&format!("{field} must be a number from 0 to 1")))
    }
}
