//! `vte.candidates.v1`: a profile a school created without the candidate's consent asks for
//! it; an erasure deletes everything held about the candidate, in the transaction that records
//! the confirmation to send to the candidates service and the `ErasureConfirmed` event; an
//! erasure by the retention sweep also tells the school which profile was retired.

use sqlx::{Postgres, Transaction};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::candidates::v1::{CandidateEvent, ErasureReason, candidate_event};

use super::{EventsHandler, candidate_id, occurred_at, optional_school, permanent, uuid};
use crate::domain::compose;
use crate::domain::{Draft, Kind, Recipient};
use crate::usecases::erasure;

impl Handles<CandidateEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &CandidateEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let candidate = candidate_id(&event.candidate_id, "candidate_id")?;
        match &event.event {
            Some(candidate_event::Event::ProfileChanged(changed)) => {
                let consent_given = changed
                    .profile
                    .as_ref()
                    .and_then(|p| p.consent.as_ref())
                    .is_some_and(|c| c.given);
                if !changed.created || consent_given {
                    return Ok(());
                }
                let draft = Draft {
                    recipient: Recipient::Candidate(candidate),
                    kind: Kind::ConsentRequested,
                    text: compose::consent_requested(),
                    subject_id: None,
                    occurred_at: occurred_at(event.occurred_at.as_ref()),
                    subject: None,
                };
                self.fan_out(transaction, meta, &[draft]).await
            }
            Some(candidate_event::Event::Erased(erased)) => {
                if !erased.candidate_id.is_empty()
                    && candidate_id(&erased.candidate_id, "erased.candidate_id")? != candidate
                {
                    return Err(permanent(
                        "erased.candidate_id is not the envelope's candidate_id",
                    ));
                }
                let erasure = uuid(&erased.erasure_id, "erased.erasure_id")?;
                let removed = erasure::erase_candidate(transaction, candidate, erasure).await?;
                let retired = erased.reason() == ErasureReason::Retention;
                tracing::info!(
                    event_id = %meta.event_id,
                    notifications = removed.notifications,
                    preferences = removed.preferences,
                    retention = retired,
                    "erased a candidate"
                );
                if !retired {
                    return Ok(());
                }
                // The retention sweep retired the profile: its school hears which one, by the
                // opaque id it read beside its own reference.
                // Without a readable school there is no one to tell; the erasure stands.
                let Ok(Some(school)) = optional_school(&erased.school_id, "erased.school_id")
                else {
                    tracing::warn!(
                        event_id = %meta.event_id,
                        "a retention erasure names no school: no notice"
                    );
                    return Ok(());
                };
                let draft = Draft {
                    recipient: Recipient::School(school),
                    kind: Kind::ProfileRetired,
                    text: compose::profile_retired(candidate.as_uuid()),
                    subject_id: Some(candidate.as_uuid()),
                    occurred_at: occurred_at(event.occurred_at.as_ref()),
                    subject: None,
                };
                self.fan_out(transaction, meta, &[draft]).await
            }
            None => Err(permanent("the envelope carries no event")),
        }
    }
}
