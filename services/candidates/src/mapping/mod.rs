//! Between the wire contract (`vte.candidates.v1`) and the domain: [`frames`] counts a push's
//! repeated fields on the wire before anything decodes them, [`row`] decodes what schools
//! and candidates send, [`request`] the rest of the requests into the use cases' input; this
//! module encodes profiles, contact data, erasure statuses and the events of
//! `vte.candidates.v1`, which never carry contact data.

pub mod frames;
pub mod request;
pub mod row;

use chrono::{DateTime, Utc};
use vte_domain::{CandidateId, InseeCode};
use vte_proto::vte::candidates::v1 as wire;
use vte_proto::vte::common::v1 as common;
use vte_reference::{Programme, ReferenceData};
use vte_wire::{WireEnum, date_to_proto, optional_timestamp, timestamp};

use crate::domain::{Consent, Contact, Erasure, ErasureReason, Label, Preferences, Profile};

/// A profile on the wire, its home commune resolved with `reference`.
/// The home commune's Territoire d'industrie is the one of `programme`.
pub fn profile_to_proto(
    profile: &Profile,
    reference: &ReferenceData,
    programme: Programme,
) -> wire::CandidateProfile {
    let schooling = &profile.schooling;
    wire::CandidateProfile {
        id: profile.id.to_string(),
        school_id: profile.school.to_string(),
        school_student_ref: profile.school_ref.clone(),
        status: row::academic_status_to_wire(schooling.status),
        graduation_date: Some(date_to_proto(schooling.graduation_date)),
        level: schooling.level.to_wire(),
        field_of_study: schooling.field_of_study.clone(),
        diploma: schooling.diploma.clone(),
        skills: schooling.skills.clone(),
        languages: schooling
            .languages
            .iter()
            .map(|(code, level)| common::LanguageSkill {
                language: code.to_string(),
                level: level.to_wire(),
            })
            .collect(),
        home: Some(location(&schooling.home, reference, programme)),
        preferences: Some(preferences_to_proto(&profile.preferences)),
        consent: Some(consent_to_proto(&profile.consent)),
        labels: profile.labels.iter().map(label_to_proto).collect(),
        matchable: profile.matchable(),
        revision: profile.revision,
        created_at: Some(timestamp(profile.created_at)),
        updated_at: Some(timestamp(profile.updated_at)),
    }
}

/// A home commune: its names, département, région and Territoire d'industrie in `programme`.
fn location(
    insee: &InseeCode,
    reference: &ReferenceData,
    programme: Programme,
) -> common::Location {
    let Some(commune) = reference.commune(insee) else {
        return common::Location {
            insee_code: insee.to_string(),
            ..common::Location::default()
        };
    };
    let departement = reference.departement(commune.departement());
    let region = reference.region(commune.region());
    common::Location {
        insee_code: insee.to_string(),
        commune_name: commune.name().to_owned(),
        departement_code: commune.departement().to_owned(),
        departement_name: departement.map(|d| d.name().to_owned()).unwrap_or_default(),
        region_code: commune.region().to_owned(),
        region_name: region.map(|r| r.name().to_owned()).unwrap_or_default(),
        territory: reference
            .territory_of(insee, programme)
            .map(|territory| common::Territory {
                id: territory.id().to_owned(),
                name: territory.name().to_owned(),
                programme: territory.programme().to_wire(),
            }),
    }
}

/// Preferences on the wire.
pub fn preferences_to_proto(preferences: &Preferences) -> wire::Preferences {
    wire::Preferences {
        mission_type_weights: preferences
            .mission_weights
            .iter()
            .map(|(mission, weight)| wire::MissionTypeWeight {
                mission_type: mission.to_wire(),
                weight: u32::from(*weight),
            })
            .collect(),
        mobility_radius_km: u32::from(preferences.mobility_radius_km),
        open_to_relocation: preferences.open_to_relocation,
        preferred_region_codes: preferences.preferred_regions.clone(),
        contract_kinds_sought: preferences
            .contract_kinds
            .iter()
            .map(|kind| kind.to_wire())
            .collect(),
        available_from: Some(date_to_proto(preferences.available_from)),
        paused: preferences.paused,
        set_by_candidate: preferences.set_by_candidate,
    }
}

fn consent_to_proto(consent: &Consent) -> wire::Consent {
    wire::Consent {
        given: consent.given,
        given_at: optional_timestamp(consent.given_at),
        version: consent.version.clone().unwrap_or_default(),
        withdrawn_at: optional_timestamp(consent.withdrawn_at),
    }
}

fn label_to_proto(label: &Label) -> wire::Label {
    wire::Label {
        decision_id: label.decision_id.to_string(),
        placement_id: label.placement_id.to_string(),
        granted_at: Some(timestamp(label.granted_at)),
        company_name: label.company_name.clone(),
        offer_title: label.offer_title.clone(),
        mission_type: vte_wire::optional_to_wire(label.mission_type),
    }
}

/// Contact data on the wire.
pub fn contact_to_proto(candidate: CandidateId, contact: &Contact) -> wire::Contact {
    wire::Contact {
        candidate_id: candidate.to_string(),
        first_name: contact.first_name.clone(),
        last_name: contact.last_name.clone(),
        email: contact.email.clone(),
        phone: contact.phone.clone().unwrap_or_default(),
    }
}

/// An erasure's progress on the wire.
pub fn erasure_to_proto(erasure: &Erasure) -> wire::ErasureStatus {
    wire::ErasureStatus {
        id: erasure.id.to_string(),
        candidate_id: erasure.candidate.to_string(),
        requested_by: Some(common::Actor {
            role: erasure.requested_by.role as i32,
            subject: erasure.requested_by.subject.clone(),
            tenant_id: erasure.requested_by.tenant.clone().unwrap_or_default(),
        }),
        requested_at: Some(timestamp(erasure.requested_at)),
        confirmations: erasure
            .confirmations
            .iter()
            .map(|(service, confirmed_at)| wire::ErasureConfirmation {
                service: *service as i32,
                confirmed_at: optional_timestamp(*confirmed_at),
            })
            .collect(),
        complete: erasure.completed_at.is_some(),
        completed_at: optional_timestamp(erasure.completed_at),
        reason: erasure_reason_to_wire(erasure.reason) as i32,
    }
}

/// Why an erasure was made, on the wire.
pub fn erasure_reason_to_wire(reason: ErasureReason) -> wire::ErasureReason {
    match reason {
        ErasureReason::Request => wire::ErasureReason::Request,
        ErasureReason::Retention => wire::ErasureReason::Retention,
    }
}

/// `CandidateProfileChanged` for the profile's new state.
pub fn profile_changed(
    profile: &Profile,
    created: bool,
    reference: &ReferenceData,
    programme: Programme,
) -> wire::CandidateEvent {
    let matchable = profile.matchable();
    envelope(
        profile.id,
        profile.updated_at,
        wire::candidate_event::Event::ProfileChanged(wire::CandidateProfileChanged {
            profile: Some(profile_to_proto(profile, reference, programme)),
            matchable,
            created,
        }),
    )
}

/// `CandidateErased` for an erasure just recorded.
pub fn erased(erasure: &Erasure) -> wire::CandidateEvent {
    envelope(
        erasure.candidate,
        erasure.requested_at,
        wire::candidate_event::Event::Erased(wire::CandidateErased {
            candidate_id: erasure.candidate.to_string(),
            school_id: erasure.school.to_string(),
            erasure_id: erasure.id.to_string(),
            requested_at: Some(timestamp(erasure.requested_at)),
            reason: erasure_reason_to_wire(erasure.reason) as i32,
        }),
    )
}

fn envelope(
    candidate: CandidateId,
    at: DateTime<Utc>,
    event: wire::candidate_event::Event,
) -> wire::CandidateEvent {
    wire::CandidateEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(timestamp(at)),
        candidate_id: candidate.to_string(),
        event: Some(event),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_home_communes_territory_is_the_one_of_the_programme_asked() {
        let reference = ReferenceData::load(&ReferenceData::default_dir()).unwrap();
        let saint_malo = InseeCode::parse("35288").unwrap();
        let old = location(&saint_malo, &reference, Programme::Ti2018_2022);
        let territory = old.territory.unwrap();
        assert_eq!(territory.name, "Dinan - Saint-Malo");
        assert_eq!(territory.programme, Programme::Ti2018_2022.to_wire());
        let now = location(&saint_malo, &reference, Programme::Ti2023_2027);
        assert_eq!(now.territory, None);
        assert_eq!(now.commune_name, "Saint-Malo");
    }
}
