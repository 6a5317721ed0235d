//! W3C trace context across process boundaries: `traceparent` and `tracestate` read from and
//! written to gRPC metadata (HTTP/2 headers) and Kafka record headers, so one business flow is
//! one trace. The propagator is a value, not a process-wide global.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The trace context of `span`, written through `injector`.
pub fn inject(span: &tracing::Span, injector: &mut dyn Injector) {
    TraceContextPropagator::new().inject_context(&span.context(), injector);
}

/// The remote parent context carried by `extractor` (empty when there is none).
pub fn extract(extractor: &dyn Extractor) -> Context {
    TraceContextPropagator::new().extract(extractor)
}

/// Makes `span` a child of the context carried by `extractor`, if any.
pub fn continue_trace(span: &tracing::Span, extractor: &dyn Extractor) {
    let parent = extract(extractor);
    use opentelemetry::trace::TraceContextExt;
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// The hex trace id of `span` (32 characters), for tests and log correlation.
pub fn trace_id(span: &tracing::Span) -> String {
    use opentelemetry::trace::TraceContextExt;
    span.context().span().span_context().trace_id().to_string()
}

/// Reads trace headers from HTTP (gRPC) headers.
#[derive(Debug)]
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes trace headers into gRPC request metadata (client side).
#[derive(Debug)]
pub struct MetadataInjector<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            value.parse(),
        ) {
            self.0.insert(key, value);
        }
    }
}
