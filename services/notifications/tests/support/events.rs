//! The facts the other services publish, built as they would build them: an offer published,
//! an application's steps, a placement's, suggestions from the matching service, a candidate's
//! erasure (at their request or by the retention sweep).

use super::harness::Notifications;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_proto::vte::applications::v1::{
    Application, ApplicationEvent, ApplicationExpired, ApplicationRefused,
    ApplicationReviewStarted, ApplicationStatus, ApplicationSubmitted, ApplicationTransition,
    application_event,
};
use vte_proto::vte::candidates::v1::{
    CandidateErased, CandidateEvent, ErasureReason, candidate_event,
};
use vte_proto::vte::common::v1::{Actor, Location, Role};
use vte_proto::vte::matching::v1::{
    CandidateSuggestion, CandidatesSuggested, MatchingEvent, OfferSuggestion, OffersSuggested,
    SuggestionTrigger, matching_event,
};
use vte_proto::vte::notifications::v1::{
    Cadence, KindPreference, NotificationKind, UpdatePreferencesRequest,
};
use vte_proto::vte::offers::v1::{Offer, OfferEvent, OfferPublished, OfferSpec, offer_event};
use vte_proto::vte::placements::v1::{
    LabelGranted, Placement, PlacementCompleted, PlacementEvent, PlacementStatus, placement_event,
};

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

fn event_id() -> String {
    Uuid::now_v7().to_string()
}

/// An offer of `company`: its id and what the texts say of it.
#[derive(Debug, Clone)]
pub struct TestOffer {
    pub id: Uuid,
    pub company: Siren,
    pub title: &'static str,
    pub company_name: &'static str,
    pub commune: &'static str,
    /// Its last day to apply, if it has one.
    pub application_deadline: Option<NaiveDate>,
    pub revision: u64,
}

impl TestOffer {
    pub fn figeac(company: Siren) -> Self {
        Self {
            id: Uuid::now_v7(),
            company,
            title: "Ingénieur méthodes industrialisation",
            company_name: "Usinage du Célé",
            commune: "Figeac",
            application_deadline: None,
            revision: 2,
        }
    }

    /// `OfferPublished` for it.
    pub fn published(&self) -> OfferEvent {
        let offer = Offer {
            id: self.id.to_string(),
            company_siren: self.company.to_string(),
            status: 2,
            spec: Some(OfferSpec {
                title: self.title.to_owned(),
                company_name: self.company_name.to_owned(),
                location: Some(Location {
                    insee_code: "46102".to_owned(),
                    commune_name: self.commune.to_owned(),
                    ..Location::default()
                }),
                application_deadline: self.application_deadline.map(vte_wire::date_to_proto),
                ..OfferSpec::default()
            }),
            revision: self.revision,
            ..Offer::default()
        };
        OfferEvent {
            event_id: event_id(),
            occurred_at: Some(timestamp(Utc::now())),
            offer_id: self.id.to_string(),
            event: Some(offer_event::Event::Published(OfferPublished {
                offer: Some(offer),
            })),
        }
    }
}

/// An application of `candidate` (of `school`) to `offer`.
#[derive(Debug, Clone)]
pub struct TestApplication {
    pub id: Uuid,
    pub offer: TestOffer,
    pub candidate: CandidateId,
    pub school: SchoolId,
    pub submitted_at: DateTime<Utc>,
    /// The candidate's account subject (the `sub` of their token), which their transitions
    /// name as the offers service records them.
    pub account: String,
}

impl TestApplication {
    pub fn new(offer: &TestOffer, candidate: CandidateId, school: SchoolId) -> Self {
        Self {
            id: Uuid::now_v7(),
            offer: offer.clone(),
            candidate,
            school,
            submitted_at: Utc::now(),
            account: format!("idp|account-{}", Uuid::new_v4().simple()),
        }
    }

    fn state(&self, status: ApplicationStatus, revision: u64, reason: &str) -> Application {
        Application {
            id: self.id.to_string(),
            offer_id: self.offer.id.to_string(),
            company_siren: self.offer.company.to_string(),
            candidate_id: self.candidate.to_string(),
            school_id: self.school.to_string(),
            status: status as i32,
            transitions: vec![ApplicationTransition {
                to: status as i32,
                reason: reason.to_owned(),
                actor: Some(Actor {
                    role: Role::Candidate as i32,
                    subject: self.account.clone(),
                    tenant_id: self.candidate.to_string(),
                }),
                ..ApplicationTransition::default()
            }],
            revision,
            submitted_at: Some(timestamp(self.submitted_at)),
            updated_at: Some(timestamp(Utc::now())),
            ..Application::default()
        }
    }

    fn envelope(&self, event: application_event::Event) -> ApplicationEvent {
        ApplicationEvent {
            event_id: event_id(),
            occurred_at: Some(timestamp(Utc::now())),
            application_id: self.id.to_string(),
            event: Some(event),
        }
    }

    pub fn submitted(&self) -> ApplicationEvent {
        self.envelope(application_event::Event::Submitted(ApplicationSubmitted {
            application: Some(self.state(ApplicationStatus::Submitted, 1, "")),
        }))
    }

    pub fn review_started(&self) -> ApplicationEvent {
        self.envelope(application_event::Event::ReviewStarted(
            ApplicationReviewStarted {
                application: Some(self.state(ApplicationStatus::InReview, 2, "")),
            },
        ))
    }

    pub fn refused(&self, reason: &str) -> ApplicationEvent {
        self.envelope(application_event::Event::Refused(ApplicationRefused {
            application: Some(self.state(ApplicationStatus::Refused, 3, reason)),
        }))
    }

    pub fn expired(&self) -> ApplicationEvent {
        self.envelope(application_event::Event::Expired(ApplicationExpired {
            application: Some(self.state(ApplicationStatus::Expired, 2, "")),
        }))
    }
}

/// `OffersSuggested` for `candidate`: the offers, each with its reason.
pub fn offers_suggested(
    candidate: CandidateId,
    school: SchoolId,
    offers: &[(&TestOffer, f64, &str)],
) -> MatchingEvent {
    MatchingEvent {
        event_id: event_id(),
        occurred_at: Some(timestamp(Utc::now())),
        subject_id: candidate.to_string(),
        event: Some(matching_event::Event::OffersSuggested(OffersSuggested {
            candidate_id: candidate.to_string(),
            school_id: school.to_string(),
            trigger: SuggestionTrigger::ProfileMatchable as i32,
            offers: offers
                .iter()
                .map(|(offer, score, summary)| OfferSuggestion {
                    offer_id: offer.id.to_string(),
                    offer_title: offer.title.to_owned(),
                    company_name: offer.company_name.to_owned(),
                    score: *score,
                    summary: (*summary).to_owned(),
                })
                .collect(),
        })),
    }
}

/// `CandidatesSuggested` for `offer`: these candidates, with their scores.
pub fn candidates_suggested(offer: &TestOffer, candidates: &[(CandidateId, f64)]) -> MatchingEvent {
    MatchingEvent {
        event_id: event_id(),
        occurred_at: Some(timestamp(Utc::now())),
        subject_id: offer.id.to_string(),
        event: Some(matching_event::Event::CandidatesSuggested(
            CandidatesSuggested {
                offer_id: offer.id.to_string(),
                company_siren: offer.company.to_string(),
                offer_title: offer.title.to_owned(),
                trigger: SuggestionTrigger::OfferPublished as i32,
                candidates: candidates
                    .iter()
                    .map(|(candidate, score)| CandidateSuggestion {
                        candidate_id: candidate.to_string(),
                        score: *score,
                        summary: "Mission technologie, sa préférence".to_owned(),
                    })
                    .collect(),
            },
        )),
    }
}

/// `PlacementCompleted` for a placement of `candidate` at `offer`.
pub fn placement_completed(
    offer: &TestOffer,
    candidate: CandidateId,
    school: SchoolId,
) -> PlacementEvent {
    let id = Uuid::now_v7();
    PlacementEvent {
        event_id: event_id(),
        occurred_at: Some(timestamp(Utc::now())),
        placement_id: id.to_string(),
        event: Some(placement_event::Event::Completed(PlacementCompleted {
            placement: Some(Placement {
                id: id.to_string(),
                application_id: Uuid::now_v7().to_string(),
                offer_id: offer.id.to_string(),
                company_siren: offer.company.to_string(),
                company_name: offer.company_name.to_owned(),
                offer_title: offer.title.to_owned(),
                candidate_id: candidate.to_string(),
                school_id: school.to_string(),
                status: PlacementStatus::Completed as i32,
                revision: 2,
                ..Placement::default()
            }),
        })),
    }
}

/// `LabelGranted` for the placement `completed` (a `placement_completed` event) made.
pub fn label_granted(completed: &PlacementEvent) -> PlacementEvent {
    let Some(placement_event::Event::Completed(PlacementCompleted {
        placement: Some(placement),
    })) = &completed.event
    else {
        panic!("not a completion")
    };
    let placement = Placement {
        revision: placement.revision + 1,
        ..placement.clone()
    };
    PlacementEvent {
        event_id: event_id(),
        occurred_at: Some(timestamp(Utc::now())),
        placement_id: placement.id.clone(),
        event: Some(placement_event::Event::LabelGranted(LabelGranted {
            placement: Some(placement),
            decision: None,
        })),
    }
}

/// `CandidateErased` for `candidate`, at a person's request.
pub fn candidate_erased(candidate: CandidateId, school: SchoolId) -> CandidateEvent {
    erased_for(candidate, school, ErasureReason::Request)
}

/// `CandidateErased` for `candidate`, by the candidates service's retention sweep.
pub fn candidate_retired(candidate: CandidateId, school: SchoolId) -> CandidateEvent {
    erased_for(candidate, school, ErasureReason::Retention)
}

/// `CandidateErased` for `candidate`, for `reason`.
pub fn erased_for(
    candidate: CandidateId,
    school: SchoolId,
    reason: ErasureReason,
) -> CandidateEvent {
    CandidateEvent {
        event_id: event_id(),
        occurred_at: Some(timestamp(Utc::now())),
        candidate_id: candidate.to_string(),
        event: Some(candidate_event::Event::Erased(CandidateErased {
            candidate_id: candidate.to_string(),
            school_id: school.to_string(),
            erasure_id: Uuid::now_v7().to_string(),
            requested_at: Some(timestamp(Utc::now())),
            reason: reason as i32,
        })),
    }
}

/// Two offers `service` knows (their commune comes from `vte.offers.v1`).
pub async fn two_offers(service: &Notifications) -> (TestOffer, TestOffer) {
    let figeac = TestOffer::figeac(Siren::parse("732829320").unwrap());
    let mut rodez = TestOffer::figeac(Siren::parse("552100554").unwrap());
    rodez.title = "Chargée de transformation numérique";
    rodez.company_name = "Aveyron Composites";
    rodez.commune = "Rodez";
    for offer in [&figeac, &rodez] {
        let published = offer.published();
        service.publish(&published).await;
        service.wait_handled(&published.event_id).await;
    }
    (figeac, rodez)
}

/// `candidate` sets one preference of theirs.
pub async fn set_preference(
    service: &Notifications,
    candidate: CandidateId,
    kind: NotificationKind,
    enabled: bool,
    cadence: Cadence,
) {
    service
        .candidate(candidate)
        .update_preferences(UpdatePreferencesRequest {
            recipient: None,
            preferences: vec![KindPreference {
                kind: kind as i32,
                enabled,
                cadence: cadence as i32,
            }],
            email_address: None,
        })
        .await
        .unwrap();
}
