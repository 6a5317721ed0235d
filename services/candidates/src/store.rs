//! The candidates service's tables (see `migrations/`): profiles, contact data kept apart, and
//! erasures with each service's confirmation. Bulk writes (a school's push) go through
//! `UNNEST` so that a message of 500 rows costs a handful of statements, not 500.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::{PlatformService, Role};
use vte_wire::page::PageRequest;

use crate::domain::{AcademicStatus, Contact, ERASING_SERVICES, Erasure, Profile, Requester};

pub mod quota;

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

/// Which of `refs` name students of `school` who were erased, their references digested with
/// `key`. A reference erased before digests were keyed (plain SHA-256) is recognised too, and
/// its digest rewritten under the key: the school's next push of it migrates it.
pub async fn erased_refs_keyed(
    conn: &mut PgConnection,
    key: &RefDigestKey,
    school: SchoolId,
    refs: &[String],
) -> Result<HashSet<String>, StoreError> {
    let keyed = RefDigestKey::sql("$3", "$4", "$1::text || E'\\n' || r");
    let erased: Vec<(String, bool)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH digests AS (
             SELECT r, {keyed} AS keyed, sha256(convert_to(r, 'UTF8')) AS plain
             FROM unnest($2::text[]) AS r),
         found AS (
             SELECT d.r, d.keyed, e.id, e.school_ref_digest = d.plain AS legacy
             FROM digests d JOIN erasures e
                 ON e.school_id = $1 AND e.school_ref_digest IN (d.keyed, d.plain)),
         migrated AS (
             UPDATE erasures e SET school_ref_digest = f.keyed
             FROM found f WHERE e.id = f.id AND f.legacy
             RETURNING e.id)
         SELECT r, legacy FROM found"
    )))
    .bind(school.as_uuid())
    .bind(refs)
    .bind(key.inner.as_slice())
    .bind(key.outer.as_slice())
    .fetch_all(conn)
    .await?;
    Ok(erased.into_iter().map(|(r, _)| r).collect())
}

/// The server secret that keys the digest of an erased student's school reference, kept so
/// that a school's next push of the reference does not bring the person back: HMAC-SHA256
/// (RFC 2104) of `<school id>\n<reference>`. Without the key, the digest of a reference in a
/// guessable format (a year and a counter) cannot be reversed by trying them all. PostgreSQL's
/// `sha256` computes it over the key's pads, `sha256(outer || sha256(inner || message))`.
#[derive(Clone)]
pub struct RefDigestKey {
    inner: Vec<u8>,
    outer: Vec<u8>,
}

impl std::fmt::Debug for RefDigestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefDigestKey(..)")
    }
}

impl RefDigestKey {
    /// The key of development and tests (`candidates.ref_digest_key` unset in development
    /// mode); published, so refused outside it.
    pub const DEVELOPMENT: &'static str = "vte-development-ref-digest-key-not-a-secret";
    /// The HMAC block size of SHA-256: longer keys are refused rather than hashed first.
    pub const MAX_BYTES: usize = 64;

    /// The key `secret` (1..=64 bytes; settings ask for 32 or more).
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.is_empty() || secret.len() > Self::MAX_BYTES {
            return Err(format!("must be 1 to {} bytes", Self::MAX_BYTES));
        }
        Ok(Self::padded(secret))
    }

    /// The development key ([`Self::DEVELOPMENT`]): what the use cases hold until given the
    /// configured one.
    pub fn development() -> Self {
        Self::padded(Self::DEVELOPMENT.as_bytes())
    }

    /// The pads of a key of at most [`Self::MAX_BYTES`] bytes.
    fn padded(secret: &[u8]) -> Self {
        let mut block = secret.to_vec();
        block.resize(Self::MAX_BYTES, 0);
        Self {
            inner: block.iter().map(|byte| byte ^ 0x36).collect(),
            outer: block.iter().map(|byte| byte ^ 0x5c).collect(),
        }
    }

    /// The SQL of the HMAC of the text `message`, the pads bound at `inner` and `outer`.
    fn sql(inner: &str, outer: &str, message: &str) -> String {
        format!("sha256({outer} || sha256({inner} || convert_to({message}, 'UTF8')))")
    }

    /// The HMAC-SHA256 of `message` under this key.
    pub async fn hmac(
        &self,
        conn: &mut PgConnection,
        message: &str,
    ) -> Result<Vec<u8>, StoreError> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {}",
            Self::sql("$1", "$2", "$3")
        )))
        .bind(self.inner.as_slice())
        .bind(self.outer.as_slice())
        .bind(message)
        .fetch_one(conn)
        .await?)
    }

    /// The digest of `school_ref`, a reference of `school`.
    pub async fn digest(
        &self,
        conn: &mut PgConnection,
        school: SchoolId,
        school_ref: &str,
    ) -> Result<Vec<u8>, StoreError> {
        self.hmac(conn, &format!("{}\n{school_ref}", school.as_uuid()))
            .await
    }
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

/// Records an erasure with the first version's unkeyed digest (plain SHA-256), as erasures
/// made before digests were keyed were stored: what the migration test starts from.
#[cfg(test)]
async fn erase_unkeyed(
    conn: &mut PgConnection,
    erasure: &Erasure,
    school_ref: &str,
) -> Result<(), StoreError> {
    let digest: Vec<u8> = sqlx::query_scalar("SELECT sha256(convert_to($1, 'UTF8'))")
        .bind(school_ref)
        .fetch_one(&mut *conn)
        .await?;
    record_erasure(conn, erasure, digest).await
}

/// Records an erasure (the candidates service's own confirmation included), the school's
/// reference kept only as its digest keyed with the server secret `key` (HMAC-SHA256), and
/// deletes the profile and its contact data.
pub async fn erase_keyed(
    conn: &mut PgConnection,
    key: &RefDigestKey,
    erasure: &Erasure,
    school_ref: &str,
) -> Result<(), StoreError> {
    let digest = key.digest(conn, erasure.school, school_ref).await?;
    record_erasure(conn, erasure, digest).await
}

async fn record_erasure(
    conn: &mut PgConnection,
    erasure: &Erasure,
    digest: Vec<u8>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO erasures (id, candidate_id, school_id, school_ref_digest, requested_by_role, \
             requested_by_sub, requested_by_tenant, requested_at, completed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(erasure.id)
    .bind(erasure.candidate.as_uuid())
    .bind(erasure.school.as_uuid())
    .bind(digest)
    .bind(erasure.requested_by.role as i32)
    .bind(&erasure.requested_by.subject)
    .bind(erasure.requested_by.tenant.as_deref())
    .bind(erasure.requested_at)
    .bind(erasure.completed_at)
    .execute(&mut *conn)
    .await?;
    let (services, confirmed): (Vec<i32>, Vec<Option<DateTime<Utc>>>) = erasure
        .confirmations
        .iter()
        .map(|(service, at)| (*service as i32, *at))
        .unzip();
    sqlx::query(
        "INSERT INTO erasure_service_confirmations (erasure_id, service, confirmed_at) \
         SELECT $1, service, confirmed_at \
         FROM unnest($2::int4[], $3::timestamptz[]) AS u(service, confirmed_at)",
    )
    .bind(erasure.id)
    .bind(&services)
    .bind(&confirmed)
    .execute(&mut *conn)
    .await?;
    // Contact data goes with the profile (ON DELETE CASCADE).
    sqlx::query("DELETE FROM profiles WHERE id = $1")
        .bind(erasure.candidate.as_uuid())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Which erasure to read.
#[derive(Debug, Clone, Copy)]
pub enum ErasureKey {
    Candidate(CandidateId),
    Id(Uuid),
}

/// An erasure with its confirmations; locked for update when `lock`.
pub async fn erasure(
    conn: &mut PgConnection,
    key: ErasureKey,
    lock: bool,
) -> Result<Option<Erasure>, StoreError> {
    let (column, id) = match key {
        ErasureKey::Candidate(candidate) => ("candidate_id", candidate.as_uuid()),
        ErasureKey::Id(id) => ("id", id),
    };
    let lock = if lock { " FOR UPDATE" } else { "" };
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, candidate_id, school_id, requested_by_role, requested_by_sub, \
             requested_by_tenant, requested_at, completed_at \
         FROM erasures WHERE {column} = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let id: Uuid = row.try_get("id")?;
    let confirmations: Vec<(i32, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT service, confirmed_at FROM erasure_service_confirmations \
         WHERE erasure_id = $1 ORDER BY service",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let role: i32 = row.try_get("requested_by_role")?;
    Ok(Some(Erasure {
        id,
        candidate: CandidateId::from_uuid(row.try_get("candidate_id")?),
        school: SchoolId::from_uuid(row.try_get("school_id")?),
        requested_by: Requester {
            role: Role::try_from(role).unwrap_or(Role::Unspecified),
            subject: row.try_get("requested_by_sub")?,
            tenant: row.try_get("requested_by_tenant")?,
        },
        requested_at: row.try_get("requested_at")?,
        confirmations: confirmations
            .into_iter()
            .map(|(service, at)| {
                (
                    PlatformService::try_from(service).unwrap_or(PlatformService::Unspecified),
                    at,
                )
            })
            .collect(),
        completed_at: row.try_get("completed_at")?,
    }))
}

/// Records `service`'s confirmation (the first one counts) and completes the erasure once
/// every service confirmed.
pub async fn confirm(
    conn: &mut PgConnection,
    erasure: Uuid,
    service: PlatformService,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE erasure_service_confirmations SET confirmed_at = $3 \
         WHERE erasure_id = $1 AND service = $2 AND confirmed_at IS NULL",
    )
    .bind(erasure)
    .bind(service as i32)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE erasures SET completed_at = $2 \
         WHERE id = $1 AND completed_at IS NULL AND NOT EXISTS ( \
             SELECT 1 FROM erasure_service_confirmations \
             WHERE erasure_id = $1 AND confirmed_at IS NULL)",
    )
    .bind(erasure)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The confirmations a new erasure starts with: the candidates service's own, now.
pub fn initial_confirmations(now: DateTime<Utc>) -> Vec<(PlatformService, Option<DateTime<Utc>>)> {
    ERASING_SERVICES
        .iter()
        .map(|service| {
            let at = (*service == PlatformService::Candidates).then_some(now);
            (*service, at)
        })
        .collect()
}

#[cfg(test)]
mod ref_digest_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    async fn database() -> (vte_testbed::TestDatabase, sqlx::PgPool) {
        let database = vte_testbed::TestDatabase::create().await;
        let pool = database.pool().await;
        crate::MIGRATOR.run(&pool).await.unwrap();
        (database, pool)
    }

    fn erasure(school: SchoolId) -> Erasure {
        let now = Utc::now();
        Erasure {
            id: Uuid::now_v7(),
            candidate: CandidateId::new(),
            school,
            requested_by: Requester {
                role: Role::School,
                subject: "idp|school-admin".to_owned(),
                tenant: Some(school.to_string()),
            },
            requested_at: now,
            confirmations: initial_confirmations(now),
            completed_at: None,
        }
    }

    #[tokio::test]
    async fn the_digest_is_an_hmac_sha256_as_rfc_4231_computes_it() {
        let (_database, pool) = database().await;
        let mut conn = pool.acquire().await.unwrap();
        // RFC 4231, test case 2.
        let key = RefDigestKey::new(b"Jefe").unwrap();
        let mac = key
            .hmac(&mut conn, "what do ya want for nothing?")
            .await
            .unwrap();
        let hex: String = mac.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[tokio::test]
    async fn an_erased_ref_is_kept_only_as_a_keyed_digest_another_key_does_not_find() {
        let (_database, pool) = database().await;
        let mut conn = pool.acquire().await.unwrap();
        let key = RefDigestKey::new(&[7; 32]).unwrap();
        let other_key = RefDigestKey::new(&[8; 32]).unwrap();
        let school = SchoolId::new();
        let school_ref = "2024-00042".to_owned();
        erase_keyed(&mut conn, &key, &erasure(school), &school_ref)
            .await
            .unwrap();
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT school_ref_digest FROM erasures WHERE school_id = $1")
                .bind(school.as_uuid())
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let plain: Vec<u8> = sqlx::query_scalar("SELECT sha256(convert_to($1, 'UTF8'))")
            .bind(&school_ref)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_ne!(stored, plain, "the plain SHA-256 of the ref is not stored");
        let other = other_key
            .digest(&mut conn, school, &school_ref)
            .await
            .unwrap();
        assert_ne!(stored, other, "another key gives another digest");
        assert_eq!(
            stored,
            key.digest(&mut conn, school, &school_ref).await.unwrap()
        );

        let refs = vec![school_ref.clone(), "2024-00043".to_owned()];
        let found = erased_refs_keyed(&mut conn, &key, school, &refs)
            .await
            .unwrap();
        assert_eq!(found, HashSet::from([school_ref.clone()]));
        let found = erased_refs_keyed(&mut conn, &other_key, school, &refs)
            .await
            .unwrap();
        assert!(found.is_empty(), "another key does not recognise it");
        let found = erased_refs_keyed(&mut conn, &key, SchoolId::new(), &refs)
            .await
            .unwrap();
        assert!(found.is_empty(), "another school's ref of the same text");
    }

    #[tokio::test]
    async fn a_ref_erased_before_digests_were_keyed_is_recognised_and_migrated() {
        let (_database, pool) = database().await;
        let mut conn = pool.acquire().await.unwrap();
        let key = RefDigestKey::new(&[7; 32]).unwrap();
        let school = SchoolId::new();
        let school_ref = "2019-00007".to_owned();
        erase_unkeyed(&mut conn, &erasure(school), &school_ref)
            .await
            .unwrap();
        let refs = vec![school_ref.clone()];
        let found = erased_refs_keyed(&mut conn, &key, school, &refs)
            .await
            .unwrap();
        assert_eq!(found, HashSet::from([school_ref.clone()]));
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT school_ref_digest FROM erasures WHERE school_id = $1")
                .bind(school.as_uuid())
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            stored,
            key.digest(&mut conn, school, &school_ref).await.unwrap(),
            "the legacy digest is rewritten under the key"
        );
        let found = erased_refs_keyed(&mut conn, &key, school, &refs)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "and still recognised");
    }
}
