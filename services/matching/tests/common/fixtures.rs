//! Offers, profiles and their events, in real communes, as the offers and candidates services
//! would publish them.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use vte_domain::{CandidateId, InseeCode, OfferId, SchoolId};
use vte_proto::vte::applications::v1::{
    Application, ApplicationEvent, ApplicationStatus, ApplicationSubmitted, application_event,
};
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateErased, CandidateEvent, CandidateProfile, CandidateProfileChanged,
    Consent, MissionTypeWeight, Preferences, candidate_event,
};
use vte_proto::vte::common::v1::{
    Aid, AidKind, CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, Location,
    MissionType, Money, RemotePolicy,
};
use vte_proto::vte::offers::v1::{
    Offer, OfferEvent, OfferPublished, OfferSpec, OfferStatus, OfferUpdated, offer_event,
};
use vte_reference::Programme;

use super::{SIREN, reference};

pub fn date(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The offers service's aids for an offer at `insee` proposing `kind`.
fn aids(insee: &str, kind: ContractKind) -> Vec<Aid> {
    let in_territory = reference()
        .territory_of(&InseeCode::parse(insee).unwrap(), Programme::Ti2023_2027)
        .is_some();
    let graduate = matches!(kind, ContractKind::Cdd | ContractKind::Cdi);
    vec![
        Aid {
            kind: AidKind::CompanyGraduateHire as i32,
            eligible: in_territory && graduate,
            amount: Some(Money {
                amount_cents: 400_000,
                currency: "EUR".into(),
            }),
            reason: "reason of the offers service".into(),
            ..Aid::default()
        },
        Aid {
            kind: AidKind::WorkStudyInstallation as i32,
            eligible: kind == ContractKind::WorkStudy,
            amount: Some(Money {
                amount_cents: 120_000,
                currency: "EUR".into(),
            }),
            reason: "reason of the offers service".into(),
            ..Aid::default()
        },
    ]
}

/// A published CDI of the test company at `insee`, for bac+3 to bac+5, starting in 60 days,
/// seeking mechanical engineers who know SolidWorks and lean management.
pub fn offer(insee: &str, mission: MissionType) -> Offer {
    Offer {
        id: OfferId::new().to_string(),
        company_siren: SIREN.into(),
        status: OfferStatus::Published as i32,
        spec: Some(OfferSpec {
            title: "Ingénieur méthodes".into(),
            description: "Industrialiser une nouvelle ligne.".into(),
            primary_mission_type: mission as i32,
            secondary_mission_type: MissionType::Unspecified as i32,
            ecological_transition: false,
            contract_kind: ContractKind::Cdi as i32,
            duration_months: None,
            min_level: EducationLevel::Bac3 as i32,
            max_level: EducationLevel::Bac5 as i32,
            fields_of_study: vec!["Génie mécanique".into()],
            skills: vec!["SolidWorks".into(), "Lean management".into()],
            languages: vec![LanguageSkill {
                language: "en".into(),
                level: 4,
            }],
            location: Some(Location {
                insee_code: insee.into(),
                ..Location::default()
            }),
            remote_policy: RemotePolicy::OnSite as i32,
            salary: None,
            positions: 2,
            start_date: Some(date(today() + Duration::days(60))),
            application_deadline: None,
            company_name: "Mécanique du Lot".into(),
            company_size: CompanySize::Pme as i32,
        }),
        positions_remaining: 2,
        aids: aids(insee, ContractKind::Cdi),
        revision: 2,
        ..Offer::default()
    }
}

/// The offer with another contract kind (aids recomputed), of 24 months unless a CDI.
pub fn with_contract(mut offer: Offer, kind: ContractKind) -> Offer {
    let spec = offer.spec.as_mut().unwrap();
    spec.contract_kind = kind as i32;
    spec.duration_months = (kind != ContractKind::Cdi).then_some(24);
    let insee = spec.location.as_ref().unwrap().insee_code.clone();
    offer.aids = aids(&insee, kind);
    offer
}

/// The offer starting on `start`.
pub fn starting(mut offer: Offer, start: NaiveDate) -> Offer {
    offer.spec.as_mut().unwrap().start_date = Some(date(start));
    offer
}

pub fn offer_id(offer: &Offer) -> OfferId {
    OfferId::parse(&offer.id).unwrap()
}

fn offer_envelope(offer: &Offer, event: offer_event::Event) -> OfferEvent {
    OfferEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        offer_id: offer.id.clone(),
        event: Some(event),
    }
}

pub fn published(offer: &Offer) -> OfferEvent {
    offer_envelope(
        offer,
        offer_event::Event::Published(OfferPublished {
            offer: Some(offer.clone()),
        }),
    )
}

pub fn updated(offer: &Offer) -> OfferEvent {
    offer_envelope(
        offer,
        offer_event::Event::Updated(OfferUpdated {
            offer: Some(offer.clone()),
        }),
    )
}

/// A matchable bac+5 graduate of a new school living at `insee`, seeking a CDI within
/// `radius_km`, available now, preferring `mission` (100) and nothing else, with SolidWorks and
/// English B2.
pub fn graduate(insee: &str, radius_km: u32, mission: MissionType) -> CandidateProfile {
    let id = CandidateId::new();
    CandidateProfile {
        id: id.to_string(),
        school_id: SchoolId::new().to_string(),
        school_student_ref: format!("etu-{}", &id.to_string()[..8]),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(today() - Duration::days(90))),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".into(),
        diploma: "Diplôme d'ingénieur".into(),
        skills: vec!["Solidworks".into(), "Python".into()],
        languages: vec![LanguageSkill {
            language: "en".into(),
            level: 4,
        }],
        home: Some(Location {
            insee_code: insee.into(),
            ..Location::default()
        }),
        preferences: Some(Preferences {
            mission_type_weights: vec![MissionTypeWeight {
                mission_type: mission as i32,
                weight: 100,
            }],
            mobility_radius_km: radius_km,
            open_to_relocation: false,
            preferred_region_codes: vec![],
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(date(today())),
            paused: false,
            set_by_candidate: false,
        }),
        consent: Some(Consent {
            given: true,
            version: "2025-01".into(),
            ..Consent::default()
        }),
        labels: vec![],
        matchable: true,
        revision: 1,
        ..CandidateProfile::default()
    }
}

/// A matchable bac+4 student of a new school living at `insee`, graduating in a year and
/// seeking work-study within `radius_km`, otherwise as [`graduate`].
pub fn student(insee: &str, radius_km: u32, mission: MissionType) -> CandidateProfile {
    let mut profile = graduate(insee, radius_km, mission);
    profile.status = AcademicStatus::Student as i32;
    profile.level = EducationLevel::Bac4 as i32;
    profile.graduation_date = Some(date(today() + Duration::days(365)));
    preferences(&mut profile).contract_kinds_sought = vec![ContractKind::WorkStudy as i32];
    profile
}

/// The profile with a diploma of `day` (expected, for a student), available from `available`.
pub fn graduating(
    mut profile: CandidateProfile,
    day: NaiveDate,
    available: NaiveDate,
) -> CandidateProfile {
    profile.graduation_date = Some(date(day));
    preferences(&mut profile).available_from = Some(date(available));
    profile
}

pub fn candidate_id(profile: &CandidateProfile) -> CandidateId {
    CandidateId::parse(&profile.id).unwrap()
}

pub fn school_id(profile: &CandidateProfile) -> SchoolId {
    SchoolId::parse(&profile.school_id).unwrap()
}

pub fn preferences(profile: &mut CandidateProfile) -> &mut Preferences {
    profile.preferences.as_mut().unwrap()
}

/// The profile's change, matchable as the profile says.
pub fn changed(profile: &CandidateProfile) -> CandidateEvent {
    CandidateEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        candidate_id: profile.id.clone(),
        event: Some(candidate_event::Event::ProfileChanged(
            CandidateProfileChanged {
                profile: Some(profile.clone()),
                matchable: profile.matchable,
                created: profile.revision == 1,
            },
        )),
    }
}

/// The candidate's erasure.
pub fn erased(profile: &CandidateProfile, erasure_id: uuid::Uuid) -> CandidateEvent {
    CandidateEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        candidate_id: profile.id.clone(),
        event: Some(candidate_event::Event::Erased(CandidateErased {
            candidate_id: profile.id.clone(),
            school_id: profile.school_id.clone(),
            erasure_id: erasure_id.to_string(),
            requested_at: Some(vte_events::now_timestamp()),
            ..CandidateErased::default()
        })),
    }
}

/// The candidate applied to the offer.
pub fn applied(offer: &Offer, profile: &CandidateProfile) -> ApplicationEvent {
    let id = uuid::Uuid::now_v7().to_string();
    ApplicationEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        application_id: id.clone(),
        event: Some(application_event::Event::Submitted(ApplicationSubmitted {
            application: Some(Application {
                id,
                offer_id: offer.id.clone(),
                company_siren: offer.company_siren.clone(),
                candidate_id: profile.id.clone(),
                school_id: profile.school_id.clone(),
                status: ApplicationStatus::Submitted as i32,
                revision: 1,
                ..Application::default()
            }),
        })),
    }
}
