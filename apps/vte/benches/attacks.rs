//! What the worst requests of issue 13 (items 1-3) cost the platform as `vte up` runs it (release
//! build, all four services in this one process): the process's resident memory (VmRSS, and
//! its high-water mark VmHWM) before and after each attack, the time to the error and the size
//! of the error the attacker gets back, and the size of offers' `/metrics` before and after
//! 10,000 unauthenticated calls to made-up paths. The baseline of every figure is the same
//! process just before the attack, in the same run.
//!
//! - a school's `PushProfilesBatch` of one row with a 100,000-character reference and 3,000
//!   empty mission-type weights (before the fix: a 301 MB reply, the process 144 → 662 MB);
//! - a school's streaming push of 200 such messages;
//! - `SearchOffers` with 100,000 unknown mission types (before: 27 MB of trailers) and with a
//!   3 MB region code (before: echoed whole);
//! - 10,000 calls without a token to random paths (before: `/metrics` grew to 404 MB after
//!   12,000): its size after the first 1,000 (the one `unknown` series exists) and after all.
//!
//! `cargo bench -p vte --bench attacks`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::str::FromStr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vte::cli::Authed;
use vte::platform::{Platform, PlatformOptions};
use vte_domain::SchoolId;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, MissionTypeWeight, Preferences, ProfileRow, PushProfilesBatchRequest,
    PushProfilesRequest,
};
use vte_proto::vte::common::v1::EducationLevel;
use vte_proto::vte::offers::v1::SearchOffersRequest;
use vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient;
use vte_service::auth::Caller;

fn authed(url: &str, caller: &Caller) -> Authed {
    vte::cli::authed(url, vte::platform::DEV_SECRET, caller).unwrap()
}

/// VmRSS and VmHWM of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The bytes of an error an attacker receives: its message and its details.
fn status_bytes(status: &tonic::Status) -> usize {
    status.message().len() + status.details().len()
}

fn poisoned_row() -> ProfileRow {
    ProfileRow {
        school_student_ref: "R".repeat(100_000),
        status: AcademicStatus::Graduate as i32,
        level: EducationLevel::Bac5 as i32,
        preferences: Some(Preferences {
            mission_type_weights: vec![MissionTypeWeight::default(); 3_000],
            ..Preferences::default()
        }),
        ..ProfileRow::default()
    }
}

struct Report {
    name: &'static str,
    outcome: String,
    reply_bytes: usize,
    elapsed: Duration,
    before: (f64, f64),
    after: (f64, f64),
}

impl Report {
    fn print(&self) {
        println!(
            "{:<44} {:<22} reply {:>9} B  in {:>8.1} ms  RSS {:>6.1} -> {:>6.1} MiB (+{:>5.1})  HWM {:>6.1} -> {:>6.1} MiB",
            self.name,
            self.outcome,
            self.reply_bytes,
            self.elapsed.as_secs_f64() * 1000.0,
            self.before.0,
            self.after.0,
            self.after.0 - self.before.0,
            self.before.1,
            self.after.1,
        );
    }
}

async fn attack<F, Fut>(name: &'static str, call: F) -> Report
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<usize, tonic::Status>>,
{
    let before = memory();
    let started = Instant::now();
    let result = call().await;
    let elapsed = started.elapsed();
    // Let freed buffers go back before reading the memory again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (outcome, reply_bytes) = match result {
        Ok(bytes) => (String::from("OK"), bytes),
        Err(status) => (format!("{:?}", status.code()), status_bytes(&status)),
    };
    Report {
        name,
        outcome,
        reply_bytes,
        elapsed,
        before,
        after: memory(),
    }
}

/// `GET /metrics` over plain HTTP/1.1: the body's size in bytes.
async fn metrics_size(addr: std::net::SocketAddr) -> usize {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let body_at = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(0, |at| at + 4);
    response.len() - body_at
}

/// One call without a token to a path no service defines.
async fn call_made_up_path(channel: tonic::transport::Channel, n: usize) {
    let mut grpc = tonic::client::Grpc::new(channel);
    if grpc.ready().await.is_err() {
        return;
    }
    let path = http::uri::PathAndQuery::from_str(&format!(
        "/attack.Made{:x}/Up{n}",
        n.wrapping_mul(2_654_435_761)
    ))
    .unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let _ = grpc.unary(tonic::Request::new(()), path, codec).await;
}

/// Calls made-up paths numbered `numbers`, 16 at a time.
async fn call_made_up_paths(channel: &tonic::transport::Channel, numbers: std::ops::Range<usize>) {
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let channel = channel.clone();
        let numbers = numbers.clone();
        tasks.spawn(async move {
            for n in numbers.skip(worker).step_by(16) {
                call_made_up_path(channel.clone(), n).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
    runtime.shutdown_timeout(Duration::from_secs(5));
}

async fn run() {
    let mut options = PlatformOptions::new(vte_reference::ReferenceData::default_dir());
    // Fixed ports, shifted away from a `vte up` that may be running: the endpoints then name
    // the metrics ports too (with any free port they name only the gRPC ones).
    options.port_offset = 7_000;
    let platform = Platform::start(options).await.expect("the platform starts");
    let endpoint = |name: &str| platform.endpoint(name).unwrap().clone();
    let school = Caller::School {
        school_id: SchoolId::new(),
    };
    let mut candidates =
        CandidatesServiceClient::new(authed(&endpoint("candidates").url(), &school))
            .max_decoding_message_size(usize::MAX);
    let mut offers = OffersServiceClient::new(authed(&endpoint("offers").url(), &Caller::Site))
        .max_decoding_message_size(usize::MAX);
    // Warm up: one ordinary search, so that the baseline holds the connections and pools.
    let _ = offers.search_offers(SearchOffersRequest::default()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = memory();
    println!(
        "platform up: RSS {:.1} MiB, HWM {:.1} MiB",
        start.0, start.1
    );

    let mut reports = Vec::new();
    let mut push = candidates.clone();
    reports.push(
        attack(
            "PushProfilesBatch: 100k-char ref, 3,000 weights",
            || async move {
                push.push_profiles_batch(PushProfilesBatchRequest {
                    school_id: String::new(),
                    rows: vec![poisoned_row()],
                })
                .await
                .map(|reply| prost::Message::encoded_len(reply.get_ref()))
            },
        )
        .await,
    );
    reports.push(
        attack("PushProfiles stream: 200 such messages", || async move {
            let messages = (0..200).map(|_| PushProfilesRequest {
                school_id: String::new(),
                rows: vec![poisoned_row()],
            });
            let mut replies = candidates
                .push_profiles(tokio_stream::iter(messages))
                .await?
                .into_inner();
            let mut bytes = 0;
            while let Some(reply) = replies.message().await? {
                bytes += prost::Message::encoded_len(&reply);
            }
            Ok(bytes)
        })
        .await,
    );
    let mut search = offers.clone();
    reports.push(
        attack(
            "SearchOffers: 100,000 unknown mission types",
            || async move {
                search
                    .search_offers(SearchOffersRequest {
                        mission_types: vec![99; 100_000],
                        ..SearchOffersRequest::default()
                    })
                    .await
                    .map(|reply| prost::Message::encoded_len(reply.get_ref()))
            },
        )
        .await,
    );
    reports.push(
        attack("SearchOffers: a 3 MB region code", || async move {
            offers
                .search_offers(SearchOffersRequest {
                    region_code: "9".repeat(3_000_000),
                    ..SearchOffersRequest::default()
                })
                .await
                .map(|reply| prost::Message::encoded_len(reply.get_ref()))
        })
        .await,
    );

    let offers_endpoint = endpoint("offers");
    let metrics_before = metrics_size(offers_endpoint.metrics).await;
    let channel = tonic::transport::Endpoint::from_shared(offers_endpoint.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let before = memory();
    let started = Instant::now();
    // The first thousand calls, then nine thousand more: the unknown paths make one series,
    // which the first call adds; the other 9,999 must not add any.
    call_made_up_paths(&channel, 0..1_000).await;
    let metrics_after_first = metrics_size(offers_endpoint.metrics).await;
    call_made_up_paths(&channel, 1_000..10_000).await;
    let elapsed = started.elapsed();
    let metrics_after = metrics_size(offers_endpoint.metrics).await;
    let after = memory();

    println!();
    for report in &reports {
        report.print();
    }
    println!(
        "{:<44} /metrics {metrics_before} B -> {metrics_after_first} B after 1,000 -> {metrics_after} B after 10,000 ({:.2}x the size after 1,000) in {:.1} s  RSS {:.1} -> {:.1} MiB (+{:.1})",
        "10,000 calls without a token to made-up paths",
        metrics_after as f64 / metrics_after_first as f64,
        elapsed.as_secs_f64(),
        before.0,
        after.0,
        after.0 - before.0,
    );
    let end = memory();
    println!(
        "\nover the whole run: RSS {:.1} -> {:.1} MiB (+{:.1}), HWM {:.1} MiB",
        start.0,
        end.0,
        end.0 - start.0,
        end.1
    );
    platform.stop(Duration::from_secs(5)).await.unwrap();
}
