//! The server the Python latency benchmark (`benches/grpc-latency/`) calls: the gRPC server
//! every service runs (its layers, limits and auth interceptor) with the identity service
//! mounted and `/metrics` beside it, on loopback, without a database. It prints one line,
//! `grpc=<addr> metrics=<addr> token=<development token>`, then serves until its standard input
//! closes.
//!
//! `--work-us N` makes each call await N microseconds before answering, as a handler awaits its
//! database: while it waits, the connection's task answers the client's HTTP/2 PING on its own,
//! so the reply is a second small write, the one Nagle's algorithm holds back until the client
//! acknowledges the first (which Linux clients delay by up to 40 ms).
//!
//! `--reply-bytes N` pads each reply's subject to N bytes, the size of a page of offers (16 kB):
//! a reply that large leaves in more than one write.
//!
//! `cargo run --release -p vte-service --example latency_server -- [--nodelay false]
//! [--work-us 500] [--reply-bytes 16000]`

#![allow(clippy::print_stdout)] // its one line on stdout is how the benchmark finds it

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use vte_proto::vte::identity::v1::identity_service_server::{
    IdentityService, IdentityServiceServer,
};
use vte_proto::vte::identity::v1::{WhoAmIRequest, WhoAmIResponse};
use vte_service::auth::{Authenticator, Caller, Claims, sign_hs256};
use vte_service::identity::IdentityApi;
use vte_service::metrics::Metrics;
use vte_service::server::GrpcServer;
use vte_service::settings::{AuthSettings, ServerSettings};

const SECRET: &str = "latency-bench-development-secret";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.windows(2)
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1].clone())
    };
    let nodelay = arg("--nodelay").is_none_or(|value| value != "false");
    let work = Duration::from_micros(arg("--work-us").map_or(Ok(0), |value| value.parse())?);
    let reply_bytes = arg("--reply-bytes").map_or(Ok(0), |value| value.parse())?;
    let server: ServerSettings = serde_json::from_value(serde_json::json!({
        "grpc_addr": "127.0.0.1:0",
        "metrics_addr": "127.0.0.1:0",
        "tcp_nodelay": nodelay,
    }))?;
    let auth: AuthSettings = serde_json::from_value(serde_json::json!({
        "development": true,
        "hs256_secret": SECRET,
    }))?;
    let authenticator = Authenticator::from_settings(&auth)?;
    let grpc_listener = TcpListener::bind(server.grpc_addr).await?;
    let metrics_listener = TcpListener::bind(server.metrics_addr).await?;
    let metrics = Metrics::new("latency");
    let token = sign_hs256(
        SECRET,
        &Claims::new(&Caller::Admin, "bench", chrono::Duration::minutes(30)),
    )?;
    println!(
        "grpc={} metrics={} token={token}",
        grpc_listener.local_addr()?,
        metrics_listener.local_addr()?
    );
    let mut grpc = GrpcServer::with_settings(grpc_listener, metrics.clone(), &server)?;
    grpc.add_service(IdentityServiceServer::with_interceptor(
        Working { work, reply_bytes },
        authenticator.interceptor(),
    ));
    let stop = CancellationToken::new();
    tokio::spawn(metrics.serve(metrics_listener, stop.clone()));
    let serving = tokio::spawn(grpc.serve(stop.clone(), Duration::from_secs(1)));
    // Serve until the benchmark closes our standard input (or exits).
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
        .await??;
    stop.cancel();
    serving.await??;
    Ok(())
}

/// The identity service, after awaiting `work` the way a handler awaits its database, with
/// its reply's subject padded to `reply_bytes`.
#[derive(Debug, Clone, Copy)]
struct Working {
    work: Duration,
    reply_bytes: usize,
}

#[tonic::async_trait]
impl IdentityService for Working {
    async fn who_am_i(
        &self,
        request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        if !self.work.is_zero() {
            let until = std::time::Instant::now() + self.work;
            // A timer is coarser than the work asked for: yield until it is done instead.
            while std::time::Instant::now() < until {
                tokio::task::yield_now().await;
            }
        }
        let mut reply = IdentityApi.who_am_i(request).await?;
        let subject = &mut reply.get_mut().subject;
        let padding = self.reply_bytes.saturating_sub(subject.len());
        subject.extend(std::iter::repeat_n('x', padding));
        Ok(reply)
    }
}
