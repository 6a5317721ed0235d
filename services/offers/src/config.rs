//! The offers service's own settings: the `offers` section of the same layered sources as the
//! shared [`vte_service::Settings`] (defaults, the `VTE_CONFIG` TOML file, then
//! `VTE_OFFERS__SWEEP_EVERY_SECS=60` and the like).
//!
//! ```toml
//! [offers]
//! sweep_every_secs = 600   # how often offers and applications past their time are expired
//! ```

use std::time::Duration;

use serde::Deserialize;
use vte_service::settings::OwnSettings;

/// What the offers service reads beyond the shared settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffersSettings {
    /// How often offers past their last day to apply and applications unanswered for 60 days
    /// are expired, in seconds.
    pub sweep_every_secs: u64,
}

impl Default for OffersSettings {
    fn default() -> Self {
        Self {
            sweep_every_secs: 600,
        }
    }
}

impl OffersSettings {
    /// The sweeps' period.
    pub fn sweep_every(&self) -> Duration {
        Duration::from_secs(self.sweep_every_secs)
    }
}

impl OwnSettings for OffersSettings {
    const SECTION: &'static str = "offers";

    fn check(&self) -> Result<(), String> {
        if !(1..=86_400).contains(&self.sweep_every_secs) {
            return Err("offers.sweep_every_secs: must lie in 1..=86400 (a day)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_period_must_be_a_second_to_a_day() {
        assert!(OffersSettings::default().check().is_ok());
        for bad in [0, 86_401] {
            let settings = OffersSettings {
                sweep_every_secs: bad,
            };
            assert!(settings.check().is_err());
        }
    }
}
