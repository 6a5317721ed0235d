//! The gRPC server every service runs: its own services plus gRPC health (per service and
//! overall), reflection over the whole VTE contract when the settings allow it, and a layer
//! that opens one span per call (continuing the caller's W3C trace), bounds its time, answers
//! undecodable or oversized requests with the codes the gRPC spec gives them, and records the
//! call's status and latency under the name of the method it reached (one `unknown` series for
//! every other path, so made-up paths cannot grow the metrics). Accepted connections set
//! `TCP_NODELAY`, each connection runs a bounded number of calls at once, and TLS is optional.
//! It takes a bound listener, so tests start it on port 0, and stops on a cancellation token.
//! Health follows the service's event consumers too: NOT_SERVING while one of them is stalled.

mod observe;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use vte_events::consumer::StallWatch;

use crate::metrics::Metrics;
use crate::settings::ServerSettings;
use observe::{Methods, ObserveLayer};

/// The `method` label of every call to a path no mounted service answers.
pub const UNKNOWN_METHOD: &str = "unknown";

/// How long a TLS handshake may take before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The limits and options of a server, from [`ServerSettings`].
#[derive(Debug, Clone)]
struct Options {
    request_timeout: Duration,
    max_concurrent_streams: u32,
    tcp_nodelay: bool,
    reflection: bool,
    tls: Option<ServerTlsConfig>,
}

/// The TLS certificate or key of `server.tls` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("server.tls.{setting}: {message}")]
pub struct TlsError {
    /// The setting at fault: `cert_path` or `key_path`.
    pub setting: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// A gRPC server being assembled.
#[derive(Debug)]
pub struct GrpcServer {
    listener: TcpListener,
    routes: tonic::service::RoutesBuilder,
    health: HealthReporter,
    names: Vec<&'static str>,
    metrics: Metrics,
    options: Options,
    /// The consumers whose stall makes the service NOT_SERVING.
    followed: Vec<StallWatch>,
}

/// How often health looks at the consumers it follows.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// The health service name that says only whether the process is alive and serving calls:
/// SERVING from start to shutdown, whatever its event consumers do. Kubernetes' liveness probe
/// asks it, so a consumer stalled by a broker outage takes the pod out of the Service (the
/// readiness probe asks the service's own name, and the overall status `""` follows the
/// consumers too) without restarting it in a loop.
pub const LIVENESS: &str = "vte.liveness";

impl GrpcServer {
    /// A server on `listener` with health and reflection mounted and the default limits (a
    /// development server: production ones come from [`GrpcServer::with_settings`]).
    pub fn new(listener: TcpListener, metrics: Metrics) -> Self {
        let options = Options {
            request_timeout: Duration::from_secs(30),
            max_concurrent_streams: 100,
            tcp_nodelay: true,
            reflection: true,
            tls: None,
        };
        Self::with_options(listener, metrics, options)
    }

    /// A server on `listener` with health mounted, and reflection, limits and TLS as
    /// `settings` say; fails if the TLS certificate or key cannot be read or used.
    pub fn with_settings(
        listener: TcpListener,
        metrics: Metrics,
        settings: &ServerSettings,
    ) -> Result<Self, TlsError> {
        let tls = settings.tls.as_ref().map(tls_config).transpose()?;
        let options = Options {
            request_timeout: Duration::from_secs(settings.request_timeout_secs.max(1)),
            max_concurrent_streams: settings.max_concurrent_streams.max(1),
            tcp_nodelay: settings.tcp_nodelay,
            reflection: settings.reflection,
            tls,
        };
        Ok(Self::with_options(listener, metrics, options))
    }

    fn with_options(listener: TcpListener, metrics: Metrics, options: Options) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = tonic::service::RoutesBuilder::default();
        let mut names = vec![tonic_health::pb::health_server::SERVICE_NAME];
        routes.add_service(health_service);
        if options.reflection {
            mount_reflection(&mut routes, &mut names);
        }
        Self {
            listener,
            routes,
            health,
            names,
            metrics,
            options,
            followed: Vec::new(),
        }
    }

    /// Reports the service NOT_SERVING (its own services and the overall status) while the
    /// consumer `stalls` watches is stalled, and SERVING again once it is not.
    pub fn follow_consumer(&mut self, stalls: StallWatch) -> &mut Self {
        self.followed.push(stalls);
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Mounts a service; its health is reported as serving while the server runs.
    pub fn add_service<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves until `shutdown` is cancelled, then reports not-serving, stops accepting calls and
    /// waits up to `grace` for the calls in flight.
    pub async fn serve(
        self,
        shutdown: CancellationToken,
        grace: Duration,
    ) -> Result<(), tonic::transport::Error> {
        let own: Vec<&'static str> = self
            .names
            .iter()
            .copied()
            .filter(|name| !name.starts_with("grpc."))
            .collect();
        for name in own.iter().chain(&[LIVENESS]) {
            self.health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let following = follow_consumers(
            self.health.clone(),
            own.clone(),
            self.followed,
            shutdown.clone(),
        );
        let health = self.health.clone();
        let stopping = shutdown.clone();
        let signal = async move {
            stopping.cancelled().await;
            for name in own.iter().copied().chain(["", LIVENESS]) {
                health
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
        };
        let observe = ObserveLayer {
            metrics: self.metrics,
            methods: Arc::new(Methods::of(&self.names)),
            request_timeout: self.options.request_timeout,
        };
        let mut builder = tonic::transport::Server::builder()
            .max_concurrent_streams(self.options.max_concurrent_streams);
        if let Some(tls) = self.options.tls {
            builder = builder.tls_config(tls)?;
        }
        let incoming = accepting(self.listener, self.options.tcp_nodelay);
        let server = builder
            .layer(observe)
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(incoming, signal);
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result,
            never = following => match never {},
            // Calls still running after the grace period are cut off.
            () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!("calls still in flight after the shutdown grace period were cut off");
                Ok(())
            }
        }
    }
}

/// Keeps the health of `own` services and the overall status at NOT_SERVING while one of the
/// `followed` consumers is stalled, until `shutdown` (after which the server reports
/// NOT_SERVING itself); never returns.
async fn follow_consumers(
    health: HealthReporter,
    own: Vec<&'static str>,
    followed: Vec<StallWatch>,
    shutdown: CancellationToken,
) -> Infallible {
    let mut reported = false;
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return std::future::pending().await,
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
        }
        let stalled = followed.iter().any(StallWatch::is_stalled);
        if stalled == reported {
            continue;
        }
        reported = stalled;
        let status = if stalled {
            tracing::error!("an event consumer is stalled: health reports NOT_SERVING");
            ServingStatus::NotServing
        } else {
            tracing::info!("event consumers are making progress: health reports SERVING");
            ServingStatus::Serving
        };
        for name in own.iter().copied().chain([""]) {
            health.set_service_status(name, status).await;
        }
    }
}

/// The connections `listener` accepts, with `TCP_NODELAY` as asked (tonic sets it only on the
/// listeners it binds itself) and TCP keepalive to notice peers that vanished.
fn accepting(listener: TcpListener, nodelay: bool) -> TcpIncoming {
    TcpIncoming::from(listener)
        .with_nodelay(Some(nodelay))
        .with_keepalive(Some(Duration::from_secs(60)))
}

fn mount_reflection(routes: &mut tonic::service::RoutesBuilder, names: &mut Vec<&'static str>) {
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(vte_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    match (reflection().build_v1(), reflection().build_v1alpha()) {
        (Ok(v1), Ok(v1alpha)) => {
            routes.add_service(v1);
            routes.add_service(v1alpha);
            names.extend([
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ]);
        }
        (Err(error), _) | (_, Err(error)) => {
            // The descriptor set is compiled in: this only fails if the build is broken.
            tracing::error!(%error, "gRPC reflection is unavailable");
        }
    }
}

fn tls_config(settings: &crate::settings::ServerTlsSettings) -> Result<ServerTlsConfig, TlsError> {
    let read = |setting: &'static str, path: &std::path::Path| {
        std::fs::read(path).map_err(|error| TlsError {
            setting,
            message: format!("cannot read {}: {error}", path.display()),
        })
    };
    let cert = read("cert_path", &settings.cert_path)?;
    let key = read("key_path", &settings.key_path)?;
    let config = ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .timeout(TLS_HANDSHAKE_TIMEOUT);
    // Building a server with it parses the certificate and key now, not at the first call.
    tonic::transport::Server::builder()
        .tls_config(config.clone())
        .map_err(|error| TlsError {
            setting: "cert_path",
            message: format!("unusable certificate or key: {}", error_chain(&error)),
        })?;
    Ok(config)
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn accepted_connections_set_tcp_nodelay() {
        use tokio_stream::StreamExt as _;
        for nodelay in [true, false] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut incoming = accepting(listener, nodelay);
            let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
            let accepted = incoming.next().await.unwrap().unwrap();
            assert_eq!(accepted.nodelay().unwrap(), nodelay);
        }
    }

    #[tokio::test]
    async fn health_is_not_serving_while_a_followed_consumer_is_stalled() {
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_check_response::ServingStatus as Status;
        use tonic_health::pb::health_client::HealthClient;

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut server = GrpcServer::new(listener, Metrics::new("probe"));
        let (stalled, watch) = tokio::sync::watch::channel(false);
        server.follow_consumer(StallWatch::new(watch));
        let shutdown = CancellationToken::new();
        let serving = tokio::spawn(server.serve(shutdown.clone(), Duration::from_secs(1)));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut health = HealthClient::new(channel);
        let mut status_becomes = async |service: &str, expected: Status| {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            loop {
                let status = health
                    .check(HealthCheckRequest {
                        service: service.to_owned(),
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .status();
                if status == expected {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "health of {service:?} still {status:?}, not {expected:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        status_becomes("", Status::Serving).await;
        stalled.send(true).unwrap();
        status_becomes("", Status::NotServing).await;
        // The process is alive: the liveness probe's name says so, stalled or not.
        status_becomes(LIVENESS, Status::Serving).await;
        stalled.send(false).unwrap();
        status_becomes("", Status::Serving).await;
        shutdown.cancel();
        serving.await.unwrap().unwrap();
    }
}
