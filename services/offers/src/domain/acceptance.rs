//! Accepting an application, the step that touches three aggregates: the application becomes
//! ACCEPTED, the offer loses a position (and is FILLED by the last one), a placement starts,
//! and other open applications become OBSOLETE (the candidate's elsewhere, and the offer's own
//! once it is filled). [`accept`] computes all of it; the store applies it in one transaction.

use super::actor::Actor;
use super::application::{Application, ObsoleteCause, authorize};
use super::application_state::ApplicationAction;
use super::eligibility::Frozen;
use super::error::DomainError;
use super::offer::{Offer, OfferStatus};
use super::placement::Placement;
use super::values::{Note, RawDate};
use chrono::{DateTime, Utc};
use vte_domain::{Contract, FieldErrors, InvalidValue, PlacementId};
use vte_rules::{CandidateFacts, Options, RuleBook};

/// The terms of a hire as the edge receives them (`AcceptApplicationRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptanceTerms {
    /// First day of the contract; `None` means the offer's start date. Any valid date: a hire
    /// may be recorded after the contract started.
    pub contract_start_date: Option<RawDate>,
    /// Duration in months; `None` means the offer's. Checked with the offer's contract kind
    /// (12..=60 for CDD and work-study, none for a CDI).
    pub duration_months: Option<u32>,
    /// Optional note for the log, 0..=1,000 characters.
    pub note: String,
}

/// Everything an acceptance changes, to be saved together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    /// The application, ACCEPTED, with its placement id.
    pub application: Application,
    /// The offer with one more position filled; FILLED when that was the last.
    pub offer: Offer,
    /// The new placement, ACTIVE.
    pub placement: Placement,
    /// Other open applications made OBSOLETE: the candidate's other ones (hired elsewhere)
    /// and, when the offer is now filled, the offer's other ones.
    pub obsolete: Vec<Application>,
}

/// `actor` (the company or an operator) accepts `application` to `offer`.
///
/// `others` are the open applications the store found for the same candidate or the same
/// offer (more is harmless: final ones and unrelated ones are ignored). `placement_id` names
/// the new placement. Errors: the party or the status does not allow it, a bad term (every
/// one listed), the offer not published or without a position left, the pair not eligible under
/// the scheme's rules for the agreed start date ([`DomainError::NotEligible`], judged with the
/// young person's facts of `scheme`; the verdict is frozen in the placement).
/// What the scheme's verdict on the hire reads: the rules, and the young person's facts.
#[derive(Debug, Clone, Copy)]
pub struct Scheme<'a> {
    /// The rule sets.
    pub rules: &'a RuleBook,
    /// The candidate as the rules read them.
    pub candidate: &'a CandidateFacts,
}

#[allow(clippy::too_many_arguments)] // three aggregates, who, the terms, the rules, the new id and instant
pub fn accept(
    application: &Application,
    offer: &Offer,
    others: &[Application],
    actor: &Actor,
    terms: &AcceptanceTerms,
    scheme: Scheme<'_>,
    placement_id: PlacementId,
    now: DateTime<Utc>,
) -> Result<Acceptance, DomainError> {
    if application.offer_id != offer.id {
        return Err(DomainError::Inconsistent(
            "the application is to another offer",
        ));
    }
    let action = ApplicationAction::Accept;
    authorize(actor, action)?;
    let spec = offer.spec();
    let mut errors = FieldErrors::new();
    let start_date = match terms.contract_start_date {
        Some(raw) => errors.check("contract_start_date", raw.parse()),
        None => spec.map(|spec| spec.start_date),
    };
    let contract = spec.and_then(|spec| {
        let kind = spec.contract.kind();
        let months = match terms.duration_months {
            None => Ok(spec.contract.duration_months()),
            Some(months) => u16::try_from(months)
                .map(Some)
                .map_err(|_| InvalidValue::new(format!("must be 12 to 60 months, got {months}"))),
        };
        let contract = months.and_then(|months| Contract::new(kind, months));
        errors.check("duration_months", contract)
    });
    let note = errors
        .check("note", Note::parse_optional(&terms.note))
        .flatten();
    errors.into_result()?;
    let mut accepted = application.step(actor, action, note, now)?;
    let offer = offer.fill_position(now)?;
    let (Some(spec), Some(contract), Some(start_date)) = (offer.spec(), contract, start_date)
    else {
        // A published offer always has its complete content.
        return Err(DomainError::Inconsistent(
            "a published offer without its content",
        ));
    };
    // The pair is judged on the contract as agreed now, and the verdict frozen with the hire.
    let mut facts = spec.facts();
    facts.contract = contract.kind();
    facts.duration_months = contract.duration_months();
    facts.start = start_date;
    let verdict = vte_rules::judge(scheme.rules, &facts, scheme.candidate, Options::default());
    DomainError::unless_admissible(&verdict)?;
    let frozen = Frozen::at_hire(
        &spec.location,
        facts,
        scheme.candidate.clone(),
        verdict,
        now,
    );
    let placement = Placement::start(
        placement_id,
        &accepted,
        spec,
        contract,
        start_date,
        frozen,
        now,
    );
    accepted.placement_id = Some(placement.id);
    let obsolete = others
        .iter()
        .filter(|other| other.id != application.id && other.status.is_open())
        .filter_map(|other| {
            let cause = if other.candidate_id == application.candidate_id {
                ObsoleteCause::HiredElsewhere
            } else if other.offer_id == offer.id && offer.status == OfferStatus::Filled {
                ObsoleteCause::OfferFilled
            } else {
                return None;
            };
            other.make_obsolete(cause, now).ok()
        })
        .collect();
    Ok(Acceptance {
        application: accepted,
        offer,
        placement,
        obsolete,
    })
}

#[cfg(test)]
mod tests;
