//! Invitations to apply: the company owning a published offer invites a candidate it found in
//! a ranking; the candidate (or their school) declines, or applies, which accepts the
//! invitation and links the application (`accept_pending`, called by `apply`); an offer that
//! ends expires its pending invitations (`expire_pending`, called where its open applications
//! end), and so does an erased candidate (`erase_candidate_invitations`, which also blanks
//! their invitations' free text). The pair is judged by the same code as an application,
//! limits against spam are counted under the offer's lock, and each change is one
//! `vte.invitations.v1` event.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use vte_domain::{ApplicationId, CandidateId, SchoolId};
use vte_service::auth::{Caller, Identity};

use super::applications::person;
use super::{Offers, now, today};
use crate::access;
use crate::domain::{
    Actor, Invitation, InvitationId, InvitationRefusal, Offer, OfferStatus, check_limits,
};
use crate::error::Error;
use crate::mapping::{self, DeclineInput, InviteInput, ListInvitationsInput};
use crate::store::{self, ListScope, Page};

impl Offers {
    /// The company owning a published offer (or an operator) invites a candidate to apply: the
    /// candidate must be known here, not erased, consenting, eligible for the offer under the
    /// scheme's verdict, without an open application or a pending invitation to it, and the
    /// offer's and the company's limits must leave room.
    pub async fn invite_to_apply(
        &self,
        who: &Identity,
        input: InviteInput,
    ) -> Result<Invitation, Error> {
        let now = now();
        let candidate = input.candidate_id;
        let mut transaction = self.pool.begin().await?;
        let offer = store::lock_offer(&mut transaction, input.offer_id, &self.reference)
            .await?
            .ok_or(Error::NotFound("offer"))?;
        // A draft is not there for whoever may not read it, as for applying.
        if offer.status == OfferStatus::Draft {
            access::read_offer(&who.caller, &offer.company_siren, false)?;
        }
        access::manage_offer(&who.caller, &offer.company_siren)?;
        let invitation = Invitation::send(
            InvitationId::new(),
            &offer,
            candidate,
            &access::actor(who),
            &input.message,
            today(now),
            now,
        )?;
        let known = store::load_candidate(&mut *transaction, candidate)
            .await?
            .ok_or(Error::ProfileNotKnown)?;
        if known.erased {
            return Err(Error::CandidateErased);
        }
        if !store::consents(&mut *transaction, candidate).await? {
            return Err(InvitationRefusal::NotConsenting.into());
        }
        self.require_eligible(&mut transaction, &offer, candidate)
            .await?;
        if store::has_open_application(&mut *transaction, offer.id, candidate).await? {
            return Err(InvitationRefusal::AlreadyApplied.into());
        }
        let pending = store::count_pending_of_offer(&mut *transaction, offer.id).await?;
        let sent_today =
            store::count_sent_by_company_since(&mut transaction, &offer.company_siren, now).await?;
        check_limits(&offer, pending, sent_today, self.invitations_per_day)?;
        if !store::insert_invitation(&mut transaction, &invitation).await? {
            return Err(InvitationRefusal::AlreadyInvited.into());
        }
        vte_events::append(
            &mut transaction,
            &mapping::invitation_sent_event(&invitation, &offer),
        )
        .await?;
        transaction.commit().await?;
        Ok(invitation)
    }

    /// A page of the invitations to an offer (for its company) or of a candidate (for them and
    /// their school); services read either.
    pub async fn list_invitations(
        &self,
        who: &Identity,
        input: ListInvitationsInput,
    ) -> Result<Page<Invitation>, Error> {
        let page = self.readable_page(who, &input, act_for).await?;
        Ok(store::list_invitations(&self.pool, input.scope, &input.statuses, page).await?)
    }

    /// The candidate or their school (or an operator) declines a pending invitation.
    pub async fn decline_invitation(
        &self,
        who: &Identity,
        input: DeclineInput,
    ) -> Result<Invitation, Error> {
        let mut transaction = self.pool.begin().await?;
        let invitation = store::lock_invitation(&mut transaction, input.invitation_id)
            .await?
            .ok_or(Error::NotFound("invitation"))?;
        let school = self.school_of(invitation.candidate_id).await?;
        act_for(who, &invitation.candidate_id, school.as_ref())?;
        let declined = invitation.decline(&access::actor(who), &input.reason, now())?;
        store::save_invitation(&mut transaction, &declined, invitation.revision).await?;
        vte_events::append(&mut transaction, &mapping::invitation_event(&declined)).await?;
        transaction.commit().await?;
        Ok(declined)
    }
}

/// Reading or answering a candidate's invitations: the candidate, their school, an operator, or
/// the website acting for the candidate with their delegation (a `site` token whose
/// `on_behalf_of` names them).
fn act_for(
    who: &Identity,
    candidate: &CandidateId,
    school: Option<&SchoolId>,
) -> Result<(), Error> {
    if matches!(who.caller, Caller::Site) && who.on_behalf_of.as_ref() == Some(candidate) {
        return Ok(());
    }
    access::act_for(&who.caller, person(candidate, school))
}

/// The candidate applied to the offer (`application`, by `actor`): their pending invitation to
/// it, if any, is accepted and linked to the application, with its event. Runs in the
/// application's transaction, under the offer's lock.
pub(super) async fn accept_pending(
    transaction: &mut Transaction<'static, Postgres>,
    offer: &Offer,
    candidate: CandidateId,
    application: ApplicationId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let Some(pending) = store::lock_pending_invitation(transaction, offer.id, candidate).await?
    else {
        return Ok(());
    };
    let accepted = pending.accept(application, actor, now)?;
    store::save_invitation(transaction, &accepted, pending.revision).await?;
    vte_events::append(transaction, &mapping::invitation_event(&accepted)).await?;
    Ok(())
}

/// The candidate was erased: their pending invitations expire (each with its event, which
/// carries no free text) and the free text of all of them is blanked. Runs in the erasure's
/// transaction; running it again changes nothing.
pub(crate) async fn erase_candidate_invitations(
    transaction: &mut Transaction<'static, Postgres>,
    candidate: CandidateId,
) -> Result<(), Error> {
    expire_all(transaction, ListScope::Candidate(candidate), now()).await?;
    store::anonymise_candidate_invitations(transaction, candidate).await?;
    Ok(())
}

/// When `offer` has just ended (filled, closed, expired), its pending invitations expire with
/// it, each with its event.
pub(super) async fn expire_pending(
    transaction: &mut Transaction<'static, Postgres>,
    offer: &Offer,
) -> Result<(), Error> {
    if !matches!(
        offer.status,
        OfferStatus::Filled | OfferStatus::Closed | OfferStatus::Expired
    ) {
        return Ok(());
    }
    expire_all(transaction, ListScope::Offer(offer.id), offer.updated_at).await
}

/// Expires the pending invitations of `scope` at `at`, each with its event.
async fn expire_all(
    transaction: &mut Transaction<'static, Postgres>,
    scope: ListScope,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    for pending in store::pending_invitations(transaction, scope).await? {
        let expired = pending.expire(at)?;
        store::save_invitation(transaction, &expired, pending.revision).await?;
        vte_events::append(transaction, &mapping::invitation_event(&expired)).await?;
    }
    Ok(())
}
