//! Fixtures shared by the offers service's tests and benchmarks: the reference data, a migrated
//! database, and published offers written straight into the browsing columns.

#![allow(clippy::unwrap_used, dead_code)]

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;
use vte_domain::{ContractKind, EducationLevel, InseeCode, MissionType};
use vte_reference::{Programme, ReferenceData};

/// The reference data, loaded once per process.
/// The repository's rule sets, loaded once per test binary.
pub fn rules() -> Arc<vte_rules::RuleBook> {
    static RULES: OnceLock<Arc<vte_rules::RuleBook>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            Arc::new(vte_rules::RuleBook::load(&vte_rules::repository_rules_dir()).unwrap())
        })
        .clone()
}

/// A bac+5 graduate of June 2026 seeking a CDI or a CDD, available now, and the rules: how the
/// store's tests hire (the verdict they freeze is eligible for offers starting before mid-2028).
pub fn scheme() -> vte_offers::domain::acceptance::Scheme<'static> {
    static RULES: OnceLock<Arc<vte_rules::RuleBook>> = OnceLock::new();
    static GRADUATE: OnceLock<vte_rules::CandidateFacts> = OnceLock::new();
    vte_offers::domain::acceptance::Scheme {
        rules: RULES.get_or_init(rules),
        candidate: GRADUATE.get_or_init(|| vte_rules::CandidateFacts {
            status: vte_rules::Status::Graduate,
            level: 5,
            graduation_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 30),
            contract_kinds: vec![vte_domain::ContractKind::Cdi, vte_domain::ContractKind::Cdd],
            available_from: None,
        }),
    }
}

pub fn reference() -> Arc<ReferenceData> {
    static REFERENCE: OnceLock<Arc<ReferenceData>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| Arc::new(ReferenceData::load(&vte_testbed::reference_dir()).unwrap()))
        .clone()
}

/// Applies the service's schema (the backbone's first) to `pool`.
pub async fn migrate(pool: &PgPool) {
    vte_offers::migrations().run(pool).await.unwrap();
}

/// A migrated database of its own, dropped with the value.
#[derive(Debug)]
pub struct Db {
    _database: vte_testbed::TestDatabase,
    pub pool: PgPool,
}

impl Db {
    pub async fn create() -> Self {
        let database = vte_testbed::TestDatabase::create().await;
        let pool = database.pool().await;
        migrate(&pool).await;
        Self {
            _database: database,
            pool,
        }
    }

    pub async fn conn(&self) -> sqlx::pool::PoolConnection<sqlx::Postgres> {
        self.pool.acquire().await.unwrap()
    }
}

/// What a browsing test needs of a published offer.
#[derive(Debug, Clone)]
pub struct Published {
    pub insee: &'static str,
    pub mission: MissionType,
    pub secondary: Option<MissionType>,
    pub kind: ContractKind,
    pub levels: (EducationLevel, EducationLevel),
    pub published_at: DateTime<Utc>,
    pub status: &'static str,
}

impl Published {
    pub fn at(insee: &'static str, published_at: DateTime<Utc>) -> Self {
        Self {
            insee,
            mission: MissionType::Technologie,
            secondary: None,
            kind: ContractKind::Cdi,
            levels: (EducationLevel::Bac2, EducationLevel::Bac5),
            published_at,
            status: "PUBLISHED",
        }
    }
}

/// Writes offers in one statement; returns their ids in order.
pub async fn insert(pool: &PgPool, offers: &[Published]) -> Vec<Uuid> {
    let reference = reference();
    #[allow(clippy::type_complexity)] // one vector per UNNEST column
    let mut columns: (
        Vec<Uuid>,
        Vec<String>,
        Vec<String>,
        Vec<Option<String>>,
        Vec<i16>,
        Vec<i16>,
    ) = Default::default();
    let mut places: (Vec<String>, Vec<String>, Vec<String>, Vec<Option<String>>) =
        Default::default();
    let (mut lons, mut lats, mut dates, mut statuses) = (vec![], vec![], vec![], vec![]);
    for offer in offers {
        let insee = InseeCode::parse(offer.insee).unwrap();
        let commune = reference.commune(&insee).unwrap();
        let centre = commune.centre().unwrap();
        columns.0.push(Uuid::now_v7());
        columns.1.push(offer.mission.code().to_owned());
        columns.2.push(offer.kind.code().to_owned());
        columns.3.push(offer.secondary.map(|m| m.code().to_owned()));
        columns.4.push(i16::from(offer.levels.0.years()));
        columns.5.push(i16::from(offer.levels.1.years()));
        places.0.push(offer.insee.to_owned());
        places.1.push(commune.departement().to_owned());
        places.2.push(commune.region().to_owned());
        places.3.push(
            reference
                .territory_of(&insee, Programme::Ti2023_2027)
                .map(|t| t.id().to_owned()),
        );
        lons.push(centre.lon);
        lats.push(centre.lat);
        dates.push(offer.published_at);
        statuses.push(offer.status.to_owned());
    }
    sqlx::query(
        "INSERT INTO offers (id, company_siren, status, revision, spec, created_at, updated_at,
             published_at, primary_mission, secondary_mission, contract_kind, min_level, max_level,
             insee, departement, region, territory_id, territory_programme, position)
         SELECT id, '732829320', status, 1, '{}', published, published, published, mission,
             secondary, kind, min_level, max_level, insee, departement, region, territory,
             '2023-2027', point(lon, lat)
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::smallint[],
             $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::float8[],
             $12::float8[], $13::timestamptz[], $14::text[])
           AS t(id, mission, kind, secondary, min_level, max_level, insee, departement, region,
             territory, lon, lat, published, status)",
    )
    .bind(&columns.0)
    .bind(&columns.1)
    .bind(&columns.2)
    .bind(&columns.3)
    .bind(&columns.4)
    .bind(&columns.5)
    .bind(&places.0)
    .bind(&places.1)
    .bind(&places.2)
    .bind(&places.3)
    .bind(&lons)
    .bind(&lats)
    .bind(&dates)
    .bind(&statuses)
    .execute(pool)
    .await
    .unwrap();
    columns.0
}
