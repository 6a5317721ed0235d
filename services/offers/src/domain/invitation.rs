//! Invitations to apply: a company that found a candidate in a ranking invites them to apply to
//! one of its published offers; the candidate decides. An invitation names the candidate by id
//! only and discloses nothing of them: their contact data reaches the company only through the
//! application they may make. PENDING ends ACCEPTED (they applied), DECLINED (they or their
//! school said no) or EXPIRED (the offer ended first), each final. The limits against spam are
//! here too, as numbers the use case counts against.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use vte_domain::{ApplicationId, CandidateId, InvalidValue, OfferId, Siren};

use super::actor::Actor;
use super::error::DomainError;
use super::offer::Offer;
use super::values::Note;

/// An invitation's id, a UUID the service assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvitationId(Uuid);

impl InvitationId {
    /// A fresh id (UUIDv7, so ids sort by creation).
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// The id of a stored row.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// Parses a request's id.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| InvalidValue::new("must be a UUID"))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for InvitationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an invitation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    /// Sent; not answered yet.
    Pending,
    /// The candidate applied to the offer.
    Accepted,
    /// The candidate, or their school, declined.
    Declined,
    /// The offer ended before an answer.
    Expired,
}

impl InvitationStatus {
    /// Every status, in the contract's order.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Accepted, Self::Declined, Self::Expired];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Accepted => "ACCEPTED",
            Self::Declined => "DECLINED",
            Self::Expired => "EXPIRED",
        }
    }

    /// The status of a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

impl fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_lowercase())
    }
}

/// A company's invitation to a candidate to apply to one of its offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The invitation.
    pub id: InvitationId,
    /// The offer.
    pub offer_id: OfferId,
    /// The company owning the offer.
    pub company_siren: Siren,
    /// The candidate invited.
    pub candidate_id: CandidateId,
    /// Where it is.
    pub status: InvitationStatus,
    /// The company's message to the candidate (never put in events).
    pub message: Option<Note>,
    /// Who invited.
    pub invited_by: Actor,
    /// When.
    pub invited_at: DateTime<Utc>,
    /// Who answered; `None` while pending.
    pub answered_by: Option<Actor>,
    /// When it left PENDING.
    pub answered_at: Option<DateTime<Utc>>,
    /// The application made after it, once ACCEPTED.
    pub application_id: Option<ApplicationId>,
    /// Why the candidate declined, when they said (never put in events).
    pub decline_reason: Option<Note>,
    /// Incremented by one on every change, from 1.
    pub revision: u64,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Why an invitation cannot be sent or answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvitationRefusal {
    /// The invitation was already answered or expired (`FAILED_PRECONDITION`).
    #[error("the invitation is {status}, not pending: only a pending invitation is declined")]
    NotPending {
        /// Its status.
        status: InvitationStatus,
    },
    /// The candidate has a pending invitation to the offer already (`ALREADY_EXISTS`).
    #[error("this candidate already has a pending invitation to this offer")]
    AlreadyInvited,
    /// The candidate has an open application to the offer already (`ALREADY_EXISTS`).
    #[error("this candidate has already applied to this offer")]
    AlreadyApplied,
    /// The candidate does not consent to be put in touch with companies
    /// (`FAILED_PRECONDITION`): rankings show only consenting candidates.
    #[error(
        "the candidate does not consent to be put in touch with companies now: \
         only a consenting candidate is invited"
    )]
    NotConsenting,
    /// A limit against spam is reached (`RESOURCE_EXHAUSTED`).
    #[error("limit reached: {limit} is {max}; {hint}")]
    LimitReached {
        /// The limit's name.
        limit: &'static str,
        /// Its value.
        max: u32,
        /// What frees room under it.
        hint: &'static str,
    },
}

/// The least number of pending invitations an offer may hold, whatever its positions.
pub const PENDING_PER_OFFER_FLOOR: u32 = 10;
/// Pending invitations an offer may hold per position left.
pub const PENDING_PER_POSITION: u32 = 3;

/// How many pending invitations `offer` may hold: [`PENDING_PER_POSITION`] per position left,
/// at least [`PENDING_PER_OFFER_FLOOR`].
pub fn pending_limit(offer: &Offer) -> u32 {
    offer
        .positions_remaining()
        .saturating_mul(PENDING_PER_POSITION)
        .max(PENDING_PER_OFFER_FLOOR)
}

/// Refuses a new invitation to `offer` when it holds `pending` already, or when the company
/// sent `sent_today` in the last 24 hours against its allowance `per_day`.
pub fn check_limits(
    offer: &Offer,
    pending: u32,
    sent_today: u32,
    per_day: u32,
) -> Result<(), InvitationRefusal> {
    let per_offer = pending_limit(offer);
    if pending >= per_offer {
        return Err(InvitationRefusal::LimitReached {
            limit: "pending invitations per offer (3 per position left, at least 10)",
            max: per_offer,
            hint: "room comes back as candidates answer",
        });
    }
    if sent_today >= per_day {
        return Err(InvitationRefusal::LimitReached {
            limit: "invitations per company per day (offers.invitations_per_company_per_day)",
            max: per_day,
            hint: "room comes back 24 hours after each invitation sent",
        });
    }
    Ok(())
}

impl Invitation {
    /// The company (or an operator, `actor`) invites `candidate` to apply to `offer`, which must
    /// be open to applications on `today`; `message` (field `message`) is 0..=1,000 characters.
    /// Who may invite, the candidate's standing and the limits are the use case's to check.
    pub fn send(
        id: InvitationId,
        offer: &Offer,
        candidate: CandidateId,
        actor: &Actor,
        message: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let message = Note::parse_optional(message).map_err(|e| e.at("message"))?;
        offer.check_open_to_applications(today)?;
        Ok(Self {
            id,
            offer_id: offer.id,
            company_siren: offer.company_siren,
            candidate_id: candidate,
            status: InvitationStatus::Pending,
            message,
            invited_by: actor.clone(),
            invited_at: now,
            answered_by: None,
            answered_at: None,
            application_id: None,
            decline_reason: None,
            revision: 1,
            updated_at: now,
        })
    }

    /// The candidate or their school (`actor`) declines, with an optional `reason` (field
    /// `reason`, 0..=1,000 characters): PENDING -> DECLINED.
    pub fn decline(
        &self,
        actor: &Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, DeclineError> {
        let reason = Note::parse_optional(reason)
            .map_err(|e| DeclineError::Invalid(e.at("reason").into()))?;
        let mut next = self.answer(InvitationStatus::Declined, actor, now)?;
        next.decline_reason = reason;
        Ok(next)
    }

    /// The candidate applied to the offer (`application`, made by `actor`): PENDING -> ACCEPTED.
    pub fn accept(
        &self,
        application: ApplicationId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Self, InvitationRefusal> {
        let mut next = self.answer(InvitationStatus::Accepted, actor, now)?;
        next.application_id = Some(application);
        Ok(next)
    }

    /// The offer ended while this was pending: PENDING -> EXPIRED, by the service.
    pub fn expire(&self, now: DateTime<Utc>) -> Result<Self, InvitationRefusal> {
        self.answer(InvitationStatus::Expired, &Actor::offers_service(), now)
    }

    fn answer(
        &self,
        status: InvitationStatus,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Self, InvitationRefusal> {
        if self.status != InvitationStatus::Pending {
            return Err(InvitationRefusal::NotPending {
                status: self.status,
            });
        }
        let mut next = self.clone();
        next.status = status;
        next.answered_by = Some(actor.clone());
        next.answered_at = Some(now);
        next.revision += 1;
        next.updated_at = now;
        Ok(next)
    }
}

/// Why a decline was refused: bad input, or an invitation no longer pending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclineError {
    /// The reason breaks its rule (`INVALID_ARGUMENT`).
    #[error("invalid request: {0}")]
    Invalid(vte_domain::FieldErrors),
    /// The invitation is not pending.
    #[error(transparent)]
    Refused(#[from] InvitationRefusal),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::testing;

    #[test]
    fn an_answered_invitation_cannot_be_answered_again() {
        let offer = testing::published_offer(1);
        let now = testing::now();
        let invitation = Invitation::send(
            InvitationId::new(),
            &offer,
            CandidateId::new(),
            &testing::company(),
            "Votre profil GMP nous intéresse",
            testing::today(),
            now,
        )
        .unwrap();
        let declined = invitation
            .decline(&testing::candidate(invitation.candidate_id), "", now)
            .unwrap();
        assert_eq!(declined.status, InvitationStatus::Declined);
        assert_eq!(declined.revision, 2);
        assert_eq!(
            declined.expire(now),
            Err(InvitationRefusal::NotPending {
                status: InvitationStatus::Declined
            })
        );
    }

    #[test]
    fn an_offer_holds_three_pending_invitations_per_position_left_and_at_least_ten() {
        assert_eq!(pending_limit(&testing::published_offer(2)), 10);
        assert_eq!(pending_limit(&testing::published_offer(5)), 15);
        let offer = testing::published_offer(1);
        let limit = pending_limit(&offer);
        assert!(check_limits(&offer, limit - 1, 0, 50).is_ok());
        assert!(matches!(
            check_limits(&offer, limit, 0, 50),
            Err(InvitationRefusal::LimitReached { max, .. }) if max == limit
        ));
        assert!(matches!(
            check_limits(&offer, 0, 50, 50),
            Err(InvitationRefusal::LimitReached { max: 50, .. })
        ));
    }
}
