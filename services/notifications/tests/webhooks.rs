//! Webhooks end to end: the real service on its own database and broker, a real HTTP endpoint
//! on loopback standing for a school's information system. Signatures verify with the owner's
//! secret only; an endpoint down for a while gets its delivery once it is up, and only once; an
//! endpoint never up ends in the owner's dead letters, which the owner sends again once it is
//! fixed; an endpoint that hangs delays nobody else's deliveries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::events::{TestApplication, TestOffer, placement_completed};
use support::harness::{Notifications, PATIENCE};
use support::http::Endpoint;
use tonic::Code;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_notifications::channels::webhook::{verify, verify_fresh};
use vte_proto::vte::notifications::v1::{
    DeliveryStatus, ListDeadLettersRequest, ListWebhooksRequest, NotificationKind,
    RedeliverDeadLettersRequest, RegisterWebhookRequest, RegisterWebhookResponse,
};
use vte_testbed::eventually;

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

async fn register(
    service: &Notifications,
    school: SchoolId,
    url: String,
) -> RegisterWebhookResponse {
    service
        .school(school)
        .register_webhook(RegisterWebhookRequest {
            url,
            kinds: vec![],
            owner: None,
        })
        .await
        .expect("a school registers its webhook")
        .into_inner()
}

/// Publishes the offer, waits until the service knows it, then publishes the application's
/// submission by a student of `school`.
async fn student_applies(service: &Notifications, school: SchoolId) -> TestApplication {
    let offer = TestOffer::figeac(siren());
    let published = offer.published();
    service.publish(&published).await;
    service.wait_handled(&published.event_id).await;
    let application = TestApplication::new(&offer, CandidateId::new(), school);
    service.publish(&application.submitted()).await;
    application
}

#[tokio::test]
async fn a_school_webhook_is_signed_with_the_schools_secret_and_no_other() {
    let service = Notifications::start().await;
    let endpoint = Endpoint::start().await;
    let (school, other_school) = (SchoolId::new(), SchoolId::new());
    let registered = register(&service, school, endpoint.url()).await;
    let other = register(&service, other_school, Endpoint::start().await.url()).await;
    assert_ne!(registered.secret, other.secret);
    assert_eq!(
        registered.secret.len(),
        43,
        "32 bytes in base64url without padding"
    );

    let application = student_applies(&service, school).await;

    let hit = eventually("the school's endpoint to be called", PATIENCE, || async {
        endpoint.delivered().into_iter().next()
    })
    .await;
    let signature = hit.header("vte-signature");
    assert!(signature.starts_with("t="), "{signature}");
    assert!(
        verify(&registered.secret, &signature, &hit.body),
        "verifies with the school's secret"
    );
    assert!(
        !verify(&other.secret, &signature, &hit.body),
        "fails with another school's secret"
    );
    let sent_at: i64 = signature[2..signature.find(',').unwrap()].parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    assert_eq!(hit.header("vte-timestamp"), sent_at.to_string());
    // The time is signed with the body: the request is good for five minutes, then a replay.
    assert!(verify_fresh(
        &registered.secret,
        &signature,
        &hit.body,
        sent_at + 60
    ));
    assert!(!verify_fresh(
        &registered.secret,
        &signature,
        &hit.body,
        sent_at + 301
    ));
    let body = String::from_utf8_lossy(&hit.body);
    assert!(
        !body.contains(&application.account),
        "no account subject in a payload: {body}"
    );

    let json = hit.json();
    assert_eq!(json["deliveryId"], hit.header("vte-delivery-id"));
    assert_eq!(json["kind"], "NOTIFICATION_KIND_APPLICATION_STATUS_CHANGED");
    assert_eq!(json["application"]["id"], application.id.to_string());
    assert_eq!(
        json["application"]["status"],
        "APPLICATION_STATUS_SUBMITTED"
    );
    assert_eq!(
        json["notification"]["recipient"]["tenantId"],
        school.to_string()
    );
    let body = json["notification"]["body"].as_str().unwrap();
    assert!(
        body.contains("« Ingénieur méthodes industrialisation » chez Usinage du Célé (Figeac)"),
        "{body}"
    );
    assert_eq!(endpoint.hits().len(), 1);
}

#[tokio::test]
async fn an_endpoint_down_for_several_attempts_then_up_gets_the_delivery_once() {
    let service = Notifications::start().await;
    let endpoint = Endpoint::start().await;
    endpoint.down_for(3);
    let school = SchoolId::new();
    register(&service, school, endpoint.url()).await;

    student_applies(&service, school).await;

    eventually("the delivery to succeed", PATIENCE, || async {
        (!endpoint.delivered().is_empty()).then_some(())
    })
    .await;
    let delivered = eventually("the outcome to be recorded", PATIENCE, || async {
        service
            .deliveries()
            .await
            .into_iter()
            .find(|(channel, status, ..)| channel == "WEBHOOK" && status == "DELIVERED")
    })
    .await;
    assert_eq!(
        delivered.2, 4,
        "three failed attempts, then the one that worked"
    );
    let hits = endpoint.hits();
    assert_eq!(
        hits.iter().map(|hit| hit.status).collect::<Vec<_>>(),
        vec![503, 503, 503, 200]
    );
    let ids: std::collections::HashSet<String> = hits
        .iter()
        .map(|hit| hit.header("vte-delivery-id"))
        .collect();
    assert_eq!(ids.len(), 1, "every attempt carries the same delivery id");
    assert_eq!(endpoint.delivered().len(), 1);
}

#[tokio::test]
async fn an_endpoint_never_up_is_dead_lettered_and_listed_for_its_owner_only() {
    let service = Notifications::start().await;
    let endpoint = Endpoint::start().await;
    endpoint.down_forever();
    let school = SchoolId::new();
    let webhook = register(&service, school, endpoint.url())
        .await
        .webhook
        .unwrap();

    student_applies(&service, school).await;

    let dead = eventually("the delivery to be dead-lettered", PATIENCE, || async {
        let listed = service
            .school(school)
            .list_dead_letters(ListDeadLettersRequest::default())
            .await
            .unwrap()
            .into_inner();
        listed.dead_letters.into_iter().next()
    })
    .await;
    assert_eq!(dead.status, DeliveryStatus::Failed as i32);
    assert_eq!(dead.attempts, 5, "every attempt the settings allow");
    assert_eq!(dead.last_http_status, 503);
    assert_eq!(dead.last_error, "http_status");
    assert_eq!(dead.webhook_id, webhook.id);
    assert_eq!(dead.kind, NotificationKind::ApplicationStatusChanged as i32);
    assert!(dead.first_attempt_at.is_some() && dead.next_attempt_at.is_none());
    assert_eq!(endpoint.hits().len(), 5);

    let by_webhook = service
        .school(school)
        .list_dead_letters(ListDeadLettersRequest {
            webhook_id: webhook.id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_webhook.dead_letters.len(), 1);

    let stranger = service.school(SchoolId::new());
    let theirs = stranger
        .clone()
        .list_dead_letters(ListDeadLettersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        theirs.dead_letters.is_empty(),
        "another school sees none of them"
    );
    let refused = stranger
        .clone()
        .list_dead_letters(ListDeadLettersRequest {
            webhook_id: webhook.id.clone(),
            page: None,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);

    // Another school cannot send them again; a bad id is named; the owner, its endpoint
    // fixed, sends them again: delivered once, and no longer a dead letter.
    let refused = stranger
        .clone()
        .redeliver_dead_letters(RedeliverDeadLettersRequest {
            webhook_id: webhook.id.clone(),
            delivery_ids: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    let refused = service
        .school(school)
        .redeliver_dead_letters(RedeliverDeadLettersRequest {
            webhook_id: webhook.id.clone(),
            delivery_ids: vec![dead.id.clone(), "not-an-id".to_owned()],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().starts_with("delivery_ids[1]"),
        "{}",
        refused.message()
    );
    endpoint.up();
    let requeued = service
        .school(school)
        .redeliver_dead_letters(RedeliverDeadLettersRequest {
            webhook_id: webhook.id.clone(),
            delivery_ids: vec![dead.id.clone()],
        })
        .await
        .unwrap()
        .into_inner()
        .requeued;
    assert_eq!(requeued, 1);
    eventually("the redelivery", PATIENCE, || async {
        (!endpoint.delivered().is_empty()).then_some(())
    })
    .await;
    let delivered = eventually("the outcome to be recorded", PATIENCE, || async {
        service
            .deliveries()
            .await
            .into_iter()
            .find(|(channel, status, ..)| channel == "WEBHOOK" && status == "DELIVERED")
    })
    .await;
    assert_eq!(delivered.2, 1, "a new round of attempts");
    assert_eq!(endpoint.delivered().len(), 1);
    assert_eq!(
        endpoint.delivered()[0].header("vte-delivery-id"),
        dead.id,
        "the same delivery, so the receiver can tell it from a new fact"
    );
    let left = service
        .school(school)
        .list_dead_letters(ListDeadLettersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(left.dead_letters.is_empty());
    let again = service
        .school(school)
        .redeliver_dead_letters(RedeliverDeadLettersRequest {
            webhook_id: webhook.id.clone(),
            delivery_ids: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.requeued, 0, "nothing left to send again");
}

#[tokio::test]
async fn bpifrance_hears_of_completed_placements_on_its_webhook_and_a_deleted_webhook_hears_nothing()
 {
    let service = Notifications::start().await;
    let endpoint = Endpoint::start().await;
    let registered = service
        .bpifrance()
        .register_webhook(RegisterWebhookRequest {
            url: endpoint.url(),
            kinds: vec![NotificationKind::PlacementStatusChanged as i32],
            owner: None,
        })
        .await
        .unwrap()
        .into_inner();
    let offer = TestOffer::figeac(siren());
    service
        .publish(&placement_completed(
            &offer,
            CandidateId::new(),
            SchoolId::new(),
        ))
        .await;
    let hit = eventually("Bpifrance's endpoint to be called", PATIENCE, || async {
        endpoint.delivered().into_iter().next()
    })
    .await;
    assert!(verify(
        &registered.secret,
        &hit.header("vte-signature"),
        &hit.body
    ));
    let json = hit.json();
    assert_eq!(json["placement"]["status"], "PLACEMENT_STATUS_COMPLETED");
    assert!(
        json["notification"]["body"]
            .as_str()
            .unwrap()
            .contains("décider du label")
    );

    let webhook_id = registered.webhook.unwrap().id;
    service
        .bpifrance()
        .delete_webhook(vte_proto::vte::notifications::v1::DeleteWebhookRequest { webhook_id })
        .await
        .unwrap();
    let listed = service
        .bpifrance()
        .list_webhooks(ListWebhooksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.webhooks.is_empty());
    let second = placement_completed(&offer, CandidateId::new(), SchoolId::new());
    service.publish(&second).await;
    service.wait_handled(&second.event_id).await;
    assert_eq!(
        endpoint.hits().len(),
        1,
        "nothing goes to a deleted webhook"
    );
}

#[tokio::test]
async fn an_endpoint_that_hangs_does_not_delay_another_schools_deliveries() {
    // The longest timeout the contract allows, twice the deadline below, few slots: on a
    // shared queue the hanging endpoint's deliveries would hold every slot for the timeout.
    let service = Notifications::start_with(|_, own| {
        own.webhooks.timeout_secs = 10;
        own.worker.concurrency = 4;
    })
    .await;
    let (stuck, healthy) = (Endpoint::start().await, Endpoint::start().await);
    stuck.hang();
    let (slow_school, other_school) = (SchoolId::new(), SchoolId::new());
    register(&service, slow_school, stuck.url()).await;
    register(&service, other_school, healthy.url()).await;
    for _ in 0..8 {
        student_applies(&service, slow_school).await;
    }
    eventually("the stuck endpoint to be called", PATIENCE, || async {
        (stuck.hanging() > 0).then_some(())
    })
    .await;

    let started = std::time::Instant::now();
    student_applies(&service, other_school).await;
    eventually(
        "the other school's endpoint to be called",
        std::time::Duration::from_secs(5),
        || async { healthy.delivered().into_iter().next() },
    )
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        stuck.hanging() <= 2,
        "at most two deliveries in flight to one endpoint, got {}",
        stuck.hanging()
    );
}
