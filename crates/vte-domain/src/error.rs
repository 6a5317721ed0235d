//! Rejections of input values: [`InvalidValue`] names the rule a value broke, [`FieldError`]
//! adds the path of the field it came from, and [`FieldErrors`] gathers every violation of a
//! request so a client can fix them all at once instead of one per round trip.

use std::borrow::Cow;
use std::fmt;

/// A value that breaks a rule, with the rule in plain words ("must have 9 digits, got 8").
///
/// Parsers return it without knowing which field they were given; the edge attaches the field
/// path with [`InvalidValue::at`] or [`AtField::at`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}")]
pub struct InvalidValue {
    rule: Cow<'static, str>,
}

impl InvalidValue {
    /// A rejection stating `rule`, written so it reads after a field name ("must be ...").
    pub fn new(rule: impl Into<Cow<'static, str>>) -> Self {
        Self { rule: rule.into() }
    }

    /// The rule the value broke.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Attaches the path of the field the value came from (e.g. `offer.location.insee`).
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            rule: self.rule,
        }
    }
}

/// A rejected value located in a request: `offer.location.insee: must be 5 characters, got 4`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct FieldError {
    field: String,
    rule: Cow<'static, str>,
}

impl FieldError {
    /// The dotted path of the offending field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule the value broke.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Prefixes the path with a parent, so `insee` inside `offer.location` becomes
    /// `offer.location.insee`.
    pub fn within(mut self, parent: &str) -> Self {
        if !parent.is_empty() {
            self.field = format!("{parent}.{}", self.field);
        }
        self
    }
}

/// Attaches a field path to the error of a parse result: `Siren::parse(raw).at("offer.siren")?`.
pub trait AtField<T> {
    /// Turns an [`InvalidValue`] into a [`FieldError`] for `field`.
    fn at(self, field: &str) -> Result<T, FieldError>;
}

impl<T> AtField<T> for Result<T, InvalidValue> {
    fn at(self, field: &str) -> Result<T, FieldError> {
        self.map_err(|invalid| invalid.at(field))
    }
}

/// Every field rejected while validating one request, in the order they were found.
///
/// ```
/// use vte_domain::{FieldErrors, InseeCode, Siren};
///
/// let mut errors = FieldErrors::new();
/// let siren = errors.check("offer.siren", Siren::parse("732829321"));
/// let insee = errors.check("offer.location.insee", InseeCode::parse("4610"));
/// assert_eq!((siren, insee), (None, None));
/// assert_eq!(errors.len(), 2);
/// assert!(errors.into_result().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
}

impl FieldErrors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the parsed value, or records the rejection under `field` and returns `None`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, InvalidValue>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.errors.push(invalid.at(field));
                None
            }
        }
    }

    /// Records a rejection already located in the request.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Records the rejections of a nested part of the request under `parent`.
    pub fn extend_within(&mut self, parent: &str, nested: FieldErrors) {
        self.errors
            .extend(nested.errors.into_iter().map(|error| error.within(parent)));
    }

    /// Whether nothing was rejected.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many fields were rejected.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// The rejections in the order they were recorded.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }

    /// `Ok(())` when nothing was rejected, otherwise `Err(self)`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self {
            errors: vec![error],
        }
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_names_the_field_then_the_rule() {
        let error = InvalidValue::new("must be 5 characters, got 4").at("offer.location.insee");
        assert_eq!(
            error.to_string(),
            "offer.location.insee: must be 5 characters, got 4"
        );
        assert_eq!(error.field(), "offer.location.insee");
    }

    #[test]
    fn a_nested_error_is_located_under_its_parent() {
        let error = InvalidValue::new("must not be empty")
            .at("insee")
            .within("offer.location");
        assert_eq!(error.field(), "offer.location.insee");
    }

    #[test]
    fn field_errors_report_every_violation_in_order() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check("a", Ok::<_, InvalidValue>(1)), Some(1));
        assert_eq!(errors.check::<u8>("b", Err(InvalidValue::new("x"))), None);
        let mut nested = FieldErrors::new();
        nested.push(InvalidValue::new("y").at("c"));
        errors.extend_within("d", nested);
        assert_eq!(errors.to_string(), "b: x; d.c: y");
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn no_field_errors_means_success() {
        assert_eq!(FieldErrors::new().into_result(), Ok(()));
    }
}
