//! One VTE from a school's push to Bpifrance's label, end to end against the whole platform as
//! `vte up` runs it (four services in one process, a private PostgreSQL cluster, the embedded
//! Kafka-protocol broker, the mail catcher), through the services' gRPC APIs only:
//!
//! a school pushes its students and they consent; a company publishes an offer in a Territoire
//! d'industrie; matching suggests candidates and the company gets an email; a suggested
//! candidate applies; the company accepts the hire; the young person acknowledges the VTE
//! charter and the company requests the label within its window; Bpifrance finds the request in
//! its queue and grants the label while the VTE runs (it is retroactive); the candidate and the
//! company hear of it by email and the school by a signed webhook.
//! The publication's trace holds spans of the offers, matching and notifications services.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use vte::cli::Authed;
use vte::platform::{Platform, PlatformOptions};
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GiveConsentRequest, ListProfilesRequest, MissionTypeWeight,
    Preferences, ProfileRow, PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{
    CefrLevel, CompanySize, ContractKind, Date, EducationLevel, LanguageSkill, Location,
    MissionType, RemotePolicy,
};
use vte_proto::vte::matching::v1::RankCandidatesRequest;
use vte_proto::vte::matching::v1::matching_service_client::MatchingServiceClient;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::notifications::v1::{RegisterWebhookRequest, UpdatePreferencesRequest};
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{
    AcceptApplicationRequest, AcknowledgeLabelCharterRequest, ApplyRequest, CreateOfferRequest,
    DecideLabelRequest, ListLabelQueueRequest, OfferSpec, PublishOfferRequest, RequestLabelRequest,
};
use vte_proto::vte::placements::v1::{LabelOutcome, LabelStatus};
use vte_service::auth::Caller;

const COMPANY_EMAIL: &str = "recrutement@ateliers-du-cele.example";
const OFFER_TITLE: &str = "Ingénieur industrialisation (VTE)";
const PATIENCE: Duration = Duration::from_secs(60);

fn date(day: chrono::NaiveDate) -> Date {
    vte_wire::date_to_proto(day)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn authed(url: &str, caller: &Caller) -> Authed {
    vte::cli::authed(url, vte::platform::DEV_SECRET, caller).unwrap()
}

/// A school's (or Bpifrance's) webhook endpoint on loopback, keeping what it receives.
#[derive(Clone, Default)]
struct Hooks(Arc<Mutex<Vec<(HeaderMap, Bytes)>>>);

impl Hooks {
    async fn serve(&self) -> String {
        let hooks = self.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let hooks = hooks.clone();
                async move {
                    hooks.0.lock().unwrap().push((headers, body));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hooks")
    }

    fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.0.lock().unwrap().clone()
    }
}

/// Waits for an email whose raw text satisfies `wanted`; returns it.
async fn email(
    arrivals: &mut tokio::sync::broadcast::Receiver<vte::mailbox::Received>,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let received = tokio::time::timeout_at(deadline, arrivals.recv())
            .await
            .unwrap_or_else(|_| panic!("no email {what}"))
            .expect("the mailbox stopped");
        let text = String::from_utf8_lossy(&received.message).into_owned();
        if wanted(&text) {
            return text;
        }
    }
}

fn student(reference: &str, first_name: &str, technology: u32) -> ProfileRow {
    ProfileRow {
        school_student_ref: reference.to_owned(),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(today() - chrono::Duration::days(150))),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        skills: vec!["SolidWorks".to_owned(), "CAO".to_owned()],
        languages: vec![LanguageSkill {
            language: "en".to_owned(),
            level: CefrLevel::B2 as i32,
        }],
        home_insee_code: "31555".to_owned(),
        preferences: Some(Preferences {
            mission_type_weights: vec![MissionTypeWeight {
                mission_type: MissionType::Technologie as i32,
                weight: technology,
            }],
            mobility_radius_km: 200,
            open_to_relocation: false,
            preferred_region_codes: vec![],
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(date(today())),
            paused: false,
            set_by_candidate: false,
        }),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: first_name.to_owned(),
            last_name: "Martin".to_owned(),
            email: format!("{}.martin@etudiant.example", first_name.to_lowercase()),
            phone: String::new(),
        }),
    }
}

fn figeac_offer() -> OfferSpec {
    OfferSpec {
        title: OFFER_TITLE.to_owned(),
        description: "Industrialiser une nouvelle gamme de pièces usinées pour l'aéronautique."
            .to_owned(),
        primary_mission_type: MissionType::Technologie as i32,
        contract_kind: ContractKind::Cdi as i32,
        min_level: EducationLevel::Bac3 as i32,
        max_level: EducationLevel::Bac5 as i32,
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["SolidWorks".to_owned(), "CAO".to_owned()],
        languages: vec![LanguageSkill {
            language: "en".to_owned(),
            level: CefrLevel::B1 as i32,
        }],
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
async fn a_vte_from_a_schools_push_to_bpifrances_label() {
    // Every span of every service, in memory, with the W3C propagation the services use.
    let spans = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("vte-flow-test")));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let url = |name: &str| platform.endpoint(name).unwrap().url();
    let mut arrivals = platform.mailbox.as_ref().unwrap().subscribe();

    let school_id = SchoolId::new();
    let school = Caller::School { school_id };
    let siren = Siren::parse("732829320").unwrap();
    let company = Caller::Company { siren };

    // The school and Bpifrance listen on webhooks; the company gives its email address.
    let hooks = Hooks::default();
    let hook_url = hooks.serve().await;
    let mut school_notifications =
        NotificationsServiceClient::new(authed(&url("notifications"), &school));
    let school_secret = school_notifications
        .register_webhook(RegisterWebhookRequest {
            url: hook_url.clone(),
            kinds: vec![],
            owner: None,
        })
        .await
        .expect("the school registers its webhook")
        .into_inner()
        .secret;
    NotificationsServiceClient::new(authed(&url("notifications"), &company))
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![],
            email_address: Some(COMPANY_EMAIL.to_owned()),
        })
        .await
        .expect("the company gives its email address");

    // 1. The school pushes three students; they consent.
    let mut candidates = CandidatesServiceClient::new(authed(&url("candidates"), &school));
    let pushed = candidates
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![
                student("E-1", "Jeanne", 95),
                student("E-2", "Paul", 90),
                student("E-3", "Lina", 10),
            ],
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    assert_eq!(pushed.counts.unwrap().created, 3);
    let profiles = candidates
        .list_profiles(ListProfilesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .profiles;
    let mut emails = std::collections::HashMap::new();
    for profile in &profiles {
        let candidate_id = CandidateId::parse(&profile.id).unwrap();
        CandidatesServiceClient::new(authed(
            &url("candidates"),
            &Caller::Candidate { candidate_id },
        ))
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap();
        let first = match profile.school_student_ref.as_str() {
            "E-1" => "jeanne",
            "E-2" => "paul",
            _ => "lina",
        };
        emails.insert(candidate_id, format!("{first}.martin@etudiant.example"));
    }

    // 2. The company publishes an offer in Figeac (Territoire d'industrie Aurillac – Figeac –
    //    Rodez), once matching knows the three students.
    let consenting: Vec<CandidateId> = emails.keys().copied().collect();
    vte::cli::until_matchable(
        &url("matching"),
        vte::platform::DEV_SECRET,
        &consenting,
        PATIENCE,
    )
    .await
    .expect("matching knows the three students");
    let mut matching = MatchingServiceClient::new(authed(&url("matching"), &company));
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
    let published = offers
        .publish_offer(PublishOfferRequest {
            offer_id: draft.id.clone(),
            expected_revision: draft.revision,
        })
        .await
        .unwrap()
        .into_inner()
        .offer
        .unwrap();
    let territory = published.spec.clone().unwrap().location.unwrap().territory;
    assert_eq!(territory.unwrap().name, "Aurillac – Figeac – Rodez");

    // 3. Matching suggests candidates; the company hears of it by email.
    let to_company = email(
        &mut arrivals,
        "to the company about suggested candidates",
        |text| text.contains(&format!("To: {COMPANY_EMAIL}")),
    )
    .await;
    assert!(to_company.contains("Figeac") || to_company.contains("industrialisation"));
    let ranking = matching
        .rank_candidates(RankCandidatesRequest {
            offer_id: published.id.clone(),
            limit: 3,
            filters: None,
        })
        .await
        .unwrap()
        .into_inner();
    let best = CandidateId::parse(&ranking.candidates[0].candidate_id).unwrap();
    assert_eq!(
        emails[&best], "jeanne.martin@etudiant.example",
        "the keenest ranks first"
    );

    // 4. The suggested candidate applies; the company accepts; the VTE starts in two weeks.
    let candidate = Caller::Candidate { candidate_id: best };
    let mut young_person = OffersServiceClient::new(authed(&url("offers"), &candidate));
    let application = young_person
        .clone()
        .apply(ApplyRequest {
            offer_id: published.id.clone(),
            candidate_id: best.to_string(),
            message: "Bonjour, ce projet d'industrialisation m'intéresse beaucoup.".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    // The contract starts in two weeks: the label may be requested from the hire.
    let start = today() + chrono::Duration::days(14);
    let placement = offers
        .accept_application(AcceptApplicationRequest {
            application_id: application.id.clone(),
            contract_start_date: Some(date(start)),
            duration_months: None,
            note: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap();

    // 5. The young person acknowledges the VTE charter; the company requests the label within
    //    the 6 months of its rule set, with its dossier; Bpifrance finds it in its queue.
    young_person
        .acknowledge_label_charter(AcknowledgeLabelCharterRequest {
            placement_id: placement.id.clone(),
        })
        .await
        .unwrap();
    let requested = offers
        .request_label(RequestLabelRequest {
            placement_id: placement.id.clone(),
            responsibilities: "Industrialiser la nouvelle gamme de pièces usinées, de la \
                               conception du procédé à la mise en production."
                .to_owned(),
            management_link: "Rattachée au dirigeant, membre du comité de direction.".to_owned(),
            charter_acknowledged: true,
        })
        .await
        .unwrap()
        .into_inner()
        .label
        .unwrap();
    assert_eq!(requested.status, LabelStatus::Requested as i32);
    assert_eq!(requested.window.unwrap().months, 6);
    let mut bpifrance = OffersServiceClient::new(authed(&url("offers"), &Caller::Bpifrance));
    let queue = bpifrance
        .list_label_queue(ListLabelQueueRequest { page: None })
        .await
        .unwrap()
        .into_inner();
    assert!(
        queue
            .labels
            .iter()
            .any(|case| case.placement_id == placement.id)
    );

    // 6. Bpifrance grants the label while the VTE runs; the candidate, the company and the
    //    school hear of it.
    bpifrance
        .decide_label(DecideLabelRequest {
            placement_id: placement.id.clone(),
            outcome: LabelOutcome::Granted as i32,
            reason: String::new(),
            reconsiders_decision_id: String::new(),
        })
        .await
        .unwrap();
    let candidate_address = emails[&best].clone();
    let mut heard_by_candidate = false;
    let mut heard_by_company = false;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !(heard_by_candidate && heard_by_company) {
        let received = tokio::time::timeout_at(deadline, arrivals.recv())
            .await
            .expect("the label emails")
            .unwrap();
        let text = String::from_utf8_lossy(&received.message).into_owned();
        // The grant itself: earlier emails (the start) mention the label too.
        let about_label = text.contains("Bpifrance a accord");
        heard_by_candidate |= about_label && text.contains(&format!("To: {candidate_address}"));
        heard_by_company |= about_label && text.contains(&format!("To: {COMPANY_EMAIL}"));
    }
    let school_heard =
        vte_testbed::eventually("the school's webhook about the label", PATIENCE, || {
            let hooks = hooks.clone();
            async move {
                hooks
                    .received()
                    .into_iter()
                    .find(|(_, body)| String::from_utf8_lossy(body).contains("LABEL"))
            }
        })
        .await;
    let signature = school_heard.0["vte-signature"].to_str().unwrap().to_owned();
    assert!(vte_notifications::channels::webhook::verify(
        &school_secret,
        &signature,
        &school_heard.1
    ));
    assert!(!vte_notifications::channels::webhook::verify(
        "another-secret",
        &signature,
        &school_heard.1
    ));

    // 7. The publication is one trace across the offers, matching and notifications services.
    let _ = provider.force_flush();
    let finished = spans.get_finished_spans().unwrap();
    let publication = finished
        .iter()
        .find(|span| span.name.contains("PublishOffer"))
        .expect("the publication's span");
    let trace = publication.span_context.trace_id();
    let groups: HashSet<String> = finished
        .iter()
        .filter(|span| span.span_context.trace_id() == trace)
        .flat_map(|span| span.attributes.iter())
        .filter(|kv| kv.key.as_str() == "messaging.consumer.group")
        .map(|kv| kv.value.to_string())
        .collect();
    assert!(
        groups.iter().any(|group| group.ends_with("matching")),
        "matching handled the publication in its trace: {groups:?}"
    );
    assert!(
        groups.iter().any(|group| group.ends_with("notifications")),
        "notifications handled it in the same trace: {groups:?}"
    );
    platform.stop(Duration::from_secs(5)).await.unwrap();
}
