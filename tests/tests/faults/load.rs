//! The flow a fault interrupts, and what is counted at its edges. A school pushes students in
//! batches to the candidates service (each new profile owes its student one consent email,
//! "Votre école a créé votre profil VTE"); a company creates and publishes offers at the offers
//! service (each published offer owes a row in matching's read model). Like a school's or a
//! company's information system, each call is retried until it is answered OK or a deadline
//! passes; what was answered OK is *acknowledged*, and only that is owed. A retried push of a
//! profile already created updates it and owes nothing more.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use vte_domain::{SchoolId, Siren};
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, ProfileRow, PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{
    CefrLevel, CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, Location,
    MissionType, RemotePolicy,
};
use vte_proto::vte::offers::v1::{
    CreateOfferRequest, GetOfferRequest, OfferSpec, OfferStatus, PublishOfferRequest,
};

use super::platform::{Candidates, Offers};

/// The consent email's subject.
pub const CONSENT_SUBJECT: &str = "Votre école a créé votre profil VTE";
/// How long a client keeps retrying one call (longer than any fault of the suite).
const CALL_DEADLINE: Duration = Duration::from_secs(150);
/// The pause between two tries of a call.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Figeac (Lot), where the students live and the offers are.
const FIGEAC: &str = "46102";

/// One student of a push, with the address their consent email goes to.
fn student(tag: &str, n: usize) -> ProfileRow {
    ProfileRow {
        school_student_ref: format!("etu-{tag}-{n:05}"),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(Date {
            year: 2026,
            month: 6,
            day: 30,
        }),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        home_insee_code: FIGEAC.to_owned(),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: "Camille".to_owned(),
            last_name: "Martin".to_owned(),
            email: address(tag, n),
            phone: String::new(),
        }),
        ..ProfileRow::default()
    }
}

/// The address of student `n` of the push tagged `tag`.
pub fn address(tag: &str, n: usize) -> String {
    format!("etu-{tag}-{n:05}@ecole.example")
}

/// `school` pushes `count` students in batches of `batch`, one batch every `pace`; returns the
/// addresses of the students whose batch was acknowledged.
pub async fn school_pushes(
    client: Candidates,
    school: SchoolId,
    tag: String,
    count: usize,
    batch: usize,
    pace: Duration,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    for first in (0..count).step_by(batch) {
        let numbers: Vec<usize> = (first..(first + batch).min(count)).collect();
        let rows: Vec<ProfileRow> = numbers.iter().map(|n| student(&tag, *n)).collect();
        let request = PushProfilesBatchRequest {
            school_id: school.to_string(),
            rows,
        };
        let started = Instant::now();
        loop {
            match client.clone().push_profiles_batch(request.clone()).await {
                Ok(answer) => {
                    let summary = answer.into_inner().summary.unwrap_or_default();
                    assert!(summary.rejections.is_empty(), "{:?}", summary.rejections);
                    acknowledged.extend(numbers.iter().map(|n| address(&tag, *n)));
                    break;
                }
                Err(status) => assert!(
                    started.elapsed() < CALL_DEADLINE,
                    "a push was refused for {CALL_DEADLINE:?}: {status:?}"
                ),
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
        tokio::time::sleep(pace).await;
    }
    acknowledged
}

/// A CDI in Figeac for bac+3 to bac+5 mechanical engineers, starting on 1 March 2027.
fn offer_in_figeac(n: usize) -> OfferSpec {
    OfferSpec {
        title: format!("Ingénieur industrialisation {n}"),
        description: "Industrialiser une nouvelle gamme de pièces usinées pour l'aéronautique."
            .to_owned(),
        primary_mission_type: MissionType::Technologie as i32,
        contract_kind: ContractKind::Cdi as i32,
        min_level: EducationLevel::Bac3 as i32,
        max_level: EducationLevel::Bac5 as i32,
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["SolidWorks".to_owned()],
        languages: vec![LanguageSkill {
            language: "en".to_owned(),
            level: CefrLevel::B2 as i32,
        }],
        location: Some(Location {
            insee_code: FIGEAC.to_owned(),
            ..Location::default()
        }),
        remote_policy: RemotePolicy::Hybrid as i32,
        positions: 1,
        start_date: Some(Date {
            year: 2027,
            month: 3,
            day: 1,
        }),
        company_name: "Ateliers du Célé".to_owned(),
        company_size: CompanySize::Pme as i32,
        ..OfferSpec::default()
    }
}

/// The company `siren` creates and publishes `count` offers, one every `pace`; returns the ids
/// of those whose publication was acknowledged (or found published after a lost answer).
pub async fn company_publishes(
    client: Offers,
    siren: Siren,
    count: usize,
    pace: Duration,
) -> Vec<String> {
    let mut published = Vec::new();
    for n in 0..count {
        let started = Instant::now();
        let retry = |status: tonic::Status| {
            assert!(
                started.elapsed() < CALL_DEADLINE,
                "an offer call was refused for {CALL_DEADLINE:?}: {status:?}"
            );
        };
        let draft = loop {
            let request = CreateOfferRequest {
                company_siren: siren.to_string(),
                spec: Some(offer_in_figeac(n)),
            };
            match client.clone().create_offer(request).await {
                Ok(answer) => break answer.into_inner().offer.unwrap(),
                Err(status) => retry(status),
            }
            tokio::time::sleep(RETRY_EVERY).await;
        };
        loop {
            let request = PublishOfferRequest {
                offer_id: draft.id.clone(),
                expected_revision: draft.revision,
            };
            match client.clone().publish_offer(request).await {
                Ok(_) => break,
                Err(status) => {
                    // The answer may have been lost after the publication committed.
                    let read = client
                        .clone()
                        .get_offer(GetOfferRequest {
                            offer_id: draft.id.clone(),
                        })
                        .await;
                    if let Ok(read) = read
                        && read.into_inner().offer.unwrap().status == OfferStatus::Published as i32
                    {
                        break;
                    }
                    retry(status);
                }
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
        published.push(draft.id);
        tokio::time::sleep(pace).await;
    }
    published
}

/// How many consent emails each address received.
pub fn consent_emails(smtp: &super::smtp::SmtpSink) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in smtp.messages() {
        if message.subject() == CONSENT_SUBJECT {
            for to in &message.to {
                *counts.entry(to.to_ascii_lowercase()).or_insert(0) += 1;
            }
        }
    }
    counts
}
