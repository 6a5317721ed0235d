//! A school cannot make the platform email any number of addresses (issue 13, item 9): each
//! profile a push creates sends a consent email, so new profiles are counted per school per
//! UTC hour and day, in the push's transaction; a message that would pass either limit is
//! refused whole with RESOURCE_EXHAUSTED naming the limit and when it resets, and nothing of it
//! is stored or published.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tonic::Code;
use tonic_types::StatusExt;
use vte_candidates::Application;
use vte_candidates::config::CandidatesSettings;
use vte_domain::SchoolId;
use vte_proto::EventEnvelope;
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    CandidateEvent, ProfileRow, PushProfilesBatchRequest, PushProfilesRequest, PushSummary,
    candidate_event, push_profiles_response,
};
use vte_service::auth::Caller;
use vte_testbed::{TestService, TopicReader};

use common::graduate;

/// The service with quotas of `per_hour` and `per_day` new profiles per school.
async fn service(per_hour: u32, per_day: u32) -> TestService {
    let own = CandidatesSettings {
        new_profiles_per_school_per_hour: per_hour,
        new_profiles_per_school_per_day: per_day,
        ..CandidatesSettings::default()
    };
    TestService::builder(common::SECRET)
        .start_with(|settings| Application::build_with(settings, own))
        .await
}

type Client = common::Client;

fn school(service: &TestService, school_id: SchoolId) -> Client {
    let token = service.bearer(Some(&Caller::School { school_id }));
    CandidatesServiceClient::with_interceptor(service.channel(), token)
}

fn rows(prefix: &str, count: usize) -> Vec<ProfileRow> {
    (0..count)
        .map(|i| graduate(&format!("{prefix}{i}")))
        .collect()
}

async fn push(client: &mut Client, rows: Vec<ProfileRow>) -> Result<PushSummary, tonic::Status> {
    client
        .push_profiles_batch(PushProfilesBatchRequest {
            school_id: String::new(),
            rows,
        })
        .await
        .map(|reply| reply.into_inner().summary.unwrap())
}

async fn stored(service: &TestService, school_id: SchoolId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM profiles WHERE school_id = $1")
        .bind(school_id.as_uuid())
        .fetch_one(service.pool())
        .await
        .unwrap()
}

/// How many profiles the events published since the last call say were created.
async fn created_events(reader: &mut TopicReader) -> usize {
    reader
        .new_records()
        .await
        .iter()
        .filter(|record| {
            matches!(
                record.decode::<CandidateEvent>().event,
                Some(candidate_event::Event::ProfileChanged(changed)) if changed.created
            )
        })
        .count()
}

#[tokio::test]
async fn a_school_cannot_create_more_profiles_an_hour_than_its_quota() {
    let service = service(3, 10).await;
    let mut events = service.reader(&[CandidateEvent::TOPIC]);
    let school_id = SchoolId::new();
    let mut client = school(&service, school_id);
    let first = push(&mut client, rows("Q", 2)).await.unwrap();
    assert_eq!(first.counts.unwrap().created, 2);
    assert_eq!(created_events(&mut events).await, 2);

    // Two more would make four: the whole message is refused, the update in it too.
    let mut moved = rows("Q", 1);
    moved[0].diploma = "Master".to_owned();
    let mut message = rows("R", 2);
    message.extend(moved);
    let refused = push(&mut client, message).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    let said = refused.message();
    assert!(
        said.starts_with("a school creates at most 3 new profiles per hour"),
        "{said}"
    );
    assert!(said.contains("2 were created this hour and these rows would create 2 more"));
    assert!(said.contains("resets at "), "{said}");
    let quota = refused.get_details_quota_failure().unwrap();
    assert_eq!(
        quota.violations[0].subject,
        "new_profiles_per_school_per_hour"
    );
    let retry = refused.get_details_retry_info().unwrap();
    assert!(retry.retry_delay.unwrap() <= std::time::Duration::from_secs(3600));
    assert_eq!(
        stored(&service, school_id).await,
        2,
        "nothing of it is stored"
    );
    let diploma: String = sqlx::query_scalar(
        "SELECT schooling->>'diploma' FROM profiles WHERE school_student_ref = 'Q0'",
    )
    .fetch_one(service.pool())
    .await
    .unwrap();
    assert_ne!(diploma, "Master");
    assert_eq!(
        created_events(&mut events).await,
        0,
        "and nothing published"
    );

    // What fits still lands; updates and re-pushes create nothing and pass.
    assert_eq!(
        push(&mut client, rows("R", 1))
            .await
            .unwrap()
            .counts
            .unwrap()
            .created,
        1
    );
    let again = push(&mut client, rows("Q", 2)).await.unwrap();
    assert_eq!(again.counts.unwrap().unchanged, 2);
    assert!(push(&mut client, rows("S", 1)).await.is_err());
    // Another school has a quota of its own.
    let mut other = school(&service, SchoolId::new());
    assert_eq!(
        push(&mut other, rows("Q", 3))
            .await
            .unwrap()
            .counts
            .unwrap()
            .created,
        3
    );
}

#[tokio::test]
async fn a_school_cannot_create_more_profiles_a_day_than_its_quota_even_in_a_stream() {
    let service = service(10, 4).await;
    let school_id = SchoolId::new();
    let mut client = school(&service, school_id);
    let messages: Vec<PushProfilesRequest> = (0..3)
        .map(|m| PushProfilesRequest {
            school_id: String::new(),
            rows: rows(&format!("M{m}-"), 2),
        })
        .collect();
    let mut replies = client
        .push_profiles(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let mut created = Vec::new();
    let refused = loop {
        match replies.message().await {
            Ok(Some(reply)) => match reply.kind.unwrap() {
                push_profiles_response::Kind::Progress(counts) => created.push(counts.created),
                push_profiles_response::Kind::Summary(_) => panic!("the stream went through"),
            },
            Ok(None) => panic!("the stream ended without its refusal"),
            Err(status) => break status,
        }
    };
    assert_eq!(created, [2, 4]);
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert!(refused.message().contains("at most 4 new profiles per day"));
    assert!(
        refused.message().contains("T00:00:00Z"),
        "{}",
        refused.message()
    );
    assert_eq!(stored(&service, school_id).await, 4);
}

#[tokio::test]
async fn pushes_of_one_school_at_once_do_not_pass_its_quota_together() {
    let service = service(5, 5).await;
    let school_id = SchoolId::new();
    let pushes = (0..4).map(|p| {
        let mut client = school(&service, school_id);
        async move { push(&mut client, rows(&format!("P{p}-"), 2)).await }
    });
    let results = futures_join_all(pushes).await;
    let landed = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(landed, 2, "{results:?}");
    for refused in results.iter().filter_map(|result| result.as_ref().err()) {
        assert_eq!(refused.code(), Code::ResourceExhausted);
    }
    assert_eq!(stored(&service, school_id).await, 4);
}

/// Runs the futures concurrently and collects their outputs in order.
async fn futures_join_all<F: Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.unwrap());
    }
    outputs
}
