//! Impressions and outcomes (issue 15, item 8): every ranking shown is recorded with its
//! audience, its items (rank, pseudonymous ids, score, components) and the rules' version, and
//! what became of each pair (applied, interviewed, hired, labelled) is kept beside it, so that
//! [`report`] can tell how rankings fared: apply-rate@10, hires found in a top 10, time to the
//! first application, exposure Gini. Ids and numbers only: no name, contact data or free text.
//!
//! - [`recorder`]: the bounded queue the RPCs hand impressions to and the task writing them in
//!   batches, off the reply's path; the retention sweep;
//! - [`store`]: the SQL (`migrations/1002_impressions.sql`); [`outcomes`]: the events' outcomes;
//! - [`report`]: the figures, pure functions over what the report command reads.

pub mod outcomes;
pub mod recorder;
pub mod report;
pub mod store;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use vte_domain::{CandidateId, OfferId};

use crate::domain::{Rules, taxonomy};
use crate::usecases::{RankedCandidate, RankedOffer};

pub use recorder::{ImpressionMetrics, Recorder};

/// The scoring code's version, bumped whenever what a component or a score means changes in
/// code (settings changes are caught by the hash in [`rules_version`] without it).
pub const SCORING_VERSION: &str = "scoring-2";

/// Who a ranking was shown to, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// A company ranked candidates for its offer (RankCandidates).
    Company,
    /// A candidate (or their school, or the website for them) ranked offers (RankOffers).
    Candidate,
    /// Candidates suggested to a company on `vte.matching.v1`.
    SuggestionCompany,
    /// Offers suggested to a candidate on `vte.matching.v1`.
    SuggestionCandidate,
}

impl Audience {
    pub const ALL: [Audience; 4] = [
        Self::Company,
        Self::Candidate,
        Self::SuggestionCompany,
        Self::SuggestionCandidate,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "COMPANY",
            Self::Candidate => "CANDIDATE",
            Self::SuggestionCompany => "SUGGESTION_COMPANY",
            Self::SuggestionCandidate => "SUGGESTION_CANDIDATE",
        }
    }

    /// The audience stored as `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// Whether a company reads the ranking (candidates ranked for an offer).
    pub fn company_facing(self) -> bool {
        matches!(self, Self::Company | Self::SuggestionCompany)
    }
}

/// One pair shown, at its rank.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpressionItem {
    /// 1 for the first.
    pub rank: u32,
    pub offer: OfferId,
    pub candidate: CandidateId,
    pub score: f32,
    /// The components' values, in the contract's order.
    pub components: Vec<f32>,
    /// Their weights for this offer.
    pub weights: Vec<f32>,
}

/// One ranking shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Impression {
    pub id: Uuid,
    pub shown_at: DateTime<Utc>,
    pub audience: Audience,
    /// The offer ranked for (company audiences) or the candidate ranked for.
    pub subject: Uuid,
    pub rules_version: String,
    /// Best first.
    pub items: Vec<ImpressionItem>,
}

impl Impression {
    /// Candidates ranked for `offer`, shown to its company.
    pub fn of_candidates(
        audience: Audience,
        offer: OfferId,
        hits: &[RankedCandidate],
        rules: &Rules,
    ) -> Self {
        let items = hits
            .iter()
            .zip(1..)
            .map(|(hit, rank)| ImpressionItem {
                rank,
                offer,
                candidate: hit.candidate.id,
                score: hit.score,
                components: hit.assessment.values.to_vec(),
                weights: hit.assessment.weights.to_vec(),
            })
            .collect();
        let sets = hits.iter().map(|hit| hit.verdict.rule_set_id.as_str());
        Self::new(audience, offer.as_uuid(), rules_version(rules, sets), items)
    }

    /// Offers ranked for `candidate`, shown to them.
    pub fn of_offers<'a>(
        audience: Audience,
        candidate: CandidateId,
        hits: impl Iterator<Item = &'a RankedOffer> + Clone,
        rules: &Rules,
    ) -> Self {
        let items = hits
            .clone()
            .zip(1..)
            .map(|(hit, rank)| ImpressionItem {
                rank,
                offer: hit.offer.id,
                candidate,
                score: hit.assessment.score,
                components: hit.assessment.values.to_vec(),
                weights: hit.assessment.weights.to_vec(),
            })
            .collect();
        let sets = hits.map(|hit| hit.verdict.rule_set_id.as_str());
        Self::new(
            audience,
            candidate.as_uuid(),
            rules_version(rules, sets),
            items,
        )
    }

    fn new(
        audience: Audience,
        subject: Uuid,
        rules_version: String,
        items: Vec<ImpressionItem>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            shown_at: Utc::now(),
            audience,
            subject,
            rules_version,
            items,
        }
    }
}

/// The rules' version a ranking was made under: [`SCORING_VERSION`], a hash of the matching
/// rules' settings (weights, tolerance, factors: any change gives another hash) and of the
/// taxonomy's version ([`taxonomy::version`]: its fields and skills files), and the
/// scheme's rule sets the pairs were judged by, sorted, e.g.
/// `scoring-2/3f9c0a7d12e4b856/vte-2023-ti-2023-2027`.
pub fn rules_version<'a>(rules: &Rules, rule_sets: impl Iterator<Item = &'a str>) -> String {
    let sets: BTreeSet<&str> = rule_sets.collect();
    let scoring = format!("{rules:?} {}", taxonomy::version());
    let mut version = format!("{SCORING_VERSION}/{:016x}", fnv1a(scoring.as_bytes()));
    for (n, set) in sets.into_iter().enumerate() {
        let _ = write!(version, "{}{set}", if n == 0 { '/' } else { ',' });
    }
    version
}

/// FNV-1a, 64 bits: stable across builds and Rust versions, unlike the standard hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The `matching.impressions` settings.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImpressionSettings {
    /// Record rankings shown (default true).
    pub enabled: bool,
    /// Impressions waiting to be written at most; more are dropped and counted (default 10,000).
    pub queue: usize,
    /// Impressions older than this many days are purged (default 400).
    pub retention_days: u32,
    /// How often the retention sweep runs, in hours (default 24).
    pub sweep_every_hours: u32,
}

impl Default for ImpressionSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            queue: 10_000,
            retention_days: 400,
            sweep_every_hours: 24,
        }
    }
}

impl ImpressionSettings {
    /// The checks the settings must pass; each message names the setting.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=1_000_000).contains(&self.queue) {
            return Err("matching.impressions.queue: must lie in 1..=1000000".into());
        }
        if !(1..=3650).contains(&self.retention_days) {
            return Err("matching.impressions.retention_days: must lie in 1..=3650".into());
        }
        if !(1..=720).contains(&self.sweep_every_hours) {
            return Err("matching.impressions.sweep_every_hours: must lie in 1..=720".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_version_names_the_sets_once_and_changes_with_the_weights() {
        let rules = Rules::default();
        let version = rules_version(
            &rules,
            [
                "vte-2023-ti-2023-2027",
                "vte-2019-ti-2018-2022",
                "vte-2023-ti-2023-2027",
            ]
            .into_iter(),
        );
        let parts: Vec<&str> = version.split('/').collect();
        assert_eq!(parts[0], SCORING_VERSION);
        assert_eq!(parts[1].len(), 16);
        assert_eq!(parts[2], "vte-2019-ti-2018-2022,vte-2023-ti-2023-2027");
        assert_eq!(version, rules_version(&rules, version_sets()));
        let mut heavier = rules;
        heavier.weights.skills += 0.1;
        assert_ne!(
            rules_version(&heavier, std::iter::empty())
                .split('/')
                .nth(1),
            Some(parts[1])
        );
    }

    fn version_sets() -> impl Iterator<Item = &'static str> {
        ["vte-2023-ti-2023-2027", "vte-2019-ti-2018-2022"].into_iter()
    }

    #[test]
    fn audiences_read_back_as_stored() {
        for audience in Audience::ALL {
            assert_eq!(Audience::parse(audience.as_str()), Some(audience));
        }
        assert_eq!(Audience::parse("company"), None);
        assert!(Audience::SuggestionCompany.company_facing());
        assert!(!Audience::Candidate.company_facing());
    }

    #[test]
    fn the_default_settings_pass_and_a_zero_queue_is_refused_by_name() {
        assert_eq!(ImpressionSettings::default().check(), Ok(()));
        let zero = ImpressionSettings {
            queue: 0,
            ..ImpressionSettings::default()
        };
        let refusal = zero.check().expect_err("a zero queue");
        assert!(
            refusal.starts_with("matching.impressions.queue"),
            "{refusal}"
        );
    }
}
