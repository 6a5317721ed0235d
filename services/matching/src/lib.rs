//! The matching service: ranks candidates for an offer and offers for a candidate, explained
//! (DESIGN.md sections 2 and 4). [`Application`] is the whole service; its binary and the
//! embedded platform both start it through [`vte_service::Service`].
//!
//! - [`domain`]: the rules, pure (models, filters, score components, their words);
//! - [`index`]: the in-memory index ranking scans; [`follower`]: keeps it equal to the tables;
//! - [`store`]: the read model in PostgreSQL; [`mapping`]: proto <-> domain;
//! - [`consumer`]: what the service takes from the offers, candidates and applications topics,
//!   and the suggestions it publishes; `api` and `access`: the gRPC service and who may call it;
//! - [`config`]: the `matching` settings (weights, tolerance, suggestions).

mod access;
mod api;
mod app;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod follower;
pub mod index;
pub mod mapping;
pub mod store;

pub use app::{Application, MIGRATOR};
pub use config::MatchingSettings;
