//! A service host on loopback: health, reflection (in development mode, or when asked), the
//! identity service behind auth, migrations at start-up, metrics, and a clean stop.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sqlx::migrate::Migrator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vte_domain::SchoolId;
use vte_proto::vte::common::v1::Role as WireRole;
use vte_proto::vte::identity::v1::WhoAmIRequest;
use vte_proto::vte::identity::v1::identity_service_client::IdentityServiceClient;
use vte_proto::vte::identity::v1::who_am_i_response::Tenant;
use vte_service::auth::{Caller, Claims, sign_hs256};
use vte_service::{ServiceDefaults, ServiceHost, Settings};
use vte_testbed::{TestDatabase, TestKafka};

const SECRET: &str = "host-test-secret";
const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "probe",
    grpc_port: 0,
    metrics_port: 0,
};

struct Running {
    channel: Channel,
    metrics_addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    stopped: tokio::task::JoinHandle<Result<(), vte_service::RunError>>,
    database: TestDatabase,
    _kafka: TestKafka,
}

async fn start() -> Running {
    start_with(|_| {}).await
}

/// A host whose settings `adjust` changes first.
async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Running {
    let database = TestDatabase::create().await;
    let kafka = TestKafka::start();
    let mut settings = Settings::local(
        DEFAULTS,
        &database.url(),
        kafka.brokers(),
        SECRET,
        &vte_testbed::reference_dir(),
    );
    settings.kafka.create_topics = !kafka.is_embedded();
    adjust(&mut settings);
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations");
    let migrator = Migrator::new(std::path::Path::new(migrations))
        .await
        .unwrap();
    let host = ServiceHost::build(settings, &migrator).await.unwrap();
    let grpc_addr = host.grpc_addr();
    let metrics_addr = host.metrics_addr();
    let shutdown = CancellationToken::new();
    let stopped = tokio::spawn(host.run(shutdown.clone()));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Running {
        channel,
        metrics_addr,
        shutdown,
        stopped,
        database,
        _kafka: kafka,
    }
}

fn bearer<T>(message: T, caller: &Caller) -> tonic::Request<T> {
    let token = sign_hs256(
        SECRET,
        &Claims::new(caller, "account-7", chrono::Duration::minutes(5)),
    )
    .unwrap();
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test]
async fn a_started_service_answers_health_without_a_token() {
    let service = start().await;
    let mut health = HealthClient::new(service.channel.clone());
    for name in ["", "vte.identity.v1.IdentityService"] {
        let status = health
            .check(HealthCheckRequest {
                service: name.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "service {name:?}");
    }
}

#[tokio::test]
async fn who_am_i_refuses_a_missing_token_and_tells_a_school_its_tenant() {
    let service = start().await;
    let mut identity = IdentityServiceClient::new(service.channel.clone());

    let refused = identity.who_am_i(WhoAmIRequest {}).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    let school_id = SchoolId::new();
    let answer = identity
        .who_am_i(bearer(WhoAmIRequest {}, &Caller::School { school_id }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.role, WireRole::School as i32);
    assert_eq!(answer.subject, "account-7");
    assert_eq!(answer.tenant, Some(Tenant::SchoolId(school_id.to_string())));
}

#[tokio::test]
async fn a_token_signed_with_another_secret_gets_unauthenticated_over_grpc() {
    let service = start().await;
    let mut identity = IdentityServiceClient::new(service.channel.clone());
    let forged = sign_hs256(
        "guess",
        &Claims::new(&Caller::Admin, "x", chrono::Duration::minutes(5)),
    )
    .unwrap();
    let mut request = tonic::Request::new(WhoAmIRequest {});
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {forged}").parse().unwrap());
    let refused = identity.who_am_i(request).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn the_backbone_and_service_migrations_run_at_start_up() {
    let service = start().await;
    let pool = service.database.pool().await;
    for table in ["host_probe", "outbox", "processed_events"] {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(exists, "{table} was not created");
    }
}

#[tokio::test]
async fn reflection_lists_the_whole_contract() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let service = start().await;
    let mut reflection = ServerReflectionClient::new(service.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "vte.offers.v1.OffersService",
        "vte.candidates.v1.CandidatesService",
        "vte.matching.v1.MatchingService",
        "vte.notifications.v1.NotificationsService",
        "vte.identity.v1.IdentityService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn a_production_host_serves_no_reflection_unless_its_settings_ask() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;

    let pem = include_str!("keys/es256-public.pem");
    for reflection in [false, true] {
        let service = start_with(|settings| {
            settings.auth = serde_json::from_value(serde_json::json!({
                "public_keys": [{ "kid": "idp-1", "algorithm": "ES256", "pem": pem }],
                "issuer": "https://idp.example",
                "audience": "vte",
            }))
            .unwrap();
            settings.server.reflection = reflection;
        })
        .await;
        let mut client = ServerReflectionClient::new(service.channel.clone());
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let answer = client
            .server_reflection_info(tokio_stream::iter([request]))
            .await;
        match answer {
            Ok(_) if reflection => {}
            Err(refused) if !reflection => assert_eq!(refused.code(), tonic::Code::Unimplemented),
            other => panic!("reflection {reflection}: {other:?}"),
        }
        // Health stays on the gRPC port either way.
        let status = HealthClient::new(service.channel.clone())
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32);
    }
}

#[tokio::test]
async fn the_metrics_endpoint_counts_grpc_calls() {
    let service = start().await;
    let mut identity = IdentityServiceClient::new(service.channel.clone());
    let _ = identity.who_am_i(WhoAmIRequest {}).await;

    let mut stream = tokio::net::TcpStream::connect(service.metrics_addr)
        .await
        .unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    assert!(
        body.starts_with("HTTP/1.0 200") || body.starts_with("HTTP/1.1 200"),
        "{body}"
    );
    assert!(
        body.lines()
            .any(|line| line.starts_with("vte_grpc_calls_total")
                && line.contains("/vte.identity.v1.IdentityService/WhoAmI")
                && line.contains("code=\"16\"")
                && line.contains("service=\"probe\"")),
        "{body}"
    );
}

#[tokio::test]
async fn a_service_stops_promptly_when_asked() {
    let service = start().await;
    service.shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(15), service.stopped)
        .await
        .expect("the service did not stop within 15 s");
    stopped.unwrap().unwrap();
}
