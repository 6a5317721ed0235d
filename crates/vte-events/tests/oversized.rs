//! An event larger than the broker accepts is refused when it is appended to the outbox, naming
//! its type and the limit, and writes nothing: it never reaches the relay to block its queue.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Bed, commit_event, decode, offer_event, read};
use vte_events::outbox::{OutboxError, waiting};
use vte_proto::vte::offers::v1::OfferEvent;
use vte_proto::vte::offers::v1::offer_event::Event;

/// An offer of Decazeville whose close reason runs to `bytes` bytes.
fn offer_with_close_reason_of(bytes: usize) -> OfferEvent {
    let mut event = offer_event("offre-decazeville-42", 1);
    if let Some(Event::Published(published)) = &mut event.event {
        published.offer.as_mut().unwrap().close_reason = "x".repeat(bytes);
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_over_one_mebibyte_is_refused_with_its_type_and_the_limit_and_nothing_is_written()
{
    let bed = Bed::start().await;
    let oversized = offer_with_close_reason_of(1_100_000);
    let mut transaction = bed.pool.begin().await.unwrap();
    let refused = vte_events::append(&mut transaction, &oversized).await;
    let Err(error @ OutboxError::TooLarge { .. }) = refused else {
        panic!("appended or refused otherwise: {refused:?}");
    };
    let OutboxError::TooLarge {
        event_type,
        limit,
        size,
        ..
    } = &error
    else {
        unreachable!()
    };
    assert_eq!(*event_type, "OfferEvent");
    assert_eq!(*limit, 1_048_576);
    assert!(*size > 1_100_000);
    let message = error.to_string();
    assert!(message.contains("OfferEvent"), "{message}");
    assert!(message.contains("1048576 bytes"), "{message}");
    assert!(message.contains("kafka.max_message_bytes"), "{message}");
    assert!(
        message.len() < 300,
        "the message quotes no payload: {message}"
    );
    // The transaction is still usable, and committing it publishes nothing.
    transaction.commit().await.unwrap();
    assert_eq!(waiting(&bed.pool, None).await.unwrap(), 0);

    // The outbox and the relay carry on with events of a sane size.
    let sane = commit_event(&bed.pool, "offre-rodez-7", 1).await;
    let stop = bed.spawn_relay();
    let published = read(&bed.reader(&bed.topic()), 1).await;
    stop.cancel();
    assert_eq!(decode(&published[0]).event_id, sane);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_oversized_event_in_a_bulk_append_refuses_them_all() {
    let bed = Bed::start().await;
    let events = vec![
        offer_event("offre-figeac-1", 1),
        offer_with_close_reason_of(2_000_000),
        offer_event("offre-figeac-3", 1),
    ];
    let mut transaction = bed.pool.begin().await.unwrap();
    let refused = vte_events::append_all(&mut transaction, &events).await;
    assert!(
        matches!(
            refused,
            Err(OutboxError::TooLarge {
                event_type: "OfferEvent",
                ..
            })
        ),
        "{refused:?}"
    );
    transaction.commit().await.unwrap();
    assert_eq!(waiting(&bed.pool, None).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployments_limit_is_honoured_on_both_sides_of_it() {
    let bed = Bed::start().await;
    let limit = 64 * 1024;
    let mut transaction = bed.pool.begin().await.unwrap();
    let fits = offer_with_close_reason_of(60 * 1024);
    vte_events::append_within(&mut transaction, &fits, limit)
        .await
        .unwrap();
    let too_big = offer_with_close_reason_of(64 * 1024);
    let refused = vte_events::append_within(&mut transaction, &too_big, limit).await;
    assert!(
        matches!(refused, Err(OutboxError::TooLarge { limit: 65_536, .. })),
        "{refused:?}"
    );
    let refused = vte_events::append_all_within(&mut transaction, &[too_big], limit).await;
    assert!(
        matches!(refused, Err(OutboxError::TooLarge { .. })),
        "{refused:?}"
    );
    transaction.commit().await.unwrap();
    assert_eq!(waiting(&bed.pool, Some("vte.offers.v1")).await.unwrap(), 1);
}
