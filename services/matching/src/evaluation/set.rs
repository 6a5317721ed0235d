//! A graded set in the format of `../shared/eval/README.md`, read with serde and turned into
//! matching's models: the offers and candidates exactly as the read model would hold them, with
//! places resolved against the reference data and each offer read under the scheme's rules.
//! Every error names the offer or candidate and the field.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;
use vte_domain::{
    CandidateId, CompanySize, ContractKind, LanguageCode, MissionType, OfferId, Siren,
};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use crate::domain::{
    Academic, CandidateModel, Language, OfferModel, Place, SchemeFit, Term, mission_weights,
};

/// A graded set, as written.
#[derive(Debug, Clone, Deserialize)]
pub struct GradedSet {
    /// The format's version (1).
    pub version: u32,
    /// The day the rankings are asked for.
    pub as_of: NaiveDate,
    pub offers: Vec<SetOffer>,
    pub candidates: Vec<SetCandidate>,
    pub judgments: Vec<Judgment>,
}

/// One offer and the pool of candidates graded for it.
#[derive(Debug, Clone, Deserialize)]
pub struct SetOffer {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub primary_mission_type: String,
    pub secondary_mission_type: Option<String>,
    #[serde(default)]
    pub ecological_transition: bool,
    pub contract_kind: String,
    pub duration_months: Option<u16>,
    pub min_level: u8,
    pub max_level: u8,
    #[serde(default)]
    pub fields_of_study: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub languages: Vec<SetLanguage>,
    pub insee_code: String,
    pub start_date: NaiveDate,
    pub company_name: String,
    pub company_size: String,
    /// The candidates graded for this offer.
    pub pool: Vec<String>,
}

/// A language and its CEFR level (`A1`..`C2`).
#[derive(Debug, Clone, Deserialize)]
pub struct SetLanguage {
    pub code: String,
    pub level: String,
}

/// One candidate, as a school would push them.
#[derive(Debug, Clone, Deserialize)]
pub struct SetCandidate {
    pub id: String,
    pub status: String,
    pub graduation_date: Option<NaiveDate>,
    pub level: u8,
    pub field_of_study: String,
    #[serde(default)]
    pub diploma: String,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub languages: Vec<SetLanguage>,
    pub home_insee_code: String,
    pub preferences: SetPreferences,
}

/// What the candidate looks for.
#[derive(Debug, Clone, Deserialize)]
pub struct SetPreferences {
    #[serde(default)]
    pub mission_type_weights: HashMap<String, u32>,
    pub mobility_radius_km: u32,
    #[serde(default)]
    pub open_to_relocation: bool,
    #[serde(default)]
    pub preferred_region_codes: Vec<String>,
    #[serde(default)]
    pub contract_kinds_sought: Vec<String>,
    pub available_from: NaiveDate,
}

/// Two reviewers' mean grade for a pair, and whether both found it eligible.
#[derive(Debug, Clone, Deserialize)]
pub struct Judgment {
    pub offer: String,
    pub candidate: String,
    pub grade: f64,
    pub eligible: bool,
}

/// A set that does not read: the offer or candidate, the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{item}: {field} {problem}")]
pub struct SetError {
    pub item: String,
    pub field: &'static str,
    pub problem: String,
}

fn error(item: &str, field: &'static str, problem: impl Into<String>) -> SetError {
    SetError {
        item: item.to_owned(),
        field,
        problem: problem.into(),
    }
}

/// The CEFR levels, A1 = 1 ... C2 = 6.
fn languages(item: &str, languages: &[SetLanguage]) -> Result<Vec<Language>, SetError> {
    const CEFR: [&str; 6] = ["A1", "A2", "B1", "B2", "C1", "C2"];
    languages
        .iter()
        .map(|language| {
            let code = LanguageCode::parse(&language.code)
                .map_err(|e| error(item, "languages.code", e.rule().to_owned()))?;
            let level = CEFR
                .iter()
                .position(|cefr| *cefr == language.level)
                .ok_or_else(|| error(item, "languages.level", "must be A1..C2"))?;
            Ok(Language {
                code,
                level: u8::try_from(level + 1).unwrap_or(6),
            })
        })
        .collect()
}

fn terms(texts: &[String]) -> Vec<Term> {
    texts.iter().map(|text| Term::new(text)).collect()
}

impl SetOffer {
    /// The offer as matching holds a published one, open, read under `book`'s rules.
    pub fn model(
        &self,
        id: OfferId,
        reference: &ReferenceData,
        book: &RuleBook,
    ) -> Result<OfferModel, SetError> {
        let item = format!("offer {}", self.id);
        let mission = |field: &'static str, raw: &str| {
            MissionType::parse(raw).map_err(|e| error(&item, field, e.rule().to_owned()))
        };
        let mut offer = OfferModel {
            id,
            siren: Siren::parse("732829320").map_err(|e| error(&item, "siren", e.rule()))?,
            title: self.title.clone(),
            company_name: self.company_name.clone(),
            open: true,
            primary: mission("primary_mission_type", &self.primary_mission_type)?,
            secondary: self
                .secondary_mission_type
                .as_deref()
                .map(|raw| mission("secondary_mission_type", raw))
                .transpose()?,
            contract: ContractKind::parse(&self.contract_kind)
                .map_err(|e| error(&item, "contract_kind", e.rule().to_owned()))?,
            duration_months: self.duration_months,
            min_level: self.min_level,
            max_level: self.max_level,
            company_size: CompanySize::parse(&self.company_size)
                .map_err(|e| error(&item, "company_size", e.rule().to_owned()))?,
            ecological: self.ecological_transition,
            fields: terms(&self.fields_of_study),
            skills: terms(&self.skills),
            languages: languages(&item, &self.languages)?,
            place: Place::resolve(reference, &self.insee_code)
                .map_err(|problem| error(&item, "insee_code", problem))?,
            start_date: self.start_date,
            scheme: SchemeFit::unread(),
        };
        offer.scheme = SchemeFit::read(book, &offer);
        Ok(offer)
    }
}

impl SetCandidate {
    /// The candidate as matching holds a matchable profile.
    pub fn model(
        &self,
        id: CandidateId,
        reference: &ReferenceData,
    ) -> Result<CandidateModel, SetError> {
        let item = format!("candidate {}", self.id);
        let preferences = &self.preferences;
        let mut weights = Vec::new();
        for (mission, weight) in &preferences.mission_type_weights {
            let mission = MissionType::parse(mission)
                .map_err(|e| error(&item, "mission_type_weights", e.rule().to_owned()))?;
            weights.push((mission, *weight));
        }
        let contract_kinds = preferences
            .contract_kinds_sought
            .iter()
            .map(|raw| {
                ContractKind::parse(raw)
                    .map_err(|e| error(&item, "contract_kinds_sought", e.rule().to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CandidateModel {
            id,
            school: None,
            academic: match self.status.as_str() {
                "STUDENT" => Academic::Student,
                "GRADUATE" => Academic::Graduate,
                _ => return Err(error(&item, "status", "must be STUDENT or GRADUATE")),
            },
            graduation_date: self.graduation_date,
            level: self.level,
            field_of_study: Term::new(&self.field_of_study),
            skills: terms(&self.skills),
            languages: languages(&item, &self.languages)?,
            home: Place::resolve(reference, &self.home_insee_code)
                .map_err(|problem| error(&item, "home_insee_code", problem))?,
            mission_weights: mission_weights(weights),
            radius_km: preferences.mobility_radius_km,
            open_to_relocation: preferences.open_to_relocation,
            preferred_regions: preferences.preferred_region_codes.clone(),
            contract_kinds,
            available_from: preferences.available_from,
            labels_count: 0,
        })
    }
}

/// A stable id for the `n`-th item of a set: ranking ties then fall in the set's order, run
/// after run.
pub(crate) fn stable_uuid(n: usize) -> Uuid {
    Uuid::from_u128(n as u128 + 1)
}
