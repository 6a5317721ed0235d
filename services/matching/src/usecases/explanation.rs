//! ExplainMatch: one pair, scored and worded for the side that asks, whether or not it passes
//! the filters; a candidate who may not be ranked is told why, and never shown to a company.

use std::sync::Arc;

use vte_domain::{CandidateId, OfferId};
use vte_proto::vte::common::v1::Aid;
use vte_rules::Verdict;
use vte_service::auth::Identity;

use super::Matching;
use super::lookup::{FoundCandidate, FoundOffer, unmatchable_explanation};
use crate::access::{self, ExplainFor};
use crate::domain::{Assessment, Audience, Explanation, assess, explain, verdict};
use crate::error::{Error, Missing};

/// A pair explained.
#[derive(Debug, Clone)]
pub struct PairExplanation {
    /// Every filter and component worded; for a candidate who may not be ranked, consent and
    /// visibility only.
    pub explanation: Explanation,
    /// The pair's assessment; none when the candidate may not be ranked (nothing scored).
    pub assessment: Option<Assessment>,
    /// The pair under the scheme's rules; none when the candidate may not be ranked (nothing
    /// judged).
    pub verdict: Option<Verdict>,
    /// The aids the pair opens, its verdict's (none when nothing was judged).
    pub aids: Vec<Aid>,
}

impl Matching {
    /// ExplainMatch: why this pair scores what it scores, for either side of it. A caller who
    /// may not know of the offer (another company's draft) or of the candidate (another
    /// school's student, or one a company may not see: not consenting, paused, incomplete)
    /// gets the same NOT_FOUND as for an absent one.
    pub async fn explain_match(
        &self,
        who: &Identity,
        offer_id: OfferId,
        candidate_id: CandidateId,
    ) -> Result<PairExplanation, Error> {
        let side = access::explain(who, &candidate_id)?;
        let offer = match (self.find_offer(offer_id).await?, side) {
            (FoundOffer::Open(offer), ExplainFor::Company(company)) => {
                company.check(&offer.siren, false)?;
                offer
            }
            (FoundOffer::Open(offer), ExplainFor::Candidate(_)) => offer,
            (
                FoundOffer::NotOpen {
                    owner,
                    model,
                    draft,
                },
                ExplainFor::Company(company),
            ) => {
                company.check(&owner, draft)?;
                model
                    .map(|m| Arc::new(*m))
                    .ok_or(Error::NotFound(Missing::PublishedOffer))?
            }
            // An ended offer may still be explained to the candidate's side; a draft is not
            // theirs to know of.
            (FoundOffer::NotOpen { model, draft, .. }, ExplainFor::Candidate(_)) => model
                .filter(|_| !draft)
                .map(|m| Arc::new(*m))
                .ok_or(Error::NotFound(Missing::Offer))?,
        };
        let candidate = self.find_candidate(candidate_id).await?;
        if let ExplainFor::Candidate(reader) = side {
            reader.check(candidate.school().as_ref())?;
        }
        let audience = side.audience();
        let candidate = match candidate {
            FoundCandidate::Matchable(candidate) => candidate,
            FoundCandidate::NotMatchable(_) if audience == Audience::Company => {
                // A profile that may not be ranked is never shown to a company.
                return Err(Error::NotFound(Missing::Candidate));
            }
            FoundCandidate::NotMatchable(state) => {
                return Ok(PairExplanation {
                    explanation: unmatchable_explanation(&state),
                    assessment: None,
                    verdict: None,
                    aids: Vec::new(),
                });
            }
        };
        let rules = self.settings.rules;
        let tolerance = rules.availability_tolerance_days;
        let assessment = assess(&offer, &candidate, &rules);
        let verdict = verdict(&self.rules, &offer, &candidate, tolerance);
        let explanation = explain(
            &offer,
            &candidate,
            &assessment,
            &verdict,
            tolerance,
            audience,
        );
        Ok(PairExplanation {
            explanation,
            assessment: Some(assessment),
            aids: vte_wire::eligibility::aids(&verdict.aids),
            verdict: Some(verdict),
        })
    }
}
