//! What this service knows of candidates, from `vte.candidates.v1`: each one's school, whether they
//! consent and whether they were erased. Events may arrive twice or out of order, so an event is
//! applied only when its revision is above the stored one. Erasing a candidate blanks the free text
//! people wrote about them here, and keeps the history (who, when, from, to).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{CandidateId, ContractKind, SchoolId};
use vte_rules::{CandidateFacts, Status};

use super::error::{StoreError, convert, corrupt};

/// A candidate as this service knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCandidate {
    /// The candidate.
    pub id: CandidateId,
    /// Their school, if any.
    pub school_id: Option<SchoolId>,
    /// Whether the candidates service erased them.
    pub erased: bool,
    /// The revision of the candidate's last event applied.
    pub revision: u64,
}

/// Records what the candidate's event at `revision` says, unless the stored revision is as
/// high or higher (a replay, or an event overtaken by a later one). Returns whether it was
/// applied. An erasure keeps the time this service first learnt of it.
pub async fn upsert_candidate(
    conn: &mut PgConnection,
    candidate_id: CandidateId,
    school_id: Option<SchoolId>,
    erased: bool,
    revision: u64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO candidates AS c (id, school_id, erased_at, revision)
         VALUES ($1, $2, CASE WHEN $3 THEN now() END, $4)
         ON CONFLICT (id) DO UPDATE SET
             school_id = EXCLUDED.school_id,
             erased_at = CASE WHEN $3 THEN coalesce(c.erased_at, now()) END,
             consent_given = CASE WHEN $3 THEN NULL ELSE c.consent_given END,
             academic_status = CASE WHEN $3 THEN NULL ELSE c.academic_status END,
             level = CASE WHEN $3 THEN NULL ELSE c.level END,
             graduation_date = CASE WHEN $3 THEN NULL ELSE c.graduation_date END,
             contract_kinds = CASE WHEN $3 THEN NULL ELSE c.contract_kinds END,
             available_from = CASE WHEN $3 THEN NULL ELSE c.available_from END,
             revision = EXCLUDED.revision
         WHERE c.revision < EXCLUDED.revision",
    )
    .bind(candidate_id.as_uuid())
    .bind(school_id.map(|id| id.as_uuid()))
    .bind(erased)
    .bind(convert::<i64, _>(revision, "revision")?)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records whether the candidate consents, as their profile's event at `revision` says; only
/// when that event is the one stored (call it after [`upsert_candidate`] applied it). Returns
/// whether it was recorded.
pub async fn record_consent(
    conn: &mut PgConnection,
    candidate_id: CandidateId,
    consent_given: bool,
    revision: u64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE candidates SET consent_given = $2
         WHERE id = $1 AND revision = $3 AND erased_at IS NULL",
    )
    .bind(candidate_id.as_uuid())
    .bind(consent_given)
    .bind(convert::<i64, _>(revision, "revision")?)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the candidate consents now, as far as this service knows: `false` for a candidate
/// it does not know, one erased, or one whose consent no applied event stated.
pub async fn consents<'e>(
    executor: impl PgExecutor<'e>,
    id: CandidateId,
) -> Result<bool, StoreError> {
    let given: Option<Option<bool>> = sqlx::query_scalar(
        "SELECT consent_given AND erased_at IS NULL FROM candidates WHERE id = $1",
    )
    .bind(id.as_uuid())
    .fetch_optional(executor)
    .await?;
    Ok(given.flatten().unwrap_or(false))
}

/// Records the facts the scheme's rules read, as the candidate's profile event at `revision`
/// states them; only when that event is the one stored (call it after [`upsert_candidate`]
/// applied it). Returns whether they were recorded.
pub async fn record_facts(
    conn: &mut PgConnection,
    candidate_id: CandidateId,
    facts: &CandidateFacts,
    revision: u64,
) -> Result<bool, StoreError> {
    let status: i16 = match facts.status {
        Status::Student => 1,
        Status::Graduate => 2,
        Status::Unknown => 0,
    };
    let kinds: Vec<&str> = facts
        .contract_kinds
        .iter()
        .map(|kind| kind.code())
        .collect();
    let done = sqlx::query(
        "UPDATE candidates SET academic_status = $2, level = $3, graduation_date = $4,
             contract_kinds = $5, available_from = $6
         WHERE id = $1 AND revision = $7 AND erased_at IS NULL",
    )
    .bind(candidate_id.as_uuid())
    .bind(status)
    .bind(i16::from(facts.level))
    .bind(facts.graduation_date)
    .bind(&kinds)
    .bind(facts.available_from)
    .bind(convert::<i64, _>(revision, "revision")?)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The candidate's facts as the rules read them, if a profile event stating them was applied
/// and the candidate is not erased.
pub async fn load_candidate_facts<'e>(
    executor: impl PgExecutor<'e>,
    id: CandidateId,
) -> Result<Option<CandidateFacts>, StoreError> {
    type Row = (i16, i16, Option<NaiveDate>, Vec<String>, Option<NaiveDate>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT academic_status, level, graduation_date, contract_kinds, available_from
         FROM candidates
         WHERE id = $1 AND erased_at IS NULL AND academic_status IS NOT NULL
           AND level IS NOT NULL AND contract_kinds IS NOT NULL",
    )
    .bind(id.as_uuid())
    .fetch_optional(executor)
    .await?;
    row.map(|(status, level, graduation_date, kinds, available_from)| {
        let contract_kinds = kinds
            .iter()
            .map(|code| ContractKind::parse(code))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| corrupt("a candidate's contract kinds", "an unknown code"))?;
        Ok(CandidateFacts {
            status: match status {
                1 => Status::Student,
                2 => Status::Graduate,
                _ => Status::Unknown,
            },
            level: convert(level, "candidate level")?,
            graduation_date,
            contract_kinds,
            available_from,
        })
    })
    .transpose()
}

/// The candidate, if an event about them was applied.
pub async fn load_candidate<'e>(
    executor: impl PgExecutor<'e>,
    id: CandidateId,
) -> Result<Option<KnownCandidate>, StoreError> {
    let row: Option<(Uuid, Option<Uuid>, bool, i64)> = sqlx::query_as(
        "SELECT id, school_id, erased_at IS NOT NULL, revision FROM candidates WHERE id = $1",
    )
    .bind(id.as_uuid())
    .fetch_optional(executor)
    .await?;
    row.map(|(id, school_id, erased, revision)| {
        Ok(KnownCandidate {
            id: CandidateId::from_uuid(id),
            school_id: school_id.map(SchoolId::from_uuid),
            erased,
            revision: convert(revision, "candidate revision")?,
        })
    })
    .transpose()
}

/// How many rows an anonymisation changed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anonymised {
    /// Applications whose message was blanked.
    pub applications: u64,
    /// Log entries whose reason or subject was blanked.
    pub transitions: u64,
    /// Placements whose early-end note was blanked.
    pub placements: u64,
    /// Label decisions whose reason was blanked.
    pub label_decisions: u64,
}

/// Blanks the personal free text about an erased candidate: the messages of their
/// applications, the reasons people wrote in those applications' logs (the platform's own
/// sentences stay) and the candidate's own token subject there, the early-end notes of their
/// placements and the reasons of their label decisions. Statuses, dates, roles and ids stay,
/// so the history still reads; revisions do not move (no event follows). Run it in the
/// transaction that records the erasure; running it again changes nothing.
pub async fn anonymise_candidate_applications(
    conn: &mut PgConnection,
    candidate_id: CandidateId,
) -> Result<Anonymised, StoreError> {
    let id = candidate_id.as_uuid();
    let applications = sqlx::query(
        "UPDATE applications SET message = '' WHERE candidate_id = $1 AND message <> ''",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let transitions = sqlx::query(
        "UPDATE application_transitions t SET
             reason = CASE WHEN t.actor_role = 'service' THEN t.reason ELSE '' END,
             actor_subject = CASE WHEN t.actor_role = 'candidate' THEN '' ELSE t.actor_subject END
         FROM applications a
         WHERE t.application_id = a.id AND a.candidate_id = $1
           AND ((t.actor_role <> 'service' AND t.reason <> '')
                OR (t.actor_role = 'candidate' AND t.actor_subject <> ''))",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // The verdict frozen at the hire keeps its rule set, standing and aids (what the company
    // was told); the young person's facts and the checks quoting them go.
    let placements = sqlx::query(
        "UPDATE placements SET end_note = '',
             frozen = CASE WHEN frozen IS NULL THEN NULL
                           ELSE (frozen - 'candidate') #- '{verdict,checks}' END
         WHERE candidate_id = $1
           AND (end_note <> '' OR frozen ? 'candidate' OR frozen #> '{verdict,checks}' IS NOT NULL)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let label_decisions = sqlx::query(
        "UPDATE label_decisions SET reason = '' WHERE candidate_id = $1 AND reason <> ''",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(Anonymised {
        applications,
        transitions,
        placements,
        label_decisions,
    })
}
