//! Ranking quality on a graded set (`../shared/eval/README.md`): each offer's pool is put in an
//! [`Index`] and ranked by [`Index::rank_candidates`], the very code RankCandidates runs (the
//! scheme's verdict as its first filter, matching's filters, the score), and the ranking is
//! measured against the graders' grades ([`measures`]). The `evaluate` binary prints the report.
//!
//! The exposure spread ([`crate::spread`]) is measured as it would act on the set's offers
//! ranked one after the other by their companies: each ranking is re-ordered by the exposure
//! the previous rankings' first pages left (a candidate in several pools is shown for several
//! offers), and measured both ways, so the report tells what the spread costs in quality and
//! what it does to the exposure's Gini.

pub mod measures;
pub mod set;

use std::collections::HashMap;
use std::sync::Arc;

use vte_domain::{CandidateId, OfferId};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use chrono::{TimeZone as _, Utc};

use crate::domain::{CandidateModel, Rules};
use crate::impressions::report::gini;
use crate::index::{CandidateFilter, Index};
use crate::spread::{Exposure, Lowered, SpreadSettings, rerank};
use measures::{Grade, Measures, measure, overall};
use set::{GradedSet, SetError, stable_uuid};

/// One offer's ranking and its measures.
#[derive(Debug, Clone)]
pub struct OfferReport {
    /// The offer's id in the set.
    pub id: String,
    pub title: String,
    /// The pool's size.
    pub pool: usize,
    /// The candidates ranked (ids of the set), best first, with their scores, as shown (after
    /// the exposure spread).
    pub ranked: Vec<(String, f32)>,
    /// Measures of the ranking shown.
    pub measures: Measures,
    /// Measures of the ranking by score alone.
    pub unspread: Measures,
    /// How many of the first page the spread lowered.
    pub lowered: usize,
}

/// The report of a set: each offer's, and the mean over offers.
#[derive(Debug, Clone)]
pub struct Report {
    pub offers: Vec<OfferReport>,
    /// Means of the rankings shown (after the exposure spread).
    pub overall: Measures,
    /// Means of the rankings by score alone.
    pub unspread: Measures,
    /// The Gini coefficient of first-page appearances over the set's candidates, by score
    /// alone and as shown.
    pub exposure_gini: (f64, f64),
}

impl Report {
    /// The last line the command prints: `ndcg@10 <x> p@5 <y> ineligible_shown <n>
    /// eligible_missed <m>`.
    pub fn summary_line(&self) -> String {
        let m = &self.overall;
        format!(
            "ndcg@10 {:.3} p@5 {:.3} ineligible_shown {} eligible_missed {}",
            m.ndcg_at_10, m.precision_at_5, m.ineligible_shown, m.eligible_missed
        )
    }
}

/// Ranks every offer's pool as RankCandidates would with `rules`, the scheme's `book` and the
/// exposure `spread`, the offers one after the other, and measures each ranking against the
/// set's grades.
pub fn evaluate(
    set: &GradedSet,
    reference: &ReferenceData,
    book: &RuleBook,
    rules: &Rules,
    spread: &SpreadSettings,
) -> Result<Report, SetError> {
    let mut candidates = HashMap::new();
    for (n, candidate) in set.candidates.iter().enumerate() {
        let id = CandidateId::from_uuid(stable_uuid(n));
        candidates.insert(candidate.id.as_str(), (id, candidate.model(id, reference)?));
    }
    let mut grades: HashMap<&str, HashMap<&str, Grade>> = HashMap::new();
    for judgment in &set.judgments {
        grades.entry(judgment.offer.as_str()).or_default().insert(
            judgment.candidate.as_str(),
            Grade {
                grade: judgment.grade,
                eligible: judgment.eligible,
            },
        );
    }
    let no_grades = HashMap::new();
    let mut offers = Vec::with_capacity(set.offers.len());
    // The companies look at their rankings one after the other, on the set's day.
    let now = Utc.from_utc_datetime(&set.as_of.and_hms_opt(12, 0, 0).unwrap_or_default());
    let since = now - chrono::Duration::days(i64::from(spread.window_days));
    let mut exposure = Exposure::default();
    let page = spread.top as usize;
    let mut appearances: HashMap<CandidateId, [u64; 2]> =
        candidates.values().map(|(id, _)| (*id, [0, 0])).collect();
    for (n, raw) in set.offers.iter().enumerate() {
        let offer = raw.model(OfferId::from_uuid(stable_uuid(n)), reference, book)?;
        // Ties fall in the shuffle of the set's day, run after run.
        let mut index = Index::new(reference).with_tie_day(set.as_of);
        let mut by_id = HashMap::new();
        for member in &raw.pool {
            let (id, model) = candidates.get(member.as_str()).ok_or_else(|| SetError {
                item: format!("offer {}", raw.id),
                field: "pool",
                problem: format!("names {member}, who is not among the candidates"),
            })?;
            by_id.insert(*id, member.as_str());
            index.upsert_candidate(model.clone());
        }
        let ranking =
            index.rank_candidates(&offer, rules, &CandidateFilter::default(), raw.pool.len());
        let unspread = ranking.hits.clone();
        let shown = if spread.enabled {
            rerank(
                ranking.hits,
                raw.pool.len(),
                |(_, score)| *score,
                |(candidate, _)| {
                    let others = exposure.others(&candidate.id, offer.id, since);
                    Lowered::candidate(spread, others)
                },
            )
        } else {
            ranking.hits.into_iter().map(|hit| (hit, None)).collect()
        };
        let lowered = shown.iter().take(page).filter(|(_, l)| l.is_some()).count();
        let shown: Vec<Hit> = shown.into_iter().map(|(hit, _)| hit).collect();
        exposure.note(offer.id, shown.iter().take(page).map(|(c, _)| c.id), now);
        for (n, hits) in [&unspread, &shown].into_iter().enumerate() {
            for (candidate, _) in hits.iter().take(page) {
                if let Some(count) = appearances.get_mut(&candidate.id) {
                    count[n] += 1;
                }
            }
        }
        let named = |hits: &[Hit]| -> Vec<(String, f32)> {
            hits.iter()
                .filter_map(|(candidate, score)| {
                    Some(((*by_id.get(&candidate.id)?).to_owned(), *score))
                })
                .collect()
        };
        let (ranked, by_score) = (named(&shown), named(&unspread));
        let pool: Vec<&str> = raw.pool.iter().map(String::as_str).collect();
        let graded = grades.get(raw.id.as_str()).unwrap_or(&no_grades);
        let measures = measure(&ids(&ranked), &pool, graded);
        let unspread = measure(&ids(&by_score), &pool, graded);
        offers.push(OfferReport {
            id: raw.id.clone(),
            title: raw.title.clone(),
            pool: pool.len(),
            ranked,
            measures,
            unspread,
            lowered,
        });
    }
    let shown: Vec<Measures> = offers.iter().map(|offer| offer.measures).collect();
    let by_score: Vec<Measures> = offers.iter().map(|offer| offer.unspread).collect();
    let counts = |n: usize| -> Vec<u64> { appearances.values().map(|c| c[n]).collect() };
    Ok(Report {
        offers,
        overall: overall(&shown),
        unspread: overall(&by_score),
        exposure_gini: (gini(&counts(0)), gini(&counts(1))),
    })
}

/// A candidate ranked, with their score.
type Hit = (Arc<CandidateModel>, f32);

/// The set's ids of a ranking.
fn ids(ranked: &[(String, f32)]) -> Vec<&str> {
    ranked.iter().map(|(id, _)| id.as_str()).collect()
}
