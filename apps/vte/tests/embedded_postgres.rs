//! The embedded PostgreSQL cluster `vte up` runs is started only when its own server is ready:
//! another server running on the same data directory (a crashed run's, still up) has a lock file
//! that says "ready", and a second start must fail naming the lock, not return a cluster whose
//! port nobody listens on ("connection refused" later).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;

use vte_embedded::{PostgresCluster, PostgresError, PostgresOptions};

#[test]
fn a_second_server_on_a_data_directory_in_use_fails_instead_of_passing_for_ready() {
    let root = tempfile::tempdir().unwrap();
    // The server runs as the `postgres` user when the tests run as root.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = PostgresOptions {
        data_dir: Some(root.path().join("postgres")),
        ..PostgresOptions::for_tests()
    };
    let running = PostgresCluster::start(&options).expect("the first server starts");

    let second = PostgresCluster::start(&PostgresOptions {
        port: Some(free_port()),
        ..options.clone()
    });
    match second {
        Err(PostgresError::Start { log_tail }) => {
            assert!(log_tail.contains("postmaster.pid"), "{log_tail}");
        }
        Err(other) => panic!("another error: {other}"),
        Ok(cluster) => panic!(
            "a second server passed for started on port {} while the first holds the directory",
            cluster.port()
        ),
    }
    // The first one is untouched.
    assert!(std::net::TcpStream::connect(("127.0.0.1", running.port())).is_ok());
    running.stop();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
