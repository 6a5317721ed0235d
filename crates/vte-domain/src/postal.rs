//! The French postal code (code postal): 5 digits, assigned by La Poste. It is not a commune
//! code: one postal code can cover several communes and one commune several postal codes, so
//! it locates a place only together with the commune's name.

use crate::InvalidValue;
use crate::ascii;
use crate::serde_str::serde_as_str;
use std::fmt;

/// A well-formed postal code such as `46100` or `20000` (Ajaccio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode([u8; 5]);

impl PostalCode {
    /// Parses a postal code: exactly 5 digits, not starting with `00`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        let bytes = raw.as_bytes();
        if bytes.len() != 5 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new("must be 5 digits"));
        }
        if bytes.starts_with(b"00") {
            return Err(InvalidValue::new("no postal code starts with 00"));
        }
        let mut code = [0u8; 5];
        code.copy_from_slice(bytes);
        Ok(Self(code))
    }

    /// The code as written, e.g. `"46100"`.
    pub fn as_str(&self) -> &str {
        ascii::as_str(&self.0)
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PostalCode {
    type Err = InvalidValue;

    fn from_str(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

serde_as_str!(PostalCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_five_digit_postal_code_is_accepted() {
        assert_eq!(PostalCode::parse(" 46100 ").unwrap().as_str(), "46100");
        assert_eq!(PostalCode::parse("20000").unwrap().as_str(), "20000");
    }

    #[test]
    fn a_postal_code_that_is_not_five_digits_is_rejected() {
        for raw in ["4610", "461000", "4610A", "46 100"] {
            assert_eq!(
                PostalCode::parse(raw).unwrap_err().rule(),
                "must be 5 digits"
            );
        }
        assert_eq!(
            PostalCode::parse("").unwrap_err().rule(),
            "must not be empty"
        );
        assert_eq!(
            PostalCode::parse("00100").unwrap_err().rule(),
            "no postal code starts with 00"
        );
    }
}
