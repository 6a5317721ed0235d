//! Why a domain operation refused: one enum naming each situation, and the [`ErrorKind`] that
//! says how it reaches a client (bad input, a step not allowed from the current state, a party
//! acting outside its role, or inconsistent inputs from the store). The service's error
//! ([`crate::Error`]) carries it; `grpc::status` maps it once to a status code.

use super::actor::{Party, Role};
use super::application_state::{ApplicationAction, IllegalTransition};
use super::offer::{OfferAction, OfferStatus};
use super::placement::{PlacementAction, PlacementStatus};
use chrono::{DateTime, NaiveDate, Utc};
use vte_domain::{FieldError, FieldErrors, LabelDecisionId};

/// How a [`DomainError`] reaches a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is wrong (`INVALID_ARGUMENT`): fields and rules are named.
    InvalidArgument,
    /// The request is fine but not in the current state (`FAILED_PRECONDITION`).
    FailedPrecondition,
    /// The caller's role may not take this step (`PERMISSION_DENIED`).
    PermissionDenied,
    /// The store handed over aggregates that do not belong together (`INTERNAL`).
    Internal,
}

/// A refused domain operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Fields of the request break rules; every one is listed.
    #[error("invalid request: {0}")]
    Invalid(FieldErrors),
    /// The offer's status does not allow this step.
    #[error("cannot {action} an offer that is {from}")]
    IllegalOfferTransition {
        /// The offer's current status.
        from: OfferStatus,
        /// The step asked for.
        action: OfferAction,
    },
    /// The offer changed since the caller read it.
    #[error("the offer is at revision {actual}, not {expected}: read it again")]
    RevisionMismatch {
        /// The revision the caller expected.
        expected: u64,
        /// The offer's revision.
        actual: u64,
    },
    /// Every position of the offer is filled.
    #[error("every position of the offer is filled")]
    NoPositionLeft,
    /// The offer is not published, so it takes no application.
    #[error("the offer is {status}, not open to applications")]
    OfferNotOpen {
        /// The offer's status.
        status: OfferStatus,
    },
    /// The offer's last day to apply has passed.
    #[error("applications closed on {last_day}")]
    ApplicationsClosed {
        /// The last day applications were accepted.
        last_day: NaiveDate,
    },
    /// The offer cannot expire yet.
    #[error("the offer is open to applications until {last_day}")]
    OfferStillOpen {
        /// The last day applications are accepted.
        last_day: NaiveDate,
    },
    /// The application's status does not allow this step.
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    /// This party may not take this step of an application, whatever its status.
    #[error("{party} may not {action} an application")]
    NotForParty {
        /// Who asked.
        party: Party,
        /// The step asked for.
        action: ApplicationAction,
    },
    /// Only a candidate, or their school on their behalf, applies.
    #[error("only a candidate or their school applies, not {role}")]
    CannotApply {
        /// The role of the caller.
        role: Role,
    },
    /// The application is not due to expire for want of an answer yet.
    #[error("the application expires unanswered only from {due_at}")]
    NotDueForExpiry {
        /// When it becomes due.
        due_at: DateTime<Utc>,
    },
    /// The role plays no part in applications.
    #[error("the role {role} takes no part in applications")]
    NoPartInApplications {
        /// The role of the caller.
        role: Role,
    },
    /// The placement's status does not allow this step.
    #[error("cannot {action} a placement that is {from}")]
    IllegalPlacementTransition {
        /// The placement's current status.
        from: PlacementStatus,
        /// The step asked for.
        action: PlacementAction,
    },
    /// A label is decided only on a completed placement.
    #[error("a label is decided only on a completed placement; this one is {status}")]
    PlacementNotCompleted {
        /// The placement's status.
        status: PlacementStatus,
    },
    /// A first decision named a decision to reconsider, but there is none.
    #[error("there is no decision on this placement to reconsider (named {named})")]
    NothingToReconsider {
        /// The decision named.
        named: LabelDecisionId,
    },
    /// The placement already has a decision: a new one must name the latest to reconsider it.
    #[error("the label was already decided ({latest}): name that decision to reconsider it")]
    AlreadyDecided {
        /// The latest decision.
        latest: LabelDecisionId,
    },
    /// The decision named is not the latest one (someone decided in between).
    #[error("decision {named} is not the latest on this placement; the latest is {latest}")]
    NotLatestDecision {
        /// The decision named.
        named: LabelDecisionId,
        /// The latest decision.
        latest: LabelDecisionId,
    },
    /// Only Bpifrance decides labels.
    #[error("only bpifrance decides labels, not {role}")]
    NotBpifrance {
        /// The role of the caller.
        role: Role,
    },
    /// A label step that does not fit where the label stands (its window, its status, the
    /// charter, an early end): see [`LabelRefusal`](super::label::LabelRefusal).
    #[error(transparent)]
    Label(#[from] super::label::LabelRefusal),
    /// The pair (offer, candidate) breaks a rule of the scheme: no application, no hire. The
    /// rule's code and the French reason come from the eligibility verdict (`vte_rules`).
    #[error("not eligible to the VTE under {rule_set} (rule {rule}): {reason}")]
    NotEligible {
        /// The first rule not met, e.g. `graduate_recency`.
        rule: &'static str,
        /// Why, in French, with the dates and levels compared.
        reason: String,
        /// The scheme's rule set judged by.
        rule_set: String,
    },
    /// The store passed aggregates that do not belong together (a bug, not a client error).
    #[error("inconsistent input: {0}")]
    Inconsistent(&'static str),
}

impl DomainError {
    /// How the error reaches a client.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::InvalidArgument,
            Self::NotForParty { .. }
            | Self::CannotApply { .. }
            | Self::NoPartInApplications { .. }
            | Self::NotBpifrance { .. } => ErrorKind::PermissionDenied,
            Self::Inconsistent(_) => ErrorKind::Internal,
            Self::IllegalOfferTransition { .. }
            | Self::RevisionMismatch { .. }
            | Self::NoPositionLeft
            | Self::OfferNotOpen { .. }
            | Self::ApplicationsClosed { .. }
            | Self::OfferStillOpen { .. }
            | Self::IllegalTransition(_)
            | Self::NotDueForExpiry { .. }
            | Self::IllegalPlacementTransition { .. }
            | Self::PlacementNotCompleted { .. }
            | Self::NothingToReconsider { .. }
            | Self::AlreadyDecided { .. }
            | Self::NotLatestDecision { .. }
            | Self::Label(_)
            | Self::NotEligible { .. } => ErrorKind::FailedPrecondition,
        }
    }

    /// The field errors, for an [`ErrorKind::InvalidArgument`].
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            Self::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

impl DomainError {
    /// The refusal of a pair the verdict finds not eligible; `None` when it is eligible or to
    /// confirm (never refused on rules nobody has published yet).
    pub fn unless_admissible(verdict: &vte_rules::Verdict) -> Result<(), Self> {
        match verdict.unmet().next() {
            Some(check) if !verdict.admissible() => Err(Self::NotEligible {
                rule: check.rule.code(),
                reason: verdict
                    .unmet()
                    .map(|check| check.reason.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                rule_set: verdict.rule_set_id.clone(),
            }),
            _ => Ok(()),
        }
    }
}

impl From<FieldErrors> for DomainError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl From<FieldError> for DomainError {
    fn from(error: FieldError) -> Self {
        Self::Invalid(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::application_state::ApplicationStatus;
    use vte_domain::InvalidValue;

    #[test]
    fn bad_input_is_an_invalid_argument_naming_the_field() {
        let error = DomainError::from(InvalidValue::new("must not be empty").at("reason"));
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            error.to_string(),
            "invalid request: reason: must not be empty"
        );
    }

    #[test]
    fn an_illegal_transition_is_a_failed_precondition_naming_state_and_step() {
        let error = DomainError::from(IllegalTransition {
            from: ApplicationStatus::Refused,
            action: ApplicationAction::Accept,
        });
        assert_eq!(error.kind(), ErrorKind::FailedPrecondition);
        assert_eq!(
            error.to_string(),
            "cannot accept an application that is REFUSED"
        );
    }

    #[test]
    fn a_party_acting_outside_its_role_is_denied() {
        let error = DomainError::NotForParty {
            party: Party::CandidateSide,
            action: ApplicationAction::Accept,
        };
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
        assert_eq!(
            error.to_string(),
            "the candidate or their school may not accept an application"
        );
    }
}
