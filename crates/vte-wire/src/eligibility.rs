//! The scheme's verdicts (`vte_rules`) on the wire: an eligibility verdict as
//! `vte.common.v1.Eligibility`, an aid as `vte.common.v1.Aid`. Every service answers with these,
//! so a verdict reads the same in a ranking, an explanation, an offer and a placement.

use vte_proto::vte::common::v1 as common;
use vte_rules::{AidCode, AidOutcome, AidVerdict, Standing, Verdict};

use crate::money;

/// The aid kind of the contract for an aid of the rule data.
pub fn aid_kind(code: AidCode) -> common::AidKind {
    match code {
        AidCode::TerritoiresIndustrie => common::AidKind::CompanyGraduateHire,
        AidCode::MobiliJeune => common::AidKind::WorkStudyInstallation,
        AidCode::VteVert => common::AidKind::VteVert,
    }
}

/// One aid's verdict as the contract's `Aid`.
pub fn aid(verdict: &AidVerdict) -> common::Aid {
    let outcome = match verdict.outcome {
        AidOutcome::Eligible => common::AidOutcome::EligibleSubjectToLabel,
        AidOutcome::Possible => common::AidOutcome::PossibleUnderConditions,
        AidOutcome::NotEligible => common::AidOutcome::NotEligible,
        AidOutcome::ToConfirm => common::AidOutcome::ToConfirm,
    };
    common::Aid {
        kind: aid_kind(verdict.code).into(),
        eligible: verdict.eligible(),
        amount: verdict.amount.map(money),
        reason: verdict.reason.clone(),
        outcome: outcome.into(),
        amount_is_maximum: !verdict.fixed,
        paid_to_company: verdict.to_company,
        conditions: verdict.conditions.clone(),
        rule_set_id: verdict.rule_set_id.clone().unwrap_or_default(),
    }
}

/// Every aid of a list, in order.
pub fn aids(verdicts: &[AidVerdict]) -> Vec<common::Aid> {
    verdicts.iter().map(aid).collect()
}

/// A pair's verdict as the contract's `Eligibility`.
pub fn eligibility(verdict: &Verdict) -> common::Eligibility {
    let standing = match verdict.standing {
        Standing::Eligible => common::EligibilityStanding::Eligible,
        Standing::NotEligible => common::EligibilityStanding::NotEligible,
        Standing::ToConfirm => common::EligibilityStanding::ToConfirm,
    };
    common::Eligibility {
        standing: standing.into(),
        rule_set_id: verdict.rule_set_id.clone(),
        rules_confirmed: verdict.confirmed,
        programme: verdict.programme.as_str().to_owned(),
        territory: verdict.territory.clone().unwrap_or_default(),
        checks: verdict
            .checks
            .iter()
            .map(|check| common::EligibilityCheck {
                rule: check.rule.code().to_owned(),
                met: check.met,
                reason: check.reason.clone(),
            })
            .collect(),
        label_ready: verdict.label_ready,
        label_reason: verdict.label_reason.clone(),
        summary: verdict.summary(),
        company_aid_total: Some(money(verdict.company_total)),
    }
}
