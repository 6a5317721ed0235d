//! The shape of a rule file, read with serde (`deny_unknown_fields` everywhere, so a misspelt
//! key is refused rather than ignored). A file holds either the scheme's general terms
//! (`[scheme]`) or one aid (`[aid]`), with its validity window and its sources.

use crate::dates::{date, opt_date};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vte_domain::{CompanySize, ContractKind, EducationLevel, EuroCents, Programme};

/// One rule file: an id, a window of contract start dates, its sources, and either the scheme's
/// terms or one aid.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Stable id, quoted on a placement to freeze the rules it was judged by.
    pub id: String,
    /// What the set is, in French.
    pub title: String,
    /// The contract start dates it covers.
    pub window: Window,
    /// Where every rule of the set comes from; at least one.
    pub sources: Vec<Source>,
    /// The scheme's general terms, when the file holds them.
    pub scheme: Option<SchemeTerms>,
    /// One aid, when the file holds one.
    pub aid: Option<AidTerms>,
}

/// The contract start dates a set covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The first contract start date covered.
    #[serde(deserialize_with = "date")]
    pub from: NaiveDate,
    /// The last contract start date the sources confirm; absent when open-ended.
    #[serde(default, deserialize_with = "opt_date")]
    pub until: Option<NaiveDate>,
    /// What is known after `until` (required with it).
    pub after: Option<AfterWindow>,
}

impl Window {
    /// Whether a contract starting on `start` is covered.
    pub fn covers(&self, start: NaiveDate) -> bool {
        start >= self.from && self.until.is_none_or(|until| start <= until)
    }

    /// Whether two windows share a day.
    pub fn overlaps(&self, other: &Window) -> bool {
        let ends_before = |a: &Window, b: &Window| a.until.is_some_and(|until| until < b.from);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// What the sources say about contracts starting after a window's last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum AfterWindow {
    /// The end is not confirmed: "à confirmer auprès de Bpifrance", never a yes.
    #[serde(rename = "à confirmer")]
    ToConfirm,
    /// The terms ended (or were replaced by the next set's).
    #[serde(rename = "fermé")]
    Closed,
}

/// A public source of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short id that readings refer to, e.g. `"cci-paris-idf"`.
    pub id: String,
    /// The page or document, `https://`.
    pub url: String,
    /// Its title.
    pub title: String,
    /// Its date as precise as known: `"2020"`, `"2024-02"` or `"2024-02-15"`.
    pub date: String,
    /// What the source says or how precise the reference is.
    pub note: Option<String>,
}

/// The scheme's general terms (who, which contracts, which companies, where, the label).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeTerms {
    /// The lowest education level admitted.
    pub level_floor: EducationLevel,
    /// The highest education level admitted.
    pub level_ceiling: EducationLevel,
    /// A graduate qualifies when the degree is less than this many months old at the start.
    pub graduate_recency_months: u16,
    /// Company sizes admitted.
    pub company_sizes: Vec<CompanySize>,
    /// The Territoires d'industrie programme to look a commune up in, e.g. `"2018-2022"`.
    #[serde(deserialize_with = "crate::dates::programme")]
    pub ti_programme: Programme,
    /// The contracts admitted and their minimum durations.
    pub contracts: Vec<ContractRule>,
    /// The company may request the label until this many months after the contract start.
    pub label_request_months: u16,
}

/// A contract kind admitted, with its minimum duration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractRule {
    /// The kind of contract.
    pub kind: ContractKind,
    /// Minimum duration in months (cumulated in the company for work-study); none for a CDI.
    pub min_months: Option<u16>,
    /// The rule in words, when the number needs explaining.
    pub note: Option<String>,
}

/// Which aid a file describes; at most one confirmed set per aid covers a given date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AidCode {
    /// The 4,000 EUR aid to a PME/ETI of a Territoire d'industrie (operation "1 000 VTE").
    TerritoiresIndustrie,
    /// Action Logement's Mobili-Jeune, to the young person: conditional.
    MobiliJeune,
    /// VTE Vert, for an ecological-transition mission.
    VteVert,
}

impl AidCode {
    /// Every aid, in the order they are shown.
    pub const ALL: [AidCode; 3] = [Self::TerritoiresIndustrie, Self::MobiliJeune, Self::VteVert];

    /// The code written in the files.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TerritoiresIndustrie => "territoires-industrie",
            Self::MobiliJeune => "mobili-jeune",
            Self::VteVert => "vte-vert",
        }
    }
}

/// How an aid may be announced before anything is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Promise {
    /// "peut être éligible, sous réserve de labellisation par Bpifrance".
    #[serde(rename = "sous réserve de labellisation")]
    SubjectToLabel,
    /// "possible, sous conditions": depends on the person's situation, never "eligible" from an
    /// offer alone.
    #[serde(rename = "sous conditions")]
    Conditional,
}

impl Promise {
    /// The wording shown to people.
    pub const fn wording(self) -> &'static str {
        match self {
            Self::SubjectToLabel => {
                "peut être éligible, sous réserve de labellisation par Bpifrance"
            }
            Self::Conditional => "possible, sous conditions",
        }
    }
}

/// One aid: amount, who it is for, stacking, request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AidTerms {
    /// Which aid.
    pub code: AidCode,
    /// Who pays it and to whom, in words.
    pub paid_by: String,
    /// How it may be announced.
    pub promise: Promise,
    /// How much.
    pub amount: Amount,
    /// The facts it requires.
    pub eligibility: AidEligibility,
    /// What it stacks with.
    pub stacking: Option<Stacking>,
    /// How and when it is requested.
    pub request: Option<Request>,
    /// The conditions still to prove, in words, as shown to people.
    pub conditions: Vec<String>,
}

/// An amount: a fixed sum, an upper bound, or a monthly range for a number of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    /// A fixed sum, in euros.
    pub fixed_eur: Option<u32>,
    /// An upper bound, in euros.
    pub up_to_eur: Option<u32>,
    /// The lowest monthly payment, in euros.
    pub monthly_min_eur: Option<u32>,
    /// The highest monthly payment, in euros.
    pub monthly_max_eur: Option<u32>,
    /// For how many months at most a monthly aid is paid.
    pub max_months: Option<u16>,
    /// The aid never exceeds this share of the mission's costs, in percent.
    pub cap_percent_of_mission_costs: Option<u8>,
}

impl Amount {
    /// The most the aid can be, in euro cents (a monthly aid: its highest payment for its
    /// longest duration).
    pub fn ceiling(&self) -> Option<EuroCents> {
        let months = self.max_months.map(u32::from);
        let monthly = self
            .monthly_max_eur
            .zip(months)
            .map(|(eur, n)| eur.saturating_mul(n));
        self.fixed_eur
            .or(self.up_to_eur)
            .or(monthly)
            .map(EuroCents::from_euros)
    }

    /// The fixed sum, in euro cents.
    pub fn fixed(&self) -> Option<EuroCents> {
        self.fixed_eur.map(EuroCents::from_euros)
    }

    /// The monthly range, in euro cents.
    pub fn monthly_range(&self) -> Option<(EuroCents, EuroCents)> {
        let (min, max) = self.monthly_min_eur.zip(self.monthly_max_eur)?;
        Some((EuroCents::from_euros(min), EuroCents::from_euros(max)))
    }
}

/// The facts an aid requires, as data for the eligibility verdict (issue 14, item 2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AidEligibility {
    /// The contracts admitted and their minimum durations.
    pub contracts: Vec<ContractRule>,
    /// The lowest level admitted, as each source reads it (sources may disagree: all kept).
    #[serde(default)]
    pub level_floor: Vec<LevelReading>,
    /// A graduate qualifies when the degree is less than this many months old at the start.
    pub graduate_recency_months: Option<u16>,
    /// A work-study student qualifies too.
    #[serde(default)]
    pub work_study_students: bool,
    /// Company sizes admitted (empty: any employer).
    #[serde(default)]
    pub company_sizes: Vec<CompanySize>,
    /// The company must lie in a Territoire d'industrie of the scheme's programme.
    #[serde(default)]
    pub territoire_industrie: bool,
    /// The Bpifrance label conditions the aid.
    #[serde(default)]
    pub label_required: bool,
    /// The mission must serve the company's ecological transition.
    #[serde(default)]
    pub ecological_mission: bool,
    /// The young person must be younger than this at the request.
    pub under_age: Option<u8>,
    /// A real move: more than this many kilometres ...
    pub move_over_km: Option<u16>,
    /// ... or more than this many minutes of travel.
    pub move_over_minutes: Option<u16>,
}

/// One source's reading of a level floor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelReading {
    /// The lowest level admitted, by this reading.
    pub level: EducationLevel,
    /// The id of the source that reads it so.
    pub source: String,
    /// What exactly the reading covers.
    pub note: Option<String>,
}

/// What an aid stacks with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stacking {
    /// The aids it may be combined with.
    pub with: Vec<AidCode>,
    /// The combined total never exceeds this, in euros.
    pub total_cap_eur: Option<u32>,
    /// At most one such aid per establishment (SIRET).
    #[serde(default)]
    pub one_per_siret: bool,
}

impl Stacking {
    /// The combined cap, in euro cents.
    pub fn total_cap(&self) -> Option<EuroCents> {
        self.total_cap_eur.map(EuroCents::from_euros)
    }
}

/// How and when an aid is requested.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Where it is requested.
    pub at: String,
    /// The request is due within this many months of the hire.
    pub within_months_of_hire: Option<u16>,
    /// Who decides, e.g. a committee.
    pub decided_by: Option<String>,
}
