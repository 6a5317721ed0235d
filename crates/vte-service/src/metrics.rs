//! Prometheus metrics: one registry per service (passed around, never global), the gRPC call
//! counters and latency histogram every service shares, and the `/metrics` endpoint that
//! Prometheus scrapes, on a port of its own (loopback unless `server.metrics_addr` says
//! otherwise), never the gRPC one. Services register their own metrics on
//! [`Metrics::registry`]. The `method` label of the gRPC metrics comes from a bounded set (the
//! methods of the mounted services, or `unknown`: see [`crate::server`]), never from the caller.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A service's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    grpc_calls: IntCounterVec,
    grpc_seconds: HistogramVec,
}

impl Metrics {
    /// A registry whose metrics all carry `service="<name>"`.
    pub fn new(service: &str) -> Self {
        let labels = std::iter::once(("service".to_owned(), service.to_owned())).collect();
        let registry = Registry::new_custom(Some("vte".into()), Some(labels))
            .expect("the metric prefix is a valid name");
        let grpc_calls = IntCounterVec::new(
            Opts::new(
                "grpc_calls_total",
                "gRPC calls handled, by method and status code",
            ),
            &["method", "code"],
        )
        .expect("a valid metric");
        let grpc_seconds = HistogramVec::new(
            HistogramOpts::new(
                "grpc_call_seconds",
                "Time to the response headers of a gRPC call",
            )
            // Sub-millisecond buckets too: most calls take less than a millisecond.
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 10.0,
            ]),
            &["method"],
        )
        .expect("a valid metric");
        for metric in [
            Box::new(grpc_calls.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(grpc_seconds.clone()),
        ] {
            registry.register(metric).expect("registered once");
        }
        Self {
            registry,
            grpc_calls,
            grpc_seconds,
        }
    }

    /// The registry, for a service's own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Records one gRPC call.
    pub fn observe_call(&self, method: &str, code: &str, elapsed: Duration) {
        self.grpc_calls.with_label_values(&[method, code]).inc();
        self.grpc_seconds
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    /// The registry in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }

    /// Serves `GET /metrics` on `listener` until `shutdown`.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let body = self.render();
                async move {
                    (
                        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        body,
                    )
                }
            }),
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}
