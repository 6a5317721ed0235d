//! Faults across processes: the four services run as separate processes (their real binaries,
//! see `faults/process.rs` for how they are built and found) on an Apache Kafka of the suite's
//! own (`scripts/kafka/start`, killed and restarted on its log directory by
//! `scripts/kafka/restart`) and the test bed's PostgreSQL, while a school pushes students and a
//! company publishes offers. Each fault is checked at the edges: every acknowledged student gets
//! exactly one consent email at the SMTP sink, every acknowledged offer reaches matching's read
//! model, the databases hold one row per fact, and the platform has done all of it within a
//! stated time of the fault's end, by itself. Each test prints its row of the fault table
//! (BENCHMARKS.md, "Faults across processes").
//!
//! The suite always starts a broker of its own, even when `VTE_TEST_KAFKA_BROKERS` names the
//! run's: it kills its broker, which other tests share. It needs Java (Apache Kafka runs on it;
//! `scripts/test` installs it): without Java it says so and skips, as no fault can be shown
//! without the broker production runs. At most two tests run at once (each runs a JVM and four
//! service processes; the broker test, named to start first, idles through its minute); the
//! suite takes about 5 minutes on 2 cores (BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "faults/broker.rs"]
mod broker;
#[path = "faults/load.rs"]
mod load;
#[path = "faults/platform.rs"]
mod platform;
#[path = "faults/process.rs"]
mod process;
#[path = "faults/records.rs"]
mod records;
#[path = "../../services/notifications/tests/support/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::time::{Duration, Instant};

use platform::Platform;
use tokio::task::JoinHandle;
use vte_domain::{SchoolId, Siren};
use vte_service::auth::Caller;

/// Within how long of a fault's end every effect owed must be at the edges.
const RECOVER_WITHIN: Duration = Duration::from_secs(60);
/// How long the edges are watched, once complete, for a late duplicate.
const QUIET: Duration = Duration::from_secs(3);
/// The company publishing the offers.
const SIREN: &str = "732829320";

/// Two faults at a time at most: each runs a broker and four services (five processes), and
/// the broker's minute away leaves the machine idle for another.
static AT_MOST_TWO: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Whether the suite can run here; says why not when it cannot.
fn can_run() -> bool {
    if broker::java_is_installed() {
        return true;
    }
    eprintln!(
        "SKIPPED: the fault suite needs Java 17+ for its Apache Kafka broker (scripts/test \
         installs it: apt-get install default-jre-headless)"
    );
    false
}

/// The flow under way: a school pushing students, a company publishing offers.
struct Flow {
    tag: String,
    pushes: JoinHandle<Vec<String>>,
    offers: JoinHandle<Vec<String>>,
    described: String,
}

impl Flow {
    /// Starts a school pushing `students` students in batches of 10 and the company
    /// publishing `offers` offers, both paced over about `over`.
    fn start(platform: &mut Platform, students: usize, offers: usize, over: Duration) -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        let school = SchoolId::new();
        let siren = Siren::parse(SIREN).unwrap();
        let batches = students.div_ceil(10).max(1);
        let pushes = tokio::spawn(load::school_pushes(
            platform.candidates(&Caller::School { school_id: school }),
            school,
            tag.clone(),
            students,
            10,
            over / u32::try_from(batches).unwrap(),
        ));
        let offers_task = tokio::spawn(load::company_publishes(
            platform.offers(&Caller::Company { siren }),
            siren,
            offers,
            over / u32::try_from(offers.max(1)).unwrap(),
        ));
        Self {
            tag,
            pushes,
            offers: offers_task,
            described: format!("{students} students pushed, {offers} offers published"),
        }
    }
}

/// A row of the fault table.
#[derive(Debug)]
struct Row {
    lost: usize,
    duplicated: usize,
    recovered_in: Duration,
}

/// Waits for the flow's clients, then until every effect they are owed is at the edges (at
/// most [`RECOVER_WITHIN`] after `fault_ended`), watches a while for duplicates, prints the
/// row and asserts nothing was lost or duplicated.
#[allow(clippy::print_stdout)] // The row of BENCHMARKS.md's fault table, seen with --nocapture.
async fn settle(platform: &mut Platform, flow: Flow, fault: &str, fault_ended: Instant) -> Row {
    let addresses = flow.pushes.await.unwrap();
    let offers = flow.offers.await.unwrap();
    let offer_ids: Vec<uuid::Uuid> = offers.iter().map(|id| id.parse().unwrap()).collect();
    let until = fault_ended + RECOVER_WITHIN;
    let missing = loop {
        platform.assert_all_alive();
        let emails = load::consent_emails(&platform.smtp);
        let unmailed = addresses
            .iter()
            .filter(|a| !emails.contains_key(*a))
            .count();
        let unmatched = offer_ids.len()
            - usize::try_from(
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM offers WHERE offer_id = ANY($1)",
                )
                .bind(&offer_ids)
                .fetch_one(platform.pool("matching"))
                .await
                .unwrap(),
            )
            .unwrap();
        if unmailed + unmatched == 0 || Instant::now() > until {
            break unmailed + unmatched;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let recovered_in = fault_ended.elapsed();
    tokio::time::sleep(QUIET).await;
    let emails = load::consent_emails(&platform.smtp);
    let prefix = format!("etu-{}-", flow.tag);
    let duplicated: usize = emails
        .iter()
        .filter(|(to, _)| to.starts_with(&prefix))
        .map(|(_, n)| n - 1)
        .sum();
    // Rows in the databases: one profile per student, no consent notification without its
    // email.
    let profiles: i64 =
        sqlx::query_scalar("SELECT count(*) FROM profiles WHERE school_student_ref LIKE $1")
            .bind(format!("{prefix}%"))
            .fetch_one(platform.pool("candidates"))
            .await
            .unwrap();
    let consents: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = 'CONSENT_REQUESTED'")
            .fetch_one(platform.pool("notifications"))
            .await
            .unwrap();
    let row = Row {
        lost: missing,
        duplicated,
        recovered_in,
    };
    println!(
        "| {fault} | {} | {} | {} | {:.1} s |",
        flow.described,
        row.lost,
        row.duplicated,
        row.recovered_in.as_secs_f64()
    );
    assert_eq!(
        row.lost,
        0,
        "{fault}: effects owed but missing {RECOVER_WITHIN:?} after the fault (logs in {})",
        platform.logs().display()
    );
    assert_eq!(row.duplicated, 0, "{fault}: emails sent twice");
    // Every batch is retried until acknowledged: one row per student, none for a retry.
    assert_eq!(
        usize::try_from(profiles).unwrap(),
        addresses.len(),
        "{fault}: profile rows for the students pushed"
    );
    assert!(
        usize::try_from(consents).unwrap() <= emails.values().sum::<usize>(),
        "{fault}: {consents} consent notifications, fewer emails"
    );
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_service_killed_mid_flow_loses_and_repeats_nothing_once_restarted() {
    if !can_run() {
        return;
    }
    let _turn = AT_MOST_TWO.acquire().await.unwrap();
    let mut platform = Platform::start().await;
    for service in process::SERVICES {
        let flow = Flow::start(&mut platform, 200, 20, Duration::from_secs(4));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        platform.process(service).kill();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let restarted = Instant::now();
        platform.process(service).spawn();
        platform
            .process(service)
            .wait_serving(platform::START_WITHIN)
            .await;
        let fault = format!("kill -9 of {service}, restarted 1 s later");
        settle(&mut platform, flow, &fault, restarted).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_killed_then_away_for_a_minute_loses_and_repeats_nothing_once_restarted() {
    if !can_run() {
        return;
    }
    let _turn = AT_MOST_TWO.acquire().await.unwrap();
    let mut platform = Platform::start().await;

    // Killed mid-flow and started again at once on its log directory.
    let flow = Flow::start(&mut platform, 200, 20, Duration::from_secs(4));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    platform.broker.kill();
    let took = restart_broker(&platform).await;
    let fault = format!("kill -9 of the broker, restarted at once ({took:.0?} of log recovery)");
    settle(&mut platform, flow, &fault, Instant::now()).await;

    // Killed, and away for a minute while the school pushes and the company publishes.
    let flow = Flow::start(&mut platform, 300, 30, Duration::from_secs(40));
    tokio::time::sleep(Duration::from_secs(2)).await;
    platform.broker.kill();
    tokio::time::sleep(Duration::from_secs(60)).await;
    platform.assert_all_alive();
    let took = restart_broker(&platform).await;
    let fault = format!("kill -9 of the broker, away 60 s, restarted ({took:.0?} of log recovery)");
    settle(&mut platform, flow, &fault, Instant::now()).await;
}

/// Starts the killed broker again on its log directory; returns how long that took.
async fn restart_broker(platform: &Platform) -> Duration {
    let broker = &platform.broker;
    tokio::task::block_in_place(|| broker.restart())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_instance_joining_then_the_first_leaving_mid_flow_loses_and_repeats_nothing() {
    if !can_run() {
        return;
    }
    let _turn = AT_MOST_TWO.acquire().await.unwrap();
    let mut platform = Platform::start().await;
    for service in ["matching", "notifications"] {
        let flow = Flow::start(&mut platform, 300, 30, Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // The group rebalances as the second instance joins...
        platform.add_instance(service).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        // ...and again as the first leaves (SIGTERM: a rolling update).
        platform.process(service).terminate(Duration::from_secs(20));
        let left = Instant::now();
        let fault = format!(
            "{service}: a second instance joins the group mid-flow, then the first stops (SIGTERM)"
        );
        settle(&mut platform, flow, &fault, left).await;
    }
}

/// How many of the four services read the logical `topic` (each dead-letters in its own group).
fn readers_of(topic: &str) -> usize {
    use vte_service::Service;
    [
        vte_offers::Application::READS,
        vte_candidates::Application::READS,
        vte_matching::Application::READS,
        vte_notifications::Application::READS,
    ]
    .iter()
    .filter(|reads| reads.contains(&topic))
    .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_and_an_oversized_record_on_every_topic_are_dead_lettered_and_the_rest_flows() {
    if !can_run() {
        return;
    }
    let _turn = AT_MOST_TWO.acquire().await.unwrap();
    let mut platform = Platform::start().await;
    let flow = Flow::start(&mut platform, 200, 20, Duration::from_secs(6));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let keys = vec![format!("poison-{tag}"), format!("oversized-{tag}")];
    // Not a protobuf message: a length-delimited field running past the end.
    let poison = b"\x0a\xff\xff\xff\x0fnot an event".to_vec();
    // Just under what the broker accepts, and no event either.
    let oversized = vec![0xff_u8; records::BROKER_MAX_BYTES - 8 * 1024];
    let brokers = platform.broker.brokers().to_owned();
    for logical in vte_proto::TOPICS {
        let topic = platform.topic(logical);
        records::produce(&brokers, &topic, &keys[0], &poison).await;
        records::produce(&brokers, &topic, &keys[1], &oversized).await;
    }
    let written = Instant::now();
    let fault = "a poison and a 1 MiB record written to each of the 7 topics mid-flow";
    settle(&mut platform, flow, fault, written).await;
    for logical in vte_proto::TOPICS {
        // Each group reading the topic dead-letters both records, once.
        let expected = 2 * readers_of(logical);
        let dead_letters = format!("{}.dlq", platform.topic(logical));
        let found =
            records::count_keyed(&brokers, &dead_letters, &keys, expected, RECOVER_WITHIN).await;
        assert_eq!(found, expected, "records of {dead_letters}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_stopped_and_started_again_under_load_loses_and_repeats_nothing() {
    use vte_embedded::{PostgresCluster, PostgresOptions};
    if !can_run() {
        return;
    }
    let _turn = AT_MOST_TWO.acquire().await.unwrap();
    // A cluster of this test's: stopping the test bed's would stop every other test's too.
    let root = std::env::temp_dir().join(format!("vte-faults-pg-{}", uuid::Uuid::new_v4()));
    let options = PostgresOptions {
        data_dir: Some(root.join("data")),
        port: Some(process::free_addr().port()),
        durable: true,
        max_connections: 200,
    };
    let start = |options: PostgresOptions| async move {
        tokio::task::spawn_blocking(move || PostgresCluster::start(&options))
            .await
            .unwrap()
            .expect("cannot start the test's PostgreSQL")
    };
    let cluster = start(options.clone()).await;
    let mut platform = Platform::start_on(&cluster).await;
    let flow = Flow::start(&mut platform, 300, 30, Duration::from_secs(20));
    tokio::time::sleep(Duration::from_secs(2)).await;
    // A fast shutdown (every session ended), 10 s down, then the same cluster again.
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    platform.assert_all_alive();
    let cluster = start(options).await;
    let fault = "PostgreSQL (all four databases) stopped mid-flow, started again 10 s later";
    settle(&mut platform, flow, fault, Instant::now()).await;
    drop(platform);
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(root);
}
