//! The read model in PostgreSQL (`migrations/1000_read_model.sql`): offers with their last
//! state, candidates with what decides whether they are matchable and, for matchable ones, their
//! profile in columns; applications; pairs already suggested; and the journal of changes the
//! index follows. Writes take the handler's transaction; each guard on revision means an older
//! or repeated event never overwrites a newer one.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;
use vte_domain::{CandidateId, LanguageCode, OfferId, SchoolId};
use vte_reference::ReferenceData;

use crate::domain::{Academic, CandidateModel, Language, Place, Term, contract_index};
use crate::mapping;

type Tx<'a> = Transaction<'static, Postgres>;

/// The NOTIFY channel that wakes the index follower when a change commits.
pub const CHANGES_CHANNEL: &str = "vte_matching_index";

/// What the index follows: an aggregate whose rows changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Changed {
    Offer(OfferId),
    Candidate(CandidateId),
}

/// Journals a change for the index followers; they are woken when the transaction commits.
pub async fn record_change(tx: &mut Tx<'_>, changed: Changed) -> Result<(), sqlx::Error> {
    let (aggregate, id) = match changed {
        Changed::Offer(id) => ("offer", id.as_uuid()),
        Changed::Candidate(id) => ("candidate", id.as_uuid()),
    };
    sqlx::query(
        "WITH journal AS (INSERT INTO index_changes (aggregate, aggregate_id) VALUES ($1, $2))
         SELECT pg_notify($3, '')",
    )
    .bind(aggregate)
    .bind(id)
    .bind(CHANGES_CHANNEL)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The journal after `cursor`, plus the entries at `gaps` (numbers skipped earlier, which may
/// belong to transactions that had not committed yet), in order.
pub async fn changes(
    pool: &PgPool,
    cursor: i64,
    gaps: &[i64],
) -> Result<Vec<(i64, Changed)>, sqlx::Error> {
    let rows: Vec<(i64, String, Uuid)> = sqlx::query_as(
        "SELECT seq, aggregate, aggregate_id FROM index_changes
         WHERE seq > $1 OR seq = ANY($2) ORDER BY seq LIMIT 10000",
    )
    .bind(cursor)
    .bind(gaps)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, aggregate, id)| {
            let changed = if aggregate == "offer" {
                Changed::Offer(OfferId::from_uuid(id))
            } else {
                Changed::Candidate(CandidateId::from_uuid(id))
            };
            (seq, changed)
        })
        .collect())
}

/// The last journal entry, 0 when empty.
pub async fn last_change(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM index_changes")
        .fetch_one(conn)
        .await
}

/// Forgets journal entries older than `age`.
pub async fn prune_changes(pool: &PgPool, age: std::time::Duration) -> Result<u64, sqlx::Error> {
    let seconds = age.as_secs_f64();
    Ok(sqlx::query(
        "DELETE FROM index_changes WHERE recorded_at < now() - make_interval(secs => $1)",
    )
    .bind(seconds)
    .execute(pool)
    .await?
    .rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Offers

/// An offer event to record.
#[derive(Debug)]
pub struct OfferRow<'a> {
    pub id: OfferId,
    pub company_siren: &'a str,
    pub revision: u64,
    pub occurred_at: DateTime<Utc>,
    pub is_open: bool,
    /// The encoded `vte.offers.v1.Offer`.
    pub offer: Vec<u8>,
}

/// What recording an offer did.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Newer than what was held; the previous state (encoded), if any.
    Applied { previous: Option<Vec<u8>> },
    /// The same or an older revision: nothing changed.
    Stale,
}

fn revision(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Records an offer's state unless a same or newer revision is held.
pub async fn record_offer(tx: &mut Tx<'_>, row: &OfferRow<'_>) -> Result<Recorded, sqlx::Error> {
    let held: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT revision, offer FROM offers WHERE offer_id = $1 FOR UPDATE")
            .bind(row.id.as_uuid())
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((held, _)) = &held
        && *held >= revision(row.revision)
    {
        return Ok(Recorded::Stale);
    }
    sqlx::query(
        "INSERT INTO offers (offer_id, company_siren, revision, occurred_at, is_open, offer)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (offer_id) DO UPDATE SET company_siren = EXCLUDED.company_siren,
             revision = EXCLUDED.revision, occurred_at = EXCLUDED.occurred_at,
             is_open = EXCLUDED.is_open, offer = EXCLUDED.offer",
    )
    .bind(row.id.as_uuid())
    .bind(row.company_siren)
    .bind(revision(row.revision))
    .bind(row.occurred_at)
    .bind(row.is_open)
    .bind(&row.offer)
    .execute(&mut **tx)
    .await?;
    Ok(Recorded::Applied {
        previous: held.map(|(_, offer)| offer),
    })
}

/// An offer's last state (encoded), whatever its status.
pub async fn load_offer(pool: &PgPool, id: OfferId) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT offer FROM offers WHERE offer_id = $1")
        .bind(id.as_uuid())
        .fetch_optional(pool)
        .await
}

/// Every open offer (encoded).
pub async fn load_open_offers(conn: &mut PgConnection) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT offer FROM offers WHERE is_open ORDER BY offer_id")
        .fetch_all(conn)
        .await
}

// ---------------------------------------------------------------------------------------------
// Candidates

/// What decides whether a candidate may be ranked, kept for every candidate.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CandidateState {
    pub candidate_id: Uuid,
    pub school_id: Option<Uuid>,
    pub revision: i64,
    pub occurred_at: DateTime<Utc>,
    pub consent_given: bool,
    pub paused: bool,
    pub matchable: bool,
}

impl CandidateState {
    pub fn school(&self) -> Option<SchoolId> {
        self.school_id.map(SchoolId::from_uuid)
    }
}

/// Whether the candidate was erased.
pub async fn is_erased(tx: &mut Tx<'_>, id: CandidateId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM erased_candidates WHERE candidate_id = $1)")
        .bind(id.as_uuid())
        .fetch_one(&mut **tx)
        .await
}

/// The candidate's state, locked for the transaction.
pub async fn lock_candidate(
    tx: &mut Tx<'_>,
    id: CandidateId,
) -> Result<Option<CandidateState>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM candidates WHERE candidate_id = $1 FOR UPDATE")
        .bind(id.as_uuid())
        .fetch_optional(&mut **tx)
        .await
}

/// The candidate's state.
pub async fn load_candidate(
    pool: &PgPool,
    id: CandidateId,
) -> Result<Option<CandidateState>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM candidates WHERE candidate_id = $1")
        .bind(id.as_uuid())
        .fetch_optional(pool)
        .await
}

/// Writes the candidate's state, and their profile when matchable (deleting it otherwise: no
/// profile is kept of a candidate who may not be ranked). The caller has checked the revision.
pub async fn write_candidate(
    tx: &mut Tx<'_>,
    state: &CandidateState,
    profile: Option<&CandidateModel>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO candidates (candidate_id, school_id, revision, occurred_at, consent_given,
             paused, matchable)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (candidate_id) DO UPDATE SET school_id = EXCLUDED.school_id,
             revision = EXCLUDED.revision, occurred_at = EXCLUDED.occurred_at,
             consent_given = EXCLUDED.consent_given, paused = EXCLUDED.paused,
             matchable = EXCLUDED.matchable",
    )
    .bind(state.candidate_id)
    .bind(state.school_id)
    .bind(state.revision)
    .bind(state.occurred_at)
    .bind(state.consent_given)
    .bind(state.paused)
    .bind(state.matchable)
    .execute(&mut **tx)
    .await?;
    match profile {
        Some(profile) => upsert_profile(tx, profile).await,
        None => {
            sqlx::query("DELETE FROM candidate_profiles WHERE candidate_id = $1")
                .bind(state.candidate_id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
    }
}

/// A profile in the columns of `candidate_profiles`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileRow {
    pub candidate_id: Uuid,
    pub school_id: Option<Uuid>,
    pub academic_status: i16,
    pub level: i16,
    pub field_of_study: String,
    pub skills: Vec<String>,
    pub language_codes: Vec<String>,
    pub language_levels: Vec<i16>,
    pub home_insee: String,
    pub home_lat: Option<f64>,
    pub home_lon: Option<f64>,
    pub home_region: String,
    pub mission_weights: Vec<i16>,
    pub mobility_radius_km: i32,
    pub open_to_relocation: bool,
    pub preferred_regions: Vec<String>,
    pub contract_kinds: Vec<i16>,
    pub available_from: NaiveDate,
    pub labels_count: i32,
}

impl ProfileRow {
    /// The row of a model.
    pub fn of(model: &CandidateModel) -> Self {
        let centre = model.home.unit.is_known().then(|| {
            let [x, y, z] = model.home.unit.0.map(f64::from);
            (
                z.clamp(-1.0, 1.0).asin().to_degrees(),
                y.atan2(x).to_degrees(),
            )
        });
        Self {
            candidate_id: model.id.as_uuid(),
            school_id: model.school.map(|s| s.as_uuid()),
            academic_status: i16::try_from(model.academic.number()).unwrap_or(0),
            level: i16::from(model.level),
            field_of_study: model.field_of_study.text.clone(),
            skills: model.skills.iter().map(|s| s.text.clone()).collect(),
            language_codes: model
                .languages
                .iter()
                .map(|l| l.code.as_str().to_owned())
                .collect(),
            language_levels: model.languages.iter().map(|l| i16::from(l.level)).collect(),
            home_insee: model.home.insee.as_str().to_owned(),
            home_lat: centre.map(|c| c.0),
            home_lon: centre.map(|c| c.1),
            home_region: model.home.region_code.clone(),
            mission_weights: model
                .mission_weights
                .iter()
                .map(|w| i16::from(*w))
                .collect(),
            mobility_radius_km: i32::try_from(model.radius_km).unwrap_or(i32::MAX),
            open_to_relocation: model.open_to_relocation,
            preferred_regions: model.preferred_regions.clone(),
            contract_kinds: model
                .contract_kinds
                .iter()
                .map(|k| i16::try_from(contract_index(*k) + 1).unwrap_or(0))
                .collect(),
            available_from: model.available_from,
            labels_count: i32::try_from(model.labels_count).unwrap_or(i32::MAX),
        }
    }

    /// The model of a row; places are resolved again against `reference`.
    pub fn into_model(self, reference: &ReferenceData) -> Result<CandidateModel, String> {
        let mut weights = [0u8; 8];
        for (i, w) in self.mission_weights.iter().take(8).enumerate() {
            weights[i] = u8::try_from(*w).unwrap_or(0);
        }
        Ok(CandidateModel {
            id: CandidateId::from_uuid(self.candidate_id),
            school: self.school_id.map(SchoolId::from_uuid),
            academic: Academic::from_number(i32::from(self.academic_status)),
            level: u8::try_from(self.level).unwrap_or(0),
            field_of_study: Term::new(&self.field_of_study),
            skills: self.skills.iter().map(|s| Term::new(s)).collect(),
            languages: self
                .language_codes
                .iter()
                .zip(&self.language_levels)
                .filter_map(|(code, level)| {
                    Some(Language {
                        code: LanguageCode::parse(code).ok()?,
                        level: u8::try_from(*level).ok()?,
                    })
                })
                .collect(),
            home: Place::resolve(reference, &self.home_insee)?,
            mission_weights: weights,
            radius_km: u32::try_from(self.mobility_radius_km).unwrap_or(0),
            open_to_relocation: self.open_to_relocation,
            preferred_regions: self.preferred_regions,
            contract_kinds: self
                .contract_kinds
                .iter()
                .filter_map(|k| mapping::contract(i32::from(*k)))
                .collect(),
            available_from: self.available_from,
            labels_count: u32::try_from(self.labels_count).unwrap_or(0),
        })
    }
}

const PROFILE_COLUMNS: &str = "p.candidate_id, c.school_id, p.academic_status, p.level,
    p.field_of_study, p.skills, p.language_codes, p.language_levels, p.home_insee, p.home_lat,
    p.home_lon, p.home_region, p.mission_weights, p.mobility_radius_km, p.open_to_relocation,
    p.preferred_regions, p.contract_kinds, p.available_from, p.labels_count";

async fn upsert_profile(tx: &mut Tx<'_>, model: &CandidateModel) -> Result<(), sqlx::Error> {
    let row = ProfileRow::of(model);
    sqlx::query(
        "INSERT INTO candidate_profiles (candidate_id, academic_status, level, field_of_study,
             skills, language_codes, language_levels, home_insee, home_lat, home_lon, home_region,
             mission_weights, mobility_radius_km, open_to_relocation, preferred_regions,
             contract_kinds, available_from, labels_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (candidate_id) DO UPDATE SET academic_status = EXCLUDED.academic_status,
             level = EXCLUDED.level, field_of_study = EXCLUDED.field_of_study,
             skills = EXCLUDED.skills, language_codes = EXCLUDED.language_codes,
             language_levels = EXCLUDED.language_levels, home_insee = EXCLUDED.home_insee,
             home_lat = EXCLUDED.home_lat, home_lon = EXCLUDED.home_lon,
             home_region = EXCLUDED.home_region, mission_weights = EXCLUDED.mission_weights,
             mobility_radius_km = EXCLUDED.mobility_radius_km,
             open_to_relocation = EXCLUDED.open_to_relocation,
             preferred_regions = EXCLUDED.preferred_regions,
             contract_kinds = EXCLUDED.contract_kinds, available_from = EXCLUDED.available_from,
             labels_count = EXCLUDED.labels_count",
    )
    .bind(row.candidate_id)
    .bind(row.academic_status)
    .bind(row.level)
    .bind(&row.field_of_study)
    .bind(&row.skills)
    .bind(&row.language_codes)
    .bind(&row.language_levels)
    .bind(&row.home_insee)
    .bind(row.home_lat)
    .bind(row.home_lon)
    .bind(&row.home_region)
    .bind(&row.mission_weights)
    .bind(row.mobility_radius_km)
    .bind(row.open_to_relocation)
    .bind(&row.preferred_regions)
    .bind(&row.contract_kinds)
    .bind(row.available_from)
    .bind(row.labels_count)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One matchable candidate's profile.
pub async fn load_profile(
    pool: &PgPool,
    id: CandidateId,
) -> Result<Option<ProfileRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM candidate_profiles p JOIN candidates c USING (candidate_id)
         WHERE p.candidate_id = $1"
    )))
    .bind(id.as_uuid())
    .fetch_optional(pool)
    .await
}

/// Every matchable candidate's profile, `batch` at a time after `after` (keyset pagination, so
/// a million profiles load without holding them all twice).
pub async fn load_profiles(
    conn: &mut PgConnection,
    after: Uuid,
    batch: i64,
) -> Result<Vec<ProfileRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM candidate_profiles p JOIN candidates c USING (candidate_id)
         WHERE p.candidate_id > $1 ORDER BY p.candidate_id LIMIT $2"
    )))
    .bind(after)
    .bind(batch)
    .fetch_all(conn)
    .await
}

/// Erases a candidate: their state, profile, applications and suggestions go; only the id
/// stays, in `erased_candidates`, so that no late event brings them back.
pub async fn erase_candidate(
    tx: &mut Tx<'_>,
    id: CandidateId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let id = id.as_uuid();
    for statement in [
        "DELETE FROM candidates WHERE candidate_id = $1",
        "DELETE FROM applications WHERE candidate_id = $1",
        "DELETE FROM suggestions WHERE candidate_id = $1",
    ] {
        sqlx::query(statement).bind(id).execute(&mut **tx).await?;
    }
    sqlx::query(
        "INSERT INTO erased_candidates (candidate_id, erased_at) VALUES ($1, $2)
         ON CONFLICT (candidate_id) DO NOTHING",
    )
    .bind(id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Applications and suggestions

/// Records who applied to what, unless a same or newer revision is held.
pub async fn record_application(
    tx: &mut Tx<'_>,
    application: Uuid,
    offer: OfferId,
    candidate: CandidateId,
    revision_number: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO applications (application_id, offer_id, candidate_id, revision)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (application_id) DO UPDATE SET offer_id = EXCLUDED.offer_id,
             candidate_id = EXCLUDED.candidate_id, revision = EXCLUDED.revision
         WHERE applications.revision < EXCLUDED.revision",
    )
    .bind(application)
    .bind(offer.as_uuid())
    .bind(candidate.as_uuid())
    .bind(revision(revision_number))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The candidates who applied to an offer (any status).
pub async fn applicants(
    pool: &PgPool,
    offer: OfferId,
) -> Result<HashSet<CandidateId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT candidate_id FROM applications WHERE offer_id = $1")
            .bind(offer.as_uuid())
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().map(CandidateId::from_uuid).collect())
}

/// The candidates already suggested for an offer.
pub async fn suggested_candidates(
    tx: &mut Tx<'_>,
    offer: OfferId,
) -> Result<HashSet<CandidateId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT candidate_id FROM suggestions WHERE offer_id = $1")
            .bind(offer.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
    Ok(ids.into_iter().map(CandidateId::from_uuid).collect())
}

/// The offers already suggested to a candidate.
pub async fn suggested_offers(
    tx: &mut Tx<'_>,
    candidate: CandidateId,
) -> Result<HashSet<OfferId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT offer_id FROM suggestions WHERE candidate_id = $1")
            .bind(candidate.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
    Ok(ids.into_iter().map(OfferId::from_uuid).collect())
}

/// Records pairs as suggested; returns those that were not already (concurrent handlers may
/// have suggested some meanwhile).
pub async fn record_suggestions(
    tx: &mut Tx<'_>,
    pairs: &[(OfferId, CandidateId)],
) -> Result<HashSet<(OfferId, CandidateId)>, sqlx::Error> {
    let offers: Vec<Uuid> = pairs.iter().map(|(o, _)| o.as_uuid()).collect();
    let candidates: Vec<Uuid> = pairs.iter().map(|(_, c)| c.as_uuid()).collect();
    let inserted: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "INSERT INTO suggestions (offer_id, candidate_id)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[])
         ON CONFLICT DO NOTHING RETURNING offer_id, candidate_id",
    )
    .bind(&offers)
    .bind(&candidates)
    .fetch_all(&mut **tx)
    .await?;
    Ok(inserted
        .into_iter()
        .map(|(o, c)| (OfferId::from_uuid(o), CandidateId::from_uuid(c)))
        .collect())
}

/// Writes many matchable candidates at once (state and profile), in one statement per table:
/// how benchmarks and bulk loads fill the read model. Not for events: no revision guard.
pub async fn insert_profiles(
    pool: &PgPool,
    models: &[CandidateModel],
    revision_number: u64,
) -> Result<(), sqlx::Error> {
    const SEPARATOR: char = '\u{1f}';
    let rows: Vec<ProfileRow> = models.iter().map(ProfileRow::of).collect();
    let joined = |values: &[String]| values.join(&SEPARATOR.to_string());
    let numbers = |values: &[i16]| {
        values
            .iter()
            .map(i16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO candidates (candidate_id, school_id, revision, occurred_at, consent_given,
             paused, matchable)
         SELECT id, school, $3, now(), true, false, true
         FROM UNNEST($1::uuid[], $2::uuid[]) AS t(id, school)",
    )
    .bind(rows.iter().map(|r| r.candidate_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.school_id).collect::<Vec<_>>())
    .bind(revision(revision_number))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO candidate_profiles (candidate_id, academic_status, level, field_of_study,
             skills, language_codes, language_levels, home_insee, home_lat, home_lon, home_region,
             mission_weights, mobility_radius_km, open_to_relocation, preferred_regions,
             contract_kinds, available_from, labels_count)
         SELECT id, status, level, field, string_to_array(skills, E'\\x1f'),
             string_to_array(codes, E'\\x1f'), string_to_array(levels, ',')::smallint[], insee,
             lat, lon, region, string_to_array(missions, ',')::smallint[], radius, relocation,
             string_to_array(regions, E'\\x1f'), string_to_array(kinds, ',')::smallint[],
             available, labels
         FROM UNNEST($1::uuid[], $2::smallint[], $3::smallint[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[],
             $12::text[], $13::int[], $14::bool[], $15::text[], $16::text[], $17::date[],
             $18::int[])
           AS t(id, status, level, field, skills, codes, levels, insee, lat, lon, region,
             missions, radius, relocation, regions, kinds, available, labels)",
    )
    .bind(rows.iter().map(|r| r.candidate_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.academic_status).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.level).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.field_of_study.clone())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| joined(&r.skills)).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| joined(&r.language_codes))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| numbers(&r.language_levels))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.home_insee.clone())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.home_lat).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.home_lon).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.home_region.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| numbers(&r.mission_weights))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.mobility_radius_km)
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.open_to_relocation)
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| joined(&r.preferred_regions))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| numbers(&r.contract_kinds))
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.available_from).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.labels_count).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The last state (encoded) of each of these offers.
pub async fn load_offers(
    pool: &PgPool,
    ids: &[OfferId],
) -> Result<Vec<(OfferId, Vec<u8>)>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().map(OfferId::as_uuid).collect();
    let rows: Vec<(Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT offer_id, offer FROM offers WHERE offer_id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, bytes)| (OfferId::from_uuid(id), bytes))
        .collect())
}
