//! The candidates service's bad requests: a push too large or for another school, profiles of
//! another school, malformed ids and page tokens, preferences out of bounds (counts, dates in
//! 1900), and each role's forbidden calls (contact data, consent, erasure).

use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::{
    ConfirmErasureRequest, GetErasureStatusRequest, GetProfileRequest, GiveConsentRequest,
    ListProfilesRequest, LookupContactRequest, MissionTypeWeight, Preferences, ProfileRow,
    PushProfilesBatchRequest, RequestErasureRequest, UpdatePreferencesRequest,
    WithdrawConsentRequest, get_profile_request,
};
use vte_proto::vte::common::v1::{Date, PageRequest, PlatformService};
use vte_service::auth::Caller;

use crate::bed::{Bed, SIREN, candidate, company, school};
use crate::case::{Case, DENIED, DENIED_OR_HIDDEN, INVALID, NOT_FOUND, case, raw_call};

fn by_id(candidate: CandidateId) -> GetProfileRequest {
    GetProfileRequest {
        key: Some(get_profile_request::Key::CandidateId(candidate.to_string())),
    }
}

/// A token a list of every profile of the caller's school gave out (bound to those filters).
fn whole_school_token() -> String {
    let request = ListProfilesRequest::default();
    let query = vte_candidates::mapping::request::profile_query(&request).unwrap();
    let filters = vte_candidates::mapping::request::profile_filters(&query);
    vte_wire::page::page_response_for(Some(&"ETU-2026-042".to_owned()), filters).next_page_token
}

/// Preferences a candidate may set, adjusted.
fn preferences(adjust: impl FnOnce(&mut Preferences)) -> UpdatePreferencesRequest {
    let mut preferences = Preferences {
        mobility_radius_km: 50,
        contract_kinds_sought: vec![3],
        available_from: Some(Date {
            year: 2027,
            month: 9,
            day: 1,
        }),
        ..Preferences::default()
    };
    adjust(&mut preferences);
    UpdatePreferencesRequest {
        candidate_id: String::new(),
        preferences: Some(preferences),
        expected_revision: 0,
    }
}

/// The cases; `student` belongs to `its_school`.
pub fn cases(bed: &Bed, its_school: SchoolId, student: CandidateId) -> Vec<Case> {
    let schools = bed.candidates(&school(its_school));
    let other_school = bed.candidates(&school(SchoolId::new()));
    let company = bed.candidates(&company(SIREN));
    let site = bed.candidates(&Caller::Site);
    let admin = bed.candidates(&Caller::Admin);
    let themself = bed.candidates(&candidate(student));
    let stranger = bed.candidates(&candidate(CandidateId::new()));
    let rows = |count: usize| PushProfilesBatchRequest {
        school_id: String::new(),
        rows: vec![ProfileRow::default(); count],
    };

    vec![
        case(
            "push: 1,001 rows in one batch",
            INVALID,
            call!(schools, push_profiles_batch, rows(1_001)),
        )
        .naming("rows"),
        case(
            "push: no rows",
            INVALID,
            call!(schools, push_profiles_batch, rows(0)),
        )
        .naming("rows"),
        case(
            "push: for another school",
            DENIED,
            call!(
                schools,
                push_profiles_batch,
                PushProfilesBatchRequest {
                    school_id: SchoolId::new().to_string(),
                    rows: vec![ProfileRow::default()],
                }
            ),
        ),
        case(
            "push: as a company",
            DENIED,
            call!(company, push_profiles_batch, rows(1)),
        ),
        case(
            "push: as a candidate",
            DENIED,
            call!(themself, push_profiles_batch, rows(1)),
        ),
        case(
            "push: an operator naming a malformed school",
            INVALID,
            call!(
                admin,
                push_profiles_batch,
                PushProfilesBatchRequest {
                    school_id: "école".to_owned(),
                    rows: vec![ProfileRow::default()],
                }
            ),
        )
        .naming("school_id"),
        case(
            "get profile: another school's student",
            DENIED_OR_HIDDEN,
            call!(other_school, get_profile, by_id(student)),
        ),
        case(
            "get profile: as a company",
            DENIED_OR_HIDDEN,
            call!(company, get_profile, by_id(student)),
        ),
        case(
            "get profile: a malformed candidate id",
            INVALID,
            call!(
                schools,
                get_profile,
                GetProfileRequest {
                    key: Some(get_profile_request::Key::CandidateId("x".repeat(100_000))),
                }
            ),
        )
        .naming("candidate_id"),
        case(
            "get profile: without a key",
            INVALID,
            call!(schools, get_profile, GetProfileRequest { key: None }),
        )
        .naming("key"),
        case(
            "list profiles: another school's",
            DENIED,
            call!(
                schools,
                list_profiles,
                ListProfilesRequest {
                    school_id: SchoolId::new().to_string(),
                    ..ListProfilesRequest::default()
                }
            ),
        ),
        case(
            "list profiles: pages of 101",
            INVALID,
            call!(
                schools,
                list_profiles,
                ListProfilesRequest {
                    page: Some(PageRequest {
                        page_size: 101,
                        page_token: String::new(),
                    }),
                    ..ListProfilesRequest::default()
                }
            ),
        )
        .naming("page.page_size"),
        case(
            "list profiles: a page token never given out",
            INVALID,
            call!(
                schools,
                list_profiles,
                ListProfilesRequest {
                    page: Some(PageRequest {
                        page_size: 10,
                        page_token: "!!".to_owned(),
                    }),
                    ..ListProfilesRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "list profiles: the whole school's page token for its matchable students",
            INVALID,
            call!(
                schools,
                list_profiles,
                ListProfilesRequest {
                    matchable_only: true,
                    page: Some(PageRequest {
                        page_size: 10,
                        page_token: whole_school_token(),
                    }),
                    ..ListProfilesRequest::default()
                }
            ),
        )
        .naming("page.page_token"),
        case(
            "list profiles: academic status number 99",
            INVALID,
            call!(
                schools,
                list_profiles,
                ListProfilesRequest {
                    status: 99,
                    ..ListProfilesRequest::default()
                }
            ),
        )
        .naming("status"),
        case(
            "preferences: 100,000 mission type weights",
            INVALID,
            call!(
                themself,
                update_preferences,
                preferences(|p| {
                    p.mission_type_weights = vec![MissionTypeWeight::default(); 100_000];
                })
            ),
        )
        .naming("preferences.mission_type_weights"),
        case(
            "preferences: 100,000 preferred régions",
            INVALID,
            call!(
                themself,
                update_preferences,
                preferences(|p| {
                    p.preferred_region_codes = vec!["76".to_owned(); 100_000];
                })
            ),
        )
        .naming("preferences.preferred_region_codes"),
        case(
            "preferences: available from 1900",
            INVALID,
            call!(
                themself,
                update_preferences,
                preferences(|p| {
                    p.available_from = Some(Date {
                        year: 1900,
                        month: 1,
                        day: 1,
                    });
                })
            ),
        )
        .naming("preferences.available_from"),
        case(
            "preferences: as the school",
            DENIED,
            call!(
                schools,
                update_preferences,
                UpdatePreferencesRequest {
                    candidate_id: student.to_string(),
                    ..preferences(|_| {})
                }
            ),
        ),
        case(
            "preferences: of another candidate",
            DENIED,
            call!(
                stranger,
                update_preferences,
                UpdatePreferencesRequest {
                    candidate_id: student.to_string(),
                    ..preferences(|_| {})
                }
            ),
        ),
        case(
            "consent: given by a company",
            DENIED,
            call!(
                company,
                give_consent,
                GiveConsentRequest {
                    candidate_id: student.to_string(),
                    terms_version: "2025-01".to_owned(),
                }
            ),
        ),
        case(
            "consent: a 100,000-character terms version",
            INVALID,
            call!(
                themself,
                give_consent,
                GiveConsentRequest {
                    candidate_id: String::new(),
                    terms_version: "v".repeat(100_000),
                }
            ),
        )
        .naming("terms_version"),
        case(
            "consent: withdrawn by the site",
            DENIED,
            call!(
                site,
                withdraw_consent,
                WithdrawConsentRequest {
                    candidate_id: student.to_string(),
                }
            ),
        ),
        case(
            "contact: looked up by a company",
            DENIED,
            call!(
                company,
                lookup_contact,
                LookupContactRequest {
                    candidate_id: student.to_string(),
                }
            ),
        ),
        case(
            "contact: looked up by the school",
            DENIED,
            call!(
                schools,
                lookup_contact,
                LookupContactRequest {
                    candidate_id: student.to_string(),
                }
            ),
        ),
        case(
            "erasure: asked by another candidate",
            DENIED,
            call!(
                stranger,
                request_erasure,
                RequestErasureRequest {
                    candidate_id: student.to_string(),
                }
            ),
        ),
        case(
            "erasure: asked by a company",
            DENIED,
            call!(
                company,
                request_erasure,
                RequestErasureRequest {
                    candidate_id: student.to_string(),
                }
            ),
        ),
        case(
            "erasure status: a malformed erasure id",
            INVALID,
            call!(
                admin,
                get_erasure_status,
                GetErasureStatusRequest {
                    candidate_id: String::new(),
                    erasure_id: "e".repeat(10_000),
                }
            ),
        )
        .naming("erasure_id"),
        case(
            "erasure status: none requested",
            NOT_FOUND,
            call!(
                admin,
                get_erasure_status,
                GetErasureStatusRequest {
                    candidate_id: student.to_string(),
                    erasure_id: String::new(),
                }
            ),
        ),
        case(
            "erasure: confirmed by a candidate",
            DENIED,
            call!(
                themself,
                confirm_erasure,
                ConfirmErasureRequest {
                    candidate_id: student.to_string(),
                    service: PlatformService::Offers as i32,
                }
            ),
        ),
        case(
            "get profile: a candidate id that is not UTF-8",
            INVALID,
            raw_call(
                bed.raw(&bed.candidates, &school(its_school)),
                "/vte.candidates.v1.CandidatesService/GetProfile",
                // Field 1 (key.candidate_id), length 2, bytes 0xff 0xfe.
                vec![0x0a, 0x02, 0xff, 0xfe],
            ),
        ),
    ]
}
