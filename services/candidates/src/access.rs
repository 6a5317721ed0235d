//! Who may see and change what (DESIGN.md section 5), checked before anything is read or
//! written: a school only its own students; a candidate only themself (and alone gives or
//! withdraws consent); contact data only to the platform's services and the person themself;
//! operators (`admin`) may act for a school; companies, the site and Bpifrance have no access
//! to profiles here (companies see candidates pseudonymously through matching). A refusal is
//! [`Error::PermissionDenied`] naming the rule, never whose data, decided before anything is
//! looked up; a profile found that is not the caller's reads as absent ([`Error::NotFound`]).
//! The use cases, the gRPC adapter and the consumer share these rules.

use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::common::v1::{PlatformService, Role};
use vte_service::auth::{Caller, Identity};

use crate::domain::{Erasure, Requester};
use crate::error::{Error, Missing};

fn denied(rule: &'static str) -> Error {
    Error::PermissionDenied(rule)
}

/// The school a push or a listing is for: a school for itself (naming itself or no one), or an
/// operator naming the school.
pub fn school_scope(caller: &Caller, named: Option<SchoolId>) -> Result<SchoolId, Error> {
    match (caller, named) {
        (Caller::School { school_id }, None) => Ok(*school_id),
        (Caller::School { school_id }, Some(named)) if named == *school_id => Ok(named),
        (Caller::School { .. }, Some(_)) => {
            Err(denied("a school pushes and lists only its own students"))
        }
        (Caller::Admin, Some(named)) => Ok(named),
        (Caller::Admin, None) => Err(Error::invalid(
            "school_id",
            "an operator must name the school",
        )),
        _ => Err(denied(
            "only a school, or an operator for it, pushes and lists students",
        )),
    }
}

/// Looking a profile up by its school's reference: the school itself, an operator naming the
/// school, or a platform service. A school looks up only its own references (no probing of
/// another school's).
pub fn lookup_by_ref(caller: &Caller, school: SchoolId) -> Result<(), Error> {
    match caller {
        Caller::Service => Ok(()),
        _ => school_scope(caller, Some(school)).map(drop),
    }
}

/// Reading profiles, decided from the token before anything is looked up: schools, the
/// candidate (their own `id`, when the request names one), operators and the platform's
/// services; companies, the site and Bpifrance never. A refusal here says nothing of any
/// profile.
pub fn read_profiles(caller: &Caller, id: Option<CandidateId>) -> Result<(), Error> {
    match caller {
        Caller::School { .. } | Caller::Admin | Caller::Service => Ok(()),
        Caller::Candidate { candidate_id } if id.is_none_or(|id| id == *candidate_id) => Ok(()),
        Caller::Candidate { .. } => Err(denied("a candidate reads only their own profile")),
        _ => Err(denied(
            "profiles are read by their school, the candidate and operators only",
        )),
    }
}

/// Reading the profile found: its school, the candidate themself, operators and the platform's
/// services. To anyone else who passed [`read_profiles`] (another school), it reads as absent:
/// the same `NOT_FOUND` as for a profile that does not exist.
pub fn read_profile(
    caller: &Caller,
    candidate: CandidateId,
    school: SchoolId,
) -> Result<(), Error> {
    read_profiles(caller, Some(candidate))?;
    match caller {
        Caller::School { school_id } if *school_id == school => Ok(()),
        Caller::Candidate { candidate_id } if *candidate_id == candidate => Ok(()),
        Caller::Admin | Caller::Service => Ok(()),
        _ => Err(Error::NotFound(Missing::Profile)),
    }
}

/// The candidate a self-service call is about: the caller (a candidate, naming themself or no
/// one). Consent and preferences belong to the person alone.
pub fn self_service(caller: &Caller, named: Option<CandidateId>) -> Result<CandidateId, Error> {
    match (caller, named) {
        (Caller::Candidate { candidate_id }, None) => Ok(*candidate_id),
        (Caller::Candidate { candidate_id }, Some(named)) if named == *candidate_id => Ok(named),
        (Caller::Candidate { .. }, Some(_)) => {
            Err(denied("a candidate acts only on their own profile"))
        }
        _ => Err(denied(
            "only the candidate themself sets their preferences and consent",
        )),
    }
}

/// The candidate a call names, or the caller when a candidate names no one.
pub fn target(caller: &Caller, named: Option<CandidateId>) -> Result<CandidateId, Error> {
    match (caller, named) {
        (_, Some(named)) => Ok(named),
        (Caller::Candidate { candidate_id }, None) => Ok(*candidate_id),
        (_, None) => Err(Error::invalid(
            "candidate_id",
            "is required unless the caller is the candidate",
        )),
    }
}

/// Asking for an erasure: the candidate themself, their school, or an operator.
pub fn request_erasure(
    caller: &Caller,
    candidate: CandidateId,
    school: SchoolId,
) -> Result<(), Error> {
    match caller {
        Caller::Candidate { candidate_id } if *candidate_id == candidate => Ok(()),
        Caller::School { school_id } if *school_id == school => Ok(()),
        Caller::Admin => Ok(()),
        Caller::Candidate { .. } => Err(denied("a candidate erases only themself")),
        Caller::School { .. } => Err(denied("this student belongs to another school")),
        _ => Err(denied(
            "an erasure is asked by the candidate, their school or an operator",
        )),
    }
}

/// Reading an erasure's progress: those who may ask for it, and the platform's services.
pub fn read_erasure(caller: &Caller, erasure: &Erasure) -> Result<(), Error> {
    match caller {
        Caller::Service => Ok(()),
        _ => request_erasure(caller, erasure.candidate, erasure.school),
    }
}

/// Confirming an erasure: a platform service, for itself only.
pub fn confirm_erasure(identity: &Identity, service: PlatformService) -> Result<(), Error> {
    if identity.caller != Caller::Service {
        return Err(denied("only the platform's services confirm erasures"));
    }
    match vte_service::peers::service_subject(service) {
        Some(subject) if subject == identity.subject => Ok(()),
        Some(_) => Err(denied("a service confirms only its own erasures")),
        None => Err(Error::invalid(
            "service",
            "must name the confirming platform service",
        )),
    }
}

/// Reading contact data: the platform's services and the person themself, no one else.
pub fn read_contact(caller: &Caller, candidate: CandidateId) -> Result<(), Error> {
    match caller {
        Caller::Service => Ok(()),
        Caller::Candidate { candidate_id } if *candidate_id == candidate => Ok(()),
        _ => Err(denied(
            "contact data is read only by the platform's services and the person themself",
        )),
    }
}

/// Who asks, as recorded in an erasure.
pub fn requester(identity: &Identity) -> Requester {
    let (role, tenant) = match &identity.caller {
        Caller::Site => (Role::Site, None),
        Caller::School { school_id } => (Role::School, Some(school_id.to_string())),
        Caller::Company { siren } => (Role::Company, Some(siren.to_string())),
        Caller::Candidate { candidate_id } => (Role::Candidate, Some(candidate_id.to_string())),
        Caller::Bpifrance => (Role::Bpifrance, None),
        Caller::Admin => (Role::Admin, None),
        Caller::Service => (Role::Service, None),
    };
    Requester {
        role,
        subject: identity.subject.clone(),
        tenant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vte_domain::Siren;

    #[test]
    fn a_school_acts_only_for_its_own_students() {
        let (a, b) = (SchoolId::new(), SchoolId::new());
        let school_a = Caller::School { school_id: a };
        assert_eq!(school_scope(&school_a, None).ok(), Some(a));
        assert!(school_scope(&school_a, Some(b)).is_err());
        let student = CandidateId::new();
        assert!(read_profile(&school_a, student, a).is_ok());
        assert!(matches!(
            read_profile(&school_a, student, b),
            Err(Error::NotFound(Missing::Profile))
        ));
        assert!(request_erasure(&school_a, student, b).is_err());
    }

    #[test]
    fn companies_and_the_site_see_no_profile_and_no_contact() {
        let student = CandidateId::new();
        let company = Caller::Company {
            siren: Siren::parse("732829320").expect("siren"),
        };
        for caller in [company, Caller::Site, Caller::Bpifrance] {
            assert!(read_profile(&caller, student, SchoolId::new()).is_err());
            assert!(read_contact(&caller, student).is_err());
            assert!(school_scope(&caller, Some(SchoolId::new())).is_err());
        }
        assert!(
            read_contact(&Caller::Admin, student).is_err(),
            "not even operators"
        );
        assert!(read_contact(&Caller::Service, student).is_ok());
    }

    #[test]
    fn consent_and_preferences_belong_to_the_candidate_alone() {
        let me = CandidateId::new();
        let caller = Caller::Candidate { candidate_id: me };
        assert_eq!(self_service(&caller, None).ok(), Some(me));
        assert!(self_service(&caller, Some(CandidateId::new())).is_err());
        let school = Caller::School {
            school_id: SchoolId::new(),
        };
        assert!(self_service(&school, Some(me)).is_err());
        assert!(self_service(&Caller::Admin, Some(me)).is_err());
    }
}
