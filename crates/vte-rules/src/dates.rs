//! Reading dates and programmes from TOML: dates are TOML's own local dates (`2020-01-01`,
//! unquoted), programmes their years (`"2023-2027"`).

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, de::Error};
use vte_domain::Programme;

/// A TOML local date, refused with a time or an offset.
pub(crate) fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let value = toml::value::Datetime::deserialize(deserializer)?;
    match (value.date, value.time, value.offset) {
        (Some(day), None, None) => NaiveDate::from_ymd_opt(
            i32::from(day.year),
            u32::from(day.month),
            u32::from(day.day),
        )
        .ok_or_else(|| D::Error::custom("not a calendar date")),
        _ => Err(D::Error::custom(
            "expected a date such as 2020-01-01, without a time",
        )),
    }
}

/// An optional TOML local date.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    date(deserializer).map(Some)
}

/// A programme written as its years.
pub(crate) fn programme<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Programme, D::Error> {
    let raw = String::deserialize(deserializer)?;
    Programme::ALL
        .into_iter()
        .find(|programme| programme.as_str() == raw)
        .ok_or_else(|| D::Error::custom("must be \"2018-2022\" or \"2023-2027\""))
}
