//! The retention sweep's reads: graduates past the recency window whose profile and contact
//! data stayed unchanged since the idle cutoff and whose VTE neither runs nor moved since,
//! oldest change first. They are locked with `SKIP LOCKED`, so that replicas sweeping at once
//! share the work instead of waiting on each other, and a profile a push or its candidate is
//! changing right now is left for next time. Also what the service hears of placements
//! ([`record_placement_activity`]).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;
use vte_domain::CandidateId;

use super::{PROFILE_COLUMNS, StoreError, profile_of};
use crate::domain::Profile;
use crate::domain::retention::Cutoffs;

/// At most `limit` profiles to retire at `cutoffs`, locked for update (those locked by
/// another transaction are skipped).
pub async fn lock_retirable(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    limit: u32,
) -> Result<Vec<Profile>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles p \
         WHERE p.status = 'graduate' AND p.updated_at < $2 \
           AND (p.schooling ->> 'graduation_date')::date < $1 \
           AND NOT EXISTS (SELECT 1 FROM contacts c \
                           WHERE c.candidate_id = p.id AND c.updated_at >= $2) \
           AND NOT EXISTS (SELECT 1 FROM placement_activity a \
                           WHERE a.candidate_id = p.id AND (a.active OR a.last_event_at >= $2)) \
         ORDER BY p.updated_at, p.id LIMIT $3 \
         FOR UPDATE OF p SKIP LOCKED"
    )))
    .bind(cutoffs.graduated_before)
    .bind(cutoffs.idle_since)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(profile_of).collect()
}

/// Records that `placement` of `candidate` moved at `at` and whether it still runs (`active`);
/// the latest event wins. Nothing is recorded for a candidate without a profile here (unknown,
/// erased, or being erased: the profile is locked first, so an erasure in progress is waited
/// for). Returns whether it was recorded.
pub async fn record_placement_activity(
    conn: &mut PgConnection,
    candidate: CandidateId,
    placement: Uuid,
    active: bool,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let known: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM profiles WHERE id = $1 FOR KEY SHARE")
            .bind(candidate.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
    if known.is_none() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO placement_activity (placement_id, candidate_id, active, last_event_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (placement_id) DO UPDATE SET \
             active = CASE WHEN excluded.last_event_at >= placement_activity.last_event_at \
                           THEN excluded.active ELSE placement_activity.active END, \
             last_event_at = greatest(placement_activity.last_event_at, excluded.last_event_at)",
    )
    .bind(placement)
    .bind(candidate.as_uuid())
    .bind(active)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(true)
}
