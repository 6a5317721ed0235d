//! The VTE label as practised since 2020: the company requests it with a dossier (the post's
//! responsibilities, its link to the management, the VTE charter acknowledged by the company and
//! by the young person) from the hire until the window of its rule set closes ([`window`]);
//! Bpifrance grants it, refuses it with a reason, or asks for the fiche de poste to be reworked,
//! after which the company resubmits a new version; the company or the young person may appeal
//! a refusal, which Bpifrance decides in a new decision naming the refusal it reconsiders.
//! Nothing is ever changed nor deleted: [`history`] holds the versions, decisions and appeals,
//! and says where the label stands; [`steps`] are the checked steps.
//!
//! The label is retroactive: it may be decided while the VTE is ACTIVE. After an early end only a
//! refusal may still be decided, and nothing may be requested nor appealed (a label granted
//! before the early end stays in the history: it is never changed).

pub mod history;
pub mod steps;
pub mod window;

use super::actor::Actor;
use super::placement::Placement;
use super::values::LabelReason;
use chrono::{DateTime, Utc};
use std::fmt;
use uuid::Uuid;
use vte_domain::{CandidateId, InvalidValue, LabelDecisionId, PlacementId};

pub use history::{
    CharterAcknowledgement, LabelAppeal, LabelCase, LabelHistory, LabelRequest, LabelStatus,
};
pub use steps::{
    LabelAction, LabelRefusal, NewLabelRequest, acknowledge_charter, appeal_label, decide_label,
    request_label,
};
pub use window::{
    DEFAULT_LABEL_REQUEST_MONTHS, LabelWindow, label_window, longest_label_window_months,
};

/// Text of the company's dossier: the post's responsibilities, 1..=4,000 characters.
pub type Responsibilities = super::values::BoundedText<4000>;
/// Text of the company's dossier: the post's link to the management, 1..=2,000 characters.
pub type ManagementLink = super::values::BoundedText<2000>;

macro_rules! label_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        #[allow(clippy::new_without_default)]
        impl $name {
            /// A fresh, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps a UUID read from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }
    };
}

label_id!(
    /// The id of one version of a company's label dossier.
    LabelRequestId
);
label_id!(
    /// The id of an appeal against a refusal.
    LabelAppealId
);

/// The outcome of a label decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelOutcome {
    /// The young person may show the label on a CV; it is retroactive.
    Granted,
    /// The label is refused, with a reason; it may be appealed.
    Refused,
    /// The fiche de poste is to be reworked (the reason says what); the company resubmits.
    ReworkRequested,
}

impl LabelOutcome {
    /// Every outcome.
    pub const ALL: [LabelOutcome; 3] = [Self::Granted, Self::Refused, Self::ReworkRequested];

    /// The stable code: `"GRANTED"`, `"REFUSED"` or `"REWORK_REQUESTED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "GRANTED",
            Self::Refused => "REFUSED",
            Self::ReworkRequested => "REWORK_REQUESTED",
        }
    }

    /// Parses a code, ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| InvalidValue::new("must be GRANTED, REFUSED or REWORK_REQUESTED"))
    }

    /// Whether a decision with this outcome must say why.
    pub const fn needs_reason(self) -> bool {
        !matches!(self, Self::Granted)
    }
}

impl fmt::Display for LabelOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Bpifrance decision on a placement's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelDecision {
    /// The decision's id.
    pub id: LabelDecisionId,
    /// The placement decided on.
    pub placement_id: PlacementId,
    /// The young person (copied from the placement).
    pub candidate_id: CandidateId,
    /// Granted, refused, or to rework.
    pub outcome: LabelOutcome,
    /// Why: always given for a refusal and a rework, optional for a grant.
    pub reason: Option<LabelReason>,
    /// Who decided: always a Bpifrance actor.
    pub decided_by: Actor,
    /// When.
    pub decided_at: DateTime<Utc>,
    /// The earlier decision this one reconsiders (an appeal's refusal, or a review).
    pub reconsiders: Option<LabelDecisionId>,
    /// The dossier version decided on; `None` for decisions recorded before requests existed.
    pub request: Option<LabelRequestId>,
    /// The appeal this decision answers.
    pub appeal: Option<LabelAppealId>,
}

/// A label decision as the edge receives it (`DecideLabelRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLabelDecision {
    /// `"GRANTED"`, `"REFUSED"` or `"REWORK_REQUESTED"`; required.
    pub outcome: String,
    /// Why, 0..=2,000 characters; required (1..=2,000) for a refusal and a rework.
    pub reason: String,
    /// Empty for a decision on a dossier version; the refusal appealed (or empty) for an
    /// appeal; the latest decision for a review.
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

#[cfg(test)]
mod tests;

/// Ready-made label histories for the crate's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::domain::actor::Role;

    /// The history of `placement` with the young person's acknowledgement and a first dossier,
    /// both at `at`, awaiting Bpifrance.
    pub(crate) fn pending_request(placement: &Placement, at: DateTime<Utc>) -> LabelHistory {
        let company = Actor::new(
            Role::Company,
            "user-17",
            Some(placement.company_siren.to_string()),
        );
        let young_person = Actor::new(
            Role::Candidate,
            "user-42",
            Some(placement.candidate_id.to_string()),
        );
        LabelHistory {
            requests: vec![LabelRequest {
                id: LabelRequestId::new(),
                placement_id: placement.id,
                version: 1,
                responsibilities: Responsibilities::parse("Industrialiser la ligne d'usinage.")
                    .unwrap(),
                management_link: ManagementLink::parse("Rattaché au directeur général.").unwrap(),
                requested_by: company,
                requested_at: at,
                answers: None,
            }],
            acknowledgement: Some(CharterAcknowledgement {
                placement_id: placement.id,
                acknowledged_by: young_person,
                acknowledged_at: at,
            }),
            ..LabelHistory::default()
        }
    }
}
