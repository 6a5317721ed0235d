//! Logs and traces: one `tracing` subscriber per process (the only global we keep), printing
//! text or JSON lines and feeding an OpenTelemetry tracer, so every span has a W3C trace id that
//! can travel in gRPC metadata and Kafka headers. Spans are exported over OTLP/gRPC only when an
//! endpoint is configured.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use serde::Deserialize;

/// Flushes and stops trace export when dropped: keep it alive until `main` returns.
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry.otlp_endpoint: cannot build the OTLP exporter: {0}")]
    Exporter(String),
    #[error("{0}")]
    Filter(String),
}

/// Installs the process's subscriber. Call once, from `main`; a second call (tests that start
/// several services in one process) keeps the first subscriber and returns a guard anyway.
pub fn init(
    service_name: &str,
    settings: &TelemetrySettings,
) -> Result<TelemetryGuard, TelemetryError> {
    let mut provider = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(service_name.to_owned())
            .build(),
    );
    if let Some(endpoint) = &settings.otlp_endpoint {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        provider = provider.with_batch_exporter(exporter);
    }
    let provider = provider.build();
    let tracer = provider.tracer("vte");
    // Logs and traces are filtered apart: quiet logs must not cut spans out of a trace.
    let log_filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => EnvFilter::try_new(&settings.log_filter)
            .map_err(|e| TelemetryError::Filter(format!("telemetry.log_filter: {e}")))?,
    };
    let trace_filter = EnvFilter::try_new(&settings.trace_filter)
        .map_err(|e| TelemetryError::Filter(format!("telemetry.trace_filter: {e}")))?;
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(trace_filter);
    let registry = tracing_subscriber::registry().with(otel);
    // Colours only for a person at a terminal: a redirected log (a file, a collector) gets
    // plain text, not escape codes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let _ = match settings.log_format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(ansi)
                    .with_filter(log_filter),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_filter(log_filter),
            )
            .try_init(),
    };
    Ok(TelemetryGuard { provider })
}

/// Logs and traces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// OTLP/gRPC endpoint (e.g. `http://otel-collector:4317`); traces are exported only if set.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// `text` for people, `json` for log collectors.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Which events are logged, as a `tracing` filter such as `info,vte_offers=debug`;
    /// `RUST_LOG` overrides it.
    #[serde(default = "default_log_filter")]
    pub log_filter: String,
    /// Which spans are traced (independent of the log filter).
    #[serde(default = "default_log_filter")]
    pub trace_filter: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            log_format: LogFormat::default(),
            log_filter: default_log_filter(),
            trace_filter: default_log_filter(),
        }
    }
}

fn default_log_filter() -> String {
    String::from("info")
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}
