//! GDPR erasure, which this service owns: a request deletes the profile and its contact data
//! at once, records who asked, and publishes `CandidateErased`; each other service that holds
//! candidate data confirms once it erased its own; anyone who may ask may follow the progress.

use vte_domain::CandidateId;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::common::v1::PlatformService;
use vte_service::auth::{Caller, Identity};

use super::{Candidates, now};
use crate::access;
use crate::domain::{Erasure, ErasureReason};
use crate::error::{Error, Missing};
use crate::mapping;
use crate::store::{self, ErasureKey};

impl Candidates {
    /// Erases `candidate` (the caller when a candidate names no one): the candidate, their
    /// school or an operator asks. Idempotent: a second request answers with the first one's
    /// progress.
    pub async fn request_erasure(
        &self,
        identity: &Identity,
        candidate: Option<CandidateId>,
    ) -> Result<Erasure, Error> {
        let caller = &identity.caller;
        let candidate = access::target(caller, candidate)?;
        let mut tx = self.begin().await?;
        let Some(profile) = store::profile(&mut tx, candidate, true).await? else {
            // Already erased: the first request's progress (to those who may read it).
            let erasure = store::erasure(&mut tx, ErasureKey::Candidate(candidate), false)
                .await?
                .ok_or(Error::NotFound(Missing::Profile))?;
            access::read_erasure(caller, &erasure)?;
            return Ok(erasure);
        };
        access::request_erasure(caller, profile.id, profile.school)?;
        let now = now();
        let erasure = Erasure {
            id: uuid::Uuid::now_v7(),
            candidate: profile.id,
            school: profile.school,
            reason: ErasureReason::Request,
            requested_by: access::requester(identity),
            requested_at: now,
            confirmations: store::initial_confirmations(now),
            completed_at: None,
        };
        store::erase_keyed(&mut tx, &self.ref_digest_key, &erasure, &profile.school_ref).await?;
        vte_events::append(&mut tx, &mapping::erased(&erasure)).await?;
        // Right behind the erasure, a tombstone: the compacted topic then drops the person's
        // earlier events (OPERATIONS.md, "Erased people on Kafka").
        vte_events::append_tombstone::<CandidateEvent>(&mut tx, &profile.id.to_string()).await?;
        tx.commit().await?;
        tracing::info!(erasure_id = %erasure.id, "candidate erased; waiting for the other services");
        Ok(erasure)
    }

    /// An erasure's progress, service by service, to those who may ask for it and the
    /// platform's services.
    pub async fn erasure_status(&self, caller: &Caller, key: ErasureKey) -> Result<Erasure, Error> {
        let mut conn = self.pool.acquire().await?;
        let erasure = store::erasure(&mut conn, key, false)
            .await?
            .ok_or(Error::NotFound(Missing::Erasure))?;
        access::read_erasure(caller, &erasure)?;
        Ok(erasure)
    }

    /// `service` (the calling platform service itself) confirms it erased `candidate`; the
    /// erasure completes once every service confirmed. Idempotent: the first confirmation
    /// counts.
    pub async fn confirm_erasure(
        &self,
        identity: &Identity,
        service: PlatformService,
        candidate: CandidateId,
    ) -> Result<Erasure, Error> {
        access::confirm_erasure(identity, service)?;
        let mut tx = self.begin().await?;
        let erasure = store::erasure(&mut tx, ErasureKey::Candidate(candidate), true)
            .await?
            .ok_or(Error::NotFound(Missing::ErasureOfCandidate))?;
        store::confirm(&mut tx, erasure.id, service, now()).await?;
        let erasure = store::erasure(&mut tx, ErasureKey::Id(erasure.id), false)
            .await?
            .ok_or(Error::Inconsistent("the erasure vanished"))?;
        tx.commit().await?;
        Ok(erasure)
    }
}
