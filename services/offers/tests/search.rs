//! Browsing published offers: every filter, the radius around a commune, and the cursor.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use common::{Published, insert, migrate, reference};
use uuid::Uuid;
use vte_domain::{ContractKind, EducationLevel, InseeCode, MissionType};
use vte_offers::store::search::{Cursor, OfferSearch, TerritoryFilter, search};
use vte_testbed::TestDatabase;

const FIGEAC: &str = "46102"; // in the Territoire d'industrie ti-7603
const CAPDENAC: &str = "46055"; // about 5 km from Figeac
const TOULOUSE: &str = "31555"; // in no Territoire d'industrie
const MONTAUBAN: &str = "82121"; // about 45 km from Toulouse
const RENNES: &str = "35238";

struct Catalogue {
    _database: TestDatabase,
    pool: sqlx::PgPool,
    ids: Vec<Uuid>,
}

/// Six offers, newest first: Figeac, Capdenac, Toulouse, Montauban, Rennes, and a Figeac draft.
async fn catalogue() -> Catalogue {
    let database = TestDatabase::create().await;
    let pool = database.pool().await;
    migrate(&pool).await;
    let now = Utc::now();
    let at = |minutes| now - Duration::minutes(minutes);
    let offers = [
        Published::at(FIGEAC, at(1)),
        Published {
            mission: MissionType::International,
            kind: ContractKind::WorkStudy,
            levels: (EducationLevel::Bac2, EducationLevel::Bac3),
            ..Published::at(CAPDENAC, at(2))
        },
        Published {
            mission: MissionType::Finance,
            secondary: Some(MissionType::International),
            ..Published::at(TOULOUSE, at(3))
        },
        Published {
            kind: ContractKind::Cdd,
            levels: (EducationLevel::Bac4, EducationLevel::Bac5),
            ..Published::at(MONTAUBAN, at(4))
        },
        Published::at(RENNES, at(5)),
        Published {
            status: "DRAFT",
            ..Published::at(FIGEAC, at(0))
        },
    ];
    let ids = insert(&pool, &offers).await;
    Catalogue {
        _database: database,
        pool,
        ids,
    }
}

fn page(search: OfferSearch) -> OfferSearch {
    OfferSearch {
        page_size: 20,
        ..search
    }
}

fn near(insee: &str, radius_km: f64) -> Option<(vte_reference::GeoPoint, f64)> {
    let commune = reference()
        .commune(&InseeCode::parse(insee).unwrap())
        .unwrap()
        .centre();
    Some((commune.unwrap(), radius_km))
}

impl Catalogue {
    async fn find(&self, search: OfferSearch) -> Vec<usize> {
        let found = vte_offers::store::search::search(&self.pool, &page(search))
            .await
            .unwrap();
        found
            .offer_ids()
            .iter()
            .map(|id| self.ids.iter().position(|known| known == id).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn browsing_lists_published_offers_newest_first_and_never_drafts() {
    let catalogue = catalogue().await;
    assert_eq!(
        catalogue.find(OfferSearch::default()).await,
        [0, 1, 2, 3, 4]
    );
}

#[tokio::test]
async fn a_mission_type_matches_the_primary_or_the_secondary_mission() {
    let catalogue = catalogue().await;
    let international = OfferSearch {
        mission_types: vec![MissionType::International],
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(international).await, [1, 2]);
}

#[tokio::test]
async fn territory_filters_keep_offers_in_a_territoire_d_industrie() {
    let catalogue = catalogue().await;
    let in_any = OfferSearch {
        territory: TerritoryFilter::AnyTerritoire,
        ..OfferSearch::default()
    };
    let found = catalogue.find(in_any).await;
    assert!(found.contains(&0), "Figeac is in a TI: {found:?}");
    assert!(!found.contains(&2), "Toulouse is in none: {found:?}");
    let figeac_ti = OfferSearch {
        territory: TerritoryFilter::Territoire("ti-7603".into()),
        ..OfferSearch::default()
    };
    assert!(catalogue.find(figeac_ti).await.contains(&0));
}

#[tokio::test]
async fn region_departement_contract_and_level_filters_combine() {
    let catalogue = catalogue().await;
    let lot = OfferSearch {
        departement: Some("46".into()),
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(lot).await, [0, 1]);
    let occitanie_cdd = OfferSearch {
        region: Some("76".into()),
        contract_kinds: vec![ContractKind::Cdd],
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(occitanie_cdd).await, [3]);
    let bac3 = OfferSearch {
        level: Some(EducationLevel::Bac3),
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(bac3).await, [0, 1, 2, 4]);
}

#[tokio::test]
async fn within_a_radius_keeps_offers_whose_commune_is_that_close() {
    let catalogue = catalogue().await;
    let around_figeac = OfferSearch {
        near: near(FIGEAC, 20.0),
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(around_figeac).await, [0, 1]);
    let around_toulouse = OfferSearch {
        near: near(TOULOUSE, 50.0),
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(around_toulouse).await, [2, 3]);
    let just_too_far = OfferSearch {
        near: near(TOULOUSE, 30.0),
        ..OfferSearch::default()
    };
    assert_eq!(catalogue.find(just_too_far).await, [2]);
}

#[tokio::test]
async fn the_cursor_walks_every_offer_once_even_when_offers_are_published_meanwhile() {
    let catalogue = catalogue().await;
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let found = search(
            &catalogue.pool,
            &OfferSearch {
                page_size: 2,
                after,
                ..OfferSearch::default()
            },
        )
        .await
        .unwrap();
        seen.extend(found.offer_ids());
        if seen.len() == 2 {
            // A newer offer appears between two pages: it does not shift the next ones.
            insert(&catalogue.pool, &[Published::at(RENNES, Utc::now())]).await;
        }
        let Some(next) = found.next else { break };
        after = Some(Cursor::decode(&next.encode()).unwrap());
    }
    assert_eq!(seen, catalogue.ids[..5]);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 5);
}

#[test]
fn a_cursor_that_was_not_given_out_is_refused() {
    for text in ["", "not-base64!", "bm90IGEgY3Vyc29y"] {
        assert!(Cursor::decode(text).is_err(), "{text:?}");
    }
}
