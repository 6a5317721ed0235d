//! How the retention sweep runs: by bounded batches, skipping profiles locked elsewhere (another
//! replica, a push) for a later round, by itself in the running service, counting what it
//! retired and stopping on shutdown; a push that waited on a profile being retired does not
//! bring it back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::retention::{at, exists, graduate_of, last_changed, service, sweep_time};
use common::{Api, PATIENCE};
use tokio_util::sync::CancellationToken;
use vte_candidates::config::CandidatesSettings;
use vte_candidates::domain::retention::RetentionPolicy;
use vte_candidates::domain::{Erasure, ErasureReason as Reason, Requester};
use vte_candidates::store::{self, RefDigestKey};
use vte_candidates::sweeps;
use vte_domain::SchoolId;
use vte_proto::vte::candidates::v1::PushProfilesBatchRequest;
use vte_proto::vte::common::v1::Role;
use vte_testbed::eventually;

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
