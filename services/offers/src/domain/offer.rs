//! The offer aggregate and its life: DRAFT -> PUBLISHED -> FILLED | CLOSED | EXPIRED, and
//! DRAFT -> CLOSED. Each transition is a method returning the offer's new state (revision + 1)
//! or the [`DomainError`] naming why not; the store saves the result. Positions are counted
//! here: an acceptance takes one, and the last one fills the offer.

use super::aid::incomplete_aids;
use super::error::DomainError;
use super::location::{Location, TerritoryRef};
use super::spec::{DraftSpec, NewOffer, OfferSpec};
use super::validation::{validate_draft, validate_offer};
use super::values::CloseReason;
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use vte_domain::{ContractKind, InvalidValue, OfferId, Siren};
use vte_reference::ReferenceData;
use vte_rules::{AidVerdict, RuleBook, offer_aids};

/// Where an offer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferStatus {
    /// Being written; visible only to its company; may be incomplete.
    Draft,
    /// Complete, valid, visible and open to applications.
    Published,
    /// Every position has been filled (final).
    Filled,
    /// Closed by the company or an operator before being filled (final).
    Closed,
    /// Its application deadline, or without one its start date, passed (final).
    Expired,
}

impl OfferStatus {
    /// Every status, in the order of the life of an offer.
    pub const ALL: [OfferStatus; 5] = [
        Self::Draft,
        Self::Published,
        Self::Filled,
        Self::Closed,
        Self::Expired,
    ];

    /// The stable code: `"DRAFT"`, `"PUBLISHED"`, `"FILLED"`, `"CLOSED"` or `"EXPIRED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Filled => "FILLED",
            Self::Closed => "CLOSED",
            Self::Expired => "EXPIRED",
        }
    }

    /// Parses a code as written by [`as_str`](Self::as_str), ignoring case.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| {
                InvalidValue::new("must be one of DRAFT, PUBLISHED, FILLED, CLOSED, EXPIRED")
            })
    }

    /// Whether nothing can happen to the offer any more.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Filled | Self::Closed | Self::Expired)
    }
}

impl fmt::Display for OfferStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of an offer's life, named in [`DomainError::IllegalOfferTransition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferAction {
    /// Replace the content (UpdateOffer).
    Update,
    /// Publish a draft (PublishOffer).
    Publish,
    /// Close (CloseOffer).
    Close,
    /// Take a position for an accepted application.
    FillPosition,
    /// Expire once the last day to apply has passed.
    Expire,
}

impl fmt::Display for OfferAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Update => "update",
            Self::Publish => "publish",
            Self::Close => "close",
            Self::FillPosition => "fill a position of",
            Self::Expire => "expire",
        })
    }
}

/// What an offer holds: a draft's partial content, or the complete content every other status
/// requires (an offer closed as a draft keeps its draft content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferContent {
    /// Work in progress.
    Draft(DraftSpec),
    /// Complete and valid.
    Complete(OfferSpec),
}

impl OfferContent {
    /// The company's name the offer shows, once given.
    pub fn company_name(&self) -> Option<&str> {
        match self {
            Self::Draft(draft) => draft.company_name.as_ref().map(|name| name.as_str()),
            Self::Complete(spec) => Some(spec.company_name.as_str()),
        }
    }
}

/// Whether two spellings name the same company: equal but for letter case and runs of white
/// space. A SIREN's offers all carry the name first registered for it, in one of its spellings.
pub fn same_company_name(a: &str, b: &str) -> bool {
    let words = |name: &str| {
        name.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

/// Which event an offer's change produces on `vte.offers.v1`, one per change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferChange {
    /// A draft was created.
    Drafted,
    /// A draft was published.
    Published,
    /// The content or the remaining positions changed.
    Updated,
    /// The last position was filled.
    Filled,
    /// The offer was closed.
    Closed,
    /// The offer expired.
    Expired,
}

impl OfferChange {
    /// The change from `before` to `after` (two states of one offer).
    pub fn between(before: &Offer, after: &Offer) -> Self {
        if before.status == after.status {
            return Self::Updated;
        }
        match after.status {
            OfferStatus::Draft => Self::Drafted,
            OfferStatus::Published => Self::Published,
            OfferStatus::Filled => Self::Filled,
            OfferStatus::Closed => Self::Closed,
            OfferStatus::Expired => Self::Expired,
        }
    }
}

/// A company's offer. Fields are public for the store and the proto mapping; change it only
/// through the transition methods, which keep the status, the content and the counters in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The offer's id.
    pub id: OfferId,
    /// The owning company, from its token at creation; never changes.
    pub company_siren: Siren,
    /// Where the offer is in its life.
    pub status: OfferStatus,
    /// The content: a draft's, or complete for every status reached through publication.
    pub content: OfferContent,
    /// Positions taken by accepted applications.
    pub positions_filled: u32,
    /// 1 at creation, plus one on every change.
    pub revision: u64,
    /// When the draft was created.
    pub created_at: DateTime<Utc>,
    /// When the offer last changed.
    pub updated_at: DateTime<Utc>,
    /// When the offer was published.
    pub published_at: Option<DateTime<Utc>>,
    /// When the offer reached a final status.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it was closed, if it was and a reason was given.
    pub close_reason: Option<CloseReason>,
}

impl Offer {
    /// A new draft, revision 1.
    pub fn draft(id: OfferId, company_siren: Siren, spec: DraftSpec, now: DateTime<Utc>) -> Self {
        Self {
            id,
            company_siren,
            status: OfferStatus::Draft,
            content: OfferContent::Draft(spec),
            positions_filled: 0,
            revision: 1,
            created_at: now,
            updated_at: now,
            published_at: None,
            ended_at: None,
            close_reason: None,
        }
    }

    /// The complete content, for every offer that was published.
    pub fn spec(&self) -> Option<&OfferSpec> {
        match &self.content {
            OfferContent::Complete(spec) => Some(spec),
            OfferContent::Draft(_) => None,
        }
    }

    /// Positions still open: the offer's positions minus those filled (0 for a draft that
    /// names none).
    pub fn positions_remaining(&self) -> u32 {
        let positions = match &self.content {
            OfferContent::Complete(spec) => spec.positions.get(),
            OfferContent::Draft(draft) => draft.positions.map_or(0, |p| p.get()),
        };
        positions.saturating_sub(self.positions_filled)
    }

    /// The aids the offer can open, by the rules of its start date (a draft's say what it
    /// still lacks).
    pub fn aids(&self, rules: &RuleBook) -> Vec<AidVerdict> {
        match &self.content {
            OfferContent::Complete(spec) => offer_aids(rules, &spec.facts()),
            OfferContent::Draft(draft) => match draft.facts() {
                Ok(facts) => offer_aids(rules, &facts),
                Err(missing) => incomplete_aids(&missing),
            },
        }
    }

    /// The planned start date, when known.
    pub fn start_date(&self) -> Option<NaiveDate> {
        match &self.content {
            OfferContent::Complete(spec) => Some(spec.start_date),
            OfferContent::Draft(draft) => draft.start_date,
        }
    }

    /// The workplace, when known.
    pub fn location(&self) -> Option<&Location> {
        match &self.content {
            OfferContent::Complete(spec) => Some(&spec.location),
            OfferContent::Draft(draft) => draft.location.as_ref(),
        }
    }

    /// The Territoire d'industrie of the workplace in the programme the rules name for the
    /// offer's start date (the current programme while a draft has no start date).
    pub fn territory(&self, rules: &RuleBook) -> Option<&TerritoryRef> {
        let programme = self
            .start_date()
            .map_or_else(Default::default, |start| rules.programme_for(start));
        self.location()?.territory_in(programme)
    }

    /// The offer's contract kind, when known.
    pub fn contract_kind(&self) -> Option<ContractKind> {
        match &self.content {
            OfferContent::Complete(spec) => Some(spec.contract.kind()),
            OfferContent::Draft(draft) => draft.contract_kind,
        }
    }

    /// Optimistic concurrency: `expected` (when given) must be the current revision.
    pub fn check_revision(&self, expected: Option<u64>) -> Result<(), DomainError> {
        match expected {
            Some(expected) if expected != self.revision => Err(DomainError::RevisionMismatch {
                expected,
                actual: self.revision,
            }),
            _ => Ok(()),
        }
    }

    /// Replaces the content: a draft's is checked leniently, a published offer's completely
    /// (dates against `today` included), and its positions cannot go below those filled; when
    /// they equal them, the offer is filled.
    pub fn update(
        &self,
        input: &NewOffer,
        reference: &ReferenceData,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Offer, DomainError> {
        match self.status {
            OfferStatus::Draft => {
                let draft = validate_draft(input, reference)?;
                let mut next = self.next(now);
                next.content = OfferContent::Draft(draft);
                Ok(next)
            }
            OfferStatus::Published => {
                let filled = self.positions_filled;
                let positions = input.positions;
                let below_filled = (positions != 0 && positions < filled).then(|| {
                    InvalidValue::new(format!(
                        "cannot go below the {filled} positions already filled, got {positions}"
                    ))
                    .at("spec.positions")
                });
                let spec = match (validate_offer(input, reference, today), below_filled) {
                    (Ok(spec), None) => spec,
                    (Ok(_), Some(below)) => return Err(below.into()),
                    (Err(mut errors), Some(below)) => {
                        errors.push(below);
                        return Err(errors.into());
                    }
                    (Err(errors), None) => return Err(errors.into()),
                };
                let mut next = self.next(now);
                next.content = OfferContent::Complete(spec);
                if next.positions_remaining() == 0 {
                    next.end(OfferStatus::Filled, now);
                }
                Ok(next)
            }
            from => Err(self.illegal(from, OfferAction::Update)),
        }
    }

    /// Publishes a draft after checking every rule of a complete offer against `today`.
    pub fn publish(
        &self,
        reference: &ReferenceData,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Offer, DomainError> {
        let (OfferStatus::Draft, OfferContent::Draft(draft)) = (self.status, &self.content) else {
            return Err(self.illegal(self.status, OfferAction::Publish));
        };
        let spec = validate_offer(&NewOffer::from(draft), reference, today)?;
        let mut next = self.next(now);
        next.content = OfferContent::Complete(spec);
        next.status = OfferStatus::Published;
        next.published_at = Some(now);
        Ok(next)
    }

    /// Closes a draft or a published offer; `reason` (0..=500 characters, field `reason`) is
    /// shown to candidates whose applications are closed.
    pub fn close(&self, reason: &str, now: DateTime<Utc>) -> Result<Offer, DomainError> {
        if !matches!(self.status, OfferStatus::Draft | OfferStatus::Published) {
            return Err(self.illegal(self.status, OfferAction::Close));
        }
        let reason = CloseReason::parse_optional(reason).map_err(|e| e.at("reason"))?;
        let mut next = self.next(now);
        next.close_reason = reason;
        next.end(OfferStatus::Closed, now);
        Ok(next)
    }

    /// Takes one position for an accepted application; the last one fills the offer.
    pub fn fill_position(&self, now: DateTime<Utc>) -> Result<Offer, DomainError> {
        if self.status != OfferStatus::Published {
            return Err(self.illegal(self.status, OfferAction::FillPosition));
        }
        if self.positions_remaining() == 0 {
            return Err(DomainError::NoPositionLeft);
        }
        let mut next = self.next(now);
        next.positions_filled += 1;
        if next.positions_remaining() == 0 {
            next.end(OfferStatus::Filled, now);
        }
        Ok(next)
    }

    /// The last day applications are accepted, once published: the application deadline, or
    /// without one the start date (both inclusive).
    pub fn last_day_to_apply(&self) -> Option<NaiveDate> {
        self.spec().map(OfferSpec::last_day_to_apply)
    }

    /// Whether a published offer's last day to apply is before `today`. Drafts never expire.
    pub fn is_due_for_expiry(&self, today: NaiveDate) -> bool {
        self.status == OfferStatus::Published
            && self.last_day_to_apply().is_some_and(|last| last < today)
    }

    /// Expires a published offer whose last day to apply has passed.
    pub fn expire(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<Offer, DomainError> {
        if self.status != OfferStatus::Published {
            return Err(self.illegal(self.status, OfferAction::Expire));
        }
        match self.last_day_to_apply() {
            Some(last_day) if last_day >= today => Err(DomainError::OfferStillOpen { last_day }),
            _ => {
                let mut next = self.next(now);
                next.end(OfferStatus::Expired, now);
                Ok(next)
            }
        }
    }

    /// Whether a candidate may apply on `today`: published, with a position left, on or
    /// before the last day to apply (the expiry sweep may not have run yet).
    pub fn check_open_to_applications(&self, today: NaiveDate) -> Result<(), DomainError> {
        if self.status != OfferStatus::Published {
            return Err(DomainError::OfferNotOpen {
                status: self.status,
            });
        }
        if self.positions_remaining() == 0 {
            return Err(DomainError::NoPositionLeft);
        }
        match self.last_day_to_apply() {
            Some(last_day) if last_day < today => Err(DomainError::ApplicationsClosed { last_day }),
            _ => Ok(()),
        }
    }

    fn next(&self, now: DateTime<Utc>) -> Offer {
        let mut next = self.clone();
        next.revision += 1;
        next.updated_at = now;
        next
    }

    fn end(&mut self, status: OfferStatus, now: DateTime<Utc>) {
        self.status = status;
        self.ended_at = Some(now);
    }

    fn illegal(&self, from: OfferStatus, action: OfferAction) -> DomainError {
        DomainError::IllegalOfferTransition { from, action }
    }
}

#[cfg(test)]
mod tests;
