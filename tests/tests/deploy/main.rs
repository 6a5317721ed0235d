//! The deployment files checked against the services they deploy: `docker-compose.yml` and
//! `deploy/k8s` are parsed, their images, binaries, ports, topics and start order compared with
//! what the service crates define, their environments loaded through the services' own
//! settings (a misspelt or unknown key fails), and the Kubernetes manifests validated against
//! the API's JSON schemas. Docker itself is not needed: `docker compose config` runs where it
//! is installed and is reported as skipped elsewhere. The alerts and Grafana dashboards name
//! only metrics the services export, and every alert is unit-tested (monitoring.rs).

#![allow(clippy::unwrap_used)]

mod compose;
mod dockerfile;
mod kubernetes;
mod manifests;
mod monitoring;
mod network;
mod promql;
mod schema;
mod support;
mod topics;
