//! Notifications delivered per second on this machine, end to end and against a baseline in
//! the same run:
//!
//! - email: `OffersSuggested` events published to the broker → the service (consumer, fan-out,
//!   worker, contact lookup at the REAL candidates service, lettre) → the SMTP sink on
//!   loopback; baseline: the same number of emails sent straight with lettre (same pool size,
//!   same concurrency) to the same sink;
//! - webhook: `ApplicationSubmitted` events for a school's students → signed POSTs to an axum
//!   endpoint on loopback; baseline: the same number of signed POSTs sent straight with
//!   reqwest (same concurrency).
//!
//! Each service figure is also split: "fan-out" is how fast the consumer turns events into
//! deliveries (one transaction per event), and "worker" how fast the delivery worker sends
//! deliveries already in the table (written in one statement, then the worker is woken).
//!
//! `cargo bench -p vte-notifications --bench delivery` (`VTE_BENCH_N` sets the count, 1,000
//! by default; `VTE_BENCH_PER_ENDPOINT` the worker's `per_endpoint`, the service's default of
//! 2 otherwise: every webhook delivery of the bench goes to one endpoint, which the baseline
//! reaches with all 16 requests in flight). Prints one line per measurement and the
//! service/baseline ratios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use support::events::{TestApplication, TestOffer, offers_suggested};
use support::harness::Bed;
use support::http::Endpoint;
use support::platform::Platform;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_notifications::channels::webhook::signature;
use vte_proto::vte::notifications::v1::RegisterWebhookRequest;

/// In flight at once, for the service (its default worker concurrency) and the baselines.
const CONCURRENCY: usize = 16;
const STUDENTS: usize = 20;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
    // The services' consumers close their Kafka clients on blocking threads, which may wait
    // for the test broker that is gone by then: do not wait for them.
    runtime.shutdown_timeout(Duration::from_secs(5));
}

async fn run() {
    let n: usize = std::env::var("VTE_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let per_endpoint: Option<usize> = std::env::var("VTE_BENCH_PER_ENDPOINT")
        .ok()
        .and_then(|n| n.parse().ok());
    let platform = Platform::start_with(|own| {
        own.worker.concurrency = CONCURRENCY;
        own.smtp.pool_size = CONCURRENCY as u32;
        if let Some(per_endpoint) = per_endpoint {
            own.worker.per_endpoint = per_endpoint;
        }
    })
    .await;
    println!(
        "notifications delivered per second, {n} per run, {CONCURRENCY} in flight, \
         per endpoint {}",
        per_endpoint.map_or_else(|| "default".to_owned(), |n| n.to_string())
    );

    let (email, email_fan_out, students) = email_through_service(&platform, n).await;
    let email_worker = email_worker_only(&platform, &students, n).await;
    let email_baseline = email_straight(&platform, n).await;
    let (webhook, webhook_fan_out, target) = webhooks_through_service(&platform, n).await;
    let webhook_worker = webhooks_worker_only(&platform, &target, n).await;
    let webhook_baseline = webhooks_straight(n).await;

    let line = |name: &str, rate: f64, what: &str| println!("{name:<27}{rate:>9.0}/s  {what}");
    line(
        "email   service end to end",
        email,
        "(event published -> email in the sink)",
    );
    line(
        "          fan-out",
        email_fan_out,
        "(events -> deliveries rows)",
    );
    line(
        "          worker only",
        email_worker,
        "(rows -> sink, contact lookup included)",
    );
    line(
        "email   baseline",
        email_baseline,
        "(lettre straight to the sink)",
    );
    println!("email   ratio end to end   {:>9.2}", email / email_baseline);
    println!(
        "email   ratio worker only  {:>9.2}",
        email_worker / email_baseline
    );
    line(
        "webhook service end to end",
        webhook,
        "(event published -> 2xx at the endpoint)",
    );
    line(
        "          fan-out",
        webhook_fan_out,
        "(events -> deliveries rows)",
    );
    line(
        "          worker only",
        webhook_worker,
        "(rows -> endpoint)",
    );
    line(
        "webhook baseline",
        webhook_baseline,
        "(signed reqwest POSTs straight to the endpoint)",
    );
    println!(
        "webhook ratio end to end   {:>9.2}",
        webhook / webhook_baseline
    );
    println!(
        "webhook ratio worker only  {:>9.2}",
        webhook_worker / webhook_baseline
    );
}

/// How many deliveries of `channel` the service holds.
async fn deliveries_rows(platform: &Platform, channel: &str) -> usize {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE channel = $1")
        .bind(channel)
        .fetch_one(&platform.notifications.pool)
        .await
        .unwrap();
    usize::try_from(count).unwrap()
}

/// Polls the deliveries table until `target` rows of `channel` exist; returns the instant.
async fn rows_reached(platform: &Platform, channel: &str, target: usize) -> Instant {
    loop {
        if deliveries_rows(platform, channel).await >= target {
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Writes `n` notifications, each with one pending delivery to `tenant` over `channel`, in
/// one statement, then wakes the worker.
async fn write_pending(
    platform: &Platform,
    role: &str,
    tenant: &str,
    channel: &str,
    webhook: Option<uuid::Uuid>,
    n: usize,
) {
    let pool = &platform.notifications.pool;
    let kind = if channel == "EMAIL" {
        "OFFERS_SUGGESTED"
    } else {
        "APPLICATION_STATUS_CHANGED"
    };
    sqlx::query(
        "WITH made AS (
             INSERT INTO notifications (id, source_id, recipient_role, recipient_tenant, kind,
                 title, body, link, occurred_at, in_app, created_at)
             SELECT gen_random_uuid(), gen_random_uuid(), $1, $2, $3, 'Une offre VTE pour vous',
                 'Ces offres correspondent à votre profil.', '/offres-suggerees', now(), false,
                 now()
             FROM generate_series(1, $4)
             RETURNING id)
         INSERT INTO deliveries (id, notification_id, kind, recipient_role, recipient_tenant,
             channel, webhook_id, status, next_attempt_at, created_at)
         SELECT gen_random_uuid(), id, $3, $1, $2, $5, $6, 'PENDING', now(), now() FROM made",
    )
    .bind(role)
    .bind(tenant)
    .bind(kind)
    .bind(i32::try_from(n).unwrap())
    .bind(channel)
    .bind(webhook)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(vte_notifications::store::WAKE_CHANNEL)
        .execute(pool)
        .await
        .unwrap();
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn email_through_service(platform: &Platform, n: usize) -> (f64, f64, Vec<CandidateId>) {
    let school = SchoolId::new();
    let mut students = Vec::new();
    for i in 0..STUDENTS {
        students.push(
            platform
                .push_student(school, "Camille", &format!("etudiant{i}@ecole.example"))
                .await,
        );
    }
    let offer = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let published = offer.published();
    platform.notifications.publish(&published).await;
    platform
        .notifications
        .wait_handled(&published.event_id)
        .await;
    let sink = &platform.notifications.smtp;
    let subject = "Une offre VTE pour vous";
    let suggestions = |sink: &support::smtp::SmtpSink| {
        sink.messages()
            .iter()
            .filter(|m| m.subject() == subject)
            .count()
    };
    let events: Vec<_> = (0..n)
        .map(|i| {
            offers_suggested(
                students[i % STUDENTS],
                school,
                &[(&offer, 0.8, "Proche de chez vous")],
            )
        })
        .collect();
    let before = deliveries_rows(platform, "EMAIL").await;
    let started = Instant::now();
    publish_all(&platform.notifications.bed, &events).await;
    let fanned_out = rows_reached(platform, "EMAIL", before + n).await;
    // Count by subject only every few milliseconds: parsing every message is the bench's cost.
    let mut seen = 0;
    wait_until("the suggestion emails", || {
        if sink.count() >= seen + n.min(50) || sink.count() >= n {
            seen = suggestions(sink);
        }
        seen >= n
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let fan_out = (fanned_out - started).as_secs_f64();
    (n as f64 / elapsed, n as f64 / fan_out, students)
}

async fn email_worker_only(platform: &Platform, students: &[CandidateId], n: usize) -> f64 {
    let sink = &platform.notifications.smtp;
    let before = sink.count();
    let started = Instant::now();
    let per_student = n / students.len();
    for student in students {
        let tenant = student.to_string();
        write_pending(platform, "candidate", &tenant, "EMAIL", None, per_student).await;
    }
    let n = per_student * students.len();
    wait_until("the emails written as deliveries", || {
        sink.count() >= before + n
    })
    .await;
    n as f64 / started.elapsed().as_secs_f64()
}

async fn email_straight(platform: &Platform, n: usize) -> f64 {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(platform.notifications.smtp.port())
        .pool_config(PoolConfig::new().max_size(CONCURRENCY as u32))
        .build();
    let from: Mailbox = "VTE France <notifications@vte-france.fr>".parse().unwrap();
    let before = platform.notifications.smtp.count();
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let message = Message::builder()
                .from(from.clone())
                .to(format!("etudiant{}@ecole.example", i % STUDENTS)
                    .parse()
                    .unwrap())
                .subject("Une offre VTE pour vous")
                .multipart(MultiPart::alternative_plain_html(
                    "Bonjour Camille,\n\nCes offres correspondent à votre profil.".to_owned(),
                    "<p>Bonjour Camille,</p><p>Ces offres correspondent à votre profil.</p>"
                        .to_owned(),
                ))
                .unwrap();
            let transport = transport.clone();
            async move { transport.send(message).await.unwrap() }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(platform.notifications.smtp.count(), before + n);
    n as f64 / started.elapsed().as_secs_f64()
}

async fn webhooks_through_service(platform: &Platform, n: usize) -> (f64, f64, Delivered) {
    let endpoint = Endpoint::start().await;
    let school = SchoolId::new();
    let registered = platform
        .notifications
        .school(school)
        .register_webhook(RegisterWebhookRequest {
            url: endpoint.url(),
            kinds: vec![],
            owner: None,
        })
        .await
        .unwrap()
        .into_inner();
    let webhook_id = uuid::Uuid::parse_str(&registered.webhook.unwrap().id).unwrap();
    let offer = TestOffer::figeac(Siren::parse("552100554").unwrap());
    let events: Vec<_> = (0..n)
        .map(|_| TestApplication::new(&offer, CandidateId::new(), school).submitted())
        .collect();
    let before = deliveries_rows(platform, "WEBHOOK").await;
    let started = Instant::now();
    publish_all(&platform.notifications.bed, &events).await;
    let fanned_out = rows_reached(platform, "WEBHOOK", before + n).await;
    wait_until("the webhook deliveries", || endpoint.delivered().len() >= n).await;
    let elapsed = started.elapsed().as_secs_f64();
    let fan_out = (fanned_out - started).as_secs_f64();
    let target = Delivered {
        endpoint,
        school,
        webhook_id,
    };
    (n as f64 / elapsed, n as f64 / fan_out, target)
}

/// The school's endpoint of the end-to-end run, reused by the worker-only run.
struct Delivered {
    endpoint: Endpoint,
    school: SchoolId,
    webhook_id: uuid::Uuid,
}

async fn webhooks_worker_only(platform: &Platform, target: &Delivered, n: usize) -> f64 {
    let (endpoint, school, webhook) = (&target.endpoint, target.school, target.webhook_id);
    let before = endpoint.delivered().len();
    let started = Instant::now();
    let tenant = school.to_string();
    write_pending(platform, "school", &tenant, "WEBHOOK", Some(webhook), n).await;
    wait_until("the webhook deliveries written as rows", || {
        endpoint.delivered().len() >= before + n
    })
    .await;
    n as f64 / started.elapsed().as_secs_f64()
}

async fn webhooks_straight(n: usize) -> f64 {
    let endpoint = Endpoint::start().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let body = br#"{"deliveryId":"0","kind":"NOTIFICATION_KIND_APPLICATION_STATUS_CHANGED"}"#;
    let url = endpoint.url();
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let t = chrono::Utc::now().timestamp();
                let sent = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("vte-delivery-id", i.to_string())
                    .header(
                        "vte-signature",
                        format!("t={t},v1={}", signature("secret", t, body)),
                    )
                    .body(body.to_vec())
                    .send()
                    .await
                    .unwrap();
                assert!(sent.status().is_success());
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(endpoint.delivered().len(), n);
    n as f64 / started.elapsed().as_secs_f64()
}

/// Publishes every event with one producer, waiting for every acknowledgement.
async fn publish_all<E: vte_events::EventEnvelope>(bed: &Bed, events: &[E]) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bed.kafka.brokers())
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let topic = bed.topics.topic(E::TOPIC);
    let payloads: Vec<(String, Vec<u8>)> = events
        .iter()
        .map(|event| (event.key().to_owned(), event.encode_to_vec()))
        .collect();
    futures::stream::iter(&payloads)
        .map(|(key, payload)| {
            let producer = producer.clone();
            let topic = topic.clone();
            async move {
                producer
                    .send(
                        FutureRecord::to(&topic).key(key).payload(payload),
                        Duration::from_secs(30),
                    )
                    .await
                    .map_err(|(error, _)| error)
                    .unwrap();
            }
        })
        .buffer_unordered(256)
        .collect::<Vec<_>>()
        .await;
}
