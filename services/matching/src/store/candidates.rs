//! Candidates in the read model: for every candidate what decides whether they may be ranked,
//! for matchable ones their profile in columns, and for erased ones only their id.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use vte_domain::{CandidateId, LanguageCode, SchoolId};
use vte_reference::ReferenceData;

use super::{Tx, revision};
use crate::domain::{Academic, CandidateModel, Language, Place, Term, contract_index};
use crate::mapping;

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
pub async fn is_erased(tx: &mut Tx, id: CandidateId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM erased_candidates WHERE candidate_id = $1)")
        .bind(id.as_uuid())
        .fetch_one(&mut **tx)
        .await
}

/// The candidate's state, locked for the transaction.
pub async fn lock_candidate(
    tx: &mut Tx,
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
    tx: &mut Tx,
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
    pub graduation_date: Option<NaiveDate>,
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
            graduation_date: model.graduation_date,
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
            graduation_date: self.graduation_date,
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

const PROFILE_COLUMNS: &str = "p.candidate_id, c.school_id, p.academic_status,
    p.graduation_date, p.level,
    p.field_of_study, p.skills, p.language_codes, p.language_levels, p.home_insee, p.home_lat,
    p.home_lon, p.home_region, p.mission_weights, p.mobility_radius_km, p.open_to_relocation,
    p.preferred_regions, p.contract_kinds, p.available_from, p.labels_count";

async fn upsert_profile(tx: &mut Tx, model: &CandidateModel) -> Result<(), sqlx::Error> {
    let row = ProfileRow::of(model);
    sqlx::query(
        "INSERT INTO candidate_profiles (candidate_id, academic_status, level, field_of_study,
             skills, language_codes, language_levels, home_insee, home_lat, home_lon, home_region,
             mission_weights, mobility_radius_km, open_to_relocation, preferred_regions,
             contract_kinds, available_from, labels_count, graduation_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19)
         ON CONFLICT (candidate_id) DO UPDATE SET academic_status = EXCLUDED.academic_status,
             graduation_date = EXCLUDED.graduation_date,
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
    .bind(row.graduation_date)
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

/// The profiles of these candidates (those that have one).
pub async fn load_profiles_of(
    pool: &PgPool,
    ids: &[CandidateId],
) -> Result<Vec<ProfileRow>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().map(CandidateId::as_uuid).collect();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROFILE_COLUMNS} FROM candidate_profiles p JOIN candidates c USING (candidate_id)
         WHERE p.candidate_id = ANY($1)"
    )))
    .bind(&ids)
    .fetch_all(pool)
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
    tx: &mut Tx,
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
             contract_kinds, available_from, labels_count, graduation_date)
         SELECT id, status, level, field, string_to_array(skills, E'\\x1f'),
             string_to_array(codes, E'\\x1f'), string_to_array(levels, ',')::smallint[], insee,
             lat, lon, region, string_to_array(missions, ',')::smallint[], radius, relocation,
             string_to_array(regions, E'\\x1f'), string_to_array(kinds, ',')::smallint[],
             available, labels, graduation
         FROM UNNEST($1::uuid[], $2::smallint[], $3::smallint[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[],
             $12::text[], $13::int[], $14::bool[], $15::text[], $16::text[], $17::date[],
             $18::int[], $19::date[])
           AS t(id, status, level, field, skills, codes, levels, insee, lat, lon, region,
             missions, radius, relocation, regions, kinds, available, labels, graduation)",
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
    .bind(rows.iter().map(|r| r.graduation_date).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
