//! Communes against the real files: lookup by INSEE code and by postal code, names of
//! départements and régions, distances.
#![allow(clippy::unwrap_used)]

mod common;

use common::{insee, reference};
use vte_domain::{PostalCode, Siren};
use vte_reference::RegionZone;

#[test]
fn every_commune_of_the_readme_is_loaded() {
    let data = reference();
    assert_eq!(data.communes().len(), 34_969);
    assert_eq!(data.departements().len(), 109);
    assert_eq!(data.regions().len(), 26);
    let without_centre = data
        .communes()
        .iter()
        .filter(|c| c.centre().is_none())
        .count();
    assert_eq!(without_centre, 94);
}

#[test]
fn figeac_is_found_by_its_insee_code_with_all_its_facts() {
    let figeac = reference().commune(&insee("46102")).unwrap();
    assert_eq!(figeac.name(), "Figeac");
    assert_eq!(figeac.departement(), "46");
    assert_eq!(figeac.region(), "76");
    assert_eq!(figeac.epci(), Some(Siren::parse("200067361").unwrap()));
    assert_eq!(figeac.postal_codes(), [PostalCode::parse("46100").unwrap()]);
    assert_eq!(figeac.population(), Some(9_793));
    let centre = figeac.centre().unwrap();
    assert!((centre.lat - 44.60526).abs() < 1e-9 && (centre.lon - 2.02543).abs() < 1e-9);
}

#[test]
fn corsican_and_overseas_communes_are_found() {
    let data = reference();
    assert_eq!(data.resolve("2a004").unwrap().name(), "Ajaccio");
    assert_eq!(data.resolve("97411").unwrap().departement(), "974");
}

#[test]
fn an_insee_code_naming_no_commune_is_rejected() {
    let error = reference().resolve("46999").unwrap_err();
    assert_eq!(error.rule(), "no commune with INSEE code 46999");
}

#[test]
fn a_malformed_insee_code_is_rejected_before_any_lookup() {
    let data = reference();
    assert_eq!(
        data.resolve("99999").unwrap_err().rule(),
        "codes starting with 99 designate foreign countries, not French communes"
    );
    assert_eq!(
        data.resolve("4610").unwrap_err().rule(),
        "must be 5 characters, got 4"
    );
}

#[test]
fn a_postal_code_covering_several_communes_returns_them_all() {
    let communes = reference().communes_for_postal_code(&PostalCode::parse("01400").unwrap());
    let codes: Vec<String> = communes.iter().map(|c| c.insee().to_string()).collect();
    assert_eq!(
        codes,
        [
            "01001", "01084", "01093", "01113", "01146", "01272", "01328", "01356", "01393",
            "01412"
        ]
    );
}

#[test]
fn a_commune_with_many_postal_codes_is_found_by_each_of_them() {
    let data = reference();
    for code in ["75001", "75116", "75020"] {
        let communes = data.communes_for_postal_code(&PostalCode::parse(code).unwrap());
        let names: Vec<&str> = communes.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["Paris"], "{code}");
    }
}

#[test]
fn a_postal_code_and_a_name_typed_loosely_find_one_commune() {
    let data = reference();
    let commune = data
        .resolve_postal("01400", "l'abergement clemenciat")
        .unwrap();
    assert_eq!(commune.insee().as_str(), "01001");
    assert_eq!(
        data.resolve_postal("42000", "St-Etienne")
            .unwrap()
            .insee()
            .as_str(),
        "42218"
    );
    assert_eq!(data.resolve_postal("35000", "").unwrap().name(), "Rennes");
}

#[test]
fn the_choices_offered_are_in_alphabetical_order_and_capped_at_ten() {
    let error = reference().resolve_postal("46100", "Rodez").unwrap_err();
    assert_eq!(
        error.rule(),
        "no commune named \"Rodez\" has postal code 46100; it serves Béduer, Boussac, Cambes, \
         Camboulit, Camburat, Capdenac, Cardaillac, Corn, Faycelles, Figeac and 9 more"
    );
}

#[test]
fn a_postal_code_serving_several_communes_is_not_guessed_without_a_name() {
    let error = reference().resolve_postal("01400", " ").unwrap_err();
    assert!(
        error
            .rule()
            .starts_with("postal code 01400 serves 10 communes, name one: Chanoz-Châtenay,"),
        "{error}"
    );
}

#[test]
fn a_name_the_postal_code_does_not_serve_is_rejected_with_the_choices() {
    let data = reference();
    assert_eq!(
        data.resolve_postal("35000", "Rodez").unwrap_err().rule(),
        "no commune named \"Rodez\" has postal code 35000; it serves Rennes"
    );
    assert_eq!(
        data.resolve_postal("46109", "Figeac").unwrap_err().rule(),
        "no commune has postal code 46109"
    );
    // A typed name is quoted cut to 64 characters, its control characters escaped.
    let typed = format!("{}\n", "Rodez".repeat(10_000));
    let rule = data
        .resolve_postal("35000", &typed)
        .unwrap_err()
        .rule()
        .to_owned();
    assert!(rule.contains("… (50000 characters)"), "{rule}");
    assert!(rule.len() < 200, "{}", rule.len());
}

#[test]
fn toulouse_and_rennes_are_about_557_km_apart() {
    let km = reference()
        .distance_km(&insee("31555"), &insee("35238"))
        .unwrap();
    assert!((553.0..=561.0).contains(&km), "{km}");
}

#[test]
fn no_distance_is_given_without_a_centre_or_a_commune() {
    let data = reference();
    assert_eq!(data.distance_km(&insee("97502"), &insee("31555")), None);
    assert_eq!(data.distance_km(&insee("46999"), &insee("31555")), None);
}

#[test]
fn departements_and_regions_are_named() {
    let data = reference();
    assert_eq!(data.departement("46").unwrap().name(), "Lot");
    assert_eq!(data.departement("2A").unwrap().name(), "Corse-du-Sud");
    assert_eq!(data.departement("971").unwrap().region(), "01");
    assert_eq!(data.region("76").unwrap().name(), "Occitanie");
    assert_eq!(data.region("04").unwrap().zone(), RegionZone::Drom);
    assert!(data.departement("20").is_none());
}

#[test]
fn the_epci_of_a_commune_is_named() {
    let data = reference();
    let figeac = data.commune(&insee("46102")).unwrap();
    assert_eq!(
        data.epci(&figeac.epci().unwrap()).unwrap().name(),
        "CC Grand-Figeac"
    );
}
