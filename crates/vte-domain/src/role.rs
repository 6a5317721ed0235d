//! The [`Role`] a bearer token grants (DESIGN.md section 5): one list for the services, their
//! access rules and the records of who did what.

use std::fmt;

use crate::InvalidValue;

/// The role a bearer token grants, as named in tokens and in `vte.common.v1.Role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The vte-france website, acting for anonymous visitors.
    Site,
    /// A school's information system or staff.
    School,
    /// A company.
    Company,
    /// A student or young graduate.
    Candidate,
    /// Bpifrance staff, who decide labels.
    Bpifrance,
    /// Platform operators.
    Admin,
    /// One of the platform's services, including this one for automatic changes.
    Service,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Self::Site,
        Self::School,
        Self::Company,
        Self::Candidate,
        Self::Bpifrance,
        Self::Admin,
        Self::Service,
    ];

    /// The role's name in tokens and database columns: `"company"`, `"bpifrance"`...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Site => "site",
            Self::School => "school",
            Self::Company => "company",
            Self::Candidate => "candidate",
            Self::Bpifrance => "bpifrance",
            Self::Admin => "admin",
            Self::Service => "service",
        }
    }

    /// Parses a role name as written by [`as_str`](Self::as_str).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| {
                InvalidValue::new(
                    "must be one of site, school, company, candidate, bpifrance, admin, service",
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
