//! Why a use case of the offers service did not do what it was asked: one enum naming each
//! situation, whoever called (the gRPC adapter, the consumer, the sweeps). `grpc::status` maps
//! it once to a `tonic::Status`; the consumer maps it once to a `HandlerError`.

use vte_domain::FieldErrors;
use vte_events::outbox::OutboxError;
use vte_service::contacts::LookupFailed;

use crate::domain::{DeclineError, DomainError, InvitationRefusal};
use crate::store::{StoreError, UniqueRule};

/// A use case that did not complete. Whatever its transaction wrote is rolled back.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields of the request break rules; every one is listed (`INVALID_ARGUMENT`).
    #[error("invalid request: {0}")]
    Invalid(FieldErrors),
    /// The caller's role must name who it acts for, in `field`, and did not
    /// (`INVALID_ARGUMENT`, said in the message only).
    #[error("{field}: {rule}")]
    TargetNotNamed {
        /// The request field to fill.
        field: &'static str,
        /// Who must fill it.
        rule: &'static str,
    },
    /// No such thing, or none this caller may know of (`NOT_FOUND`).
    #[error("no {0} with this id")]
    NotFound(&'static str),
    /// The caller may not do this; says which rule, never whose data (`PERMISSION_DENIED`).
    #[error("{0}")]
    Denied(&'static str),
    /// The candidate was erased: nothing is done for them any more (`FAILED_PRECONDITION`).
    #[error("this candidate has been erased")]
    CandidateErased,
    /// Someone other than the candidate applied for them while the candidate does not consent
    /// (as far as the candidates service last said): contact data is disclosed to a company only
    /// with the candidate's consent or their own application (`FAILED_PRECONDITION`).
    #[error(
        "the candidate does not consent to be put in touch with companies now: \
         a school or an operator applies for a candidate only while they consent; \
         the candidate may apply themself"
    )]
    ConsentRequired,
    /// The candidate's profile (status, level, graduation date, contracts sought) has not
    /// reached this service yet, so the scheme's eligibility cannot be judged
    /// (`FAILED_PRECONDITION`; it arrives within moments of a push: retry).
    #[error(
        "the candidate's profile has not reached the offers service yet: the scheme's \
         eligibility (level, graduation date, contract sought) cannot be checked; retry shortly"
    )]
    ProfileNotKnown,
    /// The domain refused the change; its kind says how (bad input, state, role, a bug).
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// An invitation to apply cannot be sent or answered: already there, no consent, a limit
    /// against spam, no longer pending (`grpc::status` maps each to its code).
    #[error(transparent)]
    Invitation(#[from] InvitationRefusal),
    /// Someone else changed the row since it was read (`ABORTED`): read again and retry.
    #[error("changed by someone else meanwhile: read it again and retry")]
    ConcurrentChange,
    /// A unique rule of the schema refused the row (`ALREADY_EXISTS`).
    #[error("refused as a duplicate: {0}")]
    Duplicate(UniqueRule),
    /// The candidates service cannot give the candidate's contact data now (`UNAVAILABLE`).
    #[error("the candidate's contact data cannot be read right now: retry shortly")]
    ContactsUnavailable(#[source] LookupFailed),
    /// The database failed, or a stored row no longer fits the domain (`INTERNAL`).
    #[error(transparent)]
    Store(StoreError),
    /// An event could not be appended to the outbox (`INTERNAL`).
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

impl From<StoreError> for Error {
    /// A lost race and a duplicate are the caller's to handle; the rest is the service's.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConcurrentChange => Self::ConcurrentChange,
            StoreError::Duplicate { rule } => Self::Duplicate(rule),
            other => Self::Store(other),
        }
    }
}

impl From<DeclineError> for Error {
    fn from(error: DeclineError) -> Self {
        match error {
            DeclineError::Invalid(errors) => Self::Invalid(errors),
            DeclineError::Refused(refusal) => Self::Invitation(refusal),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl Error {
    /// Whether PostgreSQL aborted the transaction to break a lock conflict: a serialization
    /// failure (SQLSTATE 40001) or a deadlock (40P01). Running the use case again from the start
    /// succeeds or meets the rules' own refusal.
    pub(crate) fn is_lock_conflict(&self) -> bool {
        let database = match self {
            Self::Store(StoreError::Database(error)) => error,
            Self::Outbox(OutboxError::Database(error)) => error,
            _ => return false,
        };
        matches!(
            database,
            sqlx::Error::Database(error)
                if matches!(error.code().as_deref(), Some("40001" | "40P01"))
        )
    }

    /// `INVALID_ARGUMENT` for one field.
    pub(crate) fn invalid_field(field: &str, rule: vte_domain::InvalidValue) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(rule.at(field));
        Self::Invalid(errors)
    }
}
