//! The committed `rules/` directory, asked about real contract start dates: which programme,
//! which aids, and "à confirmer" wherever no confirmed set covers the date.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use vte_domain::{CompanySize, ContractKind, EducationLevel, EuroCents, Programme};
use vte_rules::{AidCode, AidStanding, Applicable, Applying, Promise, RuleBook, TO_CONFIRM};

fn book() -> RuleBook {
    RuleBook::load(&vte_rules::repository_rules_dir()).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn confirmed(book: &RuleBook, start: NaiveDate) -> Applying<'_> {
    match book.for_contract_start(start) {
        Applicable::Confirmed(applying) => applying,
        Applicable::ToConfirm(to_confirm) => panic!("{start} is to confirm: {}", to_confirm.reason),
    }
}

#[test]
fn the_committed_rules_directory_loads() {
    let book = book();
    assert_eq!(book.sets().len(), 5);
    assert!(book.sets().iter().all(|set| !set.sources.is_empty()));
    assert!(book.by_id("aide-ti-2020").is_some());
}

#[test]
fn a_contract_starting_in_march_2021_uses_the_2018_2022_programme_and_the_4000_eur_aid() {
    let book = book();
    let applying = confirmed(&book, day(2021, 3, 1));
    assert_eq!(applying.scheme.id, "vte-2019-ti-2018-2022");
    let terms = applying.terms;
    assert_eq!(terms.ti_programme, Programme::Ti2018_2022);
    assert_eq!(terms.level_floor, EducationLevel::Bac2);
    assert_eq!(terms.graduate_recency_months, 24);
    assert_eq!(terms.label_request_months, 6);

    let ti = applying
        .aid(AidCode::TerritoiresIndustrie)
        .in_force()
        .unwrap();
    assert_eq!(ti.id, "aide-ti-2020");
    let aid = ti.aid.as_ref().unwrap();
    assert_eq!(aid.amount.fixed(), Some(EuroCents::from_euros(4_000)));
    assert_eq!(aid.promise, Promise::SubjectToLabel);
    assert_eq!(
        aid.eligibility.company_sizes,
        [CompanySize::Tpe, CompanySize::Pme, CompanySize::Eti]
    );
    assert!(aid.eligibility.work_study_students && aid.eligibility.label_required);
    assert!(aid.eligibility.territoire_industrie);
    assert_eq!(aid.eligibility.graduate_recency_months, Some(24));
}

#[test]
fn a_contract_starting_in_september_2027_uses_the_2023_2027_programme() {
    let book = book();
    let applying = confirmed(&book, day(2027, 9, 1));
    assert_eq!(applying.scheme.id, "vte-2023-ti-2023-2027");
    assert_eq!(applying.terms.ti_programme, Programme::Ti2023_2027);
}

#[test]
fn the_scheme_admits_work_study_cdd_of_a_year_and_cdi_in_tpe_pme_eti() {
    let book = book();
    let terms = confirmed(&book, day(2024, 1, 15)).terms;
    let min = |kind| {
        terms
            .contracts
            .iter()
            .find(|rule| rule.kind == kind)
            .unwrap()
            .min_months
    };
    assert_eq!(min(ContractKind::WorkStudy), Some(12));
    assert_eq!(min(ContractKind::Cdd), Some(12));
    assert_eq!(min(ContractKind::Cdi), None);
    assert_eq!(terms.company_sizes, CompanySize::ALL);
}

#[test]
fn vte_vert_offers_up_to_8000_eur_in_2021_stackable_to_12000() {
    let book = book();
    let applying = confirmed(&book, day(2021, 6, 1));
    let set = applying.aid(AidCode::VteVert).in_force().unwrap();
    let aid = set.aid.as_ref().unwrap();
    assert_eq!(aid.amount.ceiling(), Some(EuroCents::from_euros(8_000)));
    assert_eq!(aid.amount.cap_percent_of_mission_costs, Some(50));
    let stacking = aid.stacking.as_ref().unwrap();
    assert_eq!(stacking.with, [AidCode::TerritoiresIndustrie]);
    assert_eq!(stacking.total_cap(), Some(EuroCents::from_euros(12_000)));
    assert!(stacking.one_per_siret);
    let request = aid.request.as_ref().unwrap();
    assert_eq!(request.within_months_of_hire, Some(6));
    assert_eq!(request.decided_by.as_deref(), Some("comité"));
    let work_study = &aid.eligibility.contracts[0];
    assert_eq!(
        (work_study.kind, work_study.min_months),
        (ContractKind::WorkStudy, Some(10))
    );
}

#[test]
fn vte_vert_keeps_both_readings_of_its_level_floor_with_their_sources() {
    let book = book();
    let set = book.by_id("aide-vte-vert-2020").unwrap();
    let readings = &set.aid.as_ref().unwrap().eligibility.level_floor;
    let read = |source: &str| readings.iter().find(|r| r.source == source).unwrap().level;
    assert_eq!(read("cci-paris-idf"), EducationLevel::Bac2);
    assert_eq!(read("code-travail"), EducationLevel::Bac3);
    assert!(set.sources.iter().all(|source| !source.date.is_empty()));
}

#[test]
fn vte_vert_in_2027_is_to_confirm_not_eligible() {
    let book = book();
    let applying = confirmed(&book, day(2027, 9, 1));
    match applying.aid(AidCode::VteVert) {
        AidStanding::ToConfirm(to_confirm) => {
            assert_eq!(to_confirm.wording(), TO_CONFIRM);
            assert!(
                to_confirm.reason.contains("2024-12-31"),
                "{}",
                to_confirm.reason
            );
        }
        other => panic!("VTE Vert in 2027 should be to confirm, got {other:?}"),
    }
}

#[test]
fn vte_vert_before_september_2020_is_to_confirm() {
    let book = book();
    let applying = confirmed(&book, day(2020, 3, 1));
    assert!(matches!(
        applying.aid(AidCode::VteVert),
        AidStanding::ToConfirm(_)
    ));
}

#[test]
fn mobili_jeune_is_always_conditional_never_eligible_from_an_offer_alone() {
    let book = book();
    for start in [
        day(2019, 6, 1),
        day(2021, 3, 1),
        day(2024, 9, 1),
        day(2027, 9, 1),
    ] {
        match confirmed(&book, start).aid(AidCode::MobiliJeune) {
            AidStanding::InForce(set) => {
                let aid = set.aid.as_ref().unwrap();
                assert_eq!(aid.promise, Promise::Conditional, "{start}");
                assert_eq!(aid.promise.wording(), "possible, sous conditions");
                assert!(!aid.eligibility.label_required);
                assert_eq!(aid.eligibility.under_age, Some(30));
                assert_eq!(aid.eligibility.move_over_km, Some(70));
                assert_eq!(aid.eligibility.move_over_minutes, Some(40));
                let (min, max) = aid.amount.monthly_range().unwrap();
                assert_eq!(
                    (min, max),
                    (EuroCents::from_euros(10), EuroCents::from_euros(100))
                );
                assert_eq!(aid.amount.max_months, Some(12));
            }
            AidStanding::ToConfirm(_) => assert!(start < day(2024, 2, 15), "{start}"),
            AidStanding::Ended { .. } => panic!("Mobili-Jeune is not known to have ended"),
        }
    }
}

#[test]
fn a_contract_starting_before_2019_is_to_confirm() {
    let book = book();
    match book.for_contract_start(day(2018, 12, 31)) {
        Applicable::ToConfirm(to_confirm) => {
            assert_eq!(to_confirm.wording(), "à confirmer auprès de Bpifrance");
            assert!(
                to_confirm.reason.contains("2019-01-01"),
                "{}",
                to_confirm.reason
            );
        }
        Applicable::Confirmed(applying) => panic!("2018 got {}", applying.scheme.id),
    }
}

#[test]
fn a_contract_starting_after_the_last_confirmed_set_is_to_confirm() {
    let book = book();
    assert!(matches!(
        book.for_contract_start(day(2027, 12, 31)),
        Applicable::Confirmed(_)
    ));
    match book.for_contract_start(day(2028, 1, 1)) {
        Applicable::ToConfirm(to_confirm) => {
            assert!(
                to_confirm.reason.contains("2027-12-31"),
                "{}",
                to_confirm.reason
            );
        }
        Applicable::Confirmed(applying) => panic!("2028 got {}", applying.scheme.id),
    }
}

#[test]
fn the_programme_switches_on_the_first_of_january_2023() {
    let book = book();
    let programme = |start| confirmed(&book, start).terms.ti_programme;
    assert_eq!(programme(day(2022, 12, 31)), Programme::Ti2018_2022);
    assert_eq!(programme(day(2023, 1, 1)), Programme::Ti2023_2027);
}
