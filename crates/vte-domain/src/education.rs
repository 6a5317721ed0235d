//! Education levels counted in years after the baccalauréat. The VTE is open from bac+2 (BTS)
//! to bac+5 (master, engineering or business school), so other levels cannot even be
//! represented. An offer states the range of levels it accepts as a [`LevelRange`].

use crate::InvalidValue;
use crate::serde_str::serde_as_str;
use std::fmt;

/// A level from bac+2 to bac+5, ordered from the lowest to the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EducationLevel {
    /// Two years after the bac: BTS, DUT, second year of a bachelor's.
    Bac2,
    /// Three years: licence, BUT, bachelor.
    Bac3,
    /// Four years: master 1.
    Bac4,
    /// Five years: master, engineering or business school diploma.
    Bac5,
}

const VTE_LEVELS: &str = "the VTE is for bac+2 to bac+5";

impl EducationLevel {
    /// Every level, lowest first.
    pub const ALL: [EducationLevel; 4] = [Self::Bac2, Self::Bac3, Self::Bac4, Self::Bac5];

    /// Years of higher education after the bac (2 to 5).
    pub const fn years(self) -> u8 {
        match self {
            Self::Bac2 => 2,
            Self::Bac3 => 3,
            Self::Bac4 => 4,
            Self::Bac5 => 5,
        }
    }

    /// The level for a number of years after the bac; outside 2 to 5 it is not a VTE level.
    pub fn from_years(years: u32) -> Result<Self, InvalidValue> {
        match years {
            2 => Ok(Self::Bac2),
            3 => Ok(Self::Bac3),
            4 => Ok(Self::Bac4),
            5 => Ok(Self::Bac5),
            other => Err(InvalidValue::new(format!("{VTE_LEVELS}, got bac+{other}"))),
        }
    }

    /// Parses `bac+3`, `BAC+3`, `Bac + 3` or just `3`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let years = compact.strip_prefix("bac+").unwrap_or(&compact);
        match years.parse::<u32>() {
            Ok(years) => Self::from_years(years),
            Err(_) => Err(InvalidValue::new(
                "must be written bac+N with N from 2 to 5, e.g. bac+3",
            )),
        }
    }

    /// The conventional notation, `"bac+3"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bac2 => "bac+2",
            Self::Bac3 => "bac+3",
            Self::Bac4 => "bac+4",
            Self::Bac5 => "bac+5",
        }
    }
}

impl TryFrom<u32> for EducationLevel {
    type Error = InvalidValue;

    fn try_from(years: u32) -> Result<Self, InvalidValue> {
        Self::from_years(years)
    }
}

impl fmt::Display for EducationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EducationLevel {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(EducationLevel);

/// The levels an offer accepts, from `min` to `max` inclusive; `min` is never above `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawLevelRange")]
pub struct LevelRange {
    min: EducationLevel,
    max: EducationLevel,
}

impl LevelRange {
    /// Every VTE level, bac+2 to bac+5.
    pub const ALL: LevelRange = LevelRange {
        min: EducationLevel::Bac2,
        max: EducationLevel::Bac5,
    };

    /// A range from `min` to `max`, rejected when `min` is above `max`.
    pub fn new(min: EducationLevel, max: EducationLevel) -> Result<Self, InvalidValue> {
        if min > max {
            return Err(InvalidValue::new(format!(
                "the lowest level ({min}) must not be above the highest ({max})"
            )));
        }
        Ok(Self { min, max })
    }

    /// A range of exactly one level.
    pub const fn only(level: EducationLevel) -> Self {
        Self {
            min: level,
            max: level,
        }
    }

    /// The lowest accepted level.
    pub const fn min(&self) -> EducationLevel {
        self.min
    }

    /// The highest accepted level.
    pub const fn max(&self) -> EducationLevel {
        self.max
    }

    /// Whether `level` is within the range.
    pub fn contains(&self, level: EducationLevel) -> bool {
        self.min <= level && level <= self.max
    }
}

impl fmt::Display for LevelRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{} to {}", self.min, self.max)
        }
    }
}

/// The unchecked shape of a [`LevelRange`] as it arrives in JSON.
#[derive(serde::Deserialize)]
struct RawLevelRange {
    min: EducationLevel,
    max: EducationLevel,
}

impl TryFrom<RawLevelRange> for LevelRange {
    type Error = InvalidValue;

    fn try_from(raw: RawLevelRange) -> Result<Self, InvalidValue> {
        Self::new(raw.min, raw.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EducationLevel::*;

    #[test]
    fn levels_are_read_in_the_usual_notations() {
        assert_eq!(EducationLevel::parse("bac+3"), Ok(Bac3));
        assert_eq!(EducationLevel::parse("BAC+3"), Ok(Bac3));
        assert_eq!(EducationLevel::parse(" Bac + 5 "), Ok(Bac5));
        assert_eq!(EducationLevel::parse("2"), Ok(Bac2));
        assert_eq!(EducationLevel::try_from(4), Ok(Bac4));
    }

    #[test]
    fn levels_outside_bac2_to_bac5_are_not_for_the_vte() {
        for (raw, got) in [("bac+7", 7), ("bac+1", 1), ("bac+0", 0), ("8", 8)] {
            assert_eq!(
                EducationLevel::parse(raw).unwrap_err().rule(),
                format!("the VTE is for bac+2 to bac+5, got bac+{got}")
            );
        }
    }

    #[test]
    fn a_level_that_is_not_bac_plus_n_is_rejected() {
        for raw in ["master", "bac+", "bac+-1", ""] {
            assert_eq!(
                EducationLevel::parse(raw).unwrap_err().rule(),
                "must be written bac+N with N from 2 to 5, e.g. bac+3",
                "{raw}"
            );
        }
    }

    #[test]
    fn levels_are_ordered_from_bac2_to_bac5() {
        assert!(Bac2 < Bac3 && Bac3 < Bac4 && Bac4 < Bac5);
        assert_eq!(EducationLevel::ALL.map(EducationLevel::years), [2, 3, 4, 5]);
    }

    #[test]
    fn a_range_contains_its_bounds_and_what_lies_between() {
        let range = LevelRange::new(Bac3, Bac5).unwrap();
        assert!(!range.contains(Bac2));
        assert!(range.contains(Bac3) && range.contains(Bac4) && range.contains(Bac5));
        assert_eq!(range.to_string(), "bac+3 to bac+5");
        assert_eq!(LevelRange::only(Bac4).to_string(), "bac+4");
    }

    #[test]
    fn a_range_whose_minimum_is_above_its_maximum_is_rejected() {
        assert_eq!(
            LevelRange::new(Bac4, Bac3).unwrap_err().rule(),
            "the lowest level (bac+4) must not be above the highest (bac+3)"
        );
    }

    #[test]
    fn a_range_read_from_json_is_checked() {
        let range: LevelRange = serde_json::from_str(r#"{"min":"bac+2","max":"bac+3"}"#).unwrap();
        assert_eq!(range, LevelRange::new(Bac2, Bac3).unwrap());
        assert!(serde_json::from_str::<LevelRange>(r#"{"min":"bac+5","max":"bac+3"}"#).is_err());
        assert!(serde_json::from_str::<LevelRange>(r#"{"min":"bac+1","max":"bac+3"}"#).is_err());
    }
}
