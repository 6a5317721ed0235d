//! How long a company waits for its email after publishing an offer, on the whole platform as
//! `vte up` runs it (release build, private PostgreSQL, embedded broker, the mail catcher):
//! `PublishOffer` returns → the offers service's outbox → `vte.offers.v1` → matching ranks and
//! publishes `CandidatesSuggested` → notifications fans out and its worker sends the email →
//! the mail catcher has it. 200 publications one after another (each a new offer in a
//! Territoire d'industrie with candidates to suggest), p50 and p99. Baseline in the same run:
//! one Kafka hop on the same broker (produce → a subscribed consumer gets it), the unit the
//! flow pays three times over (offers → matching → notifications, each through an outbox).
//!
//! Also measured: the time from the start of `Platform::start` to four healthy services.
//!
//! `cargo bench -p vte --bench flow` (`VTE_BENCH_N` sets the number of publications, 200 by
//! default). With `VTE_TEST_KAFKA_BROKERS` set, the platform uses that cluster instead of the
//! embedded broker (as `vte up --kafka-brokers` does; the services create their topics), and the
//! baseline's hop runs there too: `scripts/kafka/with-broker cargo bench -p vte --bench flow`
//! measures both on Apache Kafka.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use vte::cli::Authed;
use vte::platform::{Platform, PlatformOptions};
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, GiveConsentRequest, ListProfilesRequest, MissionTypeWeight,
    Preferences, ProfileRow, PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{
    CompanySize, ContractKind, EducationLevel, Location, MissionType, PageRequest, RemotePolicy,
};
use vte_proto::vte::notifications::v1::UpdatePreferencesRequest;
use vte_proto::vte::notifications::v1::notifications_service_client::NotificationsServiceClient;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_proto::vte::offers::v1::{CreateOfferRequest, OfferSpec, PublishOfferRequest};
use vte_service::auth::Caller;
use vte_testbed::bench::{ms, percentile};

const COMPANY_EMAIL: &str = "recrutement@ateliers-du-cele.example";
const STUDENTS: usize = 50;

fn authed(url: &str, caller: &Caller) -> Authed {
    vte::cli::authed(url, vte::platform::DEV_SECRET, caller).unwrap()
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn student(n: usize) -> ProfileRow {
    ProfileRow {
        school_student_ref: format!("BENCH-{n:04}"),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(vte_wire::date_to_proto(
            today() - chrono::Duration::days(120),
        )),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie mécanique".to_owned(),
        diploma: "Diplôme d'ingénieur".to_owned(),
        skills: vec!["CAO".to_owned(), "SolidWorks".to_owned()],
        languages: vec![],
        home_insee_code: "31555".to_owned(),
        preferences: Some(Preferences {
            mission_type_weights: vec![MissionTypeWeight {
                mission_type: MissionType::Technologie as i32,
                weight: 90,
            }],
            mobility_radius_km: 250,
            open_to_relocation: false,
            preferred_region_codes: vec![],
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(vte_wire::date_to_proto(today())),
            paused: false,
            set_by_candidate: false,
        }),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: "Camille".to_owned(),
            last_name: format!("Bench{n}"),
            email: format!("camille.bench{n}@etudiant.example"),
            phone: String::new(),
        }),
    }
}

fn offer(n: usize) -> OfferSpec {
    OfferSpec {
        title: format!("Ingenieur methodes {n:04}"),
        description: "Industrialiser une nouvelle gamme de pièces usinées.".to_owned(),
        primary_mission_type: MissionType::Technologie as i32,
        contract_kind: ContractKind::Cdi as i32,
        min_level: EducationLevel::Bac3 as i32,
        max_level: EducationLevel::Bac5 as i32,
        fields_of_study: vec!["génie mécanique".to_owned()],
        skills: vec!["CAO".to_owned()],
        location: Some(Location {
            insee_code: "46102".to_owned(),
            ..Location::default()
        }),
        remote_policy: RemotePolicy::OnSite as i32,
        positions: 1,
        start_date: Some(vte_wire::date_to_proto(
            today() + chrono::Duration::days(60),
        )),
        company_name: "Ateliers du Célé".to_owned(),
        company_size: CompanySize::Pme as i32,
        ..OfferSpec::default()
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
    runtime.shutdown_timeout(Duration::from_secs(5));
}

async fn run() {
    let n: usize = std::env::var("VTE_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let mut options = PlatformOptions::new(vte_reference::ReferenceData::default_dir());
    options.any_port = true;
    options.kafka_brokers = std::env::var("VTE_TEST_KAFKA_BROKERS")
        .ok()
        .filter(|brokers| !brokers.trim().is_empty());
    let broker = options
        .kafka_brokers
        .clone()
        .unwrap_or_else(|| String::from("the embedded broker"));
    let started = Instant::now();
    let platform = Platform::start(options).await.expect("the platform starts");
    let healthy = started.elapsed();
    let url = |name: &str| platform.endpoint(name).unwrap().url();

    // Fifty consenting students who fit every offer, and a company with an email address.
    let school = Caller::School {
        school_id: SchoolId::new(),
    };
    let mut candidates = CandidatesServiceClient::new(authed(&url("candidates"), &school));
    candidates
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: (0..STUDENTS).map(student).collect(),
        })
        .await
        .unwrap();
    let profiles = candidates
        .list_profiles(ListProfilesRequest {
            page: Some(PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..ListProfilesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .profiles;
    let mut consenting = Vec::with_capacity(profiles.len());
    for profile in profiles {
        let candidate_id = CandidateId::parse(&profile.id).unwrap();
        consenting.push(candidate_id);
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
    }
    let company = Caller::Company {
        siren: Siren::parse("732829320").unwrap(),
    };
    NotificationsServiceClient::new(authed(&url("notifications"), &company))
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![],
            email_address: Some(COMPANY_EMAIL.to_owned()),
        })
        .await
        .unwrap();
    // Matching must know every student as matchable before the first publication.
    vte::cli::until_matchable(
        &url("matching"),
        vte::platform::DEV_SECRET,
        &consenting,
        Duration::from_secs(60),
    )
    .await
    .unwrap();

    let mut arrivals = platform.mailbox.as_ref().unwrap().subscribe();
    let mut offers = OffersServiceClient::new(authed(&url("offers"), &company));
    let to_company = format!("To: {COMPANY_EMAIL}");
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let draft = offers
            .create_offer(CreateOfferRequest {
                company_siren: String::new(),
                spec: Some(offer(i)),
            })
            .await
            .unwrap()
            .into_inner()
            .offer
            .unwrap();
        let sent = Instant::now();
        offers
            .publish_offer(PublishOfferRequest {
                offer_id: draft.id,
                expected_revision: draft.revision,
            })
            .await
            .unwrap();
        loop {
            let received = tokio::time::timeout(Duration::from_secs(60), arrivals.recv())
                .await
                .expect("the company's email")
                .unwrap();
            if String::from_utf8_lossy(&received.message).contains(&to_company) {
                latencies.push(received.at - sent);
                break;
            }
        }
    }
    latencies.sort();

    // Baseline: one Kafka hop on the same broker.
    let topic = format!("bench.hop.{}", uuid::Uuid::new_v4());
    platform.create_topic(&topic, 1).unwrap();
    if options_external(&platform) {
        create_external_topic(platform.kafka_brokers(), &topic).await;
    }
    let hops = kafka_hops(platform.kafka_brokers(), &topic, n).await;

    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    let (b50, b99) = (percentile(&hops, 0.50), percentile(&hops, 0.99));
    println!("Kafka: {broker}");
    println!(
        "platform healthy {:.2} s after Platform::start began",
        healthy.as_secs_f64()
    );
    println!(
        "publication -> company email ({n}): p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        ms(p50),
        ms(p99),
        ms(*latencies.last().unwrap())
    );
    println!(
        "baseline, one Kafka hop ({n}):    p50 {:.1} ms  p99 {:.1} ms",
        ms(b50),
        ms(b99)
    );
    println!(
        "ratio: p50 x{:.1}, p99 x{:.1} (the flow makes three hops through outboxes)",
        ms(p50) / ms(b50),
        ms(p99) / ms(b99)
    );
    platform.stop(Duration::from_secs(5)).await.unwrap();
}

/// Whether the platform runs on a cluster of its own rather than the embedded broker.
fn options_external(platform: &Platform) -> bool {
    std::env::var("VTE_TEST_KAFKA_BROKERS")
        .is_ok_and(|brokers| brokers.trim() == platform.kafka_brokers())
}

/// Creates the baseline's topic (one partition) on an external cluster, which creates none by
/// itself (`auto.create.topics.enable=false` in `scripts/kafka/start`).
async fn create_external_topic(brokers: &str, topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = vte_events::KafkaSettings::new(brokers)
        .client_config()
        .unwrap()
        .create()
        .unwrap();
    let created = admin
        .create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    for result in created {
        result
            .map_err(|(name, code)| format!("{name}: {code}"))
            .unwrap();
    }
}

/// `n` produce → consume round trips of one small record on `topic`, with the producer and
/// consumer settings the services use.
async fn kafka_hops(brokers: &str, topic: &str, n: usize) -> Vec<Duration> {
    let settings = vte_events::KafkaSettings::new(brokers);
    let producer: FutureProducer = settings.producer().unwrap();
    let consumer: StreamConsumer = settings
        .consumer_config(&format!("bench-{}", uuid::Uuid::new_v4()))
        .create()
        .unwrap();
    producer
        .send(
            FutureRecord::to(topic).key("k").payload("warm-up"),
            Duration::from_secs(5),
        )
        .await
        .map_err(|(error, _)| error)
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), consumer.recv()).await;
    let mut hops = Vec::with_capacity(n);
    for i in 0..n {
        let payload = i.to_string();
        let sent = Instant::now();
        producer
            .send(
                FutureRecord::to(topic).key("k").payload(&payload),
                Duration::from_secs(5),
            )
            .await
            .map_err(|(error, _)| error)
            .unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), consumer.recv())
                .await
                .expect("the hop")
                .unwrap();
            use rdkafka::message::Message as _;
            if message.payload() == Some(payload.as_bytes()) {
                hops.push(sent.elapsed());
                break;
            }
        }
    }
    hops.sort();
    hops
}
