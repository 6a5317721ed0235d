//! The invitations' RPCs: decode, call the use case, encode (free text included for the
//! parties, account subjects blanked for readers who may not see them), and the status of an
//! invitation refused. `OffersService`'s methods in the parent module call these.

use tonic::{Request, Response, Status};
use vte_proto::vte::invitations::v1::Invitation;
use vte_proto::vte::offers::v1::*;
use vte_service::auth::identity;

use super::subjects::Reader;
use super::{Answer, OffersApi, decoded, listed};
use crate::domain::InvitationRefusal;
use crate::mapping::{self, FilteredList, FreeText};

impl Reader {
    /// The invitation, the inviter's and the answerer's subjects blanked unless the reader may
    /// see them.
    pub(super) fn invitation(&self, mut invitation: Invitation) -> Invitation {
        self.actor(&mut invitation.invited_by);
        self.actor(&mut invitation.answered_by);
        invitation
    }
}

/// An invitation as the API answers it, to `reader`.
fn answered(reader: &Reader, invitation: &crate::domain::Invitation) -> Invitation {
    reader.invitation(mapping::invitation_to_proto(invitation, FreeText::Include))
}

/// The status of an invitation refused: a duplicate is `ALREADY_EXISTS`, a limit
/// `RESOURCE_EXHAUSTED` naming it, the rest `FAILED_PRECONDITION`.
pub(super) fn status_of(refusal: &InvitationRefusal) -> Status {
    let message = refusal.to_string();
    match refusal {
        InvitationRefusal::AlreadyInvited | InvitationRefusal::AlreadyApplied => {
            Status::already_exists(message)
        }
        InvitationRefusal::LimitReached { .. } => Status::resource_exhausted(message),
        InvitationRefusal::NotPending { .. } | InvitationRefusal::NotConsenting => {
            Status::failed_precondition(message)
        }
    }
}

impl OffersApi {
    pub(super) async fn invite_to_apply_rpc(
        &self,
        r: Request<InviteToApplyRequest>,
    ) -> Answer<InviteToApplyResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::invite_input(r.get_ref()))?;
        let invitation = self.offers.invite_to_apply(who, input).await?;
        let invitation = Some(answered(&Reader::new(who), &invitation));
        Ok(Response::new(InviteToApplyResponse { invitation }))
    }

    pub(super) async fn list_invitations_rpc(
        &self,
        r: Request<ListInvitationsRequest>,
    ) -> Answer<ListInvitationsResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::list_invitations_input(r.get_ref()))?;
        let filters = input.filters();
        let found = self.offers.list_invitations(who, input).await?;
        let reader = Reader::new(who);
        let (invitations, page) = listed(found, filters, |i| answered(&reader, i));
        Ok(Response::new(ListInvitationsResponse { invitations, page }))
    }

    pub(super) async fn decline_invitation_rpc(
        &self,
        r: Request<DeclineInvitationRequest>,
    ) -> Answer<DeclineInvitationResponse> {
        let who = identity(&r)?;
        let input = decoded(mapping::decline_input(r.get_ref()))?;
        let declined = self.offers.decline_invitation(who, input).await?;
        let invitation = Some(answered(&Reader::new(who), &declined));
        Ok(Response::new(DeclineInvitationResponse { invitation }))
    }
}
