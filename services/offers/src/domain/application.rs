//! The application aggregate: a candidate's application to an offer, every step recorded in a
//! log that is only appended to (who, when, from, to, why). Steps go through the state machine
//! of [`application_state`](super::application_state); the automatic ones (obsolescence,
//! expiry after 60 days without an answer) are decided here, acceptance in
//! [`acceptance`](super::acceptance).

use super::actor::{Actor, Party, Role};
use super::application_state::{ApplicationAction, ApplicationStatus, transition};
use super::error::DomainError;
use super::offer::{Offer, OfferStatus};
use super::values::{ApplicationMessage, Note};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use vte_domain::{
    ApplicationId, CandidateId, FieldErrors, InvalidValue, OfferId, PlacementId, SchoolId, Siren,
};

/// How long an application may stay unanswered before it expires by itself.
///
/// "Unanswered" means still SUBMITTED: the company (or an operator for it) has taken no step
/// since the submission, since any step (review, interview, acceptance, refusal) leaves
/// SUBMITTED. The delay runs from `submitted_at`; an application reviewed but then left aside
/// does not expire this way (it expires or becomes obsolete with its offer).
pub const UNANSWERED_EXPIRY: TimeDelta = TimeDelta::days(60);

/// One entry of an application's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationTransition {
    /// Status before; `None` for the first entry, the submission.
    pub from: Option<ApplicationStatus>,
    /// Status after.
    pub to: ApplicationStatus,
    /// Who made the change; [`Actor::offers_service`] for automatic ones.
    pub actor: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// Why: required for a refusal, optional otherwise, a generated sentence (in French, shown
    /// to the candidate and the school) for automatic changes.
    pub reason: Option<Note>,
}

/// Why the platform made an application obsolete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObsoleteCause {
    /// The offer's last position was filled by another candidate.
    OfferFilled,
    /// The company (or an operator) closed the offer.
    OfferClosed,
    /// The candidate was hired on another offer.
    HiredElsewhere,
}

impl ObsoleteCause {
    /// The sentence recorded in the log.
    pub const fn sentence(self) -> &'static str {
        match self {
            Self::OfferFilled => "Toutes les places de l'offre ont été pourvues.",
            Self::OfferClosed => "L'offre a été fermée par l'entreprise.",
            Self::HiredElsewhere => "Le candidat a été recruté sur une autre offre.",
        }
    }
}

/// Why the platform expired an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpiryCause {
    /// The offer's last day to apply passed.
    OfferExpired,
    /// The company left it unanswered for [`UNANSWERED_EXPIRY`].
    Unanswered,
}

impl ExpiryCause {
    /// The sentence recorded in the log.
    pub const fn sentence(self) -> &'static str {
        match self {
            Self::OfferExpired => "La date limite de candidature de l'offre est passée.",
            Self::Unanswered => {
                "L'entreprise n'a pas répondu dans les 60 jours qui ont suivi la candidature."
            }
        }
    }
}

/// A candidate's application to an offer. Fields are public for the store and the proto
/// mapping; change it only through the step methods, which keep the status, the log and the
/// revision in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The application's id.
    pub id: ApplicationId,
    /// The offer applied to.
    pub offer_id: OfferId,
    /// The company owning the offer (copied for authorization).
    pub company_siren: Siren,
    /// The candidate.
    pub candidate_id: CandidateId,
    /// The candidate's school at the time of application, when known.
    pub school_id: Option<SchoolId>,
    /// Always the `to` of the last log entry.
    pub status: ApplicationStatus,
    /// Every step, oldest first; the first is the submission.
    pub transitions: Vec<ApplicationTransition>,
    /// The interview's date and time, once scheduled.
    pub interview_at: Option<DateTime<Utc>>,
    /// 1 at submission, plus one on every change.
    pub revision: u64,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The placement created by its acceptance.
    pub placement_id: Option<PlacementId>,
    /// The candidate's message to the company (never put in events).
    pub message: Option<ApplicationMessage>,
}

impl Application {
    /// Whether the candidate submitted it themself (with their own token), which confirms they
    /// want the company to contact them, whatever their consent to matching says later.
    pub fn submitted_by_candidate(&self) -> bool {
        self.transitions
            .first()
            .is_some_and(|submission| submission.actor.role == Role::Candidate)
    }

    /// A candidate, or their school on their behalf, applies to `offer`, which must be open to
    /// applications on `today`; `message` (field `message`) is 0..=4,000 characters. That the
    /// candidate is the caller or one of the school's students, and that they have no other
    /// open application to the offer, are checked by the use case and the store.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        id: ApplicationId,
        offer: &Offer,
        candidate_id: CandidateId,
        school_id: Option<SchoolId>,
        actor: &Actor,
        message: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        if actor.party() != Some(Party::CandidateSide) {
            return Err(DomainError::CannotApply { role: actor.role });
        }
        let message = ApplicationMessage::parse_optional(message).map_err(|e| e.at("message"))?;
        offer.check_open_to_applications(today)?;
        Ok(Self {
            id,
            offer_id: offer.id,
            company_siren: offer.company_siren,
            candidate_id,
            school_id,
            status: ApplicationStatus::Submitted,
            transitions: vec![ApplicationTransition {
                from: None,
                to: ApplicationStatus::Submitted,
                actor: actor.clone(),
                at: now,
                reason: None,
            }],
            interview_at: None,
            revision: 1,
            submitted_at: now,
            updated_at: now,
            placement_id: None,
            message,
        })
    }

    /// The company starts reviewing: SUBMITTED -> IN_REVIEW, with an optional note (field
    /// `note`, 0..=1,000 characters).
    pub fn start_review(
        &self,
        actor: &Actor,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let action = ApplicationAction::StartReview;
        authorize(actor, action)?;
        let note = optional_note("note", note)?;
        self.step(actor, action, note, now)
    }

    /// The company invites the candidate, or reschedules: -> INTERVIEW. `interview_at`, when
    /// fixed, must be after `now`; `None` means not fixed yet (and clears a former date).
    pub fn schedule_interview(
        &self,
        actor: &Actor,
        interview_at: Option<DateTime<Utc>>,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let action = ApplicationAction::ScheduleInterview;
        authorize(actor, action)?;
        let mut errors = FieldErrors::new();
        if let Some(at) = interview_at
            && at <= now
        {
            errors.push(InvalidValue::new("must be in the future").at("interview_at"));
        }
        let note = errors.check("note", Note::parse_optional(note));
        errors.into_result()?;
        let mut next = self.step(actor, action, note.flatten(), now)?;
        next.interview_at = interview_at;
        Ok(next)
    }

    /// The company declines: -> REFUSED, with a reason of 1..=1,000 characters (field
    /// `reason`) shown to the candidate and their school.
    pub fn refuse(
        &self,
        actor: &Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let action = ApplicationAction::Refuse;
        authorize(actor, action)?;
        let reason = Note::parse(reason).map_err(|e| e.at("reason"))?;
        self.step(actor, action, Some(reason), now)
    }

    /// The candidate or their school withdraws: -> WITHDRAWN, with an optional reason (field
    /// `reason`, 0..=1,000 characters).
    pub fn withdraw(
        &self,
        actor: &Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let action = ApplicationAction::Withdraw;
        authorize(actor, action)?;
        let reason = optional_note("reason", reason)?;
        self.step(actor, action, reason, now)
    }

    /// The platform makes an open application obsolete.
    pub fn make_obsolete(
        &self,
        cause: ObsoleteCause,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        self.automatic(ApplicationAction::MakeObsolete, cause.sentence(), now)
    }

    /// The platform expires an open application: with its offer, or when left unanswered
    /// (then only once [`is_due_for_expiry`](Self::is_due_for_expiry)).
    pub fn expire(&self, cause: ExpiryCause, now: DateTime<Utc>) -> Result<Self, DomainError> {
        if cause == ExpiryCause::Unanswered
            && let Some(due_at) = self.expiry_due_at()
            && now < due_at
        {
            return Err(DomainError::NotDueForExpiry { due_at });
        }
        self.automatic(ApplicationAction::Expire, cause.sentence(), now)
    }

    /// When the application expires for want of an answer: 60 days after its submission while
    /// still SUBMITTED; `None` once the company has acted or the application is final.
    pub fn expiry_due_at(&self) -> Option<DateTime<Utc>> {
        (self.status == ApplicationStatus::Submitted).then(|| self.submitted_at + UNANSWERED_EXPIRY)
    }

    /// Whether the application has waited [`UNANSWERED_EXPIRY`] for an answer at `now`.
    pub fn is_due_for_expiry(&self, now: DateTime<Utc>) -> bool {
        self.expiry_due_at().is_some_and(|due_at| due_at <= now)
    }

    /// The application after `actor` takes `action`, logged with `reason`.
    pub(crate) fn step(
        &self,
        actor: &Actor,
        action: ApplicationAction,
        reason: Option<Note>,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let to = transition(self.status, action, authorize(actor, action)?)?;
        let mut next = self.clone();
        next.transitions.push(ApplicationTransition {
            from: Some(self.status),
            to,
            actor: actor.clone(),
            at: now,
            reason,
        });
        next.status = to;
        next.revision += 1;
        next.updated_at = now;
        Ok(next)
    }

    fn automatic(
        &self,
        action: ApplicationAction,
        sentence: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let reason = Note::parse(sentence).ok();
        self.step(&Actor::offers_service(), action, reason, now)
    }
}

/// Whether `application` has waited [`UNANSWERED_EXPIRY`] for an answer at `now` (the sweep
/// selects the same: `status = 'SUBMITTED' AND submitted_at <= now - 60 days`).
pub fn is_due_for_expiry(application: &Application, now: DateTime<Utc>) -> bool {
    application.is_due_for_expiry(now)
}

/// What an offer's end does to its open applications: FILLED or CLOSED make them OBSOLETE
/// (with the company's reason for closing, if any), EXPIRED expires them. Returns the changed
/// applications (those of other offers and final ones are left out); empty while the offer is
/// not final.
pub fn close_out_applications(
    offer: &Offer,
    applications: &[Application],
    now: DateTime<Utc>,
) -> Vec<Application> {
    let open = applications
        .iter()
        .filter(|application| application.offer_id == offer.id && application.status.is_open());
    let change = |application: &Application| match offer.status {
        OfferStatus::Filled => application
            .make_obsolete(ObsoleteCause::OfferFilled, now)
            .ok(),
        OfferStatus::Closed => {
            // The company's reason for closing is meant for these candidates.
            let sentence = ObsoleteCause::OfferClosed.sentence();
            let reason = match &offer.close_reason {
                Some(reason) => format!("{sentence} Motif : {reason}"),
                None => sentence.to_owned(),
            };
            let action = ApplicationAction::MakeObsolete;
            application.automatic(action, &reason, now).ok()
        }
        OfferStatus::Expired => application.expire(ExpiryCause::OfferExpired, now).ok(),
        OfferStatus::Draft | OfferStatus::Published => None,
    };
    open.filter_map(change).collect()
}

/// The party `actor` plays, when it may take `action` at all (whatever the status).
pub(crate) fn authorize(actor: &Actor, action: ApplicationAction) -> Result<Party, DomainError> {
    let party = actor
        .party()
        .ok_or(DomainError::NoPartInApplications { role: actor.role })?;
    if action.is_for(party) {
        Ok(party)
    } else {
        Err(DomainError::NotForParty { party, action })
    }
}

fn optional_note(field: &str, raw: &str) -> Result<Option<Note>, DomainError> {
    Note::parse_optional(raw).map_err(|e| e.at(field).into())
}

#[cfg(test)]
mod tests;
