//! The VTE scheme's rules as dated data with sources (issue 14, item 1). Each file of the
//! repository's `rules/` directory is one rule set: the scheme's general terms, or one aid, for
//! a window of contract start dates. The set applying to a contract is chosen by its start
//! date; a date no confirmed set covers gives "à confirmer auprès de Bpifrance", never a yes.
//!
//! - [`model`]: the typed shape of a file ([`RuleSet`], [`SchemeTerms`], [`AidTerms`], ...).
//! - [`book`]: [`RuleBook::load`] and [`RuleBook::for_contract_start`] → [`Applicable`].
//! - [`error`]: [`RulesError`], naming the file and the key.
//!
//! - [`verdict`]: [`judge`] a pair (offer, candidate) and list the aids of an offer
//!   ([`offer_aids`]): the one verdict every service uses.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod dates;
mod validate;

pub mod book;
pub mod error;
pub mod model;
pub mod verdict;

pub use book::{
    AidStanding, Applicable, Applying, RuleBook, TO_CONFIRM, ToConfirm, repository_rules_dir,
};
pub use error::RulesError;
pub use model::{
    AfterWindow, AidCode, AidEligibility, AidTerms, Amount, ContractRule, LevelReading, Promise,
    Request, RuleSet, SchemeTerms, Source, Stacking, Window,
};
pub use verdict::{
    AidOutcome, AidVerdict, CandidateFacts, Check, OfferFacts, Options, PlaceFacts, Rule, Standing,
    Status, Verdict, judge, offer_aids,
};
