//! Rejections of input values: [`InvalidValue`] names the rule a value broke, [`FieldError`]
//! adds the path of the field it came from, and [`FieldErrors`] gathers every violation of a
//! request so a client can fix them all at once instead of one per round trip.
//!
//! Every rejection is bounded in size, whatever the input: a rule that quotes a value quotes it
//! through [`echo`] (at most [`MAX_ECHO_CHARS`] characters), any rule is cut to
//! [`MAX_RULE_BYTES`] and any field path to [`MAX_FIELD_BYTES`] when built, and [`FieldErrors`]
//! keeps the first [`MAX_FIELD_ERRORS`] rejections and only counts the others.

use std::borrow::Cow;
use std::fmt;

/// The most rejections a [`FieldErrors`] keeps; later ones are counted, not stored.
pub const MAX_FIELD_ERRORS: usize = 50;

/// The most characters of an input value a rule quotes (see [`echo`]).
pub const MAX_ECHO_CHARS: usize = 64;

/// The longest rule, in bytes; a longer one is cut (and ends with `…`) when built.
pub const MAX_RULE_BYTES: usize = 320;

/// The longest field path, in bytes; a longer one is cut (and ends with `…`) when built.
pub const MAX_FIELD_BYTES: usize = 160;

/// An input value as a rule may quote it: at most [`MAX_ECHO_CHARS`] characters, control and
/// bidirectional-override characters escaped; a longer value is cut and says how long it was.
///
/// ```
/// use vte_domain::echo;
///
/// assert_eq!(echo("FR-75"), "FR-75");
/// assert_eq!(echo("a\nb"), "a\\nb");
/// let long = "x".repeat(100_000);
/// assert_eq!(echo(&long), format!("{}… (100000 characters)", "x".repeat(64)));
/// ```
pub fn echo(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_ECHO_CHARS * 4) + 24);
    let mut chars = value.chars();
    for c in chars.by_ref().take(MAX_ECHO_CHARS) {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        let total = value.chars().count();
        out.push_str(&format!("… ({total} characters)"));
    }
    out
}

/// Invisible characters that reorder the text around them (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` cut to at most `max` bytes on a character boundary, ending with `…` when cut.
fn bounded(text: Cow<'static, str>, max: usize) -> Cow<'static, str> {
    if text.len() <= max {
        return text;
    }
    let ellipsis = '…'.len_utf8();
    let mut end = max.saturating_sub(ellipsis);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text {
        Cow::Borrowed(text) => Cow::Owned(format!("{}…", &text[..end])),
        Cow::Owned(mut text) => {
            text.truncate(end);
            text.push('…');
            Cow::Owned(text)
        }
    }
}

/// A field path cut to [`MAX_FIELD_BYTES`].
fn bounded_field(field: String) -> String {
    bounded(Cow::Owned(field), MAX_FIELD_BYTES).into_owned()
}

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
    /// A rule longer than [`MAX_RULE_BYTES`] is cut; quote values with [`echo`].
    pub fn new(rule: impl Into<Cow<'static, str>>) -> Self {
        Self {
            rule: bounded(rule.into(), MAX_RULE_BYTES),
        }
    }

    /// The rule the value broke.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Attaches the path of the field the value came from (e.g. `offer.location.insee`).
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError {
            field: bounded_field(field.into()),
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
            self.field = bounded_field(format!("{parent}.{}", self.field));
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

/// Every field rejected while validating one request, in the order they were found: the first
/// [`MAX_FIELD_ERRORS`] are kept, the others only counted ([`FieldErrors::omitted`]), so a
/// request with a million bad entries costs no more to answer than one with fifty.
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
    omitted: usize,
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
                if self.is_full() {
                    self.omitted += 1;
                } else {
                    self.errors.push(invalid.at(field));
                }
                None
            }
        }
    }

    /// Records a rejection already located in the request (counted only once
    /// [`MAX_FIELD_ERRORS`] are kept).
    pub fn push(&mut self, error: FieldError) {
        if self.is_full() {
            self.omitted += 1;
        } else {
            self.errors.push(error);
        }
    }

    /// Records the rejections of a nested part of the request under `parent`.
    pub fn extend_within(&mut self, parent: &str, nested: FieldErrors) {
        for error in nested.errors {
            self.push(error.within(parent));
        }
        self.omitted += nested.omitted;
    }

    /// Whether nothing was rejected.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.omitted == 0
    }

    /// How many fields were rejected, kept or only counted.
    pub fn len(&self) -> usize {
        self.errors.len() + self.omitted
    }

    /// How many rejections were counted but not kept, beyond the first [`MAX_FIELD_ERRORS`].
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// Whether [`MAX_FIELD_ERRORS`] rejections are kept already: a validator may stop looking
    /// at further entries (what it skips is then not counted).
    pub fn is_full(&self) -> bool {
        self.errors.len() >= MAX_FIELD_ERRORS
    }

    /// Counts `count` rejections without keeping them, e.g. entries a validator skipped
    /// after [`FieldErrors::is_full`].
    pub fn count_omitted(&mut self, count: usize) {
        self.omitted = self.omitted.saturating_add(count);
    }

    /// The kept rejections in the order they were recorded.
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
        if self.omitted > 0 {
            if !self.errors.is_empty() {
                f.write_str("; ")?;
            }
            f.write_str(&more_errors(self.omitted))?;
        }
        Ok(())
    }
}

/// The closing line of a list of rejections that kept only some: `... and 7 more errors`.
pub fn more_errors(omitted: usize) -> String {
    match omitted {
        1 => "... and 1 more error".to_owned(),
        n => format!("... and {n} more errors"),
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self {
            errors: vec![error],
            omitted: 0,
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

    #[test]
    fn field_errors_keep_fifty_and_count_the_rest() {
        let mut errors = FieldErrors::new();
        for i in 0..10_000 {
            errors.push(InvalidValue::new("must not be empty").at(format!("rows[{i}].ref")));
        }
        let mut nested = FieldErrors::new();
        for _ in 0..60 {
            nested.push(InvalidValue::new("x").at("y"));
        }
        errors.extend_within("more", nested);
        assert_eq!(errors.iter().count(), MAX_FIELD_ERRORS);
        assert_eq!(errors.len(), 10_060);
        assert_eq!(errors.omitted(), 10_010);
        assert!(errors.to_string().ends_with("; ... and 10010 more errors"));
        assert!(errors.clone().into_result().is_err());
    }

    #[test]
    fn only_counted_errors_are_still_errors() {
        let mut errors = FieldErrors::new();
        errors.count_omitted(3);
        assert!(!errors.is_empty());
        assert_eq!(errors.to_string(), "... and 3 more errors");
    }

    #[test]
    fn a_huge_rule_or_field_is_cut_when_built() {
        let error = InvalidValue::new(format!("got {}", "é".repeat(100_000)))
            .at("f".repeat(100_000))
            .within("parent");
        assert!(error.rule().len() <= MAX_RULE_BYTES);
        assert!(error.rule().ends_with('…'));
        assert!(error.field().len() <= MAX_FIELD_BYTES);
        assert!(error.field().starts_with("parent.fff"));
    }

    #[test]
    fn an_echoed_value_is_cut_escaped_and_says_how_long_it_was() {
        assert_eq!(echo(""), "");
        assert_eq!(echo(&"é".repeat(64)), "é".repeat(64));
        assert_eq!(
            echo(&"é".repeat(65)),
            format!("{}… (65 characters)", "é".repeat(64))
        );
        assert_eq!(echo("a\u{0}b\r"), "a\\u{0}b\\r");
        assert_eq!(echo("x\u{202e}y"), "x\\u{202e}y");
    }
}
