//! The INSEE commune code (code officiel géographique): 5 characters naming a French commune.
//! Only the form is checked here; whether a commune with that code exists is a question for the
//! reference data (`vte-reference`).

use crate::InvalidValue;
use crate::ascii;
use crate::serde_str::serde_as_str;
use std::fmt;

/// A well-formed INSEE commune code such as `46102` (Figeac), `2A004` (Ajaccio) or `97411`.
///
/// Accepted forms: a metropolitan département `01`-`95` (Corsica written `2A`/`2B`, never `20`)
/// followed by 3 digits, or an overseas code `971`-`978` or `984`-`989` followed by 2 digits.
/// Lowercase `2a`/`2b` is accepted and stored uppercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InseeCode([u8; 5]);

const DEPARTEMENT_RULE: &str =
    "must start with a département code: 01 to 95, 2A, 2B, 971 to 978 or 984 to 989";

impl InseeCode {
    /// Parses an INSEE commune code, naming the rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        let length = raw.chars().count();
        if length == 0 {
            return Err(InvalidValue::new("must not be empty"));
        }
        if length != 5 {
            return Err(InvalidValue::new(format!(
                "must be 5 characters, got {length}"
            )));
        }
        let mut code = [0u8; 5];
        for (slot, byte) in code.iter_mut().zip(raw.bytes()) {
            *slot = byte.to_ascii_uppercase();
        }
        if matches!(&code[..2], b"2A" | b"2B") {
            if !code[2..].iter().all(u8::is_ascii_digit) {
                return Err(InvalidValue::new("must have 3 digits after 2A or 2B"));
            }
            return Ok(Self(code));
        }
        if !code.iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new(
                "must be 5 digits, or 2A/2B followed by 3 digits for Corsica",
            ));
        }
        match (code[0], code[1], code[2]) {
            (b'0', b'0', _) | (b'9', b'6', _) => Err(InvalidValue::new(DEPARTEMENT_RULE)),
            (b'2', b'0', _) => Err(InvalidValue::new(
                "Corsican communes start with 2A or 2B, not 20",
            )),
            (b'9', b'7', b'1'..=b'8') | (b'9', b'8', b'4' | b'6'..=b'9') => Ok(Self(code)),
            (b'9', b'7' | b'8', _) => Err(InvalidValue::new(DEPARTEMENT_RULE)),
            (b'9', b'9', _) => Err(InvalidValue::new(
                "codes starting with 99 designate foreign countries, not French communes",
            )),
            _ => Ok(Self(code)),
        }
    }

    /// The code as written, e.g. `"2A004"`.
    pub fn as_str(&self) -> &str {
        ascii::as_str(&self.0)
    }

    /// The département (or overseas collectivity) the commune belongs to: `"01"`, `"2A"`,
    /// `"971"`, `"987"`.
    pub fn departement(&self) -> &str {
        let len = if self.is_overseas() { 3 } else { 2 };
        ascii::as_str(&self.0[..len])
    }

    /// Whether the commune is overseas (codes starting with 97 or 98).
    pub fn is_overseas(&self) -> bool {
        matches!(&self.0[..2], b"97" | b"98")
    }
}

impl fmt::Display for InseeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for InseeCode {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(InseeCode);

#[cfg(test)]
mod tests {
    use super::*;

    fn departement(raw: &str) -> String {
        InseeCode::parse(raw).unwrap().departement().to_owned()
    }

    fn rule(raw: &str) -> String {
        InseeCode::parse(raw).unwrap_err().rule().to_owned()
    }

    #[test]
    fn a_metropolitan_code_belongs_to_its_two_digit_departement() {
        assert_eq!(departement("46102"), "46");
        assert_eq!(departement("01001"), "01");
        assert_eq!(departement("95500"), "95");
    }

    #[test]
    fn a_corsican_code_belongs_to_2a_or_2b_and_is_stored_uppercase() {
        assert_eq!(departement("2A004"), "2A");
        assert_eq!(departement("2b033"), "2B");
        assert_eq!(InseeCode::parse("2a004").unwrap().as_str(), "2A004");
    }

    #[test]
    fn an_overseas_code_belongs_to_its_three_digit_departement() {
        assert_eq!(departement("97411"), "974");
        assert_eq!(departement("97101"), "971");
        assert_eq!(departement("97502"), "975");
        assert_eq!(departement("98735"), "987");
        assert!(InseeCode::parse("97611").unwrap().is_overseas());
        assert!(!InseeCode::parse("75056").unwrap().is_overseas());
    }

    #[test]
    fn a_code_of_the_wrong_length_is_rejected() {
        assert_eq!(rule("4610"), "must be 5 characters, got 4");
        assert_eq!(rule("461020"), "must be 5 characters, got 6");
        assert_eq!(rule(""), "must not be empty");
    }

    #[test]
    fn a_code_with_letters_outside_corsica_is_rejected() {
        assert_eq!(
            rule("4610A"),
            "must be 5 digits, or 2A/2B followed by 3 digits for Corsica"
        );
        assert_eq!(rule("2A0B4"), "must have 3 digits after 2A or 2B");
    }

    #[test]
    fn corsica_written_20_is_rejected() {
        assert_eq!(
            rule("20004"),
            "Corsican communes start with 2A or 2B, not 20"
        );
    }

    #[test]
    fn a_departement_that_does_not_exist_is_rejected() {
        for raw in ["00123", "96123", "97012", "97912", "98512", "98012"] {
            assert_eq!(rule(raw), DEPARTEMENT_RULE, "{raw}");
        }
        assert_eq!(
            rule("99134"),
            "codes starting with 99 designate foreign countries, not French communes"
        );
    }

    #[test]
    fn an_insee_code_is_written_as_a_string_in_json() {
        let code: InseeCode = serde_json::from_str("\"2a004\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"2A004\"");
    }
}
