//! One case of the corpus (a name, a call, the codes the contract allows), how a case is run and
//! judged (its code, and the size of everything the refusal carries back), and a raw gRPC call
//! for the cases that send bytes no generated client would write.

use std::future::Future;
use std::pin::Pin;

use bytes::{Buf, BufMut};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use vte_service::auth::BearerToken;

/// The most a refusal may carry back: message, details and every other trailer.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

type Call = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

/// A call of `client`'s `method` with `request`, as a future owning its client.
macro_rules! call {
    ($client:expr, $method:ident, $request:expr $(,)?) => {{
        let mut client = $client.clone();
        let request = $request;
        async move { client.$method(request).await }
    }};
}

/// A bad request and the answers the contract allows for it.
pub struct Case {
    pub name: &'static str,
    pub expected: &'static [Code],
    /// The field an INVALID_ARGUMENT must name, when the case says which.
    pub field: Option<&'static str>,
    call: Call,
}

impl Case {
    /// The case, whose refusal must name `field` (in its details, or failing those its message).
    pub fn naming(self, field: &'static str) -> Self {
        Self {
            field: Some(field),
            ..self
        }
    }
}

/// A case expecting one code; `call` is any client call (its answer is dropped).
pub fn case<T, F>(name: &'static str, expected: &'static [Code], call: F) -> Case
where
    F: Future<Output = Result<T, Status>> + Send + 'static,
{
    Case {
        name,
        expected,
        field: None,
        call: Box::pin(async move { call.await.map(|_| ()) }),
    }
}

pub const INVALID: &[Code] = &[Code::InvalidArgument];
pub const DENIED: &[Code] = &[Code::PermissionDenied];
pub const NOT_FOUND: &[Code] = &[Code::NotFound];
/// Another tenant's object: the contract allows refusing it as not the caller's, or hiding
/// that it exists.
pub const DENIED_OR_HIDDEN: &[Code] = &[Code::PermissionDenied, Code::NotFound];

/// Runs every case one after the other; returns what went wrong, one line per bad case.
pub async fn run(cases: Vec<Case>) -> Vec<String> {
    let mut wrong = Vec::new();
    for Case {
        name,
        expected,
        field,
        call,
    } in cases
    {
        match call.await {
            Ok(()) => wrong.push(format!("{name}: accepted, expected {expected:?}")),
            Err(status) => {
                let size = reply_bytes(&status);
                if !expected.contains(&status.code()) {
                    let message: String = status.message().chars().take(200).collect();
                    wrong.push(format!(
                        "{name}: {:?} ({message}), expected {expected:?}",
                        status.code()
                    ));
                }
                if let Some(field) = field.filter(|field| !names(&status, field)) {
                    let message: String = status.message().chars().take(200).collect();
                    wrong.push(format!("{name}: does not name {field} ({message})"));
                }
                if size >= MAX_REPLY_BYTES {
                    wrong.push(format!("{name}: the refusal carries {size} bytes"));
                }
            }
        }
    }
    wrong
}

/// Whether `status` names `field`: in its `BadRequest` details, or failing those as `field:` in
/// its message.
fn names(status: &Status, field: &str) -> bool {
    match vte_wire::status::bad_request_of(status) {
        Some(details) => details.field_violations.iter().any(|v| v.field == field),
        None => status.message().contains(&format!("{field}:")),
    }
}

/// Everything a refusal carries back: its message, its details and its other trailers.
pub fn reply_bytes(status: &Status) -> usize {
    let trailers = status.metadata().clone().into_headers();
    let others: usize = trailers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    status.message().len() + status.details().len() + others
}

/// Calls `path` (`/vte.offers.v1.OffersService/SearchOffers`) with `body` as the request's
/// bytes, as a client of another language or a forger could.
pub async fn raw_call(
    service: InterceptedService<Channel, BearerToken>,
    path: &'static str,
    body: Vec<u8>,
) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(service);
    grpc.ready().await.map_err(|error| {
        let error: Box<dyn std::error::Error + Send + Sync> = error.into();
        Status::unavailable(error.to_string())
    })?;
    grpc.unary(
        tonic::Request::new(body),
        PathAndQuery::from_static(path),
        Raw,
    )
    .await
    .map(|_| ())
}

/// Bytes in, bytes out.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
    }
}
