//! What the events said that the notifications need later: each offer's title, company and
//! commune (applications' events carry only the offer id), each application's status and
//! submission time (for the reminder), and which candidates were erased. Offers and
//! applications are kept at the highest revision seen.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{CandidateId, Siren};

use super::{StoreError, corrupt};
use crate::domain::OfferFacts;

/// Records what an offer event says, unless a later revision is already known.
pub async fn upsert_offer(
    connection: &mut PgConnection,
    id: Uuid,
    company: &Siren,
    facts: &OfferFacts,
    revision: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO offers (id, company_siren, title, company_name, commune, revision)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET company_siren = EXCLUDED.company_siren,
             title = EXCLUDED.title, company_name = EXCLUDED.company_name,
             commune = EXCLUDED.commune, revision = EXCLUDED.revision
         WHERE offers.revision < EXCLUDED.revision",
    )
    .bind(id)
    .bind(company.to_string())
    .bind(&facts.title)
    .bind(&facts.company_name)
    .bind(&facts.commune)
    .bind(revision)
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

/// Records that the company was reminded of the application.
pub async fn mark_reminded(
    connection: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE applications SET reminded_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub notifications: u64,
    pub preferences: u64,
}

/// Erases everything held about a candidate: their notifications (and so their deliveries,
/// pending ones included: they are never contacted again), their preferences, their id on the
/// applications; and remembers the erasure so that no later event notifies them.
pub async fn erase_candidate(
    connection: &mut PgConnection,
    candidate: CandidateId,
    now: DateTime<Utc>,
) -> Result<Erased, StoreError> {
    let id = candidate.as_uuid();
    let tenant = candidate.to_string();
    sqlx::query(
        "INSERT INTO erased_candidates (candidate_id, erased_at) VALUES ($1, $2)
         ON CONFLICT (candidate_id) DO NOTHING",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    let notifications = sqlx::query(
        "DELETE FROM notifications WHERE recipient_role = 'candidate' AND recipient_tenant = $1",
    )
    .bind(&tenant)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    let preferences = sqlx::query(
        "DELETE FROM preferences WHERE recipient_role = 'candidate' AND recipient_tenant = $1",
    )
    .bind(&tenant)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    sqlx::query("UPDATE applications SET candidate_id = NULL WHERE candidate_id = $1")
        .bind(id)
        .execute(connection)
        .await?;
    Ok(Erased {
        notifications,
        preferences,
    })
}
