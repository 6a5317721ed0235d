//! The gRPC server every service runs: its own services plus gRPC health (per service and
//! overall), reflection over the whole VTE contract, and a layer that opens one span per call
//! (continuing the caller's W3C trace) and records the call's status and latency. It takes a
//! bound listener, so tests start it on port 0, and stops on a cancellation token.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tracing::Instrument;

use crate::metrics::Metrics;
use vte_telemetry::propagation::{HeaderExtractor, continue_trace};

/// A gRPC server being assembled.
#[derive(Debug)]
pub struct GrpcServer {
    listener: TcpListener,
    routes: tonic::service::RoutesBuilder,
    health: HealthReporter,
    names: Vec<&'static str>,
    metrics: Metrics,
}

impl GrpcServer {
    /// A server on `listener` with health and reflection already mounted.
    pub fn new(listener: TcpListener, metrics: Metrics) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = tonic::service::RoutesBuilder::default();
        routes.add_service(health_service);
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(vte_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        match (reflection().build_v1(), reflection().build_v1alpha()) {
            (Ok(v1), Ok(v1alpha)) => {
                routes.add_service(v1);
                routes.add_service(v1alpha);
            }
            (Err(error), _) | (_, Err(error)) => {
                // The descriptor set is compiled in: this only fails if the build is broken.
                tracing::error!(%error, "gRPC reflection is unavailable");
            }
        }
        Self {
            listener,
            routes,
            health,
            names: Vec::new(),
            metrics,
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
        for name in &self.names {
            self.health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let health = self.health.clone();
        let names = self.names.clone();
        let stopping = shutdown.clone();
        let signal = async move {
            stopping.cancelled().await;
            for name in names.iter().copied().chain([""]) {
                health
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
        };
        let server = tonic::transport::Server::builder()
            .layer(ObserveLayer {
                metrics: self.metrics,
            })
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(TcpListenerStream::new(self.listener), signal);
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

/// Opens a span per call and records it in the metrics.
#[derive(Debug, Clone)]
struct ObserveLayer {
    metrics: Metrics,
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Observe<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B, R> tower::Service<http::Request<B>> for Observe<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc.call",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.grpc.status_code = tracing::field::Empty,
        );
        continue_trace(&span, &HeaderExtractor(request.headers()));
        let started = Instant::now();
        let metrics = self.metrics.clone();
        // The clone that was polled ready serves this call (tower's usual swap).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let call = inner.call(request);
        let record = span.clone();
        Box::pin(
            async move {
                let result = call.await;
                // Errors come back in the headers of a trailers-only response; a call that
                // fails after streaming began reports its status in trailers, counted as sent.
                let code = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|code| code.to_str().ok())
                        .unwrap_or("0")
                        .to_owned(),
                    Err(_) => String::from("transport"),
                };
                record.record("rpc.grpc.status_code", code.as_str());
                metrics.observe_call(&method, &code, started.elapsed());
                result
            }
            .instrument(span),
        )
    }
}
