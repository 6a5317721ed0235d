//! Counting the entries of a push's repeated fields on the wire, before protobuf decodes them.
//!
//! A row that is empty on the wire takes 2 bytes but decodes into a `ProfileRow` of 384: a
//! 4 MiB `PushProfilesBatch` of empty rows made the service hold 1.5 GB before any of its code
//! ran. [`PushShapeLimits`] wraps the gRPC service: for the two push methods (and a candidate's
//! `UpdatePreferences`, whose preferences have the same repeated fields) it reads each gRPC
//! frame as it arrives (at most the service's largest message), walks its protobuf fields
//! without decoding them ([`check_shape`]) and refuses the request with `INVALID_ARGUMENT`
//! when it has more rows than a call takes, or a row has a repeated field far over its
//! maximum (past [`MAX_WIRE_ENTRIES`]), so that only a message within bounds is ever decoded.
//! A row a little over a maximum is still rejected alone, in the push's summary.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::Frame;
use tonic::codegen::{Body, Bytes, Service, StdError, http};
use tonic::server::NamedService;
use vte_domain::{FieldErrors, InvalidValue};

use crate::domain::limits::{
    MAX_CONTRACT_KINDS, MAX_LANGUAGES, MAX_MISSION_WEIGHTS, MAX_REGIONS, MAX_ROWS_PER_BATCH,
    MAX_ROWS_PER_MESSAGE, MAX_SKILLS, MAX_WIRE_ENTRIES,
};
use crate::error::Error;

/// A field of a message whose entries are counted, or whose content is walked.
#[derive(Debug)]
pub struct FieldShape {
    /// The field's number in the `.proto`.
    pub number: u32,
    /// Its name, for the error's path.
    pub name: &'static str,
    /// The most entries it may have on the wire (`None`: a singular message, walked only).
    pub max: Option<usize>,
    /// The most entries the decoder accepts, named in the rule.
    pub allowed: usize,
    /// What the rule calls its entries (`skills`, `rows per batch`).
    pub unit: &'static str,
    /// A repeated scalar packed in one length-delimited field: each varint is an entry.
    pub packed: bool,
    /// The shape of the field's message, walked in turn.
    pub shape: Option<&'static MessageShape>,
}

/// The fields of a message that are counted or walked (at most [`MAX_SHAPED_FIELDS`]); the
/// others are passed over.
#[derive(Debug)]
pub struct MessageShape(pub &'static [FieldShape]);

/// The most fields a [`MessageShape`] names.
pub const MAX_SHAPED_FIELDS: usize = 4;

/// A field of a row: refused unread only far over the `allowed` the decoder enforces.
const fn counted(
    number: u32,
    name: &'static str,
    allowed: usize,
    unit: &'static str,
) -> FieldShape {
    FieldShape {
        number,
        name,
        max: Some(MAX_WIRE_ENTRIES),
        allowed,
        unit,
        packed: false,
        shape: None,
    }
}

/// The rows of a request: refused unread past the call's maximum.
const fn rows(allowed: usize, unit: &'static str) -> FieldShape {
    FieldShape {
        number: 2,
        name: "rows",
        max: Some(allowed),
        allowed,
        unit,
        packed: false,
        shape: Some(&ROW),
    }
}

/// A single nested message, itself checked against `shape` (no count of its own).
const fn nested(number: u32, name: &'static str, shape: &'static MessageShape) -> FieldShape {
    FieldShape {
        number,
        name,
        max: None,
        allowed: 0,
        unit: "",
        packed: false,
        shape: Some(shape),
    }
}

/// `vte.candidates.v1.Preferences`.
pub static PREFERENCES: MessageShape = MessageShape(&[
    counted(
        1,
        "mission_type_weights",
        MAX_MISSION_WEIGHTS,
        "weights, one per mission type",
    ),
    counted(4, "preferred_region_codes", MAX_REGIONS, "régions"),
    FieldShape {
        packed: true,
        ..counted(
            5,
            "contract_kinds_sought",
            MAX_CONTRACT_KINDS,
            "contract kinds",
        )
    },
]);

/// `vte.candidates.v1.ProfileRow`.
pub static ROW: MessageShape = MessageShape(&[
    counted(7, "skills", MAX_SKILLS, "skills"),
    counted(8, "languages", MAX_LANGUAGES, "languages"),
    nested(10, "preferences", &PREFERENCES),
]);

/// `vte.candidates.v1.PushProfilesBatchRequest`.
pub static BATCH: MessageShape = MessageShape(&[rows(MAX_ROWS_PER_BATCH, "rows per batch")]);

/// `vte.candidates.v1.UpdatePreferencesRequest`.
pub static UPDATE_PREFERENCES: MessageShape =
    MessageShape(&[nested(2, "preferences", &PREFERENCES)]);

/// `vte.candidates.v1.PushProfilesRequest`, one message of a stream.
pub static STREAM_MESSAGE: MessageShape =
    MessageShape(&[rows(MAX_ROWS_PER_MESSAGE, "rows per message")]);

/// Reads a varint at `*at`; `None` when the bytes end or it runs over 10 bytes.
fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// Checks the counts of `shape`'s fields in the encoded message `bytes`, recording each field
/// over its maximum under `path`. Malformed bytes end the walk silently: protobuf's own
/// decoding reports them.
pub fn check_shape(bytes: &[u8], shape: &MessageShape, path: &str, errors: &mut FieldErrors) {
    let mut counts = [0usize; MAX_SHAPED_FIELDS];
    let mut at = 0;
    while at < bytes.len() && !errors.is_full() {
        let Some(key) = varint(bytes, &mut at) else {
            return;
        };
        let (number, wire_type) = (key >> 3, key & 7);
        let payload = match wire_type {
            0 => varint(bytes, &mut at).map(|_| None),
            1 => Some(None).filter(|_| {
                at += 8;
                at <= bytes.len()
            }),
            5 => Some(None).filter(|_| {
                at += 4;
                at <= bytes.len()
            }),
            2 => varint(bytes, &mut at)
                .and_then(|length| usize::try_from(length).ok())
                .and_then(|length| {
                    let end = at.checked_add(length).filter(|end| *end <= bytes.len())?;
                    let payload = &bytes[at..end];
                    at = end;
                    Some(Some(payload))
                }),
            _ => None,
        };
        let Some(payload) = payload else {
            return;
        };
        let Some((slot, field)) = shape
            .0
            .iter()
            .enumerate()
            .find(|(_, field)| u64::from(field.number) == number)
        else {
            continue;
        };
        let entries = match (field.packed, payload) {
            (true, Some(packed)) => {
                let (mut inner, mut entries) = (0, 0);
                while inner < packed.len() && varint(packed, &mut inner).is_some() {
                    entries += 1;
                }
                entries
            }
            _ => 1,
        };
        let index = counts[slot.min(MAX_SHAPED_FIELDS - 1)];
        counts[slot.min(MAX_SHAPED_FIELDS - 1)] += entries;
        if let (Some(nested), Some(payload)) = (field.shape, payload)
            && field.max.is_none_or(|max| index < max)
        {
            let entry = match field.max {
                Some(_) => format!("{path}{}[{index}].", field.name),
                None => format!("{path}{}.", field.name),
            };
            check_shape(payload, nested, &entry, errors);
        }
    }
    for (slot, field) in shape.0.iter().enumerate() {
        let count = counts[slot.min(MAX_SHAPED_FIELDS - 1)];
        if let Some(max) = field.max
            && count > max
        {
            let (allowed, unit) = (field.allowed, field.unit);
            let rule = if max == allowed {
                format!("at most {allowed} {unit}, got {count}")
            } else {
                format!(
                    "at most {allowed} {unit}, got {count}: far too many to read, the whole \
                     request is refused"
                )
            };
            errors.push(InvalidValue::new(rule).at(format!("{path}{}", field.name)));
        }
    }
}

/// The shape of the request of `path` (a gRPC method's path), if it is one that is checked.
fn shape_of(path: &str) -> Option<&'static MessageShape> {
    match path.rsplit('/').next() {
        Some("PushProfilesBatch") => Some(&BATCH),
        Some("PushProfiles") => Some(&STREAM_MESSAGE),
        Some("UpdatePreferences") => Some(&UPDATE_PREFERENCES),
        _ => None,
    }
}

/// The gRPC service `inner` whose push requests are checked frame by frame before decoding.
#[derive(Debug, Clone)]
pub struct PushShapeLimits<S> {
    inner: S,
    max_message_bytes: usize,
}

impl<S> PushShapeLimits<S> {
    /// Wraps `inner`, which decodes messages of at most `max_message_bytes`.
    pub fn new(inner: S, max_message_bytes: usize) -> Self {
        Self {
            inner,
            max_message_bytes,
        }
    }
}

impl<S: NamedService> NamedService for PushShapeLimits<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<tonic::body::Body>> for PushShapeLimits<S>
where
    S: Service<http::Request<tonic::body::Body>, Error = Infallible>,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        match shape_of(request.uri().path()) {
            Some(shape) => {
                let max = self.max_message_bytes;
                self.inner.call(request.map(|body| {
                    tonic::body::Body::new(ShapedBody {
                        inner: body,
                        shape,
                        max_message_bytes: max,
                        pending: Vec::new(),
                        ready: VecDeque::new(),
                        unchecked: false,
                    })
                }))
            }
            None => self.inner.call(request),
        }
    }
}

/// A request body released one whole gRPC frame at a time, each checked against `shape`.
struct ShapedBody {
    inner: tonic::body::Body,
    shape: &'static MessageShape,
    max_message_bytes: usize,
    /// Bytes received that do not make a whole frame yet.
    pending: Vec<u8>,
    /// Checked bytes and other frames (trailers), in order, to pass on.
    ready: VecDeque<Frame<Bytes>>,
    /// Past a frame too large (the decoder refuses it) or compressed: no more checks.
    unchecked: bool,
}

impl ShapedBody {
    /// Moves the whole frames of `pending` to `ready`, each checked; the error refuses them.
    fn release_whole_frames(&mut self) -> Result<(), StdError> {
        let mut start = 0;
        while !self.unchecked {
            let rest = &self.pending[start..];
            let Some(header) = rest.get(..5) else { break };
            let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
            let length = usize::try_from(length).unwrap_or(usize::MAX);
            if header[0] != 0 || length > self.max_message_bytes {
                self.unchecked = true;
                break;
            }
            let Some(message) = rest.get(5..5 + length) else {
                break;
            };
            let mut errors = FieldErrors::new();
            check_shape(message, self.shape, "", &mut errors);
            if !errors.is_empty() {
                let status: tonic::Status = Error::Invalid(errors).into();
                return Err(Box::new(status));
            }
            start += 5 + length;
        }
        let end = if self.unchecked {
            self.pending.len()
        } else {
            start
        };
        if end > 0 {
            let rest = self.pending.split_off(end);
            let whole = std::mem::replace(&mut self.pending, rest);
            self.ready.push_back(Frame::data(Bytes::from(whole)));
        }
        Ok(())
    }
}

impl Body for ShapedBody {
    type Data = Bytes;
    type Error = StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StdError>>> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(frame)));
            }
            match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        self.pending.extend_from_slice(&data);
                        self.release_whole_frames()?;
                    }
                    Err(other) => {
                        // What does not make a whole frame goes on as it is: the decoder judges.
                        let rest = std::mem::take(&mut self.pending);
                        if !rest.is_empty() {
                            self.ready.push_back(Frame::data(Bytes::from(rest)));
                        }
                        self.ready.push_back(other);
                    }
                },
                Some(Err(status)) => return Poll::Ready(Some(Err(Box::new(status)))),
                None => {
                    let rest = std::mem::take(&mut self.pending);
                    if rest.is_empty() {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use vte_proto::vte::candidates::v1::{
        MissionTypeWeight, Preferences, ProfileRow, PushProfilesBatchRequest,
        UpdatePreferencesRequest,
    };

    use super::*;

    fn errors_of(request: &PushProfilesBatchRequest) -> Vec<(String, String)> {
        let mut errors = FieldErrors::new();
        check_shape(&request.encode_to_vec(), &BATCH, "", &mut errors);
        errors
            .iter()
            .map(|error| (error.field().to_owned(), error.rule().to_owned()))
            .collect()
    }

    #[test]
    fn rows_and_their_repeated_fields_far_over_their_maximum_are_counted_without_decoding() {
        let mut row = ProfileRow {
            skills: vec![String::new(); 101],
            preferences: Some(Preferences {
                mission_type_weights: vec![MissionTypeWeight::default(); 3_000],
                contract_kinds_sought: vec![1; 101],
                ..Preferences::default()
            }),
            ..ProfileRow::default()
        };
        let request = PushProfilesBatchRequest {
            school_id: "x".to_owned(),
            rows: vec![ProfileRow::default(), row.clone()],
        };
        let far = ": far too many to read, the whole request is refused";
        // A nested message's counts come as it is walked, its parent's at its end.
        assert_eq!(
            errors_of(&request),
            [
                (
                    "rows[1].preferences.mission_type_weights".to_owned(),
                    format!("at most 8 weights, one per mission type, got 3000{far}")
                ),
                (
                    "rows[1].preferences.contract_kinds_sought".to_owned(),
                    format!("at most 3 contract kinds, got 101{far}")
                ),
                (
                    "rows[1].skills".to_owned(),
                    format!("at most 30 skills, got 101{far}")
                ),
            ]
        );
        // A little over is for the row decoder to reject, the row alone.
        row.skills = vec![String::new(); 31];
        row.preferences = None;
        assert!(
            errors_of(&PushProfilesBatchRequest {
                school_id: String::new(),
                rows: vec![row.clone(); 1_000],
            })
            .is_empty()
        );
        let many = PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![row; 1_001],
        };
        assert_eq!(
            errors_of(&many),
            [(
                "rows".to_owned(),
                "at most 1000 rows per batch, got 1001".to_owned()
            )]
        );
    }

    #[test]
    fn a_candidates_preferences_are_counted_too() {
        let request = UpdatePreferencesRequest {
            preferences: Some(Preferences {
                preferred_region_codes: vec![String::new(); 100_000],
                ..Preferences::default()
            }),
            ..UpdatePreferencesRequest::default()
        };
        let mut errors = FieldErrors::new();
        check_shape(
            &request.encode_to_vec(),
            &UPDATE_PREFERENCES,
            "",
            &mut errors,
        );
        assert_eq!(
            errors.to_string(),
            "preferences.preferred_region_codes: at most 18 régions, got 100000: far too many \
             to read, the whole request is refused"
        );
        assert!(std::ptr::eq(
            shape_of("/vte.candidates.v1.CandidatesService/UpdatePreferences").unwrap_or(&BATCH),
            &UPDATE_PREFERENCES
        ));
        assert!(shape_of("/vte.candidates.v1.CandidatesService/GetProfile").is_none());
    }

    #[test]
    fn malformed_bytes_end_the_walk_without_error() {
        for bytes in [&[0x12, 0x05, 0x00][..], &[0xff; 12], &[0x13], &[0x09, 0x01]] {
            let mut errors = FieldErrors::new();
            check_shape(bytes, &BATCH, "", &mut errors);
            assert!(errors.is_empty());
        }
    }
}
