//! The public aids an offer can open, read from the scheme's rule data (`vte_rules`) for its
//! start date: the Territoires d'industrie aid, Mobili-Jeune ("possible, sous conditions", never
//! a yes from an offer alone) and VTE Vert, each with whether it is open, its amount, why, and
//! what is still to prove. A complete offer is judged on its facts; a draft once its place,
//! contract, start date and company size are known, and otherwise says what is missing.

use super::spec::{DraftSpec, OfferSpec};
use vte_domain::{ContractKind, EducationLevel};
use vte_rules::{AidCode, AidOutcome, AidVerdict, OfferFacts};

impl OfferSpec {
    /// The offer as the scheme's rules read it.
    pub fn facts(&self) -> OfferFacts {
        OfferFacts {
            contract: self.contract.kind(),
            duration_months: self.contract.duration_months(),
            start: self.start_date,
            min_level: self.levels.min().years(),
            max_level: self.levels.max().years(),
            company_size: self.company_size,
            place: self.location.facts(),
            ecological_mission: self.ecological_transition,
        }
    }
}

impl DraftSpec {
    /// The draft as the rules read it, once what they need is known; else what is missing, in
    /// French.
    pub fn facts(&self) -> Result<OfferFacts, Vec<&'static str>> {
        let mut missing = Vec::new();
        if self.location.is_none() {
            missing.push("la commune du poste");
        }
        if self.contract_kind.is_none() {
            missing.push("le type de contrat");
        }
        if self.start_date.is_none() {
            missing.push("la date de début");
        }
        if self.company_size.is_none() {
            missing.push("la taille de l'entreprise");
        }
        match (
            &self.location,
            self.contract_kind,
            self.start_date,
            self.company_size,
        ) {
            (Some(location), Some(contract), Some(start), Some(company_size)) => Ok(OfferFacts {
                contract,
                duration_months: (contract != ContractKind::Cdi)
                    .then_some(self.duration_months)
                    .flatten(),
                start,
                min_level: self.min_level.unwrap_or(EducationLevel::Bac2).years(),
                max_level: self.max_level.unwrap_or(EducationLevel::Bac5).years(),
                company_size,
                place: location.facts(),
                ecological_mission: self.ecological_transition,
            }),
            _ => Err(missing),
        }
    }
}

/// The aids of a draft that lacks what the rules read: none is open, each says what is missing.
pub fn incomplete_aids(missing: &[&str]) -> Vec<AidVerdict> {
    AidCode::ALL
        .iter()
        .map(|code| AidVerdict {
            code: *code,
            outcome: AidOutcome::NotEligible,
            rule_set_id: None,
            amount: None,
            fixed: false,
            to_company: *code != AidCode::MobiliJeune,
            reason: format!(
                "Le brouillon ne dit pas encore {} : {} dépend des règles de sa date de début, \
                 de son contrat et de son lieu.",
                missing.join(", "),
                vte_rules::verdict::aid_name(*code)
            ),
            conditions: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::Location;
    use crate::domain::testing::reference;
    use chrono::NaiveDate;
    use vte_domain::CompanySize;
    use vte_rules::{RuleBook, offer_aids, repository_rules_dir};

    fn rules() -> RuleBook {
        RuleBook::load(&repository_rules_dir()).unwrap()
    }

    fn facts(insee: &str, contract: ContractKind, start: NaiveDate) -> OfferFacts {
        OfferFacts {
            contract,
            duration_months: (contract != ContractKind::Cdi).then_some(24),
            start,
            min_level: 3,
            max_level: 5,
            company_size: CompanySize::Pme,
            place: Location::resolve(reference(), insee).unwrap().facts(),
            ecological_mission: false,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn work_study_in_figeac_opens_the_4000_eur_aid_and_mobili_jeune_is_only_possible() {
        let aids = offer_aids(
            &rules(),
            &facts("46102", ContractKind::WorkStudy, day(2026, 9, 1)),
        );
        let [ti, mobili, vert]: [AidVerdict; 3] = aids.try_into().unwrap();
        assert_eq!(ti.outcome, AidOutcome::Eligible);
        assert!(
            ti.reason
                .contains("sous réserve de labellisation par Bpifrance")
        );
        assert!(
            ti.conditions
                .iter()
                .any(|c| c.contains("charte VTE signée"))
        );
        assert_eq!(mobili.outcome, AidOutcome::Possible);
        assert!(!mobili.eligible());
        assert_eq!(vert.outcome, AidOutcome::NotEligible);
    }

    #[test]
    fn a_cdi_in_toulouse_opens_no_aid_and_says_why() {
        let aids = offer_aids(
            &rules(),
            &facts("31555", ContractKind::Cdi, day(2026, 9, 1)),
        );
        assert!(aids.iter().all(|aid| !aid.eligible()));
        assert!(
            aids[0].reason.contains(
                "Toulouse n'est dans aucun Territoire d'industrie du programme 2023-2027"
            ),
            "{}",
            aids[0].reason
        );
    }

    #[test]
    fn a_draft_without_place_nor_contract_opens_nothing_and_says_what_is_missing() {
        let draft = DraftSpec::default();
        let missing = draft.facts().unwrap_err();
        let aids = incomplete_aids(&missing);
        assert_eq!(aids.len(), 3);
        assert!(aids.iter().all(|aid| !aid.eligible()));
        assert!(
            aids[0]
                .reason
                .contains("la commune du poste, le type de contrat")
        );
    }
}
