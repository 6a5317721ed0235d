//! Who may see and change what (DESIGN.md section 5), checked on every RPC before the domain
//! runs: a company only its own offers and their applications and placements; a candidate only
//! their own applications and placements; a school only its own students'; Bpifrance reads
//! placements and alone decides labels; the site reads published offers; operators (`admin`)
//! may act for anyone. A refusal is `PERMISSION_DENIED` and says which rule, never whose data.

use tonic::Status;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_service::auth::{Caller, Identity};

use crate::domain::{Actor, Role};

/// The domain actor of a verified identity (role, subject, tenant).
pub fn actor(identity: &Identity) -> Actor {
    let (role, tenant) = match &identity.caller {
        Caller::Site => (Role::Site, None),
        Caller::School { school_id } => (Role::School, Some(school_id.to_string())),
        Caller::Company { siren } => (Role::Company, Some(siren.to_string())),
        Caller::Candidate { candidate_id } => (Role::Candidate, Some(candidate_id.to_string())),
        Caller::Bpifrance => (Role::Bpifrance, None),
        Caller::Admin => (Role::Admin, None),
        Caller::Service => (Role::Service, None),
    };
    Actor::new(role, identity.subject.clone(), tenant)
}

fn denied(rule: &str) -> Status {
    Status::permission_denied(rule.to_owned())
}

/// Creating an offer: a company for itself (naming itself or no one), or an operator naming the
/// company.
pub fn offer_owner(caller: &Caller, named: Option<Siren>) -> Result<Siren, Status> {
    match (caller, named) {
        (Caller::Company { siren }, None) => Ok(*siren),
        (Caller::Company { siren }, Some(named)) if named == *siren => Ok(named),
        (Caller::Company { .. }, Some(_)) => {
            Err(denied("a company creates offers only for itself"))
        }
        (Caller::Admin, Some(named)) => Ok(named),
        (Caller::Admin, None) => Err(Status::invalid_argument(
            "company_siren: an operator must name the company",
        )),
        _ => Err(denied(
            "only a company, or an operator for it, creates offers",
        )),
    }
}

/// Changing an offer, or acting on its applications as the employer: its company or an operator.
pub fn manage_offer(caller: &Caller, owner: &Siren) -> Result<(), Status> {
    match caller {
        Caller::Company { siren } if siren == owner => Ok(()),
        Caller::Admin => Ok(()),
        Caller::Company { .. } => Err(denied("this offer belongs to another company")),
        _ => Err(denied("only the company that owns the offer may do this")),
    }
}

/// Reading an offer: anyone when it is published; otherwise (drafts, ended offers) its company,
/// operators and the platform's services.
pub fn read_offer(caller: &Caller, owner: &Siren, published: bool) -> Result<(), Status> {
    match caller {
        _ if published => Ok(()),
        Caller::Company { siren } if siren == owner => Ok(()),
        Caller::Admin | Caller::Service => Ok(()),
        _ => Err(denied("this offer is not published")),
    }
}

/// The candidate (and their school) an application, a placement or a list concerns.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub candidate: &'a CandidateId,
    /// The school the candidate belongs to, as the candidates service last said.
    pub school: Option<&'a SchoolId>,
}

/// Applying, or withdrawing: the candidate themself, their school, or an operator.
pub fn act_for(caller: &Caller, person: Person<'_>) -> Result<(), Status> {
    match caller {
        Caller::Candidate { candidate_id } if candidate_id == person.candidate => Ok(()),
        Caller::School { school_id } if Some(school_id) == person.school => Ok(()),
        Caller::Admin => Ok(()),
        Caller::Candidate { .. } => Err(denied("a candidate acts only for themself")),
        Caller::School { .. } => Err(denied("a school acts only for its own students")),
        _ => Err(denied("only the candidate or their school may do this")),
    }
}

/// Reading an application or a placement: the parties to it, operators and services; Bpifrance
/// too for placements.
pub fn read_case(
    caller: &Caller,
    company: &Siren,
    person: Person<'_>,
    bpifrance: bool,
) -> Result<(), Status> {
    match caller {
        Caller::Company { siren } if siren == company => Ok(()),
        Caller::Bpifrance if bpifrance => Ok(()),
        Caller::Admin | Caller::Service => Ok(()),
        _ => act_for(caller, person).map_err(|_| denied("this is not yours to read")),
    }
}

/// Recording how a VTE ended: the company, Bpifrance or an operator; an early end may also be
/// recorded by the candidate's school.
pub fn record_placement_end(
    caller: &Caller,
    company: &Siren,
    school: Option<&SchoolId>,
    school_may: bool,
) -> Result<(), Status> {
    match caller {
        Caller::Company { siren } if siren == company => Ok(()),
        Caller::Bpifrance | Caller::Admin => Ok(()),
        Caller::School { school_id } if school_may && Some(school_id) == school => Ok(()),
        Caller::Company { .. } => Err(denied("this placement belongs to another company")),
        _ => Err(denied(
            "only the company, Bpifrance or an operator may record this",
        )),
    }
}

/// Deciding labels: Bpifrance only.
pub fn decide_labels(caller: &Caller) -> Result<(), Status> {
    match caller {
        Caller::Bpifrance => Ok(()),
        _ => Err(denied("only Bpifrance decides labels")),
    }
}
