//! `vte up` as people run it: the binary itself, its output read as a person reads it. A run
//! killed with kill -9 is followed at once, or 2 s later, by one on the same data directory that
//! starts; a second run on a directory in use says which process holds it; the demo is loaded
//! once per data directory; with `--port-offset` the banner's exports lead the client to the
//! platform; logs written to a pipe carry no colour codes.
//!
//! Ports: `--port-offset` 12000 and up puts gRPC at 62051+ and metrics at 21451+, both outside
//! Linux's ephemeral range (32768-60999), where no test's port-0 listener lands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt as _;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::process::{Child, Command};

/// A debug build starting PostgreSQL, four services and loading the demo takes its time.
const START_PATIENCE: Duration = Duration::from_secs(180);
/// The banner's last line: the platform is up (and the demo, if asked, loaded).
const READY: &str = "Stop with Ctrl-C.";

/// A running `vte up` and everything it printed so far.
struct Up {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Up {
    /// Starts `vte up` with `args`, logging every call (`RUST_LOG=info`) into a pipe.
    fn start(args: &[&str]) -> Self {
        Self::start_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
    }

    /// [`Up::start`] from the directory `cwd` (relative paths are read from there).
    fn start_in(cwd: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vte"))
            .current_dir(cwd)
            .arg("up")
            .arg("--rules-dir")
            .arg(vte_rules::repository_rules_dir())
            .arg("--reference-dir")
            .arg(vte_testbed::reference_dir())
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .env_remove("DATABASE_URL")
            .env_remove("KAFKA_BROKERS")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("vte up starts");
        let stdout = support::collect(child.stdout.take().unwrap());
        let stderr = support::collect(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
        }
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id().expect("still running")).unwrap()
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the banner says the platform is up; panics with everything printed if it
    /// exits or takes too long.
    async fn until_ready(&mut self) {
        let deadline = tokio::time::Instant::now() + START_PATIENCE;
        while !self.stdout().contains(READY) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "vte up exited ({status}) before it was ready:\n{}\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "vte up not ready after {START_PATIENCE:?}:\n{}\n{}",
                self.stdout(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ctrl-C, and the exit that follows (after draining, with a data directory).
    async fn stop(mut self) {
        let pid = rustix::process::Pid::from_raw(self.pid()).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("vte up stops within a minute of Ctrl-C")
            .unwrap();
        assert!(status.success(), "{status}:\n{}", self.stderr());
    }

    /// The value the banner's `export` line gives `name`.
    fn exported(&self, name: &str) -> String {
        support::exported(&self.stdout(), name)
    }
}

/// Runs the client binary with `env` (and none of the client's variables from outside).
async fn client(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vte"));
    for name in [
        "VTE_OFFERS_URL",
        "VTE_CANDIDATES_URL",
        "VTE_MATCHING_URL",
        "VTE_NOTIFICATIONS_URL",
        "VTE_KAFKA__BROKERS",
        "VTE_KAFKA__NAMESPACE",
        "VTE_TOKEN",
        "VTE_AUTH__HS256_SECRET",
    ] {
        command.env_remove(name);
    }
    command
        .args(args)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .output()
        .await
        .expect("vte runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_right_after_a_kill_9_or_2_s_later_starts_and_a_second_run_is_told_who_holds_the_directory()
 {
    let dir = support::data_dir();
    let path = dir.path().to_str().unwrap();
    let mut first = Up::start(&["--data-dir", path, "--port-offset", "12000"]);
    first.until_ready().await;

    // A second run on the same directory, other ports: refused at once, naming the holder.
    let second = Command::new(env!("CARGO_BIN_EXE_vte"))
        .args(["up", "--data-dir", path, "--port-offset", "12100"])
        .arg("--reference-dir")
        .arg(vte_testbed::reference_dir())
        .env_remove("DATABASE_URL")
        .env_remove("KAFKA_BROKERS")
        .output();
    let second = tokio::time::timeout(Duration::from_secs(30), second)
        .await
        .expect("refused at once, not after a timeout")
        .unwrap();
    assert!(!second.status.success());
    let said = text(&second.stderr);
    assert!(
        said.contains(&format!(
            "data directory {path} is in use by vte up (pid {})",
            first.pid()
        )),
        "{said}"
    );

    // kill -9 and a new run at once, while the dead run's PostgreSQL server still runs on the
    // directory (its lock file said "ready": the new server's port was refused).
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();
    let mut at_once = Up::start(&["--data-dir", path, "--port-offset", "12000"]);
    at_once.until_ready().await;

    // kill -9 again, and 2 s later a new run on the same directory.
    at_once.child.start_kill().unwrap();
    at_once.child.wait().await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut restarted = Up::start(&["--data-dir", path, "--port-offset", "12000"]);
    restarted.until_ready().await;
    assert!(
        restarted.stdout().contains("All four services are healthy"),
        "{}",
        restarted.stdout()
    );
    let lock = std::fs::read_to_string(Path::new(path).join("vte.lock")).unwrap();
    assert_eq!(lock.trim(), restarted.pid().to_string());
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_loaded_once_per_data_directory() {
    // As the README says it: `--data-dir .vte`, relative to where it runs.
    let dir = support::data_dir();
    let args = ["--demo", "--data-dir", ".vte", "--port-offset", "12200"];
    let mut first = Up::start_in(dir.path(), &args);
    first.until_ready().await;
    assert!(
        first
            .stdout()
            .contains("36 offers published by 6 companies"),
        "{}",
        first.stdout()
    );
    first.stop().await;

    let mut again = Up::start_in(dir.path(), &args);
    again.until_ready().await;
    let banner = again.stdout();
    assert!(
        banner.contains("demo data already loaded (36 offers of the demo companies are there)"),
        "{banner}"
    );
    assert!(!banner.contains("offers published by"), "{banner}");
    // Still 36 offers, each company's six.
    let offers_url = again.exported("VTE_OFFERS_URL");
    let connection = vte::cli::Connection {
        offers: offers_url,
        candidates: again.exported("VTE_CANDIDATES_URL"),
        matching: again.exported("VTE_MATCHING_URL"),
        notifications: again.exported("VTE_NOTIFICATIONS_URL"),
        token: None,
        secret: vte::platform::DEV_SECRET.to_owned(),
    };
    for (siren, name, _) in vte::demo::COMPANIES {
        let caller = vte_service::auth::Caller::Company {
            siren: vte_domain::Siren::parse(siren).unwrap(),
        };
        let mut offers =
            vte_proto::vte::offers::v1::offers_service_client::OffersServiceClient::new(
                connection
                    .channel(&connection.offers, &caller)
                    .await
                    .unwrap(),
            );
        let listed = offers
            .list_offers(vte_proto::vte::offers::v1::ListOffersRequest {
                company_siren: String::new(),
                statuses: vec![],
                page: Some(vte_proto::vte::common::v1::PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
            })
            .await
            .unwrap()
            .into_inner()
            .offers;
        assert_eq!(listed.len(), 6, "{name}'s offers");
    }
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_port_offset_the_banners_exports_lead_the_client_to_the_platform() {
    let mut up = Up::start(&["--port-offset", "12300"]);
    up.until_ready().await;
    let env: Vec<(&str, String)> = [
        "VTE_OFFERS_URL",
        "VTE_CANDIDATES_URL",
        "VTE_MATCHING_URL",
        "VTE_NOTIFICATIONS_URL",
        "VTE_KAFKA__BROKERS",
    ]
    .into_iter()
    .map(|name| (name, up.exported(name)))
    .collect();
    assert_eq!(env[0].1, "http://127.0.0.1:62351");
    assert_eq!(env[3].1, "http://127.0.0.1:62354");

    let listed = client(
        &["notifications", "--as", "company", "--siren", "732829320"],
        &env,
    )
    .await;
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert_eq!(text(&listed.stdout), "no notifications yet\n");
    let ranked = client(
        &[
            "rank",
            "offers",
            "0193a000-0000-7000-8000-0000000000c1",
            "--limit",
            "3",
        ],
        &env,
    )
    .await;
    // The platform answered (an unknown candidate is NotFound), not "cannot reach".
    let said = text(&ranked.stderr);
    assert!(!said.contains("cannot reach"), "{said}");
    assert!(said.contains("NotFound"), "{said}");
    let dead_letters = client(&["dlq", "list", "vte.offers.v1"], &env).await;
    assert!(
        dead_letters.status.success(),
        "{}",
        text(&dead_letters.stderr)
    );
    assert_eq!(
        text(&dead_letters.stdout),
        "vte.offers.v1.dlq: 0 dead letter(s)\n"
    );
    up.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let mut up = Up::start(&["--port-offset", "12400"]);
    up.until_ready().await;
    let printed = up.stdout();
    up.stop().await;
    assert!(
        printed.contains(" INFO "),
        "no log line at info:\n{printed}"
    );
    assert!(!printed.contains('\u{1b}'), "escape codes in:\n{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_root_a_data_directory_the_postgres_user_cannot_enter_is_named_as_the_problem() {
    // Mode 700, as `mktemp -d` makes it.
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let runs_as_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap();
    let data = private.path().join("vte");
    let mut up = Up::start(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--port-offset",
        "12600",
    ]);
    let status = tokio::time::timeout(Duration::from_secs(20), up.child.wait())
        .await
        .ok()
        .map(Result::unwrap);
    if runs_as_root {
        // Only root hands the cluster to another user; an ordinary user owns the directory.
        let status =
            status.unwrap_or_else(|| panic!("not refused:\n{}\n{}", up.stdout(), up.stderr()));
        assert!(!status.success());
        let said = up.stderr();
        assert!(
            said.contains("the `postgres` user, which must be able to enter the data directory"),
            "{said}"
        );
    } else {
        assert!(status.is_none(), "{}", up.stderr());
        up.stop().await;
    }
}
