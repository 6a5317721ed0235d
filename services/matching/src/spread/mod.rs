//! Exposure spread (issue 15, item 4): a ranking shown is re-ordered by its score minus a small
//! penalty, so that the same few candidates do not fill every company's first page and offers
//! already crowded with applications leave room to others. The score itself (the match's
//! quality, what explanations and suggestions use) is unchanged; each lowered item says by how
//! much and why.
//!
//! - A candidate's load is the number of *other* offers whose companies were shown them in a
//!   first page ([`SpreadSettings::top`]) within [`SpreadSettings::window_days`]
//!   ([`exposure::Exposure`]): a company looking again at its own offer never pushes its
//!   candidates down.
//! - An offer's load is its applications per remaining position.
//! - The penalty grows with the load and saturates: `strength × load / (load + half)`, half of
//!   `strength` at `half`. With the defaults (0.1 for candidates, half of it at 5 other
//!   offers; 0.05 for offers) it moves an item down a few places among close scores, never
//!   past a clearly better match. On the demo data (36 offers ranked twice by their
//!   companies) it takes the exposure Gini of the first pages from 0.793 to 0.769; on the
//!   graded development set it costs 0.002 nDCG@10 (BENCHMARKS.md).
//!
//! Ties in the re-ordered list keep their order (the index's daily shuffle).

pub mod exposure;

use serde::Deserialize;

pub use exposure::{Exposure, SharedExposure};

/// The `matching.spread` settings.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpreadSettings {
    /// Re-order rankings shown (default true); off, they follow the score alone.
    pub enabled: bool,
    /// Shown within this many days counts (default 14).
    pub window_days: u32,
    /// Shown means in the first this many of a company's ranking (default 10).
    pub top: u32,
    /// The most a candidate's score is lowered by, in 0..=0.2 (default 0.1).
    pub candidate_strength: f32,
    /// Other offers a candidate was shown for at which half the strength applies (default 5).
    pub candidate_half: f32,
    /// The most an offer's score is lowered by, in 0..=0.2 (default 0.05).
    pub offer_strength: f32,
    /// Applications per remaining position at which half the strength applies (default 10).
    pub offer_half: f32,
    /// How often exposure is read again from the impressions of every instance (default 300 s).
    pub refresh_seconds: u32,
}

impl Default for SpreadSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            window_days: 14,
            top: 10,
            candidate_strength: 0.1,
            candidate_half: 5.0,
            offer_strength: 0.05,
            offer_half: 10.0,
            refresh_seconds: 300,
        }
    }
}

impl SpreadSettings {
    /// The checks settings must pass; each message names the setting.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=90).contains(&self.window_days) {
            return Err("matching.spread.window_days: must lie in 1..=90".into());
        }
        if !(1..=100).contains(&self.top) {
            return Err("matching.spread.top: must lie in 1..=100".into());
        }
        for (name, strength) in [
            ("candidate_strength", self.candidate_strength),
            ("offer_strength", self.offer_strength),
        ] {
            if !(0.0..=0.2).contains(&strength) {
                return Err(format!("matching.spread.{name}: must lie in 0..=0.2"));
            }
        }
        for (name, half) in [
            ("candidate_half", self.candidate_half),
            ("offer_half", self.offer_half),
        ] {
            if half.is_nan() || half <= 0.0 {
                return Err(format!("matching.spread.{name}: must be > 0"));
            }
        }
        if !(10..=86_400).contains(&self.refresh_seconds) {
            return Err("matching.spread.refresh_seconds: must lie in 10..=86400".into());
        }
        Ok(())
    }

    /// How many hits to rank before re-ordering, for a list of `limit`: twice as many and at
    /// least 10 more, so that a candidate just below the page can take a lowered one's place.
    pub fn widened(&self, limit: usize) -> usize {
        if self.enabled {
            limit + limit.max(10)
        } else {
            limit
        }
    }

    /// The penalty of a candidate shown for `others` other offers.
    pub fn candidate_penalty(&self, others: u32) -> f32 {
        penalty(self.candidate_strength, self.candidate_half, others as f32)
    }

    /// The penalty of an offer with `applications` for `positions` remaining positions.
    pub fn offer_penalty(&self, applications: u32, positions: u32) -> f32 {
        let load = applications as f32 / positions.max(1) as f32;
        penalty(self.offer_strength, self.offer_half, load)
    }
}

/// `strength × load / (load + half)`: 0 without load, half the strength at `half`, never more
/// than `strength`.
fn penalty(strength: f32, half: f32, load: f32) -> f32 {
    if load <= 0.0 || strength <= 0.0 {
        0.0
    } else {
        strength * load / (load + half)
    }
}

/// How the spread moved an item: what was subtracted from its score to order the list, and
/// why, in words for the side that reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// In `0..=strength`.
    pub penalty: f32,
    pub reason: String,
}

impl Lowered {
    /// A candidate shown for `others` other offers within `window_days`, in a company's words.
    pub fn candidate(settings: &SpreadSettings, others: u32) -> Option<Self> {
        let penalty = settings.candidate_penalty(others);
        (penalty > 0.0).then(|| Self {
            penalty,
            reason: format!(
                "Profil déjà présenté pour {others} autre{s} offre{s} ces {} derniers jours : \
                 classé {} point{} plus bas pour que d'autres profils soient vus aussi.",
                settings.window_days,
                points(penalty),
                if penalty >= 0.015 { "s" } else { "" },
                s = if others > 1 { "s" } else { "" },
            ),
        })
    }

    /// An offer with `applications` for `positions` remaining positions, in a candidate's words.
    pub fn offer(settings: &SpreadSettings, applications: u32, positions: u32) -> Option<Self> {
        let penalty = settings.offer_penalty(applications, positions);
        (penalty > 0.0).then(|| Self {
            penalty,
            reason: format!(
                "Offre très demandée : {applications} candidature{} pour {positions} poste{} \
                 à pourvoir ; classée {} point{} plus bas pour vous montrer aussi des offres \
                 moins sollicitées.",
                if applications > 1 { "s" } else { "" },
                if positions > 1 { "s" } else { "" },
                points(penalty),
                if penalty >= 0.015 { "s" } else { "" },
            ),
        })
    }
}

/// A penalty as points of a score out of 100, e.g. "2,4".
fn points(penalty: f32) -> String {
    format!("{:.1}", penalty * 100.0).replace('.', ",")
}

/// Orders `hits` (best first by score) by score minus their penalty, keeping the order of
/// equals, and keeps the first `limit`, each with how it was lowered.
pub fn rerank<T>(
    hits: Vec<T>,
    limit: usize,
    score: impl Fn(&T) -> f32,
    lowered: impl Fn(&T) -> Option<Lowered>,
) -> Vec<(T, Option<Lowered>)> {
    let mut ordered: Vec<(f32, T, Option<Lowered>)> = hits
        .into_iter()
        .map(|hit| {
            let lowered = lowered(&hit);
            let penalty = lowered.as_ref().map_or(0.0, |l| l.penalty);
            (score(&hit) - penalty, hit, lowered)
        })
        .collect();
    // A stable sort: equal keys keep the index's order (its daily shuffle of ties).
    ordered.sort_by(|a, b| b.0.total_cmp(&a.0));
    ordered.truncate(limit);
    ordered
        .into_iter()
        .map(|(_, hit, lowered)| (hit, lowered))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_penalty_is_nothing_without_load_half_at_half_and_never_the_whole_strength() {
        let settings = SpreadSettings::default();
        assert_eq!(settings.candidate_penalty(0), 0.0);
        assert!((settings.candidate_penalty(5) - 0.05).abs() < 1e-6);
        assert!(settings.candidate_penalty(1_000) < 0.1);
        assert!(settings.candidate_penalty(6) > settings.candidate_penalty(5));
        // 20 applications for 2 positions: 10 a position, half the strength.
        assert!((settings.offer_penalty(20, 2) - 0.025).abs() < 1e-6);
        assert_eq!(settings.offer_penalty(0, 3), 0.0);
    }

    #[test]
    fn a_lowered_candidate_falls_below_a_close_one_but_not_below_a_clearly_worse_one() {
        let settings = SpreadSettings::default();
        // (name, score, other offers shown for)
        let hits = vec![
            ("exposed", 0.80, 12),
            ("close", 0.79, 0),
            ("worse", 0.70, 0),
        ];
        let ranked = rerank(
            hits,
            3,
            |hit| hit.1,
            |hit| Lowered::candidate(&settings, hit.2),
        );
        let names: Vec<&str> = ranked.iter().map(|(hit, _)| hit.0).collect();
        assert_eq!(names, ["close", "exposed", "worse"]);
        let reason = &ranked[1].1.as_ref().expect("lowered").reason;
        assert!(
            reason.contains("12 autres offres ces 14 derniers jours"),
            "{reason}"
        );
        assert!(ranked[0].1.is_none() && ranked[2].1.is_none());
    }

    #[test]
    fn equal_keys_keep_their_order_and_the_list_is_cut_to_the_limit() {
        let hits = vec![("a", 0.5), ("b", 0.5), ("c", 0.5), ("d", 0.4)];
        let ranked = rerank(hits, 2, |hit| hit.1, |_| None);
        let names: Vec<&str> = ranked.iter().map(|(hit, _)| hit.0).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_crowded_offer_says_how_many_applications_for_how_many_positions() {
        let settings = SpreadSettings::default();
        let lowered = Lowered::offer(&settings, 24, 2).expect("lowered");
        assert_eq!(
            lowered.reason,
            "Offre très demandée : 24 candidatures pour 2 postes à pourvoir ; classée 2,7 \
             points plus bas pour vous montrer aussi des offres moins sollicitées."
        );
        assert!(Lowered::offer(&settings, 0, 1).is_none());
    }

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        assert_eq!(SpreadSettings::default().check(), Ok(()));
        let strong = SpreadSettings {
            candidate_strength: 0.5,
            ..SpreadSettings::default()
        };
        assert!(
            strong
                .check()
                .expect_err("too strong")
                .contains("candidate_strength")
        );
        let no_half = SpreadSettings {
            offer_half: 0.0,
            ..SpreadSettings::default()
        };
        assert!(no_half.check().expect_err("no half").contains("offer_half"));
        let off = SpreadSettings {
            enabled: false,
            ..SpreadSettings::default()
        };
        assert_eq!(off.widened(10), 10);
        assert_eq!(SpreadSettings::default().widened(10), 20);
        assert_eq!(SpreadSettings::default().widened(3), 13);
    }
}
