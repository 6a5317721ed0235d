//! Requests of `vte.candidates.v1.CandidatesService` decoded into the use cases' input, and
//! their results encoded: ids, lookup keys, list queries and their page tokens, pushes'
//! summaries. A field that does not decode is named with its rule; the first one ends the
//! decoding, as it always did.

use std::str::FromStr;

use vte_domain::{CandidateId, FieldErrors, InvalidValue, Programme, SchoolId};
use vte_proto::vte::candidates::v1 as wire;
use vte_proto::vte::common::v1::PlatformService;
use vte_reference::ReferenceData;
use vte_wire::page::{Filters, PageRequest};

use super::row;
use crate::domain::push::{PushCounts, PushSummary};
use crate::store::ErasureKey;
use crate::usecases::profiles::{PreferencesUpdate, ProfileKey, ProfilePage, ProfileQuery};

fn invalid(field: &str, rule: &'static str) -> FieldErrors {
    InvalidValue::new(rule).at(field).into()
}

/// A required id.
pub fn required_id<T: FromStr<Err = InvalidValue>>(
    raw: &str,
    field: &str,
) -> Result<T, FieldErrors> {
    vte_wire::parse_id(field, raw)
}

/// An id that may be left empty.
pub fn optional_id<T: FromStr<Err = InvalidValue>>(
    raw: &str,
    field: &str,
) -> Result<Option<T>, FieldErrors> {
    vte_wire::parse_optional_id(field, raw)
}

fn optional_uuid(raw: &str, field: &str) -> Result<Option<uuid::Uuid>, FieldErrors> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    uuid::Uuid::try_parse(raw.trim())
        .map(Some)
        .map_err(|_| invalid(field, "must be a UUID"))
}

/// The profile a `GetProfile` names.
pub fn profile_key(request: wire::GetProfileRequest) -> Result<ProfileKey, FieldErrors> {
    use wire::get_profile_request::Key;
    match request.key {
        Some(Key::CandidateId(raw)) => Ok(ProfileKey::Id(required_id(&raw, "candidate_id")?)),
        Some(Key::SchoolRef(key)) => {
            let school = required_id::<SchoolId>(&key.school_id, "school_ref.school_id")?;
            let school_ref = key.school_student_ref.trim();
            if school_ref.is_empty() {
                return Err(invalid("school_ref.school_student_ref", "is required"));
            }
            Ok(ProfileKey::SchoolRef {
                school,
                school_ref: school_ref.to_owned(),
            })
        }
        None => Err(invalid(
            "key",
            "exactly one of candidate_id or school_ref is required",
        )),
    }
}

/// The profiles a `ListProfiles` asks for.
pub fn profile_query(request: &wire::ListProfilesRequest) -> Result<ProfileQuery, FieldErrors> {
    let school = optional_id::<SchoolId>(&request.school_id, "school_id")?;
    let status = row::status_filter(request.status)?;
    let mut query = ProfileQuery {
        school,
        status,
        matchable_only: request.matchable_only,
        page: PageRequest::default(),
    };
    let filters = profile_filters(&query);
    query.page = vte_wire::page::page_request_for("page", request.page.as_ref(), filters)?;
    Ok(query)
}

/// The filters a list of profiles' page tokens are bound to: a token given out for one school,
/// status or `matchable_only` is refused with another.
pub fn profile_filters(query: &ProfileQuery) -> Filters {
    Filters::NONE
        .with("school_id", query.school)
        .with("status", query.status)
        .with("matchable_only", query.matchable_only)
}

/// A page of profiles on the wire, its next token bound to the list's `filters`.
pub fn profile_page(
    page: &ProfilePage,
    filters: Filters,
    reference: &ReferenceData,
    programme: Programme,
) -> wire::ListProfilesResponse {
    wire::ListProfilesResponse {
        profiles: page
            .items
            .iter()
            .map(|profile| super::profile_to_proto(profile, reference, programme))
            .collect(),
        page: Some(vte_wire::page::page_response_for(
            page.next.as_ref(),
            filters,
        )),
    }
}

/// The preferences an `UpdatePreferences` sets.
pub fn preferences_update(
    request: &wire::UpdatePreferencesRequest,
    reference: &ReferenceData,
) -> Result<PreferencesUpdate, FieldErrors> {
    let candidate = optional_id(&request.candidate_id, "candidate_id")?;
    let preferences = row::decode_preferences(request.preferences.as_ref(), reference)?;
    Ok(PreferencesUpdate {
        candidate,
        expected_revision: request.expected_revision,
        preferences,
    })
}

/// The erasure a `GetErasureStatus` names: by candidate or by id, exactly one.
pub fn erasure_key(request: &wire::GetErasureStatusRequest) -> Result<ErasureKey, FieldErrors> {
    match (
        optional_id::<CandidateId>(&request.candidate_id, "candidate_id")?,
        optional_uuid(&request.erasure_id, "erasure_id")?,
    ) {
        (Some(candidate), None) => Ok(ErasureKey::Candidate(candidate)),
        (None, Some(id)) => Ok(ErasureKey::Id(id)),
        _ => Err(invalid(
            "candidate_id",
            "exactly one of candidate_id or erasure_id is required",
        )),
    }
}

/// The service a `ConfirmErasure` confirms for.
pub fn platform_service(raw: i32) -> Result<PlatformService, FieldErrors> {
    PlatformService::try_from(raw)
        .map_err(|_| invalid("service", "is not a value of vte.common.v1.PlatformService"))
}

/// A push's counts on the wire.
pub fn push_counts_to_proto(counts: PushCounts) -> wire::PushCounts {
    wire::PushCounts {
        received: counts.received,
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        rejected: counts.rejected,
    }
}

/// A push's summary on the wire. Rejections counted but not listed are told by one last
/// rejection at position 0 (no row has it) whose rule says how many there are.
pub fn push_summary_to_proto(summary: PushSummary) -> wire::PushSummary {
    let mut rejections: Vec<wire::RowRejection> = summary
        .rejections
        .into_iter()
        .map(|rejection| wire::RowRejection {
            position: rejection.position,
            school_student_ref: rejection.sent_ref,
            field: rejection.field,
            rule: rejection.rule,
        })
        .collect();
    if summary.unlisted > 0 {
        rejections.push(wire::RowRejection {
            position: 0,
            school_student_ref: String::new(),
            field: String::new(),
            rule: format!(
                "... and {} more rejections not listed (counts.rejected counts every rejected row)",
                summary.unlisted
            ),
        });
    }
    wire::PushSummary {
        counts: Some(push_counts_to_proto(summary.counts)),
        rejections,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use vte_proto::vte::common::v1::PageRequest as WirePage;

    use super::*;

    fn listing(page_size: u32, page_token: &str) -> wire::ListProfilesRequest {
        wire::ListProfilesRequest {
            page: Some(WirePage {
                page_size,
                page_token: page_token.to_owned(),
            }),
            ..wire::ListProfilesRequest::default()
        }
    }

    #[test]
    fn a_list_reads_back_the_token_it_gave_and_names_the_page_fields_it_refuses() {
        let filters = profile_filters(&profile_query(&listing(0, "")).unwrap());
        let next = vte_wire::page::page_response_for(Some(&"ETU-042".to_owned()), filters);
        let token = next.next_page_token;
        let query = profile_query(&listing(0, &token)).unwrap();
        assert_eq!(query.page.size, 20);
        assert_eq!(query.page.after.as_deref(), Some("ETU-042"));
        let errors = profile_query(&listing(101, "%%")).unwrap_err();
        let fields: Vec<_> = errors
            .iter()
            .map(|error| error.field().to_owned())
            .collect();
        assert_eq!(fields, ["page.page_size", "page.page_token"]);

        // The same token with other filters: refused, naming the token.
        let matchable = wire::ListProfilesRequest {
            matchable_only: true,
            ..listing(0, &token)
        };
        let errors = profile_query(&matchable).unwrap_err();
        assert_eq!(errors.iter().next().unwrap().field(), "page.page_token");
    }
}
