//! Each of the four services starts on a free port with its own database and answers health.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vte_service::{Service, Settings};
use vte_testbed::{TestDatabase, TestKafka};

async fn starts_and_answers_health<S: Service + 'static>() {
    let database = TestDatabase::create().await;
    let kafka = TestKafka::start();
    let mut settings = Settings::local(
        S::DEFAULTS,
        &database.url(),
        kafka.brokers(),
        "services-start-secret",
        &vte_testbed::reference_dir(),
    );
    settings.kafka.create_topics = !kafka.is_embedded();
    let service = S::build(settings).await.unwrap();
    let addr = service.grpc_addr();
    assert_ne!(addr.port(), 0);
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(service.run_until_stopped(shutdown.clone()));

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(
        status,
        ServingStatus::Serving as i32,
        "{}",
        S::DEFAULTS.name
    );

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("the service did not stop within 15 s")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_offers_service_starts_and_answers_health() {
    starts_and_answers_health::<vte_offers::Application>().await;
}

#[tokio::test]
async fn the_candidates_service_starts_and_answers_health() {
    starts_and_answers_health::<vte_candidates::Application>().await;
}

#[tokio::test]
async fn the_matching_service_starts_and_answers_health() {
    starts_and_answers_health::<vte_matching::Application>().await;
}

#[tokio::test]
async fn the_notifications_service_starts_and_answers_health() {
    starts_and_answers_health::<vte_notifications::Application>().await;
}
