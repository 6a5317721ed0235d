//! Placements in PostgreSQL. The workplace is kept by its INSEE code and resolved again when
//! read (for its names); what the hire was told (rule set, territory, facts, verdict, aids) is
//! the `frozen` JSON written once at the insert and never recomputed nor rewritten; the latest
//! label decision is read from the decisions' history, so it can never disagree with it. Writes
//! are guarded by the revision the placement was read at.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, Postgres};
use uuid::Uuid;
use vte_domain::{
    ApplicationId, CandidateId, Contract, ContractKind, MissionType, OfferId, PlacementId,
    SchoolId, Siren,
};
use vte_reference::ReferenceData;

use super::error::{StoreError, convert, corrupt, on_insert, one_row};
use super::labels::LabelDecisionRow;
use super::{Page, PageCursor, PageRequest};
use crate::domain::values::{CompanyName, Note, Title};
use crate::domain::{EarlyEnd, EarlyEndReason, Frozen, Location, Placement, PlacementStatus};

/// The select every read shares: the placement's columns and its latest label decision (the
/// last by decision time, then id, as the domain orders them) as JSON.
macro_rules! placement_select {
    () => {
        "SELECT p.id, p.application_id, p.offer_id, p.company_siren, p.company_name,
             p.offer_title, p.mission_type, p.candidate_id, p.school_id, p.status,
             p.contract_kind, p.duration_months, p.start_date, p.planned_end_date, p.insee,
             p.ended_on, p.end_reason, p.end_note, p.revision, p.created_at, p.updated_at,
             p.frozen,
             (SELECT to_jsonb(d) FROM label_decisions d WHERE d.placement_id = p.id
              ORDER BY d.decided_at DESC, d.id DESC LIMIT 1) AS latest_label_decision
         FROM placements p "
    };
}

/// Saves a new placement. A second placement for one application is refused with
/// [`UniqueRule::OnePlacementPerApplication`](super::UniqueRule::OnePlacementPerApplication).
pub async fn insert_placement(
    conn: &mut PgConnection,
    placement: &Placement,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "INSERT INTO placements (id, application_id, offer_id, company_siren, company_name,
             offer_title, mission_type, candidate_id, school_id, status, contract_kind,
             duration_months, start_date, planned_end_date, insee, ended_on, end_reason,
             end_note, revision, created_at, updated_at, frozen)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22)",
    );
    bind_placement(query, placement)?
        .bind(Json(&placement.frozen))
        .execute(conn)
        .await
        .map_err(on_insert)?;
    Ok(())
}

/// Saves `placement` over the stored one, provided the stored one is still at
/// `previous_revision`; otherwise writes nothing and returns
/// [`StoreError::ConcurrentChange`]. Its latest label decision is not written here: insert
/// the decision with [`insert_label_decision`](super::labels::insert_label_decision).
pub async fn save_placement(
    conn: &mut PgConnection,
    placement: &Placement,
    previous_revision: u64,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "UPDATE placements SET application_id = $2, offer_id = $3, company_siren = $4,
             company_name = $5, offer_title = $6, mission_type = $7, candidate_id = $8,
             school_id = $9, status = $10, contract_kind = $11, duration_months = $12,
             start_date = $13, planned_end_date = $14, insee = $15, ended_on = $16,
             end_reason = $17, end_note = $18, revision = $19, created_at = $20,
             updated_at = $21
         WHERE id = $1 AND revision = $22",
    );
    let previous: i64 = convert(previous_revision, "previous revision")?;
    let done = bind_placement(query, placement)?
        .bind(previous)
        .execute(conn)
        .await?;
    one_row(done)
}

/// The placement, if it exists.
pub async fn load_placement<'e>(
    executor: impl PgExecutor<'e>,
    id: PlacementId,
    reference: &ReferenceData,
) -> Result<Option<Placement>, StoreError> {
    let row: Option<PlacementRow> = sqlx::query_as(concat!(placement_select!(), "WHERE p.id = $1"))
        .bind(id.as_uuid())
        .fetch_optional(executor)
        .await?;
    row.map(|row| row.into_placement(reference)).transpose()
}

/// The placement, locked until the end of the caller's transaction (`FOR UPDATE`). Lock it
/// before deciding its label: its lock serialises the decisions on it.
pub async fn lock_placement(
    conn: &mut PgConnection,
    id: PlacementId,
    reference: &ReferenceData,
) -> Result<Option<Placement>, StoreError> {
    let row: Option<PlacementRow> = sqlx::query_as(concat!(
        placement_select!(),
        "WHERE p.id = $1 FOR UPDATE OF p"
    ))
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await?;
    row.map(|row| row.into_placement(reference)).transpose()
}

/// A placement made before the hire froze its rules, as [`unfrozen_placements`] finds it.
#[derive(Debug, Clone)]
pub struct Unfrozen {
    /// The placement.
    pub id: PlacementId,
    /// Its offer.
    pub offer_id: OfferId,
    /// The contract agreed.
    pub contract: Contract,
    /// Its first day.
    pub start_date: NaiveDate,
    /// The workplace.
    pub location: Location,
}

/// Up to `batch` placements whose rules are not frozen (made before this was done at the
/// hire), locked until the end of the caller's transaction; rows another transaction holds are
/// skipped (`SKIP LOCKED`) for the next round.
pub async fn unfrozen_placements(
    conn: &mut PgConnection,
    reference: &ReferenceData,
    batch: u32,
) -> Result<Vec<Unfrozen>, StoreError> {
    let rows: Vec<(Uuid, Uuid, String, String, Option<i32>, NaiveDate)> = sqlx::query_as(
        "SELECT id, offer_id, insee, contract_kind, duration_months, start_date FROM placements
         WHERE frozen IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(i64::from(batch))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, offer_id, insee, kind, months, start_date)| {
            let what = format!("placement {id}");
            let bad = |e: &dyn std::fmt::Display| corrupt(&what, e);
            let location = Location::resolve(reference, &insee).map_err(|e| bad(&e))?;
            let kind = ContractKind::parse(&kind).map_err(|e| bad(&e))?;
            let months = months
                .map(|m| convert::<u16, _>(m, "duration"))
                .transpose()?;
            Ok(Unfrozen {
                id: PlacementId::from_uuid(id),
                offer_id: OfferId::from_uuid(offer_id),
                contract: Contract::new(kind, months).map_err(|e| bad(&e))?,
                start_date,
                location,
            })
        })
        .collect()
}

/// Writes the frozen rules of a placement that had none; never overwrites frozen ones.
pub async fn freeze_placement(
    conn: &mut PgConnection,
    id: PlacementId,
    frozen: &Frozen,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE placements SET frozen = $2 WHERE id = $1 AND frozen IS NULL")
        .bind(id.as_uuid())
        .bind(Json(frozen))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Which placements a list reads; the filters combine with AND, and the default reads all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlacementFilter {
    /// Only this company's.
    pub company: Option<Siren>,
    /// Only this candidate's.
    pub candidate: Option<CandidateId>,
    /// Only this school's students'.
    pub school: Option<SchoolId>,
    /// Only these statuses; empty means all.
    pub statuses: Vec<PlacementStatus>,
    /// Only COMPLETED placements without any label decision (Bpifrance's queue).
    pub awaiting_label_only: bool,
}

/// A page of placements matching `filter`, most recently updated first.
pub async fn list_placements<'e>(
    executor: impl PgExecutor<'e>,
    filter: &PlacementFilter,
    page: PageRequest,
    reference: &ReferenceData,
) -> Result<Page<Placement>, StoreError> {
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
    let rows: Vec<PlacementRow> = sqlx::query_as(concat!(
        placement_select!(),
        "WHERE ($1::text IS NULL OR p.company_siren = $1)
           AND ($2::uuid IS NULL OR p.candidate_id = $2)
           AND ($3::uuid IS NULL OR p.school_id = $3)
           AND (cardinality($4::text[]) = 0 OR p.status = ANY($4))
           AND (NOT $5 OR (p.status = 'COMPLETED'
                AND NOT EXISTS (SELECT 1 FROM label_decisions d WHERE d.placement_id = p.id)))
           AND ($6::timestamptz IS NULL OR (p.updated_at, p.id) < ($6, $7::uuid))
         ORDER BY p.updated_at DESC, p.id DESC
         LIMIT $8"
    ))
    .bind(filter.company.map(|siren| siren.to_string()))
    .bind(filter.candidate.map(|id| id.as_uuid()))
    .bind(filter.school.map(|id| id.as_uuid()))
    .bind(statuses)
    .bind(filter.awaiting_label_only)
    .bind(page.after_at())
    .bind(page.after_id())
    .bind(page.fetch_limit())
    // An unnamed statement is planned with its values, so the filters left out (`$n IS NULL`)
    // fall away and the one given can use its index.
    .persistent(false)
    .fetch_all(executor)
    .await?;
    let placements = rows
        .into_iter()
        .map(|row| row.into_placement(reference))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(placements, |p| PageCursor {
        at: p.updated_at,
        id: p.id.as_uuid(),
    }))
}

/// Binds `$1` to `$21` in the order of [`insert_placement`]'s columns.
fn bind_placement<'q>(
    query: Query<'q, Postgres, PgArguments>,
    placement: &Placement,
) -> Result<Query<'q, Postgres, PgArguments>, StoreError> {
    let early_end = placement.early_end.as_ref();
    let duration: Option<i32> = placement.contract.duration_months().map(i32::from);
    Ok(query
        .bind(placement.id.as_uuid())
        .bind(placement.application_id.as_uuid())
        .bind(placement.offer_id.as_uuid())
        .bind(placement.company_siren.to_string())
        .bind(placement.company_name.as_str().to_owned())
        .bind(placement.offer_title.as_str().to_owned())
        .bind(placement.mission_type.code())
        .bind(placement.candidate_id.as_uuid())
        .bind(placement.school_id.map(|id| id.as_uuid()))
        .bind(placement.status.as_str())
        .bind(placement.contract.kind().code())
        .bind(duration)
        .bind(placement.start_date)
        .bind(placement.planned_end_date)
        .bind(placement.location.insee().to_string())
        .bind(placement.ended_on)
        .bind(early_end.map(|end| end.reason.as_str()))
        .bind(
            early_end
                .and_then(|end| end.note.as_ref())
                .map_or(String::new(), |note| note.as_str().to_owned()),
        )
        .bind(convert::<i64, _>(placement.revision, "revision")?)
        .bind(placement.created_at)
        .bind(placement.updated_at))
}

/// A placement as stored, with its latest label decision.
#[derive(sqlx::FromRow)]
struct PlacementRow {
    id: Uuid,
    application_id: Uuid,
    offer_id: Uuid,
    company_siren: String,
    company_name: String,
    offer_title: String,
    mission_type: String,
    candidate_id: Uuid,
    school_id: Option<Uuid>,
    status: String,
    contract_kind: String,
    duration_months: Option<i32>,
    start_date: NaiveDate,
    planned_end_date: NaiveDate,
    insee: String,
    ended_on: Option<NaiveDate>,
    end_reason: Option<String>,
    end_note: String,
    revision: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    frozen: Option<Json<Frozen>>,
    latest_label_decision: Option<Json<LabelDecisionRow>>,
}

impl PlacementRow {
    fn into_placement(self, reference: &ReferenceData) -> Result<Placement, StoreError> {
        let what = format!("placement {}", self.id);
        let bad = |e: &dyn std::fmt::Display| corrupt(&what, e);
        let location = Location::resolve(reference, &self.insee).map_err(|e| bad(&e))?;
        let kind = ContractKind::parse(&self.contract_kind).map_err(|e| bad(&e))?;
        let months = self
            .duration_months
            .map(|months| convert::<u16, _>(months, "duration"))
            .transpose()?;
        let contract = Contract::new(kind, months).map_err(|e| bad(&e))?;
        let early_end = match self.end_reason {
            None => None,
            Some(reason) => Some(EarlyEnd {
                reason: EarlyEndReason::parse(&reason).map_err(|e| bad(&e))?,
                note: Note::parse_optional(&self.end_note).map_err(|e| bad(&e))?,
            }),
        };
        Ok(Placement {
            id: PlacementId::from_uuid(self.id),
            application_id: ApplicationId::from_uuid(self.application_id),
            offer_id: OfferId::from_uuid(self.offer_id),
            company_siren: Siren::parse(&self.company_siren).map_err(|e| bad(&e))?,
            company_name: CompanyName::parse(&self.company_name).map_err(|e| bad(&e))?,
            offer_title: Title::parse(&self.offer_title).map_err(|e| bad(&e))?,
            mission_type: MissionType::parse(&self.mission_type).map_err(|e| bad(&e))?,
            candidate_id: CandidateId::from_uuid(self.candidate_id),
            school_id: self.school_id.map(SchoolId::from_uuid),
            contract,
            start_date: self.start_date,
            planned_end_date: self.planned_end_date,
            // Frozen at the hire; a placement from before that is frozen at start-up.
            frozen: self
                .frozen
                .ok_or_else(|| bad(&"its rules and aids are not frozen yet"))?
                .0,
            location,
            status: PlacementStatus::parse(&self.status).map_err(|e| bad(&e))?,
            ended_on: self.ended_on,
            early_end,
            latest_label_decision: self
                .latest_label_decision
                .map(|json| json.0.into_decision())
                .transpose()?,
            revision: convert(self.revision, "revision")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
