//! Each state change produces exactly one event, on its aggregate's topic, keyed by the
//! aggregate id, carrying the full new state: counted on the broker after every step of a hire,
//! from the draft to the completion (the label's steps: `labels.rs`).

use tonic::Code;
use vte_domain::SchoolId;
use vte_events::EventEnvelope;
use vte_proto::vte::applications::v1::{ApplicationEvent, application_event};
use vte_proto::vte::offers::v1::{OfferEvent, PublishOfferRequest, ReviewApplicationRequest};
use vte_proto::vte::placements::v1::PlacementEvent;

use crate::fixtures::{
    Answer, accept, apply, assert_code, complete, draft, figeac_cdi, start_long_ago,
};
use crate::harness::{Api, Envelope, Published, summary};

const OFFERS: &str = OfferEvent::TOPIC;
const APPLICATIONS: &str = ApplicationEvent::TOPIC;
const PLACEMENTS: &str = PlacementEvent::TOPIC;

fn one(topic: &'static str, id: &str, kind: &'static str) -> (&'static str, String, &'static str) {
    (topic, id.to_owned(), kind)
}

/// Every event is keyed by its aggregate and carries the revision the API returned.
#[track_caller]
fn assert_keyed_at(events: &[Published], id: &str, revision: u64) {
    let event = events
        .iter()
        .find(|event| event.aggregate_id() == id)
        .unwrap_or_else(|| panic!("no event for {id}"));
    assert_eq!(event.key, id, "the Kafka key is the aggregate id");
    assert_eq!(event.revision(), revision, "{}", event.kind());
}

#[tokio::test]
async fn every_step_of_a_hire_produces_exactly_one_event_per_aggregate_it_changes() {
    let api = Api::start().await;
    let mut log = api.events();
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let rival = api.enrol(school).await;
    let company = api.owner();
    assert!(log.new_events().await.is_empty());

    let offer = draft(&company, figeac_cdi()).await;
    let events = log.new_events().await;
    assert_eq!(summary(&events), [one(OFFERS, &offer.id, "OfferDrafted")]);
    assert_keyed_at(&events, &offer.id, offer.revision);

    let offer = company
        .clone()
        .publish_offer(PublishOfferRequest {
            offer_id: offer.id.clone(),
            expected_revision: offer.revision,
        })
        .await
        .answer()
        .offer
        .unwrap();
    let events = log.new_events().await;
    assert_eq!(summary(&events), [one(OFFERS, &offer.id, "OfferPublished")]);
    assert_keyed_at(&events, &offer.id, offer.revision);

    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let events = log.new_events().await;
    assert_eq!(
        summary(&events),
        [one(APPLICATIONS, &application.id, "ApplicationSubmitted")]
    );
    assert_keyed_at(&events, &application.id, application.revision);
    let Envelope::Application(submitted) = &events[0].event else {
        panic!("not an application event");
    };
    let Some(application_event::Event::Submitted(submitted)) = &submitted.event else {
        panic!("not a submission");
    };
    assert_eq!(
        submitted.application.as_ref().unwrap().message,
        "",
        "the candidate's message never enters Kafka"
    );
    let rivals = apply(&api.school(school), &offer.id, rival).await;
    let events = log.new_events().await;
    assert_eq!(
        summary(&events),
        [one(APPLICATIONS, &rivals.id, "ApplicationSubmitted")]
    );

    let application = company
        .clone()
        .review_application(ReviewApplicationRequest {
            application_id: application.id.clone(),
            note: String::new(),
        })
        .await
        .answer()
        .application
        .unwrap();
    let events = log.new_events().await;
    assert_eq!(
        summary(&events),
        [one(
            APPLICATIONS,
            &application.id,
            "ApplicationReviewStarted"
        )]
    );
    assert_keyed_at(&events, &application.id, application.revision);

    // The only position: the offer is filled and the rival's application made obsolete.
    let (application, placement) = accept(&company, &application.id, Some(start_long_ago())).await;
    let events = log.new_events().await;
    let mut expected = vec![
        one(APPLICATIONS, &application.id, "ApplicationAccepted"),
        one(APPLICATIONS, &rivals.id, "ApplicationMadeObsolete"),
        one(OFFERS, &offer.id, "OfferFilled"),
        one(PLACEMENTS, &placement.id, "PlacementStarted"),
    ];
    expected.sort();
    assert_eq!(summary(&events), expected);
    assert_keyed_at(&events, &application.id, application.revision);
    assert_keyed_at(&events, &placement.id, placement.revision);

    let placement = complete(&company, &placement.id).await;
    let events = log.new_events().await;
    assert_eq!(
        summary(&events),
        [one(PLACEMENTS, &placement.id, "PlacementCompleted")]
    );
    assert_keyed_at(&events, &placement.id, placement.revision);

    // The label's steps and their events: `labels::each_label_step_is_one_event_on_the_placement`.
}

#[tokio::test]
async fn a_refused_request_commits_and_emits_nothing() {
    let api = Api::start().await;
    let mut log = api.events();
    let school = SchoolId::new();
    let candidate = api.enrol(school).await;
    let company = api.owner();
    let offer = crate::fixtures::published(&company, figeac_cdi()).await;
    let application = apply(&api.candidate(candidate), &offer.id, candidate).await;
    let review = ReviewApplicationRequest {
        application_id: application.id.clone(),
        note: String::new(),
    };
    company
        .clone()
        .review_application(review.clone())
        .await
        .answer();
    assert_eq!(log.new_events().await.len(), 4);

    let twice = company.clone().review_application(review).await.refusal();
    let not_hers = api
        .other_company()
        .review_application(ReviewApplicationRequest {
            application_id: application.id.clone(),
            note: String::new(),
        })
        .await
        .refusal();

    assert_code(&twice, Code::FailedPrecondition);
    assert_code(&not_hers, Code::PermissionDenied);
    let committed = api.outbox().await;
    assert!(committed.is_empty(), "nothing was committed: {committed:?}");
    assert!(log.new_events().await.is_empty());
}
