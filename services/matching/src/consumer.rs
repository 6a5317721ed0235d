//! What the matching service takes from `vte.offers.v1`, `vte.candidates.v1`,
//! `vte.applications.v1` and `vte.placements.v1` (hires and labels, the outcomes of
//! [`crate::impressions`]): each event is checked against the contract (a refusal names the
//! field, never a value, as it goes into a dead-letter header), decoded into the input of a
//! [`Matching`] use case, which applies it in the consumer runner's transaction (which also
//! records the event id, so each event applies once) and suggests the pairs it opens. A use
//! case's [`Error`] becomes a [`HandlerError`] in one place, below.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prost::Message as _;
use vte_domain::{CandidateId, OfferId, SchoolId};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_events::outbox::OutboxError;
use vte_proto::vte::applications::v1::{ApplicationEvent, application_event};
use vte_proto::vte::candidates::v1::{CandidateEvent, CandidateProfileChanged, candidate_event};
use vte_proto::vte::offers::v1::{OfferEvent, OfferStatus, offer_event};
use vte_proto::vte::placements::v1::PlacementEvent;
use vte_reference::ReferenceData;
use vte_rules::RuleBook;

use crate::config::MatchingSettings;
use crate::error::Error;
use crate::follower::Follower;
use crate::impressions::outcomes;
use crate::mapping;
use crate::store::Tx;
use crate::usecases::{ApplicationChange, Matching, OfferChange, Profile, ProfileChange};

/// The handler of the four topics; mount it with `ConsumerRunner::on` once per envelope type.
#[derive(Debug, Clone)]
pub struct Handlers {
    /// The index, caught up before each suggestion.
    pub follower: Arc<Follower>,
    pub reference: Arc<ReferenceData>,
    pub settings: MatchingSettings,
}

impl Handlers {
    /// The use cases the handlers call.
    fn matching(&self) -> Matching {
        Matching::new(self.follower.clone(), self.reference.clone(), self.settings)
    }
}

impl From<Error> for HandlerError {
    /// Failures of the store or the outbox's database are judged by their SQLSTATE, those of the
    /// index are retried (the partition waits, a bounded number of times); an event that breaks
    /// the contract, or a rule, never will be handled.
    fn from(error: Error) -> Self {
        match error {
            // The database judges: a value or constraint it refuses is dead-lettered, the rest
            // is retried (a bounded number of times).
            Error::Store(error) | Error::Outbox(OutboxError::Database(error)) => {
                vte_events::consumer::classify(&error)
            }
            Error::CatchUp(_) | Error::Ranking(_) | Error::UnreadableOffer { .. } => {
                HandlerError::Transient(error.to_string())
            }
            Error::Invalid(_)
            | Error::InvalidEvent(_)
            | Error::NotFound(_)
            | Error::Denied(_)
            | Error::OfferNotOpen
            | Error::CandidateNotMatchable(_)
            | Error::Outbox(_) => HandlerError::Permanent(error.to_string()),
        }
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidEvent(reason.into())
}

fn occurred_at(timestamp: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    timestamp
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or_else(Utc::now)
}

fn revision(revision: u64, field: &str) -> Result<u64, Error> {
    if revision == 0 || revision > i64::MAX as u64 {
        return Err(invalid(format!("{field} is out of range")));
    }
    Ok(revision)
}

impl Handles<OfferEvent> for Handlers {
    async fn handle(
        &self,
        tx: &mut Tx,
        event: &OfferEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let change = offer_change(event, &self.reference, self.follower.rules())?;
        Ok(self.matching().record_offer(tx, change).await?)
    }
}

/// The offer an event carries.
fn offer_change(
    event: &OfferEvent,
    reference: &ReferenceData,
    rules: &RuleBook,
) -> Result<OfferChange, Error> {
    use offer_event::Event;
    let id = OfferId::parse(&event.offer_id).map_err(|_| invalid("offer_id is not a UUID"))?;
    let (offer, published) = match &event.event {
        Some(Event::Drafted(e)) => (e.offer.as_ref(), false),
        Some(Event::Published(e)) => (e.offer.as_ref(), true),
        Some(Event::Updated(e)) => (e.offer.as_ref(), false),
        Some(Event::Filled(e)) => (e.offer.as_ref(), false),
        Some(Event::Closed(e)) => (e.offer.as_ref(), false),
        Some(Event::Expired(e)) => (e.offer.as_ref(), false),
        None => return Err(invalid("the envelope carries no event")),
    };
    let offer = offer.ok_or_else(|| invalid("the event's offer is missing"))?;
    if OfferId::parse(&offer.id).ok() != Some(id) {
        return Err(invalid("offer.id is not the envelope's offer_id"));
    }
    let revision = revision(offer.revision, "offer.revision")?;
    let model = if offer.status == OfferStatus::Draft as i32 {
        None
    } else {
        Some(mapping::offer_model(offer, reference, rules).map_err(invalid)?)
    };
    Ok(OfferChange {
        id,
        company_siren: offer.company_siren.clone(),
        revision,
        occurred_at: occurred_at(event.occurred_at.as_ref()),
        model,
        published,
        encoded: offer.encode_to_vec(),
    })
}

impl Handles<CandidateEvent> for Handlers {
    async fn handle(
        &self,
        tx: &mut Tx,
        event: &CandidateEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let id = CandidateId::parse(&event.candidate_id)
            .map_err(|_| invalid("candidate_id is not a UUID"))?;
        match &event.event {
            Some(candidate_event::Event::ProfileChanged(changed)) => {
                let change = profile_change(id, event, changed, &self.reference)?;
                Ok(self.matching().record_profile(tx, change).await?)
            }
            Some(candidate_event::Event::Erased(erased)) => {
                if !erased.candidate_id.is_empty()
                    && CandidateId::parse(&erased.candidate_id).ok() != Some(id)
                {
                    return Err(
                        invalid("erased.candidate_id is not the envelope's candidate_id").into(),
                    );
                }
                let erasure = uuid::Uuid::parse_str(&erased.erasure_id).ok();
                if erasure.is_none() {
                    tracing::warn!(
                        event_id = %meta.event_id,
                        "erased.erasure_id is not a UUID: the erasure cannot be confirmed"
                    );
                }
                let at = occurred_at(event.occurred_at.as_ref());
                self.matching().erase_candidate(tx, id, at, erasure).await?;
                tracing::info!(event_id = %meta.event_id, "erased a candidate from the read model");
                Ok(())
            }
            None => Err(invalid("the envelope carries no event").into()),
        }
    }
}

/// The profile an event carries. Whether it reads as a model is only decided if it is newer
/// than what is held (see [`Profile::Invalid`]).
fn profile_change(
    id: CandidateId,
    event: &CandidateEvent,
    changed: &CandidateProfileChanged,
    reference: &ReferenceData,
) -> Result<ProfileChange, Error> {
    let profile = changed
        .profile
        .as_ref()
        .ok_or_else(|| invalid("profile_changed.profile is missing"))?;
    if CandidateId::parse(&profile.id).ok() != Some(id) {
        return Err(invalid("profile.id is not the envelope's candidate_id"));
    }
    let revision = revision(profile.revision, "profile.revision")?;
    let model = if changed.matchable {
        match mapping::candidate_model(profile, reference) {
            Ok(model) => Profile::Matchable(Box::new(model)),
            Err(reason) => Profile::Invalid(reason),
        }
    } else {
        Profile::NotMatchable
    };
    Ok(ProfileChange {
        id,
        school: SchoolId::parse(&profile.school_id).ok(),
        revision,
        occurred_at: occurred_at(event.occurred_at.as_ref()),
        consent_given: profile.consent.as_ref().is_some_and(|c| c.given),
        paused: profile.preferences.as_ref().is_some_and(|p| p.paused),
        profile: model,
    })
}

impl Handles<ApplicationEvent> for Handlers {
    async fn handle(
        &self,
        tx: &mut Tx,
        event: &ApplicationEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let change = application_change(event)?;
        let outcome = outcomes::of_application(event).map_err(invalid)?;
        self.matching().record_application(tx, change).await?;
        if self.settings.impressions.enabled {
            outcomes::record(tx, &outcome).await.map_err(Error::Store)?;
        }
        Ok(())
    }
}

impl Handles<PlacementEvent> for Handlers {
    /// A placement's start (a hire) or granted label, kept as the pair's outcome; nothing else
    /// of placements matters to matching.
    async fn handle(
        &self,
        tx: &mut Tx,
        event: &PlacementEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let Some(outcome) = outcomes::of_placement(event).map_err(invalid)? else {
            return Ok(());
        };
        if self.settings.impressions.enabled {
            outcomes::record(tx, &outcome).await.map_err(Error::Store)?;
        }
        Ok(())
    }
}

/// Who applied to what, as an event carries it.
fn application_change(event: &ApplicationEvent) -> Result<ApplicationChange, Error> {
    use application_event::Event;
    let application = match &event.event {
        Some(Event::Submitted(e)) => e.application.as_ref(),
        Some(Event::ReviewStarted(e)) => e.application.as_ref(),
        Some(Event::InterviewScheduled(e)) => e.application.as_ref(),
        Some(Event::Accepted(e)) => e.application.as_ref(),
        Some(Event::Refused(e)) => e.application.as_ref(),
        Some(Event::Withdrawn(e)) => e.application.as_ref(),
        Some(Event::MadeObsolete(e)) => e.application.as_ref(),
        Some(Event::Expired(e)) => e.application.as_ref(),
        None => return Err(invalid("the envelope carries no event")),
    }
    .ok_or_else(|| invalid("the event's application is missing"))?;
    Ok(ApplicationChange {
        id: uuid::Uuid::parse_str(&application.id)
            .map_err(|_| invalid("application.id is not a UUID"))?,
        offer: OfferId::parse(&application.offer_id)
            .map_err(|_| invalid("application.offer_id is not a UUID"))?,
        candidate: CandidateId::parse(&application.candidate_id)
            .map_err(|_| invalid("application.candidate_id is not a UUID"))?,
        revision: revision(application.revision, "application.revision")?,
    })
}
