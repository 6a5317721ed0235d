//! `vte.invitations.v1`: a company's invitation to apply tells the candidate
//! (NOTIFICATION_KIND_INVITED_TO_APPLY, with the offer's facts kept from `vte.offers.v1`), as
//! their preferences say. The answers (applied, declined, expired) tell no one here: the
//! company hears of an application as of any other, and reads declines in its list.

use sqlx::{Postgres, Transaction};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::invitations::v1::{InvitationEvent, invitation_event};

use super::{EventsHandler, candidate_id, occurred_at, permanent, store_error, uuid};
use crate::domain::compose;
use crate::domain::{Draft, Kind, Recipient};
use crate::store::facts;

impl Handles<InvitationEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &InvitationEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use invitation_event::Event;
        let sent = match &event.event {
            Some(Event::Sent(sent)) => sent,
            Some(Event::Answered(_)) => return Ok(()),
            None => return Err(permanent("the envelope carries no event")),
        };
        let invitation = sent
            .invitation
            .as_ref()
            .ok_or_else(|| permanent("invitation is missing"))?;
        let invitation_id = uuid(&invitation.id, "invitation.id")?;
        let offer_id = uuid(&invitation.offer_id, "invitation.offer_id")?;
        let candidate = candidate_id(&invitation.candidate_id, "invitation.candidate_id")?;
        let mut offer = facts::offer(&mut **transaction, offer_id)
            .await
            .map_err(store_error)?;
        // The event names the offer itself: its facts need not have arrived from vte.offers.v1.
        if offer.title.is_empty() {
            offer.title.clone_from(&sent.offer_title);
        }
        if offer.company_name.is_empty() {
            offer.company_name.clone_from(&sent.company_name);
        }
        let draft = Draft {
            recipient: Recipient::Candidate(candidate),
            kind: Kind::InvitedToApply,
            text: compose::invited_to_apply(&offer, offer_id),
            subject_id: Some(invitation_id),
            occurred_at: occurred_at(event.occurred_at.as_ref()),
            subject: None,
        };
        self.fan_out(transaction, meta, &[draft]).await
    }
}
