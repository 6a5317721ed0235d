//! Bpifrance's label decisions on completed placements. A decision is never changed nor
//! deleted: an appeal or a review is a new decision naming the latest one it reconsiders, with
//! its reason, so the history stays readable. Only the `bpifrance` role decides (the use case
//! checks the caller; [`decide_label`] refuses any other role as well).

use super::actor::{Actor, Role};
use super::error::DomainError;
use super::placement::{Placement, PlacementStatus};
use super::values::LabelReason;
use chrono::{DateTime, Utc};
use std::fmt;
use vte_domain::{CandidateId, FieldErrors, InvalidValue, LabelDecisionId, PlacementId};

/// The outcome of a label decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelOutcome {
    /// The young person may show the label on a CV.
    Granted,
    /// The label is refused, with a reason.
    Refused,
}

impl LabelOutcome {
    /// Both outcomes.
    pub const ALL: [LabelOutcome; 2] = [Self::Granted, Self::Refused];

    /// The stable code: `"GRANTED"` or `"REFUSED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "GRANTED",
            Self::Refused => "REFUSED",
        }
    }

    /// Parses a code, ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| InvalidValue::new("must be GRANTED or REFUSED"))
    }
}

impl fmt::Display for LabelOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Bpifrance decision on the label of a completed placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelDecision {
    /// The decision's id.
    pub id: LabelDecisionId,
    /// The placement decided on.
    pub placement_id: PlacementId,
    /// The young person (copied from the placement).
    pub candidate_id: CandidateId,
    /// Granted or refused.
    pub outcome: LabelOutcome,
    /// Why: always given for a refusal, optional for a grant (a reconsideration included).
    pub reason: Option<LabelReason>,
    /// Who decided: always a [`Role::Bpifrance`] actor.
    pub decided_by: Actor,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// The earlier decision this one reconsiders; `None` for the first decision.
    pub reconsiders: Option<LabelDecisionId>,
}

/// A label decision as the edge receives it (`DecideLabelRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLabelDecision {
    /// `"GRANTED"` or `"REFUSED"`; required.
    pub outcome: String,
    /// Why, 0..=2,000 characters; required (1..=2,000) for a refusal.
    pub reason: String,
    /// Empty for the first decision; otherwise the id of the latest decision.
    pub reconsiders_decision_id: String,
}

/// A recorded decision and the placement carrying it as its latest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelDecided {
    /// The new decision, to append to the history.
    pub decision: LabelDecision,
    /// The placement, with `latest_label_decision` set and its revision moved on.
    pub placement: Placement,
}

/// Records a decision on `placement`, given its `history` of decisions (any order).
///
/// - Only a `bpifrance` actor decides ([`DomainError::NotBpifrance`]).
/// - The request: an outcome; a reason for a refusal (as the contract says: a grant, even on
///   reconsideration, needs none); a well-formed decision id
///   ([`DomainError::Invalid`], every field at once).
/// - The placement must be COMPLETED ([`DomainError::PlacementNotCompleted`]).
/// - The first decision names none ([`DomainError::NothingToReconsider`]); a later one names
///   the latest ([`DomainError::AlreadyDecided`], [`DomainError::NotLatestDecision`]), so two
///   reviewers cannot overwrite each other.
pub fn decide_label(
    placement: &Placement,
    history: &[LabelDecision],
    request: &NewLabelDecision,
    id: LabelDecisionId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<LabelDecided, DomainError> {
    if actor.role != Role::Bpifrance {
        return Err(DomainError::NotBpifrance { role: actor.role });
    }
    if history.iter().any(|d| d.placement_id != placement.id) {
        return Err(DomainError::Inconsistent(
            "a label decision of another placement in the history",
        ));
    }
    let mut errors = FieldErrors::new();
    let outcome = if request.outcome.trim().is_empty() {
        errors.push(InvalidValue::new("is required").at("outcome"));
        None
    } else {
        errors.check("outcome", LabelOutcome::parse(&request.outcome))
    };
    let raw_reconsiders = request.reconsiders_decision_id.trim();
    let reconsiders = if raw_reconsiders.is_empty() {
        None
    } else {
        errors.check(
            "reconsiders_decision_id",
            LabelDecisionId::parse(raw_reconsiders),
        )
    };
    let reason = errors
        .check("reason", LabelReason::parse_optional(&request.reason))
        .flatten();
    // The contract (`DecideLabelRequest.reason`) asks for a reason on a refusal only: a
    // reconsideration that grants the label needs none.
    if reason.is_none()
        && request.reason.trim().is_empty()
        && outcome == Some(LabelOutcome::Refused)
    {
        errors.push(InvalidValue::new("is required when the label is refused").at("reason"));
    }
    errors.into_result()?;
    let Some(outcome) = outcome else {
        return Err(DomainError::Inconsistent("outcome checked but missing"));
    };
    if placement.status != PlacementStatus::Completed {
        return Err(DomainError::PlacementNotCompleted {
            status: placement.status,
        });
    }
    let latest = history.iter().max_by_key(|d| (d.decided_at, d.id));
    match (latest, reconsiders) {
        (None, Some(named)) => return Err(DomainError::NothingToReconsider { named }),
        (Some(latest), None) => return Err(DomainError::AlreadyDecided { latest: latest.id }),
        (Some(latest), Some(named)) if latest.id != named => {
            return Err(DomainError::NotLatestDecision {
                named,
                latest: latest.id,
            });
        }
        (None, None) | (Some(_), Some(_)) => {}
    }
    let decision = LabelDecision {
        id,
        placement_id: placement.id,
        candidate_id: placement.candidate_id,
        outcome,
        reason,
        decided_by: actor.clone(),
        decided_at: now,
        reconsiders,
    };
    let mut next = placement.next(now);
    next.latest_label_decision = Some(decision.clone());
    Ok(LabelDecided {
        decision,
        placement: next,
    })
}

#[cfg(test)]
mod tests;
