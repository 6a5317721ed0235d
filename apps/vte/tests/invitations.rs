//! A company acts on a ranking, end to end against the whole platform as `vte up` runs it
//! (four services in one process, the embedded broker, the mail catcher), through the
//! services' gRPC APIs only: a school pushes a student who consents; a company publishes an
//! offer, ranks candidates and invites the first one to apply; the student is emailed the
//! invitation (NOTIFICATION_KIND_INVITED_TO_APPLY, through `vte.invitations.v1`, also in-app),
//! finds it in their list, and applies; the invitation is then ACCEPTED and linked to the
//! application.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use vte::cli::Authed;
use vte::platform::{Platform, PlatformOptions};
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GiveConsentRequest, ListProfilesRequest, Preferences, ProfileRow,
    PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{
    CompanySize, ContractKind, Date, EducationLevel, Location, MissionType, RemotePolicy,
};
use vte_proto::vte::invitations::v1::InvitationStatus;
use vte_proto::vte::matching::v1::RankCandidatesRequest;
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::notifications::v1::{ListNotificationsRequest, NotificationKind};
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{
    ApplyRequest, CreateOfferRequest, InviteToApplyRequest, ListInvitationsRequest, OfferSpec,
    PublishOfferRequest, list_invitations_request::Scope,
};
use vte_service::auth::Caller;

const PATIENCE: Duration = Duration::from_secs(60);
const STUDENT_EMAIL: &str = "ines.garcia@etudiant.example";

fn date(day: chrono::NaiveDate) -> Date {
    vte_wire::date_to_proto(day)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn authed(url: &str, caller: &Caller) -> Authed {
    vte::cli::authed(url, vte::platform::DEV_SECRET, caller).unwrap()
}

/// A bac+5 graduate of five months ago in génie mécanique, living in Toulouse, seeking a CDI.
fn student() -> ProfileRow {
    ProfileRow {
        school_student_ref: "E-42".to_owned(),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(today() - chrono::Duration::days(150))),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        skills: vec!["SolidWorks".to_owned()],
        home_insee_code: "31555".to_owned(),
        preferences: Some(Preferences {
            mobility_radius_km: 200,
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(date(today())),
            ..Preferences::default()
        }),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: "Inès".to_owned(),
            last_name: "Garcia".to_owned(),
            email: STUDENT_EMAIL.to_owned(),
            phone: String::new(),
        }),
        ..ProfileRow::default()
    }
}

/// A CDI in Figeac for a mechanical engineer, starting in two months.
fn figeac_offer() -> OfferSpec {
    OfferSpec {
        title: "Ingénieure méthodes usinage".to_owned(),
        description: "Fiabiliser les gammes d'usinage d'une PME aéronautique.".to_owned(),
        primary_mission_type: MissionType::Technologie as i32,
        contract_kind: ContractKind::Cdi as i32,
        min_level: EducationLevel::Bac3 as i32,
        max_level: EducationLevel::Bac5 as i32,
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["SolidWorks".to_owned()],
        location: Some(Location {
            insee_code: "46102".to_owned(),
            ..Location::default()
        }),
        remote_policy: RemotePolicy::OnSite as i32,
        positions: 1,
        start_date: Some(date(today() + chrono::Duration::days(60))),
        company_name: "Ateliers du Célé".to_owned(),
        company_size: CompanySize::Pme as i32,
        ..OfferSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_company_invites_a_ranked_student_who_is_emailed_and_applies() {
    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let url = |name: &str| platform.endpoint(name).unwrap().url();
    let mut arrivals = platform.mailbox.as_ref().unwrap().subscribe();
    let school = Caller::School {
        school_id: SchoolId::new(),
    };
    let company = Caller::Company {
        siren: Siren::parse("732829320").unwrap(),
    };

    // A school pushes a student, who consents; matching learns of them.
    let mut candidates = CandidatesServiceClient::new(authed(&url("candidates"), &school));
    candidates
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![student()],
        })
        .await
        .unwrap();
    let profiles = candidates
        .list_profiles(ListProfilesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .profiles;
    let candidate_id = CandidateId::parse(&profiles[0].id).unwrap();
    let candidate = Caller::Candidate { candidate_id };
    CandidatesServiceClient::new(authed(&url("candidates"), &candidate))
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap();
    vte::cli::until_matchable(
        &url("matching"),
        vte::platform::DEV_SECRET,
        &[candidate_id],
        PATIENCE,
    )
    .await
    .expect("matching knows the student");

    // The company publishes, ranks and invites the first candidate of its ranking.
    let mut offers = OffersServiceClient::new(authed(&url("offers"), &company));
    let draft = offers
        .create_offer(CreateOfferRequest {
            company_siren: String::new(),
            spec: Some(figeac_offer()),
        })
        .await
        .unwrap()
        .into_inner()
        .offer
        .unwrap();
    let offer = offers
        .publish_offer(PublishOfferRequest {
            offer_id: draft.id.clone(),
            expected_revision: draft.revision,
        })
        .await
        .unwrap()
        .into_inner()
        .offer
        .unwrap();
    // Matching learns of the offer from its event: ask until it ranks it.
    let matching = MatchingServiceClient::new(authed(&url("matching"), &company));
    let request = RankCandidatesRequest {
        offer_id: offer.id.clone(),
        limit: 5,
        filters: None,
    };
    let ranking = vte_testbed::eventually("matching to rank the new offer", PATIENCE, || {
        let (mut matching, request) = (matching.clone(), request.clone());
        async move {
            let ranking = matching.rank_candidates(request).await.ok()?.into_inner();
            (!ranking.candidates.is_empty()).then_some(ranking)
        }
    })
    .await;
    assert_eq!(ranking.candidates[0].candidate_id, candidate_id.to_string());
    let invitation = offers
        .invite_to_apply(InviteToApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: ranking.candidates[0].candidate_id.clone(),
            message: "Votre parcours en génie mécanique nous intéresse.".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .invitation
        .unwrap();

    // The student is emailed the invitation, and finds it in their list.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let received = tokio::time::timeout_at(deadline, arrivals.recv())
            .await
            .expect("no email of the invitation")
            .expect("the mailbox stopped");
        let text = String::from_utf8_lossy(&received.message).into_owned();
        if text.contains(&format!("To: {STUDENT_EMAIL}")) && text.contains("postuler") {
            break;
        }
    }
    let inbox = NotificationsServiceClient::new(authed(&url("notifications"), &candidate))
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications;
    let told = inbox
        .iter()
        .find(|n| n.kind == NotificationKind::InvitedToApply as i32)
        .expect("an in-app notice of the invitation");
    assert_eq!(told.subject_id, invitation.id);
    assert!(told.title.contains("Ateliers du Célé"), "{}", told.title);
    let mut student_offers = OffersServiceClient::new(authed(&url("offers"), &candidate));
    let listed = student_offers
        .list_invitations(ListInvitationsRequest {
            scope: Some(Scope::CandidateId(candidate_id.to_string())),
            ..ListInvitationsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .invitations;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, invitation.id);

    // They apply: the invitation is accepted and linked to the application.
    let application = student_offers
        .apply(ApplyRequest {
            offer_id: offer.id.clone(),
            candidate_id: String::new(),
            message: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    let seen = offers
        .list_invitations(ListInvitationsRequest {
            scope: Some(Scope::OfferId(offer.id.clone())),
            ..ListInvitationsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .invitations;
    assert_eq!(seen[0].status, InvitationStatus::Accepted as i32);
    assert_eq!(seen[0].application_id, application.id);
}
