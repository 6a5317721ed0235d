//! The candidates service through its gRPC API, on a real PostgreSQL and an embedded Kafka
//! broker: pushes (idempotent, row by row, streamed), validation, tenancy, consent, contact
//! data that never reaches an event, erasure and labels.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Client, PATIENCE, contact, date, graduate, preferences};
use tonic::Code;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidate_event::Event;
use vte_proto::vte::candidates::v1::{
    ConfirmErasureRequest, ErasureStatus, GetErasureStatusRequest, GetProfileRequest,
    GiveConsentRequest, ListProfilesRequest, LookupContactRequest, ProfileRow,
    PushProfilesBatchRequest, PushProfilesRequest, RequestErasureRequest, SchoolStudentRef,
    UpdatePreferencesRequest, WithdrawConsentRequest, get_profile_request, push_profiles_response,
};
use vte_proto::vte::common::v1::{CefrLevel, ContractKind, LanguageSkill, PlatformService};
use vte_proto::vte::placements::v1::{
    LabelDecision, LabelGranted, LabelOutcome, Placement, PlacementEvent, placement_event,
};
use vte_testbed::eventually;

fn by_id(id: CandidateId) -> GetProfileRequest {
    GetProfileRequest {
        key: Some(get_profile_request::Key::CandidateId(id.to_string())),
    }
}

fn code<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn pushing_the_same_file_twice_creates_nothing_new_and_publishes_nothing_more() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let rows: Vec<ProfileRow> = (0..20).map(|i| graduate(&format!("E{i:03}"))).collect();
    let mut events = api.events();

    let first = api.push(school, rows.clone()).await;
    let counts = first.counts.unwrap();
    assert_eq!(
        (counts.received, counts.created, counts.rejected),
        (20, 20, 0)
    );
    let published = events.new_events().await;
    assert_eq!(published.len(), 20);
    assert!(published.iter().all(|p| matches!(
        &p.event.event,
        Some(Event::ProfileChanged(changed)) if changed.created && !changed.matchable
    )));

    let again = api.push(school, rows.clone()).await.counts.unwrap();
    assert_eq!(
        (
            again.received,
            again.created,
            again.updated,
            again.unchanged
        ),
        (20, 0, 0, 20)
    );
    assert!(events.new_events().await.is_empty(), "no second event");

    // One student moved: one update, one event, the revision moves on.
    let mut moved = rows.clone();
    moved[3].home_insee_code = "46102".to_owned();
    let moved_rows = moved.clone();
    let third = api.push(school, moved).await.counts.unwrap();
    assert_eq!((third.updated, third.unchanged), (1, 19));
    let published = events.new_events().await;
    assert_eq!(published.len(), 1);
    let Some(Event::ProfileChanged(changed)) = &published[0].event.event else {
        panic!("not a profile change");
    };
    let profile = changed.profile.as_ref().unwrap();
    assert_eq!(profile.revision, 2);
    assert_eq!(profile.home.as_ref().unwrap().commune_name, "Figeac");

    // A new phone number is an update of the contact data only: no event.
    let mut new_phone = moved_rows;
    new_phone[5].contact.as_mut().unwrap().phone = "+33699999999".to_owned();
    let fourth = api
        .push(school, new_phone[..10].to_vec())
        .await
        .counts
        .unwrap();
    assert_eq!((fourth.updated, fourth.unchanged), (1, 9));
    assert!(events.new_events().await.is_empty());
}

#[tokio::test]
async fn in_a_thousand_rows_the_one_bad_row_is_reported_and_the_others_land() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let mut rows: Vec<ProfileRow> = (0..1000).map(|i| graduate(&format!("S{i:04}"))).collect();
    rows[636].home_insee_code = "99999".to_owned();
    let summary = api.push(school, rows).await;
    let counts = summary.counts.unwrap();
    assert_eq!(
        (counts.received, counts.created, counts.rejected),
        (1000, 999, 1)
    );
    assert_eq!(summary.rejections.len(), 1);
    let rejection = &summary.rejections[0];
    assert_eq!(rejection.position, 637, "1-based row number");
    assert_eq!(rejection.school_student_ref, "S0636");
    assert_eq!(rejection.field, "home_insee_code");
    assert!(!rejection.rule.is_empty());
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM profiles")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(stored, 999);
    assert_eq!(
        api.events().new_events().await.len(),
        999,
        "one event per profile"
    );
}

#[tokio::test]
async fn every_row_rule_names_its_field() {
    let api = Api::start().await;
    let school = SchoolId::new();
    type Breaker = fn(&mut ProfileRow);
    let cases: Vec<(&str, Breaker)> = vec![
        ("school_student_ref", |r| {
            r.school_student_ref = String::new()
        }),
        ("school_student_ref", |r| {
            r.school_student_ref = "x".repeat(65)
        }),
        ("status", |r| r.status = 0),
        ("graduation_date", |r| r.graduation_date = None),
        ("graduation_date", |r| {
            r.graduation_date = Some(date(2025, 2, 30))
        }),
        ("graduation_date", |r| {
            r.graduation_date = Some(date(2099, 6, 30))
        }),
        ("level", |r| r.level = 1),
        ("level", |r| r.level = 0),
        ("field_of_study", |r| r.field_of_study = " ".to_owned()),
        ("field_of_study", |r| r.field_of_study = "x".repeat(81)),
        ("diploma", |r| r.diploma = String::new()),
        ("skills", |r| {
            r.skills = (0..31).map(|i| format!("s{i}")).collect()
        }),
        ("skills[1]", |r| {
            r.skills = vec!["CAO".to_owned(), "cao".to_owned()]
        }),
        ("skills[0]", |r| r.skills = vec!["x".repeat(61)]),
        ("languages[0].language", |r| {
            r.languages[0].language = "english".to_owned();
        }),
        ("languages[0].level", |r| r.languages[0].level = 0),
        ("languages[1].language", |r| {
            r.languages.push(LanguageSkill {
                language: "en".to_owned(),
                level: CefrLevel::C1 as i32,
            });
        }),
        ("home_insee_code", |r| r.home_insee_code = "3155".to_owned()),
        ("home_insee_code", |r| {
            r.home_insee_code = "99999".to_owned()
        }),
        ("contact", |r| r.contact = None),
        ("contact.first_name", |r| {
            r.contact.as_mut().unwrap().first_name = String::new();
        }),
        ("contact.last_name", |r| {
            r.contact.as_mut().unwrap().last_name = "x".repeat(101);
        }),
        ("contact.email", |r| {
            r.contact.as_mut().unwrap().email = "not-an-email".to_owned();
        }),
        ("contact.phone", |r| {
            r.contact.as_mut().unwrap().phone = "06 12 34 56 78".to_owned();
        }),
        ("preferences.mobility_radius_km", |r| {
            r.preferences = Some(preferences());
            r.preferences.as_mut().unwrap().mobility_radius_km = 1001;
        }),
        ("preferences.mission_type_weights[0].weight", |r| {
            r.preferences = Some(preferences());
            r.preferences.as_mut().unwrap().mission_type_weights[0].weight = 101;
        }),
        ("preferences.preferred_region_codes[0]", |r| {
            r.preferences = Some(preferences());
            r.preferences.as_mut().unwrap().preferred_region_codes = vec!["99".to_owned()];
        }),
        ("preferences.contract_kinds_sought", |r| {
            r.preferences = Some(preferences());
            r.preferences.as_mut().unwrap().contract_kinds_sought = vec![];
        }),
        ("preferences.contract_kinds_sought", |r| {
            r.status = vte_proto::vte::candidates::v1::AcademicStatus::Student as i32;
            r.graduation_date = Some(date(2099, 6, 30));
            r.preferences = Some(preferences());
        }),
        ("preferences.available_from", |r| {
            r.preferences = Some(preferences());
            r.preferences.as_mut().unwrap().available_from = None;
        }),
    ];
    let rows: Vec<ProfileRow> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, breaker))| {
            let mut row = graduate(&format!("R{i:02}"));
            breaker(&mut row);
            row
        })
        .collect();
    let summary = api.push(school, rows).await;
    assert_eq!(summary.counts.unwrap().rejected as usize, cases.len());
    for (i, (field, _)) in cases.iter().enumerate() {
        let position = u32::try_from(i + 1).unwrap();
        let named: Vec<&str> = summary
            .rejections
            .iter()
            .filter(|r| r.position == position)
            .map(|r| r.field.as_str())
            .collect();
        assert!(
            named.contains(field),
            "case {i}: expected {field}, got {named:?}"
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM profiles")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "a rejected row changes nothing");
    // A row repeated within one push is refused with the row it repeats.
    let summary = api.push(school, vec![graduate("D1"), graduate("D1")]).await;
    assert_eq!(summary.rejections[0].position, 2);
    assert!(summary.rejections[0].rule.contains("row 1"));
}

#[tokio::test]
async fn a_streamed_push_reports_progress_per_message_then_a_summary() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let messages: Vec<PushProfilesRequest> = (0..3)
        .map(|m| PushProfilesRequest {
            school_id: school.to_string(),
            rows: (0..100)
                .map(|i| {
                    let mut row = graduate(&format!("M{m}-{i:03}"));
                    if m == 2 && i == 0 {
                        row.level = 1;
                    }
                    row
                })
                .collect(),
        })
        .collect();
    let mut replies = api
        .school(school)
        .push_profiles(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let mut progress = Vec::new();
    let mut summary = None;
    while let Some(reply) = replies.message().await.unwrap() {
        match reply.kind.unwrap() {
            push_profiles_response::Kind::Progress(counts) => progress.push(counts.received),
            push_profiles_response::Kind::Summary(done) => summary = Some(done),
        }
    }
    assert_eq!(progress, [100, 200, 300]);
    let summary = summary.unwrap();
    let counts = summary.counts.unwrap();
    assert_eq!((counts.created, counts.rejected), (299, 1));
    assert_eq!(summary.rejections[0].position, 201);
    assert_eq!(summary.rejections[0].field, "level");

    // Another school's id in a school's stream is refused.
    let other = PushProfilesRequest {
        school_id: SchoolId::new().to_string(),
        rows: vec![graduate("X")],
    };
    let mut replies = api
        .school(school)
        .push_profiles(tokio_stream::iter(vec![other]))
        .await
        .unwrap()
        .into_inner();
    let refused = replies.message().await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn schools_see_only_their_students_and_companies_and_the_site_see_none() {
    let api = Api::start().await;
    let (school_a, school_b) = (SchoolId::new(), SchoolId::new());
    api.push(school_a, vec![graduate("A1")]).await;
    api.push(school_b, vec![graduate("B1")]).await;
    let a1 = api.candidate_id(school_a, "A1").await;

    // Reading the profile.
    assert_eq!(
        code(api.school(school_a).get_profile(by_id(a1)).await),
        Code::Ok
    );
    assert_eq!(
        code(api.candidate(a1).get_profile(by_id(a1)).await),
        Code::Ok
    );
    assert_eq!(code(api.admin().get_profile(by_id(a1)).await), Code::Ok);
    for denied in [api.candidate(CandidateId::new()), api.company(), api.site()] {
        assert_eq!(
            code(denied.clone().get_profile(by_id(a1)).await),
            Code::PermissionDenied
        );
    }
    // Another school's student reads as an absent profile (see visibility.rs).
    assert_eq!(
        code(api.school(school_b).get_profile(by_id(a1)).await),
        Code::NotFound
    );
    let by_other_ref = GetProfileRequest {
        key: Some(get_profile_request::Key::SchoolRef(SchoolStudentRef {
            school_id: school_a.to_string(),
            school_student_ref: "A1".to_owned(),
        })),
    };
    assert_eq!(
        code(api.school(school_b).get_profile(by_other_ref.clone()).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(api.school(school_a).get_profile(by_other_ref).await),
        Code::Ok
    );

    // Listing and pushing for another school.
    let list = |school: SchoolId| ListProfilesRequest {
        school_id: school.to_string(),
        ..ListProfilesRequest::default()
    };
    let listed = api
        .school(school_a)
        .list_profiles(list(school_a))
        .await
        .unwrap();
    assert_eq!(listed.into_inner().profiles.len(), 1);
    assert_eq!(
        code(api.school(school_b).list_profiles(list(school_a)).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(api.company().list_profiles(list(school_a)).await),
        Code::PermissionDenied
    );
    let foreign_push = PushProfilesBatchRequest {
        school_id: school_a.to_string(),
        rows: vec![graduate("A1")],
    };
    for denied in [
        api.school(school_b),
        api.company(),
        api.site(),
        api.candidate(a1),
    ] {
        assert_eq!(
            code(
                denied
                    .clone()
                    .push_profiles_batch(foreign_push.clone())
                    .await
            ),
            Code::PermissionDenied
        );
    }

    // Contact data: the person and the platform's services only.
    let lookup = LookupContactRequest {
        candidate_id: a1.to_string(),
    };
    let mine = api
        .candidate(a1)
        .lookup_contact(lookup.clone())
        .await
        .unwrap();
    assert_eq!(
        mine.into_inner().contact.unwrap().email,
        contact("A1").email
    );
    assert_eq!(
        code(api.service().lookup_contact(lookup.clone()).await),
        Code::Ok
    );
    for denied in [
        api.school(school_a),
        api.admin(),
        api.company(),
        api.site(),
        api.candidate(CandidateId::new()),
    ] {
        assert_eq!(
            code(denied.clone().lookup_contact(lookup.clone()).await),
            Code::PermissionDenied
        );
    }

    // Erasure: not by another school, a company or another candidate.
    let erase = RequestErasureRequest {
        candidate_id: a1.to_string(),
    };
    for denied in [
        api.school(school_b),
        api.company(),
        api.candidate(CandidateId::new()),
    ] {
        assert_eq!(
            code(denied.clone().request_erasure(erase.clone()).await),
            Code::PermissionDenied
        );
    }
    // No token at all.
    assert_eq!(
        code(api.client(None).get_profile(by_id(a1)).await),
        Code::Unauthenticated
    );
}

#[tokio::test]
async fn no_event_carries_a_name_an_email_or_a_phone_number() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let refs: Vec<String> = (0..10).map(|i| format!("P{i}")).collect();
    api.push(school, refs.iter().map(|r| graduate(r)).collect())
        .await;
    let first = api.candidate_id(school, "P0").await;
    api.candidate(first)
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap();
    api.candidate(first)
        .request_erasure(RequestErasureRequest::default())
        .await
        .unwrap();
    let published = api.events().new_events().await;
    assert_eq!(
        published.len(),
        13,
        "10 created, 1 consent, 1 erasure and its tombstone"
    );
    for reference in &refs {
        let contact = contact(reference);
        for secret in [
            contact.first_name,
            contact.last_name,
            contact.email,
            contact.phone,
        ] {
            for event in &published {
                let found = event
                    .bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes());
                assert!(!found, "an event carries {secret:?}");
            }
        }
    }
}

#[tokio::test]
async fn consent_makes_a_profile_matchable_and_withdrawing_it_makes_it_unmatchable() {
    let api = Api::start().await;
    let school = SchoolId::new();
    api.push(school, vec![graduate("C1")]).await;
    let me = api.candidate_id(school, "C1").await;
    let mut events = api.events();
    events.new_events().await;

    let wrong_version = api
        .candidate(me)
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: "1999-01".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong_version.code(), Code::InvalidArgument);
    assert!(wrong_version.message().contains("terms_version"));
    let not_the_school = api
        .school(school)
        .give_consent(GiveConsentRequest {
            candidate_id: me.to_string(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(not_the_school.code(), Code::PermissionDenied);

    let given = api
        .candidate(me)
        .give_consent(GiveConsentRequest {
            candidate_id: String::new(),
            terms_version: vte_candidates::DEFAULT_TERMS_VERSION.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert!(given.matchable);
    let withdrawn = api
        .candidate(me)
        .withdraw_consent(WithdrawConsentRequest::default())
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert!(!withdrawn.matchable);
    assert!(withdrawn.consent.unwrap().withdrawn_at.is_some());
    let published = events.new_events().await;
    let matchable: Vec<bool> = published
        .iter()
        .map(|p| match &p.event.event {
            Some(Event::ProfileChanged(changed)) => changed.matchable,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(matchable, [true, false]);
}

#[tokio::test]
async fn a_candidates_own_preferences_outlive_the_schools_next_push() {
    let api = Api::start().await;
    let school = SchoolId::new();
    api.push(school, vec![graduate("F1")]).await;
    let me = api.candidate_id(school, "F1").await;
    let mut mine = preferences();
    mine.mobility_radius_km = 300;
    mine.open_to_relocation = true;
    let updated = api
        .candidate(me)
        .update_preferences(UpdatePreferencesRequest {
            candidate_id: String::new(),
            preferences: Some(mine),
            expected_revision: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    let preferences_now = updated.preferences.unwrap();
    assert!(preferences_now.set_by_candidate);
    assert_eq!(preferences_now.mobility_radius_km, 300);
    // A stale revision is refused.
    let stale = api
        .candidate(me)
        .update_preferences(UpdatePreferencesRequest {
            candidate_id: String::new(),
            preferences: Some(preferences()),
            expected_revision: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    // Bad preferences name the field.
    let mut bad = preferences();
    bad.contract_kinds_sought = vec![ContractKind::Cdi as i32, ContractKind::Cdi as i32];
    let refused = api
        .candidate(me)
        .update_preferences(UpdatePreferencesRequest {
            candidate_id: String::new(),
            preferences: Some(bad),
            expected_revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused
            .message()
            .contains("preferences.contract_kinds_sought")
    );
    // The school pushes other preferences: they are ignored now.
    let mut row = graduate("F1");
    row.preferences = Some(preferences());
    let counts = api.push(school, vec![row]).await.counts.unwrap();
    assert_eq!(counts.unchanged, 1);
    let profile = api
        .candidate(me)
        .get_profile(by_id(me))
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert_eq!(profile.preferences.unwrap().mobility_radius_km, 300);
}

#[tokio::test]
async fn erasure_deletes_personal_data_publishes_it_and_records_each_services_confirmation() {
    let api = Api::start().await;
    let school = SchoolId::new();
    api.push(school, vec![graduate("G1"), graduate("G2")]).await;
    let gone = api.candidate_id(school, "G1").await;
    let mut events = api.events();
    events.new_events().await;

    let status = api
        .school(school)
        .request_erasure(RequestErasureRequest {
            candidate_id: gone.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert!(!status.complete);
    let confirmed: Vec<(i32, bool)> = status
        .confirmations
        .iter()
        .map(|c| (c.service, c.confirmed_at.is_some()))
        .collect();
    assert_eq!(
        confirmed,
        [
            (PlatformService::Offers as i32, false),
            (PlatformService::Candidates as i32, true),
            (PlatformService::Matching as i32, false),
            (PlatformService::Notifications as i32, false),
        ]
    );

    // The personal data is gone.
    for table in ["profiles", "contacts"] {
        let column = if table == "profiles" {
            "id"
        } else {
            "candidate_id"
        };
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE {column} = $1"
        )))
        .bind(gone.as_uuid())
        .fetch_one(&api.pool)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    let lookup = api
        .service()
        .lookup_contact(LookupContactRequest {
            candidate_id: gone.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(lookup.code(), Code::NotFound);
    // The erasure is published, keyed by the candidate, and a tombstone (the key, no value)
    // right behind it, so that the compacted topic drops the person's earlier events.
    let published = events.new_events().await;
    assert_eq!(published.len(), 2);
    assert_eq!(published[0].key, gone.to_string());
    let Some(Event::Erased(erased)) = &published[0].event.event else {
        panic!("not an erasure");
    };
    assert_eq!(erased.erasure_id, status.id);
    assert_eq!(erased.school_id, school.to_string());
    assert_eq!(published[1].key, gone.to_string());
    assert!(published[1].bytes.is_empty(), "a tombstone has no value");
    // Who asked shows their account subject to that account and operators only.
    let requested_by = |status: ErasureStatus| status.requested_by.unwrap().subject;
    assert!(!requested_by(status.clone()).is_empty());
    let read_as = |mut client: Client| async move {
        client
            .get_erasure_status(GetErasureStatusRequest {
                candidate_id: gone.to_string(),
                ..GetErasureStatusRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .status
            .unwrap()
    };
    assert_eq!(
        requested_by(read_as(api.admin()).await),
        requested_by(status.clone())
    );
    let colleague = api.school_as(school, "another-account-of-the-school");
    assert_eq!(requested_by(read_as(colleague).await), "");
    // Asking again answers with the first request's status.
    let again = api
        .school(school)
        .request_erasure(RequestErasureRequest {
            candidate_id: gone.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert_eq!(again.id, status.id);
    // The school's next nightly push does not bring the person back.
    let summary = api.push(school, vec![graduate("G1"), graduate("G2")]).await;
    let counts = summary.counts.unwrap();
    assert_eq!((counts.rejected, counts.unchanged), (1, 1));
    assert_eq!(summary.rejections[0].field, "school_student_ref");

    // Each service confirms, only for itself; the erasure completes with the last one.
    let confirm = |service: PlatformService| ConfirmErasureRequest {
        candidate_id: gone.to_string(),
        service: service as i32,
    };
    let impostor = api
        .service_as("matching")
        .confirm_erasure(confirm(PlatformService::Offers))
        .await
        .unwrap_err();
    assert_eq!(impostor.code(), Code::PermissionDenied);
    let not_a_service = api
        .school(school)
        .confirm_erasure(confirm(PlatformService::Offers))
        .await
        .unwrap_err();
    assert_eq!(not_a_service.code(), Code::PermissionDenied);
    for (subject, service) in [
        ("offers", PlatformService::Offers),
        ("matching", PlatformService::Matching),
        ("offers", PlatformService::Offers),
    ] {
        let status = api
            .service_as(subject)
            .confirm_erasure(confirm(service))
            .await
            .unwrap()
            .into_inner()
            .status
            .unwrap();
        assert!(!status.complete);
    }
    let done = api
        .service_as("notifications")
        .confirm_erasure(confirm(PlatformService::Notifications))
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert!(done.complete);
    assert!(done.completed_at.is_some());
    let read = api
        .school(school)
        .get_erasure_status(GetErasureStatusRequest {
            candidate_id: String::new(),
            erasure_id: status.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert!(read.complete);
    let other_school = api
        .school(SchoolId::new())
        .get_erasure_status(GetErasureStatusRequest {
            candidate_id: gone.to_string(),
            erasure_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(other_school.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_granted_label_appears_on_the_profile_and_is_published() {
    let api = Api::start().await;
    let school = SchoolId::new();
    api.push(school, vec![graduate("L1")]).await;
    let me = api.candidate_id(school, "L1").await;
    let mut events = api.events();
    events.new_events().await;
    let placement_id = uuid::Uuid::now_v7().to_string();
    let decision_id = uuid::Uuid::now_v7().to_string();
    let event = PlacementEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(vte_events::now_timestamp()),
        placement_id: placement_id.clone(),
        event: Some(placement_event::Event::LabelGranted(LabelGranted {
            placement: Some(Placement {
                id: placement_id.clone(),
                candidate_id: me.to_string(),
                school_id: school.to_string(),
                company_name: "Ratier-Figeac".to_owned(),
                offer_title: "Ingénieur méthodes".to_owned(),
                mission_type: vte_proto::vte::common::v1::MissionType::Technologie as i32,
                ..Placement::default()
            }),
            decision: Some(LabelDecision {
                id: decision_id.clone(),
                placement_id: placement_id.clone(),
                candidate_id: me.to_string(),
                outcome: LabelOutcome::Granted as i32,
                decided_at: Some(vte_events::now_timestamp()),
                ..LabelDecision::default()
            }),
        })),
    };
    api.publish(&event).await;
    api.publish(&event).await; // redelivered: shown once
    let client = api.candidate(me);
    eventually("the label to appear on the profile", PATIENCE, || {
        let mut client = client.clone();
        async move {
            let profile = client
                .get_profile(by_id(me))
                .await
                .ok()?
                .into_inner()
                .profile?;
            (profile.labels.len() == 1).then_some(())
        }
    })
    .await;
    let profile = client
        .clone()
        .get_profile(by_id(me))
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert_eq!(profile.labels[0].decision_id, decision_id);
    assert_eq!(profile.labels[0].company_name, "Ratier-Figeac");
    assert_eq!(profile.revision, 2);
    let published = events.new_events().await;
    assert_eq!(published.len(), 1);
}

#[tokio::test]
async fn requests_over_the_limits_are_refused_whole() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let too_many = PushProfilesBatchRequest {
        school_id: String::new(),
        rows: (0..1001).map(|i| graduate(&format!("T{i}"))).collect(),
    };
    let refused = api
        .school(school)
        .push_profiles_batch(too_many)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("rows"));
    let none = PushProfilesBatchRequest::default();
    assert_eq!(
        api.school(school)
            .push_profiles_batch(none)
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let operator_without_school = api
        .admin()
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![graduate("A")],
        })
        .await
        .unwrap_err();
    assert_eq!(operator_without_school.code(), Code::InvalidArgument);
    assert!(operator_without_school.message().contains("school_id"));
}
