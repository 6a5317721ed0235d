//! Refusals as gRPC statuses, mapped once from [`DomainError::kind`]: `INVALID_ARGUMENT` lists
//! every `field: rule` in its message and as `google.rpc.BadRequest` details (the standard
//! rich-error model, readable by any gRPC client); `FAILED_PRECONDITION` and
//! `PERMISSION_DENIED` say why; an internal error is logged once here and stays opaque.

use crate::domain::{DomainError, ErrorKind};
use tonic::Status;
use vte_wire::status::invalid_status;
pub use vte_wire::status::{BadRequest, FieldViolation, bad_request_of, invalid};

/// The status of a refused domain operation.
pub fn status_of(error: &DomainError) -> Status {
    match error.kind() {
        ErrorKind::InvalidArgument => match error.field_errors() {
            Some(errors) => invalid_status(errors),
            None => Status::invalid_argument(error.to_string()),
        },
        ErrorKind::FailedPrecondition => Status::failed_precondition(error.to_string()),
        ErrorKind::PermissionDenied => Status::permission_denied(error.to_string()),
        ErrorKind::Internal => {
            tracing::error!(%error, "the domain refused inconsistent input from the store");
            Status::internal("internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::{ApplicationAction, ApplicationStatus, IllegalTransition, Party, Role};
    use tonic::Code;
    use vte_domain::{FieldErrors, InvalidValue};

    fn two_bad_fields() -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.push(InvalidValue::new("must not be empty").at("spec.title"));
        errors
            .push(InvalidValue::new("must be 5 characters, got 4").at("spec.location.insee_code"));
        errors
    }

    #[test]
    fn bad_input_is_an_invalid_argument_listing_every_field_in_message_and_details() {
        let status = status_of(&DomainError::Invalid(two_bad_fields()));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "invalid request: spec.title: must not be empty; \
             spec.location.insee_code: must be 5 characters, got 4"
        );
        let fields: Vec<_> = bad_request_of(&status)
            .unwrap()
            .field_violations
            .into_iter()
            .map(|violation| (violation.field, violation.description))
            .collect();
        assert_eq!(
            fields,
            [
                ("spec.title".to_owned(), "must not be empty".to_owned()),
                (
                    "spec.location.insee_code".to_owned(),
                    "must be 5 characters, got 4".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn field_errors_from_decoding_read_the_same_as_the_domains() {
        let decoded = invalid(two_bad_fields());
        let checked = status_of(&DomainError::Invalid(two_bad_fields()));
        assert_eq!(decoded.message(), checked.message());
        assert_eq!(decoded.details(), checked.details());
    }

    #[test]
    fn an_illegal_step_is_a_failed_precondition_saying_why() {
        let status = status_of(&DomainError::from(IllegalTransition {
            from: ApplicationStatus::Refused,
            action: ApplicationAction::Accept,
        }));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "cannot accept an application that is REFUSED"
        );
    }

    #[test]
    fn a_step_outside_the_callers_role_is_denied() {
        let status = status_of(&DomainError::NotBpifrance {
            role: Role::Company,
        });
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = status_of(&DomainError::NotForParty {
            party: Party::CandidateSide,
            action: ApplicationAction::Accept,
        });
        assert_eq!(status.code(), Code::PermissionDenied);
    }

    #[test]
    fn an_internal_error_stays_opaque() {
        let status = status_of(&DomainError::Inconsistent("a secret about the store"));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        assert!(status.details().is_empty());
    }
}
