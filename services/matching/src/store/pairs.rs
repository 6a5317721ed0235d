//! Pairs of an offer and a candidate: who applied to what, what was already suggested, and the
//! lock under which suggesting handlers take turns.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId};

use super::{Tx, revision};

/// Records who applied to what, unless a same or newer revision is held.
pub async fn record_application(
    tx: &mut Tx,
    application: Uuid,
    offer: OfferId,
    candidate: CandidateId,
    revision_number: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO applications (application_id, offer_id, candidate_id, revision)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (application_id) DO UPDATE SET offer_id = EXCLUDED.offer_id,
             candidate_id = EXCLUDED.candidate_id, revision = EXCLUDED.revision
         WHERE applications.revision < EXCLUDED.revision",
    )
    .bind(application)
    .bind(offer.as_uuid())
    .bind(candidate.as_uuid())
    .bind(revision(revision_number))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The candidates who applied to an offer (any status).
pub async fn applicants(
    pool: &PgPool,
    offer: OfferId,
) -> Result<HashSet<CandidateId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT candidate_id FROM applications WHERE offer_id = $1")
            .bind(offer.as_uuid())
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().map(CandidateId::from_uuid).collect())
}

/// How many applications each of `offers` received (any status); offers with none are left out.
pub async fn application_counts(
    pool: &PgPool,
    offers: &[OfferId],
) -> Result<HashMap<OfferId, u32>, sqlx::Error> {
    let ids: Vec<Uuid> = offers.iter().map(|offer| offer.as_uuid()).collect();
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT offer_id, count(*) FROM applications WHERE offer_id = ANY($1) GROUP BY offer_id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, count)| {
            (
                OfferId::from_uuid(id),
                u32::try_from(count).unwrap_or(u32::MAX),
            )
        })
        .collect())
}

/// The candidates already suggested for an offer.
pub async fn suggested_candidates(
    tx: &mut Tx,
    offer: OfferId,
) -> Result<HashSet<CandidateId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT candidate_id FROM suggestions WHERE offer_id = $1")
            .bind(offer.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
    Ok(ids.into_iter().map(CandidateId::from_uuid).collect())
}

/// The offers already suggested to a candidate.
pub async fn suggested_offers(
    tx: &mut Tx,
    candidate: CandidateId,
) -> Result<HashSet<OfferId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT offer_id FROM suggestions WHERE candidate_id = $1")
            .bind(candidate.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
    Ok(ids.into_iter().map(OfferId::from_uuid).collect())
}

/// The advisory lock suggesting handlers take, one at a time across the service's instances.
const SUGGESTION_LOCK: i64 = 0x7674_655f_7375_6767; // "vte_sugg"

/// Takes the suggestion lock, held until `tx` ends: of two handlers suggesting at once, on any
/// instances, the second waits for the first to commit.
pub async fn lock_suggestions(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SUGGESTION_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records pairs as suggested; returns those that were not already (concurrent handlers may
/// have suggested some meanwhile).
pub async fn record_suggestions(
    tx: &mut Tx,
    pairs: &[(OfferId, CandidateId)],
) -> Result<HashSet<(OfferId, CandidateId)>, sqlx::Error> {
    let offers: Vec<Uuid> = pairs.iter().map(|(o, _)| o.as_uuid()).collect();
    let candidates: Vec<Uuid> = pairs.iter().map(|(_, c)| c.as_uuid()).collect();
    let inserted: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "INSERT INTO suggestions (offer_id, candidate_id)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[])
         ON CONFLICT DO NOTHING RETURNING offer_id, candidate_id",
    )
    .bind(&offers)
    .bind(&candidates)
    .fetch_all(&mut **tx)
    .await?;
    Ok(inserted
        .into_iter()
        .map(|(o, c)| (OfferId::from_uuid(o), CandidateId::from_uuid(c)))
        .collect())
}
