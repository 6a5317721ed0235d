//! Checks one rule set on its own: a window that ends after it starts, sources that exist and
//! are dated, amounts and durations within sane bounds, readings that cite a known source.

use crate::RulesError;
use crate::model::{AidTerms, Amount, ContractRule, RuleSet, SchemeTerms};
use std::path::Path;
use vte_domain::ContractKind;

/// The largest sum any VTE aid could plausibly be, in euros (a typo guard).
const MAX_EUROS: u32 = 100_000;
/// The longest duration, in months, any rule could plausibly name.
const MAX_MONTHS: u16 = 60;

/// Checks `set`, read from `path`.
pub(crate) fn check(path: &Path, set: &RuleSet) -> Result<(), RulesError> {
    let fail = |key: &str, problem: &str| Err(RulesError::key(path, key, problem));
    if set.id.trim().is_empty() {
        return fail("id", "must not be empty");
    }
    let window = &set.window;
    match (window.until, window.after) {
        (Some(until), _) if until < window.from => {
            return fail("window.until", "must not be before window.from");
        }
        (Some(_), None) => {
            return fail(
                "window.after",
                "required with window.until: \"à confirmer\" or \"fermé\"",
            );
        }
        (None, Some(_)) => return fail("window.after", "only meaningful with window.until"),
        _ => {}
    }
    if set.sources.is_empty() {
        return fail(
            "sources",
            "every rule set needs at least one source (url, title, date)",
        );
    }
    for (i, source) in set.sources.iter().enumerate() {
        let at = |key: &str| format!("sources[{i}].{key}");
        if source.id.trim().is_empty() {
            return Err(RulesError::key(path, at("id"), "must not be empty"));
        }
        if set.sources[..i].iter().any(|other| other.id == source.id) {
            return Err(RulesError::key(path, at("id"), "duplicate source id"));
        }
        if !source.url.starts_with("https://") {
            return Err(RulesError::key(
                path,
                at("url"),
                "must be an https:// address",
            ));
        }
        if source.title.trim().is_empty() {
            return Err(RulesError::key(path, at("title"), "must not be empty"));
        }
        if !is_partial_date(&source.date) {
            return Err(RulesError::key(
                path,
                at("date"),
                "must be YYYY, YYYY-MM or YYYY-MM-DD",
            ));
        }
    }
    match (&set.scheme, &set.aid) {
        (Some(scheme), None) => check_scheme(path, scheme),
        (None, Some(aid)) => check_aid(path, set, aid),
        _ => fail(
            "scheme",
            "a rule file holds exactly one of [scheme] or [aid]",
        ),
    }
}

fn check_scheme(path: &Path, scheme: &SchemeTerms) -> Result<(), RulesError> {
    if scheme.level_ceiling < scheme.level_floor {
        return Err(RulesError::key(
            path,
            "scheme.level_ceiling",
            "must not be below scheme.level_floor",
        ));
    }
    months(
        path,
        "scheme.graduate_recency_months",
        scheme.graduate_recency_months,
    )?;
    months(
        path,
        "scheme.label_request_months",
        scheme.label_request_months,
    )?;
    if scheme.company_sizes.is_empty() {
        return Err(RulesError::key(
            path,
            "scheme.company_sizes",
            "must name at least one size",
        ));
    }
    contracts(path, "scheme.contracts", &scheme.contracts)
}

fn check_aid(path: &Path, set: &RuleSet, aid: &AidTerms) -> Result<(), RulesError> {
    amount(path, &aid.amount)?;
    let rules = &aid.eligibility;
    contracts(path, "aid.eligibility.contracts", &rules.contracts)?;
    if let Some(recency) = rules.graduate_recency_months {
        months(path, "aid.eligibility.graduate_recency_months", recency)?;
    }
    for (i, reading) in rules.level_floor.iter().enumerate() {
        if !set.sources.iter().any(|source| source.id == reading.source) {
            let key = format!("aid.eligibility.level_floor[{i}].source");
            return Err(RulesError::key(path, key, "names no source of this file"));
        }
    }
    if let Some(cap) = aid
        .stacking
        .as_ref()
        .and_then(|stacking| stacking.total_cap_eur)
    {
        euros(path, "aid.stacking.total_cap_eur", cap)?;
        if aid
            .amount
            .ceiling()
            .is_some_and(|ceiling| ceiling > vte_domain::EuroCents::from_euros(cap))
        {
            return Err(RulesError::key(
                path,
                "aid.stacking.total_cap_eur",
                "must not be below the aid's own amount",
            ));
        }
    }
    if let Some(within) = aid
        .request
        .as_ref()
        .and_then(|request| request.within_months_of_hire)
    {
        months(path, "aid.request.within_months_of_hire", within)?;
    }
    if aid
        .conditions
        .iter()
        .any(|condition| condition.trim().is_empty())
    {
        return Err(RulesError::key(
            path,
            "aid.conditions",
            "a condition must not be empty",
        ));
    }
    Ok(())
}

fn amount(path: &Path, amount: &Amount) -> Result<(), RulesError> {
    let named = [
        ("aid.amount.fixed_eur", amount.fixed_eur),
        ("aid.amount.up_to_eur", amount.up_to_eur),
        ("aid.amount.monthly_min_eur", amount.monthly_min_eur),
        ("aid.amount.monthly_max_eur", amount.monthly_max_eur),
    ];
    for (key, value) in named {
        if let Some(value) = value {
            euros(path, key, value)?;
        }
    }
    let monthly = (
        amount.monthly_min_eur,
        amount.monthly_max_eur,
        amount.max_months,
    );
    let shapes = [
        amount.fixed_eur.is_some(),
        amount.up_to_eur.is_some(),
        monthly != (None, None, None),
    ];
    if shapes.iter().filter(|shape| **shape).count() != 1 {
        return Err(RulesError::key(
            path,
            "aid.amount",
            "give exactly one of fixed_eur, up_to_eur, or monthly_min_eur/monthly_max_eur/max_months",
        ));
    }
    match monthly {
        (None, None, None) => {}
        (Some(min), Some(max), Some(n)) => {
            if min > max {
                return Err(RulesError::key(
                    path,
                    "aid.amount.monthly_min_eur",
                    "must not exceed monthly_max_eur",
                ));
            }
            months(path, "aid.amount.max_months", n)?;
        }
        _ => {
            return Err(RulesError::key(
                path,
                "aid.amount",
                "a monthly aid needs monthly_min_eur, monthly_max_eur and max_months",
            ));
        }
    }
    if let Some(percent) = amount.cap_percent_of_mission_costs
        && !(1..=100).contains(&percent)
    {
        return Err(RulesError::key(
            path,
            "aid.amount.cap_percent_of_mission_costs",
            "must be from 1 to 100",
        ));
    }
    Ok(())
}

fn contracts(path: &Path, key: &str, rules: &[ContractRule]) -> Result<(), RulesError> {
    if rules.is_empty() {
        return Err(RulesError::key(
            path,
            key,
            "must admit at least one contract kind",
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("{key}[{i}]");
        if rules[..i].iter().any(|other| other.kind == rule.kind) {
            return Err(RulesError::key(
                path,
                format!("{at}.kind"),
                "duplicate contract kind",
            ));
        }
        match (rule.kind, rule.min_months) {
            (ContractKind::Cdi, Some(_)) => {
                return Err(RulesError::key(
                    path,
                    format!("{at}.min_months"),
                    "a CDI has no duration",
                ));
            }
            (ContractKind::Cdi, None) => {}
            (_, None) => {
                return Err(RulesError::key(
                    path,
                    format!("{at}.min_months"),
                    "required for a fixed-term contract",
                ));
            }
            (_, Some(n)) => months(path, &format!("{at}.min_months"), n)?,
        }
    }
    Ok(())
}

fn months(path: &Path, key: &str, months: u16) -> Result<(), RulesError> {
    if (1..=MAX_MONTHS).contains(&months) {
        Ok(())
    } else {
        Err(RulesError::key(
            path,
            key,
            format!("must be from 1 to {MAX_MONTHS} months, got {months}"),
        ))
    }
}

fn euros(path: &Path, key: &str, euros: u32) -> Result<(), RulesError> {
    if (1..=MAX_EUROS).contains(&euros) {
        Ok(())
    } else {
        Err(RulesError::key(
            path,
            key,
            format!("must be from 1 to {MAX_EUROS} euros, got {euros}"),
        ))
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, each part a plausible number.
fn is_partial_date(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('-').collect();
    let number = |part: &str, len: usize, range: std::ops::RangeInclusive<u32>| {
        part.len() == len && part.parse::<u32>().is_ok_and(|n| range.contains(&n))
    };
    match parts.as_slice() {
        [year] => number(year, 4, 1900..=2100),
        [year, month] => number(year, 4, 1900..=2100) && number(month, 2, 1..=12),
        [year, month, day] => {
            number(year, 4, 1900..=2100) && number(month, 2, 1..=12) && number(day, 2, 1..=31)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_partial_date;

    #[test]
    fn a_source_date_may_be_a_year_a_month_or_a_day() {
        assert!(is_partial_date("2020"));
        assert!(is_partial_date("2024-02"));
        assert!(is_partial_date("2024-02-15"));
        assert!(!is_partial_date("2024-2-15"));
        assert!(!is_partial_date("février 2024"));
        assert!(!is_partial_date("2024-13"));
    }
}
