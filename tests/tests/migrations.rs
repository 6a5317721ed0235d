//! The event backbone's tables are defined once, in `crates/vte-events/migrations` (and the
//! erasure piece's in `crates/vte-service/migrations/erasure`): a service that copied them into
//! its own migrations would drift from the original, so this fails on any copy and on any
//! service migration numbered in the backbone's range.

#![allow(clippy::unwrap_used)]

use std::path::Path;

const BACKBONE_TABLES: [&str; 3] = ["outbox", "processed_events", "erasure_confirmations"];

#[test]
fn no_service_carries_a_copy_of_the_backbone_migration() {
    // At run time: a build cache shared between checkouts keeps compile-time paths.
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("..");
    for service in ["offers", "candidates", "matching", "notifications"] {
        let dir = root.join("services").join(service).join("migrations");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|ext| ext != "sql") {
                continue;
            }
            let sql = std::fs::read_to_string(&path).unwrap().to_lowercase();
            for table in BACKBONE_TABLES {
                assert!(
                    !sql.contains(&format!("create table {table}"))
                        && !sql.contains(&format!("create table if not exists {table}")),
                    "{} defines {table}: the backbone migration is applied from vte-events, \
                     never copied",
                    path.display()
                );
            }
            let version: i64 = path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .split('_')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                version >= vte_events::migrations::FIRST_SERVICE_VERSION,
                "{}: service migrations are numbered from 1000",
                path.display()
            );
        }
    }
}

#[test]
fn every_service_migrator_starts_with_the_backbone() {
    for migrator in [
        &vte_offers::MIGRATOR,
        &vte_candidates::MIGRATOR,
        &vte_matching::MIGRATOR,
        &vte_notifications::MIGRATOR,
    ] {
        let merged = vte_events::migrations::with_service(migrator);
        let first = merged.iter().next().unwrap();
        let backbone = vte_events::migrations::BACKBONE.iter().next().unwrap();
        assert_eq!(first.version, backbone.version);
        assert_eq!(first.checksum, backbone.checksum);
    }
}
