//! The webhook client never goes through a proxy, whatever `HTTP_PROXY`, `HTTPS_PROXY` or
//! `ALL_PROXY` say: a proxy inside the platform's network would reach what the address filter
//! refuses. The environment is read once per process, so the test runs itself again in a child
//! process whose environment names a proxy, and checks the proxy was never called.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::time::Duration;

use support::http::Endpoint;
use uuid::Uuid;
use vte_notifications::channels::webhook::WebhookSender;
use vte_notifications::store::deliveries::{Attempt, Endpoint as Target};

/// Set in the child process: the test's own run, under a proxy environment.
const CHILD: &str = "VTE_WEBHOOK_PROXY_CHILD";

#[test]
fn a_webhook_ignores_the_proxy_the_environment_names() {
    if std::env::var_os(CHILD).is_some() {
        return send_under_a_proxy_environment();
    }
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "a_webhook_ignores_the_proxy_the_environment_names",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for variable in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        child.env(variable, &proxy_url);
    }
    let status = child.status().unwrap();
    assert!(status.success(), "the child's sends failed: {status}");
    proxy.set_nonblocking(true).unwrap();
    let connected = proxy.accept();
    assert!(
        connected.is_err(),
        "the webhook client connected to the proxy of the environment"
    );
}

fn send_under_a_proxy_environment() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let endpoint = Endpoint::start().await;
        let sender = WebhookSender::new(Duration::from_secs(3), true).unwrap();
        let target = Target {
            id: Uuid::nil(),
            url: endpoint.url(),
            secret: "secret".to_owned(),
        };
        let attempt = sender.send(&target, Uuid::now_v7(), b"{}".to_vec()).await;
        assert!(
            matches!(attempt, Attempt::Delivered { http_status: 200 }),
            "{attempt:?}"
        );
        assert_eq!(endpoint.delivered().len(), 1, "straight to the endpoint");
        // An address outside: through a proxy it would reach the proxy, directly it fails (or
        // succeeds) on its own, never through the proxy.
        let outside = Target {
            url: "http://93.184.215.14/hook".to_owned(),
            ..target
        };
        sender.send(&outside, Uuid::now_v7(), b"{}".to_vec()).await;
    });
}
