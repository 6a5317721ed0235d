//! A placement's label in PostgreSQL: the company's dossier versions, the young person's charter
//! acknowledgement, Bpifrance's decisions and the appeals, each inserted and never updated;
//! `label_cases`, one row per requested label, says where it stands for Bpifrance's queue, and
//! the reminders sent before a window closes (module `queue`). The use cases lock the placement
//! first, so its label steps are serialised; the unique indexes (one decision per dossier
//! version, one per appeal, one appeal per refusal) stand behind that lock.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{CandidateId, LabelDecisionId, PlacementId};

use super::applications::actor;
use super::error::{StoreError, convert, corrupt, on_insert};
use super::{Page, PageCursor, PageRequest};
use crate::domain::label::{ManagementLink, Responsibilities};
use crate::domain::values::LabelReason;
use crate::domain::{
    Actor, CharterAcknowledgement, LabelAppeal, LabelAppealId, LabelDecision, LabelHistory,
    LabelOutcome, LabelRequest, LabelRequestId,
};

mod queue;

pub use queue::{
    label_queue, record_reminder, reminders_sent, save_label_case, stored_label_status,
    unrequested_started_between,
};

/// The columns a [`LabelDecisionRow`] reads (also the keys of `to_jsonb` of a row).
macro_rules! label_columns {
    () => {
        "id, placement_id, candidate_id, outcome, reason, reconsiders, actor_role, actor_subject, \
         actor_tenant, decided_at, request_id, appeal_id"
    };
}

/// Saves a decision. The unique indexes refuse a second decision on one dossier version or
/// one appeal, and a second reconsideration of one decision.
pub async fn insert_label_decision(
    conn: &mut PgConnection,
    decision: &LabelDecision,
) -> Result<(), StoreError> {
    let actor = &decision.decided_by;
    sqlx::query(concat!(
        "INSERT INTO label_decisions (",
        label_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(decision.id.as_uuid())
    .bind(decision.placement_id.as_uuid())
    .bind(decision.candidate_id.as_uuid())
    .bind(decision.outcome.as_str())
    .bind(decision.reason.as_ref().map_or("", |r| r.as_str()))
    .bind(decision.reconsiders.map(|id| id.as_uuid()))
    .bind(actor.role.as_str())
    .bind(&actor.subject)
    .bind(actor.tenant_id.as_deref().unwrap_or_default())
    .bind(decision.decided_at)
    .bind(decision.request.map(|id| id.as_uuid()))
    .bind(decision.appeal.map(|id| id.as_uuid()))
    .execute(conn)
    .await
    .map_err(on_insert)?;
    Ok(())
}

/// Saves a dossier version; a second version of one number is refused as a duplicate.
pub async fn insert_label_request(
    conn: &mut PgConnection,
    request: &LabelRequest,
) -> Result<(), StoreError> {
    let actor = &request.requested_by;
    sqlx::query(
        "INSERT INTO label_requests (id, placement_id, version, responsibilities,
             management_link, company_charter, answers_decision, actor_role, actor_subject,
             actor_tenant, requested_at)
         VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10)",
    )
    .bind(request.id.as_uuid())
    .bind(request.placement_id.as_uuid())
    .bind(convert::<i32, _>(request.version, "version")?)
    .bind(request.responsibilities.as_str())
    .bind(request.management_link.as_str())
    .bind(request.answers.map(|id| id.as_uuid()))
    .bind(actor.role.as_str())
    .bind(&actor.subject)
    .bind(actor.tenant_id.as_deref().unwrap_or_default())
    .bind(request.requested_at)
    .execute(conn)
    .await
    .map_err(on_insert)?;
    Ok(())
}

/// Saves the young person's acknowledgement; a second one changes nothing.
pub async fn insert_charter_acknowledgement(
    conn: &mut PgConnection,
    acknowledgement: &CharterAcknowledgement,
) -> Result<(), StoreError> {
    let actor = &acknowledgement.acknowledged_by;
    sqlx::query(
        "INSERT INTO label_charter_acknowledgements (placement_id, actor_role, actor_subject,
             actor_tenant, acknowledged_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (placement_id) DO NOTHING",
    )
    .bind(acknowledgement.placement_id.as_uuid())
    .bind(actor.role.as_str())
    .bind(&actor.subject)
    .bind(actor.tenant_id.as_deref().unwrap_or_default())
    .bind(acknowledgement.acknowledged_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves an appeal; a second appeal of one refusal is refused as a duplicate.
pub async fn insert_label_appeal(
    conn: &mut PgConnection,
    appeal: &LabelAppeal,
) -> Result<(), StoreError> {
    let actor = &appeal.appealed_by;
    sqlx::query(
        "INSERT INTO label_appeals (id, placement_id, appeals, reason, actor_role,
             actor_subject, actor_tenant, appealed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(appeal.id.as_uuid())
    .bind(appeal.placement_id.as_uuid())
    .bind(appeal.appeals.as_uuid())
    .bind(appeal.reason.as_ref().map_or("", |reason| reason.as_str()))
    .bind(actor.role.as_str())
    .bind(&actor.subject)
    .bind(actor.tenant_id.as_deref().unwrap_or_default())
    .bind(appeal.appealed_at)
    .execute(conn)
    .await
    .map_err(on_insert)?;
    Ok(())
}

/// Everything recorded about the placement's label, each list oldest first.
pub async fn load_label_history(
    conn: &mut PgConnection,
    placement: PlacementId,
) -> Result<LabelHistory, StoreError> {
    let id = placement.as_uuid();
    let requests: Vec<RequestRow> = sqlx::query_as(
        "SELECT id, placement_id, version, responsibilities, management_link, answers_decision,
             actor_role, actor_subject, actor_tenant, requested_at
         FROM label_requests WHERE placement_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let acknowledgement: Option<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT actor_role, actor_subject, actor_tenant, acknowledged_at
         FROM label_charter_acknowledgements WHERE placement_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let appeals: Vec<AppealRow> = sqlx::query_as(
        "SELECT id, placement_id, appeals, reason, actor_role, actor_subject, actor_tenant,
             appealed_at
         FROM label_appeals WHERE placement_id = $1 ORDER BY appealed_at, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let decisions = label_history(&mut *conn, placement).await?;
    let acknowledgement = acknowledgement
        .map(|(role, subject, tenant, at)| {
            Ok::<_, StoreError>(CharterAcknowledgement {
                placement_id: placement,
                acknowledged_by: stored_actor("charter acknowledgement", role, subject, tenant)?,
                acknowledged_at: at,
            })
        })
        .transpose()?;
    Ok(LabelHistory {
        requests: requests
            .into_iter()
            .map(RequestRow::into_request)
            .collect::<Result<_, _>>()?,
        acknowledgement,
        decisions,
        appeals: appeals
            .into_iter()
            .map(AppealRow::into_appeal)
            .collect::<Result<_, _>>()?,
    })
}

/// Every decision on the placement, oldest first.
pub async fn label_history<'e>(
    executor: impl PgExecutor<'e>,
    placement: PlacementId,
) -> Result<Vec<LabelDecision>, StoreError> {
    let rows: Vec<LabelDecisionRow> = sqlx::query_as(concat!(
        "SELECT ",
        label_columns!(),
        " FROM label_decisions WHERE placement_id = $1 ORDER BY decided_at, id"
    ))
    .bind(placement.as_uuid())
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(LabelDecisionRow::into_decision)
        .collect()
}

/// Blanks what was written about an erased young person in their placements' labels: the
/// reasons of the appeals (the company's and their own) and their own account id where they
/// acted (the charter acknowledgement, their appeals). Statuses, dates, roles and ids stay, so
/// the history still reads; the company's dossier, about the post, stays. Run it in the
/// transaction that records the erasure, beside
/// [`anonymise_candidate_applications`](super::anonymise_candidate_applications) (which blanks
/// the decisions' reasons); running it again changes nothing. Returns the rows changed.
pub async fn anonymise_candidate_labels(
    conn: &mut PgConnection,
    candidate: CandidateId,
) -> Result<u64, StoreError> {
    let id = candidate.as_uuid();
    let appeals = sqlx::query(
        "UPDATE label_appeals a SET reason = '',
             actor_subject = CASE WHEN a.actor_role = 'candidate' THEN '' ELSE a.actor_subject END
         FROM placements p
         WHERE a.placement_id = p.id AND p.candidate_id = $1
           AND (a.reason <> '' OR (a.actor_role = 'candidate' AND a.actor_subject <> ''))",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let acknowledgements = sqlx::query(
        "UPDATE label_charter_acknowledgements c SET actor_subject = ''
         FROM placements p
         WHERE c.placement_id = p.id AND p.candidate_id = $1
           AND c.actor_role = 'candidate' AND c.actor_subject <> ''",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(appeals + acknowledgements)
}

/// Whose decisions a list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelScope {
    /// Decisions on this placement.
    Placement(PlacementId),
    /// Decisions on every placement of this candidate.
    Candidate(CandidateId),
}

/// A page of decisions in `scope`, oldest first (the history reads forward).
pub async fn list_label_decisions<'e>(
    executor: impl PgExecutor<'e>,
    scope: LabelScope,
    page: PageRequest,
) -> Result<Page<LabelDecision>, StoreError> {
    let (sql, key) = match scope {
        LabelScope::Placement(id) => (
            concat!(
                "SELECT ",
                label_columns!(),
                " FROM label_decisions WHERE placement_id = $1
                   AND ($2::timestamptz IS NULL OR (decided_at, id) > ($2, $3::uuid))
                 ORDER BY decided_at, id LIMIT $4"
            ),
            id.as_uuid(),
        ),
        LabelScope::Candidate(id) => (
            concat!(
                "SELECT ",
                label_columns!(),
                " FROM label_decisions WHERE candidate_id = $1
                   AND ($2::timestamptz IS NULL OR (decided_at, id) > ($2, $3::uuid))
                 ORDER BY decided_at, id LIMIT $4"
            ),
            id.as_uuid(),
        ),
    };
    let rows: Vec<LabelDecisionRow> = sqlx::query_as(sql)
        .bind(key)
        .bind(page.after_at())
        .bind(page.after_id())
        .bind(page.fetch_limit())
        .fetch_all(executor)
        .await?;
    let decisions = rows
        .into_iter()
        .map(LabelDecisionRow::into_decision)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(decisions, |d| PageCursor {
        at: d.decided_at,
        id: d.id.as_uuid(),
    }))
}

fn stored_actor(
    what: &str,
    role: String,
    subject: String,
    tenant: String,
) -> Result<Actor, StoreError> {
    actor(&role, subject, tenant).map_err(|e| corrupt(what, e))
}

/// A decision as stored: read as a row, or as the JSON of a row (a placement's latest).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct LabelDecisionRow {
    id: Uuid,
    placement_id: Uuid,
    candidate_id: Uuid,
    outcome: String,
    reason: String,
    reconsiders: Option<Uuid>,
    actor_role: String,
    actor_subject: String,
    actor_tenant: String,
    decided_at: DateTime<Utc>,
    #[serde(default)]
    request_id: Option<Uuid>,
    #[serde(default)]
    appeal_id: Option<Uuid>,
}

impl LabelDecisionRow {
    pub(crate) fn into_decision(self) -> Result<LabelDecision, StoreError> {
        let what = format!("label decision {}", self.id);
        Ok(LabelDecision {
            id: LabelDecisionId::from_uuid(self.id),
            placement_id: PlacementId::from_uuid(self.placement_id),
            candidate_id: CandidateId::from_uuid(self.candidate_id),
            outcome: LabelOutcome::parse(&self.outcome).map_err(|e| corrupt(&what, e))?,
            reason: LabelReason::parse_optional(&self.reason).map_err(|e| corrupt(&what, e))?,
            decided_by: stored_actor(
                &what,
                self.actor_role,
                self.actor_subject,
                self.actor_tenant,
            )?,
            decided_at: self.decided_at,
            reconsiders: self.reconsiders.map(LabelDecisionId::from_uuid),
            request: self.request_id.map(LabelRequestId::from_uuid),
            appeal: self.appeal_id.map(LabelAppealId::from_uuid),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    placement_id: Uuid,
    version: i32,
    responsibilities: String,
    management_link: String,
    answers_decision: Option<Uuid>,
    actor_role: String,
    actor_subject: String,
    actor_tenant: String,
    requested_at: DateTime<Utc>,
}

impl RequestRow {
    fn into_request(self) -> Result<LabelRequest, StoreError> {
        let what = format!("label request {}", self.id);
        Ok(LabelRequest {
            id: LabelRequestId::from_uuid(self.id),
            placement_id: PlacementId::from_uuid(self.placement_id),
            version: convert(self.version, "version")?,
            responsibilities: Responsibilities::parse(&self.responsibilities)
                .map_err(|e| corrupt(&what, e))?,
            management_link: ManagementLink::parse(&self.management_link)
                .map_err(|e| corrupt(&what, e))?,
            requested_by: stored_actor(
                &what,
                self.actor_role,
                self.actor_subject,
                self.actor_tenant,
            )?,
            requested_at: self.requested_at,
            answers: self.answers_decision.map(LabelDecisionId::from_uuid),
        })
    }
}

#[derive(sqlx::FromRow)]
struct AppealRow {
    id: Uuid,
    placement_id: Uuid,
    appeals: Uuid,
    reason: String,
    actor_role: String,
    actor_subject: String,
    actor_tenant: String,
    appealed_at: DateTime<Utc>,
}

impl AppealRow {
    fn into_appeal(self) -> Result<LabelAppeal, StoreError> {
        let what = format!("label appeal {}", self.id);
        Ok(LabelAppeal {
            id: LabelAppealId::from_uuid(self.id),
            placement_id: PlacementId::from_uuid(self.placement_id),
            appeals: LabelDecisionId::from_uuid(self.appeals),
            reason: LabelReason::parse_optional(&self.reason).map_err(|e| corrupt(&what, e))?,
            appealed_by: stored_actor(
                &what,
                self.actor_role,
                self.actor_subject,
                self.actor_tenant,
            )?,
            appealed_at: self.appealed_at,
        })
    }
}
