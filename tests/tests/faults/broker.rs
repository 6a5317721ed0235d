//! The fault suite's own Apache Kafka: one KRaft node started by `scripts/kafka/start` in a
//! directory of this test's, killed with -9 and started again on the same log directory and
//! ports by `scripts/kafka/restart`, and stopped (its directory removed) by `scripts/kafka/stop`
//! when dropped. Its watchdog watches this test process, so a killed test run leaves no broker.
//! A broker of its own, never the run's shared `VTE_TEST_KAFKA_BROKERS`: the suite kills it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The repository's root (the tests' package is `tests/` in it).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies in the repository")
        .to_owned()
}

/// Whether a Java runtime is on PATH: without one no Apache Kafka can run here.
pub fn java_is_installed() -> bool {
    Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A running (or killed) Apache Kafka broker of this test.
#[derive(Debug)]
pub struct Broker {
    dir: PathBuf,
    brokers: String,
}

impl Broker {
    /// Provisions (once per machine) and starts a broker in a fresh directory.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("vte-faults-kafka-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).expect("cannot create the broker's directory");
        let brokers = script(
            "start",
            &[dir.to_str().unwrap(), &std::process::id().to_string()],
        );
        Self { dir, brokers }
    }

    /// The bootstrap address, the same across restarts.
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    /// Kills the broker's JVM with SIGKILL and waits until it is gone.
    pub fn kill(&self) {
        let pid = std::fs::read_to_string(self.dir.join("pid")).expect("the broker's pid file");
        let pid = pid.trim();
        let killed = Command::new("kill").args(["-KILL", pid]).status();
        assert!(killed.is_ok_and(|s| s.success()), "cannot kill the broker");
        let until = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() {
            assert!(Instant::now() < until, "the killed broker is still there");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the killed broker again on its log directory and ports; returns once it answers.
    pub fn restart(&self) -> Duration {
        let started = Instant::now();
        let brokers = script("restart", &[self.dir.to_str().unwrap()]);
        assert_eq!(
            brokers, self.brokers,
            "the broker came back on another port"
        );
        started.elapsed()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = Command::new(repository().join("scripts/kafka/stop"))
            .arg(&self.dir)
            .status();
    }
}

/// Runs `scripts/kafka/<name>` and returns what it printed, or panics with what it said.
fn script(name: &str, args: &[&str]) -> String {
    let output = Command::new(repository().join("scripts/kafka").join(name))
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run scripts/kafka/{name}: {error}"));
    assert!(
        output.status.success(),
        "scripts/kafka/{name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
