//! The candidates service: student profiles pushed by schools, consent, preferences, contact data and erasure.
//! See DESIGN.md section 2 for what it owns, produces and consumes. [`Application`] is the
//! whole service; its binary and the embedded platform both start it through
//! [`vte_service::Service`].

mod app;

pub use app::{Application, MIGRATOR};
