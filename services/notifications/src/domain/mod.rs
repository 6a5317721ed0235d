//! The notifications domain, free of gRPC, SQL and Kafka: who receives what
//! ([`Recipient`], [`Kind`] and each role's audience), over which [`Channel`] and at which
//! [`Cadence`], the French text of each notification ([`compose`]), what a webhook payload may
//! carry of a fact ([`payload`]), and the retry schedule of a failed delivery ([`backoff`]).

pub mod backoff;
pub mod compose;
pub mod payload;
mod recipient;

pub use backoff::Backoff;
pub use compose::{Draft, OfferFacts, Subject};
pub use recipient::{Cadence, Channel, DeliveryStatus, Kind, Recipient, RecipientRole};
