//! The candidates service's own settings: the `candidates` section of the same layered sources
//! as the shared [`vte_service::Settings`] (defaults, the `VTE_CONFIG` TOML file, then
//! `VTE_CANDIDATES__TERMS_VERSION=2026-01` and the like).
//!
//! ```toml
//! [candidates]
//! terms_version = "2025-01"   # the terms candidates consent to (GiveConsent)
//! ```

use serde::Deserialize;
use vte_service::settings::OwnSettings;

/// The version of the terms candidates consent to, unless configured otherwise.
pub const DEFAULT_TERMS_VERSION: &str = "2025-01";

/// What the candidates service reads beyond the shared settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CandidatesSettings {
    /// The current version of the terms; consent to any other version is refused.
    pub terms_version: String,
}

impl Default for CandidatesSettings {
    fn default() -> Self {
        Self {
            terms_version: DEFAULT_TERMS_VERSION.to_owned(),
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
        Ok(())
    }
}
