//! Why a use case of the candidates service refused or failed: one enum naming each situation.
//! The gRPC adapter maps it to a status in one place (`grpc::status`), the placements consumer
//! to a retry or a dead letter in one place ([`crate::consumer`]). Messages name fields and
//! rules, never a person's data.

use std::fmt;

use vte_domain::{FieldError, FieldErrors, InvalidValue};
use vte_events::outbox::OutboxError;

use crate::store::StoreError;

/// A refused or failed use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields of the request break rules; every one is listed.
    #[error("invalid request: {0}")]
    Invalid(FieldErrors),
    /// What the request names does not exist (or no longer: erased).
    #[error("{0}")]
    NotFound(Missing),
    /// The caller may not do this; the rule is named, never whose data it is.
    #[error("{0}")]
    PermissionDenied(&'static str),
    /// The caller read an older revision of the profile than the one stored.
    #[error("expected_revision: the profile is at revision {actual}, not {expected}")]
    StaleRevision {
        /// The revision the caller expected.
        expected: u64,
        /// The profile's revision.
        actual: u64,
    },
    /// Someone else changed the profile between its read and its write.
    #[error("changed by someone else meanwhile: read it again and retry")]
    ConcurrentChange,
    /// The school's quota of new profiles (and so of consent emails) would be passed.
    #[error("{0}")]
    QuotaExceeded(crate::domain::quota::QuotaExceeded),
    /// The database failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
    /// An event could not be appended to the outbox.
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    /// The store did not hold what this service had just written (a bug).
    #[error("inconsistent store: {0}")]
    Inconsistent(&'static str),
}

impl Error {
    /// `field` breaks `rule`.
    pub fn invalid(field: &str, rule: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self::Invalid(InvalidValue::new(rule).at(field).into())
    }

    /// True for a failure of the service itself (database, outbox, a bug), which the caller
    /// cannot fix and may retry; false for a refusal of the request.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Store(_) | Self::Outbox(_) | Self::Inconsistent(_)
        )
    }
}

/// What a request named and the store does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// A profile, by id or by its school's reference.
    Profile,
    /// An erasure, by candidate or by id.
    Erasure,
    /// A candidate's erasure, which a service confirms.
    ErasureOfCandidate,
    /// A candidate's contact data.
    Contact,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Profile => "no profile with this id (unknown or erased)",
            Self::Erasure => "no erasure for this candidate or id",
            Self::ErasureOfCandidate => "no erasure for this candidate",
            Self::Contact => "no contact data for this candidate (unknown or erased)",
        })
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Self::Invalid(error.into())
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConcurrentChange => Self::ConcurrentChange,
            other => Self::Store(other),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}
