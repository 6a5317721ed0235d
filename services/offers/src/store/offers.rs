//! Offers in PostgreSQL. The content is kept as [`NewOffer`] JSON and checked again when read
//! (`validate_draft`, then `OfferSpec::try_from` for an offer that was published), so a loaded
//! offer is always a valid domain value; every write also sets the search copies from the
//! domain so that [`search`](super::search) finds published offers. Writes are guarded by the
//! revision the offer was read at, and the expiry sweep skips offers another instance holds.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, Postgres};
use uuid::Uuid;
use vte_domain::{ContractKind, EducationLevel, MissionType, OfferId, Siren};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use super::error::{StoreError, convert, corrupt, on_insert, one_row};
use super::{Page, PageCursor, PageRequest};
use crate::domain::values::CloseReason;
use crate::domain::{
    DraftSpec, NewOffer, Offer, OfferContent, OfferSpec, OfferStatus, Positions, validate_draft,
};

/// The columns an [`OfferRow`] reads.
macro_rules! offer_columns {
    () => {
        "id, company_siren, status, revision, spec, positions_filled, close_reason, created_at, \
         updated_at, published_at, ended_at"
    };
}

/// Saves a new offer (revision 1, usually a draft).
pub async fn insert_offer(
    conn: &mut PgConnection,
    offer: &Offer,
    reference: &ReferenceData,
    rules: &RuleBook,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "INSERT INTO offers (id, company_siren, status, revision, spec, positions_filled,
             close_reason, created_at, updated_at, published_at, ended_at, primary_mission,
             secondary_mission, contract_kind, min_level, max_level, insee, departement, region,
             territory_id, position, start_date, application_deadline, positions,
             positions_remaining, ecological_transition, territory_programme)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $20, point($21, $22), $23, $24, $25, $26, $27, $28)",
    );
    bind_offer(query, &OfferWrite::of(offer, reference, rules)?)
        .execute(conn)
        .await
        .map_err(on_insert)?;
    Ok(())
}

/// Saves `offer` over the stored one, provided the stored one is still at `previous_revision`
/// (the revision it was read at); otherwise writes nothing and returns
/// [`StoreError::ConcurrentChange`].
pub async fn save_offer(
    conn: &mut PgConnection,
    offer: &Offer,
    previous_revision: u64,
    reference: &ReferenceData,
    rules: &RuleBook,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "UPDATE offers SET status = $3, revision = $4, spec = $5, positions_filled = $6,
             close_reason = $7, created_at = $8, updated_at = $9, published_at = $10,
             ended_at = $11, primary_mission = $12, secondary_mission = $13, contract_kind = $14,
             min_level = $15, max_level = $16, insee = $17, departement = $18, region = $19,
             territory_id = $20, position = point($21, $22), start_date = $23,
             application_deadline = $24, positions = $25, positions_remaining = $26,
             ecological_transition = $27, territory_programme = $28
         WHERE id = $1 AND company_siren = $2 AND revision = $29",
    );
    let previous: i64 = convert(previous_revision, "previous revision")?;
    let done = bind_offer(query, &OfferWrite::of(offer, reference, rules)?)
        .bind(previous)
        .execute(conn)
        .await?;
    one_row(done)
}

/// The offer, if it exists.
pub async fn load_offer<'e>(
    executor: impl PgExecutor<'e>,
    id: OfferId,
    reference: &ReferenceData,
) -> Result<Option<Offer>, StoreError> {
    let row: Option<OfferRow> = sqlx::query_as(concat!(
        "SELECT ",
        offer_columns!(),
        " FROM offers WHERE id = $1"
    ))
    .bind(id.as_uuid())
    .fetch_optional(executor)
    .await?;
    row.map(|row| row.into_offer(reference)).transpose()
}

/// The offer, locked until the end of the caller's transaction (`FOR UPDATE`).
pub async fn lock_offer(
    conn: &mut PgConnection,
    id: OfferId,
    reference: &ReferenceData,
) -> Result<Option<Offer>, StoreError> {
    let row: Option<OfferRow> = sqlx::query_as(concat!(
        "SELECT ",
        offer_columns!(),
        " FROM offers WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await?;
    row.map(|row| row.into_offer(reference)).transpose()
}

/// A company's offers, most recently updated first; only those in `statuses` unless it is
/// empty.
pub async fn list_company_offers<'e>(
    executor: impl PgExecutor<'e>,
    company: &Siren,
    statuses: &[OfferStatus],
    page: PageRequest,
    reference: &ReferenceData,
) -> Result<Page<Offer>, StoreError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let rows: Vec<OfferRow> = sqlx::query_as(concat!(
        "SELECT ",
        offer_columns!(),
        " FROM offers
         WHERE company_siren = $1
           AND (cardinality($2::text[]) = 0 OR status = ANY($2))
           AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4::uuid))
         ORDER BY updated_at DESC, id DESC
         LIMIT $5"
    ))
    .bind(company.to_string())
    .bind(statuses)
    .bind(page.after_at())
    .bind(page.after_id())
    .bind(page.fetch_limit())
    .fetch_all(executor)
    .await?;
    let offers = rows
        .into_iter()
        .map(|row| row.into_offer(reference))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(offers, |offer| PageCursor {
        at: offer.updated_at,
        id: offer.id.as_uuid(),
    }))
}

/// The offers of `ids` that exist, in the order of `ids` (a search page's order).
pub async fn load_offers<'e>(
    executor: impl PgExecutor<'e>,
    ids: &[OfferId],
    reference: &ReferenceData,
) -> Result<Vec<Offer>, StoreError> {
    let ids: Vec<Uuid> = ids.iter().map(OfferId::as_uuid).collect();
    let rows: Vec<OfferRow> = sqlx::query_as(concat!(
        "SELECT ",
        offer_columns!(),
        " FROM offers JOIN UNNEST($1::uuid[]) WITH ORDINALITY AS wanted (id, rank) USING (id)
         ORDER BY wanted.rank"
    ))
    .bind(ids)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|row| row.into_offer(reference))
        .collect()
}

/// Published offers whose last day to apply (the deadline, or the start date) is before
/// `today`, at most `limit`, locked for the caller's transaction. Offers another transaction
/// holds are skipped (`SKIP LOCKED`), so sweeps on several instances never take the same one.
pub async fn offers_due_for_expiry(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: u32,
    reference: &ReferenceData,
) -> Result<Vec<Offer>, StoreError> {
    let rows: Vec<OfferRow> = sqlx::query_as(concat!(
        "SELECT ",
        offer_columns!(),
        " FROM offers
         WHERE status = 'PUBLISHED' AND coalesce(application_deadline, start_date) < $1
         ORDER BY coalesce(application_deadline, start_date), id
         LIMIT $2
         FOR UPDATE SKIP LOCKED"
    ))
    .bind(today)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| row.into_offer(reference))
        .collect()
}

/// An offer as stored.
#[derive(sqlx::FromRow)]
struct OfferRow {
    id: Uuid,
    company_siren: String,
    status: String,
    revision: i64,
    spec: Json<NewOffer>,
    positions_filled: i32,
    close_reason: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
}

impl OfferRow {
    fn into_offer(self, reference: &ReferenceData) -> Result<Offer, StoreError> {
        let what = || format!("offer {}", self.id);
        let status = OfferStatus::parse(&self.status).map_err(|e| corrupt(what(), e))?;
        let draft = validate_draft(&self.spec.0, reference).map_err(|e| corrupt(what(), e))?;
        // Publication completes the content and nothing takes it back; a draft closed
        // before publication keeps its draft content.
        let complete = match status {
            OfferStatus::Draft => false,
            OfferStatus::Closed => self.published_at.is_some(),
            OfferStatus::Published | OfferStatus::Filled | OfferStatus::Expired => true,
        };
        let content = if complete {
            OfferContent::Complete(OfferSpec::try_from(draft).map_err(|e| corrupt(what(), e))?)
        } else {
            OfferContent::Draft(draft)
        };
        Ok(Offer {
            id: OfferId::from_uuid(self.id),
            company_siren: Siren::parse(&self.company_siren).map_err(|e| corrupt(what(), e))?,
            status,
            content,
            positions_filled: convert(self.positions_filled, "positions filled")?,
            revision: convert(self.revision, "revision")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            published_at: self.published_at,
            ended_at: self.ended_at,
            close_reason: CloseReason::parse_optional(&self.close_reason)
                .map_err(|e| corrupt(what(), e))?,
        })
    }
}

/// What a write sets: the offer itself, then the copies browsing and the sweep read.
struct OfferWrite {
    id: Uuid,
    company_siren: String,
    status: &'static str,
    revision: i64,
    spec: Json<NewOffer>,
    positions_filled: i32,
    close_reason: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    primary_mission: Option<&'static str>,
    secondary_mission: Option<&'static str>,
    contract_kind: Option<&'static str>,
    min_level: Option<i16>,
    max_level: Option<i16>,
    insee: Option<String>,
    departement: Option<String>,
    region: Option<String>,
    territory_id: Option<String>,
    /// The programme the rules name for the start date (`territory_id` is one of its).
    territory_programme: Option<&'static str>,
    /// The commune's centre as (longitude, latitude), the order of PostgreSQL's `point`.
    position: Option<(f64, f64)>,
    start_date: Option<NaiveDate>,
    application_deadline: Option<NaiveDate>,
    positions: i32,
    positions_remaining: i32,
    ecological_transition: bool,
}

impl OfferWrite {
    /// The territory is the one of the programme the rules name for the start date, which the
    /// search's territory filters read.
    fn of(offer: &Offer, reference: &ReferenceData, rules: &RuleBook) -> Result<Self, StoreError> {
        // A complete content is read through its draft form, which has every part given.
        let draft_of_spec;
        let draft = match &offer.content {
            OfferContent::Draft(draft) => draft,
            OfferContent::Complete(spec) => {
                draft_of_spec = DraftSpec::from(spec);
                &draft_of_spec
            }
        };
        let location = draft.location.as_ref();
        let position = location
            .and_then(|location| reference.commune(&location.insee()))
            .and_then(|commune| commune.centre())
            .map(|centre| (centre.lon, centre.lat));
        let years = |level: Option<EducationLevel>| level.map(|l| i16::from(l.years()));
        let positions = draft.positions.map_or(0, Positions::get);
        Ok(Self {
            id: offer.id.as_uuid(),
            company_siren: offer.company_siren.to_string(),
            status: offer.status.as_str(),
            revision: convert(offer.revision, "revision")?,
            spec: Json(NewOffer::from(draft)),
            positions_filled: convert(offer.positions_filled, "positions filled")?,
            close_reason: offer
                .close_reason
                .as_ref()
                .map_or_else(String::new, |r| r.to_string()),
            created_at: offer.created_at,
            updated_at: offer.updated_at,
            published_at: offer.published_at,
            ended_at: offer.ended_at,
            primary_mission: draft.primary_mission_type.map(MissionType::code),
            secondary_mission: draft.secondary_mission_type.map(MissionType::code),
            contract_kind: draft.contract_kind.map(ContractKind::code),
            min_level: years(draft.min_level),
            max_level: years(draft.max_level),
            insee: location.map(|l| l.insee().to_string()),
            departement: location.map(|l| l.departement_code().to_owned()),
            region: location.map(|l| l.region_code().to_owned()),
            territory_id: offer.territory(rules).map(|t| t.id.clone()),
            territory_programme: draft
                .start_date
                .map(|start| rules.programme_for(start).as_str()),
            position,
            start_date: draft.start_date,
            application_deadline: draft.application_deadline,
            positions: convert(positions, "positions")?,
            positions_remaining: convert(offer.positions_remaining(), "positions remaining")?,
            ecological_transition: draft.ecological_transition,
        })
    }
}

/// Binds `$1` to `$27` in the order of [`insert_offer`]'s columns.
fn bind_offer<'q>(
    query: Query<'q, Postgres, PgArguments>,
    row: &OfferWrite,
) -> Query<'q, Postgres, PgArguments> {
    query
        .bind(row.id)
        .bind(&row.company_siren)
        .bind(row.status)
        .bind(row.revision)
        .bind(&row.spec)
        .bind(row.positions_filled)
        .bind(&row.close_reason)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(row.published_at)
        .bind(row.ended_at)
        .bind(row.primary_mission)
        .bind(row.secondary_mission)
        .bind(row.contract_kind)
        .bind(row.min_level)
        .bind(row.max_level)
        .bind(&row.insee)
        .bind(&row.departement)
        .bind(&row.region)
        .bind(&row.territory_id)
        .bind(row.position.map(|(lon, _)| lon))
        .bind(row.position.map(|(_, lat)| lat))
        .bind(row.start_date)
        .bind(row.application_deadline)
        .bind(row.positions)
        .bind(row.positions_remaining)
        .bind(row.ecological_transition)
        .bind(row.territory_programme)
}
