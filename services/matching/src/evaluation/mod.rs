//! Ranking quality on a graded set (`../shared/eval/README.md`): each offer's pool is put in an
//! [`Index`] and ranked by [`Index::rank_candidates`], the very code RankCandidates runs (the
//! scheme's verdict as its first filter, matching's filters, the score), and the ranking is
//! measured against the graders' grades ([`measures`]). The `evaluate` binary prints the report.

pub mod measures;
pub mod set;

use std::collections::HashMap;

use vte_domain::{CandidateId, OfferId};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use crate::domain::Rules;
use crate::index::{CandidateFilter, Index};
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
    /// The candidates ranked (ids of the set), best first, with their scores.
    pub ranked: Vec<(String, f32)>,
    pub measures: Measures,
}

/// The report of a set: each offer's, and the mean over offers.
#[derive(Debug, Clone)]
pub struct Report {
    pub offers: Vec<OfferReport>,
    pub overall: Measures,
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

/// Ranks every offer's pool as RankCandidates would with `rules` and the scheme's `book`, and
/// measures each ranking against the set's grades.
pub fn evaluate(
    set: &GradedSet,
    reference: &ReferenceData,
    book: &RuleBook,
    rules: &Rules,
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
        let ranked: Vec<(String, f32)> = ranking
            .hits
            .iter()
            .filter_map(|(candidate, score)| {
                Some(((*by_id.get(&candidate.id)?).to_owned(), *score))
            })
            .collect();
        let ids: Vec<&str> = ranked.iter().map(|(id, _)| id.as_str()).collect();
        let pool: Vec<&str> = raw.pool.iter().map(String::as_str).collect();
        let measures = measure(
            &ids,
            &pool,
            grades.get(raw.id.as_str()).unwrap_or(&no_grades),
        );
        offers.push(OfferReport {
            id: raw.id.clone(),
            title: raw.title.clone(),
            pool: pool.len(),
            ranked,
            measures,
        });
    }
    let all: Vec<Measures> = offers.iter().map(|offer| offer.measures).collect();
    Ok(Report {
        offers,
        overall: overall(&all),
    })
}
