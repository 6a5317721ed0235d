//! A measurement, ignored by default: schools push many profiles (500,000 unless
//! `VTE_PUSH_PROFILES` says otherwise) through the embedded platform `vte up` runs, and
//! matching's read model ends with every one of them while the embedded broker, which drops a
//! partition's oldest records beyond 5 MiB or 100,000 message sets, drops none (the relay holds a
//! topic back until its readers catch up). Each school pushes 1,000 rows in one
//! PushProfilesBatch, its hourly quota. Command and figures in BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use sqlx::Connection as _;
use vte::platform::{Platform, PlatformOptions};
use vte_domain::SchoolId;
use vte_events::EventEnvelope;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, CandidateEvent, Contact, Preferences, ProfileRow, PushProfilesBatchRequest,
};
use vte_proto::vte::common::v1::{ContractKind, Date, EducationLevel};
use vte_service::auth::Caller;

/// Rows a school pushes in one call: its hourly quota of new profiles.
const PER_SCHOOL: usize = 1_000;
/// Pushes in flight at once.
const CONCURRENT_PUSHES: usize = 2;

fn date(day: chrono::NaiveDate) -> Date {
    vte_wire::date_to_proto(day)
}

/// Student `n` of school `school`, graduated in June, from Albi.
fn student(school: usize, n: usize) -> ProfileRow {
    let today = chrono::Utc::now().date_naive();
    ProfileRow {
        school_student_ref: format!("E-{n:04}"),
        status: AcademicStatus::Graduate as i32,
        graduation_date: Some(date(today - chrono::Duration::days(120))),
        level: EducationLevel::Bac5 as i32,
        field_of_study: "génie industriel".to_owned(),
        diploma: "Master".to_owned(),
        skills: vec!["Lean".to_owned()],
        languages: vec![],
        home_insee_code: "81004".to_owned(),
        preferences: Some(Preferences {
            mobility_radius_km: 80,
            contract_kinds_sought: vec![ContractKind::Cdi as i32],
            available_from: Some(date(today)),
            ..Preferences::default()
        }),
        contact: Some(Contact {
            candidate_id: String::new(),
            first_name: "Sacha".to_owned(),
            last_name: format!("Eleve{n}"),
            email: format!("eleve{n}@ecole{school}.example"),
            phone: String::new(),
        }),
    }
}

async fn count(url: &str, sql: &'static str) -> i64 {
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it with its command in BENCHMARKS.md"]
async fn schools_push_many_profiles_through_the_platform_and_matching_ends_with_all() {
    let profiles: usize = std::env::var("VTE_PUSH_PROFILES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(500_000);
    let schools = profiles.div_ceil(PER_SCHOOL);
    let mut options = PlatformOptions::new(vte_testbed::reference_dir());
    options.any_port = true;
    let platform = Platform::start(options).await.expect("the platform starts");
    let candidates_url = platform.endpoint("candidates").unwrap().url();
    let matching_db = platform.database_url("matching").unwrap().to_owned();
    let candidates_db = platform.database_url("candidates").unwrap().to_owned();

    let started = Instant::now();
    let pushing = {
        let url = candidates_url.clone();
        tokio::spawn(async move {
            let mut pushes = tokio::task::JoinSet::new();
            for school in 0..schools {
                if pushes.len() >= CONCURRENT_PUSHES {
                    pushes.join_next().await.unwrap().unwrap();
                }
                let rows = (0..PER_SCHOOL.min(profiles - school * PER_SCHOOL))
                    .map(|n| student(school, n))
                    .collect::<Vec<_>>();
                let expected = rows.len();
                let url = url.clone();
                pushes.spawn(async move {
                    let caller = Caller::School {
                        school_id: SchoolId::new(),
                    };
                    let channel =
                        vte::cli::authed(&url, vte::platform::DEV_SECRET, &caller).unwrap();
                    let summary = CandidatesServiceClient::new(channel)
                        .max_decoding_message_size(64 * 1024 * 1024)
                        .push_profiles_batch(PushProfilesBatchRequest {
                            school_id: String::new(),
                            rows,
                        })
                        .await
                        .expect("the push is acknowledged")
                        .into_inner()
                        .summary
                        .unwrap();
                    assert_eq!(summary.counts.unwrap().created as usize, expected);
                });
            }
            while let Some(done) = pushes.join_next().await {
                done.unwrap();
            }
        })
    };

    // Matching's read model fills as the pushes go; the outbox never keeps more unread than
    // the relay's bounds let it.
    let patience = Duration::from_secs(600 + (profiles / 100) as u64);
    let mut most_kept = 0;
    let mut pushed_in = None;
    loop {
        if pushed_in.is_none() && pushing.is_finished() {
            pushed_in = Some(started.elapsed());
        }
        let known = count(&matching_db, "SELECT count(*) FROM candidates").await;
        most_kept = most_kept.max(
            count(
                &candidates_db,
                "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL",
            )
            .await,
        );
        if known as usize >= profiles {
            break;
        }
        assert!(
            started.elapsed() < patience,
            "matching knows {known} of {profiles} after {patience:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let elapsed = started.elapsed();
    pushing.await.unwrap();
    let pushed_in = pushed_in.unwrap_or(elapsed);
    assert_eq!(
        count(&matching_db, "SELECT count(*) FROM candidates").await as usize,
        profiles
    );

    // The embedded broker dropped nothing: every partition still starts at offset 0.
    let kafka = vte_events::KafkaSettings::new(platform.kafka_brokers());
    let topic = kafka.topics().topic(CandidateEvent::TOPIC);
    let consumer: BaseConsumer = kafka.consumer_config("push-volume-check").create().unwrap();
    for partition in 0..vte::platform::PARTITIONS {
        let (low, high) = consumer
            .fetch_watermarks(&topic, partition, Duration::from_secs(5))
            .unwrap();
        assert_eq!(
            low, 0,
            "partition {partition} lost its oldest records (end {high})"
        );
    }
    eprintln!(
        "{profiles} profiles from {schools} schools: pushed in {:.1} s ({:.0}/s), all in \
         matching's read model after {:.1} s ({:.0}/s end to end); at most {most_kept} \
         published events kept unread in the candidates outbox",
        pushed_in.as_secs_f64(),
        profiles as f64 / pushed_in.as_secs_f64(),
        elapsed.as_secs_f64(),
        profiles as f64 / elapsed.as_secs_f64(),
    );
    platform.stop(Duration::from_secs(1)).await.unwrap();
}
