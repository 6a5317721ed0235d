//! The employment contracts a VTE can take and their duration rules: work-study (alternance)
//! totalling at least 12 months in the company, a CDD of at least 12 months, or a CDI. Aid
//! eligibility is not decided here (the offers service owns it).

use crate::InvalidValue;
use crate::serde_str::serde_as_str;
use std::fmt;

/// The kind of contract an offer proposes or a candidate seeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContractKind {
    /// Alternance: an apprenticeship or professionalisation contract alongside studies.
    WorkStudy,
    /// Contrat à durée déterminée: fixed term.
    Cdd,
    /// Contrat à durée indéterminée: open-ended.
    Cdi,
}

impl ContractKind {
    /// Every contract kind.
    pub const ALL: [ContractKind; 3] = [Self::WorkStudy, Self::Cdd, Self::Cdi];

    /// The stable code: `"WORK_STUDY"`, `"CDD"` or `"CDI"`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::WorkStudy => "WORK_STUDY",
            Self::Cdd => "CDD",
            Self::Cdi => "CDI",
        }
    }

    /// The French name shown to people: `"alternance"`, `"CDD"` or `"CDI"`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::WorkStudy => "alternance",
            Self::Cdd => "CDD",
            Self::Cdi => "CDI",
        }
    }

    /// Parses a code, ignoring case; `"alternance"` is also read as work-study.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("alternance") {
            return Ok(Self::WorkStudy);
        }
        Self::ALL
            .into_iter()
            .find(|kind| kind.code().eq_ignore_ascii_case(raw))
            .ok_or_else(|| InvalidValue::new("must be one of WORK_STUDY, CDD, CDI"))
    }
}

impl fmt::Display for ContractKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for ContractKind {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(ContractKind);

/// A contract that meets the VTE duration rules.
///
/// - Work-study: `duration_months` is the time cumulated in the company (successive contracts
///   count together), at least 12 and at most 60 (five years, the span from the bac to bac+5).
/// - CDD: at least 12 months. French law caps a CDD at 18 months by default but lets branch
///   agreements set longer maximums, so only an implausible duration (over 60 months) is
///   rejected here, as a typo.
/// - CDI: no duration. A duration given for a CDI is **rejected**, not ignored: it means the
///   client believes the contract ends, and silently dropping it would hide that mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawContract")]
pub struct Contract {
    kind: ContractKind,
    duration_months: Option<u16>,
}

impl Contract {
    /// The shortest work-study period or CDD that counts as a VTE, in months.
    pub const MIN_MONTHS: u16 = 12;
    /// The longest plausible duration, in months: five years, the span from the bac to bac+5
    /// for work-study, well beyond any CDD a branch agreement allows.
    pub const MAX_MONTHS: u16 = 60;

    /// Checks `duration_months` against the rules of `kind`.
    pub fn new(kind: ContractKind, duration_months: Option<u16>) -> Result<Self, InvalidValue> {
        use ContractKind::{Cdd, Cdi, WorkStudy};
        let broken =
            |rule: &str, months: u16| Err(InvalidValue::new(format!("{rule}, got {months}")));
        match (kind, duration_months) {
            (Cdi, Some(_)) => Err(InvalidValue::new(
                "a CDI has no end: leave its duration empty",
            )),
            (WorkStudy, None) => Err(InvalidValue::new(
                "a work-study contract needs its duration in months (time cumulated in the company)",
            )),
            (Cdd, None) => Err(InvalidValue::new("a CDD needs its duration in months")),
            (WorkStudy, Some(months)) if months < Self::MIN_MONTHS => broken(
                "a work-study contract must total at least 12 months in the company for a VTE",
                months,
            ),
            (WorkStudy, Some(months)) if months > Self::MAX_MONTHS => broken(
                "a work-study period cannot exceed 60 months (bac to bac+5)",
                months,
            ),
            (Cdd, Some(months)) if months < Self::MIN_MONTHS => {
                broken("a CDD must last at least 12 months for a VTE", months)
            }
            (Cdd, Some(months)) if months > Self::MAX_MONTHS => {
                broken("a CDD longer than 60 months is not plausible", months)
            }
            (Cdi, None) | (WorkStudy | Cdd, Some(_)) => Ok(Self {
                kind,
                duration_months,
            }),
        }
    }

    /// A CDI, which has no duration.
    pub const fn cdi() -> Self {
        Self {
            kind: ContractKind::Cdi,
            duration_months: None,
        }
    }

    /// The kind of contract.
    pub const fn kind(&self) -> ContractKind {
        self.kind
    }

    /// The duration in months; `None` exactly for a CDI.
    pub const fn duration_months(&self) -> Option<u16> {
        self.duration_months
    }
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.duration_months {
            Some(months) => write!(f, "{} of {months} months", self.kind.label()),
            None => f.write_str(self.kind.label()),
        }
    }
}

/// The unchecked shape of a [`Contract`] as it arrives in JSON.
#[derive(serde::Deserialize)]
struct RawContract {
    kind: ContractKind,
    duration_months: Option<u16>,
}

impl TryFrom<RawContract> for Contract {
    type Error = InvalidValue;

    fn try_from(raw: RawContract) -> Result<Self, InvalidValue> {
        Self::new(raw.kind, raw.duration_months)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractKind::*;

    fn rule(kind: ContractKind, months: Option<u16>) -> String {
        Contract::new(kind, months).unwrap_err().rule().to_owned()
    }

    #[test]
    fn a_twelve_month_cdd_qualifies() {
        let contract = Contract::new(Cdd, Some(12)).unwrap();
        assert_eq!(contract.duration_months(), Some(12));
        assert_eq!(contract.to_string(), "CDD of 12 months");
    }

    #[test]
    fn a_six_month_cdd_is_too_short_for_a_vte() {
        assert_eq!(
            rule(Cdd, Some(6)),
            "a CDD must last at least 12 months for a VTE, got 6"
        );
    }

    #[test]
    fn an_implausibly_long_cdd_is_rejected_as_a_typo() {
        assert!(Contract::new(Cdd, Some(36)).is_ok());
        assert_eq!(
            rule(Cdd, Some(600)),
            "a CDD longer than 60 months is not plausible, got 600"
        );
    }

    #[test]
    fn work_study_needs_a_year_cumulated_in_the_company() {
        assert!(Contract::new(WorkStudy, Some(24)).is_ok());
        assert_eq!(
            rule(WorkStudy, Some(11)),
            "a work-study contract must total at least 12 months in the company for a VTE, got 11"
        );
        assert_eq!(
            rule(WorkStudy, Some(61)),
            "a work-study period cannot exceed 60 months (bac to bac+5), got 61"
        );
    }

    #[test]
    fn fixed_term_contracts_need_a_duration() {
        assert_eq!(rule(Cdd, None), "a CDD needs its duration in months");
        assert!(rule(WorkStudy, None).starts_with("a work-study contract needs its duration"));
    }

    #[test]
    fn a_cdi_has_no_duration() {
        assert_eq!(Contract::new(Cdi, None), Ok(Contract::cdi()));
        assert_eq!(
            rule(Cdi, Some(12)),
            "a CDI has no end: leave its duration empty"
        );
    }

    #[test]
    fn contract_kinds_parse_from_codes_and_from_alternance() {
        assert_eq!(ContractKind::parse("cdd"), Ok(Cdd));
        assert_eq!(ContractKind::parse("Alternance"), Ok(WorkStudy));
        assert_eq!(ContractKind::parse("WORK_STUDY"), Ok(WorkStudy));
        assert_eq!(
            ContractKind::parse("interim").unwrap_err().rule(),
            "must be one of WORK_STUDY, CDD, CDI"
        );
    }

    #[test]
    fn a_contract_read_from_json_is_checked() {
        let json = r#"{"kind":"CDD","duration_months":18}"#;
        let contract: Contract = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&contract).unwrap(), json);
        assert!(serde_json::from_str::<Contract>(r#"{"kind":"CDD","duration_months":6}"#).is_err());
    }
}
