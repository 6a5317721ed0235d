//! An offer's content (the "fiche de poste"): [`NewOffer`], as it comes from the edge
//! (unchecked, mirroring `vte.offers.v1.OfferSpec`), [`DraftSpec`] (what a draft holds: every
//! part optional, each given part valid) and [`OfferSpec`] (complete and valid: what a
//! published offer holds). The rules that turn one into the others are in
//! [`validation`](super::validation).

use super::location::Location;
use super::values::{CompanyName, Description, FieldOfStudy, RawDate, Skill, Title};
use chrono::NaiveDate;
use std::fmt;
use vte_domain::{
    CefrLevel, CompanySize, Contract, ContractKind, EducationLevel, EuroCents, InvalidValue,
    LanguageCode, LevelRange, MissionType,
};

/// At most this many fields of study per offer.
pub const MAX_FIELDS_OF_STUDY: usize = 10;
/// At most this many skills per offer.
pub const MAX_SKILLS: usize = 30;
/// At most this many languages per offer.
pub const MAX_LANGUAGES: usize = 10;

/// An offer's content as the edge receives it, unchecked: text as sent, enumerations as their
/// codes, levels as the N of bac+N. An empty string, a zero or a `None` means "not given"
/// (the proto3 default). Field paths in errors are those of `vte.offers.v1.OfferSpec` under
/// `spec.`. It (de)serialises with serde, so a store may keep a draft in this shape (from
/// [`DraftSpec`]) and check it again when reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewOffer {
    /// Job title.
    pub title: String,
    /// Description of the job and the company.
    pub description: String,
    /// Primary mission type, as a [`MissionType`] code (`"TECHNOLOGIE"`).
    pub primary_mission_type: String,
    /// Optional secondary mission type, as a code.
    pub secondary_mission_type: String,
    /// Whether the mission serves the company's ecological transition.
    pub ecological_transition: bool,
    /// Contract kind, as a [`ContractKind`] code (`"CDD"`).
    pub contract_kind: String,
    /// Contract duration in months; none for a CDI.
    pub duration_months: Option<u32>,
    /// Lowest level accepted, the N of bac+N (the proto enum's number); 0 when not given.
    pub min_level: i32,
    /// Highest level accepted, the N of bac+N; 0 when not given.
    pub max_level: i32,
    /// Fields of study sought.
    pub fields_of_study: Vec<String>,
    /// Skills sought.
    pub skills: Vec<String>,
    /// Languages required, with their minimum level.
    pub languages: Vec<NewLanguage>,
    /// The workplace's INSEE commune code (`spec.location.insee_code`).
    pub insee_code: String,
    /// Remote-work policy, as a [`RemotePolicy`] code (`"HYBRID"`).
    pub remote_policy: String,
    /// Gross annual salary range; `None` when not disclosed.
    pub salary: Option<NewSalaryRange>,
    /// Number of positions open; 0 when not given.
    pub positions: u32,
    /// Planned start date of the contract.
    pub start_date: Option<RawDate>,
    /// Last day to apply, inclusive.
    pub application_deadline: Option<RawDate>,
    /// Company's legal name as shown to candidates.
    pub company_name: String,
    /// Company size class, as a [`CompanySize`] code (`"PME"`).
    pub company_size: String,
}

/// A language requirement as the edge receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewLanguage {
    /// ISO 639-1 code, e.g. `"en"`.
    pub language: String,
    /// Minimum CEFR level, e.g. `"B2"`; required.
    pub level: String,
}

/// A salary range as the edge receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewSalaryRange {
    /// Minimum gross annual salary.
    pub min: Option<NewMoney>,
    /// Maximum gross annual salary.
    pub max: Option<NewMoney>,
}

/// An amount as the edge receives it (`vte.common.v1.Money`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewMoney {
    /// Amount in euro cents.
    pub amount_cents: i64,
    /// ISO 4217 code; empty means EUR, the only currency accepted.
    pub currency: String,
}

/// How much of the job can be done away from the workplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemotePolicy {
    /// Every working day on site.
    OnSite,
    /// Some days on site, some remote.
    Hybrid,
    /// Mostly remote, with occasional presence on site.
    MostlyRemote,
}

impl RemotePolicy {
    /// Every policy.
    pub const ALL: [RemotePolicy; 3] = [Self::OnSite, Self::Hybrid, Self::MostlyRemote];

    /// The stable code: `"ON_SITE"`, `"HYBRID"` or `"MOSTLY_REMOTE"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnSite => "ON_SITE",
            Self::Hybrid => "HYBRID",
            Self::MostlyRemote => "MOSTLY_REMOTE",
        }
    }

    /// Parses a code, ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|policy| policy.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| InvalidValue::new("must be one of ON_SITE, HYBRID, MOSTLY_REMOTE"))
    }
}

impl fmt::Display for RemotePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A gross annual salary range in euros: both bounds above zero, the minimum not above the
/// maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SalaryRange {
    min: EuroCents,
    max: EuroCents,
}

impl SalaryRange {
    /// A range from `min` to `max`, rejected when `min` is above `max` or either is zero.
    pub fn new(min: EuroCents, max: EuroCents) -> Result<Self, InvalidValue> {
        if min == EuroCents::ZERO || max == EuroCents::ZERO {
            return Err(InvalidValue::new("a salary must be above zero"));
        }
        if min > max {
            return Err(InvalidValue::new(format!(
                "must not be below the minimum ({min}), got {max}"
            )));
        }
        Ok(Self { min, max })
    }

    /// The minimum gross annual salary.
    pub const fn min(&self) -> EuroCents {
        self.min
    }

    /// The maximum gross annual salary.
    pub const fn max(&self) -> EuroCents {
        self.max
    }
}

/// The number of positions an offer opens, 1..=50.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Positions(u32);

impl Positions {
    /// The most positions one offer may open.
    pub const MAX: u32 = 50;

    /// Checks `count` is 1 to 50.
    pub fn new(count: u32) -> Result<Self, InvalidValue> {
        if (1..=Self::MAX).contains(&count) {
            Ok(Self(count))
        } else {
            Err(InvalidValue::new(format!("must be 1 to 50, got {count}")))
        }
    }

    /// The number of positions.
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// A language an offer requires, with the minimum level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LanguageRequirement {
    /// The language.
    pub language: LanguageCode,
    /// The minimum level on the CEFR scale.
    pub level: CefrLevel,
}

/// A draft's content: every part optional, every part given valid, and the rules between two
/// given parts (secondary mission type, level range, contract duration, deadline before the
/// start) kept. Built by [`validate_draft`](super::validation::validate_draft).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftSpec {
    /// Job title.
    pub title: Option<Title>,
    /// Description.
    pub description: Option<Description>,
    /// Primary mission type.
    pub primary_mission_type: Option<MissionType>,
    /// Secondary mission type, different from the primary one.
    pub secondary_mission_type: Option<MissionType>,
    /// Ecological-transition mission.
    pub ecological_transition: bool,
    /// Contract kind.
    pub contract_kind: Option<ContractKind>,
    /// Contract duration in months (12..=60; never with a CDI).
    pub duration_months: Option<u16>,
    /// Lowest level accepted.
    pub min_level: Option<EducationLevel>,
    /// Highest level accepted, not below the lowest.
    pub max_level: Option<EducationLevel>,
    /// Fields of study sought.
    pub fields_of_study: Vec<FieldOfStudy>,
    /// Skills sought.
    pub skills: Vec<Skill>,
    /// Languages required, one entry per language.
    pub languages: Vec<LanguageRequirement>,
    /// Workplace.
    pub location: Option<Location>,
    /// Remote-work policy.
    pub remote_policy: Option<RemotePolicy>,
    /// Salary range.
    pub salary: Option<SalaryRange>,
    /// Positions open.
    pub positions: Option<Positions>,
    /// Planned start date.
    pub start_date: Option<NaiveDate>,
    /// Last day to apply, on or before the start date.
    pub application_deadline: Option<NaiveDate>,
    /// Company name.
    pub company_name: Option<CompanyName>,
    /// Company size class.
    pub company_size: Option<CompanySize>,
}

/// A complete, valid offer content: what a published offer holds. Built by
/// [`validate_offer`](super::validation::validate_offer), which also checks the dates against
/// today; fields are public so that the store can rebuild a saved spec, each field's type
/// keeping its own rule (the rules between fields are documented on each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSpec {
    /// Job title.
    pub title: Title,
    /// Description.
    pub description: Description,
    /// Primary mission type.
    pub primary_mission_type: MissionType,
    /// Secondary mission type, different from the primary one.
    pub secondary_mission_type: Option<MissionType>,
    /// Ecological-transition mission.
    pub ecological_transition: bool,
    /// Contract kind and duration, meeting the VTE rules.
    pub contract: Contract,
    /// Education levels accepted.
    pub levels: LevelRange,
    /// Fields of study sought (at most 10).
    pub fields_of_study: Vec<FieldOfStudy>,
    /// Skills sought (at most 30).
    pub skills: Vec<Skill>,
    /// Languages required (at most 10, one entry per language).
    pub languages: Vec<LanguageRequirement>,
    /// Workplace.
    pub location: Location,
    /// Remote-work policy.
    pub remote_policy: RemotePolicy,
    /// Salary range; `None` when not disclosed.
    pub salary: Option<SalaryRange>,
    /// Positions open.
    pub positions: Positions,
    /// Planned start date.
    pub start_date: NaiveDate,
    /// Last day to apply, inclusive, on or before the start date; `None` means until the start
    /// date.
    pub application_deadline: Option<NaiveDate>,
    /// Company name.
    pub company_name: CompanyName,
    /// Company size class (large groups cannot be represented: they are not eligible).
    pub company_size: CompanySize,
}

impl OfferSpec {
    /// The last day applications are accepted: the deadline, or without one the start date.
    pub fn last_day_to_apply(&self) -> NaiveDate {
        self.application_deadline.unwrap_or(self.start_date)
    }
}

impl From<&OfferSpec> for DraftSpec {
    fn from(spec: &OfferSpec) -> Self {
        Self {
            title: Some(spec.title.clone()),
            description: Some(spec.description.clone()),
            primary_mission_type: Some(spec.primary_mission_type),
            secondary_mission_type: spec.secondary_mission_type,
            ecological_transition: spec.ecological_transition,
            contract_kind: Some(spec.contract.kind()),
            duration_months: spec.contract.duration_months(),
            min_level: Some(spec.levels.min()),
            max_level: Some(spec.levels.max()),
            fields_of_study: spec.fields_of_study.clone(),
            skills: spec.skills.clone(),
            languages: spec.languages.clone(),
            location: Some(spec.location.clone()),
            remote_policy: Some(spec.remote_policy),
            salary: spec.salary,
            positions: Some(spec.positions),
            start_date: Some(spec.start_date),
            application_deadline: spec.application_deadline,
            company_name: Some(spec.company_name.clone()),
            company_size: Some(spec.company_size),
        }
    }
}

/// Back to the edge's shape, so that a stored draft is published by the very rules that check
/// a request ([`validate_offer`](super::validation::validate_offer)).
impl From<&DraftSpec> for NewOffer {
    fn from(draft: &DraftSpec) -> Self {
        let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
        let money = |amount: EuroCents| NewMoney {
            amount_cents: amount.cents(),
            currency: "EUR".to_owned(),
        };
        Self {
            title: text(draft.title.as_ref().map(|t| t.as_str())),
            description: text(draft.description.as_ref().map(|d| d.as_str())),
            primary_mission_type: text(draft.primary_mission_type.map(MissionType::code)),
            secondary_mission_type: text(draft.secondary_mission_type.map(MissionType::code)),
            ecological_transition: draft.ecological_transition,
            contract_kind: text(draft.contract_kind.map(ContractKind::code)),
            duration_months: draft.duration_months.map(u32::from),
            min_level: draft.min_level.map_or(0, |level| i32::from(level.years())),
            max_level: draft.max_level.map_or(0, |level| i32::from(level.years())),
            fields_of_study: draft
                .fields_of_study
                .iter()
                .map(|f| f.to_string())
                .collect(),
            skills: draft.skills.iter().map(|s| s.to_string()).collect(),
            languages: draft
                .languages
                .iter()
                .map(|l| NewLanguage {
                    language: l.language.as_str().to_owned(),
                    level: l.level.as_str().to_owned(),
                })
                .collect(),
            insee_code: draft
                .location
                .as_ref()
                .map(|l| l.insee().to_string())
                .unwrap_or_default(),
            remote_policy: text(draft.remote_policy.map(RemotePolicy::as_str)),
            salary: draft.salary.map(|salary| NewSalaryRange {
                min: Some(money(salary.min())),
                max: Some(money(salary.max())),
            }),
            positions: draft.positions.map_or(0, Positions::get),
            start_date: draft.start_date.map(RawDate::from),
            application_deadline: draft.application_deadline.map(RawDate::from),
            company_name: text(draft.company_name.as_ref().map(|c| c.as_str())),
            company_size: text(draft.company_size.map(CompanySize::code)),
        }
    }
}

impl From<&OfferSpec> for NewOffer {
    fn from(spec: &OfferSpec) -> Self {
        Self::from(&DraftSpec::from(spec))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn remote_policies_are_stored_under_their_codes() {
        for policy in RemotePolicy::ALL {
            assert_eq!(RemotePolicy::parse(policy.as_str()), Ok(policy));
        }
        assert_eq!(RemotePolicy::parse("hybrid"), Ok(RemotePolicy::Hybrid));
        assert!(RemotePolicy::parse("FULL_REMOTE").is_err());
    }

    #[test]
    fn a_salary_range_needs_positive_bounds_in_order() {
        let euros = EuroCents::from_euros;
        assert!(SalaryRange::new(euros(30_000), euros(30_000)).is_ok());
        assert_eq!(
            SalaryRange::new(euros(40_000), euros(30_000))
                .unwrap_err()
                .rule(),
            "must not be below the minimum (40000 EUR), got 30000 EUR"
        );
        assert!(SalaryRange::new(EuroCents::ZERO, euros(1)).is_err());
    }

    #[test]
    fn an_offer_opens_one_to_fifty_positions() {
        assert_eq!(Positions::new(1).unwrap().get(), 1);
        assert_eq!(Positions::new(50).unwrap().get(), 50);
        assert_eq!(
            Positions::new(51).unwrap_err().rule(),
            "must be 1 to 50, got 51"
        );
        assert!(Positions::new(0).is_err());
    }
}
