//! Who acts on offers, applications, placements and labels: the [`Role`] of a bearer token, the
//! [`Actor`] recorded in transition logs and label decisions (role, subject, tenant), and the
//! [`Party`] an application's state machine reasons about (the company, the candidate's side,
//! an operator, the platform itself). Checking tenancy (which company, which school) is the
//! use cases' job (`access`); the domain only knows which kind of party may take which step.

use std::fmt;

pub use vte_domain::Role;

/// Who did something: the role of the token, its subject (an opaque user or system id, never a
/// name or an email address) and its tenant when the role has one (the school id, the SIREN or
/// the candidate id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    /// The role of the token used.
    pub role: Role,
    /// The token's subject (`sub` claim).
    pub subject: String,
    /// The token's tenant, for the roles school, company and candidate.
    pub tenant_id: Option<String>,
}

impl Actor {
    /// The subject this service records for the changes it makes by itself (obsolescence,
    /// expiry), with [`Role::Service`].
    pub const OFFERS_SERVICE_SUBJECT: &'static str = "vte-offers";

    /// An actor with its role, subject and tenant.
    pub fn new(role: Role, subject: impl Into<String>, tenant_id: Option<String>) -> Self {
        Self {
            role,
            subject: subject.into(),
            tenant_id,
        }
    }

    /// This service, acting by itself.
    pub fn offers_service() -> Self {
        Self::new(Role::Service, Self::OFFERS_SERVICE_SUBJECT, None)
    }

    /// The party this actor plays in an application's life, if any.
    pub fn party(&self) -> Option<Party> {
        Party::of(self.role)
    }
}

/// The sides of an application, which decide what each may do with it (see
/// [`transition`](super::application_state::transition)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The company that owns the offer.
    Company,
    /// The candidate, or their school acting on their behalf.
    CandidateSide,
    /// A platform operator, who may take any step the company or the candidate's side may take
    /// (support desk), but not the automatic ones.
    Operator,
    /// The platform itself: obsolescence and expiry.
    System,
}

impl Party {
    /// The party a role plays: the site and Bpifrance play none.
    pub const fn of(role: Role) -> Option<Self> {
        match role {
            Role::Company => Some(Self::Company),
            Role::Candidate | Role::School => Some(Self::CandidateSide),
            Role::Admin => Some(Self::Operator),
            Role::Service => Some(Self::System),
            Role::Site | Role::Bpifrance => None,
        }
    }

    /// A short name for messages: `"the company"`, `"the candidate or their school"`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Company => "the company",
            Self::CandidateSide => "the candidate or their school",
            Self::Operator => "an operator",
            Self::System => "the platform",
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_stored_under_their_token_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn a_school_acts_on_the_candidates_side() {
        assert_eq!(Party::of(Role::School), Some(Party::CandidateSide));
        assert_eq!(Party::of(Role::Candidate), Some(Party::CandidateSide));
    }

    #[test]
    fn the_site_and_bpifrance_play_no_part_in_applications() {
        assert_eq!(Party::of(Role::Site), None);
        assert_eq!(Party::of(Role::Bpifrance), None);
    }

    #[test]
    fn the_service_records_its_own_changes_as_the_platform() {
        let actor = Actor::offers_service();
        assert_eq!(actor.role, Role::Service);
        assert_eq!(actor.party(), Some(Party::System));
    }
}
