//! How long a profile is kept (the CNIL's guidance on candidates' data: no longer than its
//! purpose, here finding a VTE, needs it). A profile is retired when the person is a graduate
//! whose degree is past the scheme's graduate recency window (the rule data's
//! `graduate_recency_months` for a contract starting today: no VTE can be offered to them any
//! more) **and** nothing changed it for the idle period (24 months by default). Students are
//! kept whatever their dates: their school still pushes them, and they may still sign a
//! work-study VTE.

use chrono::{DateTime, Months, NaiveDate, Utc};
use vte_rules::{Applicable, RuleBook};

/// Months without a change after which a graduate past the recency window is retired, unless
/// configured otherwise (`candidates.retention_idle_months`).
pub const DEFAULT_IDLE_MONTHS: u32 = 24;
/// The shortest idle period allowed: a year, so that a profile is never retired between two
/// pushes of one school year.
pub const MIN_IDLE_MONTHS: u32 = 12;
/// The longest idle period allowed: ten years.
pub const MAX_IDLE_MONTHS: u32 = 120;

/// The retention rule's setting: how long a graduate past the window may stay idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Months without a change to the profile or its contact data.
    pub idle_months: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            idle_months: DEFAULT_IDLE_MONTHS,
        }
    }
}

/// The dates a sweep at one instant compares profiles with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// A graduate whose graduation date is before this day is past the recency window.
    pub graduated_before: NaiveDate,
    /// A profile (and its contact data) unchanged since before this instant is idle.
    pub idle_since: DateTime<Utc>,
}

impl RetentionPolicy {
    /// The cutoffs of a sweep at `now`, with the recency window of the rule set applying to a
    /// contract starting today; `None` when the rule book has no scheme set for today nor
    /// before it (nothing is retired on unknown terms).
    pub fn cutoffs(&self, rules: &RuleBook, now: DateTime<Utc>) -> Option<Cutoffs> {
        let today = now.date_naive();
        let recency = graduate_recency_months(rules, today)?;
        Some(Cutoffs {
            graduated_before: today.checked_sub_months(Months::new(u32::from(recency)))?,
            idle_since: now.checked_sub_months(Months::new(self.idle_months))?,
        })
    }
}

/// The graduate recency window, in months, for a contract starting on `today`: the confirmed
/// set's, or when no confirmed set covers the day (after the last one's window, "à
/// confirmer"), the last terms known, those of the latest set starting before it.
pub fn graduate_recency_months(rules: &RuleBook, today: NaiveDate) -> Option<u16> {
    if let Applicable::Confirmed(applying) = rules.for_contract_start(today) {
        return Some(applying.terms.graduate_recency_months);
    }
    rules
        .sets()
        .iter()
        .filter(|set| set.window.from <= today)
        .filter_map(|set| Some((set.window.from, set.scheme.as_ref()?)))
        .max_by_key(|(from, _)| *from)
        .map(|(_, terms)| terms.graduate_recency_months)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    /// The repository's rule sets, found from this crate at run time (a build made elsewhere
    /// may have baked another path into `vte_rules::repository_rules_dir`).
    fn rules() -> RuleBook {
        let dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(|dir| std::path::PathBuf::from(dir).join("../../rules"))
            .unwrap_or_else(vte_rules::repository_rules_dir);
        RuleBook::load(&dir).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_sweep_on_6_december_2026_retires_degrees_before_6_december_2024_idle_since_2024() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap();
        let cutoffs = RetentionPolicy::default().cutoffs(&rules(), now).unwrap();
        assert_eq!(cutoffs.graduated_before, day(2024, 12, 6));
        assert_eq!(
            cutoffs.idle_since,
            Utc.with_ymd_and_hms(2024, 12, 6, 3, 0, 0).unwrap()
        );
        let short = RetentionPolicy { idle_months: 12 };
        assert_eq!(
            short.cutoffs(&rules(), now).unwrap().idle_since,
            Utc.with_ymd_and_hms(2025, 12, 6, 3, 0, 0).unwrap()
        );
    }

    #[test]
    fn the_window_comes_from_the_rule_data_and_outlives_the_last_confirmed_set() {
        let rules = rules();
        assert_eq!(graduate_recency_months(&rules, day(2021, 3, 1)), Some(24));
        assert_eq!(graduate_recency_months(&rules, day(2026, 12, 6)), Some(24));
        // After 2027 no set is confirmed: the last terms known still say how long a degree
        // stays recent, so the sweep goes on.
        assert_eq!(graduate_recency_months(&rules, day(2029, 6, 1)), Some(24));
        // Before any set, nothing is known and nothing is retired.
        assert_eq!(graduate_recency_months(&rules, day(2018, 6, 1)), None);
    }
}
