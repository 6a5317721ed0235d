//! A new offer reaches the candidates it fits, across the matching and notifications services
//! on one broker namespace: two students are matchable before any offer exists (their own
//! suggestions find nothing); a company in Figeac publishes a mechanical engineering offer;
//! matching ranks them for it, and the notifications service emails the best-ranked one
//! ("Nouvelle offre VTE pour vous", with the offer and its commune) and tells the low-scoring
//! one nothing. Events stand where the offers and candidates services would publish them; a
//! contact directory the test fills stands where the candidates service gives addresses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../services/notifications/tests/support/mod.rs"]
mod support;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use support::harness::{Bed, Directory, Notifications, PATIENCE, SECRET};
use support::smtp::SmtpSink;
use vte_domain::{CandidateId, OfferId, SchoolId};
use vte_matching::MatchingSettings;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, CandidateProfile, CandidateProfileChanged, Consent,
    MissionTypeWeight, Preferences, candidate_event,
};
use vte_proto::vte::common::v1::{
    CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, Location, MissionType,
    RemotePolicy,
};
use vte_proto::vte::offers::v1::{Offer, OfferEvent, OfferPublished, OfferSpec, OfferStatus};
use vte_service::contacts::Contact;
use vte_testbed::{MemoryContacts, TestService, eventually};

const FIGEAC: &str = "46102";
const CAPDENAC: &str = "46055";
const TOULOUSE: &str = "31555";
const TITLE: &str = "Nouvelle offre VTE pour vous";

fn date(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// A consenting bac+5 graduate of `field` living at `insee`, seeking a CDI within 200 km,
/// available now, interested in `mission` only.
fn graduate(insee: &str, field: &str, skills: &[&str], mission: MissionType) -> CandidateProfile {
    let today = Utc::now().date_naive();
    CandidateProfile {
        id: CandidateId::new().to_string(),
        school_id: SchoolId::new().to_string(),
        school_student_ref: format!("etu-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(today - Duration::days(90))),
        level: EducationLevel::Bac5 as i32,
        field_of_study: field.into(),
        diploma: "Diplôme d'ingénieur".into(),
        skills: skills.iter().map(|s| (*s).into()).collect(),
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
            mobility_radius_km: 200,
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(date(today)),
            ..Preferences::default()
        }),
        consent: Some(Consent {
            given: true,
            version: "2025-01".into(),
            ..Consent::default()
        }),
        matchable: true,
        revision: 1,
        ..CandidateProfile::default()
    }
}

fn matchable(profile: &CandidateProfile) -> CandidateEvent {
    CandidateEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        candidate_id: profile.id.clone(),
        event: Some(candidate_event::Event::ProfileChanged(
            CandidateProfileChanged {
                profile: Some(profile.clone()),
                matchable: true,
                created: true,
            },
        )),
    }
}

/// A CDI in Figeac for bac+3 to bac+5 mechanical engineers who know SolidWorks and lean
/// management, published.
fn figeac_offer() -> (Offer, OfferEvent) {
    let offer = Offer {
        id: OfferId::new().to_string(),
        company_siren: "732829320".into(),
        status: OfferStatus::Published as i32,
        spec: Some(OfferSpec {
            title: "Ingénieur méthodes".into(),
            description: "Industrialiser une nouvelle ligne.".into(),
            primary_mission_type: MissionType::Technologie as i32,
            contract_kind: ContractKind::Cdi as i32,
            min_level: EducationLevel::Bac3 as i32,
            max_level: EducationLevel::Bac5 as i32,
            fields_of_study: vec!["Génie mécanique".into()],
            skills: vec!["SolidWorks".into(), "Lean management".into()],
            languages: vec![LanguageSkill {
                language: "en".into(),
                level: 4,
            }],
            location: Some(Location {
                insee_code: FIGEAC.into(),
                commune_name: "Figeac".into(),
                ..Location::default()
            }),
            remote_policy: RemotePolicy::OnSite as i32,
            positions: 1,
            start_date: Some(date(Utc::now().date_naive() + Duration::days(60))),
            company_name: "Mécanique du Lot".into(),
            company_size: CompanySize::Pme as i32,
            ..OfferSpec::default()
        }),
        positions_remaining: 1,
        revision: 2,
        ..Offer::default()
    };
    let event = OfferEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        offer_id: offer.id.clone(),
        event: Some(vte_proto::vte::offers::v1::offer_event::Event::Published(
            OfferPublished {
                offer: Some(offer.clone()),
            },
        )),
    };
    (offer, event)
}

fn contact(first_name: &str, email: &str) -> Contact {
    Contact {
        first_name: first_name.to_owned(),
        last_name: "Martin".to_owned(),
        email: email.to_owned(),
        phone: String::new(),
    }
}

#[tokio::test]
async fn a_published_offer_emails_its_best_ranked_candidate_and_not_a_low_scoring_one() {
    let bed = Bed::start().await;
    let contacts = MemoryContacts::new();
    let notifications = Notifications::start_on(
        bed.clone(),
        SmtpSink::start().await,
        Directory::Memory(contacts.clone()),
        |_, _| {},
    )
    .await;
    let matching = TestService::builder(SECRET)
        .on(bed.clone())
        .start_with(|settings| {
            vte_matching::Application::build_with(settings, MatchingSettings::default())
        })
        .await;

    let best = graduate(
        CAPDENAC,
        "Génie mécanique",
        &["CAO SolidWorks", "Lean management"],
        MissionType::Technologie,
    );
    let low = graduate(
        TOULOUSE,
        "Commerce international",
        &["Négociation"],
        MissionType::Marketing,
    );
    contacts.insert(
        CandidateId::parse(&best.id).unwrap(),
        contact("Clara", "clara@ecole.example"),
    );
    contacts.insert(
        CandidateId::parse(&low.id).unwrap(),
        contact("Hugo", "hugo@ecole.example"),
    );
    for profile in [&best, &low] {
        let event = matchable(profile);
        bed.publish(&event).await;
        matching.wait_handled(&event.event_id).await;
    }
    let (offer, published) = figeac_offer();
    bed.publish(&published).await;
    matching.wait_handled(&published.event_id).await;

    let email = eventually("the best-ranked candidate's email", PATIENCE, || async {
        notifications
            .smtp
            .to("clara@ecole.example")
            .into_iter()
            .find(|m| m.subject() == TITLE)
    })
    .await;
    let text = email.text();
    assert!(text.starts_with("Bonjour Clara,"), "{text}");
    assert!(
        text.contains("« Ingénieur méthodes » chez Mécanique du Lot (Figeac)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("https://vte-france.fr/offres/{}", offer.id)),
        "{text}"
    );
    // The company heard of its suggestions too; the low-scoring student hears nothing.
    eventually("the company's suggestion", PATIENCE, || async {
        (notifications.notifications_of("CANDIDATES_SUGGESTED").await == 1).then_some(())
    })
    .await;
    assert!(
        notifications.smtp.to("hugo@ecole.example").is_empty(),
        "the low-scoring student was emailed"
    );
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT recipient_tenant FROM notifications WHERE kind = 'OFFERS_SUGGESTED'",
    )
    .fetch_all(&notifications.pool)
    .await
    .unwrap();
    assert_eq!(told, vec![best.id.clone()]);
}
