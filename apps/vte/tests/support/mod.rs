//! What the tests running the real `vte up` binary share (`up.rs`, `crash.rs`): its output
//! gathered as it comes, a data directory PostgreSQL may enter, and the banner's exports.

#![allow(dead_code, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};

/// Everything `stream` prints, gathered as it comes.
pub fn collect(stream: impl AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

/// A data directory the PostgreSQL server may enter when the tests run as root (it then runs
/// as the `postgres` user).
pub fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The value the banner's `export` line (in `stdout`) gives `name`.
pub fn exported(stdout: &str, name: &str) -> String {
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("export "))
        .unwrap_or_else(|| panic!("no export line in:\n{stdout}"));
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not exported: {line}"))
        .to_owned()
}
