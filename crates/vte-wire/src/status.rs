//! Bad input as a gRPC status: `INVALID_ARGUMENT` lists every `field: rule` in its message and
//! as `google.rpc.BadRequest` details (the standard rich-error model, readable by any gRPC
//! client), written and read with `tonic-types`.

use tonic::{Code, Status};
pub use tonic_types::{BadRequest, FieldViolation};
use tonic_types::{ErrorDetails, StatusExt};
use vte_domain::FieldErrors;

/// The type URL of [`BadRequest`] in a `google.protobuf.Any`.
pub const BAD_REQUEST_TYPE_URL: &str = BadRequest::TYPE_URL;

/// `INVALID_ARGUMENT` naming every rejected field of a request.
pub fn invalid(errors: FieldErrors) -> Status {
    invalid_status(&errors)
}

/// [`invalid`], from a borrowed list.
pub fn invalid_status(errors: &FieldErrors) -> Status {
    let violations: Vec<FieldViolation> = errors
        .iter()
        .map(|error| FieldViolation::new(error.field(), error.rule()))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {errors}"),
        ErrorDetails::with_bad_request(violations),
    )
}

/// The field violations a status carries in its details, for clients and tests; `None` when
/// it carries none.
pub fn bad_request_of(status: &Status) -> Option<BadRequest> {
    status.get_details_bad_request()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use vte_domain::InvalidValue;

    #[test]
    fn every_rejected_field_travels_in_the_message_and_the_details() {
        let mut errors = FieldErrors::new();
        errors.push(InvalidValue::new("must not be empty").at("title"));
        errors.push(InvalidValue::new("must be 5 digits").at("location.insee_code"));
        let status = invalid(errors);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("title: must not be empty"));
        let details = bad_request_of(&status).unwrap();
        let fields: Vec<(&str, &str)> = details
            .field_violations
            .iter()
            .map(|violation| (violation.field.as_str(), violation.description.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("title", "must not be empty"),
                ("location.insee_code", "must be 5 digits")
            ]
        );
        assert!(bad_request_of(&Status::not_found("offer")).is_none());
    }
}
