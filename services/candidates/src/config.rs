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
//! ref_digest_key = "..."                  # secret, 32-64 bytes: keys erased refs' digest
//! retention_sweep = true                  # retire idle graduates past the recency window
//! retention_sweep_every_secs = 86400      # how often (a day)
//! retention_idle_months = 24              # months unchanged before such a profile goes
//! ```

use serde::Deserialize;
use vte_service::settings::OwnSettings;

use crate::domain::retention::{self, RetentionPolicy};
use crate::store::RefDigestKey;

/// The version of the terms candidates consent to, unless configured otherwise.
pub const DEFAULT_TERMS_VERSION: &str = "2025-01";

/// Seconds a push stream may stay silent before it is closed, unless configured otherwise.
pub const DEFAULT_PUSH_IDLE_TIMEOUT_SECS: u64 = 60;
/// Profiles (and so consent emails) one school may create per UTC hour, by default.
pub const DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_HOUR: u32 = 1_000;
/// Profiles (and so consent emails) one school may create per UTC day, by default.
pub const DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_DAY: u32 = 5_000;
/// Seconds between two rounds of the retention sweep, by default: a day.
pub const DEFAULT_RETENTION_SWEEP_EVERY_SECS: u64 = 86_400;

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
    /// The server secret (32 to 64 bytes) keying the digest of erased students' school
    /// references (HMAC-SHA256). Required outside development mode; in development mode
    /// (`auth.development`) the published development key stands in when it is unset.
    pub ref_digest_key: Option<SecretText>,
    /// Whether the retention sweep runs: it erases the profiles of graduates past the scheme's
    /// recency window that stayed unchanged for `retention_idle_months` (deploy/OPERATIONS.md,
    /// "Retention of candidates' data").
    pub retention_sweep: bool,
    /// Seconds between two rounds of the retention sweep (1 to 604,800; a day by default).
    pub retention_sweep_every_secs: u64,
    /// Months a graduate past the recency window may stay without any change to their profile
    /// or contact data before the sweep erases them (12 to 120; 24 by default).
    pub retention_idle_months: u32,
}

/// A secret setting: never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

impl CandidatesSettings {
    /// The key of the school-reference digest: the configured one, or in `development` mode
    /// the development key when none is configured.
    pub fn ref_digest_key(&self, development: bool) -> Result<RefDigestKey, String> {
        let secret = match &self.ref_digest_key {
            Some(secret) => secret.0.as_str(),
            None if development => RefDigestKey::DEVELOPMENT,
            None => {
                return Err(
                    "required outside development mode (auth.development): a random \
                            secret of 32 to 64 bytes"
                        .into(),
                );
            }
        };
        if !development && secret == RefDigestKey::DEVELOPMENT {
            return Err("the published development key is refused outside development mode".into());
        }
        RefDigestKey::new(secret.as_bytes())
    }
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

    /// The retention rule these settings set.
    pub fn retention_policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            idle_months: self.retention_idle_months,
        }
    }

    /// The retention sweep's period.
    pub fn retention_sweep_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.retention_sweep_every_secs)
    }
}

impl Default for CandidatesSettings {
    fn default() -> Self {
        Self {
            terms_version: DEFAULT_TERMS_VERSION.to_owned(),
            push_idle_timeout_secs: DEFAULT_PUSH_IDLE_TIMEOUT_SECS,
            new_profiles_per_school_per_hour: DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_HOUR,
            new_profiles_per_school_per_day: DEFAULT_NEW_PROFILES_PER_SCHOOL_PER_DAY,
            ref_digest_key: None,
            retention_sweep: true,
            retention_sweep_every_secs: DEFAULT_RETENTION_SWEEP_EVERY_SECS,
            retention_idle_months: retention::DEFAULT_IDLE_MONTHS,
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
        if !(1..=604_800).contains(&self.retention_sweep_every_secs) {
            return Err(
                "candidates.retention_sweep_every_secs: must be 1 to 604800 (a week)".into(),
            );
        }
        let idle = retention::MIN_IDLE_MONTHS..=retention::MAX_IDLE_MONTHS;
        if !idle.contains(&self.retention_idle_months) {
            return Err(format!(
                "candidates.retention_idle_months: must be {} to {} months",
                idle.start(),
                idle.end()
            ));
        }
        if let Some(secret) = &self.ref_digest_key
            && !(32..=RefDigestKey::MAX_BYTES).contains(&secret.0.len())
        {
            return Err(format!(
                "candidates.ref_digest_key: must be 32 to {} bytes",
                RefDigestKey::MAX_BYTES
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn with_key(key: Option<&str>) -> CandidatesSettings {
        CandidatesSettings {
            ref_digest_key: key.map(|key| SecretText(key.to_owned())),
            ..CandidatesSettings::default()
        }
    }

    #[test]
    fn the_retention_settings_default_to_a_daily_sweep_of_two_idle_years_and_are_bounded() {
        let defaults = CandidatesSettings::default();
        assert!(defaults.retention_sweep);
        assert_eq!(defaults.retention_sweep_every().as_secs(), 86_400);
        assert_eq!(defaults.retention_policy().idle_months, 24);
        assert!(defaults.check().is_ok());
        let too_short = CandidatesSettings {
            retention_idle_months: 6,
            ..CandidatesSettings::default()
        };
        assert_eq!(
            too_short.check().unwrap_err(),
            "candidates.retention_idle_months: must be 12 to 120 months"
        );
        let never = CandidatesSettings {
            retention_sweep_every_secs: 0,
            ..CandidatesSettings::default()
        };
        assert!(
            never
                .check()
                .unwrap_err()
                .starts_with("candidates.retention_sweep_every_secs")
        );
    }

    #[test]
    fn the_ref_digest_key_is_required_outside_development_and_never_the_published_one() {
        let error = with_key(None).ref_digest_key(false).unwrap_err();
        assert!(
            error.starts_with("required outside development mode"),
            "{error}"
        );
        assert!(
            with_key(None).ref_digest_key(true).is_ok(),
            "development default"
        );
        let published = with_key(Some(RefDigestKey::DEVELOPMENT));
        assert!(published.ref_digest_key(false).is_err());
        let short = with_key(Some("too-short"));
        assert!(short.check().unwrap_err().contains("32 to 64 bytes"));
        let good = with_key(Some("k3y-0f-th1rty-tw0-bytes-0r-m0re!!"));
        assert!(good.check().is_ok());
        assert!(good.ref_digest_key(false).is_ok());
        assert!(!format!("{good:?}").contains("k3y"), "never printed");
    }
}
