//! The suggestions matching publishes on `vte.matching.v1`, as events for the outbox. Only
//! scores from 0 to 1 are published: a hit with any other is left out.

use vte_proto::vte::matching::v1 as wire;

use super::answers::score;
use crate::domain::{CandidateModel, OfferModel};
use crate::usecases::{RankedCandidate, RankedOffer, Trigger};

/// Whether a ranked score may be published: a number from 0 to 1, as consumers require (they
/// dead-letter an event with any other). A hit without one is left out, never clamped.
fn publishable(raw: f32) -> bool {
    let published = score(raw);
    let ok = (0.0..=1.0).contains(&published);
    if !ok {
        tracing::warn!("a suggestion without a score from 0 to 1 was left out of the event");
    }
    ok
}

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
        .filter(|hit| publishable(hit.score))
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
        .filter(|hit| publishable(hit.assessment.score))
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

#[cfg(test)]
mod tests {
    use super::publishable;

    #[test]
    fn only_scores_from_0_to_1_are_published() {
        for forged in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.5, -0.1] {
            assert!(!publishable(forged), "{forged}");
        }
        for score in [0.0, 0.87, 0.999_99, 1.0] {
            assert!(publishable(score), "{score}");
        }
    }
}
