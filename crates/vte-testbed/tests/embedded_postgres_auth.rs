//! The embedded PostgreSQL cluster (what `vte up` and the test bed run) asks for a password:
//! another account of the machine reaching its loopback port cannot get in, the password is
//! kept readable by its owner only, and a cluster made by an earlier version (trust
//! authentication) is switched to passwords when it starts again.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use sqlx::{Connection, PgConnection};
use vte_embedded::{PostgresCluster, PostgresOptions};

fn kept_cluster(dir: &std::path::Path) -> PostgresOptions {
    PostgresOptions {
        data_dir: Some(dir.join("data")),
        ..PostgresOptions::for_tests()
    }
}

fn without_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (credentials, host) = rest.split_once('@').unwrap();
    let user = credentials.split(':').next().unwrap();
    format!("{scheme}://{user}@{host}")
}

async fn connects(url: &str) -> bool {
    PgConnection::connect(url).await.is_ok()
}

fn scratch_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // When the tests run as root the server runs as `postgres`, which must reach the data dir.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[tokio::test]
async fn the_superuser_needs_the_password_kept_beside_the_data_directory() {
    let dir = scratch_dir();
    let cluster = PostgresCluster::start(&kept_cluster(dir.path())).unwrap();
    let url = cluster.url("postgres");

    assert!(connects(&url).await, "the cluster's own URL connects");
    assert!(
        !connects(&without_password(&url)).await,
        "no password, no connection"
    );
    let wrong = url.replacen("postgres:", "postgres:0000", 1);
    assert!(!connects(&wrong).await, "a wrong password is refused");

    let password_file = dir.path().join("data.password");
    let mode = std::fs::metadata(&password_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "the password file is private: {mode:o}");
    cluster.stop();

    // The same data directory starts again with the same password.
    let again = PostgresCluster::start(&kept_cluster(dir.path())).unwrap();
    assert_eq!(
        again.url("postgres").split('@').next(),
        url.split('@').next()
    );
    assert!(connects(&again.url("postgres")).await);
}

#[tokio::test]
async fn a_cluster_made_with_trust_authentication_gets_a_password_when_it_starts_again() {
    let dir = scratch_dir();
    let cluster = PostgresCluster::start(&kept_cluster(dir.path())).unwrap();
    cluster.stop();
    // What an earlier version left: every line trusted and no password file.
    let hba = dir.path().join("data/pg_hba.conf");
    let trusting = std::fs::read_to_string(&hba)
        .unwrap()
        .replace("scram-sha-256", "trust");
    std::fs::write(&hba, trusting).unwrap();
    std::fs::remove_file(dir.path().join("data.password")).unwrap();

    let cluster = PostgresCluster::start(&kept_cluster(dir.path())).unwrap();
    let url = cluster.url("postgres");
    assert!(connects(&url).await);
    assert!(!connects(&without_password(&url)).await);
    let hba = std::fs::read_to_string(&hba).unwrap();
    assert!(
        !hba.lines()
            .any(|line| !line.trim_start().starts_with('#') && line.contains("trust")),
        "no line trusts anyone any more:\n{hba}"
    );
}
