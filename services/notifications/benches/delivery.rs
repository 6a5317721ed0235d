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
//! `cargo bench -p vte-notifications --bench delivery` (`VTE_BENCH_N` sets the count, 1,000
//! by default). Prints one line per measurement and the service/baseline ratios.

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
}

async fn run() {
    let n: usize = std::env::var("VTE_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let platform = Platform::start_with(|own| {
        own.worker.concurrency = CONCURRENCY;
        own.smtp.pool_size = CONCURRENCY as u32;
    })
    .await;
    println!("notifications delivered per second, {n} per run, {CONCURRENCY} in flight");

    let email = email_through_service(&platform, n).await;
    let email_baseline = email_straight(&platform, n).await;
    let webhook = webhooks_through_service(&platform, n).await;
    let webhook_baseline = webhooks_straight(n).await;

    println!("email   service  {email:>8.0}/s");
    println!("email   baseline {email_baseline:>8.0}/s  (lettre straight to the sink)");
    println!("email   ratio    {:>8.2}", email / email_baseline);
    println!("webhook service  {webhook:>8.0}/s");
    println!(
        "webhook baseline {webhook_baseline:>8.0}/s  (signed reqwest POSTs straight to the endpoint)"
    );
    println!("webhook ratio    {:>8.2}", webhook / webhook_baseline);
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn email_through_service(platform: &Platform, n: usize) -> f64 {
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
    let started = Instant::now();
    publish_all(&platform.notifications.bed, &events).await;
    // Count by subject only every few milliseconds: parsing every message is the bench's cost.
    let mut seen = 0;
    wait_until("the suggestion emails", || {
        if sink.count() >= seen + n.min(50) || sink.count() >= n {
            seen = suggestions(sink);
        }
        seen >= n
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

async fn webhooks_through_service(platform: &Platform, n: usize) -> f64 {
    let endpoint = Endpoint::start().await;
    let school = SchoolId::new();
    platform
        .notifications
        .school(school)
        .register_webhook(RegisterWebhookRequest {
            url: endpoint.url(),
            kinds: vec![],
            owner: None,
        })
        .await
        .unwrap();
    let offer = TestOffer::figeac(Siren::parse("552100554").unwrap());
    let events: Vec<_> = (0..n)
        .map(|_| TestApplication::new(&offer, CandidateId::new(), school).submitted())
        .collect();
    let started = Instant::now();
    publish_all(&platform.notifications.bed, &events).await;
    wait_until("the webhook deliveries", || endpoint.delivered().len() >= n).await;
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
