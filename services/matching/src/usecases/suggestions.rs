//! Suggestions on `vte.matching.v1`: when an offer opens (or changes its terms) its best new
//! candidates are suggested to the company, and when a profile becomes matchable (or changes)
//! its best new offers to the candidate, above the threshold, each pair at most once, through
//! the outbox in the event's transaction. They rank with the same functions as the RPCs, on an
//! index first brought up to date under the suggestion lock. Each suggestion is recorded as an
//! impression in the same transaction ([`crate::impressions`]). A publication also tells the
//! best of the candidates suggested to the company themselves (offer alerts: one
//! `OffersSuggested` each, trigger `OFFER_PUBLISHED`); a change of terms tells only the company.

use std::sync::Arc;

use super::Matching;
use super::ranking::{RankedCandidate, RankedOffer};
use crate::domain::{Audience, CandidateModel, OfferModel, explain};
use crate::error::Error;
use crate::impressions::{self, Impression};
use crate::index::{CandidateFilter, OfferFilter};
use crate::mapping;
use crate::store::{self, Tx};

/// What opened the pairs suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    OfferPublished,
    OfferUpdated,
    ProfileMatchable,
    ProfileUpdated,
}

impl Matching {
    /// Takes the suggestion lock, held until `tx` ends, then applies every change committed so
    /// far to the index: every handler that suggested before this one, on any instance. Once
    /// per event, before it reads the index.
    pub(super) async fn catch_up(&self, tx: &mut Tx) -> Result<(), Error> {
        store::lock_suggestions(tx).await?;
        self.follower.catch_up().await.map_err(Error::CatchUp)?;
        Ok(())
    }

    /// Suggests the offer's best candidates not suggested before, if any reach the threshold
    /// (the index caught up first).
    pub(super) async fn suggest_candidates(
        &self,
        tx: &mut Tx,
        offer: &OfferModel,
        trigger: Trigger,
    ) -> Result<(), Error> {
        let exclude = store::suggested_candidates(tx, offer.id).await?;
        let filter = CandidateFilter {
            exclude,
            ..CandidateFilter::default()
        };
        let suggestions = self.settings.suggestions;
        let ranking = self
            .candidates_for(Arc::new(offer.clone()), filter, suggestions.count)
            .await?;
        let hits: Vec<_> = ranking
            .hits
            .into_iter()
            .filter(|hit| hit.score >= suggestions.min_score)
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        let pairs: Vec<_> = hits
            .iter()
            .map(|hit| (offer.id, hit.candidate.id))
            .collect();
        let fresh = store::record_suggestions(tx, &pairs).await?;
        let hits: Vec<_> = hits
            .into_iter()
            .filter(|hit| fresh.contains(&(offer.id, hit.candidate.id)))
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        if self.settings.impressions.enabled {
            let audience = impressions::Audience::SuggestionCompany;
            let shown = Impression::of_candidates(audience, offer.id, &hits, &self.settings.rules);
            impressions::store::insert(tx, &[shown]).await?;
        }
        vte_events::append(tx, &mapping::candidates_suggested(offer, trigger, &hits)).await?;
        if trigger == Trigger::OfferPublished {
            self.alert_candidates(tx, offer, &hits).await?;
        }
        Ok(())
    }

    /// Tells the best of `hits` (the candidates just suggested for a newly published `offer`,
    /// best first) of the offer themselves, each in an `OffersSuggested` of their own, worded
    /// for them and recorded as their impression. Only on a publication: a pair is suggested
    /// once, so a re-publication tells only candidates never paired with the offer, and a
    /// change of terms tells no candidate (an edited offer is not news, and a company editing
    /// its offer must not turn into a stream of alerts). How many alerts reach a candidate is
    /// capped where notifications are made.
    async fn alert_candidates(
        &self,
        tx: &mut Tx,
        offer: &OfferModel,
        hits: &[RankedCandidate],
    ) -> Result<(), Error> {
        let alerts = self.settings.suggestions.offer_alerts;
        let tolerance = self.settings.rules.availability_tolerance_days;
        let shared = Arc::new(offer.clone());
        let told: Vec<(&RankedCandidate, RankedOffer)> = hits
            .iter()
            .filter(|hit| hit.score >= alerts.min_score)
            .take(alerts.count)
            .map(|hit| {
                let explanation = explain(
                    offer,
                    &hit.candidate,
                    &hit.assessment,
                    &hit.verdict,
                    tolerance,
                    Audience::Candidate,
                );
                let ranked = RankedOffer {
                    offer: shared.clone(),
                    assessment: hit.assessment.clone(),
                    verdict: hit.verdict.clone(),
                    explanation,
                    spread: None,
                };
                (hit, ranked)
            })
            .collect();
        if told.is_empty() {
            return Ok(());
        }
        if self.settings.impressions.enabled {
            let audience = impressions::Audience::SuggestionCandidate;
            let rules = &self.settings.rules;
            let shown: Vec<Impression> = told
                .iter()
                .map(|(hit, ranked)| {
                    Impression::of_offers(
                        audience,
                        hit.candidate.id,
                        std::iter::once(ranked),
                        rules,
                    )
                })
                .collect();
            impressions::store::insert(tx, &shown).await?;
        }
        for (hit, ranked) in &told {
            let alert = mapping::offers_suggested(
                &hit.candidate,
                Trigger::OfferPublished,
                std::slice::from_ref(ranked),
            );
            vte_events::append(tx, &alert).await?;
        }
        Ok(())
    }

    /// Suggests the candidate's best offers not suggested before, if any reach the threshold
    /// (the index caught up first).
    pub(super) async fn suggest_offers(
        &self,
        tx: &mut Tx,
        candidate: &CandidateModel,
        trigger: Trigger,
    ) -> Result<(), Error> {
        let exclude = store::suggested_offers(tx, candidate.id).await?;
        let filter = OfferFilter {
            exclude,
            ..OfferFilter::default()
        };
        let suggestions = self.settings.suggestions;
        let ranking = self
            .offers_for(Arc::new(candidate.clone()), filter, suggestions.count)
            .await?;
        let hits: Vec<_> = ranking
            .hits
            .into_iter()
            .filter(|hit| hit.assessment.score >= suggestions.min_score)
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        let pairs: Vec<_> = hits
            .iter()
            .map(|hit| (hit.offer.id, candidate.id))
            .collect();
        let fresh = store::record_suggestions(tx, &pairs).await?;
        let hits: Vec<_> = hits
            .into_iter()
            .filter(|hit| fresh.contains(&(hit.offer.id, candidate.id)))
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        if self.settings.impressions.enabled {
            let audience = impressions::Audience::SuggestionCandidate;
            let rules = &self.settings.rules;
            let shown = Impression::of_offers(audience, candidate.id, hits.iter(), rules);
            impressions::store::insert(tx, &[shown]).await?;
        }
        vte_events::append(tx, &mapping::offers_suggested(candidate, trigger, &hits)).await?;
        Ok(())
    }
}
