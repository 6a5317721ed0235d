//! Forgetting an erased candidate in the notifications' tables: their own notifications,
//! deliveries and preferences go; other recipients' notifications about them (a company's, a
//! school's, Bpifrance's) lose the fact they carried and the reasons quoted about the candidate,
//! and their webhook deliveries not made yet are dropped; only the opaque id stays, in
//! `erased_candidates`, so that no late event notifies them.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;
use vte_domain::CandidateId;

use super::StoreError;
use crate::domain::Subject;
use crate::domain::payload::without_free_texts;

/// A notification about the candidate, as the erasure rewrites it.
#[derive(sqlx::FromRow)]
struct AboutRow {
    id: Uuid,
    subject_type: Option<String>,
    subject: Option<Vec<u8>>,
    title: String,
    body: String,
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// The candidate's own notifications (their deliveries with them).
    pub notifications: u64,
    pub preferences: u64,
    /// Other recipients' notifications whose fact named the candidate, now without it.
    pub facts_cleared: u64,
    /// Webhook deliveries of those facts not delivered yet (pending, retrying or dead
    /// letters), dropped: the fact they would send is gone.
    pub webhook_deliveries: u64,
}

/// Erases everything held about a candidate: their notifications (and so their deliveries,
/// pending ones included: they are never contacted again), their preferences, their id on the
/// applications; the fact (application or placement, with its free text) carried by other
/// recipients' notifications about them, and those notifications' webhook deliveries not made
/// yet. Remembers the erasure so that no later event notifies them.
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
    // Rows written before `about_candidate` existed are found by the id in their bytes.
    let about: Vec<AboutRow> = sqlx::query_as(
        "SELECT id, subject_type, subject, title, body FROM notifications
         WHERE about_candidate = $1
            OR (about_candidate IS NULL AND subject IS NOT NULL
                AND position(convert_to($2, 'UTF8') IN subject) > 0)
         FOR UPDATE",
    )
    .bind(id)
    .bind(&tenant)
    .fetch_all(&mut *connection)
    .await?;
    let mut ids = Vec::with_capacity(about.len());
    let mut titles = Vec::with_capacity(about.len());
    let mut bodies = Vec::with_capacity(about.len());
    for row in about {
        // What was written about the candidate leaves the text with the fact.
        let free = row
            .subject_type
            .zip(row.subject)
            .and_then(|(kind, bytes)| Subject::stored(&kind, bytes))
            .map(|subject| subject.free_texts())
            .unwrap_or_default();
        ids.push(row.id);
        titles.push(without_free_texts(&row.title, &free));
        bodies.push(without_free_texts(&row.body, &free));
    }
    let webhook_deliveries = sqlx::query(
        "DELETE FROM deliveries WHERE notification_id = ANY($1) AND channel = 'WEBHOOK'
             AND status IN ('PENDING', 'RETRYING', 'FAILED')",
    )
    .bind(&ids)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    let facts_cleared = sqlx::query(
        "UPDATE notifications n SET subject = NULL, subject_type = NULL, about_candidate = NULL,
             title = u.title, body = u.body
         FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS u(id, title, body)
         WHERE n.id = u.id",
    )
    .bind(&ids)
    .bind(&titles)
    .bind(&bodies)
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
        facts_cleared,
        webhook_deliveries,
    })
}
