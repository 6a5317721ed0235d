//! The gRPC server every service runs: its own services plus gRPC health (per service and
//! overall), reflection over the whole VTE contract when the settings allow it, and a layer
//! that opens one span per call (continuing the caller's W3C trace), bounds its time, answers
//! undecodable or oversized requests with the codes the gRPC spec gives them, and records the
//! call's status and latency under the name of the method it reached (one `unknown` series for
//! every other path, so made-up paths cannot grow the metrics). Accepted connections set
//! `TCP_NODELAY`, each connection runs a bounded number of calls at once, and TLS is optional.
//! It takes a bound listener, so tests start it on port 0, and stops on a cancellation token.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use prost::Message as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::settings::ServerSettings;
use vte_telemetry::propagation::{HeaderExtractor, continue_trace};

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
}

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
        }
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
        for name in &own {
            self.health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let health = self.health.clone();
        let stopping = shutdown.clone();
        let signal = async move {
            stopping.cancelled().await;
            for name in own.iter().copied().chain([""]) {
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
            // Calls still running after the grace period are cut off.
            () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!("calls still in flight after the shutdown grace period were cut off");
                Ok(())
            }
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

/// The methods of the mounted services, by request path: a bounded set read from the compiled
/// descriptor sets, so metric labels and span names never come from the caller.
#[derive(Debug, Default)]
struct Methods {
    by_path: HashMap<String, Method>,
}

#[derive(Debug, Clone)]
struct Method {
    /// The label: the request path, `/package.Service/Method`.
    label: Arc<str>,
    /// Whether the client streams requests (its time is bounded by idle timeouts instead).
    client_streaming: bool,
}

impl Methods {
    fn of(mounted: &[&str]) -> Self {
        let sets = [
            vte_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        let mut by_path = HashMap::new();
        for set in sets {
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                tracing::error!("a compiled descriptor set does not decode");
                continue;
            };
            for file in &set.file {
                for service in &file.service {
                    let name = format!("{}.{}", file.package(), service.name());
                    if !mounted.contains(&name.as_str()) {
                        continue;
                    }
                    for method in &service.method {
                        let path = format!("/{name}/{}", method.name());
                        let method = Method {
                            label: Arc::from(path.as_str()),
                            client_streaming: method.client_streaming(),
                        };
                        by_path.insert(path, method);
                    }
                }
            }
        }
        Self { by_path }
    }

    fn get(&self, path: &str) -> Option<&Method> {
        self.by_path.get(path)
    }
}

/// Opens a span per call, bounds its time, corrects the codes of undecodable requests and
/// records the call in the metrics.
#[derive(Debug, Clone)]
struct ObserveLayer {
    metrics: Metrics,
    methods: Arc<Methods>,
    request_timeout: Duration,
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

impl<S, B, R> tower::Service<http::Request<B>> for Observe<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = self.layer.methods.get(request.uri().path()).cloned();
        let label = method
            .as_ref()
            .map_or_else(|| Arc::from(UNKNOWN_METHOD), |method| method.label.clone());
        // Calls that stream requests end when the client is done; the others get the limit.
        let limit = method
            .filter(|method| !method.client_streaming)
            .map(|_| self.layer.request_timeout);
        let span = tracing::info_span!(
            "grpc.call",
            otel.name = %label,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.grpc.status_code = tracing::field::Empty,
        );
        continue_trace(&span, &HeaderExtractor(request.headers()));
        let started = Instant::now();
        let metrics = self.layer.metrics.clone();
        // The clone that was polled ready serves this call (tower's usual swap).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let call = inner.call(request);
        let record = span.clone();
        Box::pin(
            async move {
                let result = match limit {
                    None => call.await,
                    Some(limit) => match tokio::time::timeout(limit, call).await {
                        Ok(result) => result,
                        Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
                            "the call took longer than the server's limit of {} s",
                            limit.as_secs()
                        ))
                        .into_http()),
                    },
                };
                // Errors come back in the headers of a trailers-only response; a call that
                // fails after streaming began reports its status in trailers, counted as sent.
                match result {
                    Ok(mut response) => {
                        let code = correct_status(response.headers_mut());
                        record.record("rpc.grpc.status_code", code.as_str());
                        metrics.observe_call(&label, &code, started.elapsed());
                        Ok(response)
                    }
                    Err(error) => {
                        record.record("rpc.grpc.status_code", "transport");
                        metrics.observe_call(&label, "transport", started.elapsed());
                        Err(error)
                    }
                }
            }
            .instrument(span),
        )
    }
}

/// The status code of a trailers-only response, after correcting the two codes tonic's codec
/// gets wrong for a server: a request that is not valid protobuf is the client's fault
/// (`INVALID_ARGUMENT`, not `INTERNAL`), and one over the size limit is `RESOURCE_EXHAUSTED`
/// (not `OUT_OF_RANGE`), as the gRPC status code guide says.
fn correct_status(headers: &mut http::HeaderMap) -> String {
    let Some(code) = headers
        .get(tonic::Status::GRPC_STATUS)
        .and_then(|code| code.to_str().ok())
        .map(str::to_owned)
    else {
        return String::from("0");
    };
    let message = headers
        .get(tonic::Status::GRPC_MESSAGE)
        .map(|message| percent_decoded(message.as_bytes()))
        .unwrap_or_default();
    let corrected = match code.as_str() {
        "13" if message.starts_with("failed to decode Protobuf message") => "3",
        "11" if message.contains("decoded message length too large") => "8",
        _ => return code,
    };
    headers.insert(
        tonic::Status::GRPC_STATUS,
        http::HeaderValue::from_static(corrected),
    );
    corrected.to_owned()
}

/// `grpc-message` is percent-encoded; enough of it is decoded here to read tonic's own wording.
fn percent_decoded(bytes: &[u8]) -> String {
    let mut decoded = Vec::with_capacity(bytes.len().min(256));
    let mut rest = bytes.iter().take(256);
    while let Some(&byte) = rest.next() {
        if byte == b'%' {
            let hex: Vec<u8> = rest.by_ref().take(2).copied().collect();
            let value = std::str::from_utf8(&hex)
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            decoded.push(value.unwrap_or(b'?'));
        } else {
            decoded.push(byte);
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
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

    #[test]
    fn only_the_methods_of_mounted_services_are_known() {
        let methods = Methods::of(&[
            "vte.identity.v1.IdentityService",
            tonic_health::pb::health_server::SERVICE_NAME,
        ]);
        let who = methods
            .get("/vte.identity.v1.IdentityService/WhoAmI")
            .unwrap();
        assert_eq!(&*who.label, "/vte.identity.v1.IdentityService/WhoAmI");
        assert!(!who.client_streaming);
        assert!(methods.get("/grpc.health.v1.Health/Check").is_some());
        assert!(
            methods
                .get("/vte.offers.v1.OffersService/GetOffer")
                .is_none()
        );
        assert!(methods.get("/made/up").is_none());
        let push = Methods::of(&["vte.candidates.v1.CandidatesService"]);
        let push = push
            .get("/vte.candidates.v1.CandidatesService/PushProfiles")
            .unwrap();
        assert!(push.client_streaming);
    }

    #[test]
    fn the_codec_codes_for_bad_requests_are_corrected_and_others_kept() {
        let cases = [
            (
                "13",
                "failed%20to%20decode%20Protobuf%20message: invalid wire type",
                "3",
            ),
            (
                "11",
                "Error,%20decoded%20message%20length%20too%20large: found 5 bytes",
                "8",
            ),
            ("13", "internal%20error", "13"),
            ("11", "page%20out%20of%20range", "11"),
            ("5", "no%20offer%20with%20this%20id", "5"),
        ];
        for (code, message, expected) in cases {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-status", code.parse().unwrap());
            headers.insert("grpc-message", message.parse().unwrap());
            assert_eq!(correct_status(&mut headers), expected, "{message}");
            assert_eq!(headers["grpc-status"], expected);
        }
        assert_eq!(correct_status(&mut http::HeaderMap::new()), "0");
    }
}
