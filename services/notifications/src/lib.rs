//! The notifications service: email, signed webhooks and in-app messages, reliably delivered.
//! See DESIGN.md section 2 for what it owns, produces and consumes. [`Application`] is the
//! whole service; its binary and the embedded platform both start it through
//! [`vte_service::Service`].

mod app;

pub use app::{Application, MIGRATOR};
