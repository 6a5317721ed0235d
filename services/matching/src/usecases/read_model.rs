//! What the events of `vte.offers.v1`, `vte.candidates.v1` and `vte.applications.v1` change in
//! the read model, in the consumer runner's transaction: each is guarded by the aggregate's
//! revision (an older or repeated event changes nothing), journals the change for the index
//! followers and, when an offer opens or a profile becomes matchable (or changes its terms),
//! suggests the pairs it opens.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId, SchoolId};

use super::Matching;
use super::suggestions::Trigger;
use crate::domain::{CandidateModel, OfferModel};
use crate::error::Error;
use crate::mapping;
use crate::store::{self, CandidateState, Changed, Recorded, Tx};

/// An offer's new state, as an event of `vte.offers.v1` carries it.
#[derive(Debug, Clone)]
pub struct OfferChange {
    pub id: OfferId,
    pub company_siren: String,
    pub revision: u64,
    pub occurred_at: DateTime<Utc>,
    /// The offer as matching sees it; none for a draft.
    pub model: Option<OfferModel>,
    /// Whether the event is the offer's publication.
    pub published: bool,
    /// The offer as the offers service published it, encoded: the read model keeps it whole.
    pub encoded: Vec<u8>,
}

/// A candidate's new profile, as an event of `vte.candidates.v1` carries it.
#[derive(Debug, Clone)]
pub struct ProfileChange {
    pub id: CandidateId,
    pub school: Option<SchoolId>,
    pub revision: u64,
    pub occurred_at: DateTime<Utc>,
    pub consent_given: bool,
    pub paused: bool,
    pub profile: Profile,
}

/// What matching makes of a changed profile.
#[derive(Debug, Clone)]
pub enum Profile {
    /// The candidate may not be ranked: no profile is kept.
    NotMatchable,
    /// Matchable, as matching sees them.
    Matchable(Box<CandidateModel>),
    /// Matchable, but the profile breaks the contract (the reason names the field): refused
    /// only when the change is newer than what is held.
    Invalid(String),
}

/// An application's new state, as an event of `vte.applications.v1` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationChange {
    pub id: Uuid,
    pub offer: OfferId,
    pub candidate: CandidateId,
    pub revision: u64,
}

impl Matching {
    /// Records an offer's new state; once open, suggests its candidates when it was just
    /// published or its terms changed.
    pub async fn record_offer(&self, tx: &mut Tx, change: OfferChange) -> Result<(), Error> {
        let row = store::OfferRow {
            id: change.id,
            company_siren: &change.company_siren,
            revision: change.revision,
            occurred_at: change.occurred_at,
            is_open: change.model.as_ref().is_some_and(|m| m.open),
            offer: change.encoded,
        };
        let previous = match store::record_offer(tx, &row).await? {
            Recorded::Stale => return Ok(()),
            Recorded::Applied { previous } => previous,
        };
        store::record_change(tx, Changed::Offer(change.id)).await?;
        let Some(model) = change.model.filter(|m| m.open) else {
            return Ok(());
        };
        let trigger = if change.published {
            Trigger::OfferPublished
        } else {
            let before = previous
                .and_then(|bytes| mapping::stored_offer(&bytes).ok())
                .and_then(|offer| mapping::offer_model(&offer, &self.reference, &self.rules).ok());
            match before {
                Some(before) if before.open && before.same_terms(&model) => return Ok(()),
                _ => Trigger::OfferUpdated,
            }
        };
        self.catch_up(tx).await?;
        self.suggest_candidates(tx, &model, trigger).await
    }

    /// Records a candidate's new profile (never again once erased); once matchable, suggests
    /// their offers when they just became so or their terms changed.
    pub async fn record_profile(&self, tx: &mut Tx, change: ProfileChange) -> Result<(), Error> {
        let id = change.id;
        if store::is_erased(tx, id).await? {
            // An erased candidate never comes back, whatever arrives late.
            return Ok(());
        }
        let revision = i64::try_from(change.revision).unwrap_or(i64::MAX);
        let held = store::lock_candidate(tx, id).await?;
        if held.as_ref().is_some_and(|held| held.revision >= revision) {
            return Ok(());
        }
        let (matchable, model) = match change.profile {
            Profile::NotMatchable => (false, None),
            Profile::Matchable(model) => (true, Some(*model)),
            Profile::Invalid(reason) => return Err(Error::InvalidEvent(reason)),
        };
        let state = CandidateState {
            candidate_id: id.as_uuid(),
            school_id: change.school.map(|school| school.as_uuid()),
            revision,
            occurred_at: change.occurred_at,
            consent_given: change.consent_given,
            paused: change.paused,
            matchable,
        };
        store::write_candidate(tx, &state, model.as_ref()).await?;
        store::record_change(tx, Changed::Candidate(id)).await?;
        let Some(model) = model else {
            return Ok(());
        };
        // Before the trigger: the index then holds the profile as last committed.
        self.catch_up(tx).await?;
        let was_matchable = held.is_some_and(|held| held.matchable);
        let trigger = if !was_matchable {
            Trigger::ProfileMatchable
        } else {
            let unchanged = self.peek(|index| {
                index
                    .candidate(&id)
                    .is_some_and(|before| same_terms(before, &model))
            });
            if unchanged {
                return Ok(());
            }
            Trigger::ProfileUpdated
        };
        self.suggest_offers(tx, &model, trigger).await
    }

    /// Erases a candidate from the read model for good (their impressions and outcomes too);
    /// with the erasure's id, the candidates service learns that matching erased them once
    /// this commits.
    pub async fn erase_candidate(
        &self,
        tx: &mut Tx,
        id: CandidateId,
        occurred_at: DateTime<Utc>,
        erasure: Option<Uuid>,
    ) -> Result<(), Error> {
        store::erase_candidate(tx, id, occurred_at).await?;
        crate::impressions::store::erase_candidate(tx, id.as_uuid()).await?;
        store::record_change(tx, Changed::Candidate(id)).await?;
        if let Some(erasure) = erasure {
            vte_service::erasure::confirm_later(tx, id, erasure).await?;
        }
        Ok(())
    }

    /// Records who applied to what (nothing of an erased candidate).
    pub async fn record_application(
        &self,
        tx: &mut Tx,
        application: ApplicationChange,
    ) -> Result<(), Error> {
        if store::is_erased(tx, application.candidate).await? {
            return Ok(());
        }
        store::record_application(
            tx,
            application.id,
            application.offer,
            application.candidate,
            application.revision,
        )
        .await?;
        Ok(())
    }
}

/// Whether two profiles of the same candidate would match the same (labels and school aside).
fn same_terms(a: &CandidateModel, b: &CandidateModel) -> bool {
    CandidateModel {
        labels_count: 0,
        school: None,
        ..a.clone()
    } == CandidateModel {
        labels_count: 0,
        school: None,
        ..b.clone()
    }
}
