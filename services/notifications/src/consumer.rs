//! What the service hears and whom it tells. [`EventsHandler`] handles the five topics inside
//! the consumer runner's transaction (which also records the event id): it keeps the facts the
//! texts need (offers, applications), turns each fact into [`Draft`]s for the right recipients
//! and fans them out into notifications and deliveries, which the worker sends later. A
//! candidate's erasure deletes what the service holds about them and is confirmed. Reasons
//! given for a refused event name fields, never values.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, SubsecRound, Utc};
use prost::Message as _;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use vte_domain::{CandidateId, SchoolId, Siren};
use vte_events::consumer::{HandlerError, Handles, RecordMeta};
use vte_proto::vte::applications::v1::{Application, ApplicationEvent, application_event};
use vte_proto::vte::candidates::v1::{CandidateEvent, candidate_event};
use vte_proto::vte::matching::v1::{MatchingEvent, matching_event};
use vte_proto::vte::notifications::v1::{ErasureConfirmed, NotificationEvent, notification_event};
use vte_proto::vte::offers::v1::{OfferEvent, offer_event};
use vte_proto::vte::placements::v1::{EarlyEndReason, Placement, PlacementEvent, placement_event};

use crate::domain::compose::{
    self, ApplicationRef, ApplicationStep, PlacementFacts, PlacementStep, SuggestedOffer,
};
use crate::domain::{Draft, Kind, OfferFacts, Recipient, Subject};
use crate::mapping;
use crate::store::notifications::{self, FanOut};
use crate::store::{StoreError, facts};

/// The rules the handler applies, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct EventsHandler {
    /// Days after which an unanswered application reminds its company (said in the texts).
    pub remind_after_days: u32,
    /// The hour (UTC) daily digests go out.
    pub digest_hour: u32,
}

/// When a digest started at `now` goes out: the next day at `hour` UTC.
pub fn digest_due(now: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let day = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX);
    let time = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
    day.and_time(time).and_utc()
}

impl EventsHandler {
    async fn fan_out(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        meta: &RecordMeta,
        drafts: &[Draft],
    ) -> Result<(), HandlerError> {
        let now = Utc::now().trunc_subsecs(6);
        let clock = FanOut {
            now,
            digest_due: digest_due(now, self.digest_hour),
        };
        let created = notifications::fan_out(transaction, meta.event_id, drafts, clock)
            .await
            .map_err(store_error)?;
        tracing::debug!(
            event_id = %meta.event_id,
            notifications = created.notifications,
            deliveries = created.deliveries,
            "fact fanned out"
        );
        Ok(())
    }
}

fn occurred_at(at: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    mapping::from_timestamp(at)
        .unwrap_or_else(Utc::now)
        .trunc_subsecs(6)
}

impl Handles<MatchingEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &MatchingEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let at = occurred_at(event.occurred_at.as_ref());
        let draft = match &event.event {
            Some(matching_event::Event::CandidatesSuggested(suggested)) => {
                if suggested.candidates.is_empty() {
                    return Ok(());
                }
                let offer = uuid(&suggested.offer_id, "candidates_suggested.offer_id")?;
                let siren = Siren::parse(&suggested.company_siren)
                    .map_err(|_| permanent("candidates_suggested.company_siren is not a SIREN"))?;
                let summaries: Vec<(f64, String)> = suggested
                    .candidates
                    .iter()
                    .map(|c| (c.score, c.summary.clone()))
                    .collect();
                Draft {
                    recipient: Recipient::Company(siren),
                    kind: Kind::CandidatesSuggested,
                    text: compose::candidates_suggested(&suggested.offer_title, offer, &summaries),
                    subject_id: Some(offer),
                    occurred_at: at,
                    subject: None,
                }
            }
            Some(matching_event::Event::OffersSuggested(suggested)) => {
                if suggested.offers.is_empty() {
                    return Ok(());
                }
                let candidate =
                    candidate_id(&suggested.candidate_id, "offers_suggested.candidate_id")?;
                let ids = suggested
                    .offers
                    .iter()
                    .map(|offer| uuid(&offer.offer_id, "offers_suggested.offers.offer_id"))
                    .collect::<Result<Vec<_>, _>>()?;
                let known = facts::offers(&mut **transaction, &ids)
                    .await
                    .map_err(store_error)?;
                let offers: Vec<SuggestedOffer> = suggested
                    .offers
                    .iter()
                    .zip(&ids)
                    .map(|(offer, id)| SuggestedOffer {
                        offer: OfferFacts {
                            title: offer.offer_title.clone(),
                            company_name: offer.company_name.clone(),
                            commune: known.get(id).map(|f| f.commune.clone()).unwrap_or_default(),
                        },
                        summary: offer.summary.clone(),
                        score: offer.score,
                    })
                    .collect();
                Draft {
                    recipient: Recipient::Candidate(candidate),
                    kind: Kind::OffersSuggested,
                    text: compose::offers_suggested(&offers),
                    subject_id: None,
                    occurred_at: at,
                    subject: None,
                }
            }
            None => return Err(permanent("the envelope carries no event")),
        };
        self.fan_out(transaction, meta, &[draft]).await
    }
}

impl Handles<OfferEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &OfferEvent,
        _meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use offer_event::Event;
        let offer = match &event.event {
            Some(Event::Drafted(e)) => e.offer.as_ref(),
            Some(Event::Published(e)) => e.offer.as_ref(),
            Some(Event::Updated(e)) => e.offer.as_ref(),
            Some(Event::Filled(e)) => e.offer.as_ref(),
            Some(Event::Closed(e)) => e.offer.as_ref(),
            Some(Event::Expired(e)) => e.offer.as_ref(),
            None => return Err(permanent("the envelope carries no event")),
        }
        .ok_or_else(|| permanent("offer is missing"))?;
        let id = uuid(&offer.id, "offer.id")?;
        let siren = Siren::parse(&offer.company_siren)
            .map_err(|_| permanent("offer.company_siren is not a SIREN"))?;
        let spec = offer.spec.clone().unwrap_or_default();
        let known = OfferFacts {
            title: spec.title,
            company_name: spec.company_name,
            commune: spec.location.map(|l| l.commune_name).unwrap_or_default(),
        };
        let revision = i64::try_from(offer.revision)
            .map_err(|_| permanent("offer.revision is out of range"))?;
        facts::upsert_offer(transaction, id, &siren, &known, revision)
            .await
            .map_err(store_error)
    }
}

impl Handles<ApplicationEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &ApplicationEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use application_event::Event;
        let (application, step) = match &event.event {
            Some(Event::Submitted(e)) => (e.application.as_ref(), ApplicationStep::Submitted),
            Some(Event::ReviewStarted(e)) => (e.application.as_ref(), ApplicationStep::InReview),
            Some(Event::InterviewScheduled(e)) => {
                let at = e
                    .application
                    .as_ref()
                    .and_then(|a| mapping::from_timestamp(a.interview_at.as_ref()));
                (e.application.as_ref(), ApplicationStep::Interview { at })
            }
            Some(Event::Accepted(e)) => (e.application.as_ref(), ApplicationStep::Accepted),
            Some(Event::Refused(e)) => {
                let reason = e
                    .application
                    .as_ref()
                    .and_then(|a| a.transitions.last())
                    .map(|t| t.reason.clone())
                    .unwrap_or_default();
                (e.application.as_ref(), ApplicationStep::Refused { reason })
            }
            Some(Event::Withdrawn(e)) => (e.application.as_ref(), ApplicationStep::Withdrawn),
            Some(Event::MadeObsolete(e)) => (e.application.as_ref(), ApplicationStep::Obsolete),
            Some(Event::Expired(e)) => (e.application.as_ref(), ApplicationStep::Expired),
            None => return Err(permanent("the envelope carries no event")),
        };
        let application = application.ok_or_else(|| permanent("application is missing"))?;
        let parsed = ParsedApplication::parse(application)?;
        let known = facts::KnownApplication {
            id: parsed.ids.application_id,
            offer_id: parsed.ids.offer_id,
            company: parsed.company,
            status: status_name(application.status),
            submitted_at: mapping::from_timestamp(application.submitted_at.as_ref())
                .unwrap_or_else(|| occurred_at(event.occurred_at.as_ref())),
        };
        let revision = i64::try_from(application.revision)
            .map_err(|_| permanent("application.revision is out of range"))?;
        facts::upsert_application(transaction, &known, Some(parsed.candidate), revision)
            .await
            .map_err(store_error)?;
        let offer = facts::offer(&mut **transaction, parsed.ids.offer_id)
            .await
            .map_err(store_error)?;
        let at = occurred_at(event.occurred_at.as_ref());
        let subject = Some(Subject::Application(application.encode_to_vec()));
        let draft = |recipient, kind, text| Draft {
            recipient,
            kind,
            text,
            subject_id: Some(parsed.ids.application_id),
            occurred_at: at,
            subject: subject.clone(),
        };
        let mut drafts = Vec::new();
        match step {
            ApplicationStep::Submitted => drafts.push(draft(
                Recipient::Company(parsed.company),
                Kind::ApplicationReceived,
                compose::application_received(&offer, parsed.ids, self.remind_after_days),
            )),
            ApplicationStep::Withdrawn => drafts.push(draft(
                Recipient::Company(parsed.company),
                Kind::ApplicationStatusChanged,
                compose::application_withdrawn_for_company(&offer, parsed.ids),
            )),
            _ => {}
        }
        if step != ApplicationStep::Submitted {
            drafts.push(draft(
                Recipient::Candidate(parsed.candidate),
                Kind::ApplicationStatusChanged,
                compose::application_for_candidate(&step, &offer, parsed.ids),
            ));
        }
        if let Some(school) = parsed.school {
            drafts.push(draft(
                Recipient::School(school),
                Kind::ApplicationStatusChanged,
                compose::application_for_school(&step, &offer, parsed.ids),
            ));
        }
        self.fan_out(transaction, meta, &drafts).await
    }
}

/// The ids an application event names.
struct ParsedApplication {
    ids: ApplicationRef,
    company: Siren,
    candidate: CandidateId,
    school: Option<SchoolId>,
}

impl ParsedApplication {
    fn parse(application: &Application) -> Result<Self, HandlerError> {
        Ok(Self {
            ids: ApplicationRef {
                application_id: uuid(&application.id, "application.id")?,
                offer_id: uuid(&application.offer_id, "application.offer_id")?,
            },
            company: Siren::parse(&application.company_siren)
                .map_err(|_| permanent("application.company_siren is not a SIREN"))?,
            candidate: candidate_id(&application.candidate_id, "application.candidate_id")?,
            school: optional_school(&application.school_id, "application.school_id")?,
        })
    }
}

fn status_name(status: i32) -> String {
    vte_proto::vte::applications::v1::ApplicationStatus::try_from(status)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("APPLICATION_STATUS_")
                .to_owned()
        })
        .unwrap_or_else(|_| String::from("UNSPECIFIED"))
}

impl Handles<PlacementEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &PlacementEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        use placement_event::Event;
        let (placement, step) = match &event.event {
            Some(Event::Started(e)) => {
                let start_date = e.placement.as_ref().and_then(|p| {
                    p.start_date.as_ref().and_then(|d| {
                        NaiveDate::from_ymd_opt(
                            d.year,
                            u32::try_from(d.month).ok()?,
                            u32::try_from(d.day).ok()?,
                        )
                    })
                });
                (e.placement.as_ref(), PlacementStep::Started { start_date })
            }
            Some(Event::Completed(e)) => (e.placement.as_ref(), PlacementStep::Completed),
            Some(Event::EndedEarly(e)) => {
                let reason = e
                    .placement
                    .as_ref()
                    .map(early_end_reason)
                    .unwrap_or_default();
                (e.placement.as_ref(), PlacementStep::EndedEarly { reason })
            }
            Some(Event::LabelGranted(e)) => (e.placement.as_ref(), PlacementStep::LabelGranted),
            Some(Event::LabelRefused(e)) => {
                let reason = e
                    .decision
                    .as_ref()
                    .map(|d| d.reason.clone())
                    .unwrap_or_default();
                (e.placement.as_ref(), PlacementStep::LabelRefused { reason })
            }
            None => return Err(permanent("the envelope carries no event")),
        };
        let placement = placement.ok_or_else(|| permanent("placement is missing"))?;
        let facts = PlacementFacts {
            placement_id: uuid(&placement.id, "placement.id")?,
            offer: OfferFacts {
                title: placement.offer_title.clone(),
                company_name: placement.company_name.clone(),
                commune: placement
                    .location
                    .as_ref()
                    .map(|l| l.commune_name.clone())
                    .unwrap_or_default(),
            },
        };
        let mut recipients = vec![
            Recipient::Company(
                Siren::parse(&placement.company_siren)
                    .map_err(|_| permanent("placement.company_siren is not a SIREN"))?,
            ),
            Recipient::Candidate(candidate_id(
                &placement.candidate_id,
                "placement.candidate_id",
            )?),
        ];
        if let Some(school) = optional_school(&placement.school_id, "placement.school_id")? {
            recipients.push(Recipient::School(school));
        }
        if step == PlacementStep::Completed {
            recipients.push(Recipient::Bpifrance);
        }
        let at = occurred_at(event.occurred_at.as_ref());
        let subject = Subject::Placement(placement.encode_to_vec());
        let drafts: Vec<Draft> = recipients
            .into_iter()
            .map(|recipient| Draft {
                recipient,
                kind: step.kind(),
                text: compose::placement_text(&step, &facts, &recipient),
                subject_id: Some(facts.placement_id),
                occurred_at: at,
                subject: Some(subject.clone()),
            })
            .collect();
        self.fan_out(transaction, meta, &drafts).await
    }
}

fn early_end_reason(placement: &Placement) -> String {
    let reason = match EarlyEndReason::try_from(placement.early_end_reason) {
        Ok(EarlyEndReason::TrialPeriod) => "fin de la période d'essai",
        Ok(EarlyEndReason::Resignation) => "démission ou rupture par le jeune",
        Ok(EarlyEndReason::Dismissal) => "licenciement",
        Ok(EarlyEndReason::MutualAgreement) => "accord des deux parties",
        Ok(EarlyEndReason::CompanyDiscontinued) => "cessation d'activité de l'entreprise",
        Ok(EarlyEndReason::StudiesEnded) => "fin ou abandon de la formation",
        Ok(EarlyEndReason::Other) => placement.early_end_note.as_str(),
        Ok(EarlyEndReason::Unspecified) | Err(_) => "",
    };
    reason.to_owned()
}

impl Handles<CandidateEvent> for EventsHandler {
    async fn handle(
        &self,
        transaction: &mut Transaction<'static, Postgres>,
        event: &CandidateEvent,
        meta: &RecordMeta,
    ) -> Result<(), HandlerError> {
        let candidate = candidate_id(&event.candidate_id, "candidate_id")?;
        match &event.event {
            Some(candidate_event::Event::ProfileChanged(changed)) => {
                let consent_given = changed
                    .profile
                    .as_ref()
                    .and_then(|p| p.consent.as_ref())
                    .is_some_and(|c| c.given);
                if !changed.created || consent_given {
                    return Ok(());
                }
                let draft = Draft {
                    recipient: Recipient::Candidate(candidate),
                    kind: Kind::ConsentRequested,
                    text: compose::consent_requested(),
                    subject_id: None,
                    occurred_at: occurred_at(event.occurred_at.as_ref()),
                    subject: None,
                };
                self.fan_out(transaction, meta, &[draft]).await
            }
            Some(candidate_event::Event::Erased(erased)) => {
                if !erased.candidate_id.is_empty()
                    && candidate_id(&erased.candidate_id, "erased.candidate_id")? != candidate
                {
                    return Err(permanent(
                        "erased.candidate_id is not the envelope's candidate_id",
                    ));
                }
                let erasure = uuid(&erased.erasure_id, "erased.erasure_id")?;
                let now = Utc::now().trunc_subsecs(6);
                let removed = facts::erase_candidate(transaction, candidate, now)
                    .await
                    .map_err(store_error)?;
                vte_service::erasure::confirm_later(transaction, candidate, erasure).await?;
                let confirmed = NotificationEvent {
                    event_id: vte_events::new_event_id(),
                    occurred_at: Some(mapping::timestamp(now)),
                    subject_id: candidate.to_string(),
                    event: Some(notification_event::Event::ErasureConfirmed(
                        ErasureConfirmed {
                            candidate_id: candidate.to_string(),
                            erasure_id: erasure.to_string(),
                            confirmed_at: Some(mapping::timestamp(now)),
                        },
                    )),
                };
                vte_events::append(transaction, &confirmed)
                    .await
                    .map_err(|error| HandlerError::Transient(error.to_string()))?;
                tracing::info!(
                    event_id = %meta.event_id,
                    notifications = removed.notifications,
                    preferences = removed.preferences,
                    "erased a candidate"
                );
                Ok(())
            }
            None => Err(permanent("the envelope carries no event")),
        }
    }
}

fn uuid(raw: &str, field: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw.trim())
        .ok()
        .filter(|id| !id.is_nil())
        .ok_or_else(|| permanent(&format!("{field} is not a UUID")))
}

fn candidate_id(raw: &str, field: &str) -> Result<CandidateId, HandlerError> {
    CandidateId::parse(raw).map_err(|_| permanent(&format!("{field} is not a UUID")))
}

fn optional_school(raw: &str, field: &str) -> Result<Option<SchoolId>, HandlerError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    SchoolId::parse(raw)
        .map(Some)
        .map_err(|_| permanent(&format!("{field} is not a UUID")))
}

fn permanent(reason: &str) -> HandlerError {
    HandlerError::Permanent(reason.to_owned())
}

fn store_error(error: StoreError) -> HandlerError {
    match error {
        StoreError::Database(error) => HandlerError::Transient(error.to_string()),
        StoreError::Corrupt { .. } => permanent("stored data refused the event"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_digest_goes_out_the_next_day_at_the_configured_hour() {
        let evening = Utc.with_ymd_and_hms(2026, 3, 2, 22, 30, 0).unwrap();
        let morning = Utc.with_ymd_and_hms(2026, 3, 2, 5, 0, 0).unwrap();
        let due = Utc.with_ymd_and_hms(2026, 3, 3, 6, 0, 0).unwrap();
        assert_eq!(digest_due(evening, 6), due);
        assert_eq!(
            digest_due(morning, 6),
            due,
            "a day's items wait for the next day"
        );
    }
}
