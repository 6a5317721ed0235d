//! Territoires d'industrie against the real files, for both programmes: counts, known members,
//! and the 2018-2022 membership derived from groupements.
#![allow(clippy::unwrap_used)]

mod common;

use common::{insee, reference};
use vte_reference::Programme;

#[test]
fn the_current_programme_has_183_territories_covering_18639_communes() {
    let territories = reference().territories(Programme::Ti2023_2027);
    assert_eq!(territories.len(), 183);
    let communes: u32 = territories.iter().map(|t| t.commune_count()).sum();
    assert_eq!(communes, 18_639);
}

#[test]
fn the_current_programme_is_the_default() {
    assert_eq!(Programme::default(), Programme::Ti2023_2027);
}

#[test]
fn figeac_is_in_the_territoire_d_industrie_ti_7603() {
    let territory = reference()
        .territory_of(&insee("46102"), Programme::default())
        .unwrap();
    assert_eq!(territory.id(), "ti-7603");
    assert_eq!(territory.name(), "Aurillac – Figeac – Rodez");
    assert_eq!(territory.lead_region(), "76");
    assert_eq!(territory.commune_count(), 506);
}

#[test]
fn toulouse_is_in_no_territoire_d_industrie() {
    let data = reference();
    for programme in Programme::ALL {
        assert!(
            data.territory_of(&insee("31555"), programme).is_none(),
            "{programme}"
        );
    }
}

#[test]
fn an_unknown_commune_is_in_no_territory() {
    assert!(
        reference()
            .territory_of(&insee("46999"), Programme::default())
            .is_none()
    );
}

#[test]
fn a_territory_is_found_by_its_id_within_its_programme() {
    let data = reference();
    let territory = data.territory(Programme::Ti2023_2027, "ti-7603").unwrap();
    assert_eq!(territory.programme(), Programme::Ti2023_2027);
    assert!(data.territory(Programme::Ti2023_2027, "ti-9999").is_none());
}

#[test]
fn the_first_programme_has_149_territories_all_fully_derived() {
    let territories = reference().territories(Programme::Ti2018_2022);
    assert_eq!(territories.len(), 149);
    assert!(
        territories
            .iter()
            .all(|t| t.unresolved_groupements().is_empty())
    );
    assert!(territories.iter().all(|t| t.commune_count() > 0));
}

#[test]
fn figeac_was_already_a_territoire_d_industrie_in_2018_under_another_id() {
    let territory = reference()
        .territory_of(&insee("46102"), Programme::Ti2018_2022)
        .unwrap();
    assert_eq!(territory.id(), "ti-7601");
    assert_eq!(territory.name(), "Aurillac - Figeac - Rodez");
    assert_eq!(territory.lead_region(), "76");
}

#[test]
fn a_territory_drawn_commune_by_commune_in_2018_is_derived_from_commune_sirens() {
    // Aix-en-Provence is listed by its SIREN 211300017 in Aix-Marseille-Provence.
    let territory = reference()
        .territory_of(&insee("13001"), Programme::Ti2018_2022)
        .unwrap();
    assert_eq!(territory.id(), "ti-9301");
    // Marseille itself was not listed.
    assert!(
        reference()
            .territory_of(&insee("13055"), Programme::Ti2018_2022)
            .is_none()
    );
}

#[test]
fn grand_paris_ept_territories_of_2018_get_their_communes_from_2023() {
    let data = reference();
    let first = |code| {
        data.territory_of(&insee(code), Programme::Ti2018_2022)
            .map(|t| t.id())
    };
    // EPT Boucle Nord de Seine, EPT Grand-Orly Seine Bièvre, EPT Paris Terres d'Envol.
    assert_eq!(first("92036"), Some("ti-1101"));
    assert_eq!(first("94054"), Some("ti-1104"));
    assert_eq!(first("93005"), Some("ti-1105"));
    let sizes: Vec<u32> = ["ti-1101", "ti-1104"]
        .iter()
        .map(|id| {
            data.territory(Programme::Ti2018_2022, id)
                .unwrap()
                .commune_count()
        })
        .collect();
    assert_eq!(sizes, [7, 24]);
}

#[test]
fn the_same_id_names_different_territories_in_each_programme() {
    let data = reference();
    let orly = insee("94054");
    assert_eq!(
        data.territory_of(&orly, Programme::Ti2018_2022)
            .unwrap()
            .id(),
        "ti-1104"
    );
    assert_eq!(
        data.territory_of(&orly, Programme::Ti2023_2027)
            .unwrap()
            .id(),
        "ti-1105"
    );
}
