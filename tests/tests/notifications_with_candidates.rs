//! The notifications service beside the real candidates service, on one broker namespace: the
//! candidates service gives addresses at delivery time, and once it erases a candidate the
//! notifications service never contacts them again, keeps nothing about them (in their own
//! notifications or in any other recipient's, deliveries included), and confirms the erasure
//! back to the candidates service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "notifications_with_candidates/platform.rs"]
mod platform;
#[path = "../../services/notifications/tests/support/mod.rs"]
mod support;

use chrono::{Duration, Utc};
use platform::Platform;
use support::events::{TestApplication, offers_suggested, set_preference, two_offers};
use support::harness::PATIENCE;
use support::http::Endpoint;
use support::traces::tables_mentioning;
use vte_domain::SchoolId;
use vte_proto::vte::notifications::v1::{
    Cadence, ListDeadLettersRequest, NotificationKind, RedeliverDeadLettersRequest,
    RegisterWebhookRequest,
};
use vte_testbed::eventually;

#[tokio::test]
async fn an_erased_candidate_is_never_contacted_again() {
    let platform = Platform::start().await;
    let school = SchoolId::new();
    let address = "sacha@ecole.example";
    let candidate = platform.push_student(school, "Sacha", address).await;
    let sink = &platform.notifications.smtp;
    // The new profile's consent request shows the address works before the erasure.
    eventually("the consent request email", PATIENCE, || async {
        sink.to(address)
            .into_iter()
            .find(|m| m.subject() == "Votre école a créé votre profil VTE")
    })
    .await;
    let before = sink.to(address).len();
    // Something is still pending when the erasure arrives: tomorrow's digest.
    set_preference(
        &platform.notifications,
        candidate,
        NotificationKind::OffersSuggested,
        true,
        Cadence::DailyDigest,
    )
    .await;
    let (figeac, _) = two_offers(&platform.notifications).await;
    let pending = offers_suggested(candidate, school, &[(&figeac, 0.8, "Proche de chez vous")]);
    platform.notifications.publish(&pending).await;
    platform.notifications.wait_handled(&pending.event_id).await;

    platform.erase(school, candidate).await;
    eventually(
        "the notifications service to confirm the erasure",
        PATIENCE,
        || async {
            platform
                .erasure_confirmed_by_notifications(candidate)
                .await
                .then_some(())
        },
    )
    .await;

    // A fact arriving late about the erased candidate.
    let late = offers_suggested(candidate, school, &[(&figeac, 0.8, "Proche de chez vous")]);
    platform.notifications.publish(&late).await;
    platform.notifications.wait_handled(&late.event_id).await;
    let worker = platform.notifications.worker();
    let tomorrow = Utc::now() + Duration::days(1);
    assert_eq!(
        worker.send_digests(tomorrow).await.unwrap(),
        0,
        "the pending digest is gone"
    );
    worker.deliver_due(tomorrow).await.unwrap();

    assert_eq!(sink.to(address).len(), before, "no email after the erasure");
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM notifications WHERE recipient_tenant = $1)
              + (SELECT count(*) FROM deliveries WHERE recipient_tenant = $1)
              + (SELECT count(*) FROM preferences WHERE recipient_tenant = $1)",
    )
    .bind(candidate.to_string())
    .fetch_one(&platform.notifications.pool)
    .await
    .unwrap();
    assert_eq!(held, 0, "nothing kept about the candidate");
}

#[tokio::test]
async fn an_erasure_leaves_the_candidate_in_no_other_recipients_notification_or_delivery() {
    let platform = Platform::start().await;
    let service = &platform.notifications;
    let school = SchoolId::new();
    let candidate = platform
        .push_student(school, "Camille", "camille@ecole.example")
        .await;
    // The school's endpoint is down: the delivery about the application ends in its dead
    // letters, from which it could be sent again.
    let endpoint = Endpoint::start().await;
    endpoint.down_forever();
    let webhook = service
        .school(school)
        .register_webhook(RegisterWebhookRequest {
            url: endpoint.url(),
            kinds: vec![],
            owner: None,
        })
        .await
        .unwrap()
        .into_inner()
        .webhook
        .unwrap();
    let (figeac, _) = two_offers(service).await;
    let application = TestApplication::new(&figeac, candidate, school);
    let note = "Camille manque d'expérience, numéro perso 06 98 76 54 32";
    for fact in [application.submitted(), application.refused(note)] {
        service.publish(&fact).await;
        service.wait_handled(&fact.event_id).await;
    }
    eventually(
        "the school's delivery to be dead-lettered",
        PATIENCE,
        || async {
            let listed = service
                .school(school)
                .list_dead_letters(ListDeadLettersRequest::default())
                .await
                .unwrap()
                .into_inner();
            (!listed.dead_letters.is_empty()).then_some(())
        },
    )
    .await;
    let id = candidate.to_string();
    assert!(!tables_mentioning(&service.pool, &id).await.is_empty());
    assert!(!tables_mentioning(&service.pool, note).await.is_empty());

    platform.erase(school, candidate).await;
    eventually("the erasure to be confirmed", PATIENCE, || async {
        platform
            .erasure_confirmed_by_notifications(candidate)
            .await
            .then_some(())
    })
    .await;

    for needle in [id.as_str(), application.account.as_str(), note] {
        eventually("no table to mention the candidate", PATIENCE, || async {
            let left = tables_mentioning(&service.pool, needle).await;
            left.is_empty().then_some(())
        })
        .await;
    }
    endpoint.up();
    let requeued = service
        .school(school)
        .redeliver_dead_letters(RedeliverDeadLettersRequest {
            webhook_id: webhook.id,
            delivery_ids: vec![],
        })
        .await
        .unwrap()
        .into_inner()
        .requeued;
    assert_eq!(requeued, 0, "nothing about the candidate can be sent again");
}
