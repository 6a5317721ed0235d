//! The verdict on real communes and dates, against the repository's rule files.

use super::*;
use crate::AidCode;
use crate::book::repository_rules_dir;
use std::sync::OnceLock;
use vte_domain::CompanySize;
use vte_reference::ReferenceData;

fn book() -> &'static RuleBook {
    static BOOK: OnceLock<RuleBook> = OnceLock::new();
    BOOK.get_or_init(|| RuleBook::load(&repository_rules_dir()).unwrap())
}

fn reference() -> &'static ReferenceData {
    static REFERENCE: OnceLock<ReferenceData> = OnceLock::new();
    REFERENCE.get_or_init(|| ReferenceData::load(&ReferenceData::default_dir()).unwrap())
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A CDI at bac+3..=bac+5 in `insee`, starting on `start`, in a PME.
fn offer(insee: &str, start: NaiveDate) -> OfferFacts {
    OfferFacts {
        contract: ContractKind::Cdi,
        duration_months: None,
        start,
        min_level: 3,
        max_level: 5,
        company_size: CompanySize::Pme,
        place: PlaceFacts::resolve(reference(), insee).unwrap(),
        ecological_mission: false,
    }
}

fn work_study(insee: &str, start: NaiveDate) -> OfferFacts {
    OfferFacts {
        contract: ContractKind::WorkStudy,
        duration_months: Some(24),
        ..offer(insee, start)
    }
}

fn graduate(graduated: NaiveDate) -> CandidateFacts {
    CandidateFacts {
        status: Status::Graduate,
        level: 5,
        graduation_date: Some(graduated),
        contract_kinds: vec![ContractKind::Cdi, ContractKind::Cdd],
        available_from: None,
    }
}

fn student(graduating: NaiveDate) -> CandidateFacts {
    CandidateFacts {
        status: Status::Student,
        level: 4,
        graduation_date: Some(graduating),
        contract_kinds: vec![ContractKind::WorkStudy],
        available_from: None,
    }
}

fn aid(aids: &[AidVerdict], code: AidCode) -> &AidVerdict {
    aids.iter().find(|aid| aid.code == code).unwrap()
}

#[test]
fn a_2023_graduate_is_not_eligible_for_an_offer_starting_in_september_2027() {
    let verdict = judge(
        book(),
        &offer("46102", day(2027, 9, 1)),
        &graduate(day(2023, 6, 30)),
        Options::default(),
    );
    assert_eq!(verdict.standing, Standing::NotEligible);
    assert_eq!(verdict.rule_set_id, "vte-2023-ti-2023-2027");
    let unmet: Vec<Rule> = verdict.unmet().map(|check| check.rule).collect();
    assert_eq!(unmet, [Rule::GraduateRecency]);
    let reason = &verdict.unmet().next().unwrap().reason;
    assert_eq!(
        reason,
        "Diplômé en juin 2023 : le diplôme aura 2 ans ou plus au début du contrat, le 1er \
         septembre 2027 (le VTE s'adresse aux diplômés depuis moins de 2 ans)."
    );
    assert!(
        !reason.contains("30 juin"),
        "the day of a diploma is not told: {reason}"
    );
    assert!(!verdict.label_ready);
    assert!(verdict.aids.iter().all(|aid| !aid.eligible()));
    assert_eq!(verdict.company_total, EuroCents::ZERO);
    assert!(
        verdict
            .summary()
            .starts_with("Non éligible au VTE : Diplômé en juin 2023")
    );
}

#[test]
fn the_two_year_window_ends_the_day_before_the_second_anniversary() {
    let start = day(2027, 10, 1);
    let judged = |graduated| {
        judge(
            book(),
            &offer("46102", start),
            &graduate(graduated),
            Options::default(),
        )
    };
    assert!(judged(day(2025, 10, 2)).eligible());
    assert!(!judged(day(2025, 10, 1)).eligible());
    assert!(!judged(day(2025, 9, 30)).eligible());
}

#[test]
fn a_recent_graduate_in_figeac_is_eligible_label_ready_and_opens_4000_eur() {
    let verdict = judge(
        book(),
        &offer("46102", day(2027, 9, 1)),
        &graduate(day(2026, 6, 30)),
        Options::default(),
    );
    assert!(verdict.eligible(), "{verdict:#?}");
    assert!(verdict.label_ready);
    assert_eq!(
        verdict.territory.as_deref(),
        Some("Aurillac – Figeac – Rodez")
    );
    let ti = aid(&verdict.aids, AidCode::TerritoiresIndustrie);
    assert_eq!(ti.outcome, AidOutcome::Eligible);
    assert_eq!(ti.amount, Some(EuroCents::from_euros(4_000)));
    assert_eq!(verdict.company_total, EuroCents::from_euros(4_000));
}

#[test]
fn a_work_study_student_in_figeac_opens_the_4000_eur_aid_subject_to_the_label() {
    let verdict = judge(
        book(),
        &work_study("46102", day(2026, 9, 1)),
        &student(day(2028, 6, 30)),
        Options::default(),
    );
    assert!(verdict.eligible(), "{verdict:#?}");
    let ti = aid(&verdict.aids, AidCode::TerritoiresIndustrie);
    assert_eq!(ti.outcome, AidOutcome::Eligible);
    assert_eq!(ti.amount, Some(EuroCents::from_euros(4_000)));
    assert!(ti.fixed && ti.to_company);
    assert!(
        ti.reason.starts_with(
            "Figeac est dans le Territoire d'industrie Aurillac – Figeac – Rodez (programme \
             2023-2027) : l'entreprise peut être éligible, sous réserve de labellisation par \
             Bpifrance, à l'aide VTE Territoires d'industrie : 4 000 €"
        ),
        "{}",
        ti.reason
    );
    assert!(ti.conditions.iter().any(|c| c.contains("charte VTE")));
    assert!(
        ti.conditions
            .iter()
            .any(|c| c.contains("label VTE accordé par Bpifrance"))
    );
}

#[test]
fn mobili_jeune_is_never_eligible_from_an_offer_alone_nor_for_a_pair() {
    let offer = work_study("46102", day(2026, 9, 1));
    let alone = offer_aids(book(), &offer);
    let mobili = aid(&alone, AidCode::MobiliJeune);
    assert_eq!(mobili.outcome, AidOutcome::Possible);
    assert!(!mobili.eligible());
    assert!(
        mobili.reason.contains("possible, sous conditions"),
        "{}",
        mobili.reason
    );
    assert!(
        mobili
            .reason
            .contains("10 € à 100 € par mois pendant 1 an au plus"),
        "{}",
        mobili.reason
    );
    assert!(!mobili.to_company);
    assert!(
        mobili
            .conditions
            .iter()
            .any(|c| c.contains("moins de 30 ans"))
    );
    let pair = judge(
        book(),
        &offer,
        &student(day(2028, 6, 30)),
        Options::default(),
    );
    assert_eq!(
        aid(&pair.aids, AidCode::MobiliJeune).outcome,
        AidOutcome::Possible
    );
    // Nor is it open for a CDI.
    let cdi = offer_aids(book(), &self::offer("46102", day(2026, 9, 1)));
    assert_eq!(
        aid(&cdi, AidCode::MobiliJeune).outcome,
        AidOutcome::NotEligible
    );
    // Before its 2024 reform no source covers it: to confirm, not a yes.
    let old = offer_aids(book(), &work_study("46102", day(2023, 9, 1)));
    assert_eq!(
        aid(&old, AidCode::MobiliJeune).outcome,
        AidOutcome::ToConfirm
    );
}

#[test]
fn a_vte_vert_mission_in_2021_opens_up_to_8000_eur_and_in_2027_is_to_confirm() {
    let green = |start| OfferFacts {
        ecological_mission: true,
        ..offer("46102", start)
    };
    let in_2021 = offer_aids(book(), &green(day(2021, 9, 1)));
    let vert = aid(&in_2021, AidCode::VteVert);
    assert_eq!(vert.outcome, AidOutcome::Eligible, "{}", vert.reason);
    assert_eq!(vert.amount, Some(EuroCents::from_euros(8_000)));
    assert!(!vert.fixed);
    assert!(
        vert.reason
            .contains("jusqu'à 8 000 € (au plus 50 % des coûts de la mission)"),
        "{}",
        vert.reason
    );
    // Stacked with the Territoires d'industrie aid (Figeac, 2018-2022 list), 12,000 EUR.
    let pair = judge(
        book(),
        &green(day(2021, 9, 1)),
        &graduate(day(2021, 6, 30)),
        Options::default(),
    );
    assert_eq!(pair.rule_set_id, "vte-2019-ti-2018-2022");
    assert_eq!(
        aid(&pair.aids, AidCode::VteVert).outcome,
        AidOutcome::Eligible
    );
    assert_eq!(
        aid(&pair.aids, AidCode::TerritoiresIndustrie).outcome,
        AidOutcome::Eligible
    );
    assert_eq!(pair.company_total, EuroCents::from_euros(12_000));

    let in_2027 = offer_aids(book(), &green(day(2027, 9, 1)));
    let vert = aid(&in_2027, AidCode::VteVert);
    assert_eq!(vert.outcome, AidOutcome::ToConfirm);
    assert!(
        vert.reason.contains("à confirmer auprès de Bpifrance"),
        "{}",
        vert.reason
    );
    assert!(vert.reason.contains("31 décembre 2024"), "{}", vert.reason);
    let pair = judge(
        book(),
        &green(day(2027, 9, 1)),
        &graduate(day(2026, 6, 30)),
        Options::default(),
    );
    assert_eq!(
        aid(&pair.aids, AidCode::VteVert).outcome,
        AidOutcome::ToConfirm
    );
    assert_eq!(pair.company_total, EuroCents::from_euros(4_000));
    // A mission that is not ecological is simply not open, whatever the year.
    let grey = offer_aids(book(), &offer("46102", day(2021, 9, 1)));
    assert_eq!(
        aid(&grey, AidCode::VteVert).outcome,
        AidOutcome::NotEligible
    );
}

#[test]
fn vte_vert_at_bac_plus_2_is_to_confirm_because_the_sources_disagree() {
    let offer = OfferFacts {
        ecological_mission: true,
        min_level: 2,
        ..offer("46102", day(2022, 9, 1))
    };
    let candidate = CandidateFacts {
        level: 2,
        ..graduate(day(2022, 6, 30))
    };
    let pair = judge(book(), &offer, &candidate, Options::default());
    assert!(pair.eligible());
    let vert = aid(&pair.aids, AidCode::VteVert);
    assert_eq!(vert.outcome, AidOutcome::ToConfirm);
    assert!(
        vert.reason
            .contains("bac+2 selon cci-paris-idf, bac+3 selon code-travail"),
        "{}",
        vert.reason
    );
}

#[test]
fn a_contract_starting_in_2021_is_judged_on_the_2018_2022_list() {
    // Saint-Malo was in the Territoire d'industrie "Dinan - Saint-Malo" of 2018-2022, and is in
    // none of 2023-2027.
    let in_2021 = judge(
        book(),
        &offer("35288", day(2021, 9, 1)),
        &graduate(day(2021, 6, 30)),
        Options::default(),
    );
    assert_eq!(in_2021.programme, Programme::Ti2018_2022);
    assert_eq!(in_2021.territory.as_deref(), Some("Dinan - Saint-Malo"));
    assert!(in_2021.label_ready);
    assert!(aid(&in_2021.aids, AidCode::TerritoiresIndustrie).eligible());
    let in_2024 = judge(
        book(),
        &offer("35288", day(2024, 9, 1)),
        &graduate(day(2024, 6, 30)),
        Options::default(),
    );
    assert_eq!(in_2024.programme, Programme::Ti2023_2027);
    assert_eq!(in_2024.territory, None);
    assert!(in_2024.eligible() && !in_2024.label_ready);
    let ti = aid(&in_2024.aids, AidCode::TerritoiresIndustrie);
    assert!(!ti.eligible());
    assert!(
        ti.reason
            .contains("Saint-Malo n'est dans aucun Territoire d'industrie du programme 2023-2027"),
        "{}",
        ti.reason
    );
}

#[test]
fn a_start_after_2027_is_to_confirm_never_a_yes_but_a_failed_rule_still_says_no() {
    let start = day(2028, 3, 1);
    let verdict = judge(
        book(),
        &offer("46102", start),
        &graduate(day(2027, 6, 30)),
        Options::default(),
    );
    assert_eq!(verdict.standing, Standing::ToConfirm);
    assert!(!verdict.eligible() && verdict.admissible());
    assert!(!verdict.confirmed);
    assert!(
        verdict
            .summary()
            .contains("à confirmer auprès de Bpifrance")
    );
    assert!(verdict.aids.iter().all(|aid| !aid.eligible()));
    let old = judge(
        book(),
        &offer("46102", start),
        &graduate(day(2024, 6, 30)),
        Options::default(),
    );
    assert_eq!(old.standing, Standing::NotEligible);
}

#[test]
fn a_student_at_the_start_may_only_take_work_study_and_one_graduating_before_may_take_a_cdi() {
    let start = day(2027, 9, 1);
    let mut seeker = student(day(2028, 6, 30));
    seeker.contract_kinds = vec![ContractKind::Cdi];
    let verdict = judge(book(), &offer("46102", start), &seeker, Options::default());
    assert_eq!(
        verdict.unmet().map(|c| c.rule).collect::<Vec<_>>(),
        [Rule::ContractForStatus]
    );
    seeker.graduation_date = Some(day(2027, 6, 30));
    seeker.level = 5;
    assert!(judge(book(), &offer("46102", start), &seeker, Options::default()).eligible());
}

#[test]
fn level_contract_availability_and_duration_each_name_their_rule() {
    let start = day(2027, 9, 1);
    let candidate = CandidateFacts {
        level: 2,
        contract_kinds: vec![ContractKind::Cdd],
        available_from: Some(day(2027, 11, 1)),
        ..graduate(day(2026, 6, 30))
    };
    let short = OfferFacts {
        contract: ContractKind::Cdd,
        duration_months: Some(6),
        ..offer("46102", start)
    };
    let verdict = judge(book(), &short, &candidate, Options::default());
    let unmet: Vec<Rule> = verdict.unmet().map(|c| c.rule).collect();
    assert_eq!(
        unmet,
        [Rule::Level, Rule::ContractDuration, Rule::Availability]
    );
    let relaxed = judge(
        book(),
        &short,
        &candidate,
        Options {
            availability_tolerance_days: 90,
        },
    );
    assert!(!relaxed.unmet().any(|c| c.rule == Rule::Availability));
}

#[test]
fn a_verdict_survives_a_round_trip_through_json() {
    let verdict = judge(
        book(),
        &work_study("46102", day(2026, 9, 1)),
        &student(day(2028, 6, 30)),
        Options::default(),
    );
    let json = serde_json::to_string(&verdict).unwrap();
    assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), verdict);
}
