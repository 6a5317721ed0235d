//! A burst of applications keeps up: the consumer takes the records waiting in a partition
//! several to a transaction, and the worker records its outcomes apart from its slots; still,
//! every application reaches the school's webhook exactly once, and every delivery is recorded
//! as delivered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;

use support::events::{TestApplication, TestOffer};
use support::harness::{Notifications, PATIENCE};
use support::http::Endpoint;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::notifications::v1::RegisterWebhookRequest;
use vte_testbed::eventually;

const APPLICATIONS: usize = 120;

#[tokio::test]
async fn a_burst_of_applications_is_fanned_out_in_shared_transactions_and_each_is_posted_once() {
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
        .expect("the school registers its webhook");
    let offer = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let published = offer.published();
    service.publish(&published).await;
    service.wait_handled(&published.event_id).await;

    // Published all at once, so that records wait in their partitions' queues.
    let submissions: Vec<_> = (0..APPLICATIONS)
        .map(|_| TestApplication::new(&offer, CandidateId::new(), school).submitted())
        .collect();
    futures::future::join_all(submissions.iter().map(|event| service.publish(event))).await;

    let delivered = eventually(
        "every application at the school's endpoint",
        PATIENCE,
        || {
            let hits = endpoint.delivered();
            async move { (hits.len() >= APPLICATIONS).then_some(hits) }
        },
    )
    .await;
    let ids: HashSet<String> = delivered
        .iter()
        .map(|hit| hit.header("vte-delivery-id"))
        .collect();
    assert_eq!(ids.len(), APPLICATIONS, "one POST per delivery");

    // Rows written by one transaction share its id (`xmin`): fewer transactions than events.
    let (events, transactions): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT xmin::text) FROM processed_events
         WHERE topic = 'vte.applications.v1'",
    )
    .fetch_one(&service.pool)
    .await
    .unwrap();
    assert_eq!(events, APPLICATIONS as i64);
    assert!(
        transactions < events,
        "{events} events in {transactions} transactions"
    );

    let recorded = eventually("every webhook delivery recorded", PATIENCE, || async {
        let rows = service.deliveries().await;
        let webhooks: Vec<_> = rows.iter().filter(|row| row.0 == "WEBHOOK").collect();
        (webhooks.len() == APPLICATIONS && webhooks.iter().all(|row| row.1 == "DELIVERED"))
            .then_some(webhooks.len())
    })
    .await;
    assert_eq!(recorded, APPLICATIONS);
    // Sent once each: the slot freed before the outcome was recorded sent nothing again.
    assert_eq!(endpoint.hits().len(), APPLICATIONS);
}
