//! The counters of new profiles per school and period (`school_quota_counters`), incremented in
//! the transaction of the push that creates the profiles: a message refused for its quota rolls
//! back with everything else it would have written, and two pushes of one school at once
//! queue on the counter's row instead of both passing the limit.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use vte_domain::SchoolId;

use crate::domain::quota::QuotaPeriod;

/// Counters older than this are deleted when the school next creates profiles.
const KEPT_FOR: Duration = Duration::days(2);

/// Adds `count` new profiles of `school` to the period starting at `start`, unless the total
/// would pass `limit`: the new total, or `None` (and nothing counted) when it would.
pub async fn count_new_profiles(
    conn: &mut PgConnection,
    school: SchoolId,
    period: QuotaPeriod,
    start: DateTime<Utc>,
    count: u32,
    limit: u32,
) -> Result<Option<u32>, sqlx::Error> {
    let count = i64::from(count);
    let limit = i64::from(limit);
    let total: Option<i64> = sqlx::query_scalar(
        "INSERT INTO school_quota_counters AS c (school_id, period, period_start, profiles_created) \
         SELECT $1::uuid, $2::text, $3::timestamptz, $4::bigint WHERE $4::bigint <= $5::bigint \
         ON CONFLICT (school_id, period, period_start) DO UPDATE \
             SET profiles_created = c.profiles_created + EXCLUDED.profiles_created \
             WHERE c.profiles_created + EXCLUDED.profiles_created <= $5::bigint \
         RETURNING profiles_created",
    )
    .bind(school.as_uuid())
    .bind(period.as_str())
    .bind(start)
    .bind(count)
    .bind(limit)
    .fetch_optional(conn)
    .await?;
    Ok(total.map(|total| u32::try_from(total).unwrap_or(u32::MAX)))
}

/// The profiles `school` created in the period starting at `start`.
pub async fn new_profiles(
    conn: &mut PgConnection,
    school: SchoolId,
    period: QuotaPeriod,
    start: DateTime<Utc>,
) -> Result<u32, sqlx::Error> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT profiles_created FROM school_quota_counters \
         WHERE school_id = $1 AND period = $2 AND period_start = $3",
    )
    .bind(school.as_uuid())
    .bind(period.as_str())
    .bind(start)
    .fetch_optional(conn)
    .await?;
    Ok(total.map_or(0, |total| u32::try_from(total).unwrap_or(u32::MAX)))
}

/// Deletes `school`'s counters of periods that ended long ago.
pub async fn forget_old_counters(
    conn: &mut PgConnection,
    school: SchoolId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM school_quota_counters WHERE school_id = $1 AND period_start < $2")
        .bind(school.as_uuid())
        .bind(now - KEPT_FOR)
        .execute(conn)
        .await?;
    Ok(())
}
