//! Invitations to apply in PostgreSQL: one row each, saved whole and guarded by the revision it
//! was read at. A partial unique index keeps one pending invitation per offer and candidate;
//! the counts the limits against spam read are here too.

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{ApplicationId, CandidateId, OfferId, Siren};

use super::applications::actor;
use super::error::{StoreError, convert, corrupt, one_row};
use super::lists::{ListScope, fetch_page};
use super::{Page, PageCursor, PageRequest};
use crate::domain::values::Note;
use crate::domain::{Actor, Invitation, InvitationId, InvitationStatus};

/// The select every read shares.
macro_rules! invitation_select {
    () => {
        "SELECT id, offer_id, company_siren, candidate_id, status, message, invited_role,
             invited_subject, invited_tenant, invited_at, answered_role, answered_subject,
             answered_tenant, answered_at, application_id, decline_reason, revision, updated_at
         FROM invitations "
    };
}

/// Filters and order of a list page: `$2` statuses (empty: all), `$3`/`$4` the cursor,
/// `$5` the limit.
macro_rules! invitation_page {
    () => {
        " AND (cardinality($2::text[]) = 0 OR status = ANY($2))
          AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4::uuid))
         ORDER BY updated_at DESC, id DESC
         LIMIT $5"
    };
}

/// Saves a new invitation. Returns `false`, writing nothing, when the candidate already has a
/// pending invitation to the offer.
pub async fn insert_invitation(
    conn: &mut PgConnection,
    invitation: &Invitation,
) -> Result<bool, StoreError> {
    let (role, subject, tenant) = columns(&invitation.invited_by);
    let done = sqlx::query(
        "INSERT INTO invitations (id, offer_id, company_siren, candidate_id, status, message,
             invited_role, invited_subject, invited_tenant, invited_at, revision, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (offer_id, candidate_id) WHERE status = 'PENDING' DO NOTHING",
    )
    .bind(invitation.id.as_uuid())
    .bind(invitation.offer_id.as_uuid())
    .bind(invitation.company_siren.to_string())
    .bind(invitation.candidate_id.as_uuid())
    .bind(invitation.status.as_str())
    .bind(invitation.message.as_ref().map_or("", |m| m.as_str()))
    .bind(role)
    .bind(subject)
    .bind(tenant)
    .bind(invitation.invited_at)
    .bind(convert::<i64, _>(invitation.revision, "revision")?)
    .bind(invitation.updated_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Saves `invitation`'s answer over the stored one, provided the stored one is still at
/// `previous_revision`; otherwise writes nothing and returns [`StoreError::ConcurrentChange`].
pub async fn save_invitation(
    conn: &mut PgConnection,
    invitation: &Invitation,
    previous_revision: u64,
) -> Result<(), StoreError> {
    let answered = invitation.answered_by.as_ref().map(columns);
    let done = sqlx::query(
        "UPDATE invitations SET status = $2, answered_role = $3, answered_subject = $4,
             answered_tenant = $5, answered_at = $6, application_id = $7, decline_reason = $8,
             revision = $9, updated_at = $10
         WHERE id = $1 AND revision = $11",
    )
    .bind(invitation.id.as_uuid())
    .bind(invitation.status.as_str())
    .bind(answered.map(|(role, _, _)| role))
    .bind(answered.map(|(_, subject, _)| subject))
    .bind(answered.map(|(_, _, tenant)| tenant))
    .bind(invitation.answered_at)
    .bind(invitation.application_id.map(|id| id.as_uuid()))
    .bind(
        invitation
            .decline_reason
            .as_ref()
            .map_or("", |r| r.as_str()),
    )
    .bind(convert::<i64, _>(invitation.revision, "revision")?)
    .bind(invitation.updated_at)
    .bind(convert::<i64, _>(previous_revision, "previous revision")?)
    .execute(conn)
    .await?;
    one_row(done)
}

/// The invitation, locked until the end of the caller's transaction (`FOR UPDATE`).
pub async fn lock_invitation(
    conn: &mut PgConnection,
    id: InvitationId,
) -> Result<Option<Invitation>, StoreError> {
    let row: Option<InvitationRow> =
        sqlx::query_as(concat!(invitation_select!(), "WHERE id = $1 FOR UPDATE"))
            .bind(id.as_uuid())
            .fetch_optional(conn)
            .await?;
    row.map(InvitationRow::into_invitation).transpose()
}

/// The candidate's pending invitation to the offer, locked, if there is one.
pub async fn lock_pending_invitation(
    conn: &mut PgConnection,
    offer: OfferId,
    candidate: CandidateId,
) -> Result<Option<Invitation>, StoreError> {
    let row: Option<InvitationRow> = sqlx::query_as(concat!(
        invitation_select!(),
        "WHERE offer_id = $1 AND candidate_id = $2 AND status = 'PENDING' FOR UPDATE"
    ))
    .bind(offer.as_uuid())
    .bind(candidate.as_uuid())
    .fetch_optional(conn)
    .await?;
    row.map(InvitationRow::into_invitation).transpose()
}

/// The pending invitations of an offer (those its end expires) or of a candidate (those their
/// erasure expires), locked by id.
pub async fn pending_invitations(
    conn: &mut PgConnection,
    scope: ListScope,
) -> Result<Vec<Invitation>, StoreError> {
    let (sql, key) = scope.query(
        concat!(
            invitation_select!(),
            "WHERE offer_id = $1 AND status = 'PENDING' ORDER BY id FOR UPDATE"
        ),
        concat!(
            invitation_select!(),
            "WHERE candidate_id = $1 AND status = 'PENDING' ORDER BY id FOR UPDATE"
        ),
    );
    let rows: Vec<InvitationRow> = sqlx::query_as(sql).bind(key).fetch_all(conn).await?;
    rows.into_iter()
        .map(InvitationRow::into_invitation)
        .collect()
}

/// Blanks the personal free text of an erased candidate's invitations: the companies' messages
/// to them (which may name them), their reasons to decline and their own token subject where
/// they answered. Statuses, dates, roles and ids stay; revisions do not move. Returns how many
/// rows changed; running it again changes nothing.
pub async fn anonymise_candidate_invitations(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE invitations SET message = '', decline_reason = '',
             answered_subject = CASE WHEN answered_role = 'candidate' THEN ''
                                     ELSE answered_subject END
         WHERE candidate_id = $1
           AND (message <> '' OR decline_reason <> ''
                OR (answered_role = 'candidate' AND answered_subject <> ''))",
    )
    .bind(candidate.as_uuid())
    .execute(conn)
    .await?
    .rows_affected())
}

/// How many invitations to the offer are pending.
pub async fn count_pending_of_offer<'e>(
    executor: impl PgExecutor<'e>,
    offer: OfferId,
) -> Result<u32, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invitations WHERE offer_id = $1 AND status = 'PENDING'",
    )
    .bind(offer.as_uuid())
    .fetch_one(executor)
    .await?;
    convert(count, "pending invitations")
}

/// How many invitations the company sent in the 24 hours before `now`, whatever became of
/// them. Takes the company's allowance lock first (transaction-scoped), so that concurrent
/// invitations to its several offers count each other.
pub async fn count_sent_by_company_since(
    conn: &mut PgConnection,
    company: &Siren,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('invitations of ' || $1))")
        .bind(company.to_string())
        .execute(&mut *conn)
        .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invitations WHERE company_siren = $1 AND invited_at > $2",
    )
    .bind(company.to_string())
    .bind(now - Duration::hours(24))
    .fetch_one(conn)
    .await?;
    convert(count, "invitations sent")
}

/// Whether the candidate has an open application (SUBMITTED, IN_REVIEW, INTERVIEW) to the
/// offer.
pub async fn has_open_application<'e>(
    executor: impl PgExecutor<'e>,
    offer: OfferId,
    candidate: CandidateId,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM applications WHERE offer_id = $1 AND candidate_id = $2
             AND status IN ('SUBMITTED', 'IN_REVIEW', 'INTERVIEW'))",
    )
    .bind(offer.as_uuid())
    .bind(candidate.as_uuid())
    .fetch_one(executor)
    .await?)
}

/// A page of invitations in `scope`, most recently changed first; only those in `statuses`
/// unless it is empty.
pub async fn list_invitations<'e>(
    executor: impl PgExecutor<'e>,
    scope: ListScope,
    statuses: &[InvitationStatus],
    page: PageRequest,
) -> Result<Page<Invitation>, StoreError> {
    let query = scope.query(
        concat!(
            invitation_select!(),
            "WHERE offer_id = $1",
            invitation_page!()
        ),
        concat!(
            invitation_select!(),
            "WHERE candidate_id = $1",
            invitation_page!()
        ),
    );
    let statuses = statuses.iter().map(|s| s.as_str()).collect();
    fetch_page(
        executor,
        query,
        statuses,
        page,
        InvitationRow::into_invitation,
        |i| PageCursor {
            at: i.updated_at,
            id: i.id.as_uuid(),
        },
    )
    .await
}

fn columns(actor: &Actor) -> (&'static str, &str, &str) {
    (
        actor.role.as_str(),
        actor.subject.as_str(),
        actor.tenant_id.as_deref().unwrap_or_default(),
    )
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    offer_id: Uuid,
    company_siren: String,
    candidate_id: Uuid,
    status: String,
    message: String,
    invited_role: String,
    invited_subject: String,
    invited_tenant: String,
    invited_at: DateTime<Utc>,
    answered_role: Option<String>,
    answered_subject: Option<String>,
    answered_tenant: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    application_id: Option<Uuid>,
    decline_reason: String,
    revision: i64,
    updated_at: DateTime<Utc>,
}

impl InvitationRow {
    fn into_invitation(self) -> Result<Invitation, StoreError> {
        let what = format!("invitation {}", self.id);
        let bad = |e: &dyn std::fmt::Display| corrupt(&what, e);
        let answered_by = match self.answered_role {
            Some(role) => Some(
                actor(
                    &role,
                    self.answered_subject.unwrap_or_default(),
                    self.answered_tenant.unwrap_or_default(),
                )
                .map_err(|e| bad(&e))?,
            ),
            None => None,
        };
        Ok(Invitation {
            id: InvitationId::from_uuid(self.id),
            offer_id: OfferId::from_uuid(self.offer_id),
            company_siren: Siren::parse(&self.company_siren).map_err(|e| bad(&e))?,
            candidate_id: CandidateId::from_uuid(self.candidate_id),
            status: InvitationStatus::parse(&self.status)
                .ok_or_else(|| bad(&"its status is not one the service knows"))?,
            message: Note::parse_optional(&self.message).map_err(|e| bad(&e))?,
            invited_by: actor(
                &self.invited_role,
                self.invited_subject,
                self.invited_tenant,
            )
            .map_err(|e| bad(&e))?,
            invited_at: self.invited_at,
            answered_by,
            answered_at: self.answered_at,
            application_id: self.application_id.map(ApplicationId::from_uuid),
            decline_reason: Note::parse_optional(&self.decline_reason).map_err(|e| bad(&e))?,
            revision: convert(self.revision, "revision")?,
            updated_at: self.updated_at,
        })
    }
}
