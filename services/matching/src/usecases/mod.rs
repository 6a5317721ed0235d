//! What the matching service does, whoever asks: the gRPC adapter and the consumer call these
//! functions and nothing else. A use case takes typed inputs (requests and events decoded by
//! [`mapping`](crate::mapping), domain values) and, for a request, the caller; it returns
//! domain values or the service's one [`Error`].
//!
//! - [`ranking`]: RankCandidates and RankOffers, and the one ranking suggestions use too;
//!   [`near_misses`]: the offers just out of a candidate's reach, when RankOffers finds few;
//! - [`explanation`]: ExplainMatch; [`lookup`]: finding an offer or a candidate for them;
//! - [`read_model`]: what the events change, in the consumer runner's transaction, then
//!   [`suggestions`] of the pairs they open.

pub mod explanation;
pub mod lookup;
pub mod near_misses;
pub mod ranking;
pub mod read_model;
pub mod suggestions;

use std::sync::{Arc, PoisonError};

use sqlx::PgPool;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use crate::config::MatchingSettings;
use crate::error::Error;
use crate::follower::Follower;
use crate::impressions::Recorder;
use crate::index::{Index, SharedIndex};
use crate::spread::SharedExposure;

pub use crate::error::Unmatchable;
pub use explanation::PairExplanation;
pub use near_misses::{NearMiss, Obstacle};
pub use ranking::{
    CandidateQuery, OfferQuery, OffersForCandidate, PublishedNearMiss, PublishedOffer,
    RankedCandidate, RankedCandidates, RankedOffer, RankedOffers,
};
pub use read_model::{ApplicationChange, OfferChange, Profile, ProfileChange};
pub use suggestions::Trigger;

/// The matching service's use cases over the read model, the index its follower keeps, the
/// reference data, the scheme's rules (the follower's) and the settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Matching {
    pool: PgPool,
    index: SharedIndex,
    follower: Arc<Follower>,
    reference: Arc<ReferenceData>,
    rules: Arc<RuleBook>,
    settings: MatchingSettings,
    /// Where rankings shown are recorded (issue 15, item 8); disabled unless given.
    impressions: Recorder,
    /// Which candidates were shown for which offers lately, for the exposure spread.
    exposure: SharedExposure,
}

impl Matching {
    /// The use cases on the read model and the index `follower` keeps.
    pub fn new(
        follower: Arc<Follower>,
        reference: Arc<ReferenceData>,
        settings: MatchingSettings,
    ) -> Self {
        Self {
            pool: follower.pool().clone(),
            index: follower.index().clone(),
            rules: follower.rules().clone(),
            follower,
            reference,
            settings,
            impressions: Recorder::disabled(),
            exposure: SharedExposure::default(),
        }
    }

    /// The exposure the spread reads; the service's refresh task adds every instance's to it.
    pub fn exposure(&self) -> &SharedExposure {
        &self.exposure
    }

    /// The same use cases, recording the rankings they show with `recorder`.
    pub fn with_impressions(mut self, recorder: Recorder) -> Self {
        self.impressions = recorder;
        self
    }

    /// Runs `work` on the index under a read lock, on a blocking thread so a large scan never
    /// stalls the runtime's other tasks.
    async fn with_index<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Index) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while writing leaves the index as the follower left it, which its next
            // catch-up repairs; the follower writes through the poison too.
            let index = index.read().unwrap_or_else(PoisonError::into_inner);
            work(&index)
        })
        .await
        .map_err(Error::Ranking)
    }

    /// A short look at the index, on the calling task.
    fn peek<T>(&self, look: impl FnOnce(&Index) -> T) -> T {
        look(&self.index.read().unwrap_or_else(PoisonError::into_inner))
    }
}
