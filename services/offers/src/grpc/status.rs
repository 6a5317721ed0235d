//! The service's [`Error`] as a gRPC status, mapped here and nowhere else: `INVALID_ARGUMENT`
//! lists every `field: rule` in its message and as `google.rpc.BadRequest` details (the standard
//! rich-error model, readable by any gRPC client); a domain refusal takes the code of its
//! [`ErrorKind`]; the other situations say what happened. An internal error is logged once
//! here and stays opaque.

use tonic::Status;
use vte_wire::status::invalid_status;

use crate::domain::{DomainError, ErrorKind};
use crate::error::Error;
use crate::store::UniqueRule;
use vte_events::outbox::OutboxError;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            _ if vte_service::database::is_unavailable(&error) => {
                vte_service::database::unavailable(&error)
            }
            Error::Invalid(errors) => invalid_status(&errors),
            Error::TargetNotNamed { .. } => Status::invalid_argument(error.to_string()),
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::Denied(rule) => Status::permission_denied(rule),
            Error::CandidateErased | Error::ConsentRequired | Error::ProfileNotKnown => {
                Status::failed_precondition(error.to_string())
            }
            Error::Refused(refusal) => status_of(&refusal),
            Error::Invitation(refusal) => super::invitations::status_of(&refusal),
            Error::ConcurrentChange => Status::aborted(error.to_string()),
            Error::Duplicate(UniqueRule::OneOpenApplicationPerOffer) => Status::already_exists(
                "this candidate already has an open application to this offer",
            ),
            Error::Duplicate(rule) => Status::already_exists(rule.to_string()),
            Error::ContactsUnavailable(failed) => {
                tracing::warn!(code = ?failed.0, "contact lookup failed");
                Status::unavailable(error.to_string())
            }
            Error::Outbox(too_large @ OutboxError::TooLarge { .. }) => {
                // The request's content made the event too large: sending it again cannot help,
                // sending less can (INVALID_ARGUMENT, not RESOURCE_EXHAUSTED, which reads as
                // "retry later").
                Status::invalid_argument(format!(
                    "the request is too large to publish: {too_large}"
                ))
            }
            Error::Store(_) | Error::Outbox(_) => {
                tracing::error!(%error, "offers service failure");
                Status::internal("internal error")
            }
        }
    }
}

/// The status of a refused domain operation, by its kind.
fn status_of(error: &DomainError) -> Status {
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
    use crate::store::StoreError;
    use tonic::Code;
    use vte_domain::{FieldErrors, InvalidValue};
    use vte_service::contacts::LookupFailed;
    use vte_wire::status::bad_request_of;

    fn two_bad_fields() -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.push(InvalidValue::new("must not be empty").at("spec.title"));
        errors
            .push(InvalidValue::new("must be 5 characters, got 4").at("spec.location.insee_code"));
        errors
    }

    fn to_status(error: impl Into<Error>) -> Status {
        Status::from(error.into())
    }

    #[test]
    fn bad_input_is_an_invalid_argument_listing_every_field_in_message_and_details() {
        let status = to_status(DomainError::Invalid(two_bad_fields()));
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
        let decoded = to_status(two_bad_fields());
        let checked = to_status(DomainError::Invalid(two_bad_fields()));
        assert_eq!(decoded.message(), checked.message());
        assert_eq!(decoded.details(), checked.details());
    }

    #[test]
    fn a_role_that_must_name_its_target_is_told_in_the_message_only() {
        let status = to_status(Error::TargetNotNamed {
            field: "company_siren",
            rule: "an operator must name the company",
        });
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "company_siren: an operator must name the company"
        );
        assert!(status.details().is_empty());
    }

    #[test]
    fn an_illegal_step_is_a_failed_precondition_saying_why() {
        let status = to_status(DomainError::from(IllegalTransition {
            from: ApplicationStatus::Refused,
            action: ApplicationAction::Accept,
        }));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "cannot accept an application that is REFUSED"
        );
        let erased = Status::from(Error::CandidateErased);
        assert_eq!(erased.code(), Code::FailedPrecondition);
        assert_eq!(erased.message(), "this candidate has been erased");
    }

    #[test]
    fn a_step_outside_the_callers_role_is_denied() {
        let status = to_status(DomainError::NotBpifrance {
            role: Role::Company,
        });
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = to_status(DomainError::NotForParty {
            party: Party::CandidateSide,
            action: ApplicationAction::Accept,
        });
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = to_status(Error::Denied("only Bpifrance decides labels"));
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(status.message(), "only Bpifrance decides labels");
    }

    #[test]
    fn what_is_missing_lost_a_race_or_exists_already_says_so() {
        let missing = to_status(Error::NotFound("offer"));
        assert_eq!(missing.code(), Code::NotFound);
        assert_eq!(missing.message(), "no offer with this id");
        let raced = to_status(StoreError::ConcurrentChange);
        assert_eq!(raced.code(), Code::Aborted);
        assert_eq!(
            raced.message(),
            "changed by someone else meanwhile: read it again and retry"
        );
        let twice = to_status(StoreError::Duplicate {
            rule: UniqueRule::OneOpenApplicationPerOffer,
        });
        assert_eq!(twice.code(), Code::AlreadyExists);
        assert_eq!(
            twice.message(),
            "this candidate already has an open application to this offer"
        );
    }

    #[test]
    fn contact_data_out_of_reach_is_unavailable() {
        let status = to_status(Error::ContactsUnavailable(LookupFailed(Code::Unavailable)));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status.message(),
            "the candidate's contact data cannot be read right now: retry shortly"
        );
    }

    #[test]
    fn an_internal_error_stays_opaque() {
        for error in [
            Error::from(DomainError::Inconsistent("a secret about the store")),
            Error::from(StoreError::Corrupt {
                what: "a secret about the store".to_owned(),
            }),
        ] {
            let status = Status::from(error);
            assert_eq!(status.code(), Code::Internal);
            assert_eq!(status.message(), "internal error");
            assert!(status.details().is_empty());
        }
        let busy = to_status(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(busy.code(), Code::Unavailable);
    }

    #[test]
    fn an_event_too_large_for_the_broker_is_an_invalid_argument_naming_it_and_the_limit() {
        let status = Status::from(Error::Outbox(OutboxError::TooLarge {
            event_type: "OfferEvent",
            topic: "vte.offers.v1",
            size: 1_200_311,
            limit: 1_048_576,
        }));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "the request is too large to publish: OfferEvent on vte.offers.v1 would be a record of \
             1200311 bytes, more than the broker's limit of 1048576 bytes \
             (kafka.max_message_bytes)"
        );
    }
}
