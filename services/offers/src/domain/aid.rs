//! The public aids a VTE offer can open, each stated with whether it is open and why in words a
//! company or a student understands: 4,000 EUR to the company for hiring a young graduate in a
//! Territoire d'industrie, and 1,200 EUR to a work-study student to settle near the company.
//! Pure functions of the offer's place and contract, recomputed whenever either changes.

use super::location::Location;
use std::fmt;
use vte_domain::{ContractKind, EuroCents, InvalidValue};

/// The aid paid to the company for hiring a young graduate in a Territoire d'industrie.
pub const COMPANY_AID: EuroCents = EuroCents::from_euros(4_000);
/// The aid paid to a work-study student to settle near the company.
pub const INSTALLATION_AID: EuroCents = EuroCents::from_euros(1_200);

/// Which aid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AidKind {
    /// 4,000 EUR to the company for recruiting a young graduate (bac+2 and above) on a CDD of
    /// 12 months or more or a CDI, in a Territoire d'industrie.
    CompanyGraduateHire,
    /// 1,200 EUR to a work-study student to settle near the company.
    WorkStudyInstallation,
}

impl AidKind {
    /// Both aids.
    pub const ALL: [AidKind; 2] = [Self::CompanyGraduateHire, Self::WorkStudyInstallation];

    /// The stable code: `"COMPANY_GRADUATE_HIRE"` or `"WORK_STUDY_INSTALLATION"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CompanyGraduateHire => "COMPANY_GRADUATE_HIRE",
            Self::WorkStudyInstallation => "WORK_STUDY_INSTALLATION",
        }
    }

    /// Parses a code as written by [`as_str`](Self::as_str), ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| {
                InvalidValue::new("must be one of COMPANY_GRADUATE_HIRE, WORK_STUDY_INSTALLATION")
            })
    }

    /// The amount of the aid.
    pub const fn amount(self) -> EuroCents {
        match self {
            Self::CompanyGraduateHire => COMPANY_AID,
            Self::WorkStudyInstallation => INSTALLATION_AID,
        }
    }
}

impl fmt::Display for AidKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An aid and whether the offer qualifies for it, with the reason either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aid {
    /// Which aid.
    pub kind: AidKind,
    /// Whether every condition of the aid is met.
    pub eligible: bool,
    /// The amount of the aid, also when not eligible.
    pub amount: EuroCents,
    /// Why the aid is or is not open, in French.
    pub reason: String,
}

/// Both aids for an offer at `location` proposing `contract`, company aid first. Either may be
/// unknown on a draft; the reason then says what is missing.
///
/// The company aid's education condition (bac+2 and above) needs no check: the VTE admits
/// bac+2 to bac+5 only, and a level below cannot be represented.
pub fn aids(location: Option<&Location>, contract: Option<ContractKind>) -> Vec<Aid> {
    vec![company_aid(location, contract), installation_aid(contract)]
}

/// The company aid: open for a graduate's contract (CDD or CDI) in a Territoire d'industrie.
/// A work-study recruit is a student, not a graduate, so work-study does not open it.
pub fn company_aid(location: Option<&Location>, contract: Option<ContractKind>) -> Aid {
    let mut unmet = Vec::new();
    match contract {
        None => unmet.push(
            "Le type de contrat n'est pas encore renseigné : l'aide de 4 000 € à l'entreprise \
             est réservée au recrutement d'un jeune diplômé en CDD ou en CDI."
                .to_owned(),
        ),
        Some(ContractKind::WorkStudy) => unmet.push(
            "L'aide de 4 000 € à l'entreprise concerne le recrutement d'un jeune diplômé en CDD \
             ou en CDI, pas une alternance."
                .to_owned(),
        ),
        Some(ContractKind::Cdd | ContractKind::Cdi) => {}
    }
    let territory = match location {
        None => {
            unmet.push(
                "La commune du poste n'est pas encore renseignée : l'aide de 4 000 € à \
                 l'entreprise dépend du Territoire d'industrie où se trouve le poste."
                    .to_owned(),
            );
            None
        }
        Some(location) => match location.territory() {
            Some(territory) => Some(format!(
                "{} est dans le Territoire d'industrie {}",
                location.commune_name(),
                territory.name
            )),
            None => {
                unmet.push(format!(
                    "{} n'est pas dans un Territoire d'industrie : l'aide de 4 000 € à \
                     l'entreprise est réservée aux recrutements dans un Territoire d'industrie.",
                    location.commune_name()
                ));
                None
            }
        },
    };
    let reason = match (unmet.is_empty(), territory, contract) {
        (true, Some(territory), Some(contract)) => format!(
            "{territory} : l'entreprise peut recevoir 4 000 € pour le recrutement d'un jeune \
             diplômé en {}.",
            contract.label()
        ),
        _ => unmet.join(" "),
    };
    Aid {
        kind: AidKind::CompanyGraduateHire,
        eligible: unmet.is_empty(),
        amount: COMPANY_AID,
        reason,
    }
}

/// The installation aid: open for work-study contracts only, wherever the company is.
pub fn installation_aid(contract: Option<ContractKind>) -> Aid {
    let (eligible, reason) = match contract {
        Some(ContractKind::WorkStudy) => (
            true,
            "L'alternant recruté peut recevoir 1 200 € pour s'installer près de l'entreprise."
                .to_owned(),
        ),
        Some(other) => (
            false,
            format!(
                "L'aide à l'installation de 1 200 € est réservée aux alternants ; cette offre \
                 propose un {}.",
                other.label()
            ),
        ),
        None => (
            false,
            "Le type de contrat n'est pas encore renseigné : l'aide à l'installation de \
             1 200 € est réservée aux alternants."
                .to_owned(),
        ),
    };
    Aid {
        kind: AidKind::WorkStudyInstallation,
        eligible,
        amount: INSTALLATION_AID,
        reason,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::testing::reference;
    use ContractKind::{Cdd, Cdi, WorkStudy};

    fn place(insee: &str) -> Location {
        Location::resolve(reference(), insee).unwrap()
    }

    #[test]
    fn a_cdi_in_figeac_opens_the_company_aid_naming_its_territory() {
        let aid = company_aid(Some(&place("46102")), Some(Cdi));
        assert!(aid.eligible);
        assert_eq!(aid.amount.cents(), 400_000);
        assert_eq!(
            aid.reason,
            "Figeac est dans le Territoire d'industrie Aurillac – Figeac – Rodez : l'entreprise \
             peut recevoir 4 000 € pour le recrutement d'un jeune diplômé en CDI."
        );
    }

    #[test]
    fn a_twelve_month_cdd_in_figeac_opens_the_company_aid_too() {
        assert!(company_aid(Some(&place("46102")), Some(Cdd)).eligible);
    }

    #[test]
    fn a_cdi_in_toulouse_does_not_open_the_company_aid_and_says_why() {
        let aid = company_aid(Some(&place("31555")), Some(Cdi));
        assert!(!aid.eligible);
        assert_eq!(aid.amount, COMPANY_AID);
        assert_eq!(
            aid.reason,
            "Toulouse n'est pas dans un Territoire d'industrie : l'aide de 4 000 € à \
             l'entreprise est réservée aux recrutements dans un Territoire d'industrie."
        );
    }

    #[test]
    fn work_study_in_figeac_opens_the_installation_aid_but_not_the_company_aid() {
        let [company, installation]: [Aid; 2] = aids(Some(&place("46102")), Some(WorkStudy))
            .try_into()
            .unwrap();
        assert!(!company.eligible);
        assert!(company.reason.contains("pas une alternance"));
        assert!(installation.eligible);
        assert_eq!(installation.kind, AidKind::WorkStudyInstallation);
        assert_eq!(installation.amount.cents(), 120_000);
    }

    #[test]
    fn work_study_in_toulouse_names_both_unmet_conditions_of_the_company_aid() {
        let aid = company_aid(Some(&place("31555")), Some(WorkStudy));
        assert!(aid.reason.contains("pas une alternance"));
        assert!(
            aid.reason
                .contains("Toulouse n'est pas dans un Territoire d'industrie")
        );
    }

    #[test]
    fn a_graduate_contract_does_not_open_the_installation_aid() {
        let aid = installation_aid(Some(Cdd));
        assert!(!aid.eligible);
        assert_eq!(
            aid.reason,
            "L'aide à l'installation de 1 200 € est réservée aux alternants ; cette offre \
             propose un CDD."
        );
    }

    #[test]
    fn a_draft_without_place_nor_contract_opens_nothing_and_says_what_is_missing() {
        let [company, installation]: [Aid; 2] = aids(None, None).try_into().unwrap();
        assert!(!company.eligible && !installation.eligible);
        assert!(
            company
                .reason
                .contains("La commune du poste n'est pas encore renseignée")
        );
        assert!(
            installation
                .reason
                .starts_with("Le type de contrat n'est pas encore renseigné")
        );
    }

    #[test]
    fn aid_kinds_are_stored_under_their_codes() {
        for kind in AidKind::ALL {
            assert_eq!(AidKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(
                kind.amount(),
                if kind == AidKind::CompanyGraduateHire {
                    COMPANY_AID
                } else {
                    INSTALLATION_AID
                }
            );
        }
    }
}
