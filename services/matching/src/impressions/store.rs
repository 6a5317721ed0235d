//! Impressions and outcomes in PostgreSQL (`migrations/1002_impressions.sql`): batches written
//! in two statements, nothing of a candidate already erased; a candidate's erasure; the
//! retention purge; and what the report command reads.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::report::{AudienceCount, Inputs, PairOutcome, ShownPair, TOP};
use super::{Audience, Impression};

/// Writes impressions and their items, once each (a repeated id changes nothing), leaving out
/// every row of a candidate already erased.
pub async fn insert(
    conn: &mut PgConnection,
    impressions: &[Impression],
) -> Result<(), sqlx::Error> {
    if impressions.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = impressions.iter().map(|i| i.id).collect();
    let shown_at: Vec<DateTime<Utc>> = impressions.iter().map(|i| i.shown_at).collect();
    let audiences: Vec<&str> = impressions.iter().map(|i| i.audience.as_str()).collect();
    let subjects: Vec<Uuid> = impressions.iter().map(|i| i.subject).collect();
    let versions: Vec<&str> = impressions
        .iter()
        .map(|i| i.rules_version.as_str())
        .collect();
    let counts: Vec<i32> = impressions
        .iter()
        .map(|i| i32::try_from(i.items.len()).unwrap_or(i32::MAX))
        .collect();
    sqlx::query(
        "INSERT INTO impressions (impression_id, shown_at, audience, subject_id, rules_version,
             item_count)
         SELECT t.* FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::uuid[],
             $5::text[], $6::int4[])
             AS t (impression_id, shown_at, audience, subject_id, rules_version, item_count)
         WHERE NOT EXISTS (SELECT 1 FROM erased_candidates e WHERE e.candidate_id = t.subject_id)
         ON CONFLICT (impression_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&shown_at)
    .bind(&audiences)
    .bind(&subjects)
    .bind(&versions)
    .bind(&counts)
    .execute(&mut *conn)
    .await?;
    let items: Vec<(Uuid, &super::ImpressionItem)> = impressions
        .iter()
        .flat_map(|i| i.items.iter().map(move |item| (i.id, item)))
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    // Components and weights travel flattened, `stride` a row (PostgreSQL arrays of arrays
    // must be rectangular, and sqlx binds one dimension): row n's are n*stride+1..=(n+1)*stride.
    let stride = items
        .iter()
        .map(|(_, item)| item.components.len())
        .max()
        .unwrap_or(0);
    let components = flatten(items.iter().map(|(_, i)| i.components.as_slice()), stride);
    let weights = flatten(items.iter().map(|(_, i)| i.weights.as_slice()), stride);
    sqlx::query(
        "INSERT INTO impression_items (impression_id, rank, offer_id, candidate_id, score,
             components, weights)
         SELECT t.impression_id, t.rank, t.offer_id, t.candidate_id, t.score,
             ($6::real[])[(t.n - 1) * $8 + 1 : t.n * $8],
             ($7::real[])[(t.n - 1) * $8 + 1 : t.n * $8]
         FROM UNNEST($1::uuid[], $2::int4[], $3::uuid[], $4::uuid[], $5::real[])
             WITH ORDINALITY AS t (impression_id, rank, offer_id, candidate_id, score, n)
         WHERE EXISTS (SELECT 1 FROM impressions i WHERE i.impression_id = t.impression_id)
           AND NOT EXISTS (SELECT 1 FROM erased_candidates e WHERE e.candidate_id = t.candidate_id)
         ON CONFLICT (impression_id, rank) DO NOTHING",
    )
    .bind(items.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind(
        items
            .iter()
            .map(|(_, item)| i32::try_from(item.rank).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|(_, i)| i.offer.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|(_, i)| i.candidate.as_uuid())
            .collect::<Vec<_>>(),
    )
    .bind(items.iter().map(|(_, i)| i.score).collect::<Vec<_>>())
    .bind(&components)
    .bind(&weights)
    .bind(i32::try_from(stride).unwrap_or(i32::MAX))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rows of `stride` values one after the other, a short row padded with NaN (never in practice:
/// every assessment has as many components).
fn flatten<'a>(rows: impl Iterator<Item = &'a [f32]>, stride: usize) -> Vec<f32> {
    rows.flat_map(|row| (0..stride).map(move |k| row.get(k).copied().unwrap_or(f32::NAN)))
        .collect()
}

/// Deletes every impression shown to the candidate, every place they held in a ranking and
/// their outcomes (their erasure, in its transaction).
pub async fn erase_candidate(conn: &mut PgConnection, candidate: Uuid) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM impressions WHERE subject_id = $1
             AND audience IN ('CANDIDATE', 'SUGGESTION_CANDIDATE')",
        "DELETE FROM impression_items WHERE candidate_id = $1",
        "DELETE FROM outcomes WHERE candidate_id = $1",
    ] {
        sqlx::query(statement)
            .bind(candidate)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What one retention round deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub impressions: u64,
    pub outcomes: u64,
    /// Rows of erased candidates written by a batch racing with their erasure.
    pub erased_rows: u64,
}

/// Deletes up to `batch` impressions shown before `before` (their items with them), then the
/// outcomes last changed before it, then any row of an erased candidate.
pub async fn purge(
    pool: &PgPool,
    before: DateTime<Utc>,
    batch: i64,
) -> Result<Purged, sqlx::Error> {
    let impressions = sqlx::query(
        "DELETE FROM impressions WHERE impression_id IN (
             SELECT impression_id FROM impressions WHERE shown_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(pool)
    .await?
    .rows_affected();
    let outcomes = sqlx::query(
        "DELETE FROM outcomes
         WHERE GREATEST(applied_at, interviewed_at, hired_at, labelled_at) < $1",
    )
    .bind(before)
    .execute(pool)
    .await?
    .rows_affected();
    let mut erased_rows = 0;
    for statement in [
        "DELETE FROM impression_items i USING erased_candidates e
         WHERE i.candidate_id = e.candidate_id",
        "DELETE FROM impressions i USING erased_candidates e WHERE i.subject_id = e.candidate_id",
    ] {
        erased_rows += sqlx::query(statement).execute(pool).await?.rows_affected();
    }
    Ok(Purged {
        impressions,
        outcomes,
        erased_rows,
    })
}

/// Impressions and items per audience since `since`.
pub async fn counts(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<AudienceCount>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT audience, count(*), coalesce(sum(item_count), 0)::int8 FROM impressions
         WHERE shown_at >= $1 GROUP BY audience ORDER BY audience",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(audience, impressions, items)| {
            Some(AudienceCount {
                audience: Audience::parse(&audience)?,
                impressions: impressions.unsigned_abs(),
                items: items.unsigned_abs(),
            })
        })
        .collect())
}

/// Each pair shown in the first `top` places since `since`, per audience, at its first showing.
pub async fn shown_pairs(
    pool: &PgPool,
    since: DateTime<Utc>,
    top: u32,
) -> Result<Vec<ShownPair>, sqlx::Error> {
    let rows: Vec<(String, Uuid, Uuid, DateTime<Utc>)> = sqlx::query_as(
        "SELECT i.audience, it.offer_id, it.candidate_id, min(i.shown_at)
         FROM impressions i JOIN impression_items it USING (impression_id)
         WHERE i.shown_at >= $1 AND it.rank <= $2
         GROUP BY i.audience, it.offer_id, it.candidate_id",
    )
    .bind(since)
    .bind(i32::try_from(top).unwrap_or(i32::MAX))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(audience, offer, candidate, first_shown)| {
            Some(ShownPair {
                audience: Audience::parse(&audience)?,
                offer,
                candidate,
                first_shown,
            })
        })
        .collect())
}

/// Every outcome known.
pub async fn outcomes(pool: &PgPool) -> Result<Vec<PairOutcome>, sqlx::Error> {
    type Row = (
        Uuid,
        Uuid,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT offer_id, candidate_id, applied_at, interviewed_at, hired_at, labelled_at
         FROM outcomes",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(offer, candidate, applied, interviewed, hired, labelled)| PairOutcome {
                offer,
                candidate,
                applied,
                interviewed,
                hired,
                labelled,
            },
        )
        .collect())
}

/// Matchable candidates never in the first `top` places of a company-facing ranking since
/// `since`.
pub async fn never_shown(
    pool: &PgPool,
    since: DateTime<Utc>,
    top: u32,
) -> Result<u64, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM candidates c WHERE c.matchable AND NOT EXISTS (
             SELECT 1 FROM impression_items it JOIN impressions i USING (impression_id)
             WHERE it.candidate_id = c.candidate_id AND it.rank <= $2 AND i.shown_at >= $1
               AND i.audience IN ('COMPANY', 'SUGGESTION_COMPANY'))",
    )
    .bind(since)
    .bind(i32::try_from(top).unwrap_or(i32::MAX))
    .fetch_one(pool)
    .await?;
    Ok(count.unsigned_abs())
}

/// Everything the report reads: impressions since `since`, every outcome, the matchable
/// candidates never shown; `window` as the report's apply-rate window.
pub async fn report_inputs(
    pool: &PgPool,
    since: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<Inputs, sqlx::Error> {
    Ok(Inputs {
        since,
        window,
        counts: counts(pool, since).await?,
        shown: shown_pairs(pool, since, TOP).await?,
        outcomes: outcomes(pool).await?,
        never_shown: never_shown(pool, since, TOP).await?,
    })
}
