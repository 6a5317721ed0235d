//! The candidates service's tables (see `migrations/`): profiles, contact data kept apart, and
//! erasures with each service's confirmation ([`erasure`]); the retention sweep's reads
//! ([`lock_retirable`]). Bulk writes (a school's push) go through
//! `UNNEST` so that a message of 500 rows costs a handful of statements, not 500.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId};
use vte_wire::page::PageRequest;

use crate::domain::{AcademicStatus, Contact, Profile};

mod erasure;
pub mod quota;
mod retention;

pub use erasure::{
    ErasureKey, RefDigestKey, confirm, erase_keyed, erased_refs_keyed, erasure,
    initial_confirmations,
};
pub use retention::{lock_retirable, record_placement_activity};

/// The store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored document no longer reads as the domain type (a bug or a bad migration).
    #[error("stored {what} of candidate {id} is unreadable: {reason}")]
    Corrupt {
        what: &'static str,
        id: Uuid,
        reason: String,
    },
    /// The row moved on since it was read.
    #[error("the profile changed meanwhile")]
    ConcurrentChange,
}

const PROFILE_COLUMNS: &str = "p.id, p.school_id, p.school_student_ref, p.schooling, \
     p.preferences, p.consent, p.labels, p.revision, p.created_at, p.updated_at";

/// A JSON column decoded straight into its domain type (no intermediate `Value`: re-pushes
/// read every stored profile of a message).
fn document<T: DeserializeOwned>(row: &PgRow, column: &'static str) -> Result<T, StoreError> {
    row.try_get::<sqlx::types::Json<T>, _>(column)
        .map(|json| json.0)
        .map_err(|error| match error {
            sqlx::Error::ColumnDecode { source, .. } => StoreError::Corrupt {
                what: column,
                id: row.try_get("id").unwrap_or_default(),
                reason: source.to_string(),
            },
            other => StoreError::Database(other),
        })
}

fn profile_of(row: &PgRow) -> Result<Profile, StoreError> {
    let revision: i64 = row.try_get("revision")?;
    Ok(Profile {
        id: CandidateId::from_uuid(row.try_get("id")?),
        school: SchoolId::from_uuid(row.try_get("school_id")?),
        school_ref: row.try_get("school_student_ref")?,
        schooling: document(row, "schooling")?,
        preferences: document(row, "preferences")?,
        consent: document(row, "consent")?,
        labels: document(row, "labels")?,
        revision: u64::try_from(revision).unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn contact_of(row: &PgRow) -> Result<Option<Contact>, StoreError> {
    let first_name: Option<String> = row.try_get("first_name")?;
    Ok(match first_name {
        Some(first_name) => Some(Contact {
            first_name,
            last_name: row.try_get("last_name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
        }),
        None => None,
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // The domain types serialize to JSON without failing (no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_else(|_| String::from("null"))
}

fn revision(profile: &Profile) -> i64 {
    i64::try_from(profile.revision).unwrap_or(i64::MAX)
}

/// The stored profiles (with their contact data) of `school` among `refs`, locked for update.
pub async fn lock_by_refs(
    conn: &mut PgConnection,
    school: SchoolId,
    refs: &[String],
) -> Result<HashMap<String, (Profile, Option<Contact>)>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS}, c.first_name, c.last_name, c.email, c.phone \
         FROM profiles p LEFT JOIN contacts c ON c.candidate_id = p.id \
         WHERE p.school_id = $1 AND p.school_student_ref = ANY($2) \
         FOR UPDATE OF p"
    )))
    .bind(school.as_uuid())
    .bind(refs)
    .fetch_all(conn)
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let profile = profile_of(row)?;
        let contact = contact_of(row)?;
        found.insert(profile.school_ref.clone(), (profile, contact));
    }
    Ok(found)
}

/// Column arrays of profiles, for `UNNEST`.
#[derive(Default)]
struct ProfileColumns {
    ids: Vec<Uuid>,
    schools: Vec<Uuid>,
    refs: Vec<String>,
    statuses: Vec<&'static str>,
    matchable: Vec<bool>,
    schooling: Vec<String>,
    preferences: Vec<String>,
    consent: Vec<String>,
    labels: Vec<String>,
    revisions: Vec<i64>,
    created: Vec<DateTime<Utc>>,
    updated: Vec<DateTime<Utc>>,
}

impl ProfileColumns {
    fn of(profiles: &[&Profile]) -> Self {
        let mut columns = Self::default();
        for profile in profiles {
            columns.ids.push(profile.id.as_uuid());
            columns.schools.push(profile.school.as_uuid());
            columns.refs.push(profile.school_ref.clone());
            columns.statuses.push(profile.schooling.status.as_str());
            columns.matchable.push(profile.matchable());
            columns.schooling.push(json(&profile.schooling));
            columns.preferences.push(json(&profile.preferences));
            columns.consent.push(json(&profile.consent));
            columns.labels.push(json(&profile.labels));
            columns.revisions.push(revision(profile));
            columns.created.push(profile.created_at);
            columns.updated.push(profile.updated_at);
        }
        columns
    }
}

/// Inserts new profiles.
pub async fn insert_profiles(
    conn: &mut PgConnection,
    profiles: &[&Profile],
) -> Result<(), StoreError> {
    if profiles.is_empty() {
        return Ok(());
    }
    let c = ProfileColumns::of(profiles);
    sqlx::query(
        "INSERT INTO profiles (id, school_id, school_student_ref, status, matchable, schooling, \
             preferences, consent, labels, revision, created_at, updated_at) \
         SELECT id, school, ref, status, matchable, schooling::jsonb, preferences::jsonb, \
             consent::jsonb, labels::jsonb, revision, created_at, updated_at \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bool[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::int8[], $11::timestamptz[], \
             $12::timestamptz[]) \
         AS u(id, school, ref, status, matchable, schooling, preferences, consent, labels, \
             revision, created_at, updated_at)",
    )
    .bind(&c.ids)
    .bind(&c.schools)
    .bind(&c.refs)
    .bind(&c.statuses)
    .bind(&c.matchable)
    .bind(&c.schooling)
    .bind(&c.preferences)
    .bind(&c.consent)
    .bind(&c.labels)
    .bind(&c.revisions)
    .bind(&c.created)
    .bind(&c.updated)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves new revisions of stored profiles; each must follow the stored revision, or nothing is
/// saved.
pub async fn update_profiles(
    conn: &mut PgConnection,
    profiles: &[&Profile],
) -> Result<(), StoreError> {
    if profiles.is_empty() {
        return Ok(());
    }
    let c = ProfileColumns::of(profiles);
    let updated = sqlx::query(
        "UPDATE profiles p SET status = u.status, matchable = u.matchable, \
             schooling = u.schooling::jsonb, preferences = u.preferences::jsonb, \
             consent = u.consent::jsonb, labels = u.labels::jsonb, revision = u.revision, \
             updated_at = u.updated_at \
         FROM unnest($1::uuid[], $2::text[], $3::bool[], $4::text[], $5::text[], $6::text[], \
             $7::text[], $8::int8[], $9::timestamptz[]) \
         AS u(id, status, matchable, schooling, preferences, consent, labels, revision, updated_at) \
         WHERE p.id = u.id AND p.revision = u.revision - 1",
    )
    .bind(&c.ids)
    .bind(&c.statuses)
    .bind(&c.matchable)
    .bind(&c.schooling)
    .bind(&c.preferences)
    .bind(&c.consent)
    .bind(&c.labels)
    .bind(&c.revisions)
    .bind(&c.updated)
    .execute(conn)
    .await?;
    if updated.rows_affected() != profiles.len() as u64 {
        return Err(StoreError::ConcurrentChange);
    }
    Ok(())
}

/// Writes contact data (new or changed).
pub async fn upsert_contacts(
    conn: &mut PgConnection,
    contacts: &[(CandidateId, &Contact)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if contacts.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(contacts.len());
    let mut first = Vec::with_capacity(contacts.len());
    let mut last = Vec::with_capacity(contacts.len());
    let mut emails = Vec::with_capacity(contacts.len());
    let mut phones = Vec::with_capacity(contacts.len());
    for (id, contact) in contacts {
        ids.push(id.as_uuid());
        first.push(contact.first_name.as_str());
        last.push(contact.last_name.as_str());
        emails.push(contact.email.as_str());
        phones.push(contact.phone.as_deref());
    }
    sqlx::query(
        "INSERT INTO contacts (candidate_id, first_name, last_name, email, phone, updated_at) \
         SELECT id, first_name, last_name, email, phone, $6 \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) \
         AS u(id, first_name, last_name, email, phone) \
         ON CONFLICT (candidate_id) DO UPDATE SET first_name = excluded.first_name, \
             last_name = excluded.last_name, email = excluded.email, phone = excluded.phone, \
             updated_at = excluded.updated_at",
    )
    .bind(&ids)
    .bind(&first)
    .bind(&last)
    .bind(&emails)
    .bind(&phones)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// One profile by id; locked for update when `lock`.
pub async fn profile(
    conn: &mut PgConnection,
    id: CandidateId,
    lock: bool,
) -> Result<Option<Profile>, StoreError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles p WHERE p.id = $1{lock}"
    )))
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(profile_of).transpose()
}

/// One profile by its school's reference.
pub async fn profile_by_ref(
    conn: &mut PgConnection,
    school: SchoolId,
    school_ref: &str,
) -> Result<Option<Profile>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles p \
         WHERE p.school_id = $1 AND p.school_student_ref = $2"
    )))
    .bind(school.as_uuid())
    .bind(school_ref)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(profile_of).transpose()
}

/// Saves the next revision of one profile.
pub async fn save(conn: &mut PgConnection, profile: &Profile) -> Result<(), StoreError> {
    update_profiles(conn, &[profile]).await
}

/// The rows of a page of a school's profiles ordered by reference, after the page's cursor
/// (one more than the page; [`PageRequest::page`] cuts it).
pub async fn list(
    conn: &mut PgConnection,
    school: SchoolId,
    status: Option<AcademicStatus>,
    matchable_only: bool,
    page: &PageRequest<String>,
) -> Result<Vec<Profile>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM profiles p \
         WHERE p.school_id = $1 AND ($2::text IS NULL OR p.status = $2) \
           AND (NOT $3 OR p.matchable) AND ($4::text IS NULL OR p.school_student_ref > $4) \
         ORDER BY p.school_student_ref LIMIT $5"
    )))
    .bind(school.as_uuid())
    .bind(status.map(AcademicStatus::as_str))
    .bind(matchable_only)
    .bind(page.after.as_deref())
    .bind(page.fetch_limit())
    .fetch_all(conn)
    .await?;
    rows.iter().map(profile_of).collect()
}

/// A candidate's contact data.
pub async fn contact(
    conn: &mut PgConnection,
    id: CandidateId,
) -> Result<Option<Contact>, StoreError> {
    let row = sqlx::query(
        "SELECT first_name, last_name, email, phone FROM contacts WHERE candidate_id = $1",
    )
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => contact_of(&row)?,
        None => None,
    })
}
