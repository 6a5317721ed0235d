//! Who may rank and explain what (DESIGN.md section 5): a company only for its own offers; a
//! candidate only for themself; a school only for its own students; the website only for the
//! candidate its token acts for (`on_behalf_of`); operators and the platform's services for
//! anyone. What a role may never do is refused before anything is looked up
//! ([`Error::Denied`], naming the rule); what depends on the data (whose student, whose draft)
//! is checked once it is found, and a caller who may not know of it learns exactly what a
//! caller asking for an absent one learns ([`Error::NotFound`]), so neither existence nor
//! consent leaks.

use vte_domain::{CandidateId, SchoolId, Siren};
use vte_service::auth::{Caller, Identity};

use crate::domain::Audience;
use crate::error::{Error, Missing};

fn denied(rule: &'static str) -> Error {
    Error::Denied(rule)
}

/// RankCandidates: the company owning the offer, operators and services. Any other caller is
/// refused before the offer is looked up; another company learns of the offer only what the
/// public may ([`OfferSide::check`]).
pub fn rank_candidates(caller: &Caller) -> Result<OfferSide, Error> {
    match caller {
        Caller::Company { siren } => Ok(OfferSide::IfOwner(*siren)),
        Caller::Admin | Caller::Service => Ok(OfferSide::Any),
        _ => Err(denied(
            "only the company that owns the offer may rank its candidates",
        )),
    }
}

/// Who may read the company's side of an offer, once it is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferSide {
    /// Operators and services: any offer.
    Any,
    /// A company: its own offers.
    IfOwner(Siren),
}

impl OfferSide {
    /// Checks the offer found, owned by `owner`: another company is refused a published offer
    /// (whose existence is public) and told a draft does not exist, as for an absent one.
    pub fn check(self, owner: &Siren, draft: bool) -> Result<(), Error> {
        match self {
            Self::Any => Ok(()),
            Self::IfOwner(siren) if siren == *owner => Ok(()),
            Self::IfOwner(_) if draft => Err(Error::NotFound(Missing::Offer)),
            Self::IfOwner(_) => Err(denied("this offer belongs to another company")),
        }
    }
}

/// Who may read a candidate's side of matching (RankOffers, ExplainMatch told to the
/// candidate), decided from the token alone: the candidate themself, the website with a token
/// acting for that candidate, operators and services; a school, once the candidate is found
/// ([`CandidateSide::check`]). Everyone else is refused before anything is looked up.
pub fn candidate_side(who: &Identity, candidate: &CandidateId) -> Result<CandidateSide, Error> {
    match &who.caller {
        Caller::Candidate { candidate_id } if candidate_id == candidate => Ok(CandidateSide::Any),
        Caller::Candidate { .. } => Err(denied("a candidate acts only for themself")),
        Caller::Site if who.on_behalf_of.as_ref() == Some(candidate) => Ok(CandidateSide::Any),
        Caller::Site if who.on_behalf_of.is_some() => Err(denied(
            "this website token acts for another candidate (on_behalf_of)",
        )),
        Caller::Site => Err(denied(
            "the website acts for a candidate only with a token on their behalf (on_behalf_of)",
        )),
        Caller::School { school_id } => Ok(CandidateSide::IfStudentOf(*school_id)),
        Caller::Admin | Caller::Service => Ok(CandidateSide::Any),
        _ => Err(denied(
            "only the candidate, their school or the website acting for them may do this",
        )),
    }
}

/// Who may read a candidate's side, once the candidate is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSide {
    /// The candidate themself, the website acting for them, operators and services.
    Any,
    /// A school: its own students only.
    IfStudentOf(SchoolId),
}

impl CandidateSide {
    /// Checks the candidate found, a student of `school`: another school's student (or a
    /// candidate of no school) reads as absent to a school.
    pub fn check(self, school: Option<&SchoolId>) -> Result<(), Error> {
        match self {
            Self::Any => Ok(()),
            Self::IfStudentOf(own) if school == Some(&own) => Ok(()),
            Self::IfStudentOf(_) => Err(Error::NotFound(Missing::Candidate)),
        }
    }
}

/// ExplainMatch, decided from the token alone: whose side the explanation is told from, and
/// what remains to check once the offer and the candidate are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFor {
    /// The company's side (a company, operators, services): checked on the offer.
    Company(OfferSide),
    /// The candidate's side: checked on the candidate.
    Candidate(CandidateSide),
}

impl ExplainFor {
    /// The audience the explanation is worded for.
    pub fn audience(self) -> Audience {
        match self {
            Self::Company(_) => Audience::Company,
            Self::Candidate(_) => Audience::Candidate,
        }
    }
}

/// ExplainMatch: either side of the pair, and who may act for it.
pub fn explain(who: &Identity, candidate: &CandidateId) -> Result<ExplainFor, Error> {
    match &who.caller {
        Caller::Company { siren } => Ok(ExplainFor::Company(OfferSide::IfOwner(*siren))),
        Caller::Admin | Caller::Service => Ok(ExplainFor::Company(OfferSide::Any)),
        _ => candidate_side(who, candidate).map(ExplainFor::Candidate),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn identity(caller: Caller, on_behalf_of: Option<CandidateId>) -> Identity {
        Identity {
            caller,
            subject: "account".to_owned(),
            expires_at: chrono::Utc::now(),
            on_behalf_of,
        }
    }

    #[test]
    fn the_site_reaches_a_candidate_only_with_a_token_on_their_behalf() {
        let candidate = CandidateId::new();
        let bare = identity(Caller::Site, None);
        assert!(matches!(
            candidate_side(&bare, &candidate),
            Err(Error::Denied(_))
        ));
        let for_another = identity(Caller::Site, Some(CandidateId::new()));
        assert!(matches!(
            candidate_side(&for_another, &candidate),
            Err(Error::Denied(_))
        ));
        let for_them = identity(Caller::Site, Some(candidate));
        assert_eq!(
            candidate_side(&for_them, &candidate).unwrap(),
            CandidateSide::Any
        );
    }

    #[test]
    fn a_school_learns_nothing_of_a_student_not_its_own() {
        let school = SchoolId::new();
        let side = candidate_side(
            &identity(Caller::School { school_id: school }, None),
            &CandidateId::new(),
        )
        .unwrap();
        assert!(side.check(Some(&school)).is_ok());
        for other in [Some(SchoolId::new()), None] {
            assert!(matches!(
                side.check(other.as_ref()),
                Err(Error::NotFound(Missing::Candidate))
            ));
        }
    }

    #[test]
    fn another_companys_draft_reads_as_absent() {
        let (own, other) = (
            Siren::parse("732829320").unwrap(),
            Siren::parse("552100554").unwrap(),
        );
        let side = OfferSide::IfOwner(other);
        assert!(matches!(
            side.check(&own, true),
            Err(Error::NotFound(Missing::Offer))
        ));
        assert!(matches!(side.check(&own, false), Err(Error::Denied(_))));
        assert!(OfferSide::IfOwner(own).check(&own, true).is_ok());
    }
}
