//! Bpifrance's label decisions in PostgreSQL: inserted, never updated. The schema's unique
//! indexes keep one first decision per placement and one reconsideration per decision, so two
//! reviewers deciding at once cannot both succeed; the loser gets [`StoreError::Duplicate`].

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;
use vte_domain::{CandidateId, LabelDecisionId, PlacementId};

use super::applications::actor;
use super::error::{StoreError, corrupt, on_insert};
use super::{Page, PageCursor, PageRequest};
use crate::domain::values::LabelReason;
use crate::domain::{LabelDecision, LabelOutcome};

/// The columns a [`LabelDecisionRow`] reads (also the keys of `to_jsonb` of a row).
macro_rules! label_columns {
    () => {
        "id, placement_id, candidate_id, outcome, reason, reconsiders, actor_role, actor_subject, \
         actor_tenant, decided_at"
    };
}

/// Saves a decision. A second first decision on a placement is refused with
/// [`UniqueRule::OneFirstLabelDecision`], a second reconsideration of one decision with
/// [`UniqueRule::OneReconsiderationPerDecision`].
///
/// [`UniqueRule::OneFirstLabelDecision`]: super::UniqueRule::OneFirstLabelDecision
/// [`UniqueRule::OneReconsiderationPerDecision`]: super::UniqueRule::OneReconsiderationPerDecision
pub async fn insert_label_decision(
    conn: &mut PgConnection,
    decision: &LabelDecision,
) -> Result<(), StoreError> {
    let actor = &decision.decided_by;
    sqlx::query(concat!(
        "INSERT INTO label_decisions (",
        label_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
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
    .execute(conn)
    .await
    .map_err(on_insert)?;
    Ok(())
}

/// Every decision on the placement, oldest first: the history
/// [`decide_label`](crate::domain::decide_label) needs.
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
            decided_by: actor(&self.actor_role, self.actor_subject, self.actor_tenant)
                .map_err(|e| corrupt(&what, e))?,
            decided_at: self.decided_at,
            reconsiders: self.reconsiders.map(LabelDecisionId::from_uuid),
        })
    }
}
