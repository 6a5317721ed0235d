//! The notifications service: email, signed webhooks and in-app messages, reliably delivered
//! (DESIGN.md section 2). [`Application`] is the whole service; its binary and the embedded
//! platform both start it through [`vte_service::Service`].
//!
//! - [`consumer`]: facts from five topics become notifications for the right recipients;
//! - [`store`]: notifications, deliveries (the durable queue and the delivery log),
//!   preferences, webhooks and the facts kept from events;
//! - [`worker`]: sends due deliveries over [`channels`] (SMTP, signed webhooks) with retries,
//!   dead letters and daily digests; [`reminders`]: the unanswered-application reminder;
//! - [`domain`]: recipients, kinds, the French texts, the backoff; [`mapping`]: proto <->
//!   domain; `api`: the gRPC adapter; [`config`]: the service's own settings.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod api;
mod app;
pub mod channels;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod mapping;
pub mod reminders;
pub mod store;
pub mod worker;

pub use app::{Application, MIGRATOR};
pub use config::NotificationsSettings;
