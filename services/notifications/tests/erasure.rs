//! An erasure reaches every recipient's notifications, not only the candidate's own: the
//! application or placement a company's, a school's or Bpifrance's notification carries (with
//! the candidate's id and the free text written about them) is cleared, and a webhook delivery
//! of it not made yet is never made, nor can it be sent again from the dead letters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::events::{TestApplication, TestOffer, candidate_erased, placement_completed};
use support::harness::{Notifications, PATIENCE};
use support::http::Endpoint;
use support::traces::tables_mentioning;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::notifications::v1::{RedeliverDeadLettersRequest, RegisterWebhookRequest};
use vte_testbed::eventually;

#[tokio::test]
async fn after_an_erasure_no_recipients_notification_or_delivery_holds_the_candidate() {
    // Retries go on long enough for the school's delivery to be pending at the erasure.
    let service = Notifications::start_with(|_, own| {
        own.retry.first_delay_ms = 200;
        own.retry.max_delay_ms = 200;
        own.retry.max_attempts = 1_000;
    })
    .await;
    let endpoint = Endpoint::start().await;
    endpoint.down_forever();
    let school = SchoolId::new();
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
    let offer = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let published = offer.published();
    service.publish(&published).await;
    service.wait_handled(&published.event_id).await;

    let candidate = CandidateId::new();
    let application = TestApplication::new(&offer, candidate, school);
    let note = "Profil trop junior, rappeler Sacha au 06 12 34 56 78";
    let facts = [application.submitted(), application.refused(note)];
    for fact in &facts {
        service.publish(fact).await;
        service.wait_handled(&fact.event_id).await;
    }
    let placement = placement_completed(&offer, candidate, school);
    service.publish(&placement).await;
    service.wait_handled(&placement.event_id).await;
    let id = candidate.to_string();
    // Before: the company's, the school's and Bpifrance's notifications carry the facts.
    assert!(
        tables_mentioning(&service.pool, &id)
            .await
            .contains(&"notifications".to_owned())
    );
    assert!(!tables_mentioning(&service.pool, note).await.is_empty());
    eventually("the school's delivery to be retried", PATIENCE, || async {
        (endpoint.hits().len() >= 2).then_some(())
    })
    .await;

    let erased = candidate_erased(candidate, school);
    service.publish(&erased).await;
    service.wait_handled(&erased.event_id).await;

    for needle in [id.as_str(), application.account.as_str(), note] {
        eventually("no table to mention the candidate", PATIENCE, || async {
            tables_mentioning(&service.pool, needle)
                .await
                .is_empty()
                .then_some(())
        })
        .await;
    }
    // The school's endpoint is fixed: what was pending about the candidate is not sent, and
    // nothing about them can be sent again; another student's news gets through.
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
    assert_eq!(requeued, 0);
    let other = TestApplication::new(&offer, CandidateId::new(), school);
    service.publish(&other.submitted()).await;
    eventually("the other student's news", PATIENCE, || async {
        endpoint
            .delivered()
            .into_iter()
            .find(|hit| hit.json()["application"]["id"] == other.id.to_string())
    })
    .await;
    for hit in endpoint.delivered() {
        let body = String::from_utf8_lossy(&hit.body);
        assert!(
            !body.contains(&id),
            "an erased candidate's fact was sent: {body}"
        );
    }
}
