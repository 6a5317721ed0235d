//! Erasures: the record of each (who asked, or the retention sweep; why; when; each service's
//! confirmation) and the only trace kept of the erased student, the digest of their school
//! reference keyed with a server secret ([`RefDigestKey`]), so that the school's next push does
//! not bring them back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::{PlatformService, Role};

use super::StoreError;
use crate::domain::{ERASING_SERVICES, Erasure, ErasureReason, Requester};

/// Which of `refs` name students of `school` who were erased, and why, their references
/// digested with `key`. A reference erased before digests were keyed (plain SHA-256) is
/// recognised too, and its digest rewritten under the key: the school's next push of it
/// migrates it.
pub async fn erased_refs_keyed(
    conn: &mut PgConnection,
    key: &RefDigestKey,
    school: SchoolId,
    refs: &[String],
) -> Result<HashMap<String, ErasureReason>, StoreError> {
    let keyed = RefDigestKey::sql("$3", "$4", "$1::text || E'\\n' || r");
    let erased: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH digests AS (
             SELECT r, {keyed} AS keyed, sha256(convert_to(r, 'UTF8')) AS plain
             FROM unnest($2::text[]) AS r),
         found AS (
             SELECT d.r, d.keyed, e.id, e.reason, e.school_ref_digest = d.plain AS legacy
             FROM digests d JOIN erasures e
                 ON e.school_id = $1 AND e.school_ref_digest IN (d.keyed, d.plain)),
         migrated AS (
             UPDATE erasures e SET school_ref_digest = f.keyed
             FROM found f WHERE e.id = f.id AND f.legacy
             RETURNING e.id)
         SELECT r, reason FROM found"
    )))
    .bind(school.as_uuid())
    .bind(refs)
    .bind(key.inner.as_slice())
    .bind(key.outer.as_slice())
    .fetch_all(conn)
    .await?;
    Ok(erased
        .into_iter()
        .map(|(r, reason)| {
            // A reason this version does not know was still an erasure: refused as a request.
            (
                r,
                ErasureReason::parse(&reason).unwrap_or(ErasureReason::Request),
            )
        })
        .collect())
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
             requested_by_sub, requested_by_tenant, requested_at, completed_at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    .bind(erasure.reason.as_str())
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
             requested_by_tenant, requested_at, completed_at, reason \
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
    let reason: String = row.try_get("reason")?;
    let reason = ErasureReason::parse(&reason).ok_or_else(|| StoreError::Corrupt {
        what: "erasure reason",
        id,
        reason: String::from("not a reason this version knows"),
    })?;
    Ok(Some(Erasure {
        id,
        candidate: CandidateId::from_uuid(row.try_get("candidate_id")?),
        school: SchoolId::from_uuid(row.try_get("school_id")?),
        reason,
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
            reason: ErasureReason::Request,
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
        assert_eq!(
            found,
            HashMap::from([(school_ref.clone(), ErasureReason::Request)])
        );
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
        assert_eq!(
            found,
            HashMap::from([(school_ref.clone(), ErasureReason::Request)])
        );
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
