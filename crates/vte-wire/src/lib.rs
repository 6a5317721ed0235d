//! The conversions every service shares between the wire contract (`vte.common.v1`) and the
//! values of `vte-domain`: the contract's enumerations ([`WireEnum`]), ids, calendar dates,
//! timestamps, amounts and page requests. Decoders never panic: a malformed value becomes an
//! [`InvalidValue`] or a field error named by its proto path. Decoders come in two forms: a
//! public one returning its own errors, and a `check_*` one recording them in the
//! [`FieldErrors`] of a whole request so that every violation is reported at once.

pub mod eligibility;
pub mod page;
pub mod status;

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use prost_types::Timestamp;
use vte_domain::{
    CefrLevel, CompanySize, ContractKind, EducationLevel, EuroCents, FieldErrors, InvalidValue,
    MissionType, Programme, RawDate, Role,
};
use vte_proto::vte::common::v1 as common;

/// A domain enumeration and its counterpart in the contract, whose zero (`*_UNSPECIFIED`) means
/// "not given" and has no domain value.
pub trait WireEnum: Copy + Sized {
    /// The generated enum.
    type Proto: Copy + Into<i32> + TryFrom<i32>;
    /// The enum's full protobuf name, used in error messages.
    const PROTO_NAME: &'static str;

    /// The generated value for this domain value.
    fn to_proto(self) -> Self::Proto;

    /// The domain value of a generated one; `None` for UNSPECIFIED.
    fn from_proto(proto: Self::Proto) -> Option<Self>;

    /// The number carried in a message field.
    fn to_wire(self) -> i32 {
        self.to_proto().into()
    }

    /// Reads a message field: `None` for 0 (UNSPECIFIED), an error for a number this build
    /// does not know (a newer client, or a broken one).
    fn from_wire(raw: i32) -> Result<Option<Self>, InvalidValue> {
        let proto = Self::Proto::try_from(raw).map_err(|_| {
            InvalidValue::new(format!("{raw} is not a value of {}", Self::PROTO_NAME))
        })?;
        Ok(Self::from_proto(proto))
    }
}

/// The number of an optional value: its enum number, or 0 (UNSPECIFIED) for `None`.
pub fn optional_to_wire<E: WireEnum>(value: Option<E>) -> i32 {
    value.map_or(0, WireEnum::to_wire)
}

/// Implements [`WireEnum`] by pairing variants; both matches are exhaustive, so a variant added
/// on either side without its pair does not compile.
#[macro_export]
macro_rules! wire_enum {
    ($domain:ident => $module:ident::$proto:ident, $name:literal, { $($d:ident = $p:ident),+ $(,)? }) => {
        impl $crate::WireEnum for $domain {
            type Proto = $module::$proto;
            const PROTO_NAME: &'static str = $name;

            fn to_proto(self) -> $module::$proto {
                match self {
                    $($domain::$d => $module::$proto::$p,)+
                }
            }

            fn from_proto(proto: $module::$proto) -> Option<Self> {
                match proto {
                    $module::$proto::Unspecified => None,
                    $($module::$proto::$p => Some($domain::$d),)+
                }
            }
        }
    };
}

wire_enum!(MissionType => common::MissionType, "vte.common.v1.MissionType", {
    BrasDroit = BrasDroit,
    Transformation = Transformation,
    Technologie = Technologie,
    Finance = Finance,
    International = International,
    Marketing = Marketing,
    RhRse = RhRse,
    Autre = Autre,
});
wire_enum!(ContractKind => common::ContractKind, "vte.common.v1.ContractKind", {
    WorkStudy = WorkStudy,
    Cdd = Cdd,
    Cdi = Cdi,
});
wire_enum!(EducationLevel => common::EducationLevel, "vte.common.v1.EducationLevel", {
    Bac2 = Bac2,
    Bac3 = Bac3,
    Bac4 = Bac4,
    Bac5 = Bac5,
});
wire_enum!(CompanySize => common::CompanySize, "vte.common.v1.CompanySize", {
    Tpe = Tpe,
    Pme = Pme,
    Eti = Eti,
});
wire_enum!(CefrLevel => common::CefrLevel, "vte.common.v1.CefrLevel", {
    A1 = A1,
    A2 = A2,
    B1 = B1,
    B2 = B2,
    C1 = C1,
    C2 = C2,
});
wire_enum!(Role => common::Role, "vte.common.v1.Role", {
    Site = Site,
    School = School,
    Company = Company,
    Candidate = Candidate,
    Bpifrance = Bpifrance,
    Admin = Admin,
    Service = Service,
});
wire_enum!(Programme => common::Programme, "vte.common.v1.Programme", {
    Ti2023_2027 = Ti20232027,
    Ti2018_2022 = Ti20182022,
});
/// Records a bad enum number under `field`; `None` for UNSPECIFIED or a bad number.
pub fn check_enum<E: WireEnum>(errors: &mut FieldErrors, field: &str, raw: i32) -> Option<E> {
    errors.check(field, E::from_wire(raw)).flatten()
}

/// The values of a repeated enum filter, without repeats; each entry must name a value
/// (`field[i]` otherwise).
pub fn check_enums<E: WireEnum + PartialEq>(
    errors: &mut FieldErrors,
    field: &str,
    raws: &[i32],
) -> Vec<E> {
    let mut values = Vec::with_capacity(raws.len());
    for (i, &raw) in raws.iter().enumerate() {
        let entry = format!("{field}[{i}]");
        match E::from_wire(raw) {
            Ok(Some(value)) if !values.contains(&value) => values.push(value),
            Ok(Some(_)) => {}
            Ok(None) => errors.push(
                InvalidValue::new(format!("must name a value of {}, not 0", E::PROTO_NAME))
                    .at(entry),
            ),
            Err(invalid) => errors.push(invalid.at(entry)),
        }
    }
    values
}

/// Whether a repeated field of `count` entries is within `max`; otherwise records one error
/// under `field` (`at most 8 mission types, got 100000`) so the caller skips its entries
/// instead of judging each: check a count before looking at any entry.
pub fn check_count(
    errors: &mut FieldErrors,
    field: &str,
    count: usize,
    max: usize,
    unit: &str,
) -> bool {
    if count <= max {
        return true;
    }
    errors.push(InvalidValue::new(format!("at most {max} {unit}, got {count}")).at(field));
    false
}

/// [`check_enums`] for a field of at most `max` entries: more is one error and no entry is
/// looked at.
pub fn check_enums_at_most<E: WireEnum + PartialEq>(
    errors: &mut FieldErrors,
    field: &str,
    raws: &[i32],
    max: usize,
) -> Vec<E> {
    if check_count(errors, field, raws.len(), max, "values") {
        check_enums(errors, field, raws)
    } else {
        Vec::new()
    }
}

/// Parses an id (`OfferId`, `CandidateId`...) or a SIREN sent in `field`; empty is an error.
pub fn parse_id<T: FromStr<Err = InvalidValue>>(field: &str, raw: &str) -> Result<T, FieldErrors> {
    T::from_str(raw).map_err(|invalid| invalid.at(field).into())
}

/// Like [`parse_id`], but an empty (or blank) field means "not given" and is `None`.
pub fn parse_optional_id<T: FromStr<Err = InvalidValue>>(
    field: &str,
    raw: &str,
) -> Result<Option<T>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let id = check_optional_id(&mut errors, field, raw);
    errors.into_result().map(|()| id)
}

/// [`parse_optional_id`], recording the error.
pub fn check_optional_id<T: FromStr<Err = InvalidValue>>(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
) -> Option<T> {
    if raw.trim().is_empty() {
        None
    } else {
        errors.check(field, T::from_str(raw))
    }
}

/// Joins two decoded parts of a request, keeping the errors of both, so that a request with a
/// bad id and a bad date hears of the two at once.
pub fn both<A, B>(
    a: Result<A, FieldErrors>,
    b: Result<B, FieldErrors>,
) -> Result<(A, B), FieldErrors> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut errors), Err(more)) => {
            errors.extend_within("", more);
            Err(errors)
        }
        (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => Err(errors),
    }
}

/// A calendar date on the wire, unchecked, as domain input types take it.
pub fn raw_date(date: &common::Date) -> RawDate {
    RawDate::new(date.year, date.month, date.day)
}

/// An optional date of a request: absent stays `None` (the domain knows whether it is
/// required); a date the calendar lacks is recorded under `field`.
pub fn check_date(
    errors: &mut FieldErrors,
    field: &str,
    date: Option<&common::Date>,
) -> Option<RawDate> {
    let date = date?;
    errors
        .check(field, date_from_proto(date))
        .map(RawDate::from)
}

/// A wire date that must be a date of the calendar, years 1900 to 9999.
pub fn date_from_proto(date: &common::Date) -> Result<NaiveDate, InvalidValue> {
    RawDate::new(date.year, date.month, date.day).parse()
}

/// A calendar date on the wire.
pub fn date_to_proto(date: NaiveDate) -> common::Date {
    let RawDate { year, month, day } = RawDate::from(date);
    common::Date { year, month, day }
}

/// An instant on the wire.
pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        // chrono counts a leap second as nanos above 999,999,999; protobuf has no such instant.
        nanos: i32::try_from(at.timestamp_subsec_nanos().min(999_999_999)).unwrap_or_default(),
    }
}

/// An instant sent by a client, which must be a valid protobuf timestamp within chrono's range.
pub fn timestamp_from_proto(at: &Timestamp) -> Result<DateTime<Utc>, InvalidValue> {
    let nanos = u32::try_from(at.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000)
        .ok_or_else(|| {
            InvalidValue::new(format!("nanos must be 0 to 999999999, got {}", at.nanos))
        })?;
    DateTime::from_timestamp(at.seconds, nanos).ok_or_else(|| {
        InvalidValue::new(format!(
            "{} seconds from the epoch is out of range",
            at.seconds
        ))
    })
}

/// An optional instant on the wire.
pub fn optional_timestamp(at: Option<DateTime<Utc>>) -> Option<Timestamp> {
    at.map(timestamp)
}

/// An amount in euros on the wire (`currency` is always `EUR`).
pub fn money(amount: EuroCents) -> common::Money {
    common::Money {
        amount_cents: amount.cents(),
        currency: "EUR".to_owned(),
    }
}

/// A page request, checked: `size` 1..=100 (0 on the wire means the default, 20) and the
/// cursor of a previous page, if any (opaque here; the store reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageInput {
    /// Number of items wanted.
    pub size: u32,
    /// The previous page's `next_page_token`; `None` for the first page.
    pub token: Option<String>,
}

impl PageInput {
    /// The size of a page when the request names none.
    pub const DEFAULT_SIZE: u32 = 20;
    /// The largest page.
    pub const MAX_SIZE: u32 = 100;
}

impl Default for PageInput {
    fn default() -> Self {
        Self {
            size: Self::DEFAULT_SIZE,
            token: None,
        }
    }
}

/// Reads a `vte.common.v1.PageRequest` sent in `page` (absent means the first default page).
pub fn page_input(page: Option<&common::PageRequest>) -> Result<PageInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let page = check_page(&mut errors, "page", page);
    errors.into_result().map(|()| page)
}

/// [`page_input`], recording the error under `field.page_size`.
pub fn check_page(
    errors: &mut FieldErrors,
    field: &str,
    page: Option<&common::PageRequest>,
) -> PageInput {
    let Some(page) = page else {
        return PageInput::default();
    };
    let size = match page.page_size {
        0 => PageInput::DEFAULT_SIZE,
        size if size <= PageInput::MAX_SIZE => size,
        size => {
            errors.push(
                InvalidValue::new(format!(
                    "must be 1 to {} (0 means {}), got {size}",
                    PageInput::MAX_SIZE,
                    PageInput::DEFAULT_SIZE
                ))
                .at(format!("{field}.page_size")),
            );
            PageInput::DEFAULT_SIZE
        }
    };
    let token = page.page_token.trim();
    PageInput {
        size,
        token: (!token.is_empty()).then(|| token.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use vte_domain::OfferId;

    #[test]
    fn every_domain_value_survives_the_wire_and_zero_means_not_given() {
        for mission in MissionType::ALL {
            assert_eq!(MissionType::from_wire(mission.to_wire()), Ok(Some(mission)));
        }
        assert_eq!(ContractKind::from_wire(0), Ok(None));
    }

    #[test]
    fn education_levels_keep_the_n_of_bac_plus_n_as_their_number() {
        assert_eq!(EducationLevel::Bac3.to_wire(), 3);
        assert_eq!(EducationLevel::from_wire(5), Ok(Some(EducationLevel::Bac5)));
        assert_eq!(
            EducationLevel::from_wire(1).unwrap_err().rule(),
            "1 is not a value of vte.common.v1.EducationLevel"
        );
    }

    #[test]
    fn a_repeated_filter_drops_repeats_and_names_each_bad_entry() {
        let mut errors = FieldErrors::new();
        let kinds: Vec<ContractKind> = check_enums(&mut errors, "contract_kinds", &[3, 3, 0, 9]);
        assert_eq!(kinds, vec![ContractKind::Cdi]);
        let fields: Vec<_> = errors.iter().map(|e| e.field().to_owned()).collect();
        assert_eq!(fields, ["contract_kinds[2]", "contract_kinds[3]"]);
    }

    #[test]
    fn an_oversized_repeated_field_is_one_error_and_its_entries_are_not_judged() {
        let mut errors = FieldErrors::new();
        let raws = vec![0; 100_000];
        let kinds: Vec<ContractKind> = check_enums_at_most(&mut errors, "kinds", &raws, 3);
        assert!(kinds.is_empty());
        assert_eq!(errors.to_string(), "kinds: at most 3 values, got 100000");
        let kinds: Vec<ContractKind> = check_enums_at_most(&mut errors, "k", &[1, 2], 3);
        assert_eq!(kinds, [ContractKind::WorkStudy, ContractKind::Cdd]);
        assert!(check_count(&mut errors, "skills", 30, 30, "skills"));
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn an_id_is_required_unless_optional_and_is_named_by_its_field() {
        let errors = parse_id::<OfferId>("offer_id", "").unwrap_err();
        assert_eq!(errors.to_string(), "offer_id: must not be empty");
        assert_eq!(parse_optional_id::<OfferId>("offer_id", " "), Ok(None));
        let id = OfferId::new();
        assert_eq!(parse_id("offer_id", &id.to_string()), Ok(id));
    }

    #[test]
    fn a_date_the_calendar_lacks_is_rejected_and_absence_is_left_to_the_domain() {
        let mut errors = FieldErrors::new();
        let bad = common::Date {
            year: 2027,
            month: 2,
            day: 30,
        };
        assert_eq!(check_date(&mut errors, "ended_on", Some(&bad)), None);
        assert_eq!(check_date(&mut errors, "completed_on", None), None);
        assert_eq!(
            errors.to_string(),
            "ended_on: 2027-02-30 is not a date of the calendar"
        );
        let day = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        assert_eq!(date_from_proto(&date_to_proto(day)), Ok(day));
    }

    #[test]
    fn a_timestamp_survives_the_wire_and_a_malformed_one_is_rejected() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert_eq!(timestamp_from_proto(&timestamp(at)), Ok(at));
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert_eq!(
            timestamp_from_proto(&bad).unwrap_err().rule(),
            "nanos must be 0 to 999999999, got -1"
        );
    }

    #[test]
    fn a_page_defaults_to_twenty_and_refuses_more_than_a_hundred() {
        assert_eq!(page_input(None), Ok(PageInput::default()));
        let page = common::PageRequest {
            page_size: 0,
            page_token: "abc".to_owned(),
        };
        assert_eq!(
            page_input(Some(&page)).unwrap(),
            PageInput {
                size: 20,
                token: Some("abc".to_owned())
            }
        );
        let too_big = common::PageRequest {
            page_size: 101,
            page_token: String::new(),
        };
        assert_eq!(
            page_input(Some(&too_big)).unwrap_err().to_string(),
            "page.page_size: must be 1 to 100 (0 means 20), got 101"
        );
    }
}
