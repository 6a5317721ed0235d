//! A school's push stays cheap to answer whatever it sends (issue 13, items 1, 10 and 14): a
//! repeated field over its maximum is one error, a value is quoted at most 64 characters, a
//! push's summary lists a bounded number of rejections, a message's rows are counted before
//! any is decoded, an idle stream is closed, and dates from 1900 are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use vte_candidates::Application;
use vte_candidates::config::CandidatesSettings;
use vte_candidates::domain::limits::MAX_REJECTIONS_PER_PUSH;
use vte_domain::SchoolId;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    MissionTypeWeight, ProfileRow, PushProfilesBatchRequest, PushProfilesRequest,
    PushProfilesResponse, UpdatePreferencesRequest, push_profiles_response,
};
use vte_service::auth::Caller;
use vte_testbed::TestService;

use common::{Api, date, graduate, preferences};

/// How long an attack may take to be answered: it is refused in milliseconds; the margin is
/// for a loaded test machine.
const FAST: Duration = Duration::from_secs(2);

/// The row of the attack: a 100,000-character reference and 3,000 empty weights.
fn attack_row() -> ProfileRow {
    let mut row = graduate("A");
    row.school_student_ref = "x".repeat(100_000);
    let mut preferences = preferences();
    preferences.mission_type_weights = vec![MissionTypeWeight::default(); 3_000];
    row.preferences = Some(preferences);
    row
}

async fn profiles(api: &Api) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM profiles")
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_huge_reference_and_three_thousand_weights_get_a_small_refusal_at_once() {
    let api = Api::start().await;
    let started = Instant::now();
    let refused = api
        .school(SchoolId::new())
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![attack_row()],
        })
        .await
        .unwrap_err();
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "invalid request: rows[0].preferences.mission_type_weights: at most 8 weights, one per \
         mission type, got 3000: far too many to read, the whole request is refused"
    );
    assert!(refused.message().len() + refused.details().len() < 4 * 1024);
    assert_eq!(profiles(&api).await, 0);
}

#[tokio::test]
async fn a_row_a_little_over_its_limits_is_rejected_alone_its_reference_quoted_cut() {
    let api = Api::start().await;
    let mut row = attack_row();
    row.preferences.as_mut().unwrap().mission_type_weights = vec![MissionTypeWeight::default(); 9];
    let reply = api
        .school(SchoolId::new())
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![row, graduate("OK")],
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        reply.encoded_len() < 4 * 1024,
        "reply of {} bytes",
        reply.encoded_len()
    );
    let summary = reply.summary.unwrap();
    let counts = summary.counts.unwrap();
    assert_eq!((counts.rejected, counts.created), (1, 1));
    let fields: Vec<&str> = summary
        .rejections
        .iter()
        .map(|r| r.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["school_student_ref", "preferences.mission_type_weights"]
    );
    assert_eq!(
        summary.rejections[1].rule,
        "at most 8 weights, one per mission type, got 9"
    );
    for rejection in &summary.rejections {
        assert_eq!(
            rejection.school_student_ref,
            format!("{}… (100000 characters)", "x".repeat(64)),
            "the reference is quoted cut"
        );
    }
    assert_eq!(profiles(&api).await, 1);
}

#[tokio::test]
async fn too_many_rows_are_refused_by_their_count_before_any_is_decoded() {
    let api = Api::start().await;
    let started = Instant::now();
    let refused = api
        .school(SchoolId::new())
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows: vec![ProfileRow::default(); 200_000],
        })
        .await
        .unwrap_err();
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "invalid request: rows: at most 1000 rows per batch, got 200000"
    );
}

/// A message of 500 rows, each breaking six rules.
fn bad_message(first: usize) -> PushProfilesRequest {
    PushProfilesRequest {
        school_id: String::new(),
        rows: (first..first + 500)
            .map(|i| ProfileRow {
                school_student_ref: format!("B{i}"),
                ..ProfileRow::default()
            })
            .collect(),
    }
}

#[tokio::test]
async fn a_stream_of_many_bad_messages_keeps_a_bounded_summary() {
    let api = Api::start().await;
    let messages: Vec<_> = (0..100).map(|m| bad_message(m * 500)).collect();
    let mut replies = api
        .school(SchoolId::new())
        .push_profiles(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let mut summary = None;
    let mut progress = 0;
    while let Some(reply) = replies.message().await.unwrap() {
        assert!(reply.encoded_len() < 512 * 1024, "{}", reply.encoded_len());
        match reply.kind.unwrap() {
            push_profiles_response::Kind::Progress(_) => progress += 1,
            push_profiles_response::Kind::Summary(done) => summary = Some(done),
        }
    }
    assert_eq!(progress, 100);
    let summary = summary.unwrap();
    let counts = summary.counts.unwrap();
    assert_eq!((counts.received, counts.rejected), (50_000, 50_000));
    assert_eq!(summary.rejections.len(), MAX_REJECTIONS_PER_PUSH + 1);
    let last = summary.rejections.last().unwrap();
    assert_eq!(last.position, 0);
    assert!(
        last.rule
            .starts_with("... and 299000 more rejections not listed"),
        "{}",
        last.rule
    );
    assert_eq!(profiles(&api).await, 0);
}

#[tokio::test]
async fn a_stream_of_the_attack_rows_is_refused_with_invalid_argument_not_ended_quietly() {
    let api = Api::start().await;
    let messages = (0..200).map(|_| PushProfilesRequest {
        school_id: String::new(),
        rows: vec![attack_row()],
    });
    let started = Instant::now();
    let mut replies = api
        .school(SchoolId::new())
        .push_profiles(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let mut outcome = Ok(0);
    loop {
        match replies.message().await {
            Ok(Some(_)) => outcome = outcome.map(|n| n + 1),
            Ok(None) => break,
            Err(status) => {
                outcome = Err(status);
                break;
            }
        }
    }
    let status = outcome.expect_err("the stream ends with the refusal, not a quiet OK");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().len() < 4 * 1024);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(profiles(&api).await, 0);
}

/// The service with a push stream closed after `idle_secs` of silence.
async fn impatient_service(idle_secs: u64) -> TestService {
    let own = CandidatesSettings {
        push_idle_timeout_secs: idle_secs,
        ..CandidatesSettings::default()
    };
    TestService::builder(common::SECRET)
        .start_with(|settings| Application::build_with(settings, own))
        .await
}

#[tokio::test]
async fn an_idle_push_stream_is_closed_with_deadline_exceeded_and_keeps_what_it_stored() {
    let service = impatient_service(1).await;
    let school = SchoolId::new();
    let token = service.bearer(Some(&Caller::School { school_id: school }));
    let mut client = CandidatesServiceClient::with_interceptor(service.channel(), token);
    let (rows, outbound) = mpsc::channel(1);
    rows.send(PushProfilesRequest {
        school_id: String::new(),
        rows: vec![graduate("I1")],
    })
    .await
    .unwrap();
    let mut replies = client
        .push_profiles(ReceiverStream::new(outbound))
        .await
        .unwrap()
        .into_inner();
    let first: PushProfilesResponse = replies.message().await.unwrap().unwrap();
    assert!(matches!(
        first.kind,
        Some(push_profiles_response::Kind::Progress(counts)) if counts.created == 1
    ));
    // The client keeps its side open and sends nothing more.
    let started = Instant::now();
    let closed = tokio::time::timeout(common::PATIENCE, replies.message())
        .await
        .expect("the idle stream is closed by the service")
        .unwrap_err();
    assert_eq!(closed.code(), Code::DeadlineExceeded);
    assert!(
        closed
            .message()
            .contains("candidates.push_idle_timeout_secs")
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM profiles")
        .fetch_one(service.pool())
        .await
        .unwrap();
    assert_eq!(stored, 1, "the acknowledged message stays stored");
    drop(rows);
}

#[tokio::test]
async fn graduation_and_availability_dates_from_1900_are_refused() {
    let api = Api::start().await;
    let school = SchoolId::new();
    let mut old = graduate("D1900");
    old.graduation_date = Some(date(1900, 6, 30));
    let mut unavailable = graduate("A1900");
    let mut preferences = preferences();
    preferences.available_from = Some(date(1900, 1, 1));
    unavailable.preferences = Some(preferences.clone());
    let mut far = graduate("F2099");
    far.status = vte_proto::vte::candidates::v1::AcademicStatus::Student as i32;
    far.graduation_date = Some(date(2099, 6, 30));
    let summary = api.push(school, vec![old, unavailable, far]).await;
    assert_eq!(summary.counts.unwrap().rejected, 3);
    let named: Vec<(u32, &str)> = summary
        .rejections
        .iter()
        .map(|r| (r.position, r.field.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (1, "graduation_date"),
            (2, "preferences.available_from"),
            (3, "graduation_date")
        ]
    );
    assert!(
        summary.rejections[0]
            .rule
            .starts_with("must be from 1950-01-01 to "),
        "{}",
        summary.rejections[0].rule
    );
    assert_eq!(profiles(&api).await, 0);

    // A candidate's own preferences are held to the same range.
    api.push(school, vec![graduate("C1")]).await;
    let candidate = api.candidate_id(school, "C1").await;
    let refused = api
        .candidate(candidate)
        .update_preferences(UpdatePreferencesRequest {
            candidate_id: String::new(),
            expected_revision: 0,
            preferences: Some(preferences),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused
            .message()
            .contains("preferences.available_from: must be from 1950-01-01"),
        "{}",
        refused.message()
    );
}
