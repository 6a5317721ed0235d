//! Suggestions on `vte.matching.v1`: when an offer opens (or changes its terms) its best new
//! candidates are suggested to the company, and when a profile becomes matchable (or changes)
//! its best new offers to the candidate, above the threshold, each pair at most once, through
//! the outbox in the event's transaction. They rank with the same functions as the RPCs, on an
//! index first brought up to date under the suggestion lock. Each suggestion is recorded as an
//! impression in the same transaction ([`crate::impressions`]).

use std::sync::Arc;

use super::Matching;
use crate::domain::{CandidateModel, OfferModel};
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
