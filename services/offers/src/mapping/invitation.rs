//! Invitations to apply on the wire: the invitation requests into their use cases' inputs, an
//! [`Invitation`] into `vte.invitations.v1.Invitation` (free text only where it may go), and the
//! `InvitationEvent` envelope of its last change (no free text, no names, no contact data).

use vte_domain::{CandidateId, FieldErrors, OfferId};
use vte_proto::vte::invitations::v1 as invitations;
use vte_proto::vte::invitations::v1::invitation_event::Event;
use vte_proto::vte::offers::v1 as offers;
use vte_wire::wire_enum;

use super::lists::{ListScope, ScopedList, scoped_list_input, scoped_list_request};
use super::wire::{WireEnum, actor_to_proto, both, optional_timestamp, parse_id, timestamp};
use crate::domain::{Invitation, InvitationId, InvitationStatus};

wire_enum!(InvitationStatus => invitations::InvitationStatus, "vte.invitations.v1.InvitationStatus", {
    Pending = Pending,
    Accepted = Accepted,
    Declined = Declined,
    Expired = Expired,
});

/// InviteToApply, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteInput {
    /// The offer.
    pub offer_id: OfferId,
    /// The candidate invited.
    pub candidate_id: CandidateId,
    /// The message to the candidate, as sent; checked by the domain (field `message`).
    pub message: String,
}

/// Decodes an InviteToApply request: both ids are required.
pub fn invite_input(request: &offers::InviteToApplyRequest) -> Result<InviteInput, FieldErrors> {
    let (offer_id, candidate_id) = both(
        parse_id("offer_id", &request.offer_id),
        parse_id("candidate_id", &request.candidate_id),
    )?;
    Ok(InviteInput {
        offer_id,
        candidate_id,
        message: request.message.clone(),
    })
}

/// DeclineInvitation, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclineInput {
    /// The invitation.
    pub invitation_id: InvitationId,
    /// The reason, as sent; checked by the domain (field `reason`).
    pub reason: String,
}

/// Decodes a DeclineInvitation request.
pub fn decline_input(
    request: &offers::DeclineInvitationRequest,
) -> Result<DeclineInput, FieldErrors> {
    let invitation_id =
        InvitationId::parse(&request.invitation_id).map_err(|e| e.at("invitation_id"))?;
    Ok(DeclineInput {
        invitation_id,
        reason: request.reason.clone(),
    })
}

/// Whose invitations a list asks for.
pub type InvitationsScope = ListScope;

/// ListInvitations, decoded.
pub type ListInvitationsInput = ScopedList<InvitationStatus>;

scoped_list_request!(
    offers::ListInvitationsRequest,
    list_invitations_request,
    InvitationStatus
);

/// Decodes a ListInvitations request; the scope is required.
pub fn list_invitations_input(
    request: &offers::ListInvitationsRequest,
) -> Result<ListInvitationsInput, FieldErrors> {
    scoped_list_input(request)
}

/// Whether an encoded invitation carries its free text (the company's message, the
/// candidate's reason to decline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeText {
    /// For API responses to the company and the candidate's side.
    Include,
    /// For events: free text may hold names or contact details.
    Omit,
}

/// The whole invitation on the wire; its free text when `text` says so.
pub fn invitation_to_proto(invitation: &Invitation, text: FreeText) -> invitations::Invitation {
    let include = text == FreeText::Include;
    let shown = |note: &Option<crate::domain::values::Note>| match note {
        Some(note) if include => note.to_string(),
        _ => String::new(),
    };
    invitations::Invitation {
        id: invitation.id.to_string(),
        offer_id: invitation.offer_id.to_string(),
        company_siren: invitation.company_siren.to_string(),
        candidate_id: invitation.candidate_id.to_string(),
        status: invitation.status.to_wire(),
        message: shown(&invitation.message),
        invited_by: Some(actor_to_proto(&invitation.invited_by)),
        invited_at: Some(timestamp(invitation.invited_at)),
        answered_by: invitation.answered_by.as_ref().map(actor_to_proto),
        answered_at: optional_timestamp(invitation.answered_at),
        application_id: invitation
            .application_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        decline_reason: shown(&invitation.decline_reason),
        revision: invitation.revision,
    }
}

/// The `vte.invitations.v1` envelope of the invitation's last change: a fresh UUIDv7 event id,
/// the invitation's update time, its id as the key, and no free text.
pub fn invitation_event(invitation: &Invitation) -> invitations::InvitationEvent {
    invitation_event_of(invitation, None)
}

/// The envelope of an invitation just sent, carrying the offer's public title and company name
/// (`offer`), so the notice to the candidate needs nothing from another topic.
pub fn invitation_sent_event(
    invitation: &Invitation,
    offer: &crate::domain::Offer,
) -> invitations::InvitationEvent {
    invitation_event_of(invitation, Some(offer))
}

fn invitation_event_of(
    invitation: &Invitation,
    offer: Option<&crate::domain::Offer>,
) -> invitations::InvitationEvent {
    let state = Some(invitation_to_proto(invitation, FreeText::Omit));
    let (offer_title, company_name) = offer
        .and_then(|offer| offer.spec())
        .map(|spec| (spec.title.to_string(), spec.company_name.to_string()))
        .unwrap_or_default();
    let event = match invitation.status {
        InvitationStatus::Pending => Event::Sent(invitations::InvitationSent {
            invitation: state,
            offer_title,
            company_name,
        }),
        InvitationStatus::Accepted | InvitationStatus::Declined | InvitationStatus::Expired => {
            Event::Answered(invitations::InvitationAnswered { invitation: state })
        }
    };
    invitations::InvitationEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(invitation.updated_at)),
        invitation_id: invitation.id.to_string(),
        event: Some(event),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::testing;

    #[test]
    fn an_invitations_events_carry_its_state_but_never_its_free_text() {
        let offer = testing::published_offer(1);
        let sent = Invitation::send(
            InvitationId::new(),
            &offer,
            CandidateId::new(),
            &testing::company(),
            "Jeanne, appelez-moi au 06 12 34 56 78",
            testing::today(),
            testing::now(),
        )
        .unwrap();
        let declined = sent
            .decline(
                &testing::candidate(sent.candidate_id),
                "Je reste à Toulouse",
                testing::now(),
            )
            .unwrap();

        let Some(Event::Sent(event)) = invitation_event(&sent).event else {
            panic!("a pending invitation is sent");
        };
        let state = event.invitation.unwrap();
        assert_eq!(state.status, invitations::InvitationStatus::Pending as i32);
        assert!(state.message.is_empty());
        let envelope = invitation_event(&declined);
        assert_eq!(envelope.invitation_id, sent.id.to_string());
        let Some(Event::Answered(event)) = envelope.event else {
            panic!("a declined invitation is answered");
        };
        let state = event.invitation.unwrap();
        assert_eq!(state.status, invitations::InvitationStatus::Declined as i32);
        assert!(state.message.is_empty() && state.decline_reason.is_empty());
        // The API gives both to the parties.
        let answered = invitation_to_proto(&declined, FreeText::Include);
        assert_eq!(answered.decline_reason, "Je reste à Toulouse");
    }
}
