//! A private PostgreSQL cluster made with the machine's own server binaries: `initdb` into a
//! directory of ours, `postgres` on a loopback port, and a random password for the `postgres`
//! superuser (SCRAM-SHA-256), kept beside the data directory readable by this user only, so
//! other accounts of the machine cannot connect. PostgreSQL refuses to run as root, so a root
//! process hands the cluster to the unprivileged `postgres` system user. A watcher process
//! stops the server and removes a temporary cluster when this process exits, however it exits.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod password;
use password::write_private;

/// The superuser every cluster is created with.
const SUPERUSER: &str = "postgres";
/// How long a fresh server may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a fast shutdown may take before the server is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(15);

/// Why a cluster could not be made, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The server binaries are not on this machine.
    #[error(
        "PostgreSQL server binaries (initdb and postgres) were not found in $VTE_PG_BIN_DIR, \
         /usr/lib/postgresql/*/bin or PATH; install the server package (Debian or Ubuntu: \
         `apt-get install postgresql`, Fedora: `dnf install postgresql-server`, macOS: \
         `brew install postgresql@15`) or set VTE_PG_BIN_DIR to the directory holding initdb"
    )]
    BinariesMissing,
    /// Running as root without a user PostgreSQL agrees to run as.
    #[error(
        "PostgreSQL refuses to run as root and there is no `postgres` system user to run it as; \
         create one (the distribution's postgresql package does) or run as an ordinary user"
    )]
    NoUnprivilegedUser,
    /// `initdb` failed.
    #[error("initdb failed in {dir}: {output}")]
    Initdb { dir: PathBuf, output: String },
    /// The server stopped or never became ready.
    #[error("the PostgreSQL server did not start: {log_tail}")]
    Start { log_tail: String },
    /// A file-system or process error.
    #[error("{action}: {source}")]
    Io {
        action: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(action: impl Into<String>) -> impl FnOnce(io::Error) -> PostgresError {
    let action = action.into();
    move |source| PostgresError::Io { action, source }
}

/// How to make and run a cluster.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// The data directory to keep between runs; `None` makes a fresh temporary cluster that is
    /// removed when it stops or when this process exits.
    pub data_dir: Option<PathBuf>,
    /// The loopback port; `None` picks a free one.
    pub port: Option<u16>,
    /// Whether commits survive a machine crash (fsync and friends). Tests turn it off for speed.
    pub durable: bool,
    /// `max_connections` of the server.
    pub max_connections: u32,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            data_dir: None,
            port: None,
            durable: true,
            max_connections: 200,
        }
    }
}

impl PostgresOptions {
    /// A throw-away cluster tuned for tests: temporary, not durable, many connections.
    pub fn for_tests() -> Self {
        Self {
            durable: false,
            max_connections: 400,
            ..Self::default()
        }
    }
}

/// Where `initdb` and `postgres` are on this machine.
#[derive(Debug, Clone)]
pub struct PostgresBinaries {
    pub initdb: PathBuf,
    pub postgres: PathBuf,
}

/// Finds the server binaries: `$VTE_PG_BIN_DIR`, then the newest `/usr/lib/postgresql/*/bin`
/// (Debian's layout, not on PATH), then PATH.
pub fn find_postgres_binaries() -> Result<PostgresBinaries, PostgresError> {
    let in_dir = |dir: &Path| {
        let initdb = dir.join("initdb");
        let postgres = dir.join("postgres");
        (initdb.is_file() && postgres.is_file()).then_some(PostgresBinaries { initdb, postgres })
    };
    if let Some(dir) = std::env::var_os("VTE_PG_BIN_DIR") {
        return in_dir(Path::new(&dir)).ok_or(PostgresError::BinariesMissing);
    }
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort();
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    debian
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .chain(on_path)
        .find_map(|dir| in_dir(&dir))
        .ok_or(PostgresError::BinariesMissing)
}

/// The user the server runs as when this process is root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Reads the `postgres` user's ids from /etc/passwd.
fn unprivileged_user() -> Result<RunAs, PostgresError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_err("reading /etc/passwd"))?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && fields[0] == SUPERUSER).then(|| {
                Some(RunAs {
                    uid: fields[2].parse().ok()?,
                    gid: fields[3].parse().ok()?,
                })
            })?
        })
        .ok_or(PostgresError::NoUnprivilegedUser)
}

/// A running PostgreSQL server that this process started.
#[derive(Debug)]
pub struct PostgresCluster {
    data_dir: PathBuf,
    /// The temporary directory holding `data_dir`, removed on stop; `None` for a kept cluster.
    temporary_root: Option<PathBuf>,
    port: u16,
    /// The superuser's password (hex digits, safe in a URL).
    password: String,
    server: Option<Child>,
}

impl PostgresCluster {
    /// Creates (unless the data directory already holds one) and starts a cluster, and waits
    /// until it accepts connections.
    pub fn start(options: &PostgresOptions) -> Result<Self, PostgresError> {
        let binaries = find_postgres_binaries()?;
        let run_as = if running_as_root() {
            Some(unprivileged_user()?)
        } else {
            None
        };
        let (data_dir, temporary_root) = match &options.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let root = tempfile::Builder::new()
                    .prefix("vte-postgres-")
                    .tempdir()
                    .map_err(io_err("creating a temporary directory"))?
                    .keep();
                (root.join("data"), Some(root))
            }
        };
        let mut cluster = Self {
            data_dir,
            temporary_root,
            port: 0,
            password: String::new(),
            server: None,
        };
        cluster.prepare_directories(run_as)?;
        cluster.password = cluster.superuser_password()?;
        if !cluster.data_dir.join("PG_VERSION").is_file() {
            cluster.initdb(&binaries, run_as)?;
        } else if cluster.trusts_everyone() {
            // A cluster made before passwords were set: give the superuser its password while
            // the server is down (single-user mode), then require it.
            cluster.require_password(&binaries, run_as)?;
        }
        // A free port found by binding :0 can be taken before the server binds it: try again.
        let attempts = if options.port.is_some() { 1 } else { 5 };
        let mut last_error = None;
        for _ in 0..attempts {
            cluster.port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            match cluster.launch(&binaries, run_as, options) {
                Ok(()) => return Ok(cluster),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or(PostgresError::Start {
            log_tail: String::from("no attempt was made"),
        }))
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A connection URL for `database` as the superuser; it carries the password, so treat it
    /// as a secret.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// Stops the server (fast shutdown, then kill after a deadline) and removes a temporary
    /// cluster. Dropping the cluster does the same.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGINT is PostgreSQL's fast shutdown: roll back sessions, checkpoint, exit.
            let _ = Command::new("sh")
                .args(["-c", "kill -INT \"$0\"", &server.id().to_string()])
                .status();
            let deadline = Instant::now() + STOP_DEADLINE;
            while Instant::now() < deadline {
                if matches!(server.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = server.kill();
            let _ = server.wait();
        }
        if let Some(root) = self.temporary_root.take() {
            let _ = fs::remove_dir_all(root);
        }
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.with_extension("log")
    }

    fn prepare_directories(&self, run_as: Option<RunAs>) -> Result<(), PostgresError> {
        let data = &self.data_dir;
        fs::create_dir_all(data).map_err(io_err(format!("creating {}", data.display())))?;
        fs::set_permissions(data, fs::Permissions::from_mode(0o700))
            .map_err(io_err(format!("restricting {}", data.display())))?;
        if let Some(user) = run_as {
            let mut dirs = vec![data.as_path()];
            dirs.extend(self.temporary_root.as_deref());
            for dir in dirs {
                std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
                    .map_err(io_err(format!("handing {} to postgres", dir.display())))?;
            }
        }
        Ok(())
    }

    fn initdb(
        &self,
        binaries: &PostgresBinaries,
        run_as: Option<RunAs>,
    ) -> Result<(), PostgresError> {
        // initdb reads the password from a file the server's user can read; it is removed after.
        let pwfile = self.data_dir.with_extension("pwfile");
        write_private(
            &pwfile,
            &self.password,
            run_as.map(|user| (user.uid, user.gid)),
        )?;
        let mut command = Command::new(&binaries.initdb);
        command
            .arg("--pgdata")
            .arg(&self.data_dir)
            .args([
                "--username",
                SUPERUSER,
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["--locale", "C", "--no-sync", "--no-instructions"])
            .stdin(Stdio::null())
            .current_dir("/");
        as_user(&mut command, run_as);
        let output = command
            .output()
            .map_err(io_err(format!("running {}", binaries.initdb.display())));
        let _ = fs::remove_file(&pwfile);
        let output = output?;
        if output.status.success() {
            return Ok(());
        }
        Err(PostgresError::Initdb {
            dir: self.data_dir.clone(),
            output: String::from_utf8_lossy(&[output.stdout, output.stderr].concat()).into_owned(),
        })
    }

    fn launch(
        &mut self,
        binaries: &PostgresBinaries,
        run_as: Option<RunAs>,
        options: &PostgresOptions,
    ) -> Result<(), PostgresError> {
        let log_path = self.log_path();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_err(format!("opening {}", log_path.display())))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let stderr = log.try_clone().map_err(io_err("sharing the log file"))?;
        let durable = if options.durable { "on" } else { "off" };
        let mut command = Command::new(&binaries.postgres);
        command
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            // A login on loopback takes milliseconds; one abandoned halfway through its
            // password exchange (a client runtime shut down meanwhile) would otherwise hold its
            // database for the default minute, and a test's DROP DATABASE with it.
            .args(["-c", "authentication_timeout=5s"])
            .args([
                "-c",
                &format!("max_connections={}", options.max_connections),
            ])
            .args(["-c", &format!("fsync={durable}")])
            .args(["-c", &format!("synchronous_commit={durable}")])
            .args(["-c", &format!("full_page_writes={durable}")])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .current_dir("/")
            // Its own process group: a Ctrl-C meant for us reaches it through the watcher.
            .process_group(0);
        as_user(&mut command, run_as);
        let server = command
            .spawn()
            .map_err(io_err(format!("starting {}", binaries.postgres.display())))?;
        let pid = server.id();
        self.server = Some(server);
        self.spawn_watcher(pid)?;
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if self.is_ready() {
                return Ok(());
            }
            let exited = !matches!(self.server.as_mut().map(Child::try_wait), Some(Ok(None)));
            if exited || Instant::now() > deadline {
                if let Some(mut server) = self.server.take() {
                    let _ = server.kill();
                    let _ = server.wait();
                }
                return Err(PostgresError::Start {
                    log_tail: read_from(&log_path, log_start),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The eighth line of `postmaster.pid` reads `ready` once the server accepts connections;
    /// its first line must be our server's pid: a file left by another server on the same
    /// directory (still running, or killed) says nothing of ours, which will refuse to start.
    fn is_ready(&self) -> bool {
        let Some(pid) = self.server.as_ref().map(Child::id) else {
            return false;
        };
        fs::read_to_string(self.data_dir.join("postmaster.pid"))
            .map(|pid_file| {
                let mut lines = pid_file.lines();
                lines.next().is_some_and(|s| s.trim() == pid.to_string())
                    && lines.nth(6).is_some_and(|s| s.trim() == "ready")
            })
            .unwrap_or(false)
    }

    /// Starts a detached shell that, once this process is gone, stops the server and removes a
    /// temporary cluster: statics are never dropped, and a test process may be killed.
    fn spawn_watcher(&self, server_pid: u32) -> Result<(), PostgresError> {
        const WATCHER: &str = r#"
            parent=$1; server=$2; remove=$3
            while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
            kill -INT "$server" 2>/dev/null
            i=0
            while kill -0 "$server" 2>/dev/null && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i+1)); done
            kill -KILL "$server" 2>/dev/null
            if [ -n "$remove" ]; then rm -rf "$remove"; fi
        "#;
        let remove = self
            .temporary_root
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        Command::new("sh")
            .args(["-c", WATCHER, "vte-postgres-watcher"])
            .arg(std::process::id().to_string())
            .arg(server_pid.to_string())
            .arg(remove)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(io_err("starting the PostgreSQL watcher"))?;
        Ok(())
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn as_user(command: &mut Command, run_as: Option<RunAs>) {
    if let Some(user) = run_as {
        command.uid(user.uid).gid(user.gid).env("HOME", "/");
    }
}

fn free_port() -> Result<u16, PostgresError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(io_err("finding a free loopback port"))
}

/// What the server logged since `offset`, at most the last 4 KiB.
fn read_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(path) {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(offset.max(len.saturating_sub(4096))));
        let _ = file.read_to_string(&mut text);
    }
    if text.trim().is_empty() {
        String::from("(the server logged nothing)")
    } else {
        text
    }
}
