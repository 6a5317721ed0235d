//! A data directory kept between runs of `vte up` (`--data-dir`) belongs to one run at a time:
//! [`DataDirLock`] holds an exclusive `flock` on `<dir>/vte.lock` (with the owner's pid in it)
//! for as long as the platform runs, and the kernel releases it however the process ends, so a
//! lock left by a killed run is never in the way. Once the lock is ours, a PostgreSQL server a
//! killed run left behind on the directory is stopped before ours starts ([`clear_orphans`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use rustix::fs::FlockOperation;
use rustix::process::{Pid, Signal};

/// How long a server left by a crashed run gets to stop (its own watcher stops it once its
/// owner is gone; a fast shutdown checkpoints first).
const ORPHAN_PATIENCE: Duration = Duration::from_secs(30);
/// How long to let that watcher act before asking the server to stop ourselves.
const WATCHER_GRACE: Duration = Duration::from_secs(2);

/// The exclusive right to run a platform on a data directory, released when dropped or when
/// the process ends.
#[derive(Debug)]
pub struct DataDirLock {
    /// The open, locked file: closing it releases the lock.
    _file: File,
    path: PathBuf,
}

/// Why a data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// Another running `vte up` holds it.
    #[error(
        "data directory {} is in use by vte up (pid {pid}); stop that one first, or give \
         another --data-dir",
        dir.display()
    )]
    InUse { dir: PathBuf, pid: String },
    /// A PostgreSQL server outside our control keeps running on it.
    #[error(
        "a PostgreSQL server (pid {pid}) left by an earlier run still runs on {} after {:?}; \
         stop it (`kill -INT {pid}`) and start again",
        dir.display(),
        ORPHAN_PATIENCE
    )]
    OrphanServer { dir: PathBuf, pid: i32 },
}

impl DataDirLock {
    /// Creates `dir` if needed and locks it, or says which process holds it.
    pub fn acquire(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("vte.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim().chars().take(20).collect::<String>();
                return Err(DataDirError::InUse {
                    dir: dir.to_owned(),
                    pid: if pid.is_empty() {
                        "unknown".into()
                    } else {
                        pid
                    },
                }
                .into());
            }
            Err(error) => {
                return Err(io::Error::from(error))
                    .with_context(|| format!("locking {}", path.display()));
            }
        }
        // Ours now: whatever pid the file names ran before and is gone.
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// With the lock held: makes sure no server of an earlier, crashed run still runs on the
/// cluster in `postgres_dir`, and that no lock file of a dead one is left. A live server of
/// ours (its pid runs `postgres` on this directory) is waited for, then asked to stop (fast
/// shutdown); a `postmaster.pid` naming a dead process, or a process that is not that server
/// (pids are reused after a reboot or in a container), is removed, since PostgreSQL refuses to
/// start while the pid it names is alive.
pub fn clear_orphans(postgres_dir: &Path) -> anyhow::Result<()> {
    let lock_file = postgres_dir.join("postmaster.pid");
    let Some(pid) = postmaster_pid(&lock_file) else {
        return Ok(());
    };
    if !is_server_of(pid, postgres_dir) {
        match fs::remove_file(&lock_file) {
            Ok(()) => tracing::info!(pid, "removed the lock file of a server that is gone"),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("removing {}", lock_file.display()));
            }
        }
        return Ok(());
    }
    println!("A PostgreSQL server left by an earlier run (pid {pid}) is stopping…");
    let started = Instant::now();
    let mut asked = false;
    while is_server_of(pid, postgres_dir) {
        if !asked && started.elapsed() > WATCHER_GRACE {
            // SIGINT: PostgreSQL's fast shutdown (sessions rolled back, a checkpoint, exit).
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, Signal::INT);
            }
            asked = true;
        }
        if started.elapsed() > ORPHAN_PATIENCE {
            return Err(DataDirError::OrphanServer {
                dir: postgres_dir.to_owned(),
                pid,
            }
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The pid on the first line of a `postmaster.pid`, if the file exists and has one.
fn postmaster_pid(lock_file: &Path) -> Option<i32> {
    let text = fs::read_to_string(lock_file).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Whether `pid` is alive and runs `postgres -D <postgres_dir>`.
fn is_server_of(pid: i32, postgres_dir: &Path) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let args: Vec<&[u8]> = cmdline.split(|byte| *byte == 0).collect();
    let runs_postgres = args
        .first()
        .is_some_and(|program| program.ends_with(b"postgres"));
    // The same directory however it was spelt (a symbolic link, `./`).
    let same_dir = |arg: &[u8]| {
        let arg = Path::new(std::ffi::OsStr::from_bytes(arg));
        match (fs::canonicalize(arg), fs::canonicalize(postgres_dir)) {
            (Ok(a), Ok(b)) => a == b,
            _ => arg == postgres_dir,
        }
    };
    runs_postgres
        && args
            .windows(2)
            .any(|pair| pair[0] == b"-D" && same_dir(pair[1]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_second_lock_on_a_directory_names_the_pid_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataDirLock::acquire(dir.path()).unwrap();
        let refused = DataDirLock::acquire(dir.path()).unwrap_err().to_string();
        assert_eq!(
            refused,
            format!(
                "data directory {} is in use by vte up (pid {}); stop that one first, or give \
                 another --data-dir",
                dir.path().display(),
                std::process::id()
            )
        );
        drop(held);
        DataDirLock::acquire(dir.path()).expect("free again once released");
    }

    #[test]
    fn a_lock_file_naming_a_process_that_is_not_our_server_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let lock_file = dir.path().join("postmaster.pid");
        // Our own pid: alive, but not a PostgreSQL server on this directory (a reused pid).
        fs::write(
            &lock_file,
            format!("{}\n{}\n", std::process::id(), dir.path().display()),
        )
        .unwrap();
        clear_orphans(dir.path()).unwrap();
        assert!(!lock_file.exists());
        clear_orphans(dir.path()).expect("nothing to clear");
    }
}
