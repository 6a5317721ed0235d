//! Facts turned into in-app notifications, end to end through the real broker: each recipient
//! gets exactly one notification per fact whatever the redeliveries, preferences turn a kind
//! off, the 15-day reminder reaches the company once, the candidate hears that an application
//! expired, and the list reads newest first with read/unread.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use support::events::{TestApplication, TestOffer};
use support::harness::{Notifications, PATIENCE};
use support::http::Endpoint;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_notifications::reminders;
use vte_proto::vte::common::v1::PageRequest;
use vte_proto::vte::notifications::v1::{
    Cadence, KindPreference, ListNotificationsRequest, MarkReadRequest, Notification,
    NotificationKind, RegisterWebhookRequest, UpdatePreferencesRequest,
};
use vte_testbed::eventually;

fn siren() -> Siren {
    Siren::parse("732829320").unwrap()
}

fn other_siren() -> Siren {
    Siren::parse("552100554").unwrap()
}

async fn inbox(client: &mut support::harness::Client) -> Vec<Notification> {
    client
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// Publishes `offer` and waits until the service knows it.
async fn known_offer(service: &Notifications, offer: &TestOffer) {
    let published = offer.published();
    service.publish(&published).await;
    service.wait_handled(&published.event_id).await;
}

#[tokio::test]
async fn a_redelivered_event_sends_nothing_twice() {
    let service = Notifications::start().await;
    let endpoint = Endpoint::start().await;
    let school = SchoolId::new();
    service
        .school(school)
        .register_webhook(RegisterWebhookRequest {
            url: endpoint.url(),
            kinds: vec![],
            owner: None,
        })
        .await
        .unwrap();
    let offer = TestOffer::figeac(siren());
    known_offer(&service, &offer).await;
    let application = TestApplication::new(&offer, CandidateId::new(), school);
    let submitted = application.submitted();

    service.publish(&submitted).await;
    service.publish(&submitted).await;
    // A later event of the same application (same key, same partition) marks the point where
    // the redelivery was consumed.
    let marker = application.review_started();
    service.publish(&marker).await;
    service.wait_handled(&marker.event_id).await;
    // Even once the consumer has forgotten the event id (past its deduplication window), the
    // unique rules on notifications and deliveries hold.
    sqlx::query("DELETE FROM processed_events WHERE event_id = $1::uuid")
        .bind(&submitted.event_id)
        .execute(&service.pool)
        .await
        .unwrap();
    service.publish(&submitted).await;
    let marker = application.refused("Poste pourvu en interne.");
    service.publish(&marker).await;
    service.wait_handled(&marker.event_id).await;

    eventually(
        "the school's endpoint to get the three facts",
        PATIENCE,
        || async { (endpoint.delivered().len() >= 3).then_some(()) },
    )
    .await;
    let mut company = service.company(siren());
    let received = inbox(&mut company).await;
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(
        received[0].kind,
        NotificationKind::ApplicationReceived as i32
    );
    assert_eq!(service.notifications_of("APPLICATION_RECEIVED").await, 1);
    let deliveries = service.deliveries().await;
    let webhooks = deliveries
        .iter()
        .filter(|(channel, ..)| channel == "WEBHOOK")
        .count();
    assert_eq!(
        webhooks, 3,
        "one per fact: submitted, in review, refused: {deliveries:?}"
    );
    let ids: std::collections::HashSet<String> = endpoint
        .hits()
        .iter()
        .map(|hit| hit.header("vte-delivery-id"))
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(endpoint.hits().len(), 3, "nothing sent twice");
}

#[tokio::test]
async fn an_opted_out_recipient_receives_nothing_while_others_do() {
    let service = Notifications::start().await;
    let mut opted_out = service.company(siren());
    let updated = opted_out
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![KindPreference {
                kind: NotificationKind::ApplicationReceived as i32,
                enabled: false,
                cadence: Cadence::Immediate as i32,
            }],
            email_address: None,
        })
        .await
        .unwrap()
        .into_inner();
    let received = updated
        .preferences
        .iter()
        .find(|p| p.kind == NotificationKind::ApplicationReceived as i32)
        .unwrap();
    assert!(!received.enabled);
    let offer = TestOffer::figeac(siren());
    let other_offer = TestOffer::figeac(other_siren());
    known_offer(&service, &offer).await;
    known_offer(&service, &other_offer).await;

    let mine = TestApplication::new(&offer, CandidateId::new(), SchoolId::new()).submitted();
    let theirs =
        TestApplication::new(&other_offer, CandidateId::new(), SchoolId::new()).submitted();
    service.publish(&mine).await;
    service.publish(&theirs).await;
    service.wait_handled(&mine.event_id).await;
    service.wait_handled(&theirs.event_id).await;

    assert!(
        inbox(&mut opted_out).await.is_empty(),
        "the opted-out company hears nothing"
    );
    let mut other = service.company(other_siren());
    assert_eq!(
        inbox(&mut other).await.len(),
        1,
        "a company that did not opt out hears"
    );
    let deliveries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE recipient_tenant = $1")
            .bind(siren().to_string())
            .fetch_one(&service.pool)
            .await
            .unwrap();
    assert_eq!(
        deliveries, 0,
        "no delivery of any channel to the opted-out company"
    );
}

#[tokio::test]
async fn the_fifteen_day_reminder_reaches_the_company_once() {
    let service = Notifications::start().await;
    let offer = TestOffer::figeac(siren());
    known_offer(&service, &offer).await;
    let mut waiting = TestApplication::new(&offer, CandidateId::new(), SchoolId::new());
    waiting.submitted_at = Utc::now() - Duration::days(16);
    let mut recent = TestApplication::new(&offer, CandidateId::new(), SchoolId::new());
    recent.submitted_at = Utc::now() - Duration::days(3);
    let mut answered = TestApplication::new(&offer, CandidateId::new(), SchoolId::new());
    answered.submitted_at = Utc::now() - Duration::days(20);
    for event in [
        waiting.submitted(),
        recent.submitted(),
        answered.submitted(),
        answered.review_started(),
    ] {
        service.publish(&event).await;
        service.wait_handled(&event.event_id).await;
    }

    let mut company = service.company(siren());
    let reminder = eventually("the reminder sweep to remind the company", PATIENCE, || {
        let mut company = company.clone();
        async move {
            inbox(&mut company)
                .await
                .into_iter()
                .find(|n| n.kind == NotificationKind::ApplicationsAwaitingReview as i32)
        }
    })
    .await;
    assert_eq!(reminder.subject_id, waiting.id.to_string());
    assert_eq!(
        reminder.title,
        "Une candidature attend votre réponse depuis 15 jours"
    );
    assert!(
        reminder
            .body
            .contains("« Ingénieur méthodes industrialisation » (Figeac)"),
        "{}",
        reminder.body
    );
    assert!(
        reminder
            .body
            .contains(&waiting.submitted_at.format("%d/%m/%Y").to_string())
    );

    // Later sweeps, and the same application's event delivered again, remind no one again.
    let again = reminders::remind_unanswered(&service.pool, Utc::now(), 15, Utc::now())
        .await
        .unwrap();
    assert_eq!(again, 0);
    let replayed = waiting.submitted();
    service.publish(&replayed).await;
    service.wait_handled(&replayed.event_id).await;
    let later = Utc::now() + Duration::days(30);
    let reminded_later = reminders::remind_unanswered(&service.pool, later, 15, later)
        .await
        .unwrap();
    assert_eq!(
        reminded_later, 1,
        "only the recent application, once it too is 15 days old"
    );
    let reminders: Vec<Notification> = inbox(&mut company)
        .await
        .into_iter()
        .filter(|n| n.kind == NotificationKind::ApplicationsAwaitingReview as i32)
        .collect();
    let about: Vec<&str> = reminders.iter().map(|n| n.subject_id.as_str()).collect();
    assert_eq!(about.len(), 2, "{about:?}");
    assert!(about.contains(&waiting.id.to_string().as_str()));
    assert!(about.contains(&recent.id.to_string().as_str()));
    assert!(
        !about.contains(&answered.id.to_string().as_str()),
        "an answered application is not reminded"
    );
}

#[tokio::test]
async fn a_candidate_is_told_when_an_application_expires_and_reads_it() {
    let service = Notifications::start().await;
    let offer = TestOffer::figeac(siren());
    known_offer(&service, &offer).await;
    let candidate = CandidateId::new();
    let application = TestApplication::new(&offer, candidate, SchoolId::new());
    let refused = TestApplication::new(&offer, candidate, SchoolId::new());
    for event in [
        application.expired(),
        refused.refused("Le poste demande un profil plus expérimenté."),
    ] {
        service.publish(&event).await;
        service.wait_handled(&event.event_id).await;
    }

    let mut client = service.candidate(candidate);
    let listed = client
        .list_notifications(ListNotificationsRequest {
            recipient: None,
            unread_only: true,
            page: Some(PageRequest {
                page_size: 1,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.unread_count, 2);
    assert_eq!(listed.notifications.len(), 1, "one per page");
    let newest = &listed.notifications[0];
    assert_eq!(newest.title, "Votre candidature n'est pas retenue");
    assert!(
        newest
            .body
            .contains("Motif : Le poste demande un profil plus expérimenté.")
    );
    let next = client
        .list_notifications(ListNotificationsRequest {
            recipient: None,
            unread_only: true,
            page: Some(PageRequest {
                page_size: 1,
                page_token: listed.page.unwrap().next_page_token,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let expired = &next.notifications[0];
    assert_eq!(expired.title, "Votre candidature a expiré");
    assert!(
        expired.body.contains(
            "« Ingénieur méthodes industrialisation » chez Usinage du Célé (Figeac) a expiré"
        ),
        "{}",
        expired.body
    );
    assert!(expired.body.contains("Prochaine étape"));
    assert!(next.page.unwrap().next_page_token.is_empty());

    let marked = client
        .mark_read(MarkReadRequest {
            notification_ids: vec![expired.id.clone()],
            all: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(marked.marked, 1);
    let after = client
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.unread_count, 1);
    let read = after
        .notifications
        .iter()
        .find(|n| n.id == expired.id)
        .unwrap();
    assert!(read.read_at.is_some());
    let all = client
        .mark_read(MarkReadRequest {
            notification_ids: vec![],
            all: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.marked, 1);
}

#[tokio::test]
async fn a_company_is_reminded_once_before_its_offer_expires_and_again_after_a_new_deadline() {
    let service = Notifications::start().await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let mut expiring = TestOffer::figeac(siren());
    expiring.application_deadline = Some(today + Duration::days(5));
    let mut later = TestOffer::figeac(siren());
    later.application_deadline = Some(today + Duration::days(30));
    known_offer(&service, &expiring).await;
    known_offer(&service, &later).await;

    let company = service.company(siren());
    let expiry_reminders = |company: &support::harness::Client| {
        let mut company = company.clone();
        async move {
            inbox(&mut company)
                .await
                .into_iter()
                .filter(|n| n.kind == NotificationKind::OfferExpiring as i32)
                .collect::<Vec<_>>()
        }
    };
    let first = eventually("the sweep to remind the company", PATIENCE, || async {
        expiry_reminders(&company).await.into_iter().next()
    })
    .await;
    assert_eq!(first.subject_id, expiring.id.to_string());
    let last_day = (today + Duration::days(5)).format("%d/%m/%Y").to_string();
    assert_eq!(
        first.title,
        format!("Dernier jour de candidature pour votre offre : le {last_day}")
    );
    assert!(
        first
            .body
            .contains("« Ingénieur méthodes industrialisation » (Figeac)")
            && first.body.contains(&last_day),
        "{}",
        first.body
    );
    assert_eq!(first.link, format!("/offres/{}", expiring.id));

    // Later rounds, and the same offer's event again, remind no one again.
    let now = Utc::now();
    assert_eq!(
        reminders::remind_expiring(&service.pool, now, today, 7, now)
            .await
            .unwrap(),
        0
    );
    let replayed = expiring.published();
    service.publish(&replayed).await;
    service.wait_handled(&replayed.event_id).await;
    assert_eq!(
        reminders::remind_expiring(&service.pool, now, today, 7, now)
            .await
            .unwrap(),
        0
    );

    // The company pushes the deadline back: reminded again as the new one nears.
    expiring.application_deadline = Some(today + Duration::days(6));
    expiring.revision = 3;
    known_offer(&service, &expiring).await;
    let reminders = eventually("a reminder of the new deadline", PATIENCE, || async {
        let all = expiry_reminders(&company).await;
        (all.len() == 2).then_some(all)
    })
    .await;
    let new_last_day = (today + Duration::days(6)).format("%d/%m/%Y").to_string();
    assert!(
        reminders.iter().any(|n| n.title.ends_with(&new_last_day)),
        "{reminders:?}"
    );
    assert!(
        reminders
            .iter()
            .all(|n| n.subject_id == expiring.id.to_string()),
        "the offer 30 days from its deadline is not reminded"
    );
}
