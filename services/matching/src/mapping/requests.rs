//! The three requests decoded into the use cases' queries: every invalid field named with its
//! rule, all of them at once. A repeated field longer than its limit is refused whole before
//! any entry is read, and a date must fall in [`DATE_YEARS`].

use chrono::{Datelike, NaiveDate};
use vte_domain::{CandidateId, FieldErrors, InvalidValue, OfferId};
use vte_proto::vte::matching::v1 as wire;
use vte_reference::ReferenceData;
use vte_service::auth::Caller;

use super::models::{date, mission};
use crate::usecases::{CandidateQuery, OfferQuery};

/// The most levels a RankCandidates filter names (bac+2 to bac+5).
pub const MAX_LEVELS: usize = 4;
/// The most mission types a RankOffers filter names (as many as there are).
pub const MAX_MISSION_TYPES: usize = 8;
/// The years a date in a request may fall in: a date in 1900 is a mistake or a probe.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// RankCandidates' request.
pub fn candidate_query(
    request: wire::RankCandidatesRequest,
) -> Result<CandidateQuery, FieldErrors> {
    let mut errors = FieldErrors::new();
    let offer_id = id(&request.offer_id, "offer_id", OfferId::parse, &mut errors);
    let limit = limit(request.limit, &mut errors);
    let filters = request.filters.unwrap_or_default();
    let mut levels = Vec::new();
    let levels_fit = count_fits(
        &mut errors,
        "filters.levels",
        filters.levels.len(),
        MAX_LEVELS,
    );
    for (i, level) in filters.levels.iter().enumerate().take_while(|_| levels_fit) {
        match u8::try_from(*level).ok().filter(|l| (2..=5).contains(l)) {
            Some(level) => levels.push(level),
            None => errors.push(
                InvalidValue::new("must be an education level, bac+2..=bac+5")
                    .at(format!("filters.levels[{i}]")),
            ),
        }
    }
    let max_distance_km = km_bound(
        filters.max_distance_km,
        "filters.max_distance_km",
        &mut errors,
    );
    let available_by = filters.available_by.as_ref().and_then(|day| {
        let checked = recent_date(date(Some(day)));
        if let Err(rule) = &checked {
            errors.push(rule.clone().at("filters.available_by"));
        }
        checked.ok()
    });
    let (Some(offer_id), true) = (offer_id, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(CandidateQuery {
        offer_id,
        levels: (!levels.is_empty()).then_some(levels),
        max_distance_km,
        available_by,
        exclude_applicants: filters.exclude_applicants,
        limit,
    })
}

/// RankOffers' request; without a candidate id, the caller's own when a candidate calls.
pub fn offer_query(
    request: wire::RankOffersRequest,
    caller: &Caller,
    reference: &ReferenceData,
) -> Result<OfferQuery, FieldErrors> {
    let mut errors = FieldErrors::new();
    let candidate_id = if request.candidate_id.trim().is_empty() {
        match caller {
            Caller::Candidate { candidate_id } => Some(*candidate_id),
            _ => {
                errors.push(
                    InvalidValue::new("is required unless the caller is the candidate")
                        .at("candidate_id"),
                );
                None
            }
        }
    } else {
        id(
            &request.candidate_id,
            "candidate_id",
            CandidateId::parse,
            &mut errors,
        )
    };
    let limit = limit(request.limit, &mut errors);
    let filters = request.filters.unwrap_or_default();
    let radius_km = km_bound(filters.radius_km, "filters.radius_km", &mut errors);
    let region_code = if filters.region_code.trim().is_empty() {
        None
    } else if reference.region(filters.region_code.trim()).is_some() {
        Some(filters.region_code.trim().to_owned())
    } else {
        errors.push(
            InvalidValue::new("must be an INSEE région code, 2 digits (e.g. 76)")
                .at("filters.region_code"),
        );
        None
    };
    let mut mission_types = Vec::new();
    let count = filters.mission_types.len();
    let fit = count_fits(
        &mut errors,
        "filters.mission_types",
        count,
        MAX_MISSION_TYPES,
    );
    for (i, number) in filters.mission_types.iter().enumerate().take_while(|_| fit) {
        match mission(*number) {
            Some(mission) => mission_types.push(mission),
            None => errors.push(
                InvalidValue::new("must be a mission type")
                    .at(format!("filters.mission_types[{i}]")),
            ),
        }
    }
    let (Some(candidate_id), true) = (candidate_id, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(OfferQuery {
        candidate_id,
        radius_km,
        region_code,
        only_in_territory: filters.only_in_territory,
        mission_types,
        limit,
    })
}

/// ExplainMatch's request: the pair.
pub fn pair(request: &wire::ExplainMatchRequest) -> Result<(OfferId, CandidateId), FieldErrors> {
    let mut errors = FieldErrors::new();
    let offer_id = id(&request.offer_id, "offer_id", OfferId::parse, &mut errors);
    let candidate_id = id(
        &request.candidate_id,
        "candidate_id",
        CandidateId::parse,
        &mut errors,
    );
    match (offer_id, candidate_id) {
        (Some(offer_id), Some(candidate_id)) => Ok((offer_id, candidate_id)),
        _ => Err(errors),
    }
}

/// The number of results wanted: 0 means 20, at most 100.
pub fn limit(raw: u32, errors: &mut FieldErrors) -> usize {
    match raw {
        0 => 20,
        1..=100 => raw as usize,
        _ => {
            errors.push(
                InvalidValue::new(format!("must be 1..=100 (0 means 20), got {raw}")).at("limit"),
            );
            20
        }
    }
}

/// A UUID field.
pub fn id<T>(
    raw: &str,
    field: &str,
    parse: fn(&str) -> Result<T, InvalidValue>,
    errors: &mut FieldErrors,
) -> Option<T> {
    if raw.trim().is_empty() {
        errors.push(InvalidValue::new("is required").at(field));
        return None;
    }
    match parse(raw) {
        Ok(value) => Some(value),
        Err(rule) => {
            errors.push(rule.at(field));
            None
        }
    }
}

/// Whether a repeated field of `count` entries holds at most `max`; otherwise one error under
/// `field`, and the caller leaves the entries unread.
fn count_fits(errors: &mut FieldErrors, field: &str, count: usize, max: usize) -> bool {
    if count > max {
        let rule = format!("must have at most {max} entries, got {count}");
        errors.push(InvalidValue::new(rule).at(field));
    }
    count <= max
}

/// A date of the calendar (`None` when it is not one) in [`DATE_YEARS`].
fn recent_date(day: Option<NaiveDate>) -> Result<NaiveDate, InvalidValue> {
    let day = day.ok_or_else(|| InvalidValue::new("must be a valid calendar date"))?;
    if DATE_YEARS.contains(&day.year()) {
        Ok(day)
    } else {
        let (first, last) = (DATE_YEARS.start(), DATE_YEARS.end());
        Err(InvalidValue::new(format!(
            "must fall in the years {first} to {last}, got {day}"
        )))
    }
}

/// A distance in km, 1..=1,000.
pub fn km_bound(raw: Option<u32>, field: &str, errors: &mut FieldErrors) -> Option<f32> {
    let raw = raw?;
    if (1..=1_000).contains(&raw) {
        Some(raw as f32)
    } else {
        errors.push(InvalidValue::new(format!("must be 1..=1,000 km, got {raw}")).at(field));
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use vte_proto::vte::common::v1::Date;

    fn ranking(filters: wire::CandidateFilters) -> wire::RankCandidatesRequest {
        wire::RankCandidatesRequest {
            offer_id: OfferId::new().to_string(),
            limit: 0,
            filters: Some(filters),
        }
    }

    #[test]
    fn a_filter_of_100000_levels_costs_one_error_and_its_entries_are_not_read() {
        let request = ranking(wire::CandidateFilters {
            levels: vec![42; 100_000],
            ..Default::default()
        });
        let errors = candidate_query(request).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(fields, ["filters.levels"]);
        assert_eq!(
            errors.iter().next().unwrap().rule(),
            "must have at most 4 entries, got 100000"
        );
    }

    #[test]
    fn an_availability_in_1900_is_refused_and_this_century_is_not() {
        let by = |year| {
            ranking(wire::CandidateFilters {
                available_by: Some(Date {
                    year,
                    month: 9,
                    day: 1,
                }),
                ..Default::default()
            })
        };
        let errors = candidate_query(by(1900)).unwrap_err();
        let error = errors.iter().next().unwrap();
        assert_eq!(error.field(), "filters.available_by");
        assert_eq!(
            error.rule(),
            "must fall in the years 2000 to 2099, got 1900-09-01"
        );
        let day = candidate_query(by(2027)).unwrap().available_by.unwrap();
        assert_eq!(day.year(), 2027);
    }
}
