//! Why a use case of the notifications service refused or failed: one enum naming each
//! situation. It reaches a gRPC client through `grpc::status` and the consumer runner through
//! `consumer` (one mapping each); internal failures carry their source, logged once there.

use uuid::Uuid;
use vte_domain::{FieldError, FieldErrors, InvalidValue};
use vte_events::outbox::OutboxError;

use crate::store::StoreError;
use crate::store::webhooks::MAX_PER_OWNER;

/// A refused or failed use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the request breaks a rule (the first one found is named).
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The caller names a recipient other than itself.
    #[error("a recipient reads and changes only their own notifications")]
    NotTheirs,
    /// The caller's role has no notifications (the website, the platform's services).
    #[error("only companies, schools, candidates, Bpifrance and operators have notifications")]
    NoNotifications,
    /// A request about the caller's own notifications from a caller that has none.
    #[error("this caller has no notifications of its own")]
    NoOwnNotifications,
    /// A company or a candidate tried to register a webhook.
    #[error("only schools and Bpifrance register webhooks")]
    NoWebhooks,
    /// The owner already has [`MAX_PER_OWNER`] live webhooks.
    #[error("an owner has at most {MAX_PER_OWNER} webhooks: delete one first")]
    TooManyWebhooks,
    /// A notification named is not one of the caller's in-app notifications.
    #[error("no notification {0} of yours")]
    NotificationNotFound(Uuid),
    /// The webhook named is not the caller's (or no longer live, where that matters).
    #[error("no webhook of yours with this id")]
    WebhookNotFound,
    /// An operator named a webhook that was never registered.
    #[error("no webhook with this id")]
    UnknownWebhook,
    /// The database failed, or holds data the domain refuses.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be appended to the outbox.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The system gave no randomness to make a webhook's secret.
    #[error("no randomness for a secret: {0}")]
    NoRandomness(getrandom::Error),
}

impl Error {
    /// The request's `field` breaks `rule`.
    pub fn invalid(field: impl Into<String>, rule: impl std::fmt::Display) -> Self {
        Self::from(InvalidValue::new(rule.to_string()).at(field))
    }

    /// Whether the error is the service's own failure rather than a refusal of the request.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Store(_) | Self::Outbox(_) | Self::NoRandomness(_)
        )
    }
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Self::Invalid(error.into())
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}
