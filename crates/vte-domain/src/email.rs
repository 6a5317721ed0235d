//! An email address as people type it: checked for shape (3 to 254 characters, one `@` between a
//! local part and a domain with a dot, no spaces), not for deliverability, which is the SMTP
//! relay's business. Personal data: never log one.

use std::fmt;

use crate::InvalidValue;

/// The longest address SMTP carries.
pub const MAX_EMAIL_CHARS: usize = 254;

/// A well-formed email address, trimmed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks `raw`'s shape.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let email = raw.trim();
        let chars = email.chars().count();
        if !(3..=MAX_EMAIL_CHARS).contains(&chars) {
            return Err(InvalidValue::new(format!(
                "must be an email address of 3 to {MAX_EMAIL_CHARS} characters"
            )));
        }
        let well_formed = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !well_formed {
            return Err(InvalidValue::new(
                "must be an email address such as prenom.nom@example.fr",
            ));
        }
        Ok(Self(email.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmailAddress {
    /// Never the address itself: debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_has_a_local_part_an_at_and_a_dotted_domain() {
        assert_eq!(
            EmailAddress::parse(" jeanne.martin@example.fr ").map(|e| e.as_str().to_owned()),
            Ok("jeanne.martin@example.fr".to_owned())
        );
        for bad in [
            "",
            "jeanne",
            "@example.fr",
            "jeanne@",
            "jeanne@example",
            "a b@example.fr",
            "a@@b.fr",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            format!("{:?}", EmailAddress::parse("a@b.fr")),
            "Ok(EmailAddress(..))"
        );
    }
}
