//! The state machine of an application: which party may take which step from which status.
//! [`transition`] is the whole rule; the aggregate in [`application`](super::application)
//! records each step in its log. A client gets [`IllegalTransition`] as
//! `FAILED_PRECONDITION` and a step outside the party's role as `PERMISSION_DENIED`.

use super::actor::Party;
use super::error::DomainError;
use std::fmt;
use vte_domain::InvalidValue;

/// Where an application is in its life. SUBMITTED, IN_REVIEW and INTERVIEW are open; the
/// others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    /// Sent; the company has not acted on it yet.
    Submitted,
    /// The company is reviewing it.
    InReview,
    /// The company invited the candidate to an interview.
    Interview,
    /// The company hired the candidate: a placement starts.
    Accepted,
    /// The company declined, with a reason.
    Refused,
    /// The candidate or their school withdrew it.
    Withdrawn,
    /// Overtaken: the offer was filled or closed, or the candidate was hired elsewhere.
    Obsolete,
    /// The offer expired, or the company left it unanswered for 60 days.
    Expired,
}

impl ApplicationStatus {
    /// Every status, open ones first.
    pub const ALL: [ApplicationStatus; 8] = [
        Self::Submitted,
        Self::InReview,
        Self::Interview,
        Self::Accepted,
        Self::Refused,
        Self::Withdrawn,
        Self::Obsolete,
        Self::Expired,
    ];

    /// The open statuses, from which an application can still move.
    pub const OPEN: [ApplicationStatus; 3] = [Self::Submitted, Self::InReview, Self::Interview];

    /// The stable code: `"SUBMITTED"`, `"IN_REVIEW"`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::InReview => "IN_REVIEW",
            Self::Interview => "INTERVIEW",
            Self::Accepted => "ACCEPTED",
            Self::Refused => "REFUSED",
            Self::Withdrawn => "WITHDRAWN",
            Self::Obsolete => "OBSOLETE",
            Self::Expired => "EXPIRED",
        }
    }

    /// Parses a code as written by [`as_str`](Self::as_str), ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| {
                InvalidValue::new(
                    "must be one of SUBMITTED, IN_REVIEW, INTERVIEW, ACCEPTED, REFUSED, \
                     WITHDRAWN, OBSOLETE, EXPIRED",
                )
            })
    }

    /// Whether the application can still move (SUBMITTED, IN_REVIEW or INTERVIEW).
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::InReview | Self::Interview)
    }

    /// Whether nothing can happen to the application any more.
    pub const fn is_final(self) -> bool {
        !self.is_open()
    }
}

impl fmt::Display for ApplicationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of an application's life after its submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationAction {
    /// The company starts reviewing (ReviewApplication).
    StartReview,
    /// The company invites the candidate, or reschedules (ScheduleInterview).
    ScheduleInterview,
    /// The company hires the candidate (AcceptApplication).
    Accept,
    /// The company declines (RefuseApplication).
    Refuse,
    /// The candidate or their school withdraws (WithdrawApplication).
    Withdraw,
    /// The platform closes it: offer filled or closed, candidate hired elsewhere.
    MakeObsolete,
    /// The platform closes it: offer expired, or unanswered for 60 days.
    Expire,
}

impl ApplicationAction {
    /// Every step.
    pub const ALL: [ApplicationAction; 7] = [
        Self::StartReview,
        Self::ScheduleInterview,
        Self::Accept,
        Self::Refuse,
        Self::Withdraw,
        Self::MakeObsolete,
        Self::Expire,
    ];

    /// The status the step leads to.
    pub const fn target(self) -> ApplicationStatus {
        match self {
            Self::StartReview => ApplicationStatus::InReview,
            Self::ScheduleInterview => ApplicationStatus::Interview,
            Self::Accept => ApplicationStatus::Accepted,
            Self::Refuse => ApplicationStatus::Refused,
            Self::Withdraw => ApplicationStatus::Withdrawn,
            Self::MakeObsolete => ApplicationStatus::Obsolete,
            Self::Expire => ApplicationStatus::Expired,
        }
    }

    /// Whether `party` may take this step at all: the company's steps (review, interview,
    /// accept, refuse) and the candidate side's (withdraw) are also open to operators; the
    /// automatic ones (obsolete, expire) belong to the platform alone.
    pub const fn is_for(self, party: Party) -> bool {
        match self {
            Self::StartReview | Self::ScheduleInterview | Self::Accept | Self::Refuse => {
                matches!(party, Party::Company | Party::Operator)
            }
            Self::Withdraw => matches!(party, Party::CandidateSide | Party::Operator),
            Self::MakeObsolete | Self::Expire => matches!(party, Party::System),
        }
    }

    /// Whether the step may be taken from `from`. Every step leaves only open statuses;
    /// reviewing starts only from SUBMITTED, and scheduling again on INTERVIEW reschedules.
    pub const fn is_allowed_from(self, from: ApplicationStatus) -> bool {
        match self {
            Self::StartReview => matches!(from, ApplicationStatus::Submitted),
            Self::ScheduleInterview
            | Self::Accept
            | Self::Refuse
            | Self::Withdraw
            | Self::MakeObsolete
            | Self::Expire => from.is_open(),
        }
    }
}

impl fmt::Display for ApplicationAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StartReview => "start reviewing",
            Self::ScheduleInterview => "schedule an interview for",
            Self::Accept => "accept",
            Self::Refuse => "refuse",
            Self::Withdraw => "withdraw",
            Self::MakeObsolete => "make obsolete",
            Self::Expire => "expire",
        })
    }
}

/// A step the application's status does not allow (`FAILED_PRECONDITION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an application that is {from}")]
pub struct IllegalTransition {
    /// The application's status.
    pub from: ApplicationStatus,
    /// The step asked for.
    pub action: ApplicationAction,
}

/// The status after `party` takes `action` on an application in `from`.
///
/// | step | who | from | to |
/// |---|---|---|---|
/// | StartReview | company, operator | SUBMITTED | IN_REVIEW |
/// | ScheduleInterview | company, operator | SUBMITTED, IN_REVIEW, INTERVIEW | INTERVIEW |
/// | Accept | company, operator | SUBMITTED, IN_REVIEW, INTERVIEW | ACCEPTED |
/// | Refuse | company, operator | SUBMITTED, IN_REVIEW, INTERVIEW | REFUSED |
/// | Withdraw | candidate or school, operator | SUBMITTED, IN_REVIEW, INTERVIEW | WITHDRAWN |
/// | MakeObsolete | platform | SUBMITTED, IN_REVIEW, INTERVIEW | OBSOLETE |
/// | Expire | platform | SUBMITTED, IN_REVIEW, INTERVIEW | EXPIRED |
///
/// The party is checked first ([`DomainError::NotForParty`]), then the status
/// ([`DomainError::IllegalTransition`]).
pub fn transition(
    from: ApplicationStatus,
    action: ApplicationAction,
    party: Party,
) -> Result<ApplicationStatus, DomainError> {
    if !action.is_for(party) {
        return Err(DomainError::NotForParty { party, action });
    }
    if !action.is_allowed_from(from) {
        return Err(IllegalTransition { from, action }.into());
    }
    Ok(action.target())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::ApplicationAction::*;
    use super::ApplicationStatus::*;
    use super::*;
    use Party::{CandidateSide, Company, Operator, System};

    /// The legal (from, step, to) of the whole machine, for the party entitled to each step.
    const LEGAL: [(ApplicationStatus, ApplicationAction, ApplicationStatus); 19] = [
        (Submitted, StartReview, InReview),
        (Submitted, ScheduleInterview, Interview),
        (InReview, ScheduleInterview, Interview),
        (Interview, ScheduleInterview, Interview),
        (Submitted, Accept, Accepted),
        (InReview, Accept, Accepted),
        (Interview, Accept, Accepted),
        (Submitted, Refuse, Refused),
        (InReview, Refuse, Refused),
        (Interview, Refuse, Refused),
        (Submitted, Withdraw, Withdrawn),
        (InReview, Withdraw, Withdrawn),
        (Interview, Withdraw, Withdrawn),
        (Submitted, MakeObsolete, Obsolete),
        (InReview, MakeObsolete, Obsolete),
        (Interview, MakeObsolete, Obsolete),
        (Submitted, Expire, Expired),
        (InReview, Expire, Expired),
        (Interview, Expire, Expired),
    ];

    fn entitled(action: ApplicationAction) -> Party {
        match action {
            StartReview | ScheduleInterview | Accept | Refuse => Company,
            Withdraw => CandidateSide,
            MakeObsolete | Expire => System,
        }
    }

    #[test]
    fn every_legal_step_leads_where_the_table_says() {
        for (from, action, to) in LEGAL {
            assert_eq!(
                transition(from, action, entitled(action)),
                Ok(to),
                "{from} {action}"
            );
        }
    }

    #[test]
    fn every_other_step_is_an_illegal_transition_naming_status_and_step() {
        for from in ApplicationStatus::ALL {
            for action in ApplicationAction::ALL {
                if LEGAL.iter().any(|&(f, a, _)| f == from && a == action) {
                    continue;
                }
                assert_eq!(
                    transition(from, action, entitled(action)),
                    Err(DomainError::IllegalTransition(IllegalTransition {
                        from,
                        action
                    })),
                    "{from} {action}"
                );
            }
        }
    }

    #[test]
    fn reviewing_twice_is_illegal() {
        let error = transition(InReview, StartReview, Company).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot start reviewing an application that is IN_REVIEW"
        );
    }

    #[test]
    fn a_final_application_cannot_be_withdrawn() {
        for from in [Accepted, Refused, Withdrawn, Obsolete, Expired] {
            assert!(matches!(
                transition(from, Withdraw, CandidateSide),
                Err(DomainError::IllegalTransition(_))
            ));
        }
    }

    #[test]
    fn the_candidate_side_cannot_take_the_companys_steps() {
        for action in [StartReview, ScheduleInterview, Accept, Refuse] {
            assert_eq!(
                transition(Submitted, action, CandidateSide),
                Err(DomainError::NotForParty {
                    party: CandidateSide,
                    action
                })
            );
        }
    }

    #[test]
    fn the_company_cannot_withdraw_for_the_candidate() {
        assert!(matches!(
            transition(Submitted, Withdraw, Company),
            Err(DomainError::NotForParty { .. })
        ));
    }

    #[test]
    fn only_the_platform_makes_obsolete_or_expires() {
        for party in [Company, CandidateSide, Operator] {
            for action in [MakeObsolete, Expire] {
                assert!(!action.is_for(party), "{party} {action}");
            }
        }
    }

    #[test]
    fn an_operator_may_take_the_steps_of_either_side() {
        assert_eq!(transition(InReview, Refuse, Operator), Ok(Refused));
        assert_eq!(transition(InReview, Withdraw, Operator), Ok(Withdrawn));
    }

    #[test]
    fn statuses_are_stored_under_their_codes_and_open_ones_are_the_first_three() {
        for status in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.is_open(), ApplicationStatus::OPEN.contains(&status));
        }
    }
}
