//! One service as its own process: its real binary (`vte-offers`, `vte-candidates`,
//! `vte-matching`, `vte-notifications`), configured as in production through `VTE_*` variables
//! only (`vte_service::Settings::figment`: `VTE_<SECTION>__<KEY>`, the service's own section as
//! `VTE_<SERVICE>__<KEY>`), its output appended to a log file the test shows on failure. It can be
//! killed with SIGKILL, stopped with SIGTERM, and started again with the same settings and ports.
//!
//! The binaries are those `cargo build` put beside this test's executable (`target/<profile>/`):
//! the suite runs `cargo build -p vte-offers -p vte-candidates -p vte-matching
//! -p vte-notifications --bins` once before its first test (a no-op when they are fresh), so
//! they are never older than the code under test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tonic::transport::Endpoint;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::broker::repository;

/// The four services.
pub const SERVICES: [&str; 4] = ["offers", "candidates", "matching", "notifications"];

/// The directory holding the services' binaries, built (or found fresh) once per test process.
fn binaries() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test's executable");
        // target/<profile>/deps/faults-<hash>
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from target/<profile>/deps")
            .to_owned();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.current_dir(repository()).args(["build", "--bins"]);
        for service in SERVICES {
            build.args(["-p", &format!("vte-{service}")]);
        }
        if dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        let target = dir.parent().expect("target/<profile>").to_owned();
        let status = build
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("cannot run cargo build");
        assert!(status.success(), "cargo build of the four services failed");
        dir
    })
}

/// A loopback address free right now.
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

/// What the services log: `VTE_FAULTS_LOG` (a tracing filter), `warn` by default.
fn log_filter() -> String {
    std::env::var("VTE_FAULTS_LOG").unwrap_or_else(|_| "warn".to_owned())
}

/// A service process and how to start it again.
#[derive(Debug)]
pub struct Process {
    /// `offers`, `candidates`, `matching` or `notifications`.
    pub name: &'static str,
    /// Where its gRPC server listens (the same after every restart).
    pub grpc: SocketAddr,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    /// A process of service `name` listening on `grpc`, with these `VTE_*` variables (and
    /// nothing else of the test's environment but PATH, HOME and RUST_LOG), logging to `log`.
    /// Not started yet.
    pub fn new(
        name: &'static str,
        grpc: SocketAddr,
        env: Vec<(String, String)>,
        log: PathBuf,
    ) -> Self {
        Self {
            name,
            grpc,
            env,
            log,
            child: None,
        }
    }

    /// Starts the process (without waiting for it to serve).
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let binary = binaries().join(format!("vte-{}", self.name));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("cannot open the service's log");
        let mut command = Command::new(&binary);
        command
            .current_dir(repository())
            .env_clear()
            .envs(
                ["PATH", "HOME"]
                    .iter()
                    .filter_map(|k| Some((*k, std::env::var(k).ok()?))),
            )
            .env("VTE_TELEMETRY__LOG_FILTER", log_filter())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a second handle on the log"))
            .stderr(log);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        self.child = Some(child);
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the process to stop (SIGTERM) and waits for it to exit, at most `within`.
    pub fn terminate(&mut self, within: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Ok(Some(status)) = child.try_wait() {
                assert!(status.success(), "{} stopped with {status}", self.name);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} did not stop within {within:?} of SIGTERM", self.name);
    }

    /// Panics (showing the log's tail) if the process exited.
    pub fn assert_alive(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            panic!("{} exited with {status}:\n{}", self.name, self.log_tail());
        }
    }

    /// The last lines of the process's log.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until the process's gRPC health says SERVING; returns how long that took.
    pub async fn wait_serving(&mut self, within: Duration) -> Duration {
        let started = Instant::now();
        let channel = Endpoint::from_shared(format!("http://{}", self.grpc))
            .expect("a loopback URL")
            .connect_timeout(Duration::from_secs(1))
            .connect_lazy();
        let mut health = HealthClient::new(channel);
        loop {
            self.assert_alive();
            let check = health.check(HealthCheckRequest {
                service: String::new(),
            });
            if let Ok(Ok(answer)) = tokio::time::timeout(Duration::from_secs(2), check).await
                && answer.into_inner().status == ServingStatus::Serving as i32
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "{} was not serving {within:?} after it started:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
