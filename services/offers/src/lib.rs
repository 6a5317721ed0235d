//! The offers service: companies' VTE offers, applications followed to a hire, placements and Bpifrance label decisions.
//! See DESIGN.md section 2 for what it owns, produces and consumes. [`Application`] is the
//! whole service; its binary and the embedded platform both start it through
//! [`vte_service::Service`].

mod access;
mod api;
mod app;
pub mod domain;
pub mod mapping;
pub mod store;

pub use app::{Application, MIGRATOR};
pub mod consumer;
pub mod sweeps;
