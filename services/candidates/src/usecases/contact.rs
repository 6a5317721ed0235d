//! A candidate's contact data, kept apart from the profile and disclosed only to the platform's
//! services (to reach the candidate at the moment they must) and to the person themself.

use vte_domain::CandidateId;
use vte_service::auth::Caller;

use super::Candidates;
use crate::access;
use crate::domain::Contact;
use crate::error::{Error, Missing};
use crate::store;

impl Candidates {
    /// The contact data of `candidate` (the caller when a candidate names no one).
    pub async fn lookup_contact(
        &self,
        caller: &Caller,
        candidate: Option<CandidateId>,
    ) -> Result<(CandidateId, Contact), Error> {
        let candidate = access::target(caller, candidate)?;
        access::read_contact(caller, candidate)?;
        let mut conn = self.pool.acquire().await?;
        let contact = store::contact(&mut conn, candidate)
            .await?
            .ok_or(Error::NotFound(Missing::Contact))?;
        Ok((candidate, contact))
    }
}
