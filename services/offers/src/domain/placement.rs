//! The placement aggregate: the VTE contract born from an accepted application. It runs from
//! its start date to a planned end (start + duration, or start + 12 months for a CDI, the
//! minimum VTE experience), then becomes COMPLETED, or ENDED_EARLY with a reason. Its label is
//! requested by the company from the hire and may be granted while it runs: it is retroactive
//! ([`label`](super::label)); after an early end it can only be refused.

use super::application::Application;
use super::eligibility::Frozen;
use super::error::DomainError;
use super::label::LabelDecision;
use super::location::Location;
use super::spec::OfferSpec;
use super::values::{CompanyName, Note, RawDate, Title};
use chrono::{DateTime, Months, NaiveDate, Utc};
use std::fmt;
use vte_domain::{
    ApplicationId, CandidateId, Contract, FieldErrors, InvalidValue, MissionType, OfferId,
    PlacementId, SchoolId, Siren,
};

/// The shortest VTE experience, in months: also the planned term of a CDI's VTE.
pub const VTE_MIN_MONTHS: u32 = 12;

/// Where a placement is in its life. COMPLETED and ENDED_EARLY are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlacementStatus {
    /// The contract runs.
    Active,
    /// The VTE ran its course.
    Completed,
    /// The VTE stopped before completion; a label not granted by then cannot be any more.
    EndedEarly,
}

impl PlacementStatus {
    /// Every status.
    pub const ALL: [PlacementStatus; 3] = [Self::Active, Self::Completed, Self::EndedEarly];

    /// The stable code: `"ACTIVE"`, `"COMPLETED"` or `"ENDED_EARLY"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Completed => "COMPLETED",
            Self::EndedEarly => "ENDED_EARLY",
        }
    }

    /// Parses a code as written by [`as_str`](Self::as_str), ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| InvalidValue::new("must be one of ACTIVE, COMPLETED, ENDED_EARLY"))
    }

    /// Whether nothing but a label decision can happen to the placement any more.
    pub const fn is_final(self) -> bool {
        !matches!(self, Self::Active)
    }
}

impl fmt::Display for PlacementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of a placement's life, named in [`DomainError::IllegalPlacementTransition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlacementAction {
    /// Record the completion (CompletePlacement).
    Complete,
    /// Record an early end (EndPlacementEarly).
    EndEarly,
}

impl fmt::Display for PlacementAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Complete => "complete",
            Self::EndEarly => "end early",
        })
    }
}

/// Why a placement ended before completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EarlyEndReason {
    /// Ended during the trial period, by either side.
    TrialPeriod,
    /// The young person resigned or broke off the work-study contract.
    Resignation,
    /// The company dismissed the young person.
    Dismissal,
    /// Both sides agreed (rupture conventionnelle).
    MutualAgreement,
    /// The company closed, was sold or went into insolvency proceedings.
    CompanyDiscontinued,
    /// The young person failed or left their course (work-study).
    StudiesEnded,
    /// Anything else: the note says what.
    Other,
}

impl EarlyEndReason {
    /// Every reason.
    pub const ALL: [EarlyEndReason; 7] = [
        Self::TrialPeriod,
        Self::Resignation,
        Self::Dismissal,
        Self::MutualAgreement,
        Self::CompanyDiscontinued,
        Self::StudiesEnded,
        Self::Other,
    ];

    /// The stable code, e.g. `"TRIAL_PERIOD"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TrialPeriod => "TRIAL_PERIOD",
            Self::Resignation => "RESIGNATION",
            Self::Dismissal => "DISMISSAL",
            Self::MutualAgreement => "MUTUAL_AGREEMENT",
            Self::CompanyDiscontinued => "COMPANY_DISCONTINUED",
            Self::StudiesEnded => "STUDIES_ENDED",
            Self::Other => "OTHER",
        }
    }

    /// Parses a code, ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| {
                InvalidValue::new(
                    "must be one of TRIAL_PERIOD, RESIGNATION, DISMISSAL, MUTUAL_AGREEMENT, \
                     COMPANY_DISCONTINUED, STUDIES_ENDED, OTHER",
                )
            })
    }
}

/// Why and how a placement ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyEnd {
    /// The reason.
    pub reason: EarlyEndReason,
    /// Details, 0..=1,000 characters; always present with [`EarlyEndReason::Other`].
    pub note: Option<Note>,
}

/// The day a VTE is due to complete: `start` plus the contract's duration, or plus
/// [`VTE_MIN_MONTHS`] for a CDI (the contract has no end, the VTE experience lasts a year).
/// Month arithmetic clamps to the month's last day (31 January + 1 month = 28 or 29 February).
pub fn planned_end_date(contract: &Contract, start: NaiveDate) -> NaiveDate {
    let months = contract.duration_months().map_or(VTE_MIN_MONTHS, u32::from);
    // Dates come from the wire with years up to 9999, far from chrono's limit.
    start
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// A VTE contract between a company and a young person. Fields are public for the store and
/// the proto mapping; change it only through the step methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The placement's id.
    pub id: PlacementId,
    /// The accepted application.
    pub application_id: ApplicationId,
    /// The offer.
    pub offer_id: OfferId,
    /// The company.
    pub company_siren: Siren,
    /// The company's name, copied from the offer.
    pub company_name: CompanyName,
    /// The offer's title, copied from the offer.
    pub offer_title: Title,
    /// The offer's primary mission type.
    pub mission_type: MissionType,
    /// The young person.
    pub candidate_id: CandidateId,
    /// Their school, when known.
    pub school_id: Option<SchoolId>,
    /// Kind and duration of the contract.
    pub contract: Contract,
    /// First day of the contract.
    pub start_date: NaiveDate,
    /// Day the VTE is due to complete ([`planned_end_date`]).
    pub planned_end_date: NaiveDate,
    /// Workplace, copied from the offer.
    pub location: Location,
    /// The rules, verdict and aids of the hire, frozen then and never recomputed.
    pub frozen: Frozen,
    /// Where the placement is in its life.
    pub status: PlacementStatus,
    /// Last day of the VTE, once completed or ended early.
    pub ended_on: Option<NaiveDate>,
    /// Why it ended early.
    pub early_end: Option<EarlyEnd>,
    /// The latest label decision, if any.
    pub latest_label_decision: Option<LabelDecision>,
    /// 1 at creation, plus one on every change (label decisions included).
    pub revision: u64,
    /// When the application was accepted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Placement {
    /// The placement an accepted application starts, ACTIVE, revision 1.
    pub fn start(
        id: PlacementId,
        application: &Application,
        spec: &OfferSpec,
        contract: Contract,
        start_date: NaiveDate,
        frozen: Frozen,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            application_id: application.id,
            offer_id: application.offer_id,
            company_siren: application.company_siren,
            company_name: spec.company_name.clone(),
            offer_title: spec.title.clone(),
            mission_type: spec.primary_mission_type,
            candidate_id: application.candidate_id,
            school_id: application.school_id,
            contract,
            start_date,
            planned_end_date: planned_end_date(&contract, start_date),
            location: spec.location.clone(),
            frozen,
            status: PlacementStatus::Active,
            ended_on: None,
            early_end: None,
            latest_label_decision: None,
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// The earliest last day a completion may record: the day before [`planned_end_date`],
    /// since a contract of 12 months from 1 September 2025 ends on 31 August 2026.
    pub fn earliest_completion(&self) -> NaiveDate {
        self.planned_end_date
            .pred_opt()
            .unwrap_or(self.planned_end_date)
    }

    /// Records that the VTE ran its course: ACTIVE -> COMPLETED. `completed_on` (field
    /// `completed_on`), the last day, is required, not before
    /// [`earliest_completion`](Self::earliest_completion) and not after `today`. The company,
    /// Bpifrance or an operator may record it (checked by the use case).
    pub fn complete(
        &self,
        completed_on: Option<RawDate>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Placement, DomainError> {
        const FIELD: &str = "completed_on";
        let day = required_date(FIELD, completed_on)?;
        let earliest = self.earliest_completion();
        let mut errors = FieldErrors::new();
        if day < earliest {
            let planned = self.planned_end_date;
            errors.push(
                InvalidValue::new(format!(
                    "must be on or after {earliest}, the last day of the planned term (planned \
                     end {planned}), got {day}"
                ))
                .at(FIELD),
            );
        }
        not_after_today(&mut errors, FIELD, day, today);
        errors.into_result()?;
        self.check_active(PlacementAction::Complete)?;
        let mut next = self.next(now);
        next.status = PlacementStatus::Completed;
        next.ended_on = Some(day);
        Ok(next)
    }

    /// Records that the VTE stopped early: ACTIVE -> ENDED_EARLY. `ended_on` (the last day
    /// worked) is required, on or after the start date, not after `today`, and before
    /// [`earliest_completion`](Self::earliest_completion) (later, the VTE ran its course and is
    /// completed instead). `reason` is an [`EarlyEndReason`] code, required; `note` is 0..=1,000
    /// characters, required with OTHER. The company, the school, Bpifrance or an operator may
    /// record it (checked by the use case).
    pub fn end_early(
        &self,
        ended_on: Option<RawDate>,
        reason: &str,
        note: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Placement, DomainError> {
        let mut errors = FieldErrors::new();
        let day = match ended_on {
            None => {
                errors.push(InvalidValue::new("is required").at("ended_on"));
                None
            }
            Some(raw) => errors.check("ended_on", raw.parse()),
        };
        if let Some(day) = day {
            if day < self.start_date {
                let start = self.start_date;
                errors.push(
                    InvalidValue::new(format!(
                        "must be on or after the start date ({start}), got {day}"
                    ))
                    .at("ended_on"),
                );
            }
            let earliest = self.earliest_completion();
            if day >= earliest {
                errors.push(
                    InvalidValue::new(format!(
                        "is on or after {earliest}, the last day of the planned term: complete \
                         the placement instead"
                    ))
                    .at("ended_on"),
                );
            }
            not_after_today(&mut errors, "ended_on", day, today);
        }
        let reason = if reason.trim().is_empty() {
            errors.push(InvalidValue::new("is required").at("reason"));
            None
        } else {
            errors.check("reason", EarlyEndReason::parse(reason))
        };
        let note = errors.check("note", Note::parse_optional(note)).flatten();
        if reason == Some(EarlyEndReason::Other) && note.is_none() {
            errors.push(InvalidValue::new("is required when the reason is OTHER").at("note"));
        }
        errors.into_result()?;
        self.check_active(PlacementAction::EndEarly)?;
        let (Some(day), Some(reason)) = (day, reason) else {
            return Err(DomainError::Inconsistent(
                "early end checked without its parts",
            ));
        };
        let mut next = self.next(now);
        next.status = PlacementStatus::EndedEarly;
        next.ended_on = Some(day);
        next.early_end = Some(EarlyEnd { reason, note });
        Ok(next)
    }

    pub(crate) fn next(&self, now: DateTime<Utc>) -> Placement {
        let mut next = self.clone();
        next.revision += 1;
        next.updated_at = now;
        next
    }

    fn check_active(&self, action: PlacementAction) -> Result<(), DomainError> {
        match self.status {
            PlacementStatus::Active => Ok(()),
            from => Err(DomainError::IllegalPlacementTransition { from, action }),
        }
    }
}

fn required_date(field: &str, raw: Option<RawDate>) -> Result<NaiveDate, DomainError> {
    let raw = raw.ok_or_else(|| InvalidValue::new("is required").at(field))?;
    Ok(raw.parse().map_err(|e| e.at(field))?)
}

fn not_after_today(errors: &mut FieldErrors, field: &str, day: NaiveDate, today: NaiveDate) {
    if day > today {
        errors.push(
            InvalidValue::new(format!(
                "must not be in the future (today is {today}), got {day}"
            ))
            .at(field),
        );
    }
}

#[cfg(test)]
mod tests;
