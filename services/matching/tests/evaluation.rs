//! The evaluation command's library: a graded set read, each pool ranked by the index as
//! RankCandidates ranks, measured against the grades; and the development set's figures kept from
//! falling back.

#![allow(clippy::unwrap_used)]

use vte_matching::domain::Rules;
use vte_matching::evaluation::evaluate;
use vte_matching::evaluation::set::GradedSet;
use vte_matching::spread::SpreadSettings;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

fn reference() -> ReferenceData {
    ReferenceData::load(&vte_testbed::reference_dir()).unwrap()
}

fn rules() -> RuleBook {
    RuleBook::load(&vte_rules::repository_rules_dir()).unwrap()
}

/// A CDI in Figeac from September 2027 and three graduates: a mechanical engineer of 2026, a
/// marketing graduate of 2026, and a mechanical engineer of 2023 (more than two years at the
/// start: not eligible).
const SMALL_SET: &str = r#"{
  "version": 1, "as_of": "2027-04-01",
  "offers": [{
    "id": "F1", "title": "Ingénieur méthodes", "description": "Usinage",
    "primary_mission_type": "TECHNOLOGIE", "secondary_mission_type": null,
    "ecological_transition": false, "contract_kind": "CDI", "duration_months": null,
    "min_level": 3, "max_level": 5, "fields_of_study": ["génie mécanique"],
    "skills": ["SolidWorks", "usinage"], "languages": [],
    "insee_code": "46102", "remote_policy": "ON_SITE", "positions": 1,
    "start_date": "2027-09-01", "company_name": "Ateliers du Célé", "company_size": "PME",
    "salary_eur": [32000, 38000], "pool": ["C1", "C2", "C3"]
  }],
  "candidates": [
    {"id": "C1", "status": "GRADUATE", "graduation_date": "2026-06-30", "level": 5,
     "field_of_study": "génie mécanique", "diploma": "Ingénieur", "skills": ["SolidWorks", "usinage"],
     "languages": [], "home_insee_code": "46102",
     "preferences": {"mission_type_weights": {"TECHNOLOGIE": 80}, "mobility_radius_km": 50,
       "open_to_relocation": false, "preferred_region_codes": [], "contract_kinds_sought": ["CDI"],
       "available_from": "2027-07-01"}},
    {"id": "C2", "status": "GRADUATE", "graduation_date": "2026-06-30", "level": 5,
     "field_of_study": "marketing", "diploma": "Master", "skills": [],
     "languages": [], "home_insee_code": "46102",
     "preferences": {"mission_type_weights": {"TECHNOLOGIE": 100}, "mobility_radius_km": 50,
       "open_to_relocation": false, "preferred_region_codes": [], "contract_kinds_sought": ["CDI"],
       "available_from": "2027-07-01"}},
    {"id": "C3", "status": "GRADUATE", "graduation_date": "2023-06-30", "level": 5,
     "field_of_study": "génie mécanique", "diploma": "Ingénieur", "skills": ["SolidWorks", "usinage"],
     "languages": [], "home_insee_code": "46102",
     "preferences": {"mission_type_weights": {"TECHNOLOGIE": 80}, "mobility_radius_km": 50,
       "open_to_relocation": false, "preferred_region_codes": [], "contract_kinds_sought": ["CDI"],
       "available_from": "2027-07-01"}}
  ],
  "judgments": [
    {"offer": "F1", "candidate": "C1", "grade": 3, "eligible": true},
    {"offer": "F1", "candidate": "C2", "grade": 1, "eligible": true},
    {"offer": "F1", "candidate": "C3", "grade": 0, "eligible": false}
  ]
}"#;

#[test]
fn a_pool_is_ranked_by_the_index_without_the_ineligible_and_measured_against_its_grades() {
    let set: GradedSet = serde_json::from_str(SMALL_SET).unwrap();
    let report = evaluate(
        &set,
        &reference(),
        &rules(),
        &Rules::default(),
        &SpreadSettings::default(),
    )
    .unwrap();
    let offer = &report.offers[0];
    let ranked: Vec<&str> = offer.ranked.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ranked, ["C1", "C2"], "the 2023 graduate is not ranked");
    assert!(offer.ranked[0].1 > offer.ranked[1].1);
    assert!((offer.measures.ndcg_at_10 - 1.0).abs() < 1e-9);
    assert_eq!(offer.measures.precision_at_5, 0.2);
    assert_eq!(
        report.summary_line(),
        "ndcg@10 1.000 p@5 0.200 ineligible_shown 0 eligible_missed 0"
    );
}

#[test]
fn a_pool_naming_an_unknown_candidate_is_refused_naming_the_offer() {
    let mut set: GradedSet = serde_json::from_str(SMALL_SET).unwrap();
    set.offers[0].pool.push("C9".to_owned());
    let error = evaluate(
        &set,
        &reference(),
        &rules(),
        &Rules::default(),
        &SpreadSettings::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "offer F1: pool names C9, who is not among the candidates"
    );
}

/// The development set, where it is (beside the repository): no pair the graders found
/// ineligible is ranked, none they graded 2 or more is left out, and nDCG@10 does not fall below
/// what the ranking reached when the command was written (0.855; issue 15 aims at 0.92).
#[test]
fn the_development_set_shows_no_ineligible_pair_and_misses_no_good_one() {
    let path = vte_testbed::reference_dir().join("../eval/ranking-dev.json");
    let set: GradedSet = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let report = evaluate(
        &set,
        &reference(),
        &rules(),
        &Rules::default(),
        &SpreadSettings::default(),
    )
    .unwrap();
    assert_eq!(
        report.overall.ineligible_shown,
        0,
        "{}",
        report.summary_line()
    );
    assert_eq!(
        report.overall.eligible_missed,
        0,
        "{}",
        report.summary_line()
    );
    assert!(
        report.overall.ndcg_at_10 >= 0.85,
        "{}",
        report.summary_line()
    );
}
