//! A calendar date as clients send it: three integers checked into a date of the calendar.

use chrono::NaiveDate;

use crate::InvalidValue;

/// A calendar date as the wire carries it (`vte.common.v1.Date`): three integers that may not
/// form a date at all. [`RawDate::parse`] checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RawDate {
    /// Year, 1900..=9999.
    pub year: i32,
    /// Month, 1..=12.
    pub month: i32,
    /// Day of the month, valid for the month and year.
    pub day: i32,
}

impl RawDate {
    /// The date's three parts.
    pub const fn new(year: i32, month: i32, day: i32) -> Self {
        Self { year, month, day }
    }

    /// A valid Gregorian date with a year from 1900 to 9999.
    pub fn parse(self) -> Result<NaiveDate, InvalidValue> {
        let Self { year, month, day } = self;
        if !(1900..=9999).contains(&year) {
            return Err(InvalidValue::new(format!(
                "the year must be 1900 to 9999, got {year}"
            )));
        }
        let date = u32::try_from(month)
            .ok()
            .zip(u32::try_from(day).ok())
            .and_then(|(month, day)| NaiveDate::from_ymd_opt(year, month, day));
        date.ok_or_else(|| {
            InvalidValue::new(format!(
                "{year:04}-{month:02}-{day:02} is not a date of the calendar"
            ))
        })
    }
}

impl From<NaiveDate> for RawDate {
    fn from(date: NaiveDate) -> Self {
        use chrono::Datelike;
        // Month and day are at most 31, so the conversions cannot fail.
        Self {
            year: date.year(),
            month: i32::try_from(date.month()).unwrap_or_default(),
            day: i32::try_from(date.day()).unwrap_or_default(),
        }
    }
}
