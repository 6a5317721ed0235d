//! Offers in the read model: each one's last state as the offers service published it (the
//! whole `vte.offers.v1.Offer`, encoded), kept whatever its status; open ones are indexed.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use vte_domain::OfferId;

use super::{Tx, revision};

/// An offer event to record.
#[derive(Debug)]
pub struct OfferRow<'a> {
    pub id: OfferId,
    pub company_siren: &'a str,
    pub revision: u64,
    pub occurred_at: DateTime<Utc>,
    pub is_open: bool,
    /// The encoded `vte.offers.v1.Offer`.
    pub offer: Vec<u8>,
}

/// What recording an offer did.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Newer than what was held; the previous state (encoded), if any.
    Applied { previous: Option<Vec<u8>> },
    /// The same or an older revision: nothing changed.
    Stale,
}

/// Records an offer's state unless a same or newer revision is held.
pub async fn record_offer(tx: &mut Tx, row: &OfferRow<'_>) -> Result<Recorded, sqlx::Error> {
    let held: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT revision, offer FROM offers WHERE offer_id = $1 FOR UPDATE")
            .bind(row.id.as_uuid())
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((held, _)) = &held
        && *held >= revision(row.revision)
    {
        return Ok(Recorded::Stale);
    }
    sqlx::query(
        "INSERT INTO offers (offer_id, company_siren, revision, occurred_at, is_open, offer)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (offer_id) DO UPDATE SET company_siren = EXCLUDED.company_siren,
             revision = EXCLUDED.revision, occurred_at = EXCLUDED.occurred_at,
             is_open = EXCLUDED.is_open, offer = EXCLUDED.offer",
    )
    .bind(row.id.as_uuid())
    .bind(row.company_siren)
    .bind(revision(row.revision))
    .bind(row.occurred_at)
    .bind(row.is_open)
    .bind(&row.offer)
    .execute(&mut **tx)
    .await?;
    Ok(Recorded::Applied {
        previous: held.map(|(_, offer)| offer),
    })
}

/// An offer's last state (encoded), whatever its status.
pub async fn load_offer(pool: &PgPool, id: OfferId) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT offer FROM offers WHERE offer_id = $1")
        .bind(id.as_uuid())
        .fetch_optional(pool)
        .await
}

/// Every open offer (encoded).
pub async fn load_open_offers(conn: &mut PgConnection) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT offer FROM offers WHERE is_open ORDER BY offer_id")
        .fetch_all(conn)
        .await
}

/// The last state (encoded) of each of these offers.
pub async fn load_offers(
    pool: &PgPool,
    ids: &[OfferId],
) -> Result<Vec<(OfferId, Vec<u8>)>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().map(OfferId::as_uuid).collect();
    let rows: Vec<(Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT offer_id, offer FROM offers WHERE offer_id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, bytes)| (OfferId::from_uuid(id), bytes))
        .collect())
}
