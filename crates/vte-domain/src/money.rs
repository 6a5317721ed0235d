//! Amounts of money in euros, held as a whole number of cents so sums are exact. Amounts on
//! the platform (salaries, aid) are never negative, so a negative amount is rejected rather
//! than carried around.

use crate::InvalidValue;
use std::fmt;

/// A non-negative amount in euro cents: `EuroCents::from_euros(4_000)` is 4,000 EUR.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct EuroCents(i64);

impl EuroCents {
    /// Nothing.
    pub const ZERO: EuroCents = EuroCents(0);

    /// An amount of `cents`, rejected when negative.
    pub fn new(cents: i64) -> Result<Self, InvalidValue> {
        if cents < 0 {
            return Err(InvalidValue::new("an amount must not be negative"));
        }
        Ok(Self(cents))
    }

    /// A whole number of euros.
    pub const fn from_euros(euros: u32) -> Self {
        Self(euros as i64 * 100)
    }

    /// The amount in cents (fits a PostgreSQL `BIGINT`).
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The sum, or `None` if it would overflow.
    pub fn checked_add(self, other: EuroCents) -> Option<EuroCents> {
        self.0.checked_add(other.0).map(Self)
    }
}

impl TryFrom<i64> for EuroCents {
    type Error = InvalidValue;

    fn try_from(cents: i64) -> Result<Self, InvalidValue> {
        Self::new(cents)
    }
}

impl From<EuroCents> for i64 {
    fn from(amount: EuroCents) -> i64 {
        amount.0
    }
}

/// `4000 EUR`, or `1200.50 EUR` when there are cents.
impl fmt::Display for EuroCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (euros, cents) = (self.0 / 100, self.0 % 100);
        if cents == 0 {
            write!(f, "{euros} EUR")
        } else {
            write!(f, "{euros}.{cents:02} EUR")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_held_as_cents() {
        assert_eq!(EuroCents::from_euros(4_000).cents(), 400_000);
        assert_eq!(EuroCents::from_euros(4_000).to_string(), "4000 EUR");
        assert_eq!(EuroCents::new(120_050).unwrap().to_string(), "1200.50 EUR");
        assert_eq!(EuroCents::new(5).unwrap().to_string(), "0.05 EUR");
    }

    #[test]
    fn a_negative_amount_is_rejected() {
        assert_eq!(
            EuroCents::new(-1).unwrap_err().rule(),
            "an amount must not be negative"
        );
        assert!(serde_json::from_str::<EuroCents>("-100").is_err());
    }

    #[test]
    fn sums_are_exact_and_overflow_is_reported() {
        let sum = EuroCents::from_euros(4_000).checked_add(EuroCents::from_euros(1_200));
        assert_eq!(sum, Some(EuroCents::from_euros(5_200)));
        assert_eq!(EuroCents(i64::MAX).checked_add(EuroCents(1)), None);
    }

    #[test]
    fn an_amount_is_a_plain_number_of_cents_in_json() {
        assert_eq!(
            serde_json::to_string(&EuroCents::from_euros(12)).unwrap(),
            "1200"
        );
    }
}
