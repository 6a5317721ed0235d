//! The matching service: ranks candidates for an offer and offers for a candidate, explained
//! (DESIGN.md sections 2 and 4). [`Application`] is the whole service; its binary and the
//! embedded platform both start it through [`vte_service::Service`].
//!
//! - [`domain`]: the rules, pure (models, filters, score components, their words);
//! - [`usecases`]: what the service does (rank, explain, apply an event, suggest), whoever
//!   asks; [`error`]: why one did not; `access`: who may ask what;
//! - [`index`]: the in-memory index ranking scans; [`follower`]: keeps it equal to the tables;
//! - [`store`]: the read model in PostgreSQL; [`mapping`]: proto <-> domain;
//! - `grpc`: the gRPC service over the use cases; [`consumer`]: the handlers of the offers,
//!   candidates and applications topics over the same use cases;
//! - [`impressions`]: every ranking shown and what became of its pairs, for the
//!   `impressions-report` command;
//! - [`spread`]: rankings shown re-ordered so that exposure spreads (heavily shown candidates,
//!   crowded offers lowered a little, and told why);
//! - [`config`]: the `matching` settings (weights, tolerance, suggestions, impressions, spread).

mod access;
mod app;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod error;
pub mod evaluation;
pub mod follower;
mod grpc;
pub mod impressions;
pub mod index;
pub mod mapping;
pub mod spread;
pub mod store;
pub mod usecases;

pub use app::{Application, MIGRATOR, migrations};
pub use config::MatchingSettings;
pub use error::Error;
