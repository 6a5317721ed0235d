//! The offers service: companies' VTE offers, applications followed to a hire, placements and
//! Bpifrance label decisions (DESIGN.md sections 1, 2 and 5). [`Application`] is the whole
//! service; its binary and the embedded platform both start it through [`vte_service::Service`].
//!
//! - [`domain`]: the rules, pure; [`usecases`]: what the service does, whoever asks (load,
//!   check access, run the domain, save, append the events, commit), failing with [`Error`];
//! - [`store`]: PostgreSQL; [`mapping`]: proto <-> domain; `access`: who may do what;
//! - the callers of the use cases: `grpc` (the API), [`consumer`] (what the service takes from
//!   `vte.candidates.v1`) and [`sweeps`] (expiry).

mod access;
mod app;
pub mod config;
pub mod consumer;
pub mod domain;
mod error;
mod grpc;
pub mod mapping;
pub mod store;
pub mod sweeps;
pub mod usecases;

pub use app::{Application, MIGRATOR, migrations};
pub use config::OffersSettings;
pub use error::Error;
