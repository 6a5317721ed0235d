//! Offer alerts: a new offer matching tells the candidates it fits (an `OffersSuggested` with
//! the trigger `OFFER_PUBLISHED`) reaches each in-app and by email as their preferences say,
//! at most `notifications.offer_alerts.per_day` in 24 hours and `per_week` in 7 days; the
//! ones beyond are held back, and a candidate who turned offer suggestions off hears nothing
//! and is not counted. What the cap counts goes with the candidate's erasure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::events::{TestOffer, candidate_erased, offers_suggested, set_preference};
use support::harness::{Notifications, PATIENCE};
use support::platform::Platform;
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::matching::v1::{MatchingEvent, SuggestionTrigger, matching_event};
use vte_proto::vte::notifications::v1::{Cadence, NotificationKind};
use vte_testbed::eventually;

const TITLE: &str = "Nouvelle offre VTE pour vous";

/// A new offer of a company in Figeac, published on `vte.offers.v1` (its commune known).
async fn new_offer(service: &Notifications) -> TestOffer {
    let offer = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let published = offer.published();
    service.publish(&published).await;
    service.wait_handled(&published.event_id).await;
    offer
}

/// Matching's alert telling `candidate` of the just published `offer`.
fn alert(candidate: CandidateId, school: SchoolId, offer: &TestOffer) -> MatchingEvent {
    let mut event = offers_suggested(
        candidate,
        school,
        &[(
            offer,
            0.91,
            "Formation en génie mécanique, 12 km de chez vous",
        )],
    );
    if let Some(matching_event::Event::OffersSuggested(s)) = event.event.as_mut() {
        s.trigger = SuggestionTrigger::OfferPublished as i32;
    }
    event
}

/// Publishes `event` and waits until the service handled it.
async fn deliver(service: &Notifications, event: &MatchingEvent) {
    service.publish(event).await;
    service.wait_handled(&event.event_id).await;
}

/// The offers `candidate` was told of, in-app, oldest first.
async fn told(service: &Notifications, candidate: CandidateId) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT subject_id FROM notifications
         WHERE recipient_tenant = $1 AND kind = 'OFFERS_SUGGESTED' AND in_app
         ORDER BY created_at, id",
    )
    .bind(candidate.to_string())
    .fetch_all(&service.pool)
    .await
    .unwrap()
}

/// Moves every alert recorded `hours` back in time, as if they had been told then.
async fn age_alerts(service: &Notifications, hours: i32) {
    sqlx::query("UPDATE offer_alerts SET alerted_at = alerted_at - make_interval(hours => $1)")
        .bind(hours)
        .execute(&service.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_new_offer_reaches_the_candidate_it_fits_in_app_and_by_email_with_where_it_is() {
    let platform = Platform::start().await;
    let service = &platform.notifications;
    let school = SchoolId::new();
    let address = "ines.robert@ecole.example";
    let candidate = platform.push_student(school, "Inès", address).await;
    let figeac = new_offer(service).await;

    deliver(service, &alert(candidate, school, &figeac)).await;

    let email = eventually("the alert's email", PATIENCE, || async {
        service
            .smtp
            .to(address)
            .into_iter()
            .find(|m| m.subject() == TITLE)
    })
    .await;
    let text = email.text();
    assert!(text.starts_with("Bonjour Inès,"), "{text}");
    assert!(
        text.contains(
            "« Ingénieur méthodes industrialisation » chez Usinage du Célé (Figeac) — 91 % : \
             Formation en génie mécanique, 12 km de chez vous"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("https://vte-france.fr/offres/{}", figeac.id)),
        "{text}"
    );
    assert_eq!(told(service, candidate).await, vec![figeac.id]);

    // Their erasure takes what the cap counted with their notifications.
    let erased = candidate_erased(candidate, school);
    service.publish(&erased).await;
    service.wait_handled(&erased.event_id).await;
    let counted: i64 = sqlx::query_scalar("SELECT count(*) FROM offer_alerts")
        .fetch_one(&service.pool)
        .await
        .unwrap();
    assert_eq!(counted, 0);
}

#[tokio::test]
async fn the_cap_holds_back_the_fourth_new_offer_of_a_day_and_the_week_cap_holds_after_days() {
    let platform = Platform::start_with(|own| {
        own.offer_alerts.per_day = 3;
        own.offer_alerts.per_week = 4;
    })
    .await;
    let service = &platform.notifications;
    let school = SchoolId::new();
    let address = "lucas.bernard@ecole.example";
    let candidate = platform.push_student(school, "Lucas", address).await;
    let mut offers = Vec::new();
    for _ in 0..6 {
        offers.push(new_offer(service).await);
    }

    for offer in &offers[..4] {
        deliver(service, &alert(candidate, school, offer)).await;
    }
    let first_three: Vec<Uuid> = offers[..3].iter().map(|o| o.id).collect();
    assert_eq!(
        told(service, candidate).await,
        first_three,
        "the fourth of the day is held back"
    );
    eventually("three alert emails", PATIENCE, || async {
        let sent = service.smtp.to(address);
        (sent.iter().filter(|m| m.subject() == TITLE).count() == 3).then_some(())
    })
    .await;
    // Told twice of the same offer by a late duplicate: nothing more, nothing counted.
    deliver(service, &alert(candidate, school, &offers[0])).await;
    assert_eq!(told(service, candidate).await.len(), 3);

    // A day later the day's cap is free again, the week holds 3 of its 4.
    age_alerts(service, 25).await;
    deliver(service, &alert(candidate, school, &offers[4])).await;
    let mut expected = first_three.clone();
    expected.push(offers[4].id);
    assert_eq!(told(service, candidate).await, expected);
    // Two more days on, the day is free but the week is full.
    age_alerts(service, 48).await;
    deliver(service, &alert(candidate, school, &offers[5])).await;
    assert_eq!(
        told(service, candidate).await,
        expected,
        "the week's cap holds the fifth of the week"
    );
    let counted: i64 = sqlx::query_scalar("SELECT count(*) FROM offer_alerts")
        .fetch_one(&service.pool)
        .await
        .unwrap();
    assert_eq!(counted, 4);
    // The emails match what was told: none for a held-back offer.
    eventually("four alert emails", PATIENCE, || async {
        let sent = service.smtp.to(address);
        (sent.iter().filter(|m| m.subject() == TITLE).count() == 4).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_candidate_who_turned_offer_suggestions_off_gets_no_email_of_a_new_offer() {
    let platform = Platform::start().await;
    let service = &platform.notifications;
    let school = SchoolId::new();
    let opted_out = platform
        .push_student(school, "Manon", "manon@ecole.example")
        .await;
    let other = platform
        .push_student(school, "Théo", "theo@ecole.example")
        .await;
    set_preference(
        service,
        opted_out,
        NotificationKind::OffersSuggested,
        false,
        Cadence::Immediate,
    )
    .await;
    let figeac = new_offer(service).await;

    deliver(service, &alert(opted_out, school, &figeac)).await;
    deliver(service, &alert(other, school, &figeac)).await;

    eventually("the other candidate's email", PATIENCE, || async {
        service
            .smtp
            .to("theo@ecole.example")
            .into_iter()
            .find(|m| m.subject() == TITLE)
    })
    .await;
    assert!(
        service.smtp.to("manon@ecole.example").is_empty(),
        "the opted-out candidate got an email"
    );
    assert!(told(service, opted_out).await.is_empty(), "nor in-app");
    let counted: Vec<Uuid> = sqlx::query_scalar("SELECT candidate_id FROM offer_alerts")
        .fetch_all(&service.pool)
        .await
        .unwrap();
    assert_eq!(
        counted,
        vec![other.as_uuid()],
        "an alert nobody got counts for no one"
    );
}
