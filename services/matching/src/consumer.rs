//! What the matching service takes from `vte.offers.v1`, `vte.candidates.v1` and
//! `vte.applications.v1`: each event updates the read model in the consumer runner's
//! transaction (which also records the event id, so each event applies once), guarded by the
//! aggregate's revision so an older or repeated event changes nothing, and journals the change
//! for the index followers. When an offer is published or a profile becomes matchable, the
//! best new pairs above the threshold are suggested on `vte.matching.v1` through the outbox, in
//! the same transaction, each pair at most once. Refusal reasons name fields, never values.

use std::sync::{Arc, RwLockReadGuard};

use chrono::{DateTime, Utc};
use prost::Message as _;
use sqlx::{Postgres, Transaction};
use vte_domain::{CandidateId, OfferId};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::applications::v1::{ApplicationEvent, application_event};
use vte_proto::vte::candidates::v1::{
    CandidateErased, CandidateEvent, CandidateProfileChanged, candidate_event,
};
use vte_proto::vte::matching::v1 as wire;
use vte_proto::vte::offers::v1::{Offer, OfferEvent, OfferStatus, offer_event};
use vte_reference::ReferenceData;

use crate::config::MatchingSettings;
use crate::domain::{Audience, CandidateModel, OfferModel, assess, explain};
use crate::follower::Follower;
use crate::index::{CandidateFilter, Index, OfferFilter};
use crate::mapping;
use crate::store::{self, CandidateState, Changed, Recorded};

/// The handler of the three topics; mount it with `ConsumerRunner::on` once per envelope type.
#[derive(Debug, Clone)]
pub struct Handlers {
    /// The index, caught up before each suggestion.
    pub follower: Arc<Follower>,
    pub reference: Arc<ReferenceData>,
    pub settings: MatchingSettings,
}

type Tx = Transaction<'static, Postgres>;

/// The advisory lock suggesting handlers take, one at a time across the service's instances.
const SUGGESTION_LOCK: i64 = 0x7674_655f_7375_6767; // "vte_sugg"

fn permanent(reason: impl Into<String>) -> HandlerError {
    HandlerError::Permanent(reason.into())
}

fn occurred_at(timestamp: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    timestamp
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or_else(Utc::now)
}

fn revision(revision: u64, field: &str) -> Result<u64, HandlerError> {
    if revision == 0 || revision > i64::MAX as u64 {
        return Err(permanent(format!("{field} is out of range")));
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
        use offer_event::Event;
        let id =
            OfferId::parse(&event.offer_id).map_err(|_| permanent("offer_id is not a UUID"))?;
        let (offer, published) = match &event.event {
            Some(Event::Drafted(e)) => (e.offer.as_ref(), false),
            Some(Event::Published(e)) => (e.offer.as_ref(), true),
            Some(Event::Updated(e)) => (e.offer.as_ref(), false),
            Some(Event::Filled(e)) => (e.offer.as_ref(), false),
            Some(Event::Closed(e)) => (e.offer.as_ref(), false),
            Some(Event::Expired(e)) => (e.offer.as_ref(), false),
            None => return Err(permanent("the envelope carries no event")),
        };
        let offer = offer.ok_or_else(|| permanent("the event's offer is missing"))?;
        if OfferId::parse(&offer.id).ok() != Some(id) {
            return Err(permanent("offer.id is not the envelope's offer_id"));
        }
        revision(offer.revision, "offer.revision")?;
        let model = if offer.status == OfferStatus::Draft as i32 {
            None
        } else {
            Some(mapping::offer_model(offer, &self.reference).map_err(permanent)?)
        };
        let row = store::OfferRow {
            id,
            company_siren: &offer.company_siren,
            revision: offer.revision,
            occurred_at: occurred_at(event.occurred_at.as_ref()),
            is_open: model.as_ref().is_some_and(|m| m.open),
            offer: offer.encode_to_vec(),
        };
        let previous = match store::record_offer(tx, &row).await? {
            Recorded::Stale => return Ok(()),
            Recorded::Applied { previous } => previous,
        };
        store::record_change(tx, Changed::Offer(id)).await?;
        let Some(model) = model.filter(|m| m.open) else {
            return Ok(());
        };
        let trigger = if published {
            wire::SuggestionTrigger::OfferPublished
        } else {
            let before = previous
                .and_then(|bytes| Offer::decode(bytes.as_slice()).ok())
                .and_then(|offer| mapping::offer_model(&offer, &self.reference).ok());
            match before {
                Some(before) if before.open && before.same_terms(&model) => return Ok(()),
                _ => wire::SuggestionTrigger::OfferUpdated,
            }
        };
        self.catch_up(tx).await?;
        self.suggest_candidates(tx, &model, trigger).await
    }
}

impl Handlers {
    /// Takes the suggestion lock, held until `tx` ends, then applies every change committed so
    /// far to the index: every handler that suggested before this one, on any instance. Once
    /// per handler, before it reads the index.
    async fn catch_up(&self, tx: &mut Tx) -> Result<(), HandlerError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SUGGESTION_LOCK)
            .execute(&mut **tx)
            .await?;
        self.follower.catch_up().await.map_err(|error| {
            HandlerError::Transient(format!("cannot bring the index up to date: {error}"))
        })?;
        Ok(())
    }

    fn index(&self) -> Result<RwLockReadGuard<'_, Index>, HandlerError> {
        self.follower
            .index()
            .read()
            .map_err(|_| HandlerError::Transient("the index lock is poisoned".into()))
    }

    /// Suggests the offer's best candidates not suggested before, if any reach the threshold
    /// (the index caught up first).
    async fn suggest_candidates(
        &self,
        tx: &mut Tx,
        offer: &OfferModel,
        trigger: wire::SuggestionTrigger,
    ) -> Result<(), HandlerError> {
        let exclude = store::suggested_candidates(tx, offer.id).await?;
        let rules = self.settings.rules;
        let ranking = {
            let index = self.index()?;
            index.rank_candidates(
                offer,
                &rules,
                &CandidateFilter {
                    exclude,
                    ..CandidateFilter::default()
                },
                self.settings.suggestions.count,
            )
        };
        let hits: Vec<_> = ranking
            .hits
            .into_iter()
            .filter(|(_, score)| *score >= self.settings.suggestions.min_score)
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        let pairs: Vec<_> = hits.iter().map(|(c, _)| (offer.id, c.id)).collect();
        let fresh = store::record_suggestions(tx, &pairs).await?;
        let candidates: Vec<wire::CandidateSuggestion> = hits
            .iter()
            .filter(|(c, _)| fresh.contains(&(offer.id, c.id)))
            .map(|(candidate, score)| {
                let assessment = assess(offer, candidate, &rules);
                let explanation = explain(
                    offer,
                    candidate,
                    &assessment,
                    rules.availability_tolerance_days,
                    Audience::Company,
                );
                wire::CandidateSuggestion {
                    candidate_id: candidate.id.to_string(),
                    score: mapping::score(*score),
                    summary: explanation.summary,
                }
            })
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let event = wire::MatchingEvent {
            event_id: vte_events::new_event_id(),
            occurred_at: Some(vte_events::now_timestamp()),
            subject_id: offer.id.to_string(),
            event: Some(wire::matching_event::Event::CandidatesSuggested(
                wire::CandidatesSuggested {
                    offer_id: offer.id.to_string(),
                    company_siren: offer.siren.to_string(),
                    offer_title: offer.title.clone(),
                    trigger: trigger as i32,
                    candidates,
                },
            )),
        };
        append(tx, &event).await
    }

    /// Suggests the candidate's best offers not suggested before, if any reach the threshold
    /// (the index caught up first).
    async fn suggest_offers(
        &self,
        tx: &mut Tx,
        candidate: &CandidateModel,
        trigger: wire::SuggestionTrigger,
    ) -> Result<(), HandlerError> {
        let exclude = store::suggested_offers(tx, candidate.id).await?;
        let rules = self.settings.rules;
        let ranking = {
            let index = self.index()?;
            index.rank_offers(
                candidate,
                &rules,
                &OfferFilter {
                    exclude,
                    ..OfferFilter::default()
                },
                self.settings.suggestions.count,
            )
        };
        let hits: Vec<_> = ranking
            .hits
            .into_iter()
            .filter(|(_, a)| a.score >= self.settings.suggestions.min_score)
            .collect();
        if hits.is_empty() {
            return Ok(());
        }
        let pairs: Vec<_> = hits.iter().map(|(o, _)| (o.id, candidate.id)).collect();
        let fresh = store::record_suggestions(tx, &pairs).await?;
        let offers: Vec<wire::OfferSuggestion> = hits
            .iter()
            .filter(|(o, _)| fresh.contains(&(o.id, candidate.id)))
            .map(|(offer, assessment)| wire::OfferSuggestion {
                offer_id: offer.id.to_string(),
                offer_title: offer.title.clone(),
                company_name: offer.company_name.clone(),
                score: mapping::score(assessment.score),
                summary: explain(
                    offer,
                    candidate,
                    assessment,
                    rules.availability_tolerance_days,
                    Audience::Candidate,
                )
                .summary,
            })
            .collect();
        if offers.is_empty() {
            return Ok(());
        }
        let event = wire::MatchingEvent {
            event_id: vte_events::new_event_id(),
            occurred_at: Some(vte_events::now_timestamp()),
            subject_id: candidate.id.to_string(),
            event: Some(wire::matching_event::Event::OffersSuggested(
                wire::OffersSuggested {
                    candidate_id: candidate.id.to_string(),
                    school_id: candidate.school.map(|s| s.to_string()).unwrap_or_default(),
                    trigger: trigger as i32,
                    offers,
                },
            )),
        };
        append(tx, &event).await
    }

    async fn profile_changed(
        &self,
        tx: &mut Tx,
        id: CandidateId,
        event: &CandidateEvent,
        changed: &CandidateProfileChanged,
    ) -> Result<(), HandlerError> {
        let profile = changed
            .profile
            .as_ref()
            .ok_or_else(|| permanent("profile_changed.profile is missing"))?;
        if CandidateId::parse(&profile.id).ok() != Some(id) {
            return Err(permanent("profile.id is not the envelope's candidate_id"));
        }
        let revision = revision(profile.revision, "profile.revision")?;
        if store::is_erased(tx, id).await? {
            // An erased candidate never comes back, whatever arrives late.
            return Ok(());
        }
        let held = store::lock_candidate(tx, id).await?;
        if held
            .as_ref()
            .is_some_and(|held| held.revision >= revision as i64)
        {
            return Ok(());
        }
        let model = if changed.matchable {
            Some(mapping::candidate_model(profile, &self.reference).map_err(permanent)?)
        } else {
            None
        };
        let state = CandidateState {
            candidate_id: id.as_uuid(),
            school_id: vte_domain::SchoolId::parse(&profile.school_id)
                .ok()
                .map(|s| s.as_uuid()),
            revision: revision as i64,
            occurred_at: occurred_at(event.occurred_at.as_ref()),
            consent_given: profile.consent.as_ref().is_some_and(|c| c.given),
            paused: profile.preferences.as_ref().is_some_and(|p| p.paused),
            matchable: changed.matchable,
        };
        store::write_candidate(tx, &state, model.as_ref()).await?;
        store::record_change(tx, Changed::Candidate(id)).await?;
        let Some(model) = model else {
            return Ok(());
        };
        self.catch_up(tx).await?;
        let was_matchable = held.is_some_and(|held| held.matchable);
        let trigger = if !was_matchable {
            wire::SuggestionTrigger::ProfileMatchable
        } else {
            let unchanged = self
                .index()?
                .candidate(&id)
                .is_some_and(|before| same_terms(before, &model));
            if unchanged {
                return Ok(());
            }
            wire::SuggestionTrigger::ProfileUpdated
        };
        self.suggest_offers(tx, &model, trigger).await
    }

    async fn erased(
        &self,
        tx: &mut Tx,
        id: CandidateId,
        event: &CandidateEvent,
        erased: &CandidateErased,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        if !erased.candidate_id.is_empty()
            && CandidateId::parse(&erased.candidate_id).ok() != Some(id)
        {
            return Err(permanent(
                "erased.candidate_id is not the envelope's candidate_id",
            ));
        }
        store::erase_candidate(tx, id, occurred_at(event.occurred_at.as_ref())).await?;
        store::record_change(tx, Changed::Candidate(id)).await?;
        // The candidates service learns that matching erased the candidate once this commits.
        match uuid::Uuid::parse_str(&erased.erasure_id) {
            Ok(erasure) => vte_service::erasure::confirm_later(tx, id, erasure).await?,
            Err(_) => tracing::warn!(
                event_id = %meta.event_id,
                "erased.erasure_id is not a UUID: the erasure cannot be confirmed"
            ),
        }
        tracing::info!(event_id = %meta.event_id, "erased a candidate from the read model");
        Ok(())
    }
}

/// Whether two profiles of the same candidate would match the same (labels and school aside).
fn same_terms(a: &CandidateModel, b: &CandidateModel) -> bool {
    CandidateModel {
        labels_count: 0,
        school: None,
        ..a.clone()
    } == CandidateModel {
        labels_count: 0,
        school: None,
        ..b.clone()
    }
}

impl Handles<CandidateEvent> for Handlers {
    async fn handle(
        &self,
        tx: &mut Tx,
        event: &CandidateEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let id = CandidateId::parse(&event.candidate_id)
            .map_err(|_| permanent("candidate_id is not a UUID"))?;
        match &event.event {
            Some(candidate_event::Event::ProfileChanged(changed)) => {
                self.profile_changed(tx, id, event, changed).await
            }
            Some(candidate_event::Event::Erased(erased)) => {
                self.erased(tx, id, event, erased, meta).await
            }
            None => Err(permanent("the envelope carries no event")),
        }
    }
}

impl Handles<ApplicationEvent> for Handlers {
    async fn handle(
        &self,
        tx: &mut Tx,
        event: &ApplicationEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
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
            None => return Err(permanent("the envelope carries no event")),
        }
        .ok_or_else(|| permanent("the event's application is missing"))?;
        let id = uuid::Uuid::parse_str(&application.id)
            .map_err(|_| permanent("application.id is not a UUID"))?;
        let offer = OfferId::parse(&application.offer_id)
            .map_err(|_| permanent("application.offer_id is not a UUID"))?;
        let candidate = CandidateId::parse(&application.candidate_id)
            .map_err(|_| permanent("application.candidate_id is not a UUID"))?;
        let revision = revision(application.revision, "application.revision")?;
        if store::is_erased(tx, candidate).await? {
            return Ok(());
        }
        store::record_application(tx, id, offer, candidate, revision).await?;
        Ok(())
    }
}

async fn append(tx: &mut Tx, event: &wire::MatchingEvent) -> Result<(), HandlerError> {
    vte_events::append(tx, event)
        .await
        .map_err(|error| match error {
            vte_events::outbox::OutboxError::Database(error) => {
                HandlerError::Transient(error.to_string())
            }
            other => permanent(other.to_string()),
        })
}
