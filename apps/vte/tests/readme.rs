//! The README's figures about `vte up` are the ones it runs with: each service's gRPC and
//! metrics ports, the partitions of the topics it creates, how long it waits to drain, and the
//! demo data set's counts. Read from the code's constants, so a change on either side shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vte::demo::{COMPANIES, OFFERS, SCHOOLS, STUDENTS_PER_SCHOOL};
use vte::platform::{DRAIN_PATIENCE, PARTITIONS, SERVICES};

/// The README with its line breaks and repeated spaces folded, so wrapping does not matter.
fn readme() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(&path)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_readme_states_the_ports_partitions_and_demo_counts_vte_up_runs_with() {
    let readme = readme();
    assert_eq!(SERVICES.len(), 4);
    assert!(readme.contains("starts the four services"));
    for (service, _) in SERVICES {
        // The service's row, and the first addresses after its name: its gRPC and metrics.
        let name = format!("| `{}` |", service.name);
        let row = &readme[readme
            .find(&name)
            .unwrap_or_else(|| panic!("no row for {} in the services table", service.name))..];
        let ports = format!(
            "`127.0.0.1:{}` | `127.0.0.1:{}/metrics` |",
            service.grpc_port, service.metrics_port
        );
        let first_address = row.find("`127.0.0.1:").unwrap();
        assert!(
            row[first_address..].starts_with(&ports),
            "{}: {}",
            service.name,
            &row[..first_address + ports.len()]
        );
    }

    let created = vte_events::Topics::default().platform(PARTITIONS);
    let dead_letter_partitions = created
        .iter()
        .find(|(topic, _)| topic.ends_with(".dlq"))
        .unwrap()
        .1;
    assert!(
        readme.contains(&format!(
            "embedded Kafka-protocol broker ({PARTITIONS} partitions per topic, \
             {dead_letter_partitions} per dead-letter topic"
        )),
        "the embedded broker's partitions"
    );
    assert!(readme.contains(&format!("(`vte up`: {PARTITIONS} partitions)")));
    assert!(readme.contains(&format!("created with {PARTITIONS} partitions there too")));
    assert!(readme.contains(&format!(
        "waits (up to {} s) for its outboxes and consumers to drain",
        DRAIN_PATIENCE.as_secs()
    )));
    let relay = vte_events::relay::RelayOptions::default();
    assert!(readme.contains(&format!(
        "holds a topic back while a partition has more than {} records or {} MiB unread",
        thousands(relay.max_unconsumed_records),
        relay.max_unconsumed_bytes / (1024 * 1024)
    )));

    assert!(
        readme.contains(&format!(
            "`--demo` loads {} schools, {} students",
            SCHOOLS.len(),
            SCHOOLS.len() * STUDENTS_PER_SCHOOL
        )),
        "the demo's schools and students"
    );
    assert!(
        readme.contains(&format!(
            "and {OFFERS} offers from {} companies ({} each), two thirds of them",
            COMPANIES.len(),
            OFFERS / COMPANIES.len()
        )),
        "the demo's offers and companies"
    );
}

/// `20000` as the README writes it: `20,000`.
fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
