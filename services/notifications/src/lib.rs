//! The notifications service: email, signed webhooks and in-app messages, reliably delivered
//! (DESIGN.md section 2). [`Application`] is the whole service; its binary and the embedded
//! platform both start it through [`vte_service::Service`].
//!
//! - [`usecases`]: what the service does (the in-app list, preferences, webhooks and their
//!   dead letters, notifying, reminding, erasing), free of gRPC and Kafka, refusing with
//!   [`Error`]; [`access`]: who may act on whose notifications;
//! - `grpc`: the gRPC adapter over the use cases, and the one mapping of [`Error`] to a status;
//! - [`consumer`]: facts from five topics become notifications for the right recipients;
//! - [`worker`]: sends due deliveries over [`channels`] (SMTP, signed webhooks, the contact
//!   directory) with retries, dead letters and daily digests; [`reminders`]: the reminder sweep;
//! - [`store`]: notifications, deliveries (the durable queue and the delivery log),
//!   preferences, webhooks and the facts kept from events;
//! - [`domain`]: recipients, kinds, the French texts, the backoff; [`mapping`]: proto <->
//!   domain; [`config`]: the service's own settings.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod access;
mod app;
pub mod channels;
pub mod config;
pub mod consumer;
pub mod domain;
pub mod error;
mod grpc;
pub mod mapping;
pub mod reminders;
pub mod store;
pub mod usecases;
pub mod worker;

pub use app::{Application, MIGRATOR, migrations};
pub use config::NotificationsSettings;
pub use error::Error;
