//! The metrics a running service serves on `/metrics` are the ones tests/tests/deploy finds in
//! the services' source, where it checks that the alerts and dashboards name only those: a
//! metric registered in a way that scan misses (a name built at run time, another prefix) fails
//! here. Each service starts with its own database and broker and answers one call first, so
//! that the gRPC metrics have series.

#![allow(clippy::unwrap_used)]

// The scan of the services' source, shared with tests/tests/deploy (only part of it used here).
#[allow(dead_code)]
#[path = "deploy/promql.rs"]
mod promql;

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use vte_service::{Service, Settings};
use vte_testbed::{TestDatabase, TestKafka};

/// A loopback address nothing listens on now (the service binds it right after).
fn free_loopback_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The body of `GET /metrics` at `addr`.
async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    body.to_owned()
}

/// The series names a scrape holds (a histogram's as `_bucket`, `_sum` and `_count`).
fn families(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .flat_map(|declaration| {
            let (name, kind) = declaration.split_once(' ').unwrap();
            if kind == "histogram" {
                ["_bucket", "_sum", "_count"]
                    .iter()
                    .map(|suffix| format!("{name}{suffix}"))
                    .collect()
            } else {
                vec![name.to_owned()]
            }
        })
        .collect()
}

async fn serves_only_metrics_the_source_scan_finds<S: Service + 'static>() {
    let name = S::DEFAULTS.name;
    let database = TestDatabase::create().await;
    let kafka = TestKafka::start();
    let mut settings = Settings::local(
        S::DEFAULTS,
        &database.url(),
        kafka.brokers(),
        "metrics-exported-secret",
        &vte_testbed::reference_dir(),
    );
    settings.kafka.create_topics = !kafka.is_embedded();
    let metrics_addr = free_loopback_addr();
    settings.server.metrics_addr = metrics_addr;
    let service = S::build(settings).await.unwrap();
    let grpc_addr = service.grpc_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(service.run_until_stopped(shutdown.clone()));

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .unwrap();
    let body = scrape(metrics_addr).await;

    let served = families(&body);
    for expected in [
        "vte_grpc_calls_total",
        "vte_grpc_call_seconds_bucket",
        "vte_outbox_relay_leader",
    ] {
        assert!(
            served.contains(expected),
            "{name} serves {expected}:\n{body}"
        );
    }
    let scanned = promql::exported_metrics();
    let missed: Vec<&String> = served.difference(&scanned).collect();
    assert!(
        missed.is_empty(),
        "{name} serves metrics the source scan of tests/tests/deploy misses: {missed:?}"
    );
    let service_label = format!("service=\"{name}\"");
    for sample in body.lines().filter(|line| !line.starts_with('#')) {
        assert!(sample.contains(&service_label), "{name}: {sample}");
    }

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("the service did not stop within 15 s")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_offers_service_serves_only_metrics_the_source_scan_finds() {
    serves_only_metrics_the_source_scan_finds::<vte_offers::Application>().await;
}

#[tokio::test]
async fn the_candidates_service_serves_only_metrics_the_source_scan_finds() {
    serves_only_metrics_the_source_scan_finds::<vte_candidates::Application>().await;
}

#[tokio::test]
async fn the_matching_service_serves_only_metrics_the_source_scan_finds() {
    serves_only_metrics_the_source_scan_finds::<vte_matching::Application>().await;
}

#[tokio::test]
async fn the_notifications_service_serves_only_metrics_the_source_scan_finds() {
    serves_only_metrics_the_source_scan_finds::<vte_notifications::Application>().await;
}
