//! The steps of a label, each checked against the history and returning what to append:
//! the company's request (or resubmission), the young person's charter acknowledgement,
//! Bpifrance's decision, an appeal. Who may take a step is the use case's check, except for the
//! decision, which refuses any role but Bpifrance here as well.

use super::super::actor::{Actor, Role};
use super::super::error::DomainError;
use super::super::placement::{Placement, PlacementStatus};
use super::super::values::LabelReason;
use super::history::{
    CharterAcknowledgement, LabelAppeal, LabelHistory, LabelRequest, LabelStatus,
};
use super::window::LabelWindow;
use super::{
    LabelAppealId, LabelDecided, LabelDecision, LabelOutcome, LabelRequestId, ManagementLink,
    NewLabelDecision, Responsibilities,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use vte_domain::{FieldErrors, InvalidValue, LabelDecisionId};

/// A step of a label, named in [`LabelRefusal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelAction {
    /// The company requests the label or resubmits its dossier.
    Request,
    /// The young person acknowledges the charter.
    Acknowledge,
    /// Bpifrance decides.
    Decide,
    /// Bpifrance grants.
    Grant,
    /// The company or the young person appeals.
    Appeal,
}

impl fmt::Display for LabelAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Request => "request the label",
            Self::Acknowledge => "acknowledge the charter",
            Self::Decide => "decide the label",
            Self::Grant => "grant the label",
            Self::Appeal => "appeal the decision",
        })
    }
}

/// Why a label step is refused in the label's current state (`FAILED_PRECONDITION`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelRefusal {
    /// A first request after the window closed.
    #[error(
        "the label request window closed on {closes_on}: {rule} allows a request until \
         {months} months after the contract start ({start}); today is {today}"
    )]
    WindowClosed {
        /// The rule, in words ([`LabelWindow::rule`]).
        rule: String,
        /// Months after the start.
        months: u16,
        /// The contract's first day.
        start: NaiveDate,
        /// The last day a request was accepted.
        closes_on: NaiveDate,
        /// The day of the request.
        today: NaiveDate,
    },
    /// The young person has not acknowledged the VTE charter.
    #[error(
        "the young person has not acknowledged the VTE charter: they do so \
         (AcknowledgeLabelCharter) before the company requests the label"
    )]
    CharterNotAcknowledged,
    /// The VTE ended early.
    #[error("cannot {action}: the VTE ended early and can no longer be labelled")]
    EndedEarly {
        /// The step asked for.
        action: LabelAction,
    },
    /// The step does not fit where the label stands.
    #[error("cannot {action} while the label is {status}{hint}")]
    NotNow {
        /// The step asked for.
        action: LabelAction,
        /// Where the label stands.
        status: LabelStatus,
        /// What to do instead, starting with "; ", or empty.
        hint: &'static str,
    },
    /// A decision on a dossier version named a decision to reconsider.
    #[error(
        "a dossier version awaits a decision: decide it without naming a decision to \
         reconsider (named {named})"
    )]
    DossierPending {
        /// The decision named.
        named: LabelDecisionId,
    },
}

/// A label request as the edge receives it (`RequestLabelRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLabelRequest {
    /// The post's responsibilities, 1..=4,000 characters.
    pub responsibilities: String,
    /// The post's link to the management, 1..=2,000 characters.
    pub management_link: String,
    /// The company acknowledges the VTE charter: must be true.
    pub charter_acknowledged: bool,
}

fn refused(refusal: LabelRefusal) -> DomainError {
    DomainError::Label(refusal)
}

/// The company's request: version 1 within `window` (on `today`, the last day included), or
/// the next version after Bpifrance asked for a rework (whenever it comes). The dossier's
/// fields are checked all at once; the young person must have acknowledged the charter; the
/// placement must not have ended early.
#[allow(clippy::too_many_arguments)] // the request, its context and the new id and instant
pub fn request_label(
    placement: &Placement,
    history: &LabelHistory,
    window: &LabelWindow,
    input: &NewLabelRequest,
    id: LabelRequestId,
    actor: &Actor,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<LabelRequest, DomainError> {
    let mut errors = FieldErrors::new();
    let responsibilities = errors.check(
        "responsibilities",
        Responsibilities::parse(&input.responsibilities),
    );
    let management_link = errors.check(
        "management_link",
        ManagementLink::parse(&input.management_link),
    );
    if !input.charter_acknowledged {
        errors.push(
            InvalidValue::new("must be true: the company acknowledges the VTE charter")
                .at("charter_acknowledged"),
        );
    }
    errors.into_result()?;
    let (Some(responsibilities), Some(management_link)) = (responsibilities, management_link)
    else {
        return Err(DomainError::Inconsistent(
            "dossier checked without its parts",
        ));
    };
    if placement.status == PlacementStatus::EndedEarly {
        return Err(refused(LabelRefusal::EndedEarly {
            action: LabelAction::Request,
        }));
    }
    let status = history.status();
    let answers = match status {
        LabelStatus::NotRequested => {
            if !window.is_open_on(today) {
                return Err(refused(LabelRefusal::WindowClosed {
                    rule: window.rule(),
                    months: window.months,
                    start: placement.start_date,
                    closes_on: window.closes_on,
                    today,
                }));
            }
            None
        }
        LabelStatus::ReworkRequested => history.latest_decision().map(|d| d.id),
        LabelStatus::Requested | LabelStatus::Appealed => {
            return Err(not_now(
                LabelAction::Request,
                status,
                "; Bpifrance decides it",
            ));
        }
        LabelStatus::Granted => return Err(not_now(LabelAction::Request, status, "")),
        LabelStatus::Refused => {
            return Err(not_now(
                LabelAction::Request,
                status,
                "; appeal the refusal instead",
            ));
        }
    };
    if history.acknowledgement.is_none() {
        return Err(refused(LabelRefusal::CharterNotAcknowledged));
    }
    let version = history.latest_request().map_or(1, |r| r.version + 1);
    Ok(LabelRequest {
        id,
        placement_id: placement.id,
        version,
        responsibilities,
        management_link,
        requested_by: actor.clone(),
        requested_at: now,
        answers,
    })
}

fn not_now(action: LabelAction, status: LabelStatus, hint: &'static str) -> DomainError {
    refused(LabelRefusal::NotNow {
        action,
        status,
        hint,
    })
}

/// The young person's acknowledgement of the charter; `None` when it was already given (a
/// second acknowledgement changes nothing). Refused once the VTE ended early.
pub fn acknowledge_charter(
    placement: &Placement,
    history: &LabelHistory,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<CharterAcknowledgement>, DomainError> {
    if history.acknowledgement.is_some() {
        return Ok(None);
    }
    if placement.status == PlacementStatus::EndedEarly {
        return Err(refused(LabelRefusal::EndedEarly {
            action: LabelAction::Acknowledge,
        }));
    }
    Ok(Some(CharterAcknowledgement {
        placement_id: placement.id,
        acknowledged_by: actor.clone(),
        acknowledged_at: now,
    }))
}

/// An appeal of the latest decision, which must be a refusal not appealed yet; the reason is
/// required (1..=2,000 characters). Refused once the VTE ended early.
pub fn appeal_label(
    placement: &Placement,
    history: &LabelHistory,
    reason: &str,
    id: LabelAppealId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<LabelAppeal, DomainError> {
    let reason = LabelReason::parse(reason).map_err(|rule| rule.at("reason"))?;
    if placement.status == PlacementStatus::EndedEarly {
        return Err(refused(LabelRefusal::EndedEarly {
            action: LabelAction::Appeal,
        }));
    }
    let status = history.status();
    let refusal = match (status, history.latest_decision()) {
        (LabelStatus::Refused, Some(refusal)) => refusal,
        (LabelStatus::Appealed, _) => {
            return Err(not_now(
                LabelAction::Appeal,
                status,
                "; Bpifrance decides the appeal",
            ));
        }
        _ => {
            return Err(not_now(
                LabelAction::Appeal,
                status,
                "; only a refusal is appealed",
            ));
        }
    };
    Ok(LabelAppeal {
        id,
        placement_id: placement.id,
        appeals: refusal.id,
        reason: Some(reason),
        appealed_by: actor.clone(),
        appealed_at: now,
    })
}

/// Bpifrance's decision on `placement` given its `history`.
///
/// - Only a `bpifrance` actor decides ([`DomainError::NotBpifrance`]).
/// - The request: an outcome; a reason for a refusal and a rework; a well-formed decision id
///   ([`DomainError::Invalid`], every field at once).
/// - What is decided follows the history: the pending appeal (naming nothing or the refusal
///   appealed), else the pending dossier version (naming nothing), else, as a review, the
///   latest grant or refusal, which must be named ([`DomainError::AlreadyDecided`],
///   [`DomainError::NotLatestDecision`]), so two reviewers cannot overwrite each other.
///   Nothing requested, or a rework awaited from the company, is [`LabelRefusal::NotNow`].
/// - The label is retroactive: an ACTIVE placement may be decided; an ENDED_EARLY one only
///   refused.
pub fn decide_label(
    placement: &Placement,
    history: &LabelHistory,
    request: &NewLabelDecision,
    id: LabelDecisionId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<LabelDecided, DomainError> {
    if actor.role != Role::Bpifrance {
        return Err(DomainError::NotBpifrance { role: actor.role });
    }
    let belongs = |id| id == placement.id;
    if !(history.requests.iter().all(|r| belongs(r.placement_id))
        && history.decisions.iter().all(|d| belongs(d.placement_id))
        && history.appeals.iter().all(|a| belongs(a.placement_id)))
    {
        return Err(DomainError::Inconsistent(
            "a label record of another placement in the history",
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
    let named = if raw_reconsiders.is_empty() {
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
    if let Some(outcome) = outcome
        && outcome.needs_reason()
        && request.reason.trim().is_empty()
    {
        let rule = match outcome {
            LabelOutcome::ReworkRequested => {
                "is required when asking for a rework: say what to rework in the fiche de poste"
            }
            _ => "is required when the label is refused",
        };
        errors.push(InvalidValue::new(rule).at("reason"));
    }
    errors.into_result()?;
    let Some(outcome) = outcome else {
        return Err(DomainError::Inconsistent("outcome checked but missing"));
    };
    let status = history.status();
    let latest = history.latest_decision();
    let (reconsiders, on_request, appeal) = match status {
        LabelStatus::Appealed => {
            let Some(appeal) = history.pending_appeal() else {
                return Err(DomainError::Inconsistent(
                    "appealed without a pending appeal",
                ));
            };
            if let Some(named) = named
                && named != appeal.appeals
            {
                return Err(DomainError::NotLatestDecision {
                    named,
                    latest: appeal.appeals,
                });
            }
            (
                Some(appeal.appeals),
                history.latest_request(),
                Some(appeal.id),
            )
        }
        LabelStatus::Requested => {
            if let Some(named) = named {
                return Err(refused(LabelRefusal::DossierPending { named }));
            }
            (None, history.pending_request(), None)
        }
        LabelStatus::Granted | LabelStatus::Refused => {
            let Some(latest) = latest else {
                return Err(DomainError::Inconsistent("decided without a decision"));
            };
            match named {
                None => return Err(DomainError::AlreadyDecided { latest: latest.id }),
                Some(named) if named != latest.id => {
                    return Err(DomainError::NotLatestDecision {
                        named,
                        latest: latest.id,
                    });
                }
                Some(_) => {}
            }
            (Some(latest.id), history.latest_request(), None)
        }
        LabelStatus::NotRequested => {
            return Err(not_now(
                LabelAction::Decide,
                status,
                "; the company requests it first (RequestLabel)",
            ));
        }
        LabelStatus::ReworkRequested => {
            return Err(not_now(
                LabelAction::Decide,
                status,
                "; the company resubmits its reworked dossier first",
            ));
        }
    };
    if placement.status == PlacementStatus::EndedEarly && outcome != LabelOutcome::Refused {
        return Err(refused(LabelRefusal::EndedEarly {
            action: if outcome == LabelOutcome::Granted {
                LabelAction::Grant
            } else {
                LabelAction::Decide
            },
        }));
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
        request: on_request.map(|r| r.id),
        appeal,
    };
    let mut next = placement.next(now);
    next.latest_label_decision = Some(decision.clone());
    Ok(LabelDecided {
        decision,
        placement: next,
    })
}
