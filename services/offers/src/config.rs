//! The offers service's own settings: the `offers` section of the same layered sources as the
//! shared [`vte_service::Settings`] (defaults, the `VTE_CONFIG` TOML file, then
//! `VTE_OFFERS__SWEEP_EVERY_SECS=60` and the like).
//!
//! ```toml
//! [offers]
//! sweep_every_secs = 600   # how often offers and applications past their time are expired
//! invitations_per_company_per_day = 50   # invitations to apply a company may send in 24 h
//! ```

use std::time::Duration;

use serde::Deserialize;
use vte_service::settings::OwnSettings;

/// The default of [`OffersSettings::invitations_per_company_per_day`].
pub const DEFAULT_INVITATIONS_PER_COMPANY_PER_DAY: u32 = 50;

/// What the offers service reads beyond the shared settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffersSettings {
    /// How often offers past their last day to apply and applications unanswered for 60 days
    /// are expired, in seconds.
    pub sweep_every_secs: u64,
    /// How many invitations to apply one company may send in any 24 hours, over all its
    /// offers (`RESOURCE_EXHAUSTED` beyond): enough for a recruiter working through the top of
    /// a few rankings a day, too few to mail a whole pool. Default 50.
    pub invitations_per_company_per_day: u32,
}

impl Default for OffersSettings {
    fn default() -> Self {
        Self {
            sweep_every_secs: 600,
            invitations_per_company_per_day: DEFAULT_INVITATIONS_PER_COMPANY_PER_DAY,
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
        if !(1..=10_000).contains(&self.invitations_per_company_per_day) {
            return Err("offers.invitations_per_company_per_day: must lie in 1..=10000".into());
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
                ..OffersSettings::default()
            };
            assert!(settings.check().is_err());
        }
    }

    #[test]
    fn the_daily_invitations_allowance_is_one_to_ten_thousand() {
        for bad in [0, 10_001] {
            let settings = OffersSettings {
                invitations_per_company_per_day: bad,
                ..OffersSettings::default()
            };
            assert!(settings.check().is_err());
        }
    }
}
