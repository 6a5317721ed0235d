//! A profile retired by the candidates service's retention sweep (`CandidateErased` with the
//! reason RETENTION): the notifications service erases what it holds about the candidate, as
//! for any erasure, and tells the school which of its students' profiles went (by the opaque
//! candidate id the school read beside its own reference), in the app and on its webhook. An
//! erasure a person asked for tells no one; one naming no school still erases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::events::{candidate_erased, candidate_retired};
use support::harness::{Notifications, PATIENCE};
use support::http::Endpoint;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidate_event;
use vte_proto::vte::notifications::v1::{
    ListNotificationsRequest, Notification, NotificationKind, RegisterWebhookRequest,
};
use vte_testbed::eventually;

async fn inbox(service: &Notifications, school: SchoolId) -> Vec<Notification> {
    service
        .school(school)
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
}

#[tokio::test]
async fn a_school_hears_which_of_its_students_profiles_the_retention_sweep_retired() {
    let service = Notifications::start().await;
    let endpoint = Endpoint::start().await;
    let (school, other_school) = (SchoolId::new(), SchoolId::new());
    service
        .school(school)
        .register_webhook(RegisterWebhookRequest {
            url: endpoint.url(),
            kinds: vec![],
            owner: None,
        })
        .await
        .unwrap();

    let retired = CandidateId::new();
    let event = candidate_retired(retired, school);
    service.publish(&event).await;
    service.wait_handled(&event.event_id).await;

    // In the school's inbox: which profile, and why.
    let listed = inbox(&service, school).await;
    assert_eq!(listed.len(), 1);
    let notice = &listed[0];
    assert_eq!(notice.kind, NotificationKind::ProfileRetired as i32);
    assert_eq!(notice.subject_id, retired.to_string());
    assert_eq!(
        notice.title,
        "Profil d'un diplômé effacé (durée de conservation)"
    );
    assert!(
        notice.body.contains(&retired.to_string()),
        "{}",
        notice.body
    );
    assert!(notice.body.contains("CNIL"), "{}", notice.body);
    assert!(inbox(&service, other_school).await.is_empty());

    // On its webhook, signed like every delivery.
    let hit = eventually("the school's endpoint to be called", PATIENCE, || async {
        endpoint.delivered().into_iter().next()
    })
    .await;
    let json = hit.json();
    assert_eq!(json["kind"], "NOTIFICATION_KIND_PROFILE_RETIRED");
    assert_eq!(json["notification"]["subjectId"], retired.to_string());
    assert_eq!(
        json["notification"]["recipient"]["tenantId"],
        school.to_string()
    );

    // The erasure itself went as any other: the candidate is remembered only as erased.
    let erased: i64 =
        sqlx::query_scalar("SELECT count(*) FROM erased_candidates WHERE candidate_id = $1")
            .bind(retired.as_uuid())
            .fetch_one(&service.pool)
            .await
            .unwrap();
    assert_eq!(erased, 1);

    // A second delivery of the same event tells the school nothing more, nor does an erasure
    // asked for by a person (same candidate, so handled after the redelivery).
    service.publish(&event).await;
    let requested = candidate_erased(retired, school);
    service.publish(&requested).await;
    service.wait_handled(&requested.event_id).await;
    assert_eq!(service.notifications_of("PROFILE_RETIRED").await, 1);
    assert_eq!(inbox(&service, school).await.len(), 1);
}

#[tokio::test]
async fn a_retention_erasure_naming_no_school_still_erases_and_tells_no_one() {
    let service = Notifications::start().await;
    let retired = CandidateId::new();
    let mut event = candidate_retired(retired, SchoolId::new());
    if let Some(candidate_event::Event::Erased(erased)) = event.event.as_mut() {
        erased.school_id.clear();
    }
    service.publish(&event).await;
    service.wait_handled(&event.event_id).await;
    let erased: i64 =
        sqlx::query_scalar("SELECT count(*) FROM erased_candidates WHERE candidate_id = $1")
            .bind(retired.as_uuid())
            .fetch_one(&service.pool)
            .await
            .unwrap();
    assert_eq!(erased, 1, "the erasure stands");
    assert_eq!(service.notifications_of("PROFILE_RETIRED").await, 0);
}
