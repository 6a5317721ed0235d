//! What matching knows of an offer and of a candidate: the parts of `vte.offers.v1.Offer` and
//! `vte.candidates.v1.CandidateProfile` that filters and scores read, parsed once when the
//! event arrives (or the row is loaded), with places resolved against the reference data.
//! Nothing here is contact data: a candidate is an id, a home commune and their preferences.

use chrono::NaiveDate;
use vte_domain::{
    CandidateId, CompanySize, ContractKind, InseeCode, LanguageCode, MissionType, OfferId,
    SchoolId, Siren,
};
use vte_reference::{Programme, ReferenceData};

use super::eligibility::SchemeFit;
use super::geo::Unit;
use super::taxonomy::{self, Discipline, SkillKeys};
use super::text::normalize;

/// A commune, resolved: the names explanations use and the centre distances are taken from.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub insee: InseeCode,
    pub commune_name: String,
    pub region_code: String,
    pub region_name: String,
    /// The Territoire d'industrie the commune lies in under each programme, by name, in
    /// [`Programme::ALL`] order: which one counts depends on a contract's start date.
    pub territories: [Option<String>; 2],
    /// The commune's centre; [`Unit::UNKNOWN`] for the few without one.
    pub unit: Unit,
}

impl Place {
    /// Resolves an INSEE code. The error never repeats the code (a home commune is personal
    /// data), so it may go into a dead-letter header or a log.
    pub fn resolve(reference: &ReferenceData, raw: &str) -> Result<Self, String> {
        let commune = reference
            .resolve(raw)
            .map_err(|_| "names no commune of the reference data".to_owned())?;
        let insee = commune.insee();
        let region_code = commune.region().to_owned();
        Ok(Self {
            insee,
            commune_name: commune.name().to_owned(),
            region_name: reference
                .region(&region_code)
                .map(|region| region.name().to_owned())
                .unwrap_or_default(),
            region_code,
            territories: Programme::ALL.map(|programme| {
                reference
                    .territory_of(&insee, programme)
                    .map(|territory| territory.name().to_owned())
            }),
            unit: commune.centre().map_or(Unit::UNKNOWN, Unit::of),
        })
    }

    /// The Territoire d'industrie the commune lies in under `programme`.
    pub fn territory(&self, programme: Programme) -> Option<&str> {
        self.territories[programme.index()].as_deref()
    }
}

/// A language and a CEFR level (1 = A1 ... 6 = C2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    pub code: LanguageCode,
    pub level: u8,
}

/// Text as written, its comparison key ([`normalize`]) and what the taxonomy reads in it: the
/// disciplines of a field of study, the canonical keys of a skill (both are read for every term:
/// a term does not know which it is, and reading is cheap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub key: String,
    pub disciplines: Vec<Discipline>,
    pub skill: SkillKeys,
}

impl Term {
    pub fn new(text: &str) -> Self {
        let key = normalize(text);
        Self {
            text: text.trim().to_owned(),
            disciplines: taxonomy::fields().read(&key),
            skill: taxonomy::skills().read(&key),
            key,
        }
    }
}

/// A published offer as matching sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferModel {
    pub id: OfferId,
    pub siren: Siren,
    pub title: String,
    pub company_name: String,
    /// Published with positions remaining: rankable.
    pub open: bool,
    pub primary: MissionType,
    pub secondary: Option<MissionType>,
    pub contract: ContractKind,
    /// Months of contract (cumulated in the company for work-study); none for a CDI.
    pub duration_months: Option<u16>,
    pub min_level: u8,
    pub max_level: u8,
    pub company_size: CompanySize,
    /// The mission serves the company's ecological transition (VTE Vert).
    pub ecological: bool,
    /// Fields of study sought; empty means any.
    pub fields: Vec<Term>,
    pub skills: Vec<Term>,
    pub languages: Vec<Language>,
    pub place: Place,
    pub start_date: NaiveDate,
    /// What the scheme's rules for the start date say of the offer alone
    /// ([`SchemeFit::read`]; set it again after changing any field above).
    pub scheme: SchemeFit,
}

impl OfferModel {
    /// Whether `other` would match differently: anything but the title, names and openness.
    pub fn same_terms(&self, other: &OfferModel) -> bool {
        self.primary == other.primary
            && self.secondary == other.secondary
            && self.contract == other.contract
            && self.duration_months == other.duration_months
            && (self.min_level, self.max_level) == (other.min_level, other.max_level)
            && self.company_size == other.company_size
            && self.ecological == other.ecological
            && self.fields == other.fields
            && self.skills == other.skills
            && self.languages == other.languages
            && self.place.insee == other.place.insee
            && self.start_date == other.start_date
            && self.scheme == other.scheme
    }

    /// The Territoire d'industrie of the workplace, in the programme of the start date's rules.
    pub fn territory(&self) -> Option<&str> {
        self.place.territory(self.scheme.programme)
    }
}

/// The candidate's academic situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Academic {
    Student,
    Graduate,
    /// Not stated (an older producer): neither aid can be promised.
    Unknown,
}

impl Academic {
    /// The number stored and sent on the wire (`vte.candidates.v1.AcademicStatus`).
    pub const fn number(self) -> i32 {
        match self {
            Self::Student => 1,
            Self::Graduate => 2,
            Self::Unknown => 0,
        }
    }

    /// The number as the index's columns keep it.
    pub const fn code(self) -> u8 {
        match self {
            Self::Student => 1,
            Self::Graduate => 2,
            Self::Unknown => 0,
        }
    }

    pub const fn from_number(number: i32) -> Self {
        match number {
            1 => Self::Student,
            2 => Self::Graduate,
            _ => Self::Unknown,
        }
    }
}

/// A matchable candidate's profile as matching sees it: pseudonymous, without contact data.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateModel {
    pub id: CandidateId,
    pub school: Option<SchoolId>,
    pub academic: Academic,
    /// The diploma's date: expected for a student, actual for a graduate; none when the
    /// profile does not say (a graduate then fails the scheme's recency rule).
    pub graduation_date: Option<NaiveDate>,
    /// Years after the bac as the profile states them; may lie outside bac+2..=bac+5 (then no
    /// offer's level range contains it).
    pub level: u8,
    pub field_of_study: Term,
    pub skills: Vec<Term>,
    pub languages: Vec<Language>,
    pub home: Place,
    /// Interest in each mission type, 0..=100, in [`MissionType::ALL`] order.
    pub mission_weights: [u8; 8],
    pub radius_km: u32,
    pub open_to_relocation: bool,
    pub preferred_regions: Vec<String>,
    /// Contract kinds sought.
    pub contract_kinds: Vec<ContractKind>,
    pub available_from: NaiveDate,
    pub labels_count: u32,
}

impl CandidateModel {
    /// Whether the candidate seeks `kind`.
    pub fn seeks(&self, kind: ContractKind) -> bool {
        self.contract_kinds.contains(&kind)
    }

    /// The candidate's interest in `mission`, 0..=100.
    pub fn weight_of(&self, mission: MissionType) -> u8 {
        self.mission_weights[mission_index(mission)]
    }
}

/// The position of a mission type in [`MissionType::ALL`] (and in mission weights).
pub fn mission_index(mission: MissionType) -> usize {
    MissionType::ALL
        .iter()
        .position(|m| *m == mission)
        .unwrap_or(MissionType::ALL.len() - 1)
}

/// The position of a contract kind in [`ContractKind::ALL`].
pub fn contract_index(kind: ContractKind) -> usize {
    ContractKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

/// Mission weights from a profile's list: listed types weigh what they say (capped at 100),
/// unlisted ones 0; an empty list means no preference, every type 50.
pub fn mission_weights(listed: impl IntoIterator<Item = (MissionType, u32)>) -> [u8; 8] {
    let mut weights = [0u8; 8];
    let mut any = false;
    for (mission, weight) in listed {
        weights[mission_index(mission)] = u8::try_from(weight.min(100)).unwrap_or(100);
        any = true;
    }
    if !any {
        weights = [50; 8];
    }
    weights
}
