//! The one place a use case's [`Error`] becomes a gRPC status: the codes and messages the
//! contract documents. The service's own failures are logged here, once, and answered as an
//! opaque `INTERNAL`.

use tonic::Status;

use crate::Error;
use vte_events::outbox::OutboxError;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match error {
            _ if vte_service::database::is_unavailable(&error) => {
                vte_service::database::unavailable(&error)
            }
            Error::Invalid(_) => Status::invalid_argument(message),
            Error::NotTheirs
            | Error::NoNotifications
            | Error::NoOwnNotifications
            | Error::NoWebhooks => Status::permission_denied(message),
            Error::TooManyWebhooks => Status::resource_exhausted(message),
            Error::NotificationNotFound(_) | Error::WebhookNotFound | Error::UnknownWebhook => {
                Status::not_found(message)
            }
            Error::Outbox(too_large @ OutboxError::TooLarge { .. }) => {
                // The request's content made the event too large: sending it again cannot help,
                // sending less can (INVALID_ARGUMENT, not RESOURCE_EXHAUSTED, which reads as
                // "retry later").
                Status::invalid_argument(format!(
                    "the request is too large to publish: {too_large}"
                ))
            }
            Error::Store(_) | Error::Outbox(_) | Error::NoRandomness(_) => {
                tracing::error!(%error, "notifications service failure");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_too_large_for_the_broker_is_an_invalid_argument_naming_it_and_the_limit() {
        let status = Status::from(Error::Outbox(OutboxError::TooLarge {
            event_type: "NotificationEvent",
            topic: "vte.notifications.v1",
            size: 1_200_311,
            limit: 1_048_576,
        }));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "the request is too large to publish: NotificationEvent on vte.notifications.v1 would be a record of \
             1200311 bytes, more than the broker's limit of 1048576 bytes \
             (kafka.max_message_bytes)"
        );
    }
}
