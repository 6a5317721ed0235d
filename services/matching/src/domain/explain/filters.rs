//! The hard filters of a pair in words: matching's own (openness, contract sought, level,
//! availability, consent, visibility, mobility) and the scheme's other rules, worded by their
//! verdict ([`vte_rules::judge`]) so both sides read what the offers service enforces.

use chrono::NaiveDate;
use vte_domain::ContractKind;
use vte_rules::{Rule, Verdict};

use super::{FilterKind, FilterOutcome, Words, km};
use crate::domain::model::{CandidateModel, OfferModel};
use crate::domain::score::Assessment;

/// Every filter's outcome, in the contract's order.
pub(super) fn outcomes(
    offer: &OfferModel,
    candidate: &CandidateModel,
    assessment: &Assessment,
    verdict: &Verdict,
    tolerance_days: u32,
    you: &Words,
) -> Vec<FilterOutcome> {
    let f = &assessment.filters;
    let rule = |rule: Rule, kind: FilterKind, passed: bool| {
        let check = verdict.checks.iter().find(|check| check.rule == rule);
        FilterOutcome {
            kind,
            passed: check.map_or(passed, |check| check.met),
            reason: check.map_or_else(|| rule.code().to_owned(), |check| check.reason.clone()),
        }
    };
    let level_reason = match verdict.checks.iter().find(|c| c.rule == Rule::Level) {
        // The offer's range is met but not the scheme's: the verdict says which.
        Some(check)
            if !check.met && (offer.min_level..=offer.max_level).contains(&candidate.level) =>
        {
            check.reason.clone()
        }
        _ => format!(
            "L'offre demande {}, le profil est bac+{}.",
            level_range(offer.min_level, offer.max_level),
            candidate.level
        ),
    };
    vec![
        FilterOutcome {
            kind: FilterKind::OfferOpen,
            passed: f.offer_open,
            reason: if f.offer_open {
                "L'offre est publiée et a encore des postes à pourvoir.".to_owned()
            } else {
                "L'offre n'est plus ouverte : pourvue, close ou expirée.".to_owned()
            },
        },
        FilterOutcome {
            kind: FilterKind::ContractKind,
            passed: f.contract,
            reason: contract_reason(offer, candidate, f.contract, you),
        },
        FilterOutcome {
            kind: FilterKind::EducationLevel,
            passed: f.level,
            reason: level_reason,
        },
        FilterOutcome {
            kind: FilterKind::Availability,
            passed: f.availability,
            reason: availability_reason(
                offer.start_date,
                candidate.available_from,
                f.days_late,
                f.availability,
                tolerance_days,
            ),
        },
        FilterOutcome {
            kind: FilterKind::Consent,
            passed: true,
            reason: you.consent.to_owned(),
        },
        FilterOutcome {
            kind: FilterKind::Visibility,
            passed: true,
            reason: you.visible.to_owned(),
        },
        FilterOutcome {
            kind: FilterKind::Mobility,
            passed: f.mobility,
            reason: mobility_reason(f.distance_km, candidate, f.mobility, you),
        },
        rule(
            Rule::ContractForStatus,
            FilterKind::ContractForStatus,
            f.contract_for_status,
        ),
        rule(
            Rule::ContractDuration,
            FilterKind::ContractDuration,
            f.contract_duration,
        ),
        rule(
            Rule::GraduateRecency,
            FilterKind::GraduateRecency,
            f.graduate_recency,
        ),
        rule(Rule::CompanySize, FilterKind::CompanySize, f.company_size),
    ]
}

fn date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

fn level_range(min: u8, max: u8) -> String {
    if min == max {
        format!("bac+{min}")
    } else {
        format!("bac+{min} à bac+{max}")
    }
}

/// "une alternance", "un CDD", "un CDI".
fn with_article(kind: ContractKind) -> String {
    match kind {
        ContractKind::WorkStudy => format!("une {}", kind.label()),
        _ => format!("un {}", kind.label()),
    }
}

fn contract_reason(
    offer: &OfferModel,
    candidate: &CandidateModel,
    passed: bool,
    you: &Words,
) -> String {
    let sought: Vec<&str> = candidate.contract_kinds.iter().map(|k| k.label()).collect();
    let sought = if sought.is_empty() {
        "rien de précis".to_owned()
    } else {
        sought.join(", ")
    };
    if passed {
        format!(
            "L'offre propose {} ; {} : {}.",
            with_article(offer.contract),
            you.seeks,
            sought
        )
    } else {
        format!(
            "L'offre propose {}, ce que {} pas : {} seulement.",
            with_article(offer.contract),
            you.seeks.replacen("cherche", "ne cherche", 1),
            sought
        )
    }
}

fn availability_reason(
    start: NaiveDate,
    from: NaiveDate,
    late: i32,
    passed: bool,
    tolerance: u32,
) -> String {
    if late <= 0 {
        format!(
            "Disponible dès le {}, pour un début le {}.",
            date(from),
            date(start)
        )
    } else if passed {
        format!(
            "Disponible le {}, {late} jours après le début prévu le {} (tolérance : {tolerance} jours).",
            date(from),
            date(start)
        )
    } else {
        format!(
            "Disponible le {}, {late} jours après le début prévu le {} : au-delà de la tolérance de {tolerance} jours.",
            date(from),
            date(start)
        )
    }
}

fn mobility_reason(distance: f32, candidate: &CandidateModel, passed: bool, you: &Words) -> String {
    if distance.is_nan() {
        return "Distance inconnue (commune sans centre connu) : la mobilité n'exclut rien."
            .to_owned();
    }
    let radius = candidate.radius_km;
    let mut shown = km(distance);
    if distance > radius as f32 && shown == format!("{radius} km") {
        shown = format!("{:.1} km", distance).replace('.', ",");
    }
    if distance <= radius as f32 {
        format!(
            "À {shown} {}, dans {} de {radius} km.",
            you.from_home, you.radius
        )
    } else {
        let relocation = if passed { you.moves } else { you.stays };
        format!(
            "À {shown} {}, au-delà de {} de {radius} km, {relocation}.",
            you.from_home, you.radius
        )
    }
}
