//! A school's quota of new profiles. Each profile a push creates sends its student an email
//! asking for consent (the notifications service reads `CandidateProfileChanged` with
//! `created`), so counting creations per school and period bounds both the profiles a school
//! may create and the consent emails it may cause. Two periods are counted: the UTC hour
//! (a rate) and the UTC day (a quota). A message of rows that would go over either is refused
//! whole, and nothing of it is stored.

use std::fmt;

use chrono::{DateTime, Duration, DurationRound, Utc};

/// A period over which new profiles are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaPeriod {
    /// The UTC hour.
    Hour,
    /// The UTC day.
    Day,
}

impl QuotaPeriod {
    /// Both periods, shortest first.
    pub const ALL: [QuotaPeriod; 2] = [QuotaPeriod::Hour, QuotaPeriod::Day];

    /// The name stored in the counters' `period` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    fn length(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::Day => Duration::days(1),
        }
    }

    /// The start of the period `at` falls in.
    pub fn start(self, at: DateTime<Utc>) -> DateTime<Utc> {
        at.duration_trunc(self.length()).unwrap_or(at)
    }

    /// When the period `at` falls in ends and its count starts again from zero.
    pub fn resets_at(self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.start(at) + self.length()
    }
}

impl fmt::Display for QuotaPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many profiles one school may create per hour and per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewProfileQuota {
    /// New profiles (and so consent emails) per school per UTC hour.
    pub per_hour: u32,
    /// New profiles (and so consent emails) per school per UTC day.
    pub per_day: u32,
}

impl NewProfileQuota {
    /// The limit for `period`.
    pub fn limit(self, period: QuotaPeriod) -> u32 {
        match period {
            QuotaPeriod::Hour => self.per_hour,
            QuotaPeriod::Day => self.per_day,
        }
    }
}

/// A message of rows refused because its new profiles would exceed the school's quota.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QuotaExceeded {
    /// The period whose limit would be passed.
    pub period: QuotaPeriod,
    /// The limit of that period.
    pub limit: u32,
    /// Profiles the school created in the current period already.
    pub used: u32,
    /// Profiles the refused message would have created.
    pub requested: u32,
    /// When the period ends and the count starts again.
    pub resets_at: DateTime<Utc>,
}

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            period,
            limit,
            used,
            requested,
            resets_at,
        } = self;
        write!(
            f,
            "a school creates at most {limit} new profiles per {period} (each one sends a \
             consent email); {used} were created this {period} and these rows would create \
             {requested} more: nothing of them was stored; the quota resets at {}",
            resets_at.format("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_start_and_reset_on_the_utc_hour_and_day() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 6, 13, 42, 7)
            .single()
            .unwrap_or_default();
        let hour = Utc
            .with_ymd_and_hms(2026, 12, 6, 14, 0, 0)
            .single()
            .unwrap_or_default();
        let day = Utc
            .with_ymd_and_hms(2026, 12, 7, 0, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(QuotaPeriod::Hour.resets_at(at), hour);
        assert_eq!(QuotaPeriod::Day.resets_at(at), day);
        let refused = QuotaExceeded {
            period: QuotaPeriod::Day,
            limit: 5000,
            used: 4990,
            requested: 20,
            resets_at: day,
        };
        assert!(refused.to_string().starts_with(
            "a school creates at most 5000 new profiles per day (each one sends a consent email)"
        ));
        assert!(
            refused
                .to_string()
                .ends_with("resets at 2026-12-07T00:00:00Z")
        );
    }
}
