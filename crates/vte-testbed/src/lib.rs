//! The test bed: real servers on loopback, started by the tests themselves.
//!
//! - [`TestDatabase`]: a fresh PostgreSQL database per test, in a private cluster started once
//!   per test process (or on the server named by `VTE_TEST_DATABASE_URL`).
//! - [`TestKafka`]: one embedded Kafka-protocol broker per test process (or the cluster named
//!   by `VTE_TEST_KAFKA_BROKERS`), topics and groups namespaced per test.
//! - [`TestService`]: a service started from its `Service` impl on a fresh database and a
//!   [`TestBroker`] namespace (the platform's topics created), serving before the test goes on,
//!   stopped when dropped; [`Tokens`] signs its callers' tokens, [`TopicReader`] reads back what
//!   it published, [`MemoryContacts`] stands in for the candidates service's contact directory.
//! - [`eventually`]: poll a condition with a deadline instead of sleeping.
//! - [`Rng`]: deterministic numbers for generated test and benchmark data; [`bench`]: what
//!   the benchmark binaries share.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bench;
mod broker;
mod contacts;
mod database;
mod kafka;
mod reader;
mod rng;
mod service;
mod tokens;

use std::future::Future;
use std::time::{Duration, Instant};

pub use broker::{PARTITIONS, TestBroker};
pub use contacts::MemoryContacts;
pub use database::TestDatabase;
pub use kafka::TestKafka;
pub use reader::{Record, TopicReader};
pub use rng::Rng;
pub use service::{ServiceBuilder, TestService};
pub use tokens::Tokens;

/// How long tests wait for a service's background work (relay, consumer, worker) by default.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The reference data directory the tests load: `$VTE_REFERENCE_DIR`, else `../shared/reference`
/// beside the workspace root (see `vte_reference::ReferenceData::default_dir`).
pub fn reference_dir() -> std::path::PathBuf {
    vte_reference::ReferenceData::default_dir()
}

/// Sends the code's tracing to the test's captured output (once per process); `RUST_LOG`
/// filters it, `warn` by default.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// Polls `check` every 20 ms until it returns `Some`, or panics with `what` after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < until,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
