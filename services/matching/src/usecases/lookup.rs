//! Finding the offer or the candidate a request names: in the index when it may be ranked,
//! else in the read model (committed but not yet followed into the index, or known but not
//! rankable, which only some callers may learn), and why a candidate may not be ranked.

use std::collections::HashMap;
use std::sync::Arc;

use vte_domain::{CandidateId, OfferId, Siren};
use vte_proto::vte::offers::v1::{Offer, OfferStatus};

use super::Matching;
use crate::domain::{CandidateModel, Explanation, FilterKind, FilterOutcome, OfferModel};
use crate::error::{Error, Missing, Unmatchable};
use crate::mapping;
use crate::store::{self, CandidateState};

/// An offer as a request finds it.
pub(crate) enum FoundOffer {
    /// Open: rankable.
    Open(Arc<OfferModel>),
    /// Known but not open (a draft or an ended offer): only its owner may learn that much.
    NotOpen {
        owner: Siren,
        model: Option<Box<OfferModel>>,
        /// Never published: to anyone but its owner, it does not exist.
        draft: bool,
    },
}

/// A candidate as a request finds them.
pub(crate) enum FoundCandidate {
    Matchable(Arc<CandidateModel>),
    NotMatchable(CandidateState),
}

impl FoundCandidate {
    pub(crate) fn school(&self) -> Option<vte_domain::SchoolId> {
        match self {
            Self::Matchable(candidate) => candidate.school,
            Self::NotMatchable(state) => state.school(),
        }
    }
}

impl Unmatchable {
    /// Why the candidate in `state` may not be ranked.
    pub fn of(state: &CandidateState) -> Self {
        if !state.consent_given {
            Self::NoConsent
        } else if state.paused {
            Self::Paused
        } else {
            Self::Incomplete
        }
    }
}

/// A candidate who may not be ranked, explained: consent and visibility, nothing scored.
pub(crate) fn unmatchable_explanation(state: &CandidateState) -> Explanation {
    let reason = Unmatchable::of(state).reason().to_owned();
    let consent = FilterOutcome {
        kind: FilterKind::Consent,
        passed: state.consent_given,
        reason: if state.consent_given {
            "Le consentement au matching est donné.".to_owned()
        } else {
            reason.clone()
        },
    };
    // Incomplete profiles (consent given, search active) are not shown either.
    let incomplete = state.consent_given && !state.paused && !state.matchable;
    let visibility = FilterOutcome {
        kind: FilterKind::Visibility,
        passed: !state.paused && !incomplete,
        reason: if state.paused || incomplete {
            reason.clone()
        } else {
            "La recherche n'est pas en pause.".to_owned()
        },
    };
    Explanation {
        filters: vec![consent, visibility],
        components: Vec::new(),
        summary: reason,
    }
}

impl Matching {
    pub(crate) async fn find_offer(&self, id: OfferId) -> Result<FoundOffer, Error> {
        if let Some(offer) = self.peek(|index| index.offer(&id).cloned()) {
            return Ok(FoundOffer::Open(offer));
        }
        let bytes = store::load_offer(&self.pool, id)
            .await?
            .ok_or(Error::NotFound(Missing::Offer))?;
        let offer = stored(id, &bytes)?;
        let owner = Siren::parse(&offer.company_siren).map_err(|rule| Error::UnreadableOffer {
            offer: id,
            reason: format!("company_siren {rule}"),
        })?;
        let model = mapping::offer_model(&offer, &self.reference, &self.rules).ok();
        // Committed but not yet followed into the index (well under a second): as it is now.
        if let Some(model) = model.as_ref().filter(|m| m.open) {
            return Ok(FoundOffer::Open(Arc::new(model.clone())));
        }
        Ok(FoundOffer::NotOpen {
            owner,
            model: model.map(Box::new),
            draft: offer.status == OfferStatus::Draft as i32,
        })
    }

    pub(crate) async fn find_candidate(&self, id: CandidateId) -> Result<FoundCandidate, Error> {
        if let Some(candidate) = self.peek(|index| index.candidate(&id).cloned()) {
            return Ok(FoundCandidate::Matchable(candidate));
        }
        let state = store::load_candidate(&self.pool, id)
            .await?
            .ok_or(Error::NotFound(Missing::Candidate))?;
        if state.matchable {
            // Committed but not yet followed into the index: as it is now.
            let profile = store::load_profile(&self.pool, id).await?;
            if let Some(model) = profile.and_then(|row| row.into_model(&self.reference).ok()) {
                return Ok(FoundCandidate::Matchable(Arc::new(model)));
            }
        }
        Ok(FoundCandidate::NotMatchable(state))
    }

    /// These offers as the offers service last published them.
    pub(crate) async fn published_offers(
        &self,
        ids: &[OfferId],
    ) -> Result<HashMap<OfferId, Offer>, Error> {
        let mut offers = HashMap::new();
        for (id, bytes) in store::load_offers(&self.pool, ids).await? {
            offers.insert(id, stored(id, &bytes)?);
        }
        Ok(offers)
    }
}

/// A stored offer, decoded.
fn stored(id: OfferId, bytes: &[u8]) -> Result<Offer, Error> {
    mapping::stored_offer(bytes).map_err(|error| Error::UnreadableOffer {
        offer: id,
        reason: error.to_string(),
    })
}
