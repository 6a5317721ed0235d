//! Logs and traces for every VTE process, shared by the gRPC host and the event backbone:
//! [`init`] installs the one `tracing` subscriber (text or JSON lines, an OpenTelemetry tracer,
//! OTLP export when configured), and [`propagation`] carries W3C trace context through gRPC
//! metadata and Kafka headers so one business flow is one trace.

pub mod propagation;
mod subscriber;

pub use subscriber::{LogFormat, TelemetryError, TelemetryGuard, TelemetrySettings, init};
