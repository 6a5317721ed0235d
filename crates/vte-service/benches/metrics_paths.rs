//! What calls to made-up paths do to `/metrics`, before and after the `method` label came from
//! a bounded set. Before: the layer labelled each call with its raw request path, which is what
//! recording the same calls straight into [`Metrics::observe_call`] under their paths does here
//! (the old layer's very call). After: a real server on loopback, called over HTTP/2 without a
//! token at random paths, its `/metrics` read over HTTP before and after.
//!
//! `cargo bench -p vte-service --bench metrics_paths -- --calls 10000 --path-bytes 100`

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use http::uri::PathAndQuery;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use vte_service::metrics::Metrics;
use vte_service::server::GrpcServer;
use vte_testbed::bench::arg;

/// A made-up path of about `bytes` bytes.
fn random_path(bytes: usize) -> String {
    let mut method = String::new();
    while method.len() < bytes {
        method.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    method.truncate(bytes.max(1));
    format!("/attack.{}.Service/{method}", uuid::Uuid::new_v4().simple())
}

async fn scrape(addr: std::net::SocketAddr) -> usize {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("metrics");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .expect("request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("response");
    response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(0, |end| response.len() - end - 4)
}

/// The process's resident memory (Linux), in bytes.
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<usize>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn mb(bytes: usize) -> String {
    format!("{:.3} MB ({bytes} B)", bytes as f64 / 1e6)
}

#[tokio::main]
async fn main() {
    let calls = arg("--calls", 10_000);
    let path_bytes = arg("--path-bytes", 100);

    // Before: each call a series under its raw path, as the old layer recorded it.
    let old = Metrics::new("bench");
    let empty = old.render().len();
    let memory = rss();
    let started = Instant::now();
    for _ in 0..calls {
        old.observe_call(&random_path(path_bytes), "12", Duration::from_micros(80));
    }
    let grown = old.render().len();
    println!(
        "before (raw path label): /metrics {} -> {} after {calls} calls ({:.1} s); \
         resident memory +{}",
        mb(empty),
        mb(grown),
        started.elapsed().as_secs_f64(),
        mb(rss().saturating_sub(memory))
    );
    drop(old);

    // After: a real server and its /metrics endpoint.
    let grpc = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let grpc_addr = grpc.local_addr().expect("addr");
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let metrics_addr = metrics_listener.local_addr().expect("addr");
    let metrics = Metrics::new("bench");
    let server = GrpcServer::new(grpc, metrics.clone());
    let stop = CancellationToken::new();
    tokio::spawn(metrics.serve(metrics_listener, stop.clone()));
    tokio::spawn(server.serve(stop.clone(), Duration::from_secs(1)));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc_addr}"))
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut client = tonic::client::Grpc::new(channel);
    let call = |client: &mut tonic::client::Grpc<_>, path: String| {
        let mut client = client.clone();
        async move {
            client.ready().await.expect("ready");
            let codec = tonic_prost::ProstCodec::<(), ()>::default();
            let path = PathAndQuery::try_from(path).expect("a path");
            client.unary(tonic::Request::new(()), path, codec).await
        }
    };
    // One call first, so that the `unknown` series exists in both readings.
    let refused = call(&mut client, random_path(path_bytes)).await;
    assert_eq!(
        refused.expect_err("made up").code(),
        tonic::Code::Unimplemented
    );
    let before = scrape(metrics_addr).await;
    let memory = rss();
    let started = Instant::now();
    for _ in 0..calls {
        let refused = call(&mut client, random_path(path_bytes)).await;
        assert_eq!(
            refused.expect_err("made up").code(),
            tonic::Code::Unimplemented
        );
    }
    let after = scrape(metrics_addr).await;
    println!(
        "after (matched method, else `unknown`): /metrics {} -> {} after {calls} calls \
         ({:.1} s); resident memory +{}",
        mb(before),
        mb(after),
        started.elapsed().as_secs_f64(),
        mb(rss().saturating_sub(memory))
    );
    stop.cancel();
}
