//! The retention sweep's reads: graduates past the recency window whose profile and contact
//! data stayed unchanged since the idle cutoff, oldest change first. They are locked with
//! `SKIP LOCKED`, so that replicas sweeping at once share the work instead of waiting on each
//! other, and a profile a push or its candidate is changing right now is left for next time.

use sqlx::PgConnection;

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
