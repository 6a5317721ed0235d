//! The service binary as an operator runs it: settings from the environment, JSON logs, health,
//! and a graceful stop on SIGTERM.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vte_testbed::{TestDatabase, TestKafka};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_starts_from_its_environment_and_stops_cleanly_on_sigterm() {
    let database = TestDatabase::create().await;
    let kafka = TestKafka::start();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vte-offers"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database.url())
        .env("KAFKA_BROKERS", kafka.brokers())
        .env(
            "VTE_KAFKA__CREATE_TOPICS",
            (!kafka.is_embedded()).to_string(),
        )
        // Development tokens: outside development mode the binary refuses an HS256 secret.
        // The scheme's rules: the repository's (the binary's default is `rules` in its working
        // directory, as the image has them in /etc/vte/rules).
        .env("VTE_RULES__DIR", vte_rules::repository_rules_dir())
        .env("VTE_AUTH__DEVELOPMENT", "true")
        .env("VTE_AUTH__HS256_SECRET", "binary-test-secret")
        .env("VTE_SERVER__GRPC_ADDR", "127.0.0.1:0")
        .env("VTE_SERVER__METRICS_ADDR", "127.0.0.1:0")
        .env("VTE_TELEMETRY__LOG_FORMAT", "json")
        .env("VTE_REFERENCE__DIR", vte_testbed::reference_dir())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let grpc = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
                panic!("a log line that is not JSON: {line}");
            };
            if entry["message"] == "service started" {
                return entry["grpc"].as_str().unwrap().to_owned();
            }
        }
        panic!("the service exited before it started");
    })
    .await
    .expect("no 'service started' line within 60 s");

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);

    let pid = child.id().unwrap().to_string();
    std::process::Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &pid])
        .status()
        .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the service did not stop within 20 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}
