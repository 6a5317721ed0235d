//! RankCandidates and RankOffers: find the offer or the candidate, check who may ask, rank on
//! the index, spread the exposure ([`crate::spread`]: a candidate shown for many other offers
//! lately, an offer crowded with applications, lowered a little and told why).
//! [`Matching::candidates_for`] and [`Matching::offers_for`] are the ranking itself, each hit
//! assessed, judged under the scheme's rules (its verdict and aids) and worded for the side
//! that reads it; suggestions rank with them too, by score alone.

use std::sync::{Arc, PoisonError};

use chrono::{NaiveDate, Utc};
use vte_domain::{CandidateId, MissionType, OfferId};
use vte_proto::vte::common::v1::Aid;
use vte_proto::vte::offers::v1::Offer;
use vte_rules::Verdict;
use vte_service::auth::Identity;

use super::Matching;
use super::lookup::{FoundCandidate, FoundOffer};
use super::near_misses::{MAX_NEAR_MISSES, NearMiss};
use crate::access;
use crate::domain::{
    Assessment, Audience, CandidateModel, Explanation, OfferModel, assess, explain, verdict,
};
use crate::error::Error;
use crate::error::Unmatchable;
use crate::impressions::{self, Impression};
use crate::index::{CandidateFilter, OfferFilter};
use crate::spread::{Lowered, rerank};
use crate::store;

/// A RankCandidates request, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateQuery {
    pub offer_id: OfferId,
    /// Only these levels (within the offer's range); `None` for the offer's whole range.
    pub levels: Option<Vec<u8>>,
    /// Only candidates at most this far.
    pub max_distance_km: Option<f32>,
    /// Only candidates available on or before this day.
    pub available_by: Option<NaiveDate>,
    /// Leave out the candidates who applied to the offer.
    pub exclude_applicants: bool,
    /// How many, at most.
    pub limit: usize,
}

/// A RankOffers request, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferQuery {
    pub candidate_id: CandidateId,
    /// Search radius replacing the candidate's mobility.
    pub radius_km: Option<f32>,
    /// Only offers in this région.
    pub region_code: Option<String>,
    /// Only offers in a Territoire d'industrie.
    pub only_in_territory: bool,
    /// Only offers of one of these mission types; empty for any.
    pub mission_types: Vec<MissionType>,
    /// How many, at most.
    pub limit: usize,
}

/// A candidate ranked for an offer, worded for the company.
#[derive(Debug, Clone)]
pub struct RankedCandidate {
    pub candidate: Arc<CandidateModel>,
    /// The score the index ranked by.
    pub score: f32,
    pub assessment: Assessment,
    /// The pair under the scheme's rules: eligible or to confirm, with its aids.
    pub verdict: Verdict,
    pub explanation: Explanation,
    /// How the exposure spread lowered the candidate in the list shown, if it did.
    pub spread: Option<Lowered>,
}

/// The best candidates for an offer, best first.
#[derive(Debug, Clone)]
pub struct RankedCandidates {
    pub hits: Vec<RankedCandidate>,
    /// How many passed every filter.
    pub eligible: u32,
}

/// An offer ranked for a candidate, worded for the candidate.
#[derive(Debug, Clone)]
pub struct RankedOffer {
    pub offer: Arc<OfferModel>,
    pub assessment: Assessment,
    /// The pair under the scheme's rules: eligible or to confirm, with its aids.
    pub verdict: Verdict,
    pub explanation: Explanation,
    /// How the exposure spread lowered the offer in the list shown, if it did.
    pub spread: Option<Lowered>,
}

/// The best offers for a candidate, best first.
#[derive(Debug, Clone)]
pub struct RankedOffers {
    pub hits: Vec<RankedOffer>,
    /// How many passed every filter.
    pub eligible: u32,
}

/// A ranked offer with the offer as the offers service published it (the read model keeps
/// the contract's message whole; RankOffers returns it) and the aids the pair opens (its
/// verdict's).
#[derive(Debug, Clone)]
pub struct PublishedOffer {
    pub ranked: RankedOffer,
    pub published: Offer,
    pub aids: Vec<Aid>,
}

/// A near miss with the offer as the offers service published it.
#[derive(Debug, Clone)]
pub struct PublishedNearMiss {
    pub near: NearMiss,
    pub published: Offer,
}

/// RankOffers' answer.
#[derive(Debug, Clone)]
pub struct OffersForCandidate {
    /// Best first.
    pub offers: Vec<PublishedOffer>,
    /// How many passed every filter.
    pub eligible: u32,
    /// When fewer than asked passed every filter: the offers nearest to passing, nearest
    /// first ([`super::near_misses`]); empty otherwise.
    pub near_misses: Vec<PublishedNearMiss>,
}

impl Matching {
    /// RankCandidates: the best candidates for an open offer, for its company.
    pub async fn rank_candidates(
        &self,
        who: &Identity,
        query: CandidateQuery,
    ) -> Result<RankedCandidates, Error> {
        let side = access::rank_candidates(&who.caller)?;
        let offer = match self.find_offer(query.offer_id).await? {
            FoundOffer::Open(offer) => offer,
            FoundOffer::NotOpen { owner, draft, .. } => {
                side.check(&owner, draft)?;
                return Err(Error::OfferNotOpen);
            }
        };
        side.check(&offer.siren, false)?;
        let exclude = if query.exclude_applicants {
            store::applicants(&self.pool, query.offer_id).await?
        } else {
            Default::default()
        };
        let filter = CandidateFilter {
            levels: query.levels,
            max_distance_km: query.max_distance_km,
            available_by: query.available_by,
            exclude,
        };
        let spread = self.settings.spread;
        let mut ranking = self
            .candidates_for(offer, filter, spread.widened(query.limit))
            .await?;
        if spread.enabled {
            ranking.hits = self.spread_candidates(query.offer_id, ranking.hits, query.limit);
        }
        let (audience, rules) = (impressions::Audience::Company, &self.settings.rules);
        let shown = Impression::of_candidates(audience, query.offer_id, &ranking.hits, rules);
        self.impressions.record(shown);
        Ok(ranking)
    }

    /// RankOffers: the best open offers for a matchable candidate, for the candidate, their
    /// school or the website acting for them. Why a candidate may not be ranked (no consent,
    /// paused) is told only to those.
    pub async fn rank_offers(
        &self,
        who: &Identity,
        query: OfferQuery,
    ) -> Result<OffersForCandidate, Error> {
        let side = access::candidate_side(who, &query.candidate_id)?;
        let found = self.find_candidate(query.candidate_id).await?;
        side.check(found.school().as_ref())?;
        let candidate = match found {
            FoundCandidate::Matchable(candidate) => candidate,
            FoundCandidate::NotMatchable(state) => {
                return Err(Error::CandidateNotMatchable(Unmatchable::of(&state)));
            }
        };
        let filter = OfferFilter {
            radius_km: query.radius_km,
            region_code: query.region_code,
            only_in_territory: query.only_in_territory,
            mission_types: query.mission_types,
            exclude: Default::default(),
        };
        let spread = self.settings.spread;
        let mut ranking = self
            .offers_for(
                candidate.clone(),
                filter.clone(),
                spread.widened(query.limit),
            )
            .await?;
        let mut ids: Vec<OfferId> = ranking.hits.iter().map(|hit| hit.offer.id).collect();
        let near = if (ranking.eligible as usize) < query.limit {
            // Never more items in all than asked.
            let shown = ranking.hits.len().min(query.limit);
            let cap = MAX_NEAR_MISSES.min(query.limit.saturating_sub(shown));
            let ranked = ids.iter().copied().collect();
            self.near_misses(candidate, filter, ranked, cap).await?
        } else {
            Vec::new()
        };
        ids.extend(near.iter().map(|miss| miss.offer.id));
        let mut published = self.published_offers(&ids).await?;
        if spread.enabled {
            let crowds = store::application_counts(&self.pool, &ids).await?;
            let positions = |id: &OfferId| {
                published
                    .get(id)
                    .map_or(1, |offer| offer.positions_remaining)
            };
            ranking.hits = rerank(
                ranking.hits,
                query.limit,
                |hit| hit.assessment.score,
                |hit| {
                    let applications = crowds.get(&hit.offer.id).copied().unwrap_or(0);
                    Lowered::offer(&spread, applications, positions(&hit.offer.id))
                },
            )
            .into_iter()
            .map(|(hit, spread)| RankedOffer { spread, ..hit })
            .collect();
        } else {
            ranking.hits.truncate(query.limit);
        }
        let offers: Vec<PublishedOffer> = ranking
            .hits
            .into_iter()
            .filter_map(|ranked| {
                let published = published.remove(&ranked.offer.id)?;
                let aids = vte_wire::eligibility::aids(&ranked.verdict.aids);
                Some(PublishedOffer {
                    ranked,
                    published,
                    aids,
                })
            })
            .collect();
        let near_misses = near
            .into_iter()
            .filter_map(|near| {
                let published = published.remove(&near.offer.id)?;
                Some(PublishedNearMiss { near, published })
            })
            .collect();
        let (audience, rules) = (impressions::Audience::Candidate, &self.settings.rules);
        let ranked = offers.iter().map(|offer| &offer.ranked);
        let shown = Impression::of_offers(audience, query.candidate_id, ranked, rules);
        self.impressions.record(shown);
        Ok(OffersForCandidate {
            offers,
            eligible: ranking.eligible,
            near_misses,
        })
    }

    /// The best `limit` candidates for `offer` under `filter`, each assessed and worded for
    /// the company. RankCandidates and the suggestions to a company both rank with this.
    pub async fn candidates_for(
        &self,
        offer: Arc<OfferModel>,
        filter: CandidateFilter,
        limit: usize,
    ) -> Result<RankedCandidates, Error> {
        let (rules, book) = (self.settings.rules, self.rules.clone());
        let tolerance = rules.availability_tolerance_days;
        self.with_index(move |index| {
            let ranking = index.rank_candidates(&offer, &rules, &filter, limit);
            let hits = ranking
                .hits
                .into_iter()
                .map(|(candidate, score)| {
                    let assessment = assess(&offer, &candidate, &rules);
                    let verdict = verdict(&book, &offer, &candidate, tolerance);
                    let explanation = explain(
                        &offer,
                        &candidate,
                        &assessment,
                        &verdict,
                        tolerance,
                        Audience::Company,
                    );
                    RankedCandidate {
                        candidate,
                        score,
                        assessment,
                        verdict,
                        explanation,
                        spread: None,
                    }
                })
                .collect();
            RankedCandidates {
                hits,
                eligible: ranking.eligible,
            }
        })
        .await
    }

    /// The best `limit` open offers for `candidate` under `filter`, each assessed and worded
    /// for the candidate. RankOffers and the suggestions to a candidate both rank with this.
    pub async fn offers_for(
        &self,
        candidate: Arc<CandidateModel>,
        filter: OfferFilter,
        limit: usize,
    ) -> Result<RankedOffers, Error> {
        let (rules, book) = (self.settings.rules, self.rules.clone());
        let tolerance = rules.availability_tolerance_days;
        self.with_index(move |index| {
            let ranking = index.rank_offers(&candidate, &rules, &filter, limit);
            let hits = ranking
                .hits
                .into_iter()
                .map(|(offer, assessment)| {
                    let verdict = verdict(&book, &offer, &candidate, tolerance);
                    let explanation = explain(
                        &offer,
                        &candidate,
                        &assessment,
                        &verdict,
                        tolerance,
                        Audience::Candidate,
                    );
                    RankedOffer {
                        offer,
                        assessment,
                        verdict,
                        explanation,
                        spread: None,
                    }
                })
                .collect();
            RankedOffers {
                hits,
                eligible: ranking.eligible,
            }
        })
        .await
    }

    /// Re-orders `hits` (ranked for `offer`) so that candidates shown for many other offers
    /// lately come a little lower, keeps the first `limit`, and notes the first page shown as
    /// exposure at once.
    fn spread_candidates(
        &self,
        offer: OfferId,
        hits: Vec<RankedCandidate>,
        limit: usize,
    ) -> Vec<RankedCandidate> {
        let spread = self.settings.spread;
        let now = Utc::now();
        let since = now - chrono::Duration::days(i64::from(spread.window_days));
        let hits: Vec<RankedCandidate> = {
            let exposure = self.exposure.read().unwrap_or_else(PoisonError::into_inner);
            rerank(
                hits,
                limit,
                |hit| hit.score,
                |hit| {
                    let others = exposure.others(&hit.candidate.id, offer, since);
                    Lowered::candidate(&spread, others)
                },
            )
            .into_iter()
            .map(|(hit, spread)| RankedCandidate { spread, ..hit })
            .collect()
        };
        let page = hits.iter().take(spread.top as usize);
        self.exposure
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .note(offer, page.map(|hit| hit.candidate.id), now);
        hits
    }
}
