//! The matching rules as numbers: the hard filters (the scheme's rules among them, read as
//! [`super::eligibility`] reads them) and the eight score components, each a small pure
//! function of plain values. [`assess`] applies them to one pair of models; the
//! index applies the very same functions to its columns, so a score in a ranking, in a
//! suggestion and in an explanation is the same number.

use chrono::NaiveDate;
use serde::Deserialize;
use vte_domain::MissionType;

use super::eligibility::{Gate, day};
use super::geo::distance_km;
use super::model::{CandidateModel, Language, OfferModel, mission_index};
use super::taxonomy;
use super::text::{field_fit, held_keys, skill_credit};

/// The named components of a score, in the contract's order (`ScoreComponentKind` 1..=8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// The candidate's declared interest in the mission type: how likely they are to accept.
    MissionFit,
    Skills,
    FieldOfStudy,
    Distance,
    Territory,
    Languages,
    Availability,
    /// Whether the candidate's studies prepare for the mission type (the taxonomy's families).
    Competence,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 8] = [
        Self::MissionFit,
        Self::Skills,
        Self::FieldOfStudy,
        Self::Distance,
        Self::Territory,
        Self::Languages,
        Self::Availability,
        Self::Competence,
    ];
}

/// The number of score components.
pub const COMPONENTS: usize = ComponentKind::ALL.len();

/// The weight of each component before per-offer adjustment. Competence comes before interest,
/// as a recruiter judges (studies that prepare for the job, the skills sought; preferences say
/// how likely the candidate is to accept and weigh less). Defaults (they sum to 1): competence
/// 0.20, skills 0.25, field of study 0.20, mission interest 0.10, distance 0.10, territory 0.05,
/// languages 0.05, availability 0.05.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// The candidate's declared interest in the mission type.
    pub mission_fit: f32,
    pub skills: f32,
    pub field_of_study: f32,
    pub distance: f32,
    pub territory: f32,
    pub languages: f32,
    pub availability: f32,
    /// Whether the candidate's studies prepare for the mission type.
    pub competence: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            mission_fit: 0.10,
            skills: 0.25,
            field_of_study: 0.20,
            distance: 0.10,
            territory: 0.05,
            languages: 0.05,
            availability: 0.05,
            competence: 0.20,
        }
    }
}

impl Weights {
    fn as_array(&self) -> [f32; COMPONENTS] {
        [
            self.mission_fit,
            self.skills,
            self.field_of_study,
            self.distance,
            self.territory,
            self.languages,
            self.availability,
            self.competence,
        ]
    }
}

/// The tunable part of matching: the `matching.rules` settings. Every field has a documented
/// default; see [`crate::config`].
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub weights: Weights,
    /// A candidate available up to this many days after the start date still passes the
    /// availability filter (default 30); the scheme's verdict reads it too
    /// (`vte_rules::Options`), so both agree.
    pub availability_tolerance_days: u32,
    /// The part of the candidate's weight for an offer's secondary mission type that counts in
    /// mission fit (default 0.5).
    pub secondary_mission_share: f32,
    /// Languages weigh this many times more for an `INTERNATIONAL` mission (default 3; half
    /// of the extra when it is the secondary type).
    pub international_languages_factor: f32,
    /// The distance component halves at the candidate's mobility radius, but never at less
    /// than this many km (default 10).
    pub min_distance_scale_km: f32,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            availability_tolerance_days: 30,
            secondary_mission_share: 0.5,
            international_languages_factor: 3.0,
            min_distance_scale_km: 10.0,
        }
    }
}

impl Rules {
    /// The checks settings must pass; each message names the setting.
    pub fn check(&self) -> Result<(), String> {
        let weights = self.weights.as_array();
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("matching.rules.weights: every weight must be a number >= 0".into());
        }
        if weights.iter().sum::<f32>() <= 0.0 {
            return Err("matching.rules.weights: at least one weight must be above 0".into());
        }
        if !(0.0..=1.0).contains(&self.secondary_mission_share) {
            return Err("matching.rules.secondary_mission_share: must lie in 0..=1".into());
        }
        if self.international_languages_factor.is_nan() || self.international_languages_factor < 1.0
        {
            return Err("matching.rules.international_languages_factor: must be >= 1".into());
        }
        if self.min_distance_scale_km.is_nan() || self.min_distance_scale_km <= 0.0 {
            return Err("matching.rules.min_distance_scale_km: must be > 0".into());
        }
        Ok(())
    }

    /// The weights for one offer, summing to 1: skills weigh nothing when the offer lists none,
    /// languages more for an international mission.
    pub fn weights_for(&self, offer: &OfferModel) -> [f32; COMPONENTS] {
        let mut weights = self.weights.as_array();
        if offer.skills.is_empty() {
            weights[1] = 0.0;
        }
        let extra = self.international_languages_factor - 1.0;
        if offer.primary == MissionType::International {
            weights[5] *= 1.0 + extra;
        } else if offer.secondary == Some(MissionType::International) {
            weights[5] *= 1.0 + extra / 2.0;
        }
        let total: f32 = weights.iter().sum();
        if total > 0.0 {
            for weight in &mut weights {
                *weight /= total;
            }
        }
        weights
    }
}

/// Mission fit: the candidate's interest in the primary type, or the configured share of their
/// interest in the secondary type when that is higher; in [0, 1].
#[inline]
pub fn mission_fit(weights: &[u8; 8], primary: usize, secondary: Option<usize>, share: f32) -> f32 {
    let primary = f32::from(weights[primary]) / 100.0;
    let secondary = secondary.map_or(0.0, |s| share * f32::from(weights[s]) / 100.0);
    primary.max(secondary)
}

/// Skills: the offer's skills the candidate has (a family match counting for its share, see
/// [`skill_credit`](super::text::skill_credit)), over the number sought.
#[inline]
pub fn skills_fit(credit: f32, sought: u32) -> f32 {
    if sought == 0 {
        0.0
    } else {
        (credit / sought as f32).min(1.0)
    }
}

/// The competence value when the candidate's field of study names no discipline of the
/// taxonomy: unknown, neither a plus nor a minus.
pub const UNKNOWN_COMPETENCE: f32 = 0.5;

/// How well a profile (a discipline family's or a skill family's, by mission type) prepares
/// for the offer's primary mission type, or the configured share of the secondary one when
/// that is higher; in [0, 1].
#[inline]
fn mission_competence(
    profile: &[f32; 8],
    primary: usize,
    secondary: Option<usize>,
    share: f32,
) -> f32 {
    let secondary = secondary.map_or(0.0, |s| share * profile[s]);
    profile[primary].max(secondary)
}

/// What the candidate's studies say of the offer's mission types ([`UNKNOWN_COMPETENCE`] when
/// the taxonomy reads no discipline in them).
#[inline]
pub fn studies_competence(
    studies: Option<&[f32; 8]>,
    primary: usize,
    secondary: Option<usize>,
    share: f32,
) -> f32 {
    studies.map_or(UNKNOWN_COMPETENCE, |profile| {
        mission_competence(profile, primary, secondary, share)
    })
}

/// What the candidate's skills say of the offer's mission types (0 when none is in a family
/// of the taxonomy).
#[inline]
pub fn skills_competence(
    skills: Option<&[f32; 8]>,
    primary: usize,
    secondary: Option<usize>,
    share: f32,
) -> f32 {
    skills.map_or(0.0, |profile| {
        mission_competence(profile, primary, secondary, share)
    })
}

/// Competence: the studies' value, raised by the skills' for the part `skills_share` of the gap
/// to 1 (`studies + (1 − studies) × skills_share × skills`): skills add, never take away, and
/// weigh less than studies; in [0, 1].
#[inline]
pub fn competence_fit(studies: f32, skills: f32, skills_share: f32) -> f32 {
    studies + (1.0 - studies) * skills_share * skills
}

/// Distance: 1 at home, one half at the candidate's radius (or the minimum scale), smoothly
/// towards 0 beyond; one half when the distance is unknown.
#[inline]
pub fn distance_fit(km: f32, radius_km: f32, min_scale_km: f32) -> f32 {
    if km.is_nan() {
        return 0.5;
    }
    let ratio = km / radius_km.max(min_scale_km);
    1.0 / (1.0 + ratio * ratio)
}

/// Whether the offer's région is among the candidate's preferred ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionPreference {
    Preferred,
    NotPreferred,
    /// The candidate named no région.
    NoPreference,
}

/// Territory: 0.6 for a workplace in a Territoire d'industrie, plus 0.4 when its région is one
/// the candidate prefers (0.2 when they prefer none).
#[inline]
pub fn territory_fit(in_territory: bool, region: RegionPreference) -> f32 {
    let territory = if in_territory { 0.6 } else { 0.0 };
    let region = match region {
        RegionPreference::Preferred => 0.4,
        RegionPreference::NoPreference => 0.2,
        RegionPreference::NotPreferred => 0.0,
    };
    territory + region
}

/// Languages: the mean, over the offer's requirements, of the candidate's level over the level
/// required (capped at 1; 0 without the language); 1 when the offer requires none.
#[inline]
pub fn languages_fit(required: &[Language], level_of: impl Fn(&Language) -> u8) -> f32 {
    if required.is_empty() {
        return 1.0;
    }
    let sum: f32 = required
        .iter()
        .map(|need| (f32::from(level_of(need)) / f32::from(need.level.max(1))).min(1.0))
        .sum();
    sum / required.len() as f32
}

/// Availability: 1 when available by the start date, falling linearly to 0 over the tolerance.
#[inline]
pub fn availability_fit(days_late: i32, tolerance_days: u32) -> f32 {
    if days_late <= 0 {
        1.0
    } else {
        (1.0 - days_late as f32 / (tolerance_days as f32 + 1.0)).max(0.0)
    }
}

/// The mobility filter: within the radius, open to relocation, or at an unknown distance.
#[inline]
pub fn mobility_passes(km: f32, radius_km: f32, open_to_relocation: bool) -> bool {
    open_to_relocation || km.is_nan() || km <= radius_km
}

/// The score: the weighted sum of the values, weights summing to 1.
#[inline]
pub fn weighted(weights: &[f32; COMPONENTS], values: &[f32; COMPONENTS]) -> f32 {
    let mut score = 0.0;
    for i in 0..COMPONENTS {
        score += weights[i] * values[i];
    }
    score
}

/// Days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i32 {
    i32::try_from((to - from).num_days()).unwrap_or(i32::MAX)
}

/// The hard filters of one pair, as facts; [`super::explain`] words them. Those of the
/// scheme's rules are read as the index reads them ([`super::eligibility`]), which agrees with
/// [`vte_rules::judge`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Filters {
    pub offer_open: bool,
    pub contract: bool,
    /// In the offer's level range and the scheme's.
    pub level: bool,
    /// Days between the start date and the candidate's first day (positive: late).
    pub days_late: i32,
    pub availability: bool,
    /// Distance home to workplace, NaN when unknown.
    pub distance_km: f32,
    pub mobility: bool,
    /// The scheme's rule `contract_for_status`: a student at the start takes only work-study.
    pub contract_for_status: bool,
    /// The scheme's rule `contract_duration`.
    pub contract_duration: bool,
    /// The scheme's rule `graduate_recency`.
    pub graduate_recency: bool,
    /// The scheme's rule `company_size`.
    pub company_size: bool,
}

impl Filters {
    pub fn all_pass(&self) -> bool {
        self.offer_open && self.scheme_passes() && self.availability && self.mobility
    }

    /// Whether the pair meets every rule of the scheme (`judge` finds it admissible): the
    /// filters above but openness and mobility.
    pub fn scheme_passes(&self) -> bool {
        self.contract
            && self.level
            && self.availability
            && self.contract_for_status
            && self.contract_duration
            && self.graduate_recency
            && self.company_size
    }
}

/// One pair weighed: the filters, the value and weight of each component, the score.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub filters: Filters,
    pub weights: [f32; COMPONENTS],
    pub values: [f32; COMPONENTS],
    pub score: f32,
    /// Offer skills the candidate has, by their position in the candidate's list.
    pub matched_skills: Vec<usize>,
    pub region: RegionPreference,
}

impl Assessment {
    pub fn eligible(&self) -> bool {
        self.filters.all_pass()
    }
}

/// Weighs one pair with every rule (filters and components), whatever the outcome.
pub fn assess(offer: &OfferModel, candidate: &CandidateModel, rules: &Rules) -> Assessment {
    let km = distance_km(&offer.place.unit.0, &candidate.home.unit.0);
    let days_late = days_between(offer.start_date, candidate.available_from);
    let gate = Gate::new(offer);
    let (status, graduation) = (candidate.academic.code(), day(candidate.graduation_date));
    let filters = Filters {
        offer_open: offer.open,
        contract: candidate.seeks(offer.contract),
        level: offer.scheme.admits_level(candidate.level),
        days_late,
        availability: days_late
            <= i32::try_from(rules.availability_tolerance_days).unwrap_or(i32::MAX),
        distance_km: km,
        mobility: mobility_passes(km, candidate.radius_km as f32, candidate.open_to_relocation),
        contract_for_status: gate.contract_for_status(status, graduation),
        contract_duration: offer.scheme.contract_duration,
        graduate_recency: gate.graduate_recency(status, graduation),
        company_size: offer.scheme.company_size,
    };
    // Candidate skills that meet one the offer seeks in full, for the explanation.
    let matched_skills: Vec<usize> = candidate
        .skills
        .iter()
        .enumerate()
        .filter(|(_, skill)| {
            let held = held_keys(std::slice::from_ref(*skill));
            offer
                .skills
                .iter()
                .any(|sought| skill_credit(&sought.skill, &held) >= 1.0)
        })
        .map(|(i, _)| i)
        .collect();
    let held = held_keys(&candidate.skills);
    let credit: f32 = offer
        .skills
        .iter()
        .map(|sought| skill_credit(&sought.skill, &held))
        .sum();
    let studies = taxonomy::fields().competences(&candidate.field_of_study.disciplines);
    let skill_profile = taxonomy::skills().competences(candidate.skills.iter().map(|t| &t.skill));
    let (primary, secondary) = (
        mission_index(offer.primary),
        offer.secondary.map(mission_index),
    );
    let share = rules.secondary_mission_share;
    let region = region_preference(&candidate.preferred_regions, &offer.place.region_code);
    let values = [
        mission_fit(
            &candidate.mission_weights,
            mission_index(offer.primary),
            offer.secondary.map(mission_index),
            rules.secondary_mission_share,
        ),
        skills_fit(credit, offer.skills.len() as u32),
        field_fit(&candidate.field_of_study, &offer.fields),
        distance_fit(km, candidate.radius_km as f32, rules.min_distance_scale_km),
        territory_fit(offer.territory().is_some(), region),
        languages_fit(&offer.languages, |need| {
            level_in(&candidate.languages, need)
        }),
        availability_fit(days_late, rules.availability_tolerance_days),
        competence_fit(
            studies_competence(studies.as_ref(), primary, secondary, share),
            skills_competence(skill_profile.as_ref(), primary, secondary, share),
            taxonomy::skills().skills_share(),
        ),
    ];
    let weights = rules.weights_for(offer);
    Assessment {
        filters,
        weights,
        score: weighted(&weights, &values),
        values,
        matched_skills,
        region,
    }
}

/// The candidate's level in the language `need` names, 0 without it.
pub fn level_in(languages: &[Language], need: &Language) -> u8 {
    languages
        .iter()
        .find(|language| language.code == need.code)
        .map_or(0, |language| language.level)
}

/// Whether `region` is among `preferred`.
pub fn region_preference(preferred: &[String], region: &str) -> RegionPreference {
    if preferred.is_empty() {
        RegionPreference::NoPreference
    } else if preferred.iter().any(|r| r == region) {
        RegionPreference::Preferred
    } else {
        RegionPreference::NotPreferred
    }
}
