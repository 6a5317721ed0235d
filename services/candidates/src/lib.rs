//! The candidates service: student profiles pushed by schools, consent, preferences, contact
//! data and erasure. See DESIGN.md section 2 for what it owns, produces and consumes.
//!
//! - [`usecases`]: what the service does, whoever asks ([`Candidates`]), failing with one
//!   [`Error`]; [`access`]: who may see and change what;
//! - [`domain`]: the rules (profiles, pushes, preferences, consent, labels, erasures);
//! - [`store`]: the tables, with bulk writes for pushes;
//! - [`mapping`]: rows and requests decoded, profiles and events encoded;
//! - `grpc`: the gRPC adapter over the use cases; [`consumer`]: labels from
//!   `vte.placements.v1`, through the same use cases; [`sweeps`]: the retention sweep,
//!   retiring idle graduates past the recency window, through them too.
//!
//! [`Application`] is the whole service; its binary and the embedded platform both start it
//! through [`vte_service::Service`].

pub mod access;
mod app;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod error;
mod grpc;
pub mod mapping;
pub mod store;
pub mod sweeps;
pub mod usecases;

pub use app::{Application, MIGRATOR};
pub use config::DEFAULT_TERMS_VERSION;
pub use error::Error;
pub use grpc::CandidatesApi;
pub use usecases::Candidates;
