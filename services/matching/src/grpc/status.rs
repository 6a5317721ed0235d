//! The one place a matching [`Error`] becomes a `tonic::Status`: the code each situation gets
//! and the message clients read. Failures of the service itself are logged here, once, and
//! returned as an opaque `INTERNAL`.

use tonic::Status;

use crate::error::Error;
use vte_events::outbox::OutboxError;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            _ if vte_service::database::is_unavailable(&error) => {
                vte_service::database::unavailable(&error)
            }
            Error::Invalid(_) | Error::InvalidEvent(_) => {
                Status::invalid_argument(error.to_string())
            }
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::Denied(rule) => Status::permission_denied(rule),
            Error::OfferNotOpen | Error::CandidateNotMatchable(_) => {
                Status::failed_precondition(error.to_string())
            }
            Error::Outbox(too_large @ OutboxError::TooLarge { .. }) => {
                // The request's content made the event too large: sending it again cannot help,
                // sending less can (INVALID_ARGUMENT, not RESOURCE_EXHAUSTED, which reads as
                // "retry later").
                Status::invalid_argument(format!(
                    "the request is too large to publish: {too_large}"
                ))
            }
            Error::Store(_)
            | Error::UnreadableOffer { .. }
            | Error::CatchUp(_)
            | Error::Ranking(_)
            | Error::Outbox(_) => {
                tracing::error!(%error, "matching service failure");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;
    use crate::error::Missing;
    use crate::usecases::Unmatchable;

    #[test]
    fn each_situation_gets_its_code_and_failures_say_nothing() {
        let status = Status::from(Error::Denied("this offer belongs to another company"));
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(status.message(), "this offer belongs to another company");
        assert_eq!(
            Status::from(Error::NotFound(Missing::Offer)).message(),
            "no offer with this id"
        );
        let status = Status::from(Error::CandidateNotMatchable(Unmatchable::NoConsent));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(status.message(), Unmatchable::NoConsent.reason());
        let status = Status::from(Error::Store(sqlx::Error::RowNotFound));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        let busy = Status::from(Error::Store(sqlx::Error::PoolTimedOut));
        assert_eq!(busy.code(), Code::Unavailable);
    }

    #[test]
    fn an_event_too_large_for_the_broker_is_an_invalid_argument_naming_it_and_the_limit() {
        let status = Status::from(Error::Outbox(OutboxError::TooLarge {
            event_type: "MatchingEvent",
            topic: "vte.matching.v1",
            size: 1_200_311,
            limit: 1_048_576,
        }));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "the request is too large to publish: MatchingEvent on vte.matching.v1 would be a record of \
             1200311 bytes, more than the broker's limit of 1048576 bytes \
             (kafka.max_message_bytes)"
        );
    }
}
