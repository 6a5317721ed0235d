//! What a profile's existence tells those who may not read it: nothing. A role that never reads
//! profiles is refused before any lookup, whether or not the profile exists; another school
//! reading a student not its own gets exactly the NOT_FOUND of an absent profile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, graduate};
use tonic::{Code, Status};
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::{GetProfileRequest, get_profile_request};

fn by_id(id: CandidateId) -> GetProfileRequest {
    GetProfileRequest {
        key: Some(get_profile_request::Key::CandidateId(id.to_string())),
    }
}

async fn refusal(client: common::Client, id: CandidateId) -> Status {
    client.clone().get_profile(by_id(id)).await.unwrap_err()
}

#[tokio::test]
async fn another_schools_student_reads_exactly_as_an_absent_profile() {
    let api = Api::start().await;
    let (school, other_school) = (SchoolId::new(), SchoolId::new());
    api.push(school, vec![graduate("A1")]).await;
    let student = api.candidate_id(school, "A1").await;
    let absent = CandidateId::new();

    let theirs = refusal(api.school(other_school), student).await;
    let nobody = refusal(api.school(other_school), absent).await;
    assert_eq!(theirs.code(), Code::NotFound);
    assert_eq!(
        (theirs.code(), theirs.message()),
        (nobody.code(), nobody.message())
    );
    assert!(
        api.school(school).get_profile(by_id(student)).await.is_ok(),
        "its own school reads it"
    );

    // A role that never reads profiles is refused the same, present or absent.
    for client in [api.company(), api.site(), api.candidate(CandidateId::new())] {
        let present = refusal(client.clone(), student).await;
        let missing = refusal(client, absent).await;
        assert_eq!(present.code(), Code::PermissionDenied);
        assert_eq!(
            (present.code(), present.message()),
            (missing.code(), missing.message())
        );
    }
}
