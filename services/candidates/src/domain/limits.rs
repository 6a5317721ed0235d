//! How much a school or a candidate may send, and how much of a rejection goes back. Every
//! repeated field has a maximum count, checked before any of its entries is looked at, so the
//! work and the reply of a request grow with what the contract allows, not with what was sent;
//! every date has a sane range; a push's rejections stop being listed (and are only counted)
//! past a bound.

use chrono::{Months, NaiveDate};
use vte_domain::{InvalidValue, MissionType};

/// Rows in one message of a streamed push.
pub const MAX_ROWS_PER_MESSAGE: usize = 500;
/// Rows in one batch call.
pub const MAX_ROWS_PER_BATCH: usize = 1_000;
/// Rows in one stream.
pub const MAX_ROWS_PER_STREAM: u32 = 200_000;

/// Characters of a `school_student_ref`.
pub const MAX_REF_CHARS: usize = 64;
/// Characters of a field of study.
pub const MAX_FIELD_OF_STUDY_CHARS: usize = 80;
/// Characters of a diploma's name.
pub const MAX_DIPLOMA_CHARS: usize = 200;
/// Skills of a row.
pub const MAX_SKILLS: usize = 30;
/// Characters of one skill.
pub const MAX_SKILL_CHARS: usize = 60;
/// Languages of a row.
pub const MAX_LANGUAGES: usize = 10;
/// The widest mobility radius, in km.
pub const MAX_RADIUS_KM: u32 = 1000;
/// Preferred régions (France has 18).
pub const MAX_REGIONS: usize = 18;
/// Mission type weights: one per mission type at most.
pub const MAX_MISSION_WEIGHTS: usize = MissionType::ALL.len();
/// Contract kinds sought: WORK_STUDY, CDD and CDI at most once each.
pub const MAX_CONTRACT_KINDS: usize = 3;
/// Characters of a first or last name.
pub const MAX_NAME_CHARS: usize = 100;
/// Entries of any repeated field of a row on the wire: up to it, a row over its field's own
/// maximum (above) is rejected alone; past it, the request is refused before it is decoded
/// (see `mapping::frames`).
pub const MAX_WIRE_ENTRIES: usize = 100;

/// Rejections listed for one row; a row breaking more rules gets one more line counting them.
pub const MAX_REJECTIONS_PER_ROW: usize = 10;
/// Rejections listed for a whole push (all messages of a stream); the others are counted.
pub const MAX_REJECTIONS_PER_PUSH: usize = 1_000;
/// Bytes of text (references, fields, rules) the listed rejections of a push may carry.
pub const MAX_REJECTION_BYTES: usize = 256 * 1024;

/// The earliest graduation or availability date a profile may carry.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1950, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// How far ahead a graduation date may be (a student in their first year of a long course).
pub const MAX_GRADUATION_YEARS_AHEAD: u32 = 10;
/// How far ahead an availability date may be.
pub const MAX_AVAILABILITY_YEARS_AHEAD: u32 = 5;

/// A graduation or availability date between [`EARLIEST_DATE`] and `years_ahead` years after
/// `today`.
pub fn check_date_range(
    date: NaiveDate,
    today: NaiveDate,
    years_ahead: u32,
) -> Result<NaiveDate, InvalidValue> {
    let latest = today
        .checked_add_months(Months::new(years_ahead * 12))
        .unwrap_or(NaiveDate::MAX);
    if date < EARLIEST_DATE || date > latest {
        return Err(InvalidValue::new(format!(
            "must be from {EARLIEST_DATE} to {latest} ({years_ahead} years from today), got {date}"
        )));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn a_date_from_1900_or_from_far_ahead_is_refused() {
        let today = day(2026, 12, 6);
        assert_eq!(
            check_date_range(day(1950, 1, 1), today, 10),
            Ok(day(1950, 1, 1))
        );
        assert_eq!(
            check_date_range(day(2036, 12, 6), today, 10),
            Ok(day(2036, 12, 6))
        );
        assert_eq!(
            check_date_range(day(1900, 6, 30), today, 10)
                .unwrap_err()
                .rule(),
            "must be from 1950-01-01 to 2036-12-06 (10 years from today), got 1900-06-30"
        );
        assert!(check_date_range(day(2031, 12, 7), today, 5).is_err());
    }
}
