//! What the events said that the notifications need later: each offer's title, company,
//! commune, status and expiry day (applications' events carry only the offer id; the expiry
//! for its reminder), each application's status and submission time (for its reminder), the
//! label requests and appeals awaiting Bpifrance's decision (for Bpifrance's reminder). Offers and applications
//! are kept at the highest revision seen; erasing a candidate is [`super::erasure`]'s.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{CandidateId, Siren};

use super::{StoreError, corrupt};
use crate::domain::OfferFacts;

/// Where an offer stands, for the reminder before it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferStanding<'a> {
    /// The contract's status name (`PUBLISHED`, `EXPIRED`...).
    pub status: &'a str,
    /// Its last day: the application deadline, else the start date.
    pub expires_on: Option<NaiveDate>,
}

/// Records what an offer event says, unless a later revision is already known.
pub async fn upsert_offer(
    connection: &mut PgConnection,
    id: Uuid,
    company: &Siren,
    facts: &OfferFacts,
    standing: OfferStanding<'_>,
    revision: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO offers (id, company_siren, title, company_name, commune, status, expires_on,
             revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET company_siren = EXCLUDED.company_siren,
             title = EXCLUDED.title, company_name = EXCLUDED.company_name,
             commune = EXCLUDED.commune, status = EXCLUDED.status,
             expires_on = EXCLUDED.expires_on, revision = EXCLUDED.revision
         WHERE offers.revision < EXCLUDED.revision",
    )
    .bind(id)
    .bind(company.to_string())
    .bind(&facts.title)
    .bind(&facts.company_name)
    .bind(&facts.commune)
    .bind(standing.status)
    .bind(standing.expires_on)
    .bind(revision)
    .execute(connection)
    .await?;
    Ok(())
}

/// A published offer nearing its last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringOffer {
    pub id: Uuid,
    pub company: Siren,
    pub facts: OfferFacts,
    pub expires_on: NaiveDate,
}

/// Locks up to `limit` published offers whose last day is between `today` and `until` and
/// whose company was not reminded of that day yet, skipping those another sweep holds.
pub async fn lock_expiring(
    connection: &mut PgConnection,
    today: NaiveDate,
    until: NaiveDate,
    limit: i64,
) -> Result<Vec<ExpiringOffer>, StoreError> {
    let rows: Vec<(Uuid, String, String, String, String, NaiveDate)> = sqlx::query_as(
        "SELECT id, company_siren, title, company_name, commune, expires_on FROM offers
         WHERE status = 'PUBLISHED' AND expires_on BETWEEN $1 AND $2
             AND expiry_reminded_for IS DISTINCT FROM expires_on
         ORDER BY expires_on, id
         LIMIT $3
         FOR UPDATE SKIP LOCKED",
    )
    .bind(today)
    .bind(until)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    rows.into_iter()
        .map(|(id, siren, title, company_name, commune, expires_on)| {
            Ok(ExpiringOffer {
                id,
                company: Siren::parse(&siren)
                    .map_err(|rule| corrupt(format!("offer {id} siren: {rule}")))?,
                facts: OfferFacts {
                    title,
                    company_name,
                    commune,
                },
                expires_on,
            })
        })
        .collect()
}

/// Records that these offers' companies were reminded of their last day (the offers locked by
/// [`lock_expiring`] in this transaction, so the day has not moved).
pub async fn mark_expiry_reminded(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> Result<(), StoreError> {
    sqlx::query("UPDATE offers SET expiry_reminded_for = expires_on WHERE id = ANY($1)")
        .bind(ids)
        .execute(connection)
        .await?;
    Ok(())
}

/// A VTE whose label request (or appeal) awaits Bpifrance's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingLabel {
    pub placement_id: Uuid,
    pub offer: OfferFacts,
    /// Since when: the request or the appeal (kept in the column `completed_at`, named when
    /// completions were what Bpifrance decided on).
    pub since: DateTime<Utc>,
}

/// Records a VTE as awaiting Bpifrance's label decision (once: a redelivery changes nothing).
pub async fn await_label(
    connection: &mut PgConnection,
    awaiting: &AwaitingLabel,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO placements_awaiting_label
             (placement_id, offer_title, company_name, commune, completed_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (placement_id) DO NOTHING",
    )
    .bind(awaiting.placement_id)
    .bind(&awaiting.offer.title)
    .bind(&awaiting.offer.company_name)
    .bind(&awaiting.offer.commune)
    .bind(awaiting.since)
    .execute(connection)
    .await?;
    Ok(())
}

/// Forgets a VTE whose label was decided (a rework request included: the company resubmits).
pub async fn label_decided(
    connection: &mut PgConnection,
    placement_id: Uuid,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM placements_awaiting_label WHERE placement_id = $1")
        .bind(placement_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// Locks up to `limit` VTEs awaiting Bpifrance's label decision since before `before`, that
/// Bpifrance was not reminded of, skipping those another sweep holds; oldest first.
pub async fn lock_awaiting_label(
    connection: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<AwaitingLabel>, StoreError> {
    let rows: Vec<(Uuid, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT placement_id, offer_title, company_name, commune, completed_at
         FROM placements_awaiting_label
         WHERE reminded_at IS NULL AND completed_at <= $1
         ORDER BY completed_at, placement_id
         LIMIT $2
         FOR UPDATE SKIP LOCKED",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(placement_id, title, company_name, commune, since)| AwaitingLabel {
                placement_id,
                offer: OfferFacts {
                    title,
                    company_name,
                    commune,
                },
                since,
            },
        )
        .collect())
}

/// Records that Bpifrance was reminded of these VTEs.
pub async fn mark_label_reminded(
    connection: &mut PgConnection,
    placements: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE placements_awaiting_label SET reminded_at = $2 WHERE placement_id = ANY($1)",
    )
    .bind(placements)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// What is known of an offer; empty facts when nothing is.
pub async fn offer<'e>(executor: impl PgExecutor<'e>, id: Uuid) -> Result<OfferFacts, StoreError> {
    Ok(offers(executor, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// What is known of several offers, by id.
pub async fn offers<'e>(
    executor: impl PgExecutor<'e>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, OfferFacts>, StoreError> {
    let rows: Vec<(Uuid, String, String, String)> =
        sqlx::query_as("SELECT id, title, company_name, commune FROM offers WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(executor)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, company_name, commune)| {
            (
                id,
                OfferFacts {
                    title,
                    company_name,
                    commune,
                },
            )
        })
        .collect())
}

/// An application as the reminders need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownApplication {
    pub id: Uuid,
    pub offer_id: Uuid,
    pub company: Siren,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
}

/// Records what an application event says, unless a later revision is already known. The
/// candidate is not recorded once erased.
pub async fn upsert_application(
    connection: &mut PgConnection,
    application: &KnownApplication,
    candidate: Option<CandidateId>,
    revision: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO applications (id, offer_id, company_siren, candidate_id, status,
             submitted_at, revision)
         VALUES ($1, $2, $3,
             (SELECT $4::uuid WHERE NOT EXISTS
                 (SELECT 1 FROM erased_candidates WHERE candidate_id = $4)),
             $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, revision = EXCLUDED.revision
         WHERE applications.revision < EXCLUDED.revision",
    )
    .bind(application.id)
    .bind(application.offer_id)
    .bind(application.company.to_string())
    .bind(candidate.map(|c| c.as_uuid()))
    .bind(&application.status)
    .bind(application.submitted_at)
    .bind(revision)
    .execute(connection)
    .await?;
    Ok(())
}

/// Locks up to `limit` applications still SUBMITTED since before `before` whose company was
/// not reminded yet, skipping those another sweep holds.
pub async fn lock_unanswered(
    connection: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<KnownApplication>, StoreError> {
    let rows: Vec<(Uuid, Uuid, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, offer_id, company_siren, status, submitted_at FROM applications
         WHERE status = 'SUBMITTED' AND reminded_at IS NULL AND submitted_at <= $1
         ORDER BY submitted_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    rows.into_iter()
        .map(|(id, offer_id, siren, status, submitted_at)| {
            Ok(KnownApplication {
                id,
                offer_id,
                company: Siren::parse(&siren)
                    .map_err(|rule| corrupt(format!("application {id} siren: {rule}")))?,
                status,
                submitted_at,
            })
        })
        .collect()
}

/// Records that the companies were reminded of these applications.
pub async fn mark_reminded(
    connection: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE applications SET reminded_at = $2 WHERE id = ANY($1)")
        .bind(ids)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}
