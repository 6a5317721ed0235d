//! The candidates service: student profiles pushed by schools, consent, preferences, contact
//! data and erasure. See DESIGN.md section 2 for what it owns, produces and consumes.
//!
//! - [`domain`]: the rules (profiles, pushes, preferences, consent, labels, erasures);
//! - [`mapping`]: rows and requests decoded, profiles and events encoded;
//! - [`store`]: the tables, with bulk writes for pushes;
//! - [`access`]: who may see and change what;
//! - `api`: the gRPC service; [`consumer`]: labels from `vte.placements.v1`.
//!
//! [`Application`] is the whole service; its binary and the embedded platform both start it
//! through [`vte_service::Service`].

pub mod access;
mod api;
mod app;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod mapping;
pub mod store;

pub use api::{CandidatesApi, DEFAULT_TERMS_VERSION};
pub use app::{Application, MIGRATOR};
