//! The one place an [`Error`] becomes a gRPC status: `INVALID_ARGUMENT` lists every
//! `field: rule` in its message and as `google.rpc.BadRequest` details; `NOT_FOUND`,
//! `PERMISSION_DENIED`, `FAILED_PRECONDITION`, `ABORTED` and `RESOURCE_EXHAUSTED` (a school's
//! quota) say why; a failure of the service
//! itself is logged once here and answered as an opaque `INTERNAL`.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::quota::QuotaExceeded;
use crate::error::Error;
use vte_events::outbox::OutboxError;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match &error {
            _ if vte_service::database::is_unavailable(&error) => {
                vte_service::database::unavailable(&error)
            }
            Error::Invalid(errors) => vte_wire::status::invalid_status(errors),
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            Error::StaleRevision { .. } => Status::failed_precondition(error.to_string()),
            Error::ConcurrentChange => Status::aborted(error.to_string()),
            Error::QuotaExceeded(exceeded) => quota_exceeded(exceeded),
            Error::Outbox(too_large @ OutboxError::TooLarge { .. }) => {
                // The request's content made the event too large: sending it again cannot help,
                // sending less can (INVALID_ARGUMENT, not RESOURCE_EXHAUSTED, which reads as
                // "retry later").
                Status::invalid_argument(format!(
                    "the request is too large to publish: {too_large}"
                ))
            }
            Error::Store(_) | Error::Outbox(_) | Error::Inconsistent(_) => {
                tracing::error!(%error, "candidates service failure");
                Status::internal("internal error")
            }
        }
    }
}

/// `RESOURCE_EXHAUSTED` saying which limit, how much of it is used and when it resets, in the
/// message and as `google.rpc.QuotaFailure` and `google.rpc.RetryInfo` details.
fn quota_exceeded(exceeded: &QuotaExceeded) -> Status {
    let mut details = ErrorDetails::new();
    details.add_quota_failure_violation(
        format!("new_profiles_per_school_per_{}", exceeded.period),
        exceeded.to_string(),
    );
    let wait = (exceeded.resets_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    details.set_retry_info(Some(wait));
    Status::with_error_details(Code::ResourceExhausted, exceeded.to_string(), details)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::Missing;
    use crate::store::StoreError;
    use tonic::Code;
    use vte_domain::{FieldErrors, InvalidValue};
    use vte_wire::status::bad_request_of;

    #[test]
    fn bad_input_is_an_invalid_argument_naming_each_field_in_message_and_details() {
        let mut errors = FieldErrors::new();
        errors.push(InvalidValue::new("is required").at("graduation_date"));
        errors.push(InvalidValue::new("must be a UUID").at("school_id"));
        let status = Status::from(Error::Invalid(errors));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "invalid request: graduation_date: is required; school_id: must be a UUID"
        );
        let fields: Vec<_> = bad_request_of(&status)
            .unwrap()
            .field_violations
            .into_iter()
            .map(|violation| violation.field)
            .collect();
        assert_eq!(fields, ["graduation_date", "school_id"]);
    }

    #[test]
    fn refusals_say_why_with_their_own_code() {
        let cases = [
            (
                Error::NotFound(Missing::Contact),
                Code::NotFound,
                "no contact data for this candidate (unknown or erased)",
            ),
            (
                Error::PermissionDenied("a candidate erases only themself"),
                Code::PermissionDenied,
                "a candidate erases only themself",
            ),
            (
                Error::StaleRevision {
                    expected: 1,
                    actual: 2,
                },
                Code::FailedPrecondition,
                "expected_revision: the profile is at revision 2, not 1",
            ),
            (
                Error::from(StoreError::ConcurrentChange),
                Code::Aborted,
                "changed by someone else meanwhile: read it again and retry",
            ),
        ];
        for (error, code, message) in cases {
            let status = Status::from(error);
            assert_eq!((status.code(), status.message()), (code, message));
        }
    }

    #[test]
    fn a_failure_of_the_service_stays_opaque() {
        let status = Status::from(Error::from(sqlx::Error::RowNotFound));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        let status = Status::from(Error::Inconsistent("a secret about the store"));
        assert_eq!(status.message(), "internal error");
        let busy = Status::from(Error::from(sqlx::Error::PoolTimedOut));
        assert_eq!(busy.code(), Code::Unavailable);
    }

    #[test]
    fn an_event_too_large_for_the_broker_is_an_invalid_argument_naming_it_and_the_limit() {
        let status = Status::from(Error::Outbox(OutboxError::TooLarge {
            event_type: "CandidateEvent",
            topic: "vte.candidates.v1",
            size: 1_200_311,
            limit: 1_048_576,
        }));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "the request is too large to publish: CandidateEvent on vte.candidates.v1 would be a record of \
             1200311 bytes, more than the broker's limit of 1048576 bytes \
             (kafka.max_message_bytes)"
        );
    }
}
