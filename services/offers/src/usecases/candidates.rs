//! What the offers service keeps of candidates, from `vte.candidates.v1`: each one's school (for
//! tenancy: a school acts for its own students), whether they consent (a school applies for them,
//! and a company reads their contact data, only while they do) and their erasure, which anonymises
//! their applications while keeping their history. Both run in the transaction the consumer runner
//! gives them, which also records the event id, so each event is applied once.

use sqlx::{Postgres, Transaction};
use vte_domain::{CandidateId, SchoolId};
use vte_rules::CandidateFacts;

use crate::error::Error;
use crate::store::{self, Anonymised};

/// The revision an erasure is recorded at: the highest the store keeps, so the erasure always
/// applies and no profile event delivered after it (a late or replayed one) undoes it.
/// `CandidateErased` carries no revision, and an erased candidate never comes back.
pub const ERASURE_REVISION: u64 = i64::MAX as u64;

/// Records the candidate's school and whether they consent, as of their profile's `revision`
/// (the store ignores a revision it already has or has overtaken).
pub async fn record_profile(
    transaction: &mut Transaction<'static, Postgres>,
    candidate: CandidateId,
    school: Option<SchoolId>,
    consent_given: bool,
    facts: Option<&CandidateFacts>,
    revision: u64,
) -> Result<(), Error> {
    if store::upsert_candidate(transaction, candidate, school, false, revision).await? {
        store::record_consent(transaction, candidate, consent_given, revision).await?;
        if let Some(facts) = facts {
            store::record_facts(transaction, candidate, facts, revision).await?;
        }
    }
    Ok(())
}

/// Marks the candidate erased and blanks the personal free text of their applications,
/// placements and label decisions, keeping statuses, dates and transitions, and records the
/// confirmation of `erasure_id` owed to the candidates service (sent once the transaction
/// commits). Anonymising runs even when the erasure was already recorded: it changes nothing
/// the second time.
pub async fn erase_candidate(
    transaction: &mut Transaction<'static, Postgres>,
    candidate: CandidateId,
    erasure_id: uuid::Uuid,
) -> Result<Anonymised, Error> {
    // The school is not kept: nothing here needs to know anything more of an erased candidate.
    store::upsert_candidate(transaction, candidate, None, true, ERASURE_REVISION).await?;
    let anonymised = store::anonymise_candidate_applications(transaction, candidate).await?;
    store::labels::anonymise_candidate_labels(transaction, candidate).await?;
    super::invitations::erase_candidate_invitations(transaction, candidate).await?;
    vte_service::erasure::confirm_later(&mut *transaction, candidate, erasure_id).await?;
    Ok(anonymised)
}
