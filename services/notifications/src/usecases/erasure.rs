//! Forgetting an erased candidate: everything held about them goes, in the transaction that
//! records the confirmation to send to the candidates service and the `ErasureConfirmed` event.

use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use vte_domain::CandidateId;
use vte_proto::vte::notifications::v1::{ErasureConfirmed, NotificationEvent, notification_event};

use super::now;
use crate::Error;
use crate::mapping;
use crate::store::erasure::{self as store, Erased};

/// Erases what the service holds about `candidate` for the erasure `erasure`, in the caller's
/// transaction, and confirms it; returns what was removed. Erasing twice removes nothing more.
pub async fn erase_candidate(
    transaction: &mut Transaction<'_, Postgres>,
    candidate: CandidateId,
    erasure: Uuid,
) -> Result<Erased, Error> {
    let now = now();
    let removed = store::erase_candidate(transaction, candidate, now).await?;
    vte_service::erasure::confirm_later(transaction, candidate, erasure).await?;
    let confirmed = NotificationEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(mapping::timestamp(now)),
        subject_id: candidate.to_string(),
        event: Some(notification_event::Event::ErasureConfirmed(
            ErasureConfirmed {
                candidate_id: candidate.to_string(),
                erasure_id: erasure.to_string(),
                confirmed_at: Some(mapping::timestamp(now)),
            },
        )),
    };
    vte_events::append(transaction, &confirmed).await?;
    Ok(removed)
}
