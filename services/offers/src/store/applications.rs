//! Applications in PostgreSQL, each with its log in `application_transitions`: a save updates
//! the row (guarded by the revision it was read at) and appends only the log entries the
//! store does not have yet. Reads bring the whole log with each application in one query. The
//! candidate's message is written once, at submission, and never rewritten by a save.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{ApplicationId, CandidateId, OfferId, PlacementId, SchoolId, Siren};

use super::error::{StoreError, convert, corrupt, on_insert, one_row};
use super::lists::{ListScope, fetch_page};
use super::{Page, PageCursor, PageRequest};
use crate::domain::values::{ApplicationMessage, Note};
use crate::domain::{
    Actor, Application, ApplicationStatus, ApplicationTransition, Role, UNANSWERED_EXPIRY,
};

/// The select every read shares: the application's columns and its log as a JSON array,
/// oldest first. Locking reads add `FOR UPDATE OF a`, which leaves the log unlocked (it is
/// only appended to, under the application's lock).
macro_rules! application_select {
    () => {
        "SELECT a.id, a.offer_id, a.company_siren, a.candidate_id, a.school_id, a.status,
             a.revision, a.message, a.interview_at, a.placement_id, a.submitted_at, a.updated_at,
             (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.seq), '[]')
              FROM application_transitions t WHERE t.application_id = a.id) AS transitions
         FROM applications a "
    };
}

/// Filters and order of a list page: `$2` statuses (empty: all), `$3`/`$4` the cursor,
/// `$5` the limit.
macro_rules! application_page {
    () => {
        " AND (cardinality($2::text[]) = 0 OR a.status = ANY($2))
          AND ($3::timestamptz IS NULL OR (a.updated_at, a.id) < ($3, $4::uuid))
         ORDER BY a.updated_at DESC, a.id DESC
         LIMIT $5"
    };
}

/// Saves a new application with its log (its submission). A second open application of the
/// candidate to the offer is refused with [`UniqueRule::OneOpenApplicationPerOffer`].
///
/// [`UniqueRule::OneOpenApplicationPerOffer`]: super::UniqueRule::OneOpenApplicationPerOffer
pub async fn insert_application(
    conn: &mut PgConnection,
    application: &Application,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO applications (id, offer_id, company_siren, candidate_id, school_id, status,
             revision, message, interview_at, placement_id, submitted_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(application.id.as_uuid())
    .bind(application.offer_id.as_uuid())
    .bind(application.company_siren.to_string())
    .bind(application.candidate_id.as_uuid())
    .bind(application.school_id.map(|id| id.as_uuid()))
    .bind(application.status.as_str())
    .bind(convert::<i64, _>(application.revision, "revision")?)
    .bind(application.message.as_ref().map_or("", |m| m.as_str()))
    .bind(application.interview_at)
    .bind(application.placement_id.map(|id| id.as_uuid()))
    .bind(application.submitted_at)
    .bind(application.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(on_insert)?;
    append_transitions(conn, application).await
}

/// Saves `application` over the stored one, provided the stored one is still at
/// `previous_revision`, and appends the log entries added since; otherwise writes nothing and
/// returns [`StoreError::ConcurrentChange`].
pub async fn save_application(
    conn: &mut PgConnection,
    application: &Application,
    previous_revision: u64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE applications SET status = $2, revision = $3, interview_at = $4,
             placement_id = $5, updated_at = $6
         WHERE id = $1 AND revision = $7",
    )
    .bind(application.id.as_uuid())
    .bind(application.status.as_str())
    .bind(convert::<i64, _>(application.revision, "revision")?)
    .bind(application.interview_at)
    .bind(application.placement_id.map(|id| id.as_uuid()))
    .bind(application.updated_at)
    .bind(convert::<i64, _>(previous_revision, "previous revision")?)
    .execute(&mut *conn)
    .await?;
    one_row(done)?;
    append_transitions(conn, application).await
}

/// Appends the entries of the application's log beyond those stored (entry `n` is `seq` n,
/// from 1).
async fn append_transitions(
    conn: &mut PgConnection,
    application: &Application,
) -> Result<(), StoreError> {
    let log = &application.transitions;
    let mut seqs = Vec::with_capacity(log.len());
    for seq in 1..=log.len() {
        seqs.push(convert::<i32, _>(seq, "log entry")?);
    }
    sqlx::query(
        "INSERT INTO application_transitions (application_id, seq, from_status, to_status,
             actor_role, actor_subject, actor_tenant, at, reason)
         SELECT $1, t.seq, t.from_status, t.to_status, t.actor_role, t.actor_subject,
             t.actor_tenant, t.at, t.reason
         FROM UNNEST($2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::timestamptz[], $9::text[])
           AS t (seq, from_status, to_status, actor_role, actor_subject, actor_tenant, at, reason)
         WHERE t.seq > (SELECT coalesce(max(seq), 0) FROM application_transitions
                        WHERE application_id = $1)",
    )
    .bind(application.id.as_uuid())
    .bind(seqs)
    .bind(
        log.iter()
            .map(|t| t.from.map(|s| s.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(log.iter().map(|t| t.to.as_str()).collect::<Vec<_>>())
    .bind(
        log.iter()
            .map(|t| t.actor.role.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        log.iter()
            .map(|t| t.actor.subject.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        log.iter()
            .map(|t| t.actor.tenant_id.as_deref().unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .bind(log.iter().map(|t| t.at).collect::<Vec<_>>())
    .bind(
        log.iter()
            .map(|t| t.reason.as_ref().map_or("", |r| r.as_str()))
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The application with its whole log, if it exists.
pub async fn load_application<'e>(
    executor: impl PgExecutor<'e>,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    let row: Option<ApplicationRow> =
        sqlx::query_as(concat!(application_select!(), "WHERE a.id = $1"))
            .bind(id.as_uuid())
            .fetch_optional(executor)
            .await?;
    row.map(ApplicationRow::into_application).transpose()
}

/// The application, locked until the end of the caller's transaction (`FOR UPDATE`).
pub async fn lock_application(
    conn: &mut PgConnection,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    let row: Option<ApplicationRow> = sqlx::query_as(concat!(
        application_select!(),
        "WHERE a.id = $1 FOR UPDATE OF a"
    ))
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await?;
    row.map(ApplicationRow::into_application).transpose()
}

/// Whose applications a list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationScope {
    /// Applications to this offer.
    Offer(OfferId),
    /// This candidate's applications.
    Candidate(CandidateId),
    /// Applications of this school's students (made while the candidate was at the school).
    School(SchoolId),
}

impl From<ListScope> for ApplicationScope {
    fn from(scope: ListScope) -> Self {
        match scope {
            ListScope::Offer(id) => Self::Offer(id),
            ListScope::Candidate(id) => Self::Candidate(id),
        }
    }
}

/// A page of applications in `scope`, most recently updated first; only those in `statuses`
/// unless it is empty.
pub async fn list_applications<'e>(
    executor: impl PgExecutor<'e>,
    scope: ApplicationScope,
    statuses: &[ApplicationStatus],
    page: PageRequest,
) -> Result<Page<Application>, StoreError> {
    let query = match scope {
        ApplicationScope::Offer(id) => (
            concat!(
                application_select!(),
                "WHERE a.offer_id = $1",
                application_page!()
            ),
            id.as_uuid(),
        ),
        ApplicationScope::Candidate(id) => (
            concat!(
                application_select!(),
                "WHERE a.candidate_id = $1",
                application_page!()
            ),
            id.as_uuid(),
        ),
        ApplicationScope::School(id) => (
            concat!(
                application_select!(),
                "WHERE a.school_id = $1",
                application_page!()
            ),
            id.as_uuid(),
        ),
    };
    let statuses = statuses.iter().map(|s| s.as_str()).collect();
    fetch_page(
        executor,
        query,
        statuses,
        page,
        ApplicationRow::into_application,
        |a| PageCursor {
            at: a.updated_at,
            id: a.id.as_uuid(),
        },
    )
    .await
}

/// The open-and-locked tail of the queries for open applications.
macro_rules! open_locked {
    () => {
        "AND a.status IN ('SUBMITTED', 'IN_REVIEW', 'INTERVIEW') ORDER BY a.id FOR UPDATE OF a"
    };
}

/// The candidate's open applications (SUBMITTED, IN_REVIEW, INTERVIEW), locked for the
/// caller's transaction: those an acceptance makes obsolete.
pub async fn open_applications_of_candidate(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<Vec<Application>, StoreError> {
    let sql = concat!(
        application_select!(),
        "WHERE a.candidate_id = $1 ",
        open_locked!()
    );
    open_applications(conn, sql, candidate.as_uuid()).await
}

/// The offer's open applications, locked for the caller's transaction: those an offer's end
/// closes out, and those its filling makes obsolete.
pub async fn open_applications_of_offer(
    conn: &mut PgConnection,
    offer: OfferId,
) -> Result<Vec<Application>, StoreError> {
    let sql = concat!(
        application_select!(),
        "WHERE a.offer_id = $1 ",
        open_locked!()
    );
    open_applications(conn, sql, offer.as_uuid()).await
}

/// The open applications an acceptance touches, locked for the caller's transaction in one
/// query and one order (by id): the candidate's (which it makes obsolete) and the offer's (which
/// its filling makes obsolete), each once. Lock the offer before calling this, as every writer
/// of an offer's applications does, so concurrent acceptances queue on the offer instead of
/// deadlocking on each other's applications.
pub async fn open_applications_around(
    conn: &mut PgConnection,
    candidate: CandidateId,
    offer: OfferId,
) -> Result<Vec<Application>, StoreError> {
    let sql = concat!(
        application_select!(),
        "WHERE (a.candidate_id = $1 OR a.offer_id = $2) ",
        open_locked!()
    );
    let rows: Vec<ApplicationRow> = sqlx::query_as(sql)
        .bind(candidate.as_uuid())
        .bind(offer.as_uuid())
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(ApplicationRow::into_application)
        .collect()
}

async fn open_applications(
    conn: &mut PgConnection,
    sql: &'static str,
    key: uuid::Uuid,
) -> Result<Vec<Application>, StoreError> {
    let rows: Vec<ApplicationRow> = sqlx::query_as(sql).bind(key).fetch_all(conn).await?;
    rows.into_iter()
        .map(ApplicationRow::into_application)
        .collect()
}

/// Applications left unanswered for [`UNANSWERED_EXPIRY`] at `now` (still SUBMITTED, submitted
/// at least 60 days ago), oldest first, at most `limit`, locked for the caller's transaction.
/// Applications another transaction holds are skipped (`SKIP LOCKED`), so sweeps on several
/// instances never take the same one.
pub async fn applications_due_for_expiry(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Application>, StoreError> {
    let rows: Vec<ApplicationRow> = sqlx::query_as(concat!(
        application_select!(),
        "WHERE a.status = 'SUBMITTED' AND a.submitted_at <= $1
         ORDER BY a.submitted_at, a.id
         LIMIT $2
         FOR UPDATE OF a SKIP LOCKED"
    ))
    .bind(now - UNANSWERED_EXPIRY)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(ApplicationRow::into_application)
        .collect()
}

/// An application as stored, with its log.
#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: Uuid,
    offer_id: Uuid,
    company_siren: String,
    candidate_id: Uuid,
    school_id: Option<Uuid>,
    status: String,
    revision: i64,
    message: String,
    interview_at: Option<DateTime<Utc>>,
    placement_id: Option<Uuid>,
    submitted_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    transitions: Json<Vec<TransitionRow>>,
}

/// One log entry as `to_jsonb` renders its row.
#[derive(serde::Deserialize)]
struct TransitionRow {
    from_status: Option<String>,
    to_status: String,
    actor_role: String,
    actor_subject: String,
    actor_tenant: String,
    at: DateTime<Utc>,
    reason: String,
}

impl ApplicationRow {
    fn into_application(self) -> Result<Application, StoreError> {
        let what = format!("application {}", self.id);
        let bad = |e: &dyn std::fmt::Display| corrupt(&what, e);
        let status = ApplicationStatus::parse(&self.status).map_err(|e| bad(&e))?;
        let transitions = self
            .transitions
            .0
            .into_iter()
            .map(|row| row.into_transition().map_err(|e| bad(&e)))
            .collect::<Result<Vec<_>, _>>()?;
        if transitions.last().map(|t| t.to) != Some(status) {
            return Err(bad(&"its status is not the last status of its log"));
        }
        Ok(Application {
            id: ApplicationId::from_uuid(self.id),
            offer_id: OfferId::from_uuid(self.offer_id),
            company_siren: Siren::parse(&self.company_siren).map_err(|e| bad(&e))?,
            candidate_id: CandidateId::from_uuid(self.candidate_id),
            school_id: self.school_id.map(SchoolId::from_uuid),
            status,
            transitions,
            interview_at: self.interview_at,
            revision: convert(self.revision, "revision")?,
            submitted_at: self.submitted_at,
            updated_at: self.updated_at,
            placement_id: self.placement_id.map(PlacementId::from_uuid),
            message: ApplicationMessage::parse_optional(&self.message).map_err(|e| bad(&e))?,
        })
    }
}

impl TransitionRow {
    fn into_transition(self) -> Result<ApplicationTransition, vte_domain::InvalidValue> {
        Ok(ApplicationTransition {
            from: self
                .from_status
                .as_deref()
                .map(ApplicationStatus::parse)
                .transpose()?,
            to: ApplicationStatus::parse(&self.to_status)?,
            actor: actor(&self.actor_role, self.actor_subject, self.actor_tenant)?,
            at: self.at,
            reason: Note::parse_optional(&self.reason)?,
        })
    }
}

/// An actor from its role, subject and tenant columns (an empty tenant is none).
pub(crate) fn actor(
    role: &str,
    subject: String,
    tenant: String,
) -> Result<Actor, vte_domain::InvalidValue> {
    let tenant = (!tenant.is_empty()).then_some(tenant);
    Ok(Actor::new(Role::parse(role)?, subject, tenant))
}
