//! The index against the rules applied pair by pair: for synthetic candidates over real
//! communes, ranking through the column scan (partitions, pruning, bounded heap) gives exactly
//! the ranking, scores and eligible count of [`assess`] on every pair, sorted; and a removed or
//! changed candidate leaves no trace in the columns.

#![allow(clippy::unwrap_used)]

#[path = "common/synthetic.rs"]
mod synthetic;

use std::collections::HashSet;

use synthetic::{Rng, candidate, communes, offer};
use vte_matching::domain::{CandidateModel, OfferModel, Rules, assess};
use vte_matching::index::{CandidateFilter, Index, OfferFilter};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

fn reference() -> ReferenceData {
    ReferenceData::load(&vte_testbed::reference_dir()).unwrap()
}

fn book() -> RuleBook {
    RuleBook::load(&vte_rules::repository_rules_dir()).unwrap()
}

/// The day whose shuffle breaks ties in these tests.
fn tie_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
}

/// Where an id falls among equal scores on [`tie_day`], as the index orders it.
fn tie(id: &uuid::Uuid) -> (u64, uuid::Uuid) {
    use chrono::Datelike;
    let seed = u64::try_from(tie_day().num_days_from_ce()).unwrap();
    (vte_matching::index::topk::tie_rank(id.as_u128(), seed), *id)
}

/// The best `limit` by brute force: assess every pair, keep the eligible, sort.
fn brute_force(
    offer: &OfferModel,
    candidates: &[CandidateModel],
    rules: &Rules,
    filter: &CandidateFilter,
    limit: usize,
) -> (Vec<(String, f32)>, u32) {
    let mut eligible: Vec<(String, f32, uuid::Uuid)> = candidates
        .iter()
        .filter(|c| !filter.exclude.contains(&c.id))
        .filter_map(|c| {
            let a = assess(offer, c, rules);
            let within = filter
                .max_distance_km
                .is_none_or(|max| a.filters.distance_km <= max);
            (a.eligible() && within).then(|| (c.id.to_string(), a.score, c.id.as_uuid()))
        })
        .collect();
    let count = eligible.len() as u32;
    eligible.sort_by(|a, b| b.1.total_cmp(&a.1).then(tie(&a.2).cmp(&tie(&b.2))));
    (
        eligible
            .into_iter()
            .take(limit)
            .map(|(id, score, _)| (id, score))
            .collect(),
        count,
    )
}

#[test]
fn the_column_scan_ranks_exactly_as_the_rules_applied_pair_by_pair() {
    let reference = reference();
    let book = book();
    let communes = communes(&reference);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let candidates: Vec<CandidateModel> = (0..20_000)
        .map(|_| candidate(&mut rng, &reference, &communes))
        .collect();
    let mut index = Index::new(&reference).with_tie_day(tie_day());
    for c in &candidates {
        index.upsert_candidate(c.clone());
    }
    let rules = Rules::default();
    for round in 0..40 {
        let offer = offer(&mut rng, &reference, &book, &communes);
        let filter = CandidateFilter {
            max_distance_km: (round % 4 == 0).then_some(300.0),
            exclude: if round % 5 == 0 {
                candidates.iter().take(500).map(|c| c.id).collect()
            } else {
                HashSet::new()
            },
            ..CandidateFilter::default()
        };
        let ranking = index.rank_candidates(&offer, &rules, &filter, 20);
        let (expected, count) = brute_force(&offer, &candidates, &rules, &filter, 20);
        let got: Vec<(String, f32)> = ranking
            .hits
            .iter()
            .map(|(c, s)| (c.id.to_string(), *s))
            .collect();
        assert_eq!(ranking.eligible, count, "round {round}");
        assert_eq!(got, expected, "round {round}");
    }
}

#[test]
fn removed_and_changed_candidates_leave_no_trace() {
    let reference = reference();
    let book = book();
    let communes = communes(&reference);
    let mut rng = Rng(0x0bad_cafe_1234_5678);
    let mut candidates: Vec<CandidateModel> = (0..3_000)
        .map(|_| candidate(&mut rng, &reference, &communes))
        .collect();
    let mut index = Index::new(&reference).with_tie_day(tie_day());
    for c in &candidates {
        index.upsert_candidate(c.clone());
    }
    // Remove every third, change every fifth (new home, new kinds), in scan order.
    let mut kept = Vec::new();
    for (i, mut c) in candidates.drain(..).enumerate() {
        if i % 3 == 0 {
            index.remove_candidate(&c.id);
            continue;
        }
        if i % 5 == 0 {
            let other = candidate(&mut rng, &reference, &communes);
            c = CandidateModel { id: c.id, ..other };
            index.upsert_candidate(c.clone());
        }
        kept.push(c);
    }
    assert_eq!(index.len().0, kept.len());
    let rules = Rules::default();
    for round in 0..20 {
        let offer = offer(&mut rng, &reference, &book, &communes);
        let ranking = index.rank_candidates(&offer, &rules, &CandidateFilter::default(), 50);
        let (expected, count) = brute_force(&offer, &kept, &rules, &CandidateFilter::default(), 50);
        assert_eq!(ranking.eligible, count, "round {round}");
        let got: Vec<(String, f32)> = ranking
            .hits
            .iter()
            .map(|(c, s)| (c.id.to_string(), *s))
            .collect();
        assert_eq!(got, expected, "round {round}");
    }
}

#[test]
fn ranking_offers_agrees_with_the_rules_and_the_request_filters() {
    let reference = reference();
    let book = book();
    let communes = communes(&reference);
    let mut rng = Rng(0x5151_7171_9191_0101);
    let offers: Vec<OfferModel> = (0..2_000)
        .map(|_| offer(&mut rng, &reference, &book, &communes))
        .collect();
    let mut index = Index::new(&reference).with_tie_day(tie_day());
    for o in &offers {
        index.upsert_offer(o.clone());
    }
    let rules = Rules::default();
    for round in 0..30 {
        let c = candidate(&mut rng, &reference, &communes);
        let filter = OfferFilter {
            only_in_territory: round % 2 == 0,
            ..OfferFilter::default()
        };
        let ranking = index.rank_offers(&c, &rules, &filter, 10);
        let mut expected: Vec<(f32, uuid::Uuid)> = offers
            .iter()
            .filter(|o| !filter.only_in_territory || o.territory().is_some())
            .map(|o| (assess(o, &c, &rules), o.id.as_uuid()))
            .filter(|(a, _)| a.eligible())
            .map(|(a, id)| (a.score, id))
            .collect();
        assert_eq!(ranking.eligible as usize, expected.len(), "round {round}");
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(tie(&a.1).cmp(&tie(&b.1))));
        let got: Vec<(f32, uuid::Uuid)> = ranking
            .hits
            .iter()
            .map(|(o, a)| (a.score, o.id.as_uuid()))
            .collect();
        expected.truncate(10);
        assert_eq!(got, expected, "round {round}");
        assert!(
            ranking
                .hits
                .iter()
                .all(|(o, _)| !filter.only_in_territory || o.territory().is_some())
        );
    }
}
