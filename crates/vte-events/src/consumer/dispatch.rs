//! A topic's handler with its envelope type erased, so that one runner holds the handlers of
//! every topic a service reads: decode once, then handle (possibly more than once).

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use sqlx::{Postgres, Transaction};
use vte_proto::EventEnvelope;

use super::{HandlerError, Handles, RecordMeta};

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
        let envelope = E::decode(payload)
            .map_err(|error| format!("undecodable {} envelope: {error}", E::TOPIC))?;
        if !envelope.has_known_event() {
            return Err(format!(
                "unknown event in a {} envelope (sent by a newer producer?)",
                E::TOPIC
            ));
        }
        let event_id = uuid::Uuid::parse_str(envelope.event_id())
            .map_err(|_| String::from("event_id is not a UUID"))?;
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
