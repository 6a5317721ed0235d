//! The three requests decoded into the use cases' queries: every invalid field named with its
//! rule, all of them at once.

use vte_domain::{CandidateId, FieldErrors, InvalidValue, OfferId};
use vte_proto::vte::matching::v1 as wire;
use vte_reference::ReferenceData;
use vte_service::auth::Caller;

use super::models::{date, mission};
use crate::usecases::{CandidateQuery, OfferQuery};

/// RankCandidates' request.
pub fn candidate_query(
    request: wire::RankCandidatesRequest,
) -> Result<CandidateQuery, FieldErrors> {
    let mut errors = FieldErrors::new();
    let offer_id = id(&request.offer_id, "offer_id", OfferId::parse, &mut errors);
    let limit = limit(request.limit, &mut errors);
    let filters = request.filters.unwrap_or_default();
    if filters.levels.len() > 4 {
        errors.push(InvalidValue::new("at most 4 levels").at("filters.levels"));
    }
    let mut levels = Vec::new();
    for (i, level) in filters.levels.iter().enumerate() {
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
    let available_by = match &filters.available_by {
        None => None,
        Some(day) => {
            let day = date(Some(day));
            if day.is_none() {
                errors.push(
                    InvalidValue::new("must be a valid calendar date").at("filters.available_by"),
                );
            }
            day
        }
    };
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
    if filters.mission_types.len() > 8 {
        errors.push(InvalidValue::new("at most 8 mission types").at("filters.mission_types"));
    }
    let mut mission_types = Vec::new();
    for (i, number) in filters.mission_types.iter().enumerate() {
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
