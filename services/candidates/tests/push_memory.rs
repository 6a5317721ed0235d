//! The memory a school's worst push costs (issue 13, item 1, measured): the issue's attack (one
//! row with a 100,000-character reference and 3,000 empty weights, 106 kB), the same row
//! filling a whole 4 MiB request, and 4 MiB of empty rows are answered at once with a small
//! refusal, and the process's resident memory grows by less than 20 MB (the first grew it by
//! 518 MB before, the last held 1.5 GB). Alone in its file, so
//! that no other test shares the process being measured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use prost::Message;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use vte_candidates::Application;
use vte_domain::SchoolId;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    MissionTypeWeight, PushProfilesBatchRequest, PushProfilesBatchResponse,
};
use vte_service::auth::Caller;
use vte_testbed::TestService;

use common::{graduate, preferences};

/// A figure of the process's memory from `/proc/self/status`, in bytes (Linux).
fn memory(figure: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(figure))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap();
    kb * 1024
}

/// Resident memory now.
fn resident() -> u64 {
    memory("VmRSS:")
}

/// The highest resident memory since the last [`reset_peak`].
fn peak() -> u64 {
    memory("VmHWM:")
}

fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// One row with a `ref_chars`-character reference and `weights` empty weights.
fn attack(ref_chars: usize, weights: usize) -> PushProfilesBatchRequest {
    let mut row = graduate("A");
    row.school_student_ref = "x".repeat(ref_chars);
    let mut preferences = preferences();
    preferences.mission_type_weights = vec![MissionTypeWeight::default(); weights];
    row.preferences = Some(preferences);
    PushProfilesBatchRequest {
        school_id: String::new(),
        rows: vec![row],
    }
}

/// A message of nothing: an empty `ProfileRow` on the wire, taking no memory in the client.
#[derive(Clone, PartialEq, prost::Message)]
struct Nothing {}

/// A `PushProfilesBatchRequest` of empty rows, built without a row in memory.
#[derive(Clone, PartialEq, prost::Message)]
struct EmptyRows {
    #[prost(message, repeated, tag = "2")]
    rows: Vec<Nothing>,
}

fn client(service: &TestService) -> common::Client {
    let token = service.bearer(Some(&Caller::School {
        school_id: SchoolId::new(),
    }));
    CandidatesServiceClient::with_interceptor(service.channel(), token)
}

/// Sends each request and checks it is answered `within` with a small reply or refusal; the
/// resident memory grown meanwhile, in bytes.
async fn grown_by(
    service: &TestService,
    name: &str,
    requests: Vec<PushProfilesBatchRequest>,
    within: Duration,
) -> u64 {
    let client = client(service);
    let before = resident();
    reset_peak();
    for request in requests {
        let size = request.encoded_len();
        let started = Instant::now();
        let answer = client.clone().push_profiles_batch(request).await;
        let took = started.elapsed();
        let answered = match &answer {
            Ok(reply) => reply.get_ref().encoded_len(),
            Err(status) => status.message().len() + status.details().len(),
        };
        assert!(took < within, "{name}: {took:?}");
        assert!(answered < 4 * 1024, "{name}: {answered}");
        eprintln!(
            "{name} request ({size} bytes): {:?} in {took:?}, answer {answered} bytes",
            answer.map(|_| ()).map_err(|status| status.code())
        );
    }
    let after = resident();
    eprintln!(
        "{name}: resident memory {} MB before, {} MB after, peak {} MB",
        before / 1_000_000,
        after / 1_000_000,
        peak() / 1_000_000
    );
    after.saturating_sub(before)
}

/// Sends `count` empty rows in one batch, encoded on the fly.
async fn empty_rows(service: &TestService, count: usize) -> Status {
    let token = service.bearer(Some(&Caller::School {
        school_id: SchoolId::new(),
    }));
    let mut grpc = tonic::client::Grpc::new(InterceptedService::new(service.channel(), token))
        .max_decoding_message_size(1024 * 1024);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<EmptyRows, PushProfilesBatchResponse>::default();
    let request = tonic::Request::new(EmptyRows {
        rows: vec![Nothing {}; count],
    });
    let path = "/vte.candidates.v1.CandidatesService/PushProfilesBatch"
        .parse()
        .unwrap();
    grpc.unary(request, path, codec).await.unwrap_err()
}

#[tokio::test]
async fn the_worst_pushes_are_answered_at_once_and_grow_memory_by_less_than_20_mb() {
    let service = TestService::start::<Application>(common::SECRET).await;
    // Warm up the connection, the pool and the allocator with a valid push first.
    let warm = client(&service)
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![graduate("W")],
        })
        .await
        .unwrap();
    assert_eq!(
        warm.into_inner().summary.unwrap().counts.unwrap().created,
        1
    );

    // Two bytes a row: the largest request the service decodes (4 MiB) less a margin. Its
    // bytes are held while it is read (by this client, the transport and the check of its
    // frame), its rows never decoded (384 bytes each: 1.5 GB before).
    let before = resident();
    reset_peak();
    let started = Instant::now();
    let refused = empty_rows(&service, 2_000_000).await;
    let (took, after, high) = (started.elapsed(), resident(), peak());
    eprintln!(
        "2,000,000 empty rows: {:?} in {took:?}; resident memory {} MB before, {} MB after, \
         peak {} MB",
        refused.code(),
        before / 1_000_000,
        after / 1_000_000,
        high / 1_000_000
    );
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "invalid request: rows: at most 1000 rows per batch, got 2000000"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(after.saturating_sub(before) < 20_000_000);
    assert!(
        high.saturating_sub(before) < 64_000_000,
        "peak {high} bytes"
    );

    let issue = vec![attack(100_000, 3_000); 20];
    let grown = grown_by(&service, "106 kB", issue, Duration::from_secs(2)).await;
    assert!(
        grown < 20_000_000,
        "the issue's attack grew memory by {grown} bytes"
    );
    // Two bytes an empty weight, as above; the decoded weights take 16 MB while it is read.
    let whole = vec![attack(100_000, 1_990_000); 3];
    assert!(whole[0].encoded_len() < 4 * 1024 * 1024);
    let grown = grown_by(&service, "4 MiB", whole, Duration::from_secs(5)).await;
    assert!(
        grown < 20_000_000,
        "a 4 MiB attack grew memory by {grown} bytes"
    );
}
