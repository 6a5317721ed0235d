//! Small checked values the offers domain reads from requests: free text with a length limit
//! ([`BoundedText`] and its aliases, one per field of the contract) and calendar dates as they
//! arrive on the wire ([`RawDate`]). Each parser names the rule a bad value breaks.

use std::fmt;
use vte_domain::InvalidValue;

/// Trimmed, non-empty text of at most `MAX` characters (Unicode scalar values, as the contract
/// counts them), without control characters other than line breaks and tabs: PostgreSQL rejects
/// NUL in `text`, and the other controls only ever come from broken clients.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    /// The longest text accepted, in characters.
    pub const MAX_CHARS: usize = MAX;

    /// Trims `raw` and checks it is neither empty nor longer than `MAX` characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        let length = text.chars().count();
        if length > MAX {
            return Err(InvalidValue::new(format!(
                "must be at most {MAX} characters, got {length}"
            )));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(InvalidValue::new(
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// Like [`parse`](Self::parse), but blank text means "not given" and is `None`: for the
    /// optional notes and reasons of the contract, where an empty string is the wire's absence.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, InvalidValue> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }

    /// The text, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> AsRef<str> for BoundedText<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An offer's job title, 1..=120 characters.
pub type Title = BoundedText<120>;
/// An offer's description of the job and the company, 1..=8,000 characters.
pub type Description = BoundedText<8000>;
/// One field of study an offer seeks ("génie mécanique"), 1..=80 characters.
pub type FieldOfStudy = BoundedText<80>;
/// One skill an offer seeks ("SolidWorks"), 1..=60 characters.
pub type Skill = BoundedText<60>;
/// The company's legal name as shown to candidates, 1..=200 characters.
pub type CompanyName = BoundedText<200>;
/// Why an offer was closed, up to 500 characters.
pub type CloseReason = BoundedText<500>;
/// A note or a reason in an application's log, or an early-end note, up to 1,000 characters.
pub type Note = BoundedText<1000>;
/// A candidate's message to the company, up to 4,000 characters.
pub type ApplicationMessage = BoundedText<4000>;
/// Why Bpifrance decided as it did on a label, up to 2,000 characters.
pub type LabelReason = BoundedText<2000>;

pub use vte_domain::RawDate;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_is_trimmed_and_kept_when_within_its_limit() {
        let title = Title::parse("  Ingénieur méthodes  ").unwrap();
        assert_eq!(title.as_str(), "Ingénieur méthodes");
    }

    #[test]
    fn text_is_measured_in_characters_not_bytes() {
        let accented = "é".repeat(120);
        assert!(Title::parse(&accented).is_ok());
        assert_eq!(
            Title::parse(&"é".repeat(121)).unwrap_err().rule(),
            "must be at most 120 characters, got 121"
        );
    }

    #[test]
    fn blank_text_is_empty_and_optional_blank_text_is_absent() {
        assert_eq!(Title::parse("   ").unwrap_err().rule(), "must not be empty");
        assert_eq!(Note::parse_optional(" \n "), Ok(None));
        assert_eq!(
            Note::parse_optional(" vu ").unwrap().unwrap().as_str(),
            "vu"
        );
    }

    #[test]
    fn text_with_a_nul_character_is_rejected_but_line_breaks_are_kept() {
        assert!(Description::parse("ligne 1\nligne 2\tfin").is_ok());
        assert_eq!(
            Title::parse("a\u{0}b").unwrap_err().rule(),
            "must not contain control characters other than line breaks and tabs"
        );
    }

    #[test]
    fn a_raw_date_becomes_a_date_when_the_calendar_has_it() {
        let date = RawDate::new(2028, 2, 29).parse().unwrap();
        assert_eq!(RawDate::from(date), RawDate::new(2028, 2, 29));
    }

    #[test]
    fn a_raw_date_that_the_calendar_lacks_is_rejected() {
        assert_eq!(
            RawDate::new(2027, 2, 29).parse().unwrap_err().rule(),
            "2027-02-29 is not a date of the calendar"
        );
        assert_eq!(
            RawDate::new(2027, 13, 1).parse().unwrap_err().rule(),
            "2027-13-01 is not a date of the calendar"
        );
        assert_eq!(
            RawDate::new(0, 0, 0).parse().unwrap_err().rule(),
            "the year must be 1900 to 9999, got 0"
        );
    }
}
