//! A topic's handler with its envelope type erased, so that one runner holds the handlers of
//! every topic a service reads: decode once, then handle (possibly more than once), alone or,
//! for a handler that allows it, several in one transaction.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use sqlx::{Postgres, Transaction};
use vte_proto::EventEnvelope;

use super::{HandlerError, Handles, HandlesBatch, RecordMeta};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An envelope decoded by its topic's dispatcher, ready for (possibly repeated) handling.
pub(super) struct Decoded {
    pub(super) event_id: uuid::Uuid,
    pub(super) envelope: Box<dyn Any + Send + Sync>,
}

/// The type-erased handler of one topic.
pub(super) trait Dispatch: Send + Sync {
    fn topic(&self) -> &'static str;
    fn decode(&self, payload: &[u8]) -> Result<Decoded, String>;
    fn handle<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelope: &'a (dyn Any + Send + Sync),
        meta: &'a RecordMeta,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
    /// Whether several records of this topic may be handled in one transaction.
    fn batches(&self) -> bool {
        false
    }
    /// Handles several decoded envelopes in one transaction, in order.
    fn handle_batch<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelopes: &'a [(&'a (dyn Any + Send + Sync), &'a RecordMeta)],
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            for (envelope, meta) in envelopes {
                self.handle(transaction, *envelope, meta).await?;
            }
            Ok(())
        })
    }
}

/// The longest reason a record is refused for: prost's errors name the message and field
/// path, never the bytes, but a reason travels into a dead-letter header.
const MAX_REASON_BYTES: usize = 512;

/// A record's payload as envelope `E` and its event id, or why it can never be handled (a
/// reason that names no value of the payload and stays under [`MAX_REASON_BYTES`]).
pub(super) fn decode_envelope<E: EventEnvelope>(payload: &[u8]) -> Result<(uuid::Uuid, E), String> {
    let envelope = E::decode(payload).map_err(|error| {
        let mut reason = format!("undecodable {} envelope: {error}", E::TOPIC);
        if reason.len() > MAX_REASON_BYTES {
            let mut cut = MAX_REASON_BYTES;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        reason
    })?;
    if !envelope.has_known_event() {
        return Err(format!(
            "unknown event in a {} envelope (sent by a newer producer?)",
            E::TOPIC
        ));
    }
    let event_id = uuid::Uuid::parse_str(envelope.event_id())
        .map_err(|_| String::from("event_id is not a UUID"))?;
    Ok((event_id, envelope))
}

/// `H`, the handler of envelope type `E`, as a [`Dispatch`].
pub(super) struct Typed<E, H> {
    handler: H,
    envelope: PhantomData<fn() -> E>,
}

impl<E, H> Typed<E, H> {
    pub(super) fn new(handler: H) -> Self {
        Self {
            handler,
            envelope: PhantomData,
        }
    }
}

impl<E, H> Dispatch for Typed<E, H>
where
    E: EventEnvelope + 'static,
    H: Handles<E>,
{
    fn topic(&self) -> &'static str {
        E::TOPIC
    }

    fn decode(&self, payload: &[u8]) -> Result<Decoded, String> {
        let (event_id, envelope) = decode_envelope::<E>(payload)?;
        Ok(Decoded {
            event_id,
            envelope: Box::new(envelope),
        })
    }

    fn handle<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelope: &'a (dyn Any + Send + Sync),
        meta: &'a RecordMeta,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let envelope = envelope
                .downcast_ref::<E>()
                .ok_or_else(|| HandlerError::Permanent("envelope of the wrong type".into()))?;
            self.handler.handle(transaction, envelope, meta).await
        })
    }
}

/// `H`, a handler of envelope type `E` that takes batches, as a [`Dispatch`].
pub(super) struct Batched<E, H>(Typed<E, H>);

impl<E, H> Batched<E, H> {
    pub(super) fn new(handler: H) -> Self {
        Self(Typed::new(handler))
    }
}

impl<E, H> Dispatch for Batched<E, H>
where
    E: EventEnvelope + 'static,
    H: HandlesBatch<E>,
{
    fn topic(&self) -> &'static str {
        E::TOPIC
    }

    fn decode(&self, payload: &[u8]) -> Result<Decoded, String> {
        self.0.decode(payload)
    }

    fn handle<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelope: &'a (dyn Any + Send + Sync),
        meta: &'a RecordMeta,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        self.0.handle(transaction, envelope, meta)
    }

    fn batches(&self) -> bool {
        true
    }

    fn handle_batch<'a>(
        &'a self,
        transaction: &'a mut Transaction<'static, Postgres>,
        envelopes: &'a [(&'a (dyn Any + Send + Sync), &'a RecordMeta)],
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let events = envelopes
                .iter()
                .map(|(envelope, meta)| {
                    envelope
                        .downcast_ref::<E>()
                        .map(|event| (event, *meta))
                        .ok_or_else(|| HandlerError::Permanent("envelope of the wrong type".into()))
                })
                .collect::<Result<Vec<(&E, &RecordMeta)>, _>>()?;
            self.0.handler.handle_batch(transaction, &events).await
        })
    }
}

#[cfg(test)]
mod tests {
    //! The decoder that faces whatever a topic holds (a forged record, a newer producer's, a
    //! broken one): it never panics, and its reason is short and quotes nothing of the record.
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;
    use prost::Message as _;
    use vte_proto::vte::candidates::v1::{CandidateErased, CandidateEvent, candidate_event};
    use vte_proto::vte::matching::v1::MatchingEvent;

    use super::*;

    fn erased(event_id: String, candidate_id: String) -> CandidateEvent {
        CandidateEvent {
            event_id,
            occurred_at: None,
            candidate_id: candidate_id.clone(),
            event: Some(candidate_event::Event::Erased(CandidateErased {
                candidate_id,
                ..CandidateErased::default()
            })),
        }
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_are_refused_with_a_short_reason(
            payload in proptest::collection::vec(any::<u8>(), 0..4096)
        ) {
            for result in [
                decode_envelope::<CandidateEvent>(&payload).map(|(id, _)| id),
                decode_envelope::<MatchingEvent>(&payload).map(|(id, _)| id),
            ] {
                if let Err(reason) = result {
                    prop_assert!(reason.len() <= MAX_REASON_BYTES, "{}", reason.len());
                }
            }
        }

        #[test]
        fn an_envelope_is_handled_only_with_a_uuid_event_id_which_no_reason_quotes(
            event_id in ".{0,300}",
            candidate_id in "[a-z0-9-]{0,40}",
        ) {
            let bytes = erased(event_id.clone(), candidate_id).encode_to_vec();
            match decode_envelope::<CandidateEvent>(&bytes) {
                Ok((id, envelope)) => {
                    prop_assert_eq!(Some(id), uuid::Uuid::parse_str(&event_id).ok());
                    prop_assert_eq!(envelope.event_id, event_id);
                }
                Err(reason) => {
                    prop_assert!(uuid::Uuid::parse_str(&event_id).is_err());
                    prop_assert!(event_id.len() < 8 || !reason.contains(&event_id));
                    prop_assert!(reason.len() <= MAX_REASON_BYTES);
                }
            }
        }

        #[test]
        fn a_truncated_or_corrupted_envelope_never_panics(
            cut in 0usize..200,
            flip in 0usize..200,
            bit in 0u8..8,
        ) {
            let mut bytes = erased(uuid::Uuid::now_v7().to_string(), "c".repeat(36)).encode_to_vec();
            bytes.truncate(cut.min(bytes.len()));
            if let Some(byte) = bytes.get_mut(flip) {
                *byte ^= 1 << bit;
            }
            if let Err(reason) = decode_envelope::<CandidateEvent>(&bytes) {
                prop_assert!(reason.len() <= MAX_REASON_BYTES);
            }
        }
    }

    #[test]
    fn an_envelope_without_a_known_event_is_refused_as_from_a_newer_producer() {
        let mut envelope = erased(uuid::Uuid::now_v7().to_string(), String::new());
        envelope.event = None;
        let reason = decode_envelope::<CandidateEvent>(&envelope.encode_to_vec()).unwrap_err();
        assert!(reason.contains("unknown event"), "{reason}");
    }
}
