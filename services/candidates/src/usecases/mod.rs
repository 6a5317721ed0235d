//! What the candidates service does, whoever asks: the gRPC adapter and the placements consumer
//! call these and nothing else. [`Candidates`] holds the database and the reference data; each
//! use case takes typed input and the caller, does the whole job (lock, check access, decide,
//! save, append the events, commit) and returns domain values or an [`Error`]. One file per
//! capability: [`profiles`] (reads and the candidate's own changes), [`push`] (schools'
//! pushes), [`labels`] (Bpifrance's decisions), [`erasure`] (a person's request),
//! [`retention`] (the sweep retiring idle graduates), [`contact`].

pub mod contact;
pub mod erasure;
pub mod labels;
pub mod profiles;
pub mod push;
pub mod retention;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use vte_domain::CandidateId;
use vte_domain::Programme;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use crate::domain::Profile;
use crate::error::Error;
use crate::mapping;
use crate::store;

/// The candidates service's use cases over its database and the reference data.
#[derive(Debug, Clone)]
pub struct Candidates {
    pool: PgPool,
    reference: Arc<ReferenceData>,
    terms_version: Arc<str>,
    push_limits: push::PushLimits,
    /// Keys the digest of an erased student's school reference.
    ref_digest_key: store::RefDigestKey,
    /// The scheme's rules: which Territoires d'industrie programme a home commune is shown in.
    rules: Option<Arc<RuleBook>>,
}

/// A profile after a change was asked of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revised {
    /// The new revision, saved and published.
    Changed(Profile),
    /// The change changed nothing: the profile as stored, nothing written.
    Unchanged(Profile),
}

impl Candidates {
    /// The use cases on `pool`; home communes resolve with `reference`; candidates consent to
    /// `terms_version`.
    pub fn new(pool: PgPool, reference: Arc<ReferenceData>, terms_version: &str) -> Self {
        Self {
            pool,
            reference,
            terms_version: Arc::from(terms_version),
            push_limits: push::PushLimits::default(),
            ref_digest_key: store::RefDigestKey::development(),
            rules: None,
        }
    }

    /// The same use cases showing home communes' territories in the programme `rules` name for
    /// a contract starting today (the current programme, 2023-2027, until then).
    pub fn with_rules(mut self, rules: Arc<RuleBook>) -> Self {
        self.rules = Some(rules);
        self
    }

    /// The Territoires d'industrie programme of a contract starting today, by the rules.
    pub fn programme_today(&self) -> Programme {
        let today = chrono::Utc::now().date_naive();
        self.rules
            .as_ref()
            .map_or_else(Programme::default, |rules| rules.programme_for(today))
    }

    /// The same use cases with `key` keying erased references' digests (the development key
    /// until then).
    pub fn with_ref_digest_key(mut self, key: store::RefDigestKey) -> Self {
        self.ref_digest_key = key;
        self
    }

    /// The reference data profiles are shown with.
    pub fn reference(&self) -> &Arc<ReferenceData> {
        &self.reference
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Error> {
        Ok(self.pool.begin().await?)
    }

    /// The one way a stored profile changes after a push (the candidate's own changes, labels):
    /// locks it, applies `change` (which may refuse, or change nothing), saves the new revision
    /// and appends `CandidateProfileChanged`, all in `tx`. `None` when there is no such profile
    /// (unknown or erased).
    pub async fn revise(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        candidate: CandidateId,
        change: impl FnOnce(&Profile, DateTime<Utc>) -> Result<Option<Profile>, Error>,
    ) -> Result<Option<Revised>, Error> {
        let Some(profile) = store::profile(tx, candidate, true).await? else {
            return Ok(None);
        };
        let Some(next) = change(&profile, now())? else {
            return Ok(Some(Revised::Unchanged(profile)));
        };
        store::save(tx, &next).await?;
        let event = mapping::profile_changed(&next, false, &self.reference, self.programme_today());
        vte_events::append(tx, &event).await?;
        Ok(Some(Revised::Changed(next)))
    }
}

/// Now, at the precision the database keeps.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
