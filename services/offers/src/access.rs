//! Who may see and change what (DESIGN.md section 5), checked by every use case before the
//! domain runs: a company only its own offers and their applications and placements; a
//! candidate only their own applications and placements; a school only its own students';
//! Bpifrance reads placements and alone decides labels; the site reads published offers;
//! operators (`admin`) may act for anyone. A refusal is [`Error::Denied`] and says which rule,
//! never whose data; an offer that is not published reads as absent ([`Error::NotFound`]) to
//! whoever may not read it.

use vte_domain::{CandidateId, InvalidValue, SchoolId, Siren};
use vte_service::auth::{Caller, Identity};

use crate::domain::{Actor, Role};
use crate::error::Error;
use crate::store::PlacementFilter;

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

fn denied(rule: &'static str) -> Error {
    Error::Denied(rule)
}

/// Creating an offer: a company for itself (naming itself or no one), or an operator naming the
/// company.
pub fn offer_owner(caller: &Caller, named: Option<Siren>) -> Result<Siren, Error> {
    match (caller, named) {
        (Caller::Company { siren }, None) => Ok(*siren),
        (Caller::Company { siren }, Some(named)) if named == *siren => Ok(named),
        (Caller::Company { .. }, Some(_)) => {
            Err(denied("a company creates offers only for itself"))
        }
        (Caller::Admin, Some(named)) => Ok(named),
        (Caller::Admin, None) => Err(Error::TargetNotNamed {
            field: "company_siren",
            rule: "an operator must name the company",
        }),
        _ => Err(denied(
            "only a company, or an operator for it, creates offers",
        )),
    }
}

/// Changing an offer, or acting on its applications as the employer: its company or an operator.
pub fn manage_offer(caller: &Caller, owner: &Siren) -> Result<(), Error> {
    match caller {
        Caller::Company { siren } if siren == owner => Ok(()),
        Caller::Admin => Ok(()),
        Caller::Company { .. } => Err(denied("this offer belongs to another company")),
        _ => Err(denied("only the company that owns the offer may do this")),
    }
}

/// Reading an offer: anyone when it is published; otherwise (drafts, ended offers) its company,
/// operators and the platform's services. To anyone else it reads as absent: the same
/// `NOT_FOUND` as for an offer that does not exist, so a draft's existence never leaks.
pub fn read_offer(caller: &Caller, owner: &Siren, published: bool) -> Result<(), Error> {
    match caller {
        _ if published => Ok(()),
        Caller::Company { siren } if siren == owner => Ok(()),
        Caller::Admin | Caller::Service => Ok(()),
        _ => Err(Error::NotFound("offer")),
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
pub fn act_for(caller: &Caller, person: Person<'_>) -> Result<(), Error> {
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
) -> Result<(), Error> {
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
) -> Result<(), Error> {
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
pub fn decide_labels(caller: &Caller) -> Result<(), Error> {
    match caller {
        Caller::Bpifrance => Ok(()),
        _ => Err(denied("only Bpifrance decides labels")),
    }
}

/// Listing a company's offers: a company its own; operators and services name the company.
pub fn list_offers_of(caller: &Caller, named: Option<Siren>) -> Result<Siren, Error> {
    match (caller, named) {
        (Caller::Company { siren }, None) => Ok(*siren),
        (Caller::Company { siren }, Some(given)) if given == *siren => Ok(given),
        (Caller::Admin | Caller::Service, Some(given)) => Ok(given),
        (Caller::Admin | Caller::Service, None) => Err(Error::invalid_field(
            "company_siren",
            InvalidValue::new("is required for this role"),
        )),
        _ => Err(denied("a company lists only its own offers")),
    }
}

/// Listing placements: each tenant sees only its own, so its part of `filter` is forced, and
/// naming another tenant is refused; Bpifrance, operators and services see every placement.
pub fn scope_placements(caller: &Caller, filter: &mut PlacementFilter) -> Result<(), Error> {
    fn own<T: PartialEq + Copy>(given: &mut Option<T>, own: T) -> Result<(), Error> {
        if given.is_some_and(|given| given != own) {
            return Err(denied("these placements are not yours to read"));
        }
        *given = Some(own);
        Ok(())
    }
    match caller {
        Caller::Company { siren } => own(&mut filter.company, *siren),
        Caller::Candidate { candidate_id } => own(&mut filter.candidate, *candidate_id),
        Caller::School { school_id } => own(&mut filter.school, *school_id),
        Caller::Bpifrance | Caller::Admin | Caller::Service => Ok(()),
        Caller::Site => Err(denied("these placements are not yours to read")),
    }
}
