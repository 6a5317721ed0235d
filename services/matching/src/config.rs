//! The matching service's own settings, the `matching` section of the same layered sources as
//! the shared [`vte_service::Settings`] (defaults, the `VTE_CONFIG` TOML file, then
//! `VTE_MATCHING__RULES__WEIGHTS__SKILLS=0.3` and the like: `__` separates nested keys). This
//! is the only place the service reads its environment.
//!
//! ```toml
//! [matching.rules]                  # see vte_matching::domain::Rules
//! availability_tolerance_days = 30
//! secondary_mission_share = 0.5
//! international_languages_factor = 3.0
//! min_distance_scale_km = 10.0
//! [matching.rules.weights]          # relative; they need not sum to 1
//! competence = 0.20
//! skills = 0.25
//! field_of_study = 0.20
//! mission_fit = 0.10                # the candidate's declared interest
//! distance = 0.10
//! territory = 0.05
//! languages = 0.05
//! availability = 0.05
//! [matching.suggestions]
//! min_score = 0.6
//! count = 10
//! [matching.suggestions.offer_alerts] # a published offer told to its best candidates
//! count = 5                         # 0: none; at most matching.suggestions.count
//! min_score = 0.6
//! [matching.impressions]            # see vte_matching::impressions
//! enabled = true
//! queue = 10000                     # waiting to be written; more are dropped and counted
//! retention_days = 400
//! sweep_every_hours = 24
//! [matching.spread]                 # see vte_matching::spread
//! enabled = true
//! window_days = 14
//! top = 10
//! candidate_strength = 0.1
//! candidate_half = 5.0
//! offer_strength = 0.05
//! offer_half = 10.0
//! refresh_seconds = 300
//! ```

use serde::Deserialize;
use vte_service::settings::OwnSettings;

use crate::domain::Rules;
use crate::impressions::ImpressionSettings;
use crate::spread::SpreadSettings;

/// What the matching service reads beyond the shared settings.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchingSettings {
    pub rules: Rules,
    pub suggestions: SuggestionSettings,
    /// Rankings shown, recorded to be joined with outcomes.
    pub impressions: ImpressionSettings,
    /// Rankings shown re-ordered so that exposure spreads.
    pub spread: SpreadSettings,
}

/// When suggestions are published on `vte.matching.v1`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuggestionSettings {
    /// Only pairs scoring at least this, in [0, 1] (default 0.6).
    pub min_score: f32,
    /// At most this many per event (default 10, as the contract says).
    pub count: usize,
    /// A newly published offer told to its best candidates themselves.
    pub offer_alerts: OfferAlertSettings,
}

impl Default for SuggestionSettings {
    fn default() -> Self {
        Self {
            min_score: 0.6,
            count: 10,
            offer_alerts: OfferAlertSettings::default(),
        }
    }
}

/// Which candidates hear of an offer when it is published: the first `count` of the
/// candidates suggested to its company that score at least `min_score` (so at least
/// `matching.suggestions.min_score` too), each in an `OffersSuggested` of their own with the
/// trigger `OFFER_PUBLISHED`. The notifications service caps how many a candidate receives.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfferAlertSettings {
    /// How many candidates are told, best first (default 5; 0 tells none).
    pub count: usize,
    /// Only candidates scoring at least this, in [0, 1] (default 0.6).
    pub min_score: f32,
}

impl Default for OfferAlertSettings {
    fn default() -> Self {
        Self {
            count: 5,
            min_score: 0.6,
        }
    }
}

impl OwnSettings for MatchingSettings {
    const SECTION: &'static str = "matching";

    /// The checks settings must pass; each message names the setting.
    fn check(&self) -> Result<(), String> {
        self.rules.check()?;
        if !(0.0..=1.0).contains(&self.suggestions.min_score) {
            return Err("matching.suggestions.min_score: must lie in 0..=1".into());
        }
        if !(1..=100).contains(&self.suggestions.count) {
            return Err("matching.suggestions.count: must lie in 1..=100".into());
        }
        let alerts = self.suggestions.offer_alerts;
        if !(0.0..=1.0).contains(&alerts.min_score) {
            return Err("matching.suggestions.offer_alerts.min_score: must lie in 0..=1".into());
        }
        if alerts.count > self.suggestions.count {
            return Err(
                "matching.suggestions.offer_alerts.count: must not exceed matching.suggestions.count"
                    .into(),
            );
        }
        self.impressions.check()?;
        self.spread.check()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_their_own_checks() {
        assert_eq!(MatchingSettings::default().check(), Ok(()));
        let weights = crate::domain::Weights::default();
        let sum = weights.mission_fit
            + weights.skills
            + weights.field_of_study
            + weights.distance
            + weights.territory
            + weights.languages
            + weights.availability
            + weights.competence;
        assert!((sum - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_negative_weight_is_refused_by_name() {
        let mut settings = MatchingSettings::default();
        settings.rules.weights.skills = -1.0;
        let refusal = settings.check().expect_err("a negative weight");
        assert!(refusal.starts_with("matching.rules.weights"), "{refusal}");
    }
}
