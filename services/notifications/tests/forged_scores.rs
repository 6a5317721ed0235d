//! Forged suggestions on `vte.matching.v1`: a score that is not a number, infinite, above 1 or
//! below 0 is refused. The event goes to the dead letters, nobody is told "0 %" or "100 %", and
//! the suggestion behind it on the same partition is handled.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::events::{candidates_suggested, offers_suggested, two_offers};
use support::harness::Notifications;
use vte_domain::{CandidateId, SchoolId};
use vte_events::EventEnvelope as _;
use vte_proto::vte::matching::v1::MatchingEvent;

const FORGED: [f64; 5] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5, -0.1];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suggestion_with_a_forged_score_is_dead_lettered_and_tells_nobody() {
    let service = Notifications::start().await;
    let (figeac, _) = two_offers(&service).await;
    let candidate = CandidateId::new();
    let school = SchoolId::new();
    let mut forged: Vec<MatchingEvent> = Vec::new();
    for score in FORGED {
        // Keyed by the offer, the company's suggestions share a partition, in this order.
        forged.push(candidates_suggested(&figeac, &[(candidate, score)]));
        // Keyed by the candidate: one valid offer and one forged, the event is refused whole.
        forged.push(offers_suggested(
            candidate,
            school,
            &[
                (&figeac, 0.5, "Mission technologie"),
                (&figeac, score, "Très proche de votre profil"),
            ],
        ));
    }
    for event in &forged {
        service.publish(event).await;
    }
    let genuine_to_company = candidates_suggested(&figeac, &[(candidate, 0.87)]);
    let genuine_to_candidate =
        offers_suggested(candidate, school, &[(&figeac, 0.64, "Mission technologie")]);
    service.publish(&genuine_to_company).await;
    service.publish(&genuine_to_candidate).await;
    service.wait_handled(&genuine_to_company.event_id).await;
    service.wait_handled(&genuine_to_candidate.event_id).await;

    for event in &forged {
        assert!(
            !service.handled(&event.event_id).await,
            "a forged event was handled"
        );
    }
    assert_eq!(service.notifications_of("CANDIDATES_SUGGESTED").await, 1);
    assert_eq!(service.notifications_of("OFFERS_SUGGESTED").await, 1);
    // Each forged event was dead-lettered before the runner moved on to the genuine one behind it.
    let dead = service
        .bed
        .reader(&service.pool, &[&format!("{}.dlq", MatchingEvent::TOPIC)])
        .new_records()
        .await;
    let mut dead_ids: Vec<String> = dead
        .iter()
        .map(|record| record.decode::<MatchingEvent>().event_id)
        .collect();
    let mut forged_ids: Vec<String> = forged.iter().map(|e| e.event_id.clone()).collect();
    dead_ids.sort();
    forged_ids.sort();
    assert_eq!(dead_ids, forged_ids);
}
