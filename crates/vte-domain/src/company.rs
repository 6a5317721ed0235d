//! The size category of a hiring company. The VTE is for TPE, PME and ETI; a large group
//! (grande entreprise) is not eligible, so it has no variant and is rejected when parsed.

use crate::InvalidValue;
use crate::serde_str::serde_as_str;
use std::fmt;

/// An eligible company size, in the categories of the décret n° 2008-1354 (by headcount, under
/// 10, 250 and 5,000 employees respectively, with turnover and balance-sheet ceilings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompanySize {
    /// Très petite entreprise (microentreprise).
    Tpe,
    /// Petite ou moyenne entreprise.
    Pme,
    /// Entreprise de taille intermédiaire.
    Eti,
}

impl CompanySize {
    /// Every eligible size, smallest first.
    pub const ALL: [CompanySize; 3] = [Self::Tpe, Self::Pme, Self::Eti];

    /// The stable code: `"TPE"`, `"PME"` or `"ETI"`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Tpe => "TPE",
            Self::Pme => "PME",
            Self::Eti => "ETI",
        }
    }

    /// The French name of the category.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Tpe => "très petite entreprise",
            Self::Pme => "petite ou moyenne entreprise",
            Self::Eti => "entreprise de taille intermédiaire",
        }
    }

    /// Parses a code, ignoring case; a large group (`GE`) is rejected as not eligible.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if let Some(size) = Self::ALL
            .into_iter()
            .find(|size| size.code().eq_ignore_ascii_case(raw))
        {
            return Ok(size);
        }
        let large = ["GE", "GRANDE_ENTREPRISE", "GRAND_GROUPE", "LARGE"];
        if large.iter().any(|code| code.eq_ignore_ascii_case(raw)) {
            return Err(InvalidValue::new(
                "a large group is not eligible for the VTE: only TPE, PME and ETI are",
            ));
        }
        Err(InvalidValue::new("must be one of TPE, PME, ETI"))
    }
}

impl fmt::Display for CompanySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for CompanySize {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(CompanySize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligible_sizes_parse_from_their_codes() {
        assert_eq!(CompanySize::parse("tpe"), Ok(CompanySize::Tpe));
        assert_eq!(CompanySize::parse("PME"), Ok(CompanySize::Pme));
        assert_eq!(CompanySize::parse(" ETI "), Ok(CompanySize::Eti));
    }

    #[test]
    fn a_large_group_is_not_eligible() {
        assert_eq!(
            CompanySize::parse("GE").unwrap_err().rule(),
            "a large group is not eligible for the VTE: only TPE, PME and ETI are"
        );
    }

    #[test]
    fn an_unknown_size_is_rejected() {
        assert_eq!(
            CompanySize::parse("startup").unwrap_err().rule(),
            "must be one of TPE, PME, ETI"
        );
    }
}
