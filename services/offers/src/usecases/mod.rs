//! What the offers service does, whoever asks: the gRPC adapter, the consumer and the sweeps call
//! these functions and nothing else to change data. A use case takes typed inputs (the decoded
//! requests of [`mapping`](crate::mapping), domain values) and the caller's identity, does the
//! whole job (load and lock, check access, run the domain, save, append one event per aggregate
//! changed, commit) and returns domain values or the service's one [`Error`].
//!
//! - [`Offers`]: the use cases callers start, one method each, by area in [`offers`],
//!   [`applications`], [`invitations`], [`placements`] and [`labels`] (whose steps take `now`,
//!   and whose reminder sweep is [`labels::run_label_reminders`]);
//! - [`expiry`]: what the sweeps run (offers and applications that time out);
//! - [`candidates`]: what the consumer applies from `vte.candidates.v1`, in the runner's
//!   transaction.

pub mod applications;
pub mod candidates;
pub mod expiry;
pub mod invitations;
pub mod labels;
pub mod offers;
pub mod placements;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::PgPool;
use vte_domain::{CandidateId, SchoolId};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;
use vte_service::auth::{Caller, Identity};
use vte_service::contacts::ContactDirectory;

use crate::error::Error;
use crate::mapping::{ListScope, PageInput, ScopedList};
use crate::store::{PageCursor, PageRequest};

pub use applications::ApplicationView;
pub use offers::{SearchResult, SearchResults};

/// The offers service's use cases over its database, the reference data (places, aids), the
/// scheme's rule sets (the label's request window) and the candidates' contact directory.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Offers {
    pool: PgPool,
    reference: Arc<ReferenceData>,
    rules: Arc<RuleBook>,
    contacts: Arc<dyn ContactDirectory>,
    /// How many invitations to apply a company may send in 24 hours.
    invitations_per_day: u32,
}

impl Offers {
    /// The use cases on `pool`, resolving places with `reference`, judging by the rule sets of
    /// `rules` and reading candidates' contact data, where it may be disclosed, from `contacts`.
    pub fn new(
        pool: PgPool,
        reference: Arc<ReferenceData>,
        rules: Arc<RuleBook>,
        contacts: Arc<dyn ContactDirectory>,
    ) -> Self {
        Self {
            pool,
            reference,
            rules,
            contacts,
            invitations_per_day: crate::config::DEFAULT_INVITATIONS_PER_COMPANY_PER_DAY,
        }
    }

    /// The same use cases, letting a company send `per_day` invitations to apply in 24 hours
    /// (`offers.invitations_per_company_per_day`) instead of the default.
    pub fn with_invitations_per_day(mut self, per_day: u32) -> Self {
        self.invitations_per_day = per_day;
        self
    }

    /// The scheme's rule sets the use cases judge by.
    pub fn rules(&self) -> &RuleBook {
        &self.rules
    }
}

/// Who may act on a candidate's side of a list (their applications, their invitations): `Ok`
/// when `who` may for the candidate at the school.
type CandidateSide = fn(&Identity, &CandidateId, Option<&SchoolId>) -> Result<(), Error>;

impl Offers {
    /// The store's page of `list` after checking that `who` may read it: an offer's list is for
    /// its company, a candidate's for whoever `candidate_side` accepts; services read either.
    /// An unknown offer is `NOT_FOUND`.
    async fn readable_page<S>(
        &self,
        who: &Identity,
        list: &ScopedList<S>,
        candidate_side: CandidateSide,
    ) -> Result<PageRequest, Error> {
        let service = matches!(who.caller, Caller::Service);
        match list.scope {
            ListScope::Offer(offer_id) => {
                let offer = crate::store::load_offer(&self.pool, offer_id, &self.reference)
                    .await?
                    .ok_or(Error::NotFound("offer"))?;
                if !service {
                    crate::access::manage_offer(&who.caller, &offer.company_siren)?;
                }
            }
            ListScope::Candidate(candidate) => {
                let school = self.school_of(candidate).await?;
                if !service {
                    candidate_side(who, &candidate, school.as_ref())?;
                }
            }
        }
        page_request(list.page.clone())
    }
}

/// How many times a use case runs, at most, when PostgreSQL aborts it to break a lock conflict.
const LOCK_CONFLICT_ATTEMPTS: u32 = 5;

/// Whether a use case whose transaction ended in `error` should run again from the beginning:
/// when PostgreSQL aborted it for a serialization failure or a deadlock
/// ([`Error::is_lock_conflict`]) and `attempt` (counted from 1, moved on here) is below
/// [`LOCK_CONFLICT_ATTEMPTS`]; after the platform's jittered backoff from 5 ms (the conflicting
/// calls spread out instead of meeting again). Otherwise the error stands (a last conflict is
/// `INTERNAL`). Use it as
/// `loop { match once().await { Err(e) if again(&e, &mut attempt).await => {} r => return r } }`.
pub(crate) async fn again(error: &Error, attempt: &mut u32) -> bool {
    if !error.is_lock_conflict() || *attempt >= LOCK_CONFLICT_ATTEMPTS {
        return false;
    }
    tracing::debug!(attempt, "lock conflict, running the transaction again");
    let pause = vte_events::Backoff::starting_at(
        std::time::Duration::from_millis(5),
        std::time::Duration::from_millis(80),
    )
    .delay_for(*attempt);
    tokio::time::sleep(pause).await;
    *attempt += 1;
    true
}

/// Now, at the precision the database keeps.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Today's date for the VTE rules (start dates, deadlines): `now`'s UTC date.
pub(crate) fn today(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}

/// A page request for the store, the client's token decoded.
fn page_request(input: PageInput) -> Result<PageRequest, Error> {
    let after = match input.token {
        Some(token) => Some(
            PageCursor::decode(&token)
                .map_err(|rule| Error::invalid_field("page.page_token", rule))?,
        ),
        None => None,
    };
    Ok(PageRequest {
        size: input.size,
        after,
    })
}
