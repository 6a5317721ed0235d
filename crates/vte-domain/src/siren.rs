//! The SIREN: the 9-digit number identifying a French company (and each EPCI or commune) in the
//! INSEE Sirene register. Checked here for form and check digit; whether the company exists and
//! is eligible is decided elsewhere.

use crate::InvalidValue;
use crate::serde_str::serde_as_str;
use std::fmt;

/// A SIREN with a valid Luhn check digit, such as `732829320`.
///
/// Spaces between digit groups are accepted and dropped (`732 829 320`, including the
/// no-break spaces French typography puts there). La Poste's SIREN `356000000` is often cited
/// as an exception to the Luhn rule; it is not one (its digits pass Luhn): the exception
/// concerns La Poste's SIRET establishment numbers, which are not handled here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siren(u32);

impl Siren {
    /// Parses a SIREN, naming the rule it breaks: not only digits, not 9 digits, or a bad check
    /// digit (a typo).
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let mut digits = [0u8; 9];
        let mut count = 0usize;
        for c in raw.trim().chars() {
            match c {
                ' ' | '\u{a0}' | '\u{202f}' => continue,
                '0'..='9' => {
                    if let Some(slot) = digits.get_mut(count) {
                        *slot = c as u8 - b'0';
                    }
                    count += 1;
                }
                _ => {
                    return Err(InvalidValue::new(
                        "must contain only digits (spaces between groups are allowed)",
                    ));
                }
            }
        }
        if count == 0 {
            return Err(InvalidValue::new("must not be empty"));
        }
        if count != 9 {
            return Err(InvalidValue::new(format!(
                "must have 9 digits, got {count}"
            )));
        }
        if digits == [0; 9] {
            return Err(InvalidValue::new("000000000 is not a SIREN"));
        }
        if !passes_luhn(&digits) {
            return Err(InvalidValue::new(
                "fails the SIREN check digit (Luhn): look for a mistyped digit",
            ));
        }
        Ok(Self(digits.iter().fold(0, |n, &d| n * 10 + u32::from(d))))
    }

    /// The SIREN as a number (leading zeros are not significant in this form).
    pub const fn as_u32(&self) -> u32 {
        self.0
    }
}

/// The Luhn check: doubling every second digit from the right, the digit sum is a multiple of 10.
fn passes_luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:09}", self.0)
    }
}

impl std::str::FromStr for Siren {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(Siren);

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(raw: &str) -> String {
        Siren::parse(raw).unwrap_err().rule().to_owned()
    }

    #[test]
    fn a_siren_with_a_valid_check_digit_is_accepted() {
        assert_eq!(Siren::parse("732829320").unwrap().to_string(), "732829320");
    }

    #[test]
    fn spaces_between_digit_groups_are_dropped() {
        assert_eq!(Siren::parse("732 829 320"), Siren::parse("732829320"));
        assert_eq!(
            Siren::parse(" 732\u{a0}829\u{202f}320 "),
            Siren::parse("732829320")
        );
    }

    #[test]
    fn la_poste_passes_luhn_and_needs_no_exception() {
        assert!(Siren::parse("356000000").is_ok());
    }

    #[test]
    fn a_siren_starting_with_zero_keeps_its_leading_zero() {
        // 012345674 is the smallest tweak of 012345678 that passes Luhn.
        assert_eq!(Siren::parse("012345674").unwrap().to_string(), "012345674");
    }

    #[test]
    fn a_mistyped_digit_fails_the_checksum() {
        assert_eq!(
            rule("732829321"),
            "fails the SIREN check digit (Luhn): look for a mistyped digit"
        );
    }

    #[test]
    fn a_wrong_number_of_digits_is_rejected() {
        assert_eq!(rule("73282932"), "must have 9 digits, got 8");
        assert_eq!(rule("7328293200"), "must have 9 digits, got 10");
        assert_eq!(rule("  "), "must not be empty");
    }

    #[test]
    fn letters_and_punctuation_are_rejected() {
        let expected = "must contain only digits (spaces between groups are allowed)";
        assert_eq!(rule("73282932O"), expected);
        assert_eq!(rule("732.829.320"), expected);
    }

    #[test]
    fn all_zeros_is_not_a_siren() {
        assert_eq!(rule("000 000 000"), "000000000 is not a SIREN");
    }

    #[test]
    fn a_siren_is_written_as_a_string_in_json() {
        let siren = Siren::parse("732829320").unwrap();
        assert_eq!(serde_json::to_string(&siren).unwrap(), "\"732829320\"");
        assert!(serde_json::from_str::<Siren>("\"732829321\"").is_err());
    }
}
