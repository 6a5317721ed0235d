//! The gRPC server's limits, attacked from outside without a token: made-up paths cannot grow
//! the metrics, a body that is not protobuf is the caller's fault, an oversized request is
//! refused as too large, a slow call is cut at the server's timeout, a connection runs a
//! bounded number of calls at once, and reflection and metrics stay off the public port unless
//! asked for.

#![allow(clippy::unwrap_used, clippy::result_large_err)] // figment::Jail's closures return its large error

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http::uri::PathAndQuery;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::HealthCheckResponse;
use vte_proto::vte::identity::v1::identity_service_server::{
    IdentityService, IdentityServiceServer,
};
use vte_proto::vte::identity::v1::{WhoAmIRequest, WhoAmIResponse};
use vte_service::metrics::Metrics;
use vte_service::server::GrpcServer;
use vte_service::settings::ServerSettings;
use vte_service::{ServiceDefaults, Settings};

/// An identity service that takes its time, to be cut by the server's timeout.
#[derive(Debug, Clone, Copy)]
struct SlowIdentity;

#[tonic::async_trait]
impl IdentityService for SlowIdentity {
    async fn who_am_i(
        &self,
        _request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(Response::new(WhoAmIResponse::default()))
    }
}

fn settings() -> ServerSettings {
    serde_json::from_value(serde_json::json!({
        "grpc_addr": "127.0.0.1:0",
        "metrics_addr": "127.0.0.1:0",
        "request_timeout_secs": 1,
        "max_concurrent_streams": 7,
    }))
    .unwrap()
}

struct Served {
    addr: SocketAddr,
    channel: Channel,
    metrics: Metrics,
    _stop: tokio_util::sync::DropGuard,
}

async fn serve(settings: &ServerSettings) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let metrics = Metrics::new("limits");
    let mut server = GrpcServer::with_settings(listener, metrics.clone(), settings).unwrap();
    server.add_service(IdentityServiceServer::new(SlowIdentity));
    let stop = CancellationToken::new();
    tokio::spawn(server.serve(stop.clone(), Duration::from_secs(1)));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Served {
        addr,
        channel,
        metrics,
        _stop: stop.drop_guard(),
    }
}

/// Sends `message` to `path` with no token, reading the reply as a health check's.
async fn call<M: prost::Message + Default + Send + Sync + 'static>(
    channel: &Channel,
    path: &str,
    message: M,
) -> Result<HealthCheckResponse, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<M, HealthCheckResponse>::default();
    grpc.unary(
        Request::new(message),
        PathAndQuery::try_from(path).unwrap(),
        codec,
    )
    .await
    .map(Response::into_inner)
}

const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";

#[tokio::test]
async fn calls_to_made_up_paths_share_one_unknown_series_and_leave_the_metrics_size_alone() {
    let served = serve(&settings()).await;
    let made_up = |i: usize| format!("/attack{i}.Service{i}/Method{}", "x".repeat(i));
    let refused = call(&served.channel, &made_up(0), ()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unimplemented);
    let before = served.metrics.render().len();
    for i in 1..200 {
        let refused = call(&served.channel, &made_up(i), ()).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unimplemented);
    }
    let rendered = served.metrics.render();
    assert!(!rendered.contains("attack"), "{rendered}");
    let unknown: Vec<&str> = rendered
        .lines()
        .filter(|line| line.starts_with("vte_grpc_calls_total"))
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(
        unknown[0].contains("method=\"unknown\"") && unknown[0].ends_with(" 200"),
        "{unknown:?}"
    );
    // Only counters moved (a few more digits); no series was added.
    assert!(
        rendered.len() < before + 64,
        "{before} -> {}",
        rendered.len()
    );
}

#[tokio::test]
async fn a_known_method_is_labelled_by_its_name() {
    let served = serve(&settings()).await;
    let request = tonic_health::pb::HealthCheckRequest {
        service: String::new(),
    };
    call(&served.channel, HEALTH_CHECK, request).await.unwrap();
    let rendered = served.metrics.render();
    assert!(
        rendered
            .lines()
            .any(|line| line.starts_with("vte_grpc_calls_total")
                && line.contains("method=\"/grpc.health.v1.Health/Check\"")
                && line.contains("code=\"0\"")),
        "{rendered}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_the_methods_message_is_an_invalid_argument_without_a_token() {
    let served = serve(&settings()).await;
    // Field 1 of a health check is a string: a varint there, or bytes that are not UTF-8,
    // cannot be decoded.
    let varint = call(&served.channel, HEALTH_CHECK, 5_i64).await;
    let not_utf8 = vec![0xff, 0xfe, 0x80];
    let not_utf8 = call(&served.channel, HEALTH_CHECK, not_utf8).await;
    for refused in [varint, not_utf8] {
        let refused = refused.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(
            refused
                .message()
                .contains("failed to decode Protobuf message"),
            "{refused:?}"
        );
    }
    let rendered = served.metrics.render();
    assert!(rendered.contains("code=\"3\""), "{rendered}");
    assert!(!rendered.contains("code=\"13\""), "{rendered}");
}

#[tokio::test]
async fn a_request_over_the_size_limit_is_resource_exhausted_at_once() {
    let served = serve(&settings()).await;
    let five_mib = vec![b'x'; 5 * 1024 * 1024];
    let started = Instant::now();
    let refused = call(&served.channel, HEALTH_CHECK, five_mib)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("too large"), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_call_slower_than_the_servers_timeout_is_cut_with_deadline_exceeded() {
    let served = serve(&settings()).await;
    let mut identity =
        vte_proto::vte::identity::v1::identity_service_client::IdentityServiceClient::new(
            served.channel.clone(),
        );
    let started = Instant::now();
    let cut = identity.who_am_i(WhoAmIRequest {}).await.unwrap_err();
    assert_eq!(cut.code(), Code::DeadlineExceeded, "{cut:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    let rendered = served.metrics.render();
    assert!(
        rendered
            .lines()
            .any(|line| line.starts_with("vte_grpc_calls_total")
                && line.contains("WhoAmI")
                && line.contains("code=\"4\"")),
        "{rendered}"
    );
}

#[tokio::test]
async fn a_connection_is_told_how_many_calls_it_may_run_at_once() {
    let served = serve(&settings()).await;
    let mut stream = tokio::net::TcpStream::connect(served.addr).await.unwrap();
    // The HTTP/2 client preface, then an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let settings = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let mut header = [0_u8; 9];
            stream.read_exact(&mut header).await.unwrap();
            let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
            let mut payload = vec![0_u8; length];
            stream.read_exact(&mut payload).await.unwrap();
            // A SETTINGS frame that is not an acknowledgement.
            if header[3] == 0x4 && header[4] & 0x1 == 0 {
                return payload;
            }
        }
    })
    .await
    .unwrap();
    let max_streams = settings.chunks_exact(6).find_map(|entry| {
        (u16::from_be_bytes([entry[0], entry[1]]) == 0x3)
            .then(|| u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]))
    });
    assert_eq!(max_streams, Some(7));
}

#[tokio::test]
async fn reflection_is_off_unless_the_settings_turn_it_on() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;

    for reflection in [false, true] {
        let served = serve(&ServerSettings {
            reflection,
            ..settings()
        })
        .await;
        let mut client = ServerReflectionClient::new(served.channel.clone());
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let answer = client
            .server_reflection_info(tokio_stream::iter([request]))
            .await;
        match answer {
            Ok(mut answers) if reflection => {
                assert!(answers.get_mut().message().await.unwrap().is_some());
            }
            Err(refused) if !reflection => assert_eq!(refused.code(), Code::Unimplemented),
            other => panic!("reflection {reflection}: {other:?}"),
        }
    }
}

#[test]
fn production_defaults_keep_reflection_off_and_metrics_on_loopback() {
    figment::Jail::expect_with(|_jail| {
        let server: ServerSettings = Settings::figment(ServiceDefaults {
            name: "offers",
            grpc_port: 50051,
            metrics_port: 9101,
        })
        .extract_inner("server")
        .unwrap();
        assert!(!server.reflection);
        assert!(server.metrics_addr.ip().is_loopback());
        assert_ne!(server.metrics_addr, server.grpc_addr);
        assert!(server.tcp_nodelay);
        assert!(server.tls.is_none());
        Ok(())
    });
}
