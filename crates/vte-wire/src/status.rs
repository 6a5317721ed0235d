//! Bad input as a gRPC status: `INVALID_ARGUMENT` lists every `field: rule` in its message and
//! as `google.rpc.BadRequest` details (the standard rich-error model, readable by any gRPC
//! client).

use prost::Message as _;
use tonic::{Code, Status};
use vte_domain::FieldErrors;

/// The type URL of [`BadRequest`] in a `google.protobuf.Any`.
pub const BAD_REQUEST_TYPE_URL: &str = "type.googleapis.com/google.rpc.BadRequest";

/// `INVALID_ARGUMENT` naming every rejected field of a request.
pub fn invalid(errors: FieldErrors) -> Status {
    invalid_status(&errors)
}

pub fn invalid_status(errors: &FieldErrors) -> Status {
    let violations = errors
        .iter()
        .map(|error| FieldViolation {
            field: error.field().to_owned(),
            description: error.rule().to_owned(),
        })
        .collect();
    let message = format!("invalid request: {errors}");
    let details = RpcStatus {
        code: Code::InvalidArgument as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: BAD_REQUEST_TYPE_URL.to_owned(),
            value: BadRequest {
                field_violations: violations,
            }
            .encode_to_vec(),
        }],
    };
    Status::with_details(
        Code::InvalidArgument,
        message,
        prost::bytes::Bytes::from(details.encode_to_vec()),
    )
}

/// The field violations a status carries in its details, for clients and tests; `None` when
/// it carries none.
pub fn bad_request_of(status: &Status) -> Option<BadRequest> {
    let details = RpcStatus::decode(status.details()).ok()?;
    details
        .details
        .iter()
        .find(|any| any.type_url == BAD_REQUEST_TYPE_URL)
        .and_then(|any| BadRequest::decode(any.value.as_slice()).ok())
}

/// `google.rpc.Status`: what `grpc-status-details-bin` carries.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

/// `google.rpc.BadRequest`: the fields of a request that break a rule.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BadRequest {
    /// One entry per rejected field.
    #[prost(message, repeated, tag = "1")]
    pub field_violations: Vec<FieldViolation>,
}

/// `google.rpc.BadRequest.FieldViolation`: a field path and the rule it breaks.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FieldViolation {
    /// The path of the field, e.g. `spec.location.insee_code`.
    #[prost(string, tag = "1")]
    pub field: String,
    /// The rule, e.g. `must be 5 characters, got 4`.
    #[prost(string, tag = "2")]
    pub description: String,
}
