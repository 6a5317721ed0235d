//! Bad input as a gRPC status: `INVALID_ARGUMENT` lists every `field: rule` in its message and
//! as `google.rpc.BadRequest` details (the standard rich-error model, readable by any gRPC
//! client), written and read with `tonic-types`.
//!
//! The status is bounded whatever the request: the message stops at [`MAX_MESSAGE_BYTES`] and
//! the details at [`MAX_DETAILS_BYTES`], each ending with a line `... and N more errors` for
//! what it leaves out, so the trailers of an `INVALID_ARGUMENT` stay under 16 KiB (the message
//! travels percent-encoded, and again inside the base64 details).

use tonic::{Code, Status};
pub use tonic_types::{BadRequest, FieldViolation};
use tonic_types::{ErrorDetails, StatusExt};
use vte_domain::FieldErrors;
use vte_domain::error::more_errors;

/// The type URL of [`BadRequest`] in a `google.protobuf.Any`.
pub const BAD_REQUEST_TYPE_URL: &str = BadRequest::TYPE_URL;

/// The longest status message this crate writes, in bytes (before percent-encoding).
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// The most bytes of field paths and rules the `BadRequest` details carry.
pub const MAX_DETAILS_BYTES: usize = 5120;

/// `INVALID_ARGUMENT` naming every rejected field of a request (as many as fit, then a count).
pub fn invalid(errors: FieldErrors) -> Status {
    invalid_status(&errors)
}

/// [`invalid`], from a borrowed list.
pub fn invalid_status(errors: &FieldErrors) -> Status {
    let mut message = String::from("invalid request: ");
    let mut listed = 0;
    for error in errors {
        let separator = if listed == 0 { "" } else { "; " };
        let entry_len = separator.len() + error.field().len() + 2 + error.rule().len();
        // Leave room for the closing count.
        if message.len() + entry_len + 32 > MAX_MESSAGE_BYTES {
            break;
        }
        message.push_str(separator);
        message.push_str(error.field());
        message.push_str(": ");
        message.push_str(error.rule());
        listed += 1;
    }
    let unlisted = errors.len() - listed;
    if unlisted > 0 {
        if listed > 0 {
            message.push_str("; ");
        }
        message.push_str(&more_errors(unlisted));
    }

    let mut violations = Vec::new();
    let mut details_bytes = 0;
    for error in errors {
        // A field violation costs its two strings and a few bytes of protobuf framing.
        let cost = error.field().len() + error.rule().len() + 8;
        if details_bytes + cost > MAX_DETAILS_BYTES {
            break;
        }
        details_bytes += cost;
        violations.push(FieldViolation::new(error.field(), error.rule()));
    }
    let unlisted = errors.len() - violations.len();
    if unlisted > 0 {
        violations.push(FieldViolation::new("", more_errors(unlisted)));
    }
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(violations),
    )
}

/// `text` cut to [`MAX_MESSAGE_BYTES`] on a character boundary (ending with `…` when cut), for
/// any status message that may carry text derived from a request.
pub fn bounded_message(text: &str) -> String {
    if text.len() <= MAX_MESSAGE_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_MESSAGE_BYTES - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
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

    /// The bytes a status takes in the trailers of a reply.
    fn trailer_bytes(status: &Status) -> usize {
        let mut headers = tonic::metadata::MetadataMap::new().into_headers();
        status.add_header(&mut headers).unwrap();
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    }

    #[test]
    fn a_status_for_thousands_of_huge_errors_stays_under_16_kib() {
        let mut errors = FieldErrors::new();
        for i in 0..10_000 {
            let value = vte_domain::echo(&"\u{202e}é".repeat(50_000));
            errors.push(
                InvalidValue::new(format!("{value} {}", "é".repeat(1_000)))
                    .at(format!("rows[{i}].{}", "ü".repeat(1_000))),
            );
        }
        let status = invalid(errors);
        assert!(
            trailer_bytes(&status) < 16 * 1024,
            "{}",
            trailer_bytes(&status)
        );
        assert!(status.message().len() <= MAX_MESSAGE_BYTES);
        assert!(status.message().ends_with(" more errors"));
        let details = bad_request_of(&status).unwrap();
        let last = details.field_violations.last().unwrap();
        assert!(last.description.starts_with("... and "));
        assert!(last.description.ends_with(" more errors"));
        assert!(details.field_violations.len() > 10);
    }

    #[test]
    fn a_long_message_is_cut_on_a_character_boundary() {
        let message = bounded_message(&"é".repeat(10_000));
        assert!(message.len() <= MAX_MESSAGE_BYTES);
        assert!(message.ends_with('…'));
        assert_eq!(bounded_message("short"), "short");
    }
}
