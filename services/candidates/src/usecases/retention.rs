//! The retention sweep's use case: retires, one bounded batch per transaction, the profiles the
//! retention rule ([`crate::domain::retention`]) keeps no longer, through the same erasure as
//! a person's request (profile and contact data deleted, the school's reference kept only as
//! its keyed digest, `CandidateErased` then a tombstone published, every other service erasing
//! and confirming) with the reason `Retention`, which the notifications service tells the
//! school. What the service hears of its candidates' VTEs ([`PlacementActivity`]) keeps a
//! profile whose VTE runs or moved lately.

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{Postgres, Transaction};
use vte_domain::CandidateId;
use vte_proto::vte::candidates::v1::CandidateEvent;
use vte_proto::vte::common::v1::{PlatformService, Role};
use vte_rules::RuleBook;

use super::Candidates;
use crate::domain::retention::RetentionPolicy;
use crate::domain::{Erasure, ErasureReason, Requester};
use crate::error::Error;
use crate::mapping;
use crate::store;

impl Candidates {
    /// Retires at most `batch` profiles that `policy` and the recency window of `rules` say
    /// are kept no longer at `now`, in one transaction; returns how many. Profiles locked by
    /// another transaction (a push, the candidate, another replica's sweep) are skipped and
    /// found by a later call. Idempotent: a retired profile is gone, so calling again retires
    /// only others; nothing is retired when the rules have no terms for `now`.
    pub async fn retire_idle_graduates(
        &self,
        rules: &RuleBook,
        policy: RetentionPolicy,
        now: DateTime<Utc>,
        batch: u32,
    ) -> Result<usize, Error> {
        let now = now.trunc_subsecs(6);
        let Some(cutoffs) = policy.cutoffs(rules, now) else {
            return Ok(0);
        };
        let mut tx = self.begin().await?;
        let profiles = store::lock_retirable(&mut tx, &cutoffs, batch).await?;
        for profile in &profiles {
            let erasure = Erasure {
                id: uuid::Uuid::now_v7(),
                candidate: profile.id,
                school: profile.school,
                reason: ErasureReason::Retention,
                requested_by: sweep(),
                requested_at: now,
                confirmations: store::initial_confirmations(now),
                completed_at: None,
            };
            store::erase_keyed(&mut tx, &self.ref_digest_key, &erasure, &profile.school_ref)
                .await?;
            vte_events::append(&mut tx, &mapping::erased(&erasure)).await?;
            // As for a request: the compacted topic then drops the person's earlier events.
            vte_events::append_tombstone::<CandidateEvent>(&mut tx, &profile.id.to_string())
                .await?;
        }
        tx.commit().await?;
        Ok(profiles.len())
    }
}

/// What an event of `vte.placements.v1` says of a candidate's VTE, for the retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacementActivity {
    pub placement: uuid::Uuid,
    pub candidate: CandidateId,
    /// The VTE runs (status ACTIVE).
    pub active: bool,
    /// When it moved.
    pub at: DateTime<Utc>,
}

impl Candidates {
    /// Remembers that a candidate's VTE moved, in the caller's transaction (the consumer
    /// runner's): the retention sweep keeps their profile while it runs and for the idle period
    /// after its last step. `false` when the candidate has no profile here.
    pub async fn record_placement_activity(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        activity: PlacementActivity,
    ) -> Result<bool, Error> {
        Ok(store::record_placement_activity(
            tx,
            activity.candidate,
            activity.placement,
            activity.active,
            activity.at.trunc_subsecs(6),
        )
        .await?)
    }
}

/// Who asks for a retention erasure: the candidates service itself.
fn sweep() -> Requester {
    Requester {
        role: Role::Service,
        subject: vte_service::peers::service_subject(PlatformService::Candidates)
            .unwrap_or("candidates")
            .to_owned(),
        tenant: None,
    }
}
