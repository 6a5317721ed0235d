//! What a verdict is computed from: the facts of an offer and of a candidate that the scheme's
//! rules read, and nothing else (never a name nor contact data). Services build them from their
//! own models; a placement stores them as they were at the hire.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vte_domain::{CompanySize, ContractKind, Programme};

/// The workplace: its commune and the Territoire d'industrie it lies in under each programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceFacts {
    /// The commune's name, for the reasons.
    pub commune: String,
    /// The territory's name under each programme, in [`Programme::ALL`] order.
    pub territories: [Option<String>; 2],
}

impl PlaceFacts {
    /// A commune and the territory it lies in under each programme (a lookup into the reference
    /// data, e.g. `|programme| reference.territory_of(&insee, programme)`).
    pub fn new(commune: &str, territory_of: impl Fn(Programme) -> Option<String>) -> Self {
        Self {
            commune: commune.to_owned(),
            territories: Programme::ALL.map(territory_of),
        }
    }

    /// The commune of `insee` in the reference data, with its territories; `None` when the code
    /// names no commune.
    pub fn resolve(reference: &vte_reference::ReferenceData, insee: &str) -> Option<Self> {
        let commune = reference.resolve(insee).ok()?;
        let code = commune.insee();
        Some(Self::new(commune.name(), |programme| {
            reference
                .territory_of(&code, programme)
                .map(|territory| territory.name().to_owned())
        }))
    }

    /// The territory under `programme`, if any.
    pub fn territory(&self, programme: Programme) -> Option<&str> {
        self.territories[programme.index()].as_deref()
    }
}

/// The offer's side of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferFacts {
    /// The contract proposed.
    pub contract: ContractKind,
    /// Its duration in months (time cumulated in the company for work-study); none for a CDI.
    pub duration_months: Option<u16>,
    /// The planned start date: it chooses the rule set.
    pub start: NaiveDate,
    /// The lowest level the offer accepts, in years after the bac.
    pub min_level: u8,
    /// The highest level the offer accepts, in years after the bac.
    pub max_level: u8,
    /// The company's size class.
    pub company_size: CompanySize,
    /// Where the job is.
    pub place: PlaceFacts,
    /// The mission serves the company's ecological transition (VTE Vert).
    pub ecological_mission: bool,
}

/// The candidate's academic situation as their school states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Enrolled; the graduation date is expected.
    Student,
    /// Holds the diploma; the graduation date is past.
    Graduate,
    /// Not stated.
    Unknown,
}

/// The candidate's side of a pair: only what the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateFacts {
    /// Student or graduate.
    pub status: Status,
    /// The level reached or prepared, in years after the bac.
    pub level: u8,
    /// The graduation date: expected for a student, actual for a graduate.
    pub graduation_date: Option<NaiveDate>,
    /// The contract kinds the candidate seeks.
    pub contract_kinds: Vec<ContractKind>,
    /// The first day the candidate can start.
    pub available_from: Option<NaiveDate>,
}

impl CandidateFacts {
    /// The candidate's situation on the contract's first day: a student whose diploma is
    /// expected by then starts as a graduate.
    pub fn status_at(&self, start: NaiveDate) -> Status {
        match (self.status, self.graduation_date) {
            (Status::Student, Some(graduation)) if graduation <= start => Status::Graduate,
            (status, _) => status,
        }
    }
}
