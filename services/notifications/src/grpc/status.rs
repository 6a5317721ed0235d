//! The one place a use case's [`Error`] becomes a gRPC status: the codes and messages the
//! contract documents. The service's own failures are logged here, once, and answered as an
//! opaque `INTERNAL`.

use tonic::Status;

use crate::Error;

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
            Error::Store(_) | Error::Outbox(_) | Error::NoRandomness(_) => {
                tracing::error!(%error, "notifications service failure");
                Status::internal("internal error")
            }
        }
    }
}
