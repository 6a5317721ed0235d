//! How notifications leave the service: [`email`] over SMTP (lettre), signed [`webhook`] POSTs
//! to the public [`address`]es only, and the [`contacts`] lookup that gives a candidate's
//! address at delivery time. In-app notifications need no channel: they are delivered by being
//! written.

pub mod address;
pub mod contacts;
pub mod email;
pub mod webhook;
