//! What the notifications service's tests share: a real SMTP server and a real HTTP endpoint on
//! loopback, the service started on its own database and broker with a client per role, and
//! the facts other services would publish.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod events;
pub mod harness;
pub mod http;
pub mod platform;
pub mod smtp;
pub mod traces;
