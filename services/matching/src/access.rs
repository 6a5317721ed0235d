//! Who may rank and explain what (DESIGN.md section 5), checked on every RPC once the offer or
//! candidate is known: a company only for its own offers; a candidate only for themself; a
//! school only for its own students; the website for students it acts for; operators and the
//! platform's services for anyone. A refusal is [`Error::Denied`] and names the rule, never
//! whose data it is.

use vte_domain::{CandidateId, SchoolId, Siren};
use vte_service::auth::Caller;

use crate::domain::Audience;
use crate::error::Error;

fn denied(rule: &'static str) -> Error {
    Error::Denied(rule)
}

/// RankCandidates: the company owning the offer, operators and services.
pub fn rank_candidates(caller: &Caller, owner: &Siren) -> Result<(), Error> {
    match caller {
        Caller::Company { siren } if siren == owner => Ok(()),
        Caller::Admin | Caller::Service => Ok(()),
        Caller::Company { .. } => Err(denied("this offer belongs to another company")),
        _ => Err(denied(
            "only the company that owns the offer may rank its candidates",
        )),
    }
}

/// RankOffers: the candidate themself, their school, the website, operators and services.
pub fn rank_offers(
    caller: &Caller,
    candidate: &CandidateId,
    school: Option<&SchoolId>,
) -> Result<(), Error> {
    match caller {
        Caller::Candidate { candidate_id } if candidate_id == candidate => Ok(()),
        Caller::School { school_id } if Some(school_id) == school => Ok(()),
        Caller::Site | Caller::Admin | Caller::Service => Ok(()),
        Caller::Candidate { .. } => Err(denied("a candidate ranks offers only for themself")),
        Caller::School { .. } => Err(denied("a school ranks offers only for its own students")),
        _ => Err(denied(
            "only the candidate, their school or the website may rank offers for a candidate",
        )),
    }
}

/// ExplainMatch: either side of the pair, and who may act for it; returns whose side the
/// explanation is told from.
pub fn explain(
    caller: &Caller,
    owner: &Siren,
    candidate: &CandidateId,
    school: Option<&SchoolId>,
) -> Result<Audience, Error> {
    match caller {
        Caller::Company { siren } if siren == owner => Ok(Audience::Company),
        Caller::Admin | Caller::Service => Ok(Audience::Company),
        Caller::Company { .. } => Err(denied("this offer belongs to another company")),
        _ => rank_offers(caller, candidate, school)
            .map(|()| Audience::Candidate)
            .map_err(|_| denied("only the company owning the offer, the candidate or their school may explain this pair")),
    }
}
