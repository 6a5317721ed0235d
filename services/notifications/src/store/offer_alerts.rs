//! Offer alerts told to candidates (a new offer that fits them, from matching): how many a
//! candidate was told lately, what the frequency cap reads, and the record of one told. A row
//! goes with its notification (`ON DELETE CASCADE`), so an erasure leaves none.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;
use vte_domain::CandidateId;

use super::StoreError;
use crate::domain::Kind;

/// What a candidate was told of lately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recent {
    /// Alerts in the 24 hours before now.
    pub day: u32,
    /// Alerts in the 7 days before now.
    pub week: u32,
    /// Whether they were ever told of this offer.
    pub this_offer: bool,
}

/// Locks the candidate's alerts until the transaction ends (two handlers of the same
/// candidate then count one after the other), and counts them.
pub async fn recent(
    connection: &mut PgConnection,
    candidate: CandidateId,
    offer: Uuid,
    now: DateTime<Utc>,
) -> Result<Recent, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('offer_alerts'), hashtext($1))")
        .bind(candidate.to_string())
        .execute(&mut *connection)
        .await?;
    let (day, week, this_offer): (i64, i64, bool) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE alerted_at > $2 AND alerted_at <= $4),
                count(*) FILTER (WHERE alerted_at > $3 AND alerted_at <= $4),
                EXISTS (SELECT 1 FROM offer_alerts WHERE candidate_id = $1 AND offer_id = $5)
         FROM offer_alerts WHERE candidate_id = $1",
    )
    .bind(candidate.as_uuid())
    .bind(now - Duration::hours(24))
    .bind(now - Duration::days(7))
    .bind(now)
    .bind(offer)
    .fetch_one(&mut *connection)
    .await?;
    Ok(Recent {
        day: u32::try_from(day).unwrap_or(u32::MAX),
        week: u32::try_from(week).unwrap_or(u32::MAX),
        this_offer,
    })
}

/// Records the alert the fact `source_id` made for `candidate` about `offer`, if it made a
/// notification (a candidate who turned offer suggestions off got none, and is not counted);
/// returns whether one was recorded.
pub async fn record(
    connection: &mut PgConnection,
    source_id: Uuid,
    candidate: CandidateId,
    offer: Uuid,
) -> Result<bool, StoreError> {
    let recorded = sqlx::query(
        "INSERT INTO offer_alerts (notification_id, candidate_id, offer_id, alerted_at)
         SELECT id, $3, $4, created_at FROM notifications
         WHERE source_id = $1 AND recipient_role = 'candidate' AND recipient_tenant = $2
           AND kind = $5
         ON CONFLICT (notification_id) DO NOTHING",
    )
    .bind(source_id)
    .bind(candidate.to_string())
    .bind(candidate.as_uuid())
    .bind(offer)
    .bind(Kind::OffersSuggested.code())
    .execute(connection)
    .await?
    .rows_affected();
    Ok(recorded > 0)
}
