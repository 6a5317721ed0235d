//! The candidates service's own settings: the `candidates` section of the same layered sources
//! as the shared [`vte_service::Settings`] (defaults, the `VTE_CONFIG` TOML file, then
//! `VTE_CANDIDATES__TERMS_VERSION=2026-01` and the like).
//!
//! ```toml
//! [candidates]
//! terms_version = "2025-01"   # the terms candidates consent to (GiveConsent)
//! push_idle_timeout_secs = 60             # a push stream silent this long is closed
//! new_profiles_per_school_per_hour = 1000 # each new profile sends a consent email
//! new_profiles_per_school_per_day = 5000
//! ```

use serde::Deserialize;
use vte_service::settings::OwnSettings;

/// The version of the terms candidates consent to, unless configured otherwise.
pub const DEFAULT_TERMS_VERSION: &str = "2025-01";

/// Seconds a push stream may stay silent before it is closed, unless configured otherwise.
pub const DEFAULT_PUSH_IDLE_TIMEOUT_SECS: u64 = 60;
/// Profiles (and so consent emails) one school may create per UTC hour, by default.
pub const DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_HOUR: u32 = 1_000;
/// Profiles (and so consent emails) one school may create per UTC day, by default.
pub const DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_DAY: u32 = 5_000;

/// What the candidates service reads beyond the shared settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CandidatesSettings {
    /// The current version of the terms; consent to any other version is refused.
    pub terms_version: String,
    /// Seconds a push stream may go without a message (or without reading a reply) before it
    /// is closed with `DEADLINE_EXCEEDED`.
    pub push_idle_timeout_secs: u64,
    /// New profiles one school may create per UTC hour (each sends a consent email).
    pub new_profiles_per_school_per_hour: u32,
    /// New profiles one school may create per UTC day (each sends a consent email).
    pub new_profiles_per_school_per_day: u32,
}

impl CandidatesSettings {
    /// The limits of schools' pushes these settings set.
    pub fn push_limits(&self) -> crate::usecases::push::PushLimits {
        crate::usecases::push::PushLimits {
            idle_timeout: std::time::Duration::from_secs(self.push_idle_timeout_secs),
            quota: crate::domain::quota::NewProfileQuota {
                per_hour: self.new_profiles_per_school_per_hour,
                per_day: self.new_profiles_per_school_per_day,
            },
        }
    }
}

impl Default for CandidatesSettings {
    fn default() -> Self {
        Self {
            terms_version: DEFAULT_TERMS_VERSION.to_owned(),
            push_idle_timeout_secs: DEFAULT_PUSH_IDLE_TIMEOUT_SECS,
            new_profiles_per_school_per_hour: DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_HOUR,
            new_profiles_per_school_per_day: DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_DAY,
        }
    }
}

impl OwnSettings for CandidatesSettings {
    const SECTION: &'static str = "candidates";

    /// The checks settings must pass; each message names the setting.
    fn check(&self) -> Result<(), String> {
        let length = self.terms_version.trim().chars().count();
        if !(1..=32).contains(&length) {
            return Err("candidates.terms_version: must be 1 to 32 characters".into());
        }
        if !(1..=3600).contains(&self.push_idle_timeout_secs) {
            return Err("candidates.push_idle_timeout_secs: must be 1 to 3600".into());
        }
        if self.new_profiles_per_school_per_hour == 0 {
            return Err("candidates.new_profiles_per_school_per_hour: must be 1 or more".into());
        }
        if self.new_profiles_per_school_per_day == 0 {
            return Err("candidates.new_profiles_per_school_per_day: must be 1 or more".into());
        }
        Ok(())
    }
}
