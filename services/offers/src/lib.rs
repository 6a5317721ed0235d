//! The offers service: companies' VTE offers, applications followed to a hire, placements and
//! Bpifrance label decisions (DESIGN.md sections 1, 2 and 5). [`Application`] is the whole
//! service; its binary and the embedded platform both start it through [`vte_service::Service`].
//!
//! - [`domain`]: the rules, pure; [`store`]: PostgreSQL; [`mapping`]: proto <-> domain;
//! - `api`: the gRPC adapter, `access`: who may do what; [`sweeps`]: expiry; [`consumer`]:
//!   what the service takes from `vte.candidates.v1`.

mod access;
mod api;
mod app;
pub mod consumer;
pub mod domain;
pub mod mapping;
pub mod store;
pub mod sweeps;

pub use app::{Application, MIGRATOR};
