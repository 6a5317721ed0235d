//! Checks the generated contract: an event envelope survives the wire, and
//! the descriptor set served by reflection names every service.

use prost::Message;
use prost_types::{FileDescriptorSet, Timestamp};
use vte_proto::vte::common::v1::{ContractKind, EducationLevel, Location, MissionType};
use vte_proto::vte::offers::v1::{
    Offer, OfferEvent, OfferPublished, OfferSpec, OfferStatus, offer_event,
};
use vte_proto::{EventEnvelope, FILE_DESCRIPTOR_SET, TOPICS};

fn published_offer_event() -> OfferEvent {
    let offer_id = "0193a8e2-7c4b-7d3e-9f1a-2b3c4d5e6f70".to_owned();
    let offer = Offer {
        id: offer_id.clone(),
        company_siren: "552100554".to_owned(),
        status: OfferStatus::Published.into(),
        spec: Some(OfferSpec {
            title: "Chargé·e de projet industrialisation".to_owned(),
            primary_mission_type: MissionType::Technologie.into(),
            ecological_transition: true,
            contract_kind: ContractKind::Cdd.into(),
            duration_months: Some(18),
            min_level: EducationLevel::Bac3.into(),
            max_level: EducationLevel::Bac5.into(),
            location: Some(Location {
                insee_code: "74056".to_owned(),
                ..Location::default()
            }),
            positions: 2,
            ..OfferSpec::default()
        }),
        positions_remaining: 2,
        revision: 2,
        ..Offer::default()
    };
    OfferEvent {
        event_id: "0193a8e2-7c4c-7000-8000-000000000001".to_owned(),
        occurred_at: Some(Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        }),
        offer_id,
        event: Some(offer_event::Event::Published(OfferPublished {
            offer: Some(offer),
        })),
    }
}

#[test]
fn an_offer_event_round_trips_through_protobuf() {
    let event = published_offer_event();

    let bytes = event.encode_to_vec();
    let decoded = OfferEvent::decode(bytes.as_slice()).expect("a valid encoding decodes");

    assert_eq!(decoded, event);
    assert_eq!(decoded.key(), "0193a8e2-7c4b-7d3e-9f1a-2b3c4d5e6f70");
    assert_eq!(OfferEvent::TOPIC, "vte.offers.v1");
    let Some(offer_event::Event::Published(published)) = decoded.event else {
        panic!("expected OfferPublished, got {:?}", decoded.event);
    };
    let spec = published
        .offer
        .and_then(|o| o.spec)
        .expect("the offer has a spec");
    assert_eq!(spec.duration_months, Some(18));
    assert_eq!(spec.contract_kind(), ContractKind::Cdd);
}

#[test]
fn education_levels_compare_as_years_after_the_baccalaureat() {
    assert_eq!(EducationLevel::Bac2 as i32, 2);
    assert_eq!(EducationLevel::Bac5 as i32, 5);
}

#[test]
fn the_descriptor_set_names_every_service() {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("the descriptor set decodes");
    let services: Vec<String> = set
        .file
        .iter()
        .flat_map(|file| {
            file.service
                .iter()
                .map(move |service| format!("{}.{}", file.package(), service.name()))
        })
        .collect();

    for expected in [
        "vte.identity.v1.IdentityService",
        "vte.offers.v1.OffersService",
        "vte.candidates.v1.CandidatesService",
        "vte.matching.v1.MatchingService",
        "vte.notifications.v1.NotificationsService",
    ] {
        assert!(
            services.iter().any(|s| s == expected),
            "{expected} missing from {services:?}"
        );
    }
}

#[test]
fn every_topic_has_its_envelope_in_the_package_of_the_same_name() {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("the descriptor set decodes");
    let envelopes = [
        "OfferEvent",
        "ApplicationEvent",
        "PlacementEvent",
        "CandidateEvent",
        "MatchingEvent",
        "NotificationEvent",
        "InvitationEvent",
    ];
    for (topic, envelope) in TOPICS.iter().zip(envelopes) {
        let found = set.file.iter().any(|file| {
            file.package() == *topic && file.message_type.iter().any(|m| m.name() == envelope)
        });
        assert!(found, "{envelope} not found in package {topic}");
    }
}
