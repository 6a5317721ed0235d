//! The retention sweep: the profile of a graduate past the scheme's recency window (24 months
//! in the rule data) that stayed unchanged for the idle period (24 months by default) is
//! erased through the same erasure as a person's request, recorded and published with the
//! reason RETENTION; recent graduates, students and profiles changed lately are kept; a second
//! sweep does nothing more; several sweeps at once share the work; a push waiting on a profile
//! being retired does not bring it back; a VTE that runs or moved lately keeps the profile.
//! The clock is given to the
//! use case, and profiles are aged by writing their last change in the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{Api, PATIENCE, date, graduate, rules_dir};
use tokio_util::sync::CancellationToken;
use tonic::Code;
use vte_candidates::config::CandidatesSettings;
use vte_candidates::domain::retention::RetentionPolicy;
use vte_candidates::domain::{Erasure, ErasureReason as Reason, Requester};
use vte_candidates::store::{self, RefDigestKey};
use vte_candidates::{Candidates, sweeps};
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidate_event::Event;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, ErasureReason, GetErasureStatusRequest, GetProfileRequest, ProfileRow,
    PushProfilesBatchRequest, RequestErasureRequest, get_profile_request,
};
use vte_proto::vte::common::v1::{PlatformService, Role};
use vte_proto::vte::placements::v1::{
    Placement, PlacementCompleted, PlacementEvent, PlacementStarted, PlacementStatus,
    placement_event,
};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;
use vte_testbed::eventually;

/// The sweep's instant in these tests: early on 6 December 2026.
fn sweep_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap()
}

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 10, 0, 0).unwrap()
}

/// The service with its own sweep off (the tests sweep with their own clock), and its use
/// cases over the same database.
async fn service() -> (Api, Candidates, RuleBook) {
    let api = Api::start_with(CandidatesSettings {
        retention_sweep: false,
        ..CandidatesSettings::default()
    })
    .await;
    let reference = Arc::new(ReferenceData::load(&ReferenceData::default_dir()).unwrap());
    let candidates = Candidates::new(api.pool.clone(), reference, "2025-01");
    let rules = RuleBook::load(&rules_dir()).unwrap();
    (api, candidates, rules)
}

/// A graduate of `graduated` (year, month, day) living in Figeac.
fn graduate_of(school_ref: &str, graduated: (i32, i32, i32)) -> ProfileRow {
    ProfileRow {
        graduation_date: Some(date(graduated.0, graduated.1, graduated.2)),
        home_insee_code: "46102".to_owned(),
        ..graduate(school_ref)
    }
}

/// Writes when the profile and its contact data last changed.
async fn last_changed(
    api: &Api,
    candidate: CandidateId,
    profile: DateTime<Utc>,
    contact: DateTime<Utc>,
) {
    sqlx::query(
        "UPDATE profiles SET updated_at = $2, created_at = least(created_at, $2) WHERE id = $1",
    )
    .bind(candidate.as_uuid())
    .bind(profile)
    .execute(&api.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE contacts SET updated_at = $2 WHERE candidate_id = $1")
        .bind(candidate.as_uuid())
        .bind(contact)
        .execute(&api.pool)
        .await
        .unwrap();
}

async fn exists(api: &Api, candidate: CandidateId) -> bool {
    let profiles: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM profiles WHERE id = $1) \
              + (SELECT count(*) FROM contacts WHERE candidate_id = $1)",
    )
    .bind(candidate.as_uuid())
    .fetch_one(&api.pool)
    .await
    .unwrap();
    profiles > 0
}

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
async fn the_sweep_goes_by_bounded_batches_and_leaves_a_profile_locked_elsewhere_for_later() {
    let (api, candidates, rules) = service().await;
    let school = SchoolId::new();
    let refs = ["2018-A", "2018-B", "2018-C"];
    let rows = refs
        .iter()
        .map(|school_ref| graduate_of(school_ref, (2018, 9, 30)))
        .collect();
    api.push(school, rows).await;
    let mut ids = Vec::new();
    for school_ref in refs {
        let id = api.candidate_id(school, school_ref).await;
        last_changed(&api, id, at(2022, 1, 10), at(2022, 1, 10)).await;
        ids.push(id);
    }
    // Another replica's sweep (or a push) holds the first profile.
    let mut elsewhere = api.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM profiles WHERE id = $1 FOR UPDATE")
        .bind(ids[0].as_uuid())
        .execute(&mut *elsewhere)
        .await
        .unwrap();
    let policy = RetentionPolicy::default();
    let sweep = |batch| candidates.retire_idle_graduates(&rules, policy, sweep_time(), batch);
    assert_eq!(sweep(1).await.unwrap(), 1, "one batch of one");
    assert_eq!(sweep(5).await.unwrap(), 1, "the locked profile is skipped");
    assert_eq!(sweep(5).await.unwrap(), 0);
    assert!(exists(&api, ids[0]).await);
    elsewhere.rollback().await.unwrap();
    assert_eq!(sweep(5).await.unwrap(), 1, "found by the next round");
    for id in ids {
        assert!(!exists(&api, id).await);
    }
    let erasures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM erasures WHERE reason = 'retention'")
            .fetch_one(&api.pool)
            .await
            .unwrap();
    assert_eq!(erasures, 3, "one erasure per profile");
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
async fn the_running_service_sweeps_by_itself() {
    let api = Api::start_with(CandidatesSettings {
        retention_sweep_every_secs: 1,
        ..CandidatesSettings::default()
    })
    .await;
    let school = SchoolId::new();
    api.push(school, vec![graduate_of("2019-IDLE", (2019, 6, 28))])
        .await;
    let idle = api.candidate_id(school, "2019-IDLE").await;
    last_changed(&api, idle, at(2023, 3, 15), at(2023, 3, 15)).await;
    eventually(
        "the sweep to retire the idle graduate",
        PATIENCE,
        || async { (!exists(&api, idle).await).then_some(()) },
    )
    .await;
    let reason: String = sqlx::query_scalar("SELECT reason FROM erasures WHERE candidate_id = $1")
        .bind(idle.as_uuid())
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(reason, "retention");
}

#[tokio::test]
async fn a_push_waiting_on_a_profile_being_retired_does_not_bring_it_back() {
    let (api, _, _) = service().await;
    let school = SchoolId::new();
    let row = graduate_of("2019-RACE", (2019, 6, 28));
    api.push(school, vec![row.clone()]).await;
    let candidate = api.candidate_id(school, "2019-RACE").await;

    // The sweep holds the profile...
    let mut sweep = api.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM profiles WHERE id = $1 FOR UPDATE")
        .bind(candidate.as_uuid())
        .execute(&mut *sweep)
        .await
        .unwrap();
    // ...when the school's nightly push of the same row arrives and waits for it.
    let mut client = api.school(school);
    let push = tokio::spawn(async move {
        client
            .push_profiles_batch(PushProfilesBatchRequest {
                school_id: String::new(),
                rows: vec![row],
            })
            .await
            .unwrap()
            .into_inner()
            .summary
            .unwrap()
    });
    eventually(
        "the push to wait for the profile's lock",
        PATIENCE,
        || async {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&api.pool)
            .await
            .unwrap();
            (waiting > 0).then_some(())
        },
    )
    .await;
    let now = Utc::now();
    let erasure = Erasure {
        id: uuid::Uuid::now_v7(),
        candidate,
        school,
        reason: Reason::Retention,
        requested_by: Requester {
            role: Role::Service,
            subject: "candidates".to_owned(),
            tenant: None,
        },
        requested_at: now,
        confirmations: store::initial_confirmations(now),
        completed_at: None,
    };
    store::erase_keyed(
        &mut sweep,
        &RefDigestKey::development(),
        &erasure,
        "2019-RACE",
    )
    .await
    .unwrap();
    sweep.commit().await.unwrap();

    let summary = push.await.unwrap();
    let counts = summary.counts.unwrap();
    assert_eq!((counts.created, counts.rejected), (0, 1));
    assert!(
        summary.rejections[0].rule.contains("retention sweep"),
        "{}",
        summary.rejections[0].rule
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM profiles WHERE school_id = $1 AND school_student_ref = '2019-RACE'",
    )
    .bind(school.as_uuid())
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the retired graduate is not created anew");
}

#[tokio::test]
async fn the_sweep_task_counts_what_it_retired_and_stops_on_shutdown() {
    let (api, candidates, rules) = service().await;
    let school = SchoolId::new();
    let refs = ["2018-X", "2018-Y", "2018-Z"];
    let rows = refs
        .iter()
        .map(|school_ref| graduate_of(school_ref, (2018, 9, 30)))
        .collect();
    api.push(school, rows).await;
    for school_ref in refs {
        let id = api.candidate_id(school, school_ref).await;
        last_changed(&api, id, at(2022, 1, 10), at(2022, 1, 10)).await;
    }
    let registry = prometheus::Registry::new();
    let metrics = sweeps::SweepMetrics::register(&registry).unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(sweeps::run(
        candidates,
        Arc::new(rules),
        RetentionPolicy::default(),
        Duration::from_secs(3600),
        metrics,
        stop.clone(),
    ));
    let counter = |name: &str| {
        registry
            .gather()
            .iter()
            .find(|family| family.name() == name)
            .map(|family| family.get_metric()[0].get_counter().get_value())
    };
    eventually("the first round to retire the three", PATIENCE, || async {
        (counter("retention_retired_profiles_total") == Some(3.0)).then_some(())
    })
    .await;
    assert_eq!(counter("retention_failed_rounds_total"), Some(0.0));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM profiles WHERE school_id = $1")
        .bind(school.as_uuid())
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    stop.cancel();
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("the sweep stops once cancelled")
        .unwrap();
}

/// An event of `candidate`'s VTE `placement`: started when `status` is ACTIVE, completed
/// otherwise, at `at`.
fn placement_event(
    placement: uuid::Uuid,
    candidate: CandidateId,
    status: PlacementStatus,
    at: DateTime<Utc>,
) -> PlacementEvent {
    let state = Some(Placement {
        id: placement.to_string(),
        candidate_id: candidate.to_string(),
        company_name: "Ratier-Figeac".to_owned(),
        status: status as i32,
        ..Placement::default()
    });
    let event = match status {
        PlacementStatus::Active => {
            placement_event::Event::Started(PlacementStarted { placement: state })
        }
        _ => placement_event::Event::Completed(PlacementCompleted { placement: state }),
    };
    PlacementEvent {
        event_id: vte_events::new_event_id(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: 0,
        }),
        placement_id: placement.to_string(),
        event: Some(event),
    }
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
