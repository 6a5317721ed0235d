//! The suggestions matching publishes on `vte.matching.v1`, as events for the outbox.

use vte_proto::vte::matching::v1 as wire;

use super::answers::score;
use crate::domain::{CandidateModel, OfferModel};
use crate::usecases::{RankedCandidate, RankedOffer, Trigger};

fn trigger_number(trigger: Trigger) -> i32 {
    use wire::SuggestionTrigger as W;
    (match trigger {
        Trigger::OfferPublished => W::OfferPublished,
        Trigger::OfferUpdated => W::OfferUpdated,
        Trigger::ProfileMatchable => W::ProfileMatchable,
        Trigger::ProfileUpdated => W::ProfileUpdated,
    }) as i32
}

/// CandidatesSuggested: `hits` suggested to the company of `offer`.
pub fn candidates_suggested(
    offer: &OfferModel,
    trigger: Trigger,
    hits: &[RankedCandidate],
) -> wire::MatchingEvent {
    let candidates = hits
        .iter()
        .map(|hit| wire::CandidateSuggestion {
            candidate_id: hit.candidate.id.to_string(),
            score: score(hit.score),
            summary: hit.explanation.summary.clone(),
        })
        .collect();
    wire::MatchingEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        subject_id: offer.id.to_string(),
        event: Some(wire::matching_event::Event::CandidatesSuggested(
            wire::CandidatesSuggested {
                offer_id: offer.id.to_string(),
                company_siren: offer.siren.to_string(),
                offer_title: offer.title.clone(),
                trigger: trigger_number(trigger),
                candidates,
            },
        )),
    }
}

/// OffersSuggested: `hits` suggested to `candidate`.
pub fn offers_suggested(
    candidate: &CandidateModel,
    trigger: Trigger,
    hits: &[RankedOffer],
) -> wire::MatchingEvent {
    let offers = hits
        .iter()
        .map(|hit| wire::OfferSuggestion {
            offer_id: hit.offer.id.to_string(),
            offer_title: hit.offer.title.clone(),
            company_name: hit.offer.company_name.clone(),
            score: score(hit.assessment.score),
            summary: hit.explanation.summary.clone(),
        })
        .collect();
    wire::MatchingEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        subject_id: candidate.id.to_string(),
        event: Some(wire::matching_event::Event::OffersSuggested(
            wire::OffersSuggested {
                candidate_id: candidate.id.to_string(),
                school_id: candidate.school.map(|s| s.to_string()).unwrap_or_default(),
                trigger: trigger_number(trigger),
                offers,
            },
        )),
    }
}
