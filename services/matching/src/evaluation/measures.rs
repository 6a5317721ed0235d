//! The measures of `../shared/eval/README.md` for one ranking against its pool's grades:
//! nDCG@10 (gain 2^grade − 1, against the ideal order of the pool's grades), P@5 (share of the
//! first five graded 2 or more), ineligible pairs shown, and eligible pairs graded 2 or more left
//! out.

use std::collections::HashMap;

/// A pair's grade and whether both reviewers found it eligible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub grade: f64,
    pub eligible: bool,
}

/// The measures of one offer's ranking.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Measures {
    pub ndcg_at_10: f64,
    pub precision_at_5: f64,
    pub ineligible_shown: usize,
    pub eligible_missed: usize,
}

/// Measures `ranked` (candidate ids, best first) against `grades` (every pair of the pool; an
/// ungraded candidate counts as grade 0, eligible unknown).
pub fn measure(ranked: &[&str], pool: &[&str], grades: &HashMap<&str, Grade>) -> Measures {
    let grade = |id: &str| grades.get(id).map_or(0.0, |g| g.grade);
    let mut ideal: Vec<f64> = pool.iter().map(|id| grade(id)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let ideal = dcg_at_10(ideal.into_iter());
    let actual = dcg_at_10(ranked.iter().map(|id| grade(id)));
    Measures {
        ndcg_at_10: if ideal > 0.0 { actual / ideal } else { 0.0 },
        precision_at_5: ranked.iter().take(5).filter(|id| grade(id) >= 2.0).count() as f64 / 5.0,
        ineligible_shown: ranked
            .iter()
            .filter(|id| grades.get(**id).is_some_and(|g| !g.eligible))
            .count(),
        eligible_missed: pool
            .iter()
            .filter(|id| !ranked.contains(id))
            .filter(|id| {
                grades
                    .get(**id)
                    .is_some_and(|g| g.eligible && g.grade >= 2.0)
            })
            .count(),
    }
}

fn dcg_at_10(grades: impl Iterator<Item = f64>) -> f64 {
    grades
        .take(10)
        .enumerate()
        .map(|(i, grade)| (2f64.powf(grade) - 1.0) / (i as f64 + 2.0).log2())
        .sum()
}

/// The mean of each measure over offers (counts are summed).
pub fn overall(all: &[Measures]) -> Measures {
    let n = all.len().max(1) as f64;
    Measures {
        ndcg_at_10: all.iter().map(|m| m.ndcg_at_10).sum::<f64>() / n,
        precision_at_5: all.iter().map(|m| m.precision_at_5).sum::<f64>() / n,
        ineligible_shown: all.iter().map(|m| m.ineligible_shown).sum(),
        eligible_missed: all.iter().map(|m| m.eligible_missed).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades(pairs: &[(&'static str, f64, bool)]) -> HashMap<&'static str, Grade> {
        pairs
            .iter()
            .map(|(id, grade, eligible)| {
                (
                    *id,
                    Grade {
                        grade: *grade,
                        eligible: *eligible,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn the_ideal_order_scores_one_and_a_reversed_one_less() {
        let g = grades(&[("a", 3.0, true), ("b", 2.0, true), ("c", 0.0, false)]);
        let pool = ["a", "b", "c"];
        let ideal = measure(&["a", "b"], &pool, &g);
        assert!((ideal.ndcg_at_10 - 1.0).abs() < 1e-12);
        assert_eq!(ideal.precision_at_5, 0.4);
        assert_eq!((ideal.ineligible_shown, ideal.eligible_missed), (0, 0));
        let reversed = measure(&["b", "a"], &pool, &g);
        // (3/1 + 7/log2(3)) / (7/1 + 3/log2(3))
        let expected = (3.0 + 7.0 / 3f64.log2()) / (7.0 + 3.0 / 3f64.log2());
        assert!((reversed.ndcg_at_10 - expected).abs() < 1e-12);
    }

    #[test]
    fn an_ineligible_pair_shown_and_a_good_one_left_out_are_counted() {
        let g = grades(&[("a", 2.5, true), ("b", 1.0, true), ("c", 0.0, false)]);
        let m = measure(&["c", "b"], &["a", "b", "c"], &g);
        assert_eq!(m.ineligible_shown, 1);
        assert_eq!(m.eligible_missed, 1);
        assert_eq!(m.precision_at_5, 0.0);
        let both = overall(&[m, m]);
        assert_eq!((both.ineligible_shown, both.eligible_missed), (2, 2));
    }
}
