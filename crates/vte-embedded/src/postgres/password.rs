//! The superuser's password: made at random when the cluster is, kept beside the data directory
//! readable by this user only, given to `initdb` through a file the server's user can read, and
//! set in single-user mode on a cluster an earlier version made with trust authentication.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{PostgresBinaries, PostgresCluster, PostgresError, RunAs, SUPERUSER, as_user, io_err};

impl PostgresCluster {
    /// Where the superuser's password is kept: beside the data directory, like the log.
    fn password_path(&self) -> PathBuf {
        self.data_dir.with_extension("password")
    }

    /// The superuser's password: read from its file, or made and written (mode 0600).
    pub(super) fn superuser_password(&self) -> Result<String, PostgresError> {
        let path = self.password_path();
        if let Ok(password) = fs::read_to_string(&path) {
            let password = password.trim();
            if !password.is_empty() && password.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(password.to_owned());
            }
        }
        let mut random = [0u8; 24];
        fs::File::open("/dev/urandom")
            .and_then(|mut source| source.read_exact(&mut random))
            .map_err(io_err("reading /dev/urandom"))?;
        let password: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        write_private(&path, &password, None)?;
        Ok(password)
    }

    /// Whether the cluster lets anyone in without a password (made by an earlier version).
    pub(super) fn trusts_everyone(&self) -> bool {
        fs::read_to_string(self.data_dir.join("pg_hba.conf"))
            .map(|hba| hba.lines().any(|line| hba_method(line) == Some("trust")))
            .unwrap_or(false)
    }

    /// Sets the superuser's password in single-user mode and switches every `trust` line of
    /// `pg_hba.conf` to SCRAM-SHA-256.
    pub(super) fn require_password(
        &self,
        binaries: &PostgresBinaries,
        run_as: Option<RunAs>,
    ) -> Result<(), PostgresError> {
        use std::io::Write as _;
        let mut command = Command::new(&binaries.postgres);
        command
            .args(["--single", "-D"])
            .arg(&self.data_dir)
            .arg("postgres")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .current_dir("/");
        as_user(&mut command, run_as);
        let mut child = command
            .spawn()
            .map_err(io_err("starting PostgreSQL in single-user mode"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let statement = format!(
                "SET password_encryption = 'scram-sha-256';\nALTER USER {SUPERUSER} PASSWORD '{}';\n",
                self.password
            );
            stdin
                .write_all(statement.as_bytes())
                .map_err(io_err("setting the superuser's password"))?;
        }
        let output = child
            .wait_with_output()
            .map_err(io_err("setting the superuser's password"))?;
        if !output.status.success() {
            return Err(PostgresError::Start {
                log_tail: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        let hba_path = self.data_dir.join("pg_hba.conf");
        let hba = fs::read_to_string(&hba_path).map_err(io_err("reading pg_hba.conf"))?;
        let secured: String = hba
            .lines()
            .map(|line| match hba_method(line) {
                Some("trust") => format!(
                    "{}scram-sha-256\n",
                    line.trim_end().trim_end_matches("trust")
                ),
                _ => format!("{line}\n"),
            })
            .collect();
        let owner = run_as.map(|user| (user.uid, user.gid));
        write_private(&hba_path, &secured, owner)
    }
}

/// The authentication method of a `pg_hba.conf` line, `None` for comments and blank lines.
fn hba_method(line: &str) -> Option<&str> {
    let line = line.split('#').next().unwrap_or_default();
    let fields: Vec<&str> = line.split_whitespace().collect();
    // local DATABASE USER METHOD / host DATABASE USER ADDRESS METHOD (options never follow here).
    match fields.first().copied() {
        Some("local") => fields.get(3).copied(),
        Some(_) => fields.get(4).copied(),
        None => None,
    }
}

/// Writes `contents` to `path` readable by its owner only (`owner`: uid and gid to hand it to).
pub(super) fn write_private(
    path: &Path,
    contents: &str,
    owner: Option<(u32, u32)>,
) -> Result<(), PostgresError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let action = || format!("writing {}", path.display());
    let _ = fs::remove_file(path);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(action()))?;
    file.write_all(contents.as_bytes())
        .map_err(io_err(action()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io_err(action()))?;
    }
    Ok(())
}
