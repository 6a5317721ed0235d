//! A placement's label history (dossier versions, the young person's charter acknowledgement,
//! decisions, appeals; each oldest first, never changed) and what it says: where the label
//! stands ([`LabelStatus`]) and since when it has been waiting for Bpifrance. [`LabelCase`] is
//! the history with its placement's summary and request window, as readers see it.

use super::super::actor::Actor;
use super::super::placement::{Placement, PlacementStatus};
use super::super::values::{CompanyName, LabelReason, Title};
use super::window::LabelWindow;
use super::{LabelAppealId, LabelDecision, LabelOutcome, LabelRequestId};
use super::{ManagementLink, Responsibilities};
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use vte_domain::{InvalidValue, LabelDecisionId, PlacementId, Siren};

/// One version of the company's dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRequest {
    /// The version's id.
    pub id: LabelRequestId,
    /// The placement.
    pub placement_id: PlacementId,
    /// 1, then one more for each resubmission.
    pub version: u32,
    /// The post's responsibilities.
    pub responsibilities: Responsibilities,
    /// The post's link to the company's management.
    pub management_link: ManagementLink,
    /// Who requested (the company, or an operator); the company's charter acknowledgement
    /// goes with the request (a request without it is refused).
    pub requested_by: Actor,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// The rework decision a resubmission answers; `None` for version 1.
    pub answers: Option<LabelDecisionId>,
}

/// The young person's acknowledgement of the VTE charter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharterAcknowledgement {
    /// The placement.
    pub placement_id: PlacementId,
    /// The young person (or an operator).
    pub acknowledged_by: Actor,
    /// When.
    pub acknowledged_at: DateTime<Utc>,
}

/// An appeal against a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelAppeal {
    /// The appeal's id.
    pub id: LabelAppealId,
    /// The placement.
    pub placement_id: PlacementId,
    /// The refusal appealed.
    pub appeals: LabelDecisionId,
    /// Why; `None` once the young person was erased (what people wrote about them goes).
    pub reason: Option<LabelReason>,
    /// The company or the young person (or an operator).
    pub appealed_by: Actor,
    /// When.
    pub appealed_at: DateTime<Utc>,
}

/// Where a placement's label stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelStatus {
    /// The company has not requested it.
    NotRequested,
    /// A dossier version awaits Bpifrance.
    Requested,
    /// Bpifrance asked for a rework; the company resubmits.
    ReworkRequested,
    /// Granted.
    Granted,
    /// Refused; the company or the young person may appeal.
    Refused,
    /// An appeal awaits Bpifrance.
    Appealed,
}

impl LabelStatus {
    /// Every status.
    pub const ALL: [LabelStatus; 6] = [
        Self::NotRequested,
        Self::Requested,
        Self::ReworkRequested,
        Self::Granted,
        Self::Refused,
        Self::Appealed,
    ];

    /// The stable code, e.g. `"REQUESTED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotRequested => "NOT_REQUESTED",
            Self::Requested => "REQUESTED",
            Self::ReworkRequested => "REWORK_REQUESTED",
            Self::Granted => "GRANTED",
            Self::Refused => "REFUSED",
            Self::Appealed => "APPEALED",
        }
    }

    /// Parses a code as written by [`as_str`](Self::as_str).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| InvalidValue::new("must be a label status"))
    }

    /// Whether Bpifrance has something to decide.
    pub const fn is_pending(self) -> bool {
        matches!(self, Self::Requested | Self::Appealed)
    }
}

impl fmt::Display for LabelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything recorded about a placement's label, each list oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelHistory {
    /// The dossier versions.
    pub requests: Vec<LabelRequest>,
    /// The young person's acknowledgement of the charter, once given.
    pub acknowledgement: Option<CharterAcknowledgement>,
    /// Bpifrance's decisions.
    pub decisions: Vec<LabelDecision>,
    /// The appeals.
    pub appeals: Vec<LabelAppeal>,
}

impl LabelHistory {
    /// The latest dossier version.
    pub fn latest_request(&self) -> Option<&LabelRequest> {
        self.requests.iter().max_by_key(|r| r.version)
    }

    /// The latest decision.
    pub fn latest_decision(&self) -> Option<&LabelDecision> {
        self.decisions.iter().max_by_key(|d| (d.decided_at, d.id))
    }

    /// The appeal no decision answers yet.
    pub fn pending_appeal(&self) -> Option<&LabelAppeal> {
        self.appeals
            .iter()
            .find(|appeal| !self.decisions.iter().any(|d| d.appeal == Some(appeal.id)))
    }

    /// The dossier version no decision is about yet.
    pub fn pending_request(&self) -> Option<&LabelRequest> {
        self.latest_request()
            .filter(|request| !self.decisions.iter().any(|d| d.request == Some(request.id)))
    }

    /// Where the label stands: a pending appeal or dossier version first, else the latest
    /// decision's outcome, else not requested.
    pub fn status(&self) -> LabelStatus {
        if self.pending_appeal().is_some() {
            return LabelStatus::Appealed;
        }
        if self.pending_request().is_some() {
            return LabelStatus::Requested;
        }
        match self.latest_decision().map(|d| d.outcome) {
            None => LabelStatus::NotRequested,
            Some(LabelOutcome::Granted) => LabelStatus::Granted,
            Some(LabelOutcome::Refused) => LabelStatus::Refused,
            Some(LabelOutcome::ReworkRequested) => LabelStatus::ReworkRequested,
        }
    }

    /// Since when Bpifrance has had something to decide.
    pub fn pending_since(&self) -> Option<DateTime<Utc>> {
        if let Some(appeal) = self.pending_appeal() {
            return Some(appeal.appealed_at);
        }
        self.pending_request().map(|request| request.requested_at)
    }
}

/// A placement's label as readers see it: the placement's summary, the request window and
/// the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCase {
    /// The placement.
    pub placement_id: PlacementId,
    /// The company.
    pub company_siren: Siren,
    /// The company's name.
    pub company_name: CompanyName,
    /// The offer's title.
    pub offer_title: Title,
    /// The contract's first day.
    pub start_date: NaiveDate,
    /// The placement's status.
    pub placement_status: PlacementStatus,
    /// The request window.
    pub window: LabelWindow,
    /// Everything recorded.
    pub history: LabelHistory,
}

impl LabelCase {
    /// The case of `placement`, with its `window` and `history`.
    pub fn new(placement: &Placement, window: LabelWindow, history: LabelHistory) -> Self {
        Self {
            placement_id: placement.id,
            company_siren: placement.company_siren,
            company_name: placement.company_name.clone(),
            offer_title: placement.offer_title.clone(),
            start_date: placement.start_date,
            placement_status: placement.status,
            window,
            history,
        }
    }

    /// Where the label stands.
    pub fn status(&self) -> LabelStatus {
        self.history.status()
    }
}
