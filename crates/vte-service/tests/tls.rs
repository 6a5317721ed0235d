//! gRPC over TLS: with `server.tls` set, the server speaks only TLS with the configured
//! certificate; a client that trusts it is served, a plaintext client or one that does not
//! trust the certificate is not, and an unusable key is refused at start-up naming the setting.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vte_service::metrics::Metrics;
use vte_service::server::GrpcServer;
use vte_service::settings::ServerSettings;

/// A self-signed certificate for `localhost` and its key, written as PEM files in `dir`.
fn self_signed(dir: &Path) -> (String, ServerSettings) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let settings = server_settings(dir.join("cert.pem"), dir.join("key.pem"));
    (cert, settings)
}

fn server_settings(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> ServerSettings {
    serde_json::from_value(serde_json::json!({
        "grpc_addr": "127.0.0.1:0",
        "metrics_addr": "127.0.0.1:0",
        "tls": { "cert_path": cert.as_ref(), "key_path": key.as_ref() },
    }))
    .unwrap()
}

async fn serve(settings: &ServerSettings) -> (u16, tokio_util::sync::DropGuard) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = GrpcServer::with_settings(listener, Metrics::new("tls"), settings).unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(server.serve(stop.clone(), Duration::from_secs(1)));
    (port, stop.drop_guard())
}

async fn check(endpoint: Endpoint) -> Result<i32, String> {
    let channel = endpoint
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|error| format!("connect: {error:?}"))?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map_err(|status| format!("call: {status:?}"))?;
    Ok(reply.into_inner().status)
}

#[tokio::test]
async fn a_client_that_trusts_the_certificate_is_served_over_tls_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, settings) = self_signed(dir.path());
    let (port, _stop) = serve(&settings).await;

    let trusting = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&cert))
        .domain_name("localhost");
    let endpoint = Endpoint::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(trusting)
        .unwrap();
    assert_eq!(check(endpoint).await, Ok(ServingStatus::Serving as i32));

    let plaintext = Endpoint::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    assert!(check(plaintext).await.is_err());

    let (other, _) = self_signed(tempfile::tempdir().unwrap().path());
    let distrusting = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(other))
        .domain_name("localhost");
    let endpoint = Endpoint::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(distrusting)
        .unwrap();
    assert!(check(endpoint).await.is_err());
}

#[tokio::test]
async fn an_unusable_certificate_or_key_is_refused_before_serving_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    std::fs::write(dir.path().join("garbage.pem"), "not a key").unwrap();
    let cases = [
        (
            server_settings(dir.path().join("missing.pem"), dir.path().join("key.pem")),
            "server.tls.cert_path: cannot read",
        ),
        (
            server_settings(dir.path().join("cert.pem"), dir.path().join("garbage.pem")),
            "server.tls.cert_path: unusable certificate or key",
        ),
    ];
    for (settings, expected) in cases {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let refused = GrpcServer::with_settings(listener, Metrics::new("tls"), &settings)
            .unwrap_err()
            .to_string();
        assert!(refused.starts_with(expected), "{refused}");
    }
}

#[tokio::test]
async fn a_service_reaches_a_peer_served_over_tls_through_the_ca_its_settings_name() {
    use vte_proto::vte::common::v1::PlatformService;
    use vte_service::peers::Peers;
    use vte_service::settings::{AuthSettings, PeersSettings};

    let dir = tempfile::tempdir().unwrap();
    let (cert, settings) = self_signed(dir.path());
    let (port, _stop) = serve(&settings).await;
    std::fs::write(dir.path().join("ca.pem"), &cert).unwrap();
    let auth = AuthSettings {
        development: true,
        hs256_secret: Some("tls-test-secret".to_owned().into()),
        ..AuthSettings::default()
    };
    let over_tls = PeersSettings {
        candidates: format!("https://localhost:{port}"),
        ca_path: Some(dir.path().join("ca.pem")),
        ..PeersSettings::default()
    };
    let peers = Peers::new("offers", &over_tls, &auth).unwrap();
    let reply = HealthClient::new(peers.channel(PlatformService::Candidates))
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().status, ServingStatus::Serving as i32);

    // An https peer without the CA is a setting to fix, named, before any call.
    let without_ca = PeersSettings {
        ca_path: None,
        ..over_tls.clone()
    };
    let error = Peers::new("offers", &without_ca, &auth).unwrap_err();
    assert_eq!(error.setting, "peers.ca_path");
    let not_a_certificate = PeersSettings {
        ca_path: Some(dir.path().join("key.pem")),
        ..over_tls
    };
    let error = Peers::new("offers", &not_a_certificate, &auth).unwrap_err();
    assert_eq!(error.setting, "peers.ca_path");
}
