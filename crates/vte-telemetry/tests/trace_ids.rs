//! Every span gets a W3C trace id once the subscriber is installed, with or without an exporter.

#![allow(clippy::unwrap_used)]

use vte_telemetry::propagation::trace_id;

#[test]
fn a_span_has_a_trace_id_and_its_children_share_it() {
    // Logs quieter than the spans: tracing must not depend on what is logged.
    let quiet = vte_telemetry::TelemetrySettings {
        log_filter: "error".into(),
        ..Default::default()
    };
    let _guard = vte_telemetry::init("trace-ids", &quiet).unwrap();
    let parent = tracing::info_span!("parent");
    let parent_trace = trace_id(&parent);
    assert_ne!(parent_trace, "0".repeat(32));
    let child = parent.in_scope(|| tracing::info_span!("child"));
    assert_eq!(trace_id(&child), parent_trace);
}
