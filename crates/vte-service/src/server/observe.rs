//! The layer every call passes through: one span per call (continuing the caller's W3C trace),
//! the server's time limit, the codes gRPC gives undecodable and oversized requests, and the
//! call's status and latency in the metrics, under the name of the method it reached: a
//! bounded set read from the compiled descriptors, with one `unknown` series for every other
//! path, so made-up paths cannot grow the metrics.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use prost::Message as _;
use tracing::Instrument;

use super::UNKNOWN_METHOD;
use crate::metrics::Metrics;
use vte_telemetry::propagation::{HeaderExtractor, continue_trace};

/// The methods of the mounted services, by request path: a bounded set read from the compiled
/// descriptor sets, so metric labels and span names never come from the caller.
#[derive(Debug, Default)]
pub(super) struct Methods {
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
    pub(super) fn of(mounted: &[&str]) -> Self {
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
pub(super) struct ObserveLayer {
    pub(super) metrics: Metrics,
    pub(super) methods: Arc<Methods>,
    pub(super) request_timeout: Duration,
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
pub(super) struct Observe<S> {
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
