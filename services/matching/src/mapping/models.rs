//! Offers and profiles of the contract as matching sees them: from events and from the read
//! model (which keeps each offer as the offers service published it), the offer read once
//! against the scheme's rules for its start date. Every refusal names the field, never a
//! value, as it may end in a dead-letter header.

use chrono::NaiveDate;
use prost::Message as _;
use vte_domain::{
    CandidateId, CompanySize, ContractKind, LanguageCode, MissionType, OfferId, SchoolId, Siren,
};
use vte_proto::vte::candidates::v1::CandidateProfile;
use vte_proto::vte::common::v1 as common;
use vte_proto::vte::offers::v1::{Offer, OfferStatus};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;
use vte_wire::WireEnum as _;

use crate::domain::{
    Academic, CandidateModel, Language, OfferModel, Place, SchemeFit, Term, mission_weights,
};

/// An offer as the read model keeps it (encoded), decoded.
pub fn stored_offer(bytes: &[u8]) -> Result<Offer, prost::DecodeError> {
    Offer::decode(bytes)
}

/// A mission type from its wire number (1..=8).
pub fn mission(number: i32) -> Option<MissionType> {
    usize::try_from(number - 1)
        .ok()
        .and_then(|i| MissionType::ALL.get(i).copied())
}

/// A contract kind from its wire number (1..=3).
pub fn contract(number: i32) -> Option<ContractKind> {
    usize::try_from(number - 1)
        .ok()
        .and_then(|i| ContractKind::ALL.get(i).copied())
}

/// A calendar date from the wire, when valid.
pub fn date(date: Option<&common::Date>) -> Option<NaiveDate> {
    let date = date?;
    NaiveDate::from_ymd_opt(
        date.year,
        u32::try_from(date.month).ok()?,
        u32::try_from(date.day).ok()?,
    )
}

/// Terms with their duplicates (same key) and empty ones dropped, first spelling kept.
fn terms<'a>(raw: impl IntoIterator<Item = &'a String>) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    for text in raw {
        let term = Term::new(text);
        if !term.key.is_empty() && !terms.iter().any(|t| t.key == term.key) {
            terms.push(term);
        }
    }
    terms
}

/// Languages with a valid code and level, one per code (the highest level).
fn languages(raw: &[common::LanguageSkill]) -> Vec<Language> {
    let mut languages: Vec<Language> = Vec::new();
    for skill in raw {
        let (Ok(code), Ok(level)) = (
            LanguageCode::parse(&skill.language),
            u8::try_from(skill.level),
        ) else {
            continue;
        };
        if !(1..=6).contains(&level) {
            continue;
        }
        match languages.iter_mut().find(|l| l.code == code) {
            Some(known) => known.level = known.level.max(level),
            None => languages.push(Language { code, level }),
        }
    }
    languages
}

/// The offer of an event as matching sees it, read against the rules for its start date; the
/// error names the missing or invalid field.
pub fn offer_model(
    offer: &Offer,
    reference: &ReferenceData,
    rules: &RuleBook,
) -> Result<OfferModel, String> {
    let spec = offer.spec.as_ref().ok_or("offer.spec is missing")?;
    let level = |n: i32, field: &str| {
        u8::try_from(n)
            .ok()
            .filter(|l| (2..=5).contains(l))
            .ok_or(format!("offer.spec.{field} is not bac+2..=bac+5"))
    };
    let location = spec
        .location
        .as_ref()
        .ok_or("offer.spec.location is missing")?;
    // Published offers always state it; without it the scheme's size rule cannot be met.
    let company_size = CompanySize::from_wire(spec.company_size)
        .ok()
        .flatten()
        .ok_or("offer.spec.company_size is missing or not a company size")?;
    let duration_months = spec
        .duration_months
        .map(|months| u16::try_from(months).map_err(|_| "offer.spec.duration_months is too large"))
        .transpose()?;
    let mut model = OfferModel {
        id: OfferId::parse(&offer.id).map_err(|_| "offer.id is not a UUID")?,
        siren: Siren::parse(&offer.company_siren)
            .map_err(|_| "offer.company_siren is not a SIREN")?,
        title: spec.title.clone(),
        company_name: spec.company_name.clone(),
        open: offer.status == OfferStatus::Published as i32 && offer.positions_remaining > 0,
        primary: mission(spec.primary_mission_type)
            .ok_or("offer.spec.primary_mission_type is not a mission type")?,
        secondary: mission(spec.secondary_mission_type),
        contract: contract(spec.contract_kind)
            .ok_or("offer.spec.contract_kind is not a contract kind")?,
        duration_months,
        min_level: level(spec.min_level, "min_level")?,
        max_level: level(spec.max_level, "max_level")?,
        company_size,
        ecological: spec.ecological_transition,
        fields: terms(&spec.fields_of_study),
        skills: terms(&spec.skills),
        languages: languages(&spec.languages),
        place: Place::resolve(reference, &location.insee_code)
            .map_err(|e| format!("offer.spec.location.insee_code {e}"))?,
        start_date: date(spec.start_date.as_ref())
            .ok_or("offer.spec.start_date is missing or invalid")?,
        scheme: SchemeFit::unread(),
    };
    model.scheme = SchemeFit::read(rules, &model);
    Ok(model)
}

/// A matchable profile as matching sees it; the error names the missing or invalid field.
pub fn candidate_model(
    profile: &CandidateProfile,
    reference: &ReferenceData,
) -> Result<CandidateModel, String> {
    let preferences = profile
        .preferences
        .as_ref()
        .ok_or("profile.preferences is missing")?;
    let home = profile.home.as_ref().ok_or("profile.home is missing")?;
    let mut kinds: Vec<ContractKind> = Vec::new();
    for kind in preferences
        .contract_kinds_sought
        .iter()
        .filter_map(|n| contract(*n))
    {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(CandidateModel {
        id: CandidateId::parse(&profile.id).map_err(|_| "profile.id is not a UUID")?,
        school: SchoolId::parse(&profile.school_id).ok(),
        academic: Academic::from_number(profile.status),
        graduation_date: date(profile.graduation_date.as_ref()),
        level: u8::try_from(profile.level.clamp(0, 255)).unwrap_or(0),
        field_of_study: Term::new(&profile.field_of_study),
        skills: terms(&profile.skills),
        languages: languages(&profile.languages),
        home: Place::resolve(reference, &home.insee_code)
            .map_err(|e| format!("profile.home.insee_code {e}"))?,
        mission_weights: mission_weights(
            preferences
                .mission_type_weights
                .iter()
                .filter_map(|w| mission(w.mission_type).map(|m| (m, w.weight))),
        ),
        radius_km: preferences.mobility_radius_km.min(1_000),
        open_to_relocation: preferences.open_to_relocation,
        preferred_regions: preferences
            .preferred_region_codes
            .iter()
            .filter(|code| reference.region(code).is_some())
            .cloned()
            .collect(),
        contract_kinds: kinds,
        available_from: date(preferences.available_from.as_ref())
            .ok_or("profile.preferences.available_from is missing or invalid")?,
        labels_count: u32::try_from(profile.labels.len()).unwrap_or(u32::MAX),
    })
}
