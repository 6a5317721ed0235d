//! Who the retention sweep retires: the profile of a graduate past the scheme's recency window
//! (24 months in the rule data) that stayed unchanged for the idle period (24 months by
//! default), erased through the same erasure as a person's request and recorded and published
//! with the reason RETENTION; recent graduates, students, profiles changed lately and graduates
//! whose VTE runs or moved lately are kept; a second sweep does nothing more. The clock is
//! given to the use case; profiles are aged by writing their last change in the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{TimeZone, Utc};
use common::retention::{
    at, exists, graduate_of, last_changed, placement_event, service, sweep_time,
};
use tonic::Code;
use vte_candidates::domain::retention::RetentionPolicy;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidate_event::Event;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, ErasureReason, GetErasureStatusRequest, GetProfileRequest, ProfileRow,
    RequestErasureRequest, get_profile_request,
};
use vte_proto::vte::common::v1::{PlatformService, Role};
use vte_proto::vte::placements::v1::PlacementStatus;

#[tokio::test]
async fn a_2019_graduate_idle_since_2023_is_erased_and_recent_graduates_students_and_active_profiles_are_kept()
 {
    let (api, candidates, rules) = service().await;
    let school = SchoolId::new();
    let student = ProfileRow {
        status: AcademicStatus::Student as i32,
        ..graduate_of("2019-STUDENT", (2020, 6, 30))
    };
    let rows = vec![
        graduate_of("2019-IDLE", (2019, 6, 28)),
        graduate_of("2025-RECENT", (2025, 6, 30)),
        graduate_of("2019-CHANGED", (2019, 6, 28)),
        graduate_of("2019-NEW-PHONE", (2019, 6, 28)),
        student,
    ];
    let summary = api.push(school, rows).await;
    assert_eq!(
        summary.counts.unwrap().created,
        5,
        "{:?}",
        summary.rejections
    );
    let id = |school_ref: &'static str| api.candidate_id(school, school_ref);
    let (idle, recent, changed, new_phone, student) = (
        id("2019-IDLE").await,
        id("2025-RECENT").await,
        id("2019-CHANGED").await,
        id("2019-NEW-PHONE").await,
        id("2019-STUDENT").await,
    );
    let spring_2023 = at(2023, 3, 15);
    last_changed(&api, idle, spring_2023, spring_2023).await;
    // Idle too, but graduated in June 2025: within 24 months of December 2026.
    last_changed(&api, recent, at(2024, 9, 1), at(2024, 9, 1)).await;
    // Changed their profile last month.
    last_changed(&api, changed, at(2026, 11, 6), spring_2023).await;
    // The school sent a new phone number in October.
    last_changed(&api, new_phone, spring_2023, at(2026, 10, 2)).await;
    // A student is kept whatever their dates.
    last_changed(&api, student, spring_2023, spring_2023).await;
    let mut events = api.events();
    events.new_events().await;

    let policy = RetentionPolicy::default();
    let retired = candidates
        .retire_idle_graduates(&rules, policy, sweep_time(), 100)
        .await
        .unwrap();
    assert_eq!(retired, 1);
    assert!(
        !exists(&api, idle).await,
        "the profile and contact data are gone"
    );
    for kept in [recent, changed, new_phone, student] {
        assert!(exists(&api, kept).await);
        let profile = api
            .school(school)
            .get_profile(GetProfileRequest {
                key: Some(get_profile_request::Key::CandidateId(kept.to_string())),
            })
            .await;
        assert!(profile.is_ok(), "{kept} is kept");
    }
    let gone = api
        .school(school)
        .get_profile(GetProfileRequest {
            key: Some(get_profile_request::Key::CandidateId(idle.to_string())),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);

    // Recorded as a retention erasure by the candidates service itself, which confirmed it;
    // the school may follow it like any erasure of its students.
    let status = api
        .school(school)
        .get_erasure_status(GetErasureStatusRequest {
            candidate_id: idle.to_string(),
            ..GetErasureStatusRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert_eq!(status.reason, ErasureReason::Retention as i32);
    let requested_by = status.requested_by.unwrap();
    assert_eq!(requested_by.role, Role::Service as i32);
    assert_eq!(requested_by.tenant_id, "");
    let confirmed: Vec<_> = status
        .confirmations
        .iter()
        .filter(|c| c.confirmed_at.is_some())
        .map(|c| c.service)
        .collect();
    assert_eq!(confirmed, [PlatformService::Candidates as i32]);
    assert!(!status.complete);

    // Published like a request (the erasure, then a tombstone), with its reason, for every
    // service to erase and the notifications service to tell the school.
    let published = events.new_events().await;
    assert_eq!(published.len(), 2);
    assert_eq!(published[0].key, idle.to_string());
    let Some(Event::Erased(erased)) = &published[0].event.event else {
        panic!("not an erasure");
    };
    assert_eq!(erased.reason, ErasureReason::Retention as i32);
    assert_eq!(erased.school_id, school.to_string());
    assert_eq!(erased.erasure_id, status.id);
    assert!(published[1].bytes.is_empty(), "a tombstone");

    // A second sweep finds nothing more and publishes nothing.
    let again = candidates
        .retire_idle_graduates(&rules, policy, sweep_time(), 100)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert!(events.new_events().await.is_empty());

    // The school's next push of the reference does not bring the profile back, and says why.
    let summary = api
        .push(school, vec![graduate_of("2019-IDLE", (2019, 6, 28))])
        .await;
    assert_eq!(summary.counts.unwrap().rejected, 1);
    let rejection = &summary.rejections[0];
    assert_eq!(rejection.field, "school_student_ref");
    assert!(
        rejection.rule.contains("retention sweep"),
        "{}",
        rejection.rule
    );
}

#[tokio::test]
async fn a_shorter_idle_period_retires_sooner_and_a_persons_request_stays_a_request() {
    let (api, candidates, rules) = service().await;
    let school = SchoolId::new();
    api.push(
        school,
        vec![
            graduate_of("2020-A", (2020, 7, 3)),
            graduate_of("2020-B", (2020, 7, 3)),
        ],
    )
    .await;
    let (a, b) = (
        api.candidate_id(school, "2020-A").await,
        api.candidate_id(school, "2020-B").await,
    );
    // Unchanged for 18 months: kept with the default 24, retired with 12.
    last_changed(&api, a, at(2025, 6, 1), at(2025, 6, 1)).await;
    let default = RetentionPolicy::default();
    let year = RetentionPolicy { idle_months: 12 };
    let sweep = |policy| candidates.retire_idle_graduates(&rules, policy, sweep_time(), 10);
    assert_eq!(sweep(default).await.unwrap(), 0);
    assert_eq!(sweep(year).await.unwrap(), 1);
    assert!(!exists(&api, a).await);

    let mut events = api.events();
    events.new_events().await;
    let status = api
        .school(school)
        .request_erasure(RequestErasureRequest {
            candidate_id: b.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert_eq!(status.reason, ErasureReason::Request as i32);
    let published = events.new_events().await;
    let Some(Event::Erased(erased)) = &published[0].event.event else {
        panic!("not an erasure");
    };
    assert_eq!(erased.reason, ErasureReason::Request as i32);
    let summary = api
        .push(school, vec![graduate_of("2020-B", (2020, 7, 3))])
        .await;
    assert!(
        summary.rejections[0].rule.contains("at their request"),
        "{}",
        summary.rejections[0].rule
    );
}

#[tokio::test]
async fn a_graduate_whose_vte_runs_or_ended_lately_is_kept_then_retired_two_idle_years_after_it() {
    let (api, candidates, rules) = service().await;
    let school = SchoolId::new();
    api.push(school, vec![graduate_of("2019-VTE", (2019, 6, 28))])
        .await;
    let hired = api.candidate_id(school, "2019-VTE").await;
    last_changed(&api, hired, at(2023, 3, 15), at(2023, 3, 15)).await;
    let placement = uuid::Uuid::now_v7();
    let sweep = |now| candidates.retire_idle_graduates(&rules, RetentionPolicy::default(), now, 10);

    // A VTE that started in September 2021 (within two years of the degree) still runs.
    let started = placement_event(placement, hired, PlacementStatus::Active, at(2021, 9, 1));
    api.publish(&started).await;
    api.wait_handled(&started.event_id).await;
    assert_eq!(
        sweep(sweep_time()).await.unwrap(),
        0,
        "kept while the VTE runs"
    );

    // It was completed in September 2025: kept for the idle period after that.
    let completed = placement_event(placement, hired, PlacementStatus::Completed, at(2025, 9, 1));
    api.publish(&completed).await;
    api.wait_handled(&completed.event_id).await;
    assert_eq!(
        sweep(sweep_time()).await.unwrap(),
        0,
        "moved within 24 months"
    );
    let two_years_on = Utc.with_ymd_and_hms(2027, 9, 2, 3, 0, 0).unwrap();
    assert_eq!(sweep(two_years_on).await.unwrap(), 1);
    assert!(!exists(&api, hired).await);
    let activity: i64 = sqlx::query_scalar("SELECT count(*) FROM placement_activity")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(
        activity, 0,
        "what was heard of the VTE goes with the profile"
    );

    // A VTE of someone without a profile here leaves no trace.
    let stranger = placement_event(
        uuid::Uuid::now_v7(),
        CandidateId::new(),
        PlacementStatus::Active,
        at(2026, 1, 5),
    );
    api.publish(&stranger).await;
    api.wait_handled(&stranger.event_id).await;
    let activity: i64 = sqlx::query_scalar("SELECT count(*) FROM placement_activity")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(activity, 0);
}
