//! The wire contract of the VTE matching platform: every gRPC service and
//! every Kafka event, generated from the `.proto` files under `proto/vte/`.
//!
//! The module tree mirrors the protobuf packages (`vte.offers.v1` is
//! [`vte::offers::v1`]). [`FILE_DESCRIPTOR_SET`] feeds gRPC reflection, and
//! [`EventEnvelope`] ties each event envelope to its Kafka topic and key.
//!
//! | package | service | event envelope (topic) |
//! |---|---|---|
//! | `vte.common.v1` | | |
//! | `vte.identity.v1` | `IdentityService` (mounted by every service) | |
//! | `vte.offers.v1` | `OffersService` | `OfferEvent` (`vte.offers.v1`) |
//! | `vte.applications.v1` | | `ApplicationEvent` (`vte.applications.v1`) |
//! | `vte.placements.v1` | | `PlacementEvent` (`vte.placements.v1`) |
//! | `vte.candidates.v1` | `CandidatesService` | `CandidateEvent` (`vte.candidates.v1`) |
//! | `vte.matching.v1` | `MatchingService` | `MatchingEvent` (`vte.matching.v1`) |
//! | `vte.notifications.v1` | `NotificationsService` | `NotificationEvent` (`vte.notifications.v1`) |
//! | `vte.invitations.v1` | | `InvitationEvent` (`vte.invitations.v1`) |

/// Generated code: one module per protobuf package.
// Generated code follows prost's and tonic's conventions, not our lint set;
// the allows keep it building if the workspace tightens its lints.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod vte {
    /// Shared vocabulary: mission types, levels, contracts, places, money, aids,
    /// roles and pagination.
    pub mod common {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.common.v1");
        }
    }
    /// The caller's identity, as their bearer token says.
    pub mod identity {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.identity.v1");
        }
    }
    /// Offers, their service (also serving applications, placements and
    /// labels) and the `vte.offers.v1` events.
    pub mod offers {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.offers.v1");
        }
    }
    /// The application aggregate and the `vte.applications.v1` events.
    pub mod applications {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.applications.v1");
        }
    }
    /// The invitation-to-apply aggregate and the `vte.invitations.v1` events.
    pub mod invitations {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.invitations.v1");
        }
    }
    /// The placement and label-decision aggregates and the `vte.placements.v1` events.
    pub mod placements {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.placements.v1");
        }
    }
    /// Candidate profiles, consent, contact data, erasure and the
    /// `vte.candidates.v1` events.
    pub mod candidates {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.candidates.v1");
        }
    }
    /// Ranking and explanations, and the `vte.matching.v1` events.
    pub mod matching {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.matching.v1");
        }
    }
    /// Notifications, preferences, webhooks and the `vte.notifications.v1` events.
    pub mod notifications {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("vte.notifications.v1");
        }
    }
}

/// The encoded `FileDescriptorSet` of every package, for
/// `tonic_reflection::server::Builder::register_encoded_file_descriptor_set`.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("vte_descriptor");

/// Every Kafka topic of the platform, one per event envelope.
pub const TOPICS: [&str; 7] = [
    vte::offers::v1::OfferEvent::TOPIC,
    vte::applications::v1::ApplicationEvent::TOPIC,
    vte::placements::v1::PlacementEvent::TOPIC,
    vte::candidates::v1::CandidateEvent::TOPIC,
    vte::matching::v1::MatchingEvent::TOPIC,
    vte::notifications::v1::NotificationEvent::TOPIC,
    vte::invitations::v1::InvitationEvent::TOPIC,
];

/// What the outbox relay and the consumers need from any event envelope:
/// its topic, its id, its Kafka key and its time.
pub trait EventEnvelope: prost::Message + Default {
    /// The Kafka topic carrying this envelope, e.g. `vte.offers.v1`.
    const TOPIC: &'static str;
    /// The event id, a UUID v7 string; consumers deduplicate on it.
    fn event_id(&self) -> &str;
    /// The aggregate id, used as the Kafka key.
    fn key(&self) -> &str;
    /// When the change happened.
    fn occurred_at(&self) -> Option<&prost_types::Timestamp>;
    /// Whether the envelope carries an event this build knows: `false` when the `oneof` is
    /// empty, as it is for an event type added by a newer producer.
    fn has_known_event(&self) -> bool;
}

macro_rules! event_envelope {
    ($($envelope:ty => $topic:literal, $key:ident;)+) => {$(
        impl EventEnvelope for $envelope {
            const TOPIC: &'static str = $topic;
            fn event_id(&self) -> &str {
                &self.event_id
            }
            fn key(&self) -> &str {
                &self.$key
            }
            fn occurred_at(&self) -> Option<&prost_types::Timestamp> {
                self.occurred_at.as_ref()
            }
            fn has_known_event(&self) -> bool {
                self.event.is_some()
            }
        }
    )+};
}

event_envelope! {
    vte::offers::v1::OfferEvent => "vte.offers.v1", offer_id;
    vte::applications::v1::ApplicationEvent => "vte.applications.v1", application_id;
    vte::placements::v1::PlacementEvent => "vte.placements.v1", placement_id;
    vte::candidates::v1::CandidateEvent => "vte.candidates.v1", candidate_id;
    vte::matching::v1::MatchingEvent => "vte.matching.v1", subject_id;
    vte::notifications::v1::NotificationEvent => "vte.notifications.v1", subject_id;
    vte::invitations::v1::InvitationEvent => "vte.invitations.v1", invitation_id;
}
