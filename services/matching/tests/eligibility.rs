//! The index filters as `vte_rules::judge` decides: over many generated pairs (contract starts
//! from 2018 to 2029, so under both Territoires d'industrie programmes and where no confirmed
//! rule set applies; students, graduates and unknown situations; diplomas on either side of
//! the two years; contracts too short; every company size), the candidates the column scan
//! keeps for an offer, and the offers kept for a candidate, are exactly the pairs whose verdict
//! is not NOT_ELIGIBLE, and each hard filter of an assessment agrees with the verdict's rule.

#![allow(clippy::unwrap_used)]

#[path = "common/synthetic.rs"]
mod synthetic;

use std::collections::BTreeSet;

use chrono::{Days, Months, NaiveDate};
use synthetic::Rng;
use vte_domain::{CandidateId, CompanySize, ContractKind, MissionType, OfferId, Siren};
use vte_matching::domain::{
    Academic, CandidateModel, OfferModel, Place, Rules, SchemeFit, Term, assess, verdict,
};
use vte_matching::index::{CandidateFilter, Index, OfferFilter};
use vte_reference::ReferenceData;
use vte_rules::{Rule, RuleBook};

const COMMUNES: [&str; 4] = ["46102", "35288", "31555", "35238"];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A day from 2018 to 2029, month ends and 29 February more often than chance would give.
fn some_day(rng: &mut Rng) -> NaiveDate {
    let year = 2018 + rng.below(12) as i32;
    match rng.below(6) {
        0 => day(year, 2, 28).succ_opt().unwrap(), // 29 February or 1 March
        1 => day(year, 1 + rng.below(12) as u32, 1).pred_opt().unwrap(),
        _ => day(year, 1, 1) + Days::new(rng.below(365) as u64),
    }
}

fn offer(rng: &mut Rng, reference: &ReferenceData, book: &RuleBook) -> OfferModel {
    let contract = ContractKind::ALL[rng.below(3)];
    let min = 2 + rng.below(4) as u8;
    let mut offer = OfferModel {
        id: OfferId::from_uuid(uuid::Uuid::from_u64_pair(rng.next(), rng.next())),
        siren: Siren::parse("732829320").unwrap(),
        title: "Offre".into(),
        company_name: "Entreprise".into(),
        open: true,
        primary: MissionType::Technologie,
        secondary: None,
        contract,
        duration_months: [None, Some(6), Some(10), Some(11), Some(12), Some(24)][rng.below(6)],
        min_level: min,
        max_level: (min + rng.below(3) as u8).min(5),
        company_size: CompanySize::ALL[rng.below(3)],
        ecological: rng.chance(30),
        fields: vec![],
        skills: vec![],
        languages: vec![],
        place: Place::resolve(reference, COMMUNES[rng.below(COMMUNES.len())]).unwrap(),
        start_date: some_day(rng),
        scheme: SchemeFit::unread(),
    };
    offer.scheme = SchemeFit::read(book, &offer);
    offer
}

/// A candidate whose diploma is dated around `near` (two years before some start, often).
fn candidate(rng: &mut Rng, reference: &ReferenceData, near: NaiveDate) -> CandidateModel {
    let academic = [Academic::Student, Academic::Graduate, Academic::Unknown][rng.below(3)];
    let graduation = match rng.below(5) {
        0 => None,
        1 => Some(some_day(rng)),
        _ => Some(near - Days::new(3) + Days::new(rng.below(7) as u64)),
    };
    let kinds: Vec<ContractKind> = ContractKind::ALL
        .into_iter()
        .filter(|_| rng.chance(60))
        .collect();
    CandidateModel {
        id: CandidateId::from_uuid(uuid::Uuid::from_u64_pair(rng.next(), rng.next())),
        school: None,
        academic,
        graduation_date: graduation,
        level: 1 + rng.below(6) as u8,
        field_of_study: Term::new("génie mécanique"),
        skills: vec![],
        languages: vec![],
        home: Place::resolve(reference, COMMUNES[rng.below(COMMUNES.len())]).unwrap(),
        mission_weights: [50; 8],
        radius_km: 50,
        // Mobility is matching's own filter, not the scheme's: out of the way here.
        open_to_relocation: true,
        preferred_regions: vec![],
        contract_kinds: kinds,
        available_from: near + Months::new(24) - Days::new(40) + Days::new(rng.below(80) as u64),
        labels_count: 0,
    }
}

#[test]
fn the_index_keeps_exactly_the_pairs_judge_finds_admissible() {
    let book = RuleBook::load(&vte_rules::repository_rules_dir()).unwrap();
    // Every rule set admits the three sizes the contract knows: the size rule never refuses.
    agree_with_judge(&book, &[Rule::CompanySize]);
}

#[test]
fn the_index_follows_the_rule_data_when_a_set_admits_fewer_company_sizes() {
    let dir = vte_rules::repository_rules_dir();
    let files = std::fs::read_dir(&dir).unwrap().filter_map(|entry| {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).ok()?;
        let text = text.replace(
            r#"company_sizes = ["TPE", "PME", "ETI"]"#,
            r#"company_sizes = ["PME", "ETI"]"#,
        );
        (path.extension()? == "toml").then_some((path, text))
    });
    let book = RuleBook::from_files(files).unwrap();
    agree_with_judge(&book, &[]);
}

/// Ranks many generated pairs both ways on the index and compares with `judge`; every rule
/// but those of `never_refusing` must refuse some pairs.
fn agree_with_judge(book: &RuleBook, never_refusing: &[Rule]) {
    let reference = ReferenceData::load(&vte_testbed::reference_dir()).unwrap();
    let book = book.clone();
    let rules = Rules::default();
    let tolerance = rules.availability_tolerance_days;
    let mut rng = Rng(0x00e1_191b_1e00_0014);
    let offers: Vec<OfferModel> = (0..150)
        .map(|_| offer(&mut rng, &reference, &book))
        .collect();
    // Each candidate's diploma near the two-year limit of one offer's start.
    let candidates: Vec<CandidateModel> = (0..1_200)
        .map(|i| {
            let start = offers[i % offers.len()].start_date;
            candidate(&mut rng, &reference, start - Months::new(24))
        })
        .collect();
    let mut index = Index::new(&reference);
    for candidate in &candidates {
        index.upsert_candidate(candidate.clone());
    }
    for offer in &offers {
        index.upsert_offer(offer.clone());
    }

    let (mut admissible_pairs, mut refused) = (0usize, [0usize; Rule::ALL.len()]);
    for offer in &offers {
        let ranked = index.rank_candidates(offer, &rules, &CandidateFilter::default(), 2_000);
        let kept: BTreeSet<CandidateId> = ranked.hits.iter().map(|(c, _)| c.id).collect();
        let mut expected = BTreeSet::new();
        for candidate in &candidates {
            let judged = verdict(&book, offer, candidate, tolerance);
            let filters = assess(offer, candidate, &rules).filters;
            for check in &judged.checks {
                let read = match check.rule {
                    Rule::Level => filters.level,
                    Rule::ContractSought => filters.contract,
                    Rule::ContractForStatus => filters.contract_for_status,
                    Rule::ContractDuration => filters.contract_duration,
                    Rule::GraduateRecency => filters.graduate_recency,
                    Rule::Availability => filters.availability,
                    Rule::CompanySize => filters.company_size,
                };
                assert_eq!(
                    read,
                    check.met,
                    "rule {} for an offer starting {} and {candidate:?}: {}",
                    check.rule.code(),
                    offer.start_date,
                    check.reason
                );
                if !check.met {
                    refused[Rule::ALL.iter().position(|r| *r == check.rule).unwrap()] += 1;
                }
            }
            assert_eq!(filters.scheme_passes(), judged.admissible());
            if judged.admissible() {
                expected.insert(candidate.id);
            }
        }
        admissible_pairs += expected.len();
        assert_eq!(kept, expected, "offer starting {}", offer.start_date);
        assert_eq!(ranked.eligible as usize, expected.len());
    }
    // The data reach every rule both ways, so agreement means something.
    assert!(
        admissible_pairs > 300,
        "{admissible_pairs} admissible pairs"
    );
    for (rule, count) in Rule::ALL.iter().zip(refused) {
        if never_refusing.contains(rule) {
            assert_eq!(count, 0, "rule {}", rule.code());
        } else {
            assert!(
                count > 50,
                "rule {} refused only {count} pairs",
                rule.code()
            );
        }
    }

    // And the other way: the offers kept for a candidate.
    for candidate in candidates.iter().step_by(7) {
        let ranked = index.rank_offers(candidate, &rules, &OfferFilter::default(), 1_000);
        let kept: BTreeSet<OfferId> = ranked.hits.iter().map(|(o, _)| o.id).collect();
        let expected: BTreeSet<OfferId> = offers
            .iter()
            .filter(|offer| verdict(&book, offer, candidate, tolerance).admissible())
            .map(|offer| offer.id)
            .collect();
        assert_eq!(kept, expected, "{candidate:?}");
    }
}

#[test]
fn a_diploma_counts_until_the_day_before_its_second_anniversary_of_the_start() {
    let reference = ReferenceData::load(&vte_testbed::reference_dir()).unwrap();
    let book = RuleBook::load(&vte_rules::repository_rules_dir()).unwrap();
    let mut rng = Rng(7);
    let mut offer = offer(&mut rng, &reference, &book);
    offer.contract = ContractKind::Cdi;
    offer.company_size = CompanySize::Pme;
    (offer.min_level, offer.max_level) = (2, 5);
    for start in [
        day(2027, 9, 1),
        day(2028, 2, 29),
        day(2021, 3, 31),
        day(2027, 2, 28),
    ] {
        offer.start_date = start;
        offer.scheme = SchemeFit::read(&book, &offer);
        let mut graduate = candidate(&mut rng, &reference, start);
        graduate.academic = Academic::Graduate;
        graduate.level = 5;
        graduate.contract_kinds = vec![ContractKind::Cdi];
        graduate.available_from = start;
        for offset in -3i64..=3 {
            let graduated = start - Months::new(24) + chrono::Duration::days(offset);
            graduate.graduation_date = Some(graduated);
            let judged = verdict(&book, &offer, &graduate, 30);
            let filters = assess(&offer, &graduate, &Rules::default()).filters;
            assert_eq!(
                filters.graduate_recency,
                judged
                    .checks
                    .iter()
                    .any(|c| c.rule == Rule::GraduateRecency && c.met),
                "graduated {graduated}, start {start}"
            );
            assert_eq!(filters.scheme_passes(), judged.admissible());
        }
    }
}
